//! The service's notion of now, and the Asia/Shanghai calendar it is shown in.
//!
//! Timestamps are stored in UTC at microsecond precision (what PostgreSQL keeps), so a value
//! reads back equal on both backends. China has kept UTC+8 without daylight saving since 1991.

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};

/// Now, in UTC, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The Asia/Shanghai offset (UTC+8, no DST).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A UTC time as `2026-12-01 14:05` in Asia/Shanghai.
pub fn show(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The Asia/Shanghai calendar date of a UTC time (due dates and "today" are local dates).
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shows_shanghai_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 17, 30, 0).unwrap();
        assert_eq!(show(t), "2026-12-01 01:30");
    }
}
