//! The delivery KPIs of a batch, exactly as the group's standard defines them (seed section 3;
//! the rules and their edge cases are written out in `docs/kpi.md`):
//!
//! * 集中交付率 — planned units whose accepted signature falls within the period ÷ planned units;
//! * 无缺陷交付率 — of those delivered units, the ones with no reasonable customer issue and no
//!   complaint in the period ÷ delivered units;
//! * 户均缺陷 — reasonable customer issues raised in the period by the units that took part ÷
//!   the units that took part.
//!
//! Everything is computed from the recorded facts as of a moment: each planned unit's facts
//! (`facts.rs`), from which come the numbers, their drill-down (`drill.rs`) and their
//! breakdowns (`breakdown.rs`); the live figures are cached per batch (`cache.rs`). This file
//! holds the pure part: the period's instants and the ratios.

pub mod api;
pub mod breakdown;
pub mod cache;
pub mod drill;
pub mod export;
pub mod facts;
pub mod pages;
pub mod repo;
pub mod report;
pub mod rollup;
pub mod secondary;
pub mod synthetic;

pub use secondary::Secondary;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Role;
use crate::org::api::Period;

/// Who reads the KPIs and the live board: everyone on the project but contractors.
pub const READERS: &[Role] = &[
    Role::Admin,
    Role::Service,
    Role::Executive,
    Role::Inspector,
    Role::Property,
];

/// The first instant of an Asia/Shanghai calendar day, in UTC (China keeps UTC+8, no DST).
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(day.and_time(NaiveTime::MIN) - Duration::hours(8)))
}

/// A batch's period as instants: `[first day 00:00, the day after the last day 00:00)` in
/// Asia/Shanghai — whole days, the end day included.
pub fn period_bounds(start: NaiveDate, end: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (day_start(start), day_start(end + Duration::days(1)))
}

/// A KPI as a fraction: its value and the counts behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ratio {
    /// `numerator ÷ denominator`; `null` when the denominator is zero (shown as "—").
    pub value: Option<f64>,
    /// What is counted.
    pub numerator: i64,
    /// What it is counted among.
    pub denominator: i64,
}

impl Ratio {
    /// `n ÷ d`, no value when `d` is zero (never 0 % or NaN).
    pub fn of(numerator: i64, denominator: i64) -> Self {
        Ratio {
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            numerator,
            denominator,
        }
    }
}

/// The counts behind the three KPIs of some planned units as of a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Planned units (计划交付户数).
    pub planned: i64,
    /// Planned units whose accepted signature falls within the period.
    pub delivered: i64,
    /// Of those, the units with no reasonable issue and no complaint in the period.
    pub zero_defect: i64,
    /// Planned units signed after the period's end (零星交付).
    pub scattered: i64,
    /// Planned units that took part: a walkthrough in the period, whatever the outcome.
    pub took_part: i64,
    /// Reasonable, not cancelled customer issues raised in the period by those units.
    pub issues: i64,
}

/// The three KPIs of a batch (all the live board shows).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchKpis {
    /// Batch.
    pub batch_id: Uuid,
    /// The concentrated delivery period (whole days, Asia/Shanghai, end inclusive).
    pub period: Period,
    /// Planned units.
    pub planned_units: i64,
    /// 集中交付率: delivered in the period ÷ planned units.
    pub concentrated_delivery_rate: Ratio,
    /// 无缺陷交付率: delivered without reasonable issue or complaint ÷ delivered.
    pub zero_defect_delivery_rate: Ratio,
    /// 户均缺陷: reasonable issues of the units that took part ÷ those units (issues per unit).
    pub avg_defects_per_unit: Ratio,
    /// Planned units delivered after the period's end (零星交付), outside the rates.
    pub scattered_deliveries: i64,
}

/// `GET /api/v1/batches/{id}/kpis`: the three KPIs of a batch and its secondary figures.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpisResponse {
    /// The three KPIs (their fields sit at the top level of the answer).
    #[serde(flatten)]
    pub kpis: BatchKpis,
    /// Secondary figures.
    pub secondary: Secondary,
}

impl BatchKpis {
    /// The KPIs of `batch` over `period` from its counts.
    pub fn from_counts(batch: Uuid, period: Period, c: Counts) -> Self {
        BatchKpis {
            batch_id: batch,
            period,
            planned_units: c.planned,
            concentrated_delivery_rate: Ratio::of(c.delivered, c.planned),
            zero_defect_delivery_rate: Ratio::of(c.zero_defect, c.delivered),
            avg_defects_per_unit: Ratio::of(c.issues, c.took_part),
            scattered_deliveries: c.scattered,
        }
    }
}

/// Everything shown of a batch's KPIs as of a moment: the numbers, the facts behind them and
/// the breakdowns.
#[derive(Debug)]
pub struct Figures {
    /// The batch.
    pub batch: repo::BatchHead,
    /// The moment.
    pub as_of: DateTime<Utc>,
    /// The counts behind the KPIs.
    pub counts: Counts,
    /// The KPIs.
    pub kpis: BatchKpis,
    /// The secondary figures.
    pub secondary: Secondary,
    /// Each planned unit's facts.
    pub facts: facts::Facts,
    /// Per building, day and trade.
    pub breakdowns: breakdown::Breakdowns,
}

/// A rate as a page shows it: `78.3%`, or `—` without a value.
pub fn percent(r: &Ratio) -> String {
    r.value
        .map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// An average as a page shows it: `1.25`, or `—` without a value.
pub fn average(r: &Ratio) -> String {
    r.value
        .map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_period_is_whole_shanghai_days_with_the_end_day_included() {
        let (start, end) = period_bounds(d("2026-12-18"), d("2026-12-20"));
        assert_eq!(start.to_rfc3339(), "2026-12-17T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-12-20T16:00:00+00:00");
        // 23:59 on the last day (Shanghai) is inside, midnight after it is not.
        let last_minute = Utc.with_ymd_and_hms(2026, 12, 20, 15, 59, 0).unwrap();
        assert!(last_minute < end);
        assert_eq!(crate::clock::local_date(end), d("2026-12-21"));
    }

    #[test]
    fn a_zero_denominator_has_no_value_never_zero_or_nan() {
        assert_eq!(Ratio::of(0, 0).value, None);
        assert_eq!(Ratio::of(3, 4).value, Some(0.75));
        assert_eq!(percent(&Ratio::of(0, 0)), "—");
        assert_eq!(percent(&Ratio::of(47, 60)), "78.3%");
        assert_eq!(average(&Ratio::of(5, 4)), "1.25");
        assert_eq!(average(&Ratio::of(1, 0)), "—");
    }

    #[test]
    fn each_kpi_divides_its_own_counts() {
        let c = Counts {
            planned: 10,
            delivered: 4,
            zero_defect: 3,
            scattered: 1,
            took_part: 6,
            issues: 9,
        };
        let period = Period {
            start: d("2026-12-18"),
            end: d("2026-12-20"),
        };
        let k = BatchKpis::from_counts(Uuid::nil(), period, c);
        assert_eq!(k.concentrated_delivery_rate, Ratio::of(4, 10));
        assert_eq!(k.zero_defect_delivery_rate, Ratio::of(3, 4));
        assert_eq!(k.avg_defects_per_unit.value, Some(1.5));
        assert_eq!(k.scattered_deliveries, 1);
        let secondary = Secondary::from(secondary::Facts::default());
        let json = serde_json::to_value(KpisResponse { kpis: k, secondary }).unwrap();
        assert_eq!(json["period"]["end"], "2026-12-20");
        assert_eq!(json["planned_units"], 10);
        assert_eq!(
            json["secondary"]["refusal_rate"]["value"],
            serde_json::Value::Null
        );
        assert_eq!(json["secondary"]["contractors"], serde_json::json!([]));
    }
}
