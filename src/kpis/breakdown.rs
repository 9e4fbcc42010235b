//! A batch's KPIs broken down per building, per day of the period and per trade, all derived
//! from the same [`Facts`] as the batch's own numbers (rules in `docs/kpi.md`).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::facts::{Facts, UnitFacts};
use super::{Counts, Ratio};
use crate::clock::local_date;

/// The three KPIs of a group of planned units.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiRow {
    /// Planned units.
    pub planned_units: i64,
    /// 集中交付率.
    pub concentrated_delivery_rate: Ratio,
    /// 无缺陷交付率.
    pub zero_defect_delivery_rate: Ratio,
    /// 户均缺陷.
    pub avg_defects_per_unit: Ratio,
    /// 零星交付.
    pub scattered_deliveries: i64,
}

impl From<Counts> for KpiRow {
    fn from(c: Counts) -> Self {
        KpiRow {
            planned_units: c.planned,
            concentrated_delivery_rate: Ratio::of(c.delivered, c.planned),
            zero_defect_delivery_rate: Ratio::of(c.zero_defect, c.delivered),
            avg_defects_per_unit: Ratio::of(c.issues, c.took_part),
            scattered_deliveries: c.scattered,
        }
    }
}

/// One building's KPIs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildingRow {
    /// Building name.
    pub building: String,
    /// Its KPIs.
    #[serde(flatten)]
    pub kpis: KpiRow,
}

/// One day of the period: what happened that day, and the three KPIs as they stood at its end.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayRow {
    /// The day (Asia/Shanghai).
    pub day: NaiveDate,
    /// Units delivered that day.
    pub delivered: i64,
    /// Units that took part for the first time that day.
    pub took_part: i64,
    /// Reasonable issues raised that day (by units that took part).
    pub issues: i64,
    /// The KPIs at the end of that day (cumulative since the period's start).
    #[serde(flatten)]
    pub kpis: KpiRow,
}

/// One trade's reasonable issues.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TradeRow {
    /// Trade code (`civil`, `plumbing`, ...).
    pub trade: String,
    /// Issues of the trade counted in 户均缺陷.
    pub issues: i64,
    /// The trade's issues per unit that took part.
    pub per_unit: Ratio,
    /// Share of all counted issues.
    pub share: Ratio,
}

/// The breakdowns of a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Breakdowns {
    /// Per building, in building order.
    pub buildings: Vec<BuildingRow>,
    /// Per day of the period, first to last (days after today are left out).
    pub days: Vec<DayRow>,
    /// Per trade, most issues first.
    pub trades: Vec<TradeRow>,
}

/// The breakdowns of `facts` over the period `[start, end]` (days), up to `today`.
pub fn of(facts: &Facts, (start, end): (NaiveDate, NaiveDate), today: NaiveDate) -> Breakdowns {
    Breakdowns {
        buildings: buildings(&facts.units),
        days: days(facts, start, end.min(today)),
        trades: trades(facts),
    }
}

fn buildings(units: &[UnitFacts]) -> Vec<BuildingRow> {
    // Units come in building order; keep it.
    let mut rows: Vec<(String, Vec<&UnitFacts>)> = Vec::new();
    for u in units {
        match rows.last_mut() {
            Some((b, list)) if *b == u.building => list.push(u),
            _ => rows.push((u.building.clone(), vec![u])),
        }
    }
    rows.into_iter()
        .map(|(building, list)| BuildingRow {
            building,
            kpis: Counts::of(list.into_iter()).into(),
        })
        .collect()
}

/// Each unit as it stood at the end of `day`: facts dated later are left out.
fn as_of_day(u: &UnitFacts, day: NaiveDate, issues: i64) -> UnitFacts {
    let by = |t: Option<chrono::DateTime<chrono::Utc>>| t.filter(|t| local_date(*t) <= day);
    UnitFacts {
        delivered_at: by(u.delivered_at),
        scattered_at: None,
        took_part_at: by(u.took_part_at),
        complaints: if by(u.first_complaint_at).is_some() {
            u.complaints
        } else {
            0
        },
        issues,
        ..u.clone()
    }
}

fn days(facts: &Facts, start: NaiveDate, last: NaiveDate) -> Vec<DayRow> {
    // Issues per unit per day, to count each unit's issues up to a day.
    let mut issues: BTreeMap<(uuid::Uuid, NaiveDate), i64> = BTreeMap::new();
    for (day, i) in facts.issue_days() {
        *issues.entry((i.unit_id, day)).or_default() += 1;
    }
    let on =
        |t: Option<chrono::DateTime<chrono::Utc>>, day| t.is_some_and(|t| local_date(t) == day);
    let mut out = Vec::new();
    let mut day = start;
    while day <= last {
        let until: Vec<UnitFacts> = facts
            .units
            .iter()
            .map(|u| {
                let n = issues
                    .range((u.unit_id, start)..=(u.unit_id, day))
                    .map(|(_, n)| n)
                    .sum();
                as_of_day(u, day, n)
            })
            .collect();
        let raised: i64 = facts
            .units
            .iter()
            .filter(|u| u.took_part())
            .filter_map(|u| issues.get(&(u.unit_id, day)))
            .sum();
        out.push(DayRow {
            day,
            delivered: facts
                .units
                .iter()
                .filter(|u| on(u.delivered_at, day))
                .count() as i64,
            took_part: facts
                .units
                .iter()
                .filter(|u| on(u.took_part_at, day))
                .count() as i64,
            issues: raised,
            kpis: Counts::of(until.iter()).into(),
        });
        day += Duration::days(1);
    }
    out
}

fn trades(facts: &Facts) -> Vec<TradeRow> {
    let took_part: std::collections::HashSet<uuid::Uuid> = facts
        .units
        .iter()
        .filter(|u| u.took_part())
        .map(|u| u.unit_id)
        .collect();
    let mut per: BTreeMap<&str, i64> = BTreeMap::new();
    for i in facts
        .issues
        .iter()
        .filter(|i| took_part.contains(&i.unit_id))
    {
        *per.entry(i.trade.as_str()).or_default() += 1;
    }
    let total: i64 = per.values().sum();
    let units = took_part.len() as i64;
    let mut rows: Vec<TradeRow> = per
        .into_iter()
        .map(|(trade, n)| TradeRow {
            trade: trade.to_owned(),
            issues: n,
            per_unit: Ratio::of(n, units),
            share: Ratio::of(n, total),
        })
        .collect();
    rows.sort_by(|a, b| b.issues.cmp(&a.issues).then(a.trade.cmp(&b.trade)));
    rows
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::kpis::facts::IssueFact;

    fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
        // Shanghai noon-ish of 2026-12-`day`, as UTC.
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn unit(n: &str, building: &str) -> UnitFacts {
        UnitFacts {
            unit_id: Uuid::new_v4(),
            number: n.into(),
            building: building.into(),
            delivered_at: None,
            scattered_at: None,
            took_part_at: None,
            complaints: 0,
            first_complaint_at: None,
            issues: 0,
        }
    }

    /// Three units: A (building 1) took part on the 18th with two plumbing issues and was
    /// delivered on the 19th; B (building 1) took part and was delivered on the 19th, clean;
    /// C (building 2) never came.
    fn scenario() -> Facts {
        let mut a = unit("1-101", "1栋");
        a.took_part_at = Some(at(18, 2));
        a.delivered_at = Some(at(19, 3));
        a.issues = 2;
        let mut b = unit("1-102", "1栋");
        b.took_part_at = Some(at(19, 4));
        b.delivered_at = Some(at(19, 5));
        let c = unit("2-101", "2栋");
        let issue = |day| IssueFact {
            unit_id: a.unit_id,
            created_at: at(day, 2),
            trade: "plumbing".into(),
        };
        Facts {
            issues: vec![issue(18), issue(19)],
            units: vec![a, b, c],
        }
    }

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
    }

    #[test]
    fn buildings_keep_their_order_and_their_own_units() {
        let b = of(&scenario(), (d(18), d(20)), d(30)).buildings;
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].building, "1栋");
        assert_eq!(b[0].kpis.concentrated_delivery_rate, Ratio::of(2, 2));
        assert_eq!(b[0].kpis.zero_defect_delivery_rate, Ratio::of(1, 2));
        assert_eq!(b[0].kpis.avg_defects_per_unit, Ratio::of(2, 2));
        assert_eq!(b[1].kpis.concentrated_delivery_rate, Ratio::of(0, 1));
        assert_eq!(b[1].kpis.zero_defect_delivery_rate.value, None);
    }

    #[test]
    fn each_day_shows_what_happened_and_the_kpis_at_its_end() {
        let days = of(&scenario(), (d(18), d(20)), d(30)).days;
        assert_eq!(days.len(), 3);
        // End of the 18th: A took part with one issue, nobody delivered.
        assert_eq!(
            (days[0].delivered, days[0].took_part, days[0].issues),
            (0, 1, 1)
        );
        assert_eq!(days[0].kpis.concentrated_delivery_rate, Ratio::of(0, 3));
        assert_eq!(days[0].kpis.avg_defects_per_unit, Ratio::of(1, 1));
        // End of the 19th: both delivered, A with two issues.
        assert_eq!(
            (days[1].delivered, days[1].took_part, days[1].issues),
            (2, 1, 1)
        );
        assert_eq!(days[1].kpis.concentrated_delivery_rate, Ratio::of(2, 3));
        assert_eq!(days[1].kpis.zero_defect_delivery_rate, Ratio::of(1, 2));
        assert_eq!(days[1].kpis.avg_defects_per_unit, Ratio::of(2, 2));
        assert_eq!(days[2].kpis.concentrated_delivery_rate, Ratio::of(2, 3));
        // Days after today are not drawn.
        assert_eq!(of(&scenario(), (d(18), d(20)), d(18)).days.len(), 1);
    }

    #[test]
    fn trades_count_issues_of_units_that_took_part_most_first() {
        let t = of(&scenario(), (d(18), d(20)), d(30)).trades;
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].trade, "plumbing");
        assert_eq!(t[0].issues, 2);
        assert_eq!(t[0].per_unit, Ratio::of(2, 2));
        assert_eq!(t[0].share.value, Some(1.0));
    }
}
