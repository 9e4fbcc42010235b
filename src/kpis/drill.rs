//! The drill-down of a KPI: the units in its denominator, each with whether (and how much) it
//! counts in the numerator and the facts that put it there. Derived from the same [`Facts`] as
//! the number itself, so the list always adds up to it.

use serde::Serialize;
use uuid::Uuid;

use super::Ratio;
use super::facts::{Facts, UnitFacts};

/// One of the three KPIs, as named in the API path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// 集中交付率.
    ConcentratedDeliveryRate,
    /// 无缺陷交付率.
    ZeroDefectDeliveryRate,
    /// 户均缺陷.
    AvgDefectsPerUnit,
}

impl Kpi {
    /// Every KPI, in the standard's order.
    pub const ALL: [Kpi; 3] = [
        Kpi::ConcentratedDeliveryRate,
        Kpi::ZeroDefectDeliveryRate,
        Kpi::AvgDefectsPerUnit,
    ];

    /// The path segment (`concentrated_delivery_rate`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::ConcentratedDeliveryRate => "concentrated_delivery_rate",
            Kpi::ZeroDefectDeliveryRate => "zero_defect_delivery_rate",
            Kpi::AvgDefectsPerUnit => "avg_defects_per_unit",
        }
    }

    /// Parses a path segment.
    pub fn parse(s: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the unit is in this KPI's denominator.
    pub fn in_denominator(self, u: &UnitFacts) -> bool {
        match self {
            Kpi::ConcentratedDeliveryRate => true,
            Kpi::ZeroDefectDeliveryRate => u.delivered(),
            Kpi::AvgDefectsPerUnit => u.took_part(),
        }
    }

    /// What the unit adds to this KPI's numerator (a unit, or its issues for 户均缺陷).
    pub fn numerator_share(self, u: &UnitFacts) -> i64 {
        match self {
            Kpi::ConcentratedDeliveryRate => i64::from(u.delivered()),
            Kpi::ZeroDefectDeliveryRate => i64::from(u.zero_defect()),
            Kpi::AvgDefectsPerUnit => u.counted_issues(),
        }
    }
}

/// A unit of the drill-down.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrillUnit {
    /// What the unit adds to the numerator: 0 or 1 for a rate, its issues for 户均缺陷.
    pub in_numerator: i64,
    /// The unit and its facts.
    #[serde(flatten)]
    pub facts: UnitFacts,
}

/// `GET /api/v1/batches/{id}/kpis/{kpi}/units`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrillDown {
    /// Batch.
    pub batch_id: Uuid,
    /// The KPI.
    pub kpi: Kpi,
    /// Its value with numerator and denominator: the sums of the list below.
    #[serde(flatten)]
    pub ratio: Ratio,
    /// The units in the denominator, in building and number order.
    pub units: Vec<DrillUnit>,
}

/// The drill-down of `kpi` over `facts`; `numerator_only` keeps the units that add to it.
pub fn of(batch: Uuid, kpi: Kpi, facts: &Facts, numerator_only: bool) -> DrillDown {
    let units: Vec<DrillUnit> = facts
        .units
        .iter()
        .filter(|u| kpi.in_denominator(u))
        .map(|u| DrillUnit {
            in_numerator: kpi.numerator_share(u),
            facts: u.clone(),
        })
        .collect();
    let numerator = units.iter().map(|u| u.in_numerator).sum();
    let ratio = Ratio::of(numerator, units.len() as i64);
    let units = if numerator_only {
        units.into_iter().filter(|u| u.in_numerator > 0).collect()
    } else {
        units
    };
    DrillDown {
        batch_id: batch,
        kpi,
        ratio,
        units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpis::Counts;

    fn unit(delivered: bool, took_part: bool, issues: i64, complaints: i64) -> UnitFacts {
        let t = Some(chrono::Utc::now());
        UnitFacts {
            unit_id: Uuid::new_v4(),
            number: "1-101".into(),
            building: "1栋".into(),
            delivered_at: t.filter(|_| delivered),
            scattered_at: None,
            took_part_at: t.filter(|_| took_part),
            complaints,
            first_complaint_at: None,
            issues,
        }
    }

    #[test]
    fn every_drill_down_adds_up_to_its_kpi() {
        let facts = Facts {
            units: vec![
                unit(true, true, 0, 0),
                unit(true, true, 2, 0),
                unit(true, true, 0, 1),
                unit(false, true, 3, 0),
                unit(false, false, 0, 1),
            ],
            issues: vec![],
        };
        let k = crate::kpis::BatchKpis::from_counts(
            Uuid::nil(),
            crate::org::api::Period {
                start: chrono::NaiveDate::MIN,
                end: chrono::NaiveDate::MIN,
            },
            Counts::of(facts.units.iter()),
        );
        let drill = |kpi| of(Uuid::nil(), kpi, &facts, false).ratio;
        assert_eq!(
            drill(Kpi::ConcentratedDeliveryRate),
            k.concentrated_delivery_rate
        );
        assert_eq!(
            drill(Kpi::ZeroDefectDeliveryRate),
            k.zero_defect_delivery_rate
        );
        assert_eq!(drill(Kpi::AvgDefectsPerUnit), k.avg_defects_per_unit);
        assert_eq!(drill(Kpi::ZeroDefectDeliveryRate), Ratio::of(1, 3));
        assert_eq!(drill(Kpi::AvgDefectsPerUnit), Ratio::of(5, 4));
        let only = of(Uuid::nil(), Kpi::AvgDefectsPerUnit, &facts, true);
        assert_eq!(only.units.len(), 2);
        assert_eq!(only.ratio, Ratio::of(5, 4));
    }

    #[test]
    fn kpi_names_round_trip() {
        for k in Kpi::ALL {
            assert_eq!(Kpi::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kpi::parse("nps"), None);
    }
}
