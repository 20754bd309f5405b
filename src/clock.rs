//! Dates as the plan's people mean them: the date in England (GMT in winter, BST in summer).
//! "Today" decides default effective dates, what counts as the future, and overdue lists; a
//! UTC date would be a day behind for the first hour of every summer day.
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Europe::London;

/// The date in England at instant `now` (the tz database's Europe/London: GMT, and BST from
/// the last Sunday of March to the last Sunday of October at 01:00 UTC).
pub fn england_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&London).date_naive()
}

/// Today in England, by the system clock (for tools that run outside a server, such as the
/// importer; the server asks its [`Clock`]).
pub fn today() -> NaiveDate {
    england_date(Utc::now())
}

/// The server's clock: every "now" and "today" a request or a change sees comes from here.
/// It is the system clock, or, where a test needs a particular moment (say 23:30 UTC on a
/// summer day, when England is already on the next date), the system clock shifted to start
/// at that moment. It keeps running, so rows written one after another still get increasing
/// times. Only embedding code sets it (`config::Serving::clock`); no setting exposes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// The date in England now.
    pub fn today(&self) -> NaiveDate {
        england_date(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn a_shifted_clock_starts_where_it_is_told_and_runs_on() {
        let clock = Clock::starting_at(at("2026-07-15T23:30:00Z"));
        let first = clock.now();
        assert!((first - at("2026-07-15T23:30:00Z")).num_seconds().abs() < 5);
        assert_eq!(clock.today(), d("2026-07-16"));
        assert!(clock.now() >= first);
        assert_eq!(Clock::system().today(), today());
    }

    #[test]
    fn summer_time_moves_midnight_an_hour_earlier() {
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(england_date(at("2026-01-15T23:30:00Z")), d("2026-01-15"));
        assert_eq!(england_date(at("2026-07-15T23:30:00Z")), d("2026-07-16"));
        assert_eq!(england_date(at("2026-07-15T22:59:59Z")), d("2026-07-15"));
        assert_eq!(england_date(at("2026-03-29T00:59:59Z")), d("2026-03-29"));
        assert_eq!(england_date(at("2026-03-28T23:30:00Z")), d("2026-03-28"));
        assert_eq!(england_date(at("2026-10-24T23:30:00Z")), d("2026-10-25"));
        assert_eq!(england_date(at("2026-10-25T23:30:00Z")), d("2026-10-25"));
        assert_eq!(england_date(at("2026-12-31T23:59:59Z")), d("2026-12-31"));
        // The plan's own years follow the same rules (BST from 31 March 2013).
        assert_eq!(england_date(at("2013-03-31T00:59:59Z")), d("2013-03-31"));
        assert_eq!(england_date(at("2013-06-30T23:30:00Z")), d("2013-07-01"));
    }
}
