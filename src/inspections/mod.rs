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

/// The newest inspection of a unit, as far as its status is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latest {
    /// It is finished.
    pub finished: bool,
    /// Items it judged failed.
    pub failed_items: i64,
}

/// What a unit's stage-1 status becomes: stage-2 states (delivered, refused, only looked) are
/// left alone; pending defects make it "defects open"; otherwise its newest inspection decides:
/// running, or finished with failed items (a re-inspection is due), is "inspecting"; finished
/// with none is "ready".
pub fn unit_status(
    current: UnitStatus,
    latest: Option<Latest>,
    pending_defects: i64,
) -> UnitStatus {
    match (current, latest) {
        (UnitStatus::Delivered | UnitStatus::Refused | UnitStatus::OnlyLooked, _) => current,
        _ if pending_defects > 0 => UnitStatus::DefectsOpen,
        (_, None) => UnitStatus::NotInspected,
        (_, Some(l)) if l.finished && l.failed_items == 0 => UnitStatus::Ready,
        (_, Some(_)) => UnitStatus::Inspecting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_status_follows_the_newest_inspection_and_defects() {
        use UnitStatus::*;
        let running = Some(Latest {
            finished: false,
            failed_items: 0,
        });
        let passed = Some(Latest {
            finished: true,
            failed_items: 0,
        });
        let failed = Some(Latest {
            finished: true,
            failed_items: 2,
        });
        assert_eq!(unit_status(NotInspected, None, 0), NotInspected);
        assert_eq!(unit_status(NotInspected, running, 0), Inspecting);
        assert_eq!(unit_status(Inspecting, running, 3), DefectsOpen);
        assert_eq!(unit_status(DefectsOpen, passed, 0), Ready);
        assert_eq!(unit_status(Ready, passed, 1), DefectsOpen);
        // Failed items and no defect recorded: not ready until a re-inspection passes.
        assert_eq!(unit_status(Inspecting, failed, 0), Inspecting);
        // A new inspection of a ready unit runs again.
        assert_eq!(unit_status(Ready, running, 0), Inspecting);
        assert_eq!(unit_status(Delivered, passed, 5), Delivered);
        assert_eq!(unit_status(Refused, None, 0), Refused);
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
