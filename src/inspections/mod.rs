//! Inspections: one run of a checklist version on one unit or common area at one stage
//! (项目部验收 一户一验, 物业接管查验, 复验), with its participants, the result of each item and the
//! verdict; and how a unit's stage-1 status follows from its inspections and open defects.

pub mod api;
pub mod pages;
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::checklists::MeasuredSpec;
use crate::error::{AppError, Check};
use crate::org::UnitStatus;

/// The result of one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 合格.
    Pass,
    /// 不合格.
    Fail,
    /// 不适用 (e.g. no gas in this unit).
    Na,
}

impl Outcome {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Na => "na",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Pass, Outcome::Fail, Outcome::Na]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// Judges one item from what the inspector entered: a measured item from its points (an
/// explicit `na` is kept), a pass/fail item from the outcome given.
pub fn judge(
    spec: Option<&MeasuredSpec>,
    outcome: Option<Outcome>,
    points: &[f64],
) -> Result<Outcome, AppError> {
    Check::default()
        .when(points.len() > 50, "points", "too_long")
        .when(points.iter().any(|p| !p.is_finite()), "points", "invalid")
        .done()?;
    match (spec, outcome) {
        (_, Some(Outcome::Na)) => Ok(Outcome::Na),
        (Some(spec), _) => {
            if points.is_empty() {
                return Err(AppError::field("points", "required"));
            }
            Ok(if spec.judge(points).passed {
                Outcome::Pass
            } else {
                Outcome::Fail
            })
        }
        (None, Some(o)) => Ok(o),
        (None, None) => Err(AppError::field("outcome", "required")),
    }
}

/// The verdict of a finished inspection: pass when no item failed and none of its defects is
/// still pending.
pub fn verdict(outcomes: &[Outcome], pending_defects: i64) -> bool {
    pending_defects == 0 && !outcomes.contains(&Outcome::Fail)
}

/// What a unit's stage-1 status becomes: stage-2 states (delivered, refused, only looked) are
/// left alone; pending defects make it "defects open"; a finished inspection with none makes it
/// "ready"; a started one "inspecting".
pub fn unit_status(
    current: UnitStatus,
    started: bool,
    finished: bool,
    pending_defects: i64,
) -> UnitStatus {
    match current {
        UnitStatus::Delivered | UnitStatus::Refused | UnitStatus::OnlyLooked => current,
        _ if pending_defects > 0 => UnitStatus::DefectsOpen,
        _ if finished => UnitStatus::Ready,
        _ if started => UnitStatus::Inspecting,
        _ => UnitStatus::NotInspected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_status_follows_inspections_and_defects() {
        use UnitStatus::*;
        assert_eq!(unit_status(NotInspected, true, false, 0), Inspecting);
        assert_eq!(unit_status(Inspecting, true, false, 3), DefectsOpen);
        assert_eq!(unit_status(DefectsOpen, true, true, 0), Ready);
        assert_eq!(unit_status(Ready, true, true, 1), DefectsOpen);
        assert_eq!(unit_status(DefectsOpen, true, false, 0), Inspecting);
        assert_eq!(unit_status(Delivered, true, true, 5), Delivered);
        assert_eq!(unit_status(Refused, true, true, 0), Refused);
    }

    #[test]
    fn verdict_fails_on_a_failed_item_or_a_pending_defect() {
        assert!(verdict(&[Outcome::Pass, Outcome::Na], 0));
        assert!(!verdict(&[Outcome::Pass, Outcome::Fail], 0));
        assert!(!verdict(&[Outcome::Pass], 1));
    }

    #[test]
    fn pass_fail_items_need_an_outcome_and_measured_items_points() {
        assert_eq!(
            judge(None, None, &[]).unwrap_err().code(),
            "request.invalid"
        );
        assert_eq!(
            judge(None, Some(Outcome::Fail), &[]).unwrap(),
            Outcome::Fail
        );
        assert_eq!(
            judge(None, Some(Outcome::Pass), &[f64::NAN])
                .unwrap_err()
                .code(),
            "request.invalid"
        );
    }
}
