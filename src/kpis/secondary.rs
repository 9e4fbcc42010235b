//! The secondary figures of a delivery batch (the seeds' service-quality chapters; definitions
//! and edge cases in `docs/kpi.md`, "Secondary figures"): self-inspection coverage, stage-1
//! defects per unit, the rectification of the customers' items (completion, on time, days,
//! first-time pass), refusals with their reasons, complaints with their response times,
//! satisfaction and NPS, the Pareto of defect trades and the contractors' ranking.
//!
//! Five aggregate queries read the facts per planned unit through covering indexes (migration
//! 0009), as of a moment (`facts.rs`); this file folds them into the figures.

pub mod drill;
mod facts;
pub mod lines;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

pub use facts::{
    ComplaintFacts, Facts, ItemCounts, ItemGroup, ServiceUnit, SurveyAnswer, SurveyGroup,
    UnitComplaints, UnitFacts, UnitItems, read_units,
};

use super::Ratio;
use super::repo::BatchHead;
use crate::db::DbConn;
use crate::delivery::settings::Entry;
use crate::error::AppError;

/// Seconds in a day and in a minute, for the means.
const DAY: f64 = 86_400.0;
const MINUTE: f64 = 60.0;

/// An average with the number of values it is taken over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Mean {
    /// The mean; `null` when there is nothing to average (shown as "—").
    pub value: Option<f64>,
    /// How many values it averages.
    pub count: i64,
}

impl Mean {
    /// `total ÷ count`, no value when `count` is zero.
    pub fn of(total: f64, count: i64) -> Self {
        Mean {
            value: (count > 0).then(|| total / count as f64),
            count,
        }
    }
}

/// How often customers gave one refusal reason (拒收原因).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReasonCount {
    /// `quality`, `not_as_contracted`, `facilities`, `conditions`, `personal`, `other`.
    pub reason: String,
    /// Refused visits with this reason.
    pub count: i64,
}

/// The complaints received in the period and how fast they were answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComplaintFigures {
    /// Complaints about planned units received in the period.
    pub received: i64,
    /// Of those, responded to (a resolution is a response too).
    pub responded: i64,
    /// Of those, resolved.
    pub resolved: i64,
    /// Minutes from receipt to the first response, over the responded ones.
    pub mean_first_response_minutes: Mean,
    /// Minutes from receipt to the resolution, over the resolved ones.
    pub mean_resolution_minutes: Mean,
}

/// The mean stars (1–5) of one survey dimension.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DimensionScore {
    /// Dimension code of the project's survey (`process`, `quality`, `service`, ...).
    pub dimension: String,
    /// The project's own name of the dimension; empty for a built-in one (named by the
    /// catalog) and for one dropped from the survey since.
    pub title: String,
    /// Mean stars over the surveys that rated it.
    pub mean_stars: Mean,
}

/// Net promoter score (净推荐值) of the surveys.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Nps {
    /// % promoters − % detractors, from −100 to 100 (a score, not a fraction); `null` without
    /// responses.
    pub score: Option<f64>,
    /// Answers 9–10.
    pub promoters: i64,
    /// Answers 7–8.
    pub passives: i64,
    /// Answers 0–6.
    pub detractors: i64,
    /// Surveys answered.
    pub responses: i64,
}

/// One trade of the Pareto of customer issues.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TradeShare {
    /// Trade code (`civil`, `doors_windows`, ...).
    pub trade: String,
    /// Issues of this trade counted in 户均缺陷.
    pub count: i64,
    /// `count` ÷ all those issues, a fraction.
    pub share: f64,
    /// Share of this trade and the ones before it.
    pub cumulative_share: f64,
}

/// One contractor's record on the batch's rectification items.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ContractorFigures {
    /// Contractor.
    pub contractor_id: Uuid,
    /// Its name.
    pub name: String,
    /// Items assigned to it (whatever their status).
    pub assigned: i64,
    /// Of those, verified (closed).
    pub closed: i64,
    /// Closed ÷ assigned.
    pub completion_rate: Ratio,
    /// Closed fixed on or before the due date ÷ closed.
    pub on_time_rate: Ratio,
    /// Failed re-inspections (复验不通过) of its items.
    pub send_backs: i64,
}

/// The secondary figures of a batch, as of a moment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Secondary {
    /// 一户一验完成率: planned units with a finished self-inspection ÷ planned units.
    pub self_inspection_coverage: Ratio,
    /// Stage-1 defects (self-inspection, takeover, re-inspection; not cancelled) ÷ planned units.
    pub stage1_defects_per_unit: Ratio,
    /// 整改完成率: the customers' rectification items raised in the period that are verified ÷
    /// all of them.
    pub rectification_completion_rate: Ratio,
    /// 整改及时率: verified items whose accepted fix came on or before the due date ÷ verified.
    pub on_time_rectification_rate: Ratio,
    /// Days from the customer's raising to the verification, over the verified items.
    pub mean_days_to_rectify: Mean,
    /// 一次验收通过率: verified items never sent back ÷ verified items.
    pub first_time_pass_rate: Ratio,
    /// 拒收率: units that took part and refused at least once in the period ÷ units that took part.
    pub refusal_rate: Ratio,
    /// The reasons of the refused visits in the period, most frequent first.
    pub refusal_reasons: Vec<ReasonCount>,
    /// Complaints (投诉) received in the period and their response times.
    pub complaints: ComplaintFigures,
    /// Mean stars per survey dimension, in the project's survey order.
    pub satisfaction: Vec<DimensionScore>,
    /// Net promoter score of the surveys.
    pub nps: Nps,
    /// Pareto of the customer issues counted in 户均缺陷, by trade, most frequent first.
    pub defect_trades: Vec<TradeShare>,
    /// Contractors by on-time rate (then closed items), over the rectification items.
    pub contractors: Vec<ContractorFigures>,
}

/// The secondary figures of `batch` over the period `[start, end)` as of `as_of`.
pub async fn secondary(
    c: &mut impl DbConn,
    batch: &BatchHead,
    bounds: (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Secondary, AppError> {
    Ok(Secondary::from(Facts::read(c, batch, bounds, as_of).await?))
}

impl From<Facts> for Secondary {
    fn from(f: Facts) -> Self {
        let u = &f.units;
        let items: ItemCounts = f.items.iter().map(|g| &g.counts).sum();
        let mut reasons = f.refusal_reasons;
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        Secondary {
            self_inspection_coverage: Ratio::of(u.inspected, u.planned),
            stage1_defects_per_unit: Ratio::of(u.stage1_defects, u.planned),
            rectification_completion_rate: Ratio::of(items.closed, items.items),
            on_time_rectification_rate: Ratio::of(items.on_time, items.closed),
            mean_days_to_rectify: Mean::of(items.seconds as f64 / DAY, items.closed),
            first_time_pass_rate: Ratio::of(items.first_time, items.closed),
            refusal_rate: Ratio::of(u.refused, u.took_part),
            refusal_reasons: reasons,
            complaints: complaints(&f.complaints),
            satisfaction: satisfaction(&f.surveys, f.dimensions),
            nps: nps(&f.surveys),
            defect_trades: pareto(&f.items),
            contractors: ranking(&f.items),
        }
    }
}

fn complaints(k: &ComplaintFacts) -> ComplaintFigures {
    ComplaintFigures {
        received: k.received,
        responded: k.responded,
        resolved: k.resolved,
        mean_first_response_minutes: Mean::of(k.response_seconds as f64 / MINUTE, k.responded),
        mean_resolution_minutes: Mean::of(k.resolution_seconds as f64 / MINUTE, k.resolved),
    }
}

/// Mean stars per dimension: the project's dimensions in order (a dimension nobody rated has
/// no value), then any other dimension the surveys rated (one dropped from the settings since).
fn satisfaction(surveys: &[SurveyGroup], dimensions: Vec<Entry>) -> Vec<DimensionScore> {
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for s in surveys {
        for (code, stars) in s.stars() {
            let e = sums.entry(code).or_default();
            e.0 += stars * s.responses;
            e.1 += s.responses;
        }
    }
    let mut out: Vec<DimensionScore> = Vec::new();
    let mut score = |code: String, title: String, (total, n): (i64, i64)| {
        out.push(DimensionScore {
            dimension: code,
            title,
            mean_stars: Mean::of(total as f64, n),
        });
    };
    for e in dimensions {
        let sum = sums.remove(&e.code).unwrap_or_default();
        score(e.code, e.title, sum);
    }
    for (code, sum) in sums {
        score(code, String::new(), sum);
    }
    out
}

/// Promoters answer 9–10, passives 7–8, detractors 0–6.
fn nps(surveys: &[SurveyGroup]) -> Nps {
    let count = |range: std::ops::RangeInclusive<i64>| {
        surveys
            .iter()
            .filter(|s| range.contains(&s.nps))
            .map(|s| s.responses)
            .sum::<i64>()
    };
    let (promoters, passives, detractors) = (count(9..=10), count(7..=8), count(0..=6));
    let responses = promoters + passives + detractors;
    Nps {
        score: (responses > 0).then(|| (promoters - detractors) as f64 * 100.0 / responses as f64),
        promoters,
        passives,
        detractors,
        responses,
    }
}

/// The issues counted in 户均缺陷 by trade, most frequent first (ties by code), each with its
/// share and the cumulative share.
fn pareto(items: &[ItemGroup]) -> Vec<TradeShare> {
    let mut by_trade: BTreeMap<&str, i64> = BTreeMap::new();
    for g in items.iter().filter(|g| g.counted == 1) {
        *by_trade.entry(&g.trade).or_default() += g.counts.items;
    }
    let total: i64 = by_trade.values().sum();
    let mut trades: Vec<(&str, i64)> = by_trade.into_iter().collect();
    trades.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut running = 0;
    trades
        .into_iter()
        .map(|(trade, count)| {
            running += count;
            TradeShare {
                trade: trade.to_owned(),
                count,
                share: count as f64 / total as f64,
                cumulative_share: running as f64 / total as f64,
            }
        })
        .collect()
}

/// The contractors holding items: best on-time rate first (none yet last), then most closed,
/// most assigned, and name.
fn ranking(items: &[ItemGroup]) -> Vec<ContractorFigures> {
    let mut by_contractor: BTreeMap<Uuid, (&str, Vec<&ItemGroup>)> = BTreeMap::new();
    for g in items {
        if let Some(id) = g.contractor_id {
            let e = by_contractor
                .entry(id)
                .or_insert_with(|| (g.contractor.as_deref().unwrap_or_default(), Vec::new()));
            e.1.push(g);
        }
    }
    let mut out: Vec<ContractorFigures> = by_contractor
        .into_iter()
        .map(|(id, (name, groups))| {
            let t: ItemCounts = groups.iter().map(|g| &g.counts).sum();
            ContractorFigures {
                contractor_id: id,
                name: name.to_owned(),
                assigned: t.items,
                closed: t.closed,
                completion_rate: Ratio::of(t.closed, t.items),
                on_time_rate: Ratio::of(t.on_time, t.closed),
                send_backs: t.send_backs,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        rate_desc(a.on_time_rate.value, b.on_time_rate.value)
            .then_with(|| b.closed.cmp(&a.closed))
            .then_with(|| b.assigned.cmp(&a.assigned))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// Higher first, no value last.
fn rate_desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(contractor: Option<(u128, &str)>, trade: &str, counted: i64) -> ItemGroup {
        ItemGroup {
            contractor_id: contractor.map(|c| Uuid::from_u128(c.0)),
            contractor: contractor.map(|c| c.1.to_owned()),
            trade: trade.to_owned(),
            counted,
            counts: ItemCounts {
                items: 1,
                ..ItemCounts::default()
            },
        }
    }

    fn entry(code: &str) -> Entry {
        Entry {
            code: code.to_owned(),
            title: String::new(),
        }
    }

    fn survey(stars: &str, nps: i64, responses: i64) -> SurveyGroup {
        SurveyGroup {
            stars: stars.to_owned(),
            nps,
            responses,
        }
    }

    #[test]
    fn no_facts_give_no_values_never_zero_or_nan() {
        let s = Secondary::from(Facts {
            dimensions: vec![entry("process")],
            ..Facts::default()
        });
        assert_eq!(s.self_inspection_coverage, Ratio::of(0, 0));
        assert_eq!(s.rectification_completion_rate.value, None);
        assert_eq!(
            s.mean_days_to_rectify,
            Mean {
                value: None,
                count: 0
            }
        );
        assert_eq!(s.complaints.mean_first_response_minutes.value, None);
        assert_eq!(s.nps.score, None);
        assert_eq!(s.satisfaction[0].mean_stars.value, None);
        assert!(s.defect_trades.is_empty() && s.contractors.is_empty());
    }

    #[test]
    fn nps_is_percent_promoters_minus_percent_detractors() {
        // 3 promoters (10, 9, 9), 1 passive (8), 2 detractors (6, 0): (3 − 2) / 6 = 16.7.
        let surveys = [
            survey("{}", 10, 1),
            survey("{}", 9, 2),
            survey("{}", 8, 1),
            survey("{}", 6, 1),
            survey("{}", 0, 1),
        ];
        let n = nps(&surveys);
        assert_eq!((n.promoters, n.passives, n.detractors), (3, 1, 2));
        assert_eq!(n.responses, 6);
        assert!((n.score.unwrap() - 100.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn satisfaction_follows_the_project_order_then_other_rated_dimensions() {
        let surveys = [
            survey(r#"{"quality":4,"service":5,"parking":2}"#, 9, 2),
            survey(r#"{"quality":1,"service":5}"#, 5, 1),
        ];
        let s = satisfaction(
            &surveys,
            vec![entry("service"), entry("quality"), entry("x")],
        );
        let got: Vec<(&str, Option<f64>, i64)> = s
            .iter()
            .map(|d| (d.dimension.as_str(), d.mean_stars.value, d.mean_stars.count))
            .collect();
        assert_eq!(
            got,
            [
                ("service", Some(5.0), 3),
                ("quality", Some(3.0), 3),
                ("x", None, 0),
                ("parking", Some(2.0), 2)
            ]
        );
    }

    #[test]
    fn the_pareto_counts_only_issues_in_the_kpi_and_accumulates_to_one() {
        let items = [
            group(None, "plumbing", 1),
            group(None, "civil", 1),
            group(Some((1, "甲")), "civil", 1),
            group(Some((1, "甲")), "electrical", 0),
            group(None, "doors_windows", 1),
        ];
        let p = pareto(&items);
        let got: Vec<(&str, i64, f64)> = p
            .iter()
            .map(|t| (t.trade.as_str(), t.count, t.cumulative_share))
            .collect();
        assert_eq!(
            got,
            [
                ("civil", 2, 0.5),
                ("doors_windows", 1, 0.75),
                ("plumbing", 1, 1.0)
            ]
        );
        assert_eq!(p[0].share, 0.5);
    }

    #[test]
    fn contractors_rank_by_on_time_rate_with_no_closed_item_last() {
        let mut a = group(Some((1, "甲")), "civil", 1);
        a.counts.closed = 1;
        a.counts.on_time = 0;
        let mut b = group(Some((2, "乙")), "civil", 1);
        b.counts.closed = 1;
        b.counts.on_time = 1;
        b.counts.send_backs = 2;
        let c = group(Some((3, "丙")), "civil", 1);
        let unassigned = group(None, "civil", 1);
        let r = ranking(&[a, c, unassigned, b]);
        let names: Vec<&str> = r.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["乙", "甲", "丙"]);
        assert_eq!(r[0].on_time_rate, Ratio::of(1, 1));
        assert_eq!(r[0].send_backs, 2);
        assert_eq!(r[2].on_time_rate.value, None);
        assert_eq!(r[2].completion_rate, Ratio::of(0, 1));
    }
}
