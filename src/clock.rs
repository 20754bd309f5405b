//! Dates as the plan's people mean them: the date in England (GMT in winter, BST in summer).
//! "Today" decides default effective dates, what counts as the future, and overdue lists; a
//! UTC date would be a day behind for the first hour of every summer day.
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

/// The last Sunday of `month` in `year`, at 01:00 UTC (when British Summer Time changes).
fn last_sunday_1am_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut day = first_of_next.pred_opt()?;
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt()?;
    }
    Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0)?).into()
}

/// The date in England at instant `now`.
pub fn england_date(now: DateTime<Utc>) -> NaiveDate {
    let year = now.year();
    let summer = match (last_sunday_1am_utc(year, 3), last_sunday_1am_utc(year, 10)) {
        (Some(start), Some(end)) => now >= start && now < end,
        _ => false,
    };
    if summer {
        (now + Duration::hours(1)).date_naive()
    } else {
        now.date_naive()
    }
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
    }
}
