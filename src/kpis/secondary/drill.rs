//! The drill-down of a secondary figure: the planned units behind it, each with what it adds to
//! the figure's numerator and denominator and the service facts that put it there. The units'
//! facts are read with the same SQL as the figure's totals (`facts.rs`), so the list adds up to
//! the figure.

use serde::Serialize;
use uuid::Uuid;

use super::facts::{ItemCounts, ServiceUnit};
use super::lines::Kind;
use super::{DAY, MINUTE};

/// A secondary figure, as named in the API path (the figure's key in `Secondary::lines`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// 一户一验完成率.
    SelfInspectionCoverage,
    /// Stage-1 defects per unit.
    Stage1DefectsPerUnit,
    /// 整改完成率.
    RectificationCompletionRate,
    /// 整改及时率.
    OnTimeRectificationRate,
    /// Mean days to rectify.
    MeanDaysToRectify,
    /// 一次验收通过率.
    FirstTimePassRate,
    /// 拒收率.
    RefusalRate,
    /// Complaints received.
    ComplaintsReceived,
    /// Mean minutes to the first response.
    MeanFirstResponseMinutes,
    /// Mean minutes to the resolution.
    MeanResolutionMinutes,
    /// Net promoter score.
    Nps,
}

/// The facts a figure is read from: which columns its drill-down shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// Self-inspection and stage-1 defects.
    Inspection,
    /// The customers' rectification items.
    Items,
    /// Taking part and refusing.
    Refusals,
    /// Complaints.
    Complaints,
    /// Surveys.
    Surveys,
}

impl Figure {
    /// Every figure, in the order of the batch page.
    pub const ALL: [Figure; 11] = [
        Figure::SelfInspectionCoverage,
        Figure::Stage1DefectsPerUnit,
        Figure::RectificationCompletionRate,
        Figure::OnTimeRectificationRate,
        Figure::MeanDaysToRectify,
        Figure::FirstTimePassRate,
        Figure::RefusalRate,
        Figure::ComplaintsReceived,
        Figure::MeanFirstResponseMinutes,
        Figure::MeanResolutionMinutes,
        Figure::Nps,
    ];

    /// The path segment, also the figure's catalog key stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Figure::SelfInspectionCoverage => "self_inspection_coverage",
            Figure::Stage1DefectsPerUnit => "stage1_defects_per_unit",
            Figure::RectificationCompletionRate => "rectification_completion_rate",
            Figure::OnTimeRectificationRate => "on_time_rectification_rate",
            Figure::MeanDaysToRectify => "mean_days_to_rectify",
            Figure::FirstTimePassRate => "first_time_pass_rate",
            Figure::RefusalRate => "refusal_rate",
            Figure::ComplaintsReceived => "complaints_received",
            Figure::MeanFirstResponseMinutes => "mean_first_response_minutes",
            Figure::MeanResolutionMinutes => "mean_resolution_minutes",
            Figure::Nps => "nps",
        }
    }

    /// Parses a path segment.
    pub fn parse(s: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// How its value reads.
    pub fn kind(self) -> Kind {
        match self {
            Figure::Stage1DefectsPerUnit => Kind::PerUnit,
            Figure::MeanDaysToRectify => Kind::Days,
            Figure::ComplaintsReceived => Kind::Count,
            Figure::MeanFirstResponseMinutes | Figure::MeanResolutionMinutes => Kind::Minutes,
            Figure::Nps => Kind::Score,
            _ => Kind::Rate,
        }
    }

    /// The facts it is read from.
    pub fn facet(self) -> Facet {
        match self {
            Figure::SelfInspectionCoverage | Figure::Stage1DefectsPerUnit => Facet::Inspection,
            Figure::RefusalRate => Facet::Refusals,
            Figure::ComplaintsReceived
            | Figure::MeanFirstResponseMinutes
            | Figure::MeanResolutionMinutes => Facet::Complaints,
            Figure::Nps => Facet::Surveys,
            _ => Facet::Items,
        }
    }

    /// What `u` adds to the numerator and the denominator, over the items of `contractor`
    /// only when one is given: a rate's counts; a mean's total (days or minutes) and count; a
    /// count twice; for the NPS, its promoters less its detractors and its surveys.
    pub fn share(self, u: &ServiceUnit, contractor: Option<Uuid>) -> (f64, i64) {
        let items = items_of(u, contractor);
        let k = &u.complaints;
        let whole = |n: i64, d: i64| (n as f64, d);
        match self {
            Figure::SelfInspectionCoverage => whole(i64::from(u.self_inspected), 1),
            Figure::Stage1DefectsPerUnit => whole(u.stage1_defects, 1),
            Figure::RectificationCompletionRate => whole(items.closed, items.items),
            Figure::OnTimeRectificationRate => whole(items.on_time, items.closed),
            Figure::MeanDaysToRectify => (items.seconds as f64 / DAY, items.closed),
            Figure::FirstTimePassRate => whole(items.first_time, items.closed),
            Figure::RefusalRate => {
                whole(i64::from(u.took_part && u.refused), i64::from(u.took_part))
            }
            Figure::ComplaintsReceived => whole(k.received, k.received),
            Figure::MeanFirstResponseMinutes => (k.response_seconds as f64 / MINUTE, k.responded),
            Figure::MeanResolutionMinutes => (k.resolution_seconds as f64 / MINUTE, k.resolved),
            Figure::Nps => {
                let promoters = u.surveys.iter().filter(|s| s.nps >= 9).count() as i64;
                let detractors = u.surveys.iter().filter(|s| s.nps <= 6).count() as i64;
                whole(promoters - detractors, u.surveys.len() as i64)
            }
        }
    }

    /// The figure's value over summed shares; none over nothing.
    pub fn value(self, numerator: f64, denominator: i64) -> Option<f64> {
        match self.kind() {
            Kind::Count => Some(numerator),
            _ if denominator == 0 => None,
            Kind::Score => Some(numerator * 100.0 / denominator as f64),
            _ => Some(numerator / denominator as f64),
        }
    }
}

/// The sums of a unit's item groups, of one contractor when given.
pub fn items_of(u: &ServiceUnit, contractor: Option<Uuid>) -> ItemCounts {
    u.items
        .iter()
        .filter(|g| contractor.is_none_or(|c| g.contractor_id == Some(c)))
        .map(|g| &g.counts)
        .sum()
}

/// What to keep of a drill-down.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Only the units that add to the numerator.
    pub numerator_only: bool,
    /// Only this building's units.
    pub building: Option<String>,
    /// Only this contractor's items (the item figures).
    pub contractor: Option<Uuid>,
    /// Only the units that refused with this reason.
    pub reason: Option<String>,
}

impl Scope {
    /// Whether `u` stays in the list (the numerator toggle aside).
    pub fn keeps(&self, u: &ServiceUnit) -> bool {
        self.building.as_ref().is_none_or(|b| *b == u.building)
            && self
                .reason
                .as_ref()
                .is_none_or(|r| u.refusal_reasons.iter().any(|x| x.reason == *r))
    }
}

/// A unit of the drill-down.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecondaryUnit {
    /// What the unit adds to the numerator: 0 or 1 for a unit rate, its items for an item
    /// rate, days or minutes for a mean, complaints for the count, promoters − detractors for
    /// the NPS.
    pub in_numerator: f64,
    /// What it adds to the denominator: 1 for a unit figure, its items, verified items,
    /// complaints or surveys otherwise.
    pub in_denominator: i64,
    /// The unit and its facts.
    #[serde(flatten)]
    pub facts: ServiceUnit,
}

/// `GET /api/v1/batches/{id}/secondary/{figure}/units`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecondaryDrill {
    /// Batch.
    pub batch_id: Uuid,
    /// The figure.
    pub figure: Figure,
    /// Its value over the listed units (the batch's figure when nothing narrows the list;
    /// for the NPS a score from −100 to 100).
    pub value: Option<f64>,
    /// Sum of `in_numerator`.
    pub numerator: f64,
    /// Sum of `in_denominator`.
    pub denominator: i64,
    /// The units with a share in the figure, in building and number order.
    pub units: Vec<SecondaryUnit>,
}

/// The drill-down of `figure` over `units` under `scope`.
pub fn of(batch: Uuid, figure: Figure, units: Vec<ServiceUnit>, scope: &Scope) -> SecondaryDrill {
    let units: Vec<SecondaryUnit> = units
        .into_iter()
        .filter(|u| scope.keeps(u))
        .filter_map(|u| {
            let (n, d) = figure.share(&u, scope.contractor);
            (d > 0 && (!scope.numerator_only || n != 0.0)).then_some(SecondaryUnit {
                in_numerator: n,
                in_denominator: d,
                facts: u,
            })
        })
        .collect();
    let numerator = units.iter().map(|u| u.in_numerator).sum();
    let denominator = units.iter().map(|u| u.in_denominator).sum();
    SecondaryDrill {
        batch_id: batch,
        figure,
        value: figure.value(numerator, denominator),
        numerator,
        denominator,
        units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpis::secondary::facts::{SurveyAnswer, UnitItems};

    fn survey(nps: i64) -> SurveyAnswer {
        SurveyAnswer {
            nps,
            stars: Default::default(),
        }
    }

    #[test]
    fn every_figure_has_a_path_and_a_share() {
        for f in Figure::ALL {
            assert_eq!(Figure::parse(f.as_str()), Some(f));
        }
        assert_eq!(Figure::parse("nothing"), None);
        let u = ServiceUnit {
            took_part: true,
            refused: true,
            surveys: vec![survey(10), survey(8), survey(3), survey(0)],
            ..ServiceUnit::default()
        };
        assert_eq!(Figure::RefusalRate.share(&u, None), (1.0, 1));
        assert_eq!(Figure::Nps.share(&u, None), (-1.0, 4));
        assert_eq!(Figure::Nps.value(-1.0, 4), Some(-25.0));
        assert_eq!(Figure::RefusalRate.value(0.0, 0), None);
        assert_eq!(Figure::ComplaintsReceived.value(0.0, 0), Some(0.0));
    }

    #[test]
    fn a_contractor_narrows_the_items_and_the_others_drop_out() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let group = |c: Uuid, items: i64, closed: i64| UnitItems {
            contractor_id: Some(c),
            contractor: None,
            counts: ItemCounts {
                items,
                closed,
                ..ItemCounts::default()
            },
        };
        let units = vec![
            ServiceUnit {
                number: "1-101".into(),
                items: vec![group(a, 3, 2), group(b, 1, 1)],
                ..ServiceUnit::default()
            },
            ServiceUnit {
                number: "1-102".into(),
                items: vec![group(b, 2, 0)],
                ..ServiceUnit::default()
            },
        ];
        let all = of(
            Uuid::nil(),
            Figure::RectificationCompletionRate,
            units.clone(),
            &Scope::default(),
        );
        assert_eq!((all.numerator, all.denominator), (3.0, 6));
        let scope = Scope {
            contractor: Some(a),
            ..Scope::default()
        };
        let of_a = of(
            Uuid::nil(),
            Figure::RectificationCompletionRate,
            units,
            &scope,
        );
        assert_eq!((of_a.numerator, of_a.denominator), (2.0, 3));
        assert_eq!(of_a.units.len(), 1);
        assert_eq!(of_a.units[0].facts.number, "1-101");
    }
}
