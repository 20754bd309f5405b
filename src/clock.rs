//! Dates as the plan's people mean them: the date in England (GMT in winter, BST in summer).
//! "Today" decides default effective dates, what counts as the future, and overdue lists; a
//! UTC date would be a day behind for the first hour of every summer day.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The date in England at instant `now` (the tz database's Europe/London: GMT, and BST from
/// the last Sunday of March to the last Sunday of October at 01:00 UTC).
pub fn england_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&London).date_naive()
}

/// Today in England.
pub fn today() -> NaiveDate {
    england_date(Utc::now())
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
