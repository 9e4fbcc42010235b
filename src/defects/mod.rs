//! Defects (缺陷): where and what, who fixes it by when, and the lifecycle
//! `open → assigned → fixed → verified`, with `fixed → assigned` on a failed re-inspection and
//! `cancelled` (with a reason) for duplicates and invalid entries.
//!
//! The rules live on [`Defect::apply`]: which role may take which action from which status.
//! Nothing here touches SQL or HTTP; the handlers load a defect, apply an action and save the
//! resulting [`Transition`].

pub mod api;
pub mod commands;
pub mod export;
pub mod pages;
pub mod plans;
pub mod repo;
pub mod synthetic;
pub mod work;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Role;
use crate::error::AppError;

/// Where a defect is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待分派: recorded, no contractor yet.
    Open,
    /// 待整改: a contractor must fix it by the due date.
    Assigned,
    /// 待复验: the contractor says it is fixed.
    Fixed,
    /// 已关闭: an inspector verified the fix.
    Verified,
    /// 已作废: a duplicate or an invalid entry (with a reason).
    Cancelled,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Assigned,
        Status::Fixed,
        Status::Verified,
        Status::Cancelled,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Assigned => "assigned",
            Status::Fixed => "fixed",
            Status::Verified => "verified",
            Status::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether work on the defect is still pending (it counts as open on the status map).
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Open | Status::Assigned | Status::Fixed)
    }
}

/// How bad a defect is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般.
    Minor,
    /// 严重.
    Serious,
    /// 重大.
    Critical,
}

impl Severity {
    /// Every severity, mildest first.
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::Serious, Severity::Critical];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Serious => "serious",
            Severity::Critical => "critical",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The acceptance stage a defect (or an inspection) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 项目部验收（一户一验）.
    #[serde(rename = "self")]
    SelfInspection,
    /// 物业接管查验.
    Takeover,
    /// 复验.
    Reinspection,
    /// 客户验房: a customer's issue on handover day, judged reasonable.
    Customer,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::SelfInspection,
        Stage::Takeover,
        Stage::Reinspection,
        Stage::Customer,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SelfInspection => "self",
            Stage::Takeover => "takeover",
            Stage::Reinspection => "reinspection",
            Stage::Customer => "customer",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Stage::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A lifecycle command on a defect.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Give the defect to a contractor with a due date (again, to reassign).
    Assign {
        /// The contractor who must fix it.
        contractor: Uuid,
        /// The date it must be fixed by.
        due_on: NaiveDate,
    },
    /// The assigned contractor says it is fixed.
    MarkFixed,
    /// An inspector checked the fix and accepts it.
    Verify,
    /// An inspector checked the fix and rejects it: back to the contractor.
    SendBack {
        /// A new due date, if the old one no longer fits.
        due_on: Option<NaiveDate>,
    },
    /// Withdraw a duplicate or invalid entry.
    Cancel {
        /// Why (required).
        reason: String,
    },
}

impl Action {
    /// The stable name of the action (for errors and the API).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::MarkFixed => "mark_fixed",
            Action::Verify => "verify",
            Action::SendBack { .. } => "send_back",
            Action::Cancel { .. } => "cancel",
        }
    }
}

/// Who is acting: their roles on the defect's project and, for a contractor's staff, which
/// contractor they work for.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// Roles held on the defect's project.
    pub roles: Vec<Role>,
    /// The contractor company of a contractor-role user on this project.
    pub contractor: Option<Uuid>,
}

impl Actor {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the actor may record defects and assign them (inspectors and administrators).
    pub fn manages_defects(&self) -> bool {
        self.has(Role::Inspector) || self.has(Role::Admin)
    }

    /// Whether the actor may record defects found at `stage`: those who manage defects; at the
    /// takeover the property company, which inspects jointly with the project department; on
    /// handover day customer service, whose judged customer issues become rectification items.
    pub fn records_at(&self, stage: Stage) -> bool {
        match stage {
            Stage::Takeover => self.manages_defects() || self.has(Role::Property),
            Stage::Customer => self.manages_defects() || self.has(Role::Service),
            _ => self.manages_defects(),
        }
    }

    /// The authority of a project's fix preset: set by an administrator, it assigns what it
    /// matches whoever recorded the defect.
    pub fn fix_preset() -> Actor {
        Actor {
            roles: vec![Role::Admin],
            contractor: None,
        }
    }

    /// Whether the actor only sees the defects of their own contractor company.
    pub fn is_contractor_only(&self) -> bool {
        self.has(Role::Contractor) && !self.manages_defects()
    }
}

/// The lifecycle state of one defect: what [`Defect::apply`] reads and changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Defect {
    /// Current status.
    pub status: Status,
    /// Responsible contractor, once assigned.
    pub contractor: Option<Uuid>,
    /// Due date, once assigned.
    pub due_on: Option<NaiveDate>,
    /// Failed re-inspections so far.
    pub send_backs: i32,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
}

/// One applied lifecycle move, as it is written to the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Contractor after the move.
    pub contractor: Option<Uuid>,
    /// Due date after the move.
    pub due_on: Option<NaiveDate>,
}

impl Defect {
    /// A defect as recorded: open, unassigned.
    pub fn new() -> Self {
        Defect {
            status: Status::Open,
            contractor: None,
            due_on: None,
            send_backs: 0,
            cancel_reason: None,
        }
    }

    /// Applies `action` by `actor`: `Forbidden` when the actor's role may not take it,
    /// `DefectIllegalTransition` when the status does not allow it.
    pub fn apply(&mut self, action: &Action, actor: &Actor) -> Result<Transition, AppError> {
        self.authorise(action, actor)?;
        let from = self.status;
        let illegal = || AppError::DefectIllegalTransition {
            from: from.as_str(),
            action: action.name(),
        };
        match action {
            Action::Assign { contractor, due_on } => {
                if !matches!(from, Status::Open | Status::Assigned) {
                    return Err(illegal());
                }
                self.status = Status::Assigned;
                self.contractor = Some(*contractor);
                self.due_on = Some(*due_on);
            }
            Action::MarkFixed => {
                if from != Status::Assigned {
                    return Err(illegal());
                }
                self.status = Status::Fixed;
            }
            Action::Verify => {
                if from != Status::Fixed {
                    return Err(illegal());
                }
                self.status = Status::Verified;
            }
            Action::SendBack { due_on } => {
                if from != Status::Fixed {
                    return Err(illegal());
                }
                self.status = Status::Assigned;
                self.send_backs += 1;
                if let Some(d) = due_on {
                    self.due_on = Some(*d);
                }
            }
            Action::Cancel { reason } => {
                if !from.is_pending() {
                    return Err(illegal());
                }
                if reason.trim().is_empty() {
                    return Err(AppError::field("reason", "required"));
                }
                self.status = Status::Cancelled;
                self.cancel_reason = Some(reason.trim().to_owned());
            }
        }
        Ok(Transition {
            from,
            to: self.status,
            contractor: self.contractor,
            due_on: self.due_on,
        })
    }

    /// Only the assigned contractor marks fixed; only inspectors verify or send back; inspectors
    /// and administrators assign and cancel.
    fn authorise(&self, action: &Action, actor: &Actor) -> Result<(), AppError> {
        let allowed = match action {
            Action::Assign { .. } | Action::Cancel { .. } => actor.manages_defects(),
            Action::MarkFixed => {
                actor.has(Role::Contractor)
                    && actor.contractor.is_some()
                    && actor.contractor == self.contractor
            }
            Action::Verify | Action::SendBack { .. } => actor.has(Role::Inspector),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the defect is past its due date on `today` and still waits on someone.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        is_overdue(self.status, self.due_on, today)
    }
}

impl Default for Defect {
    fn default() -> Self {
        Self::new()
    }
}

/// Overdue = assigned (or sent back) and past the due date; a fixed defect waits on the
/// inspector, not the contractor, and is not overdue.
pub fn is_overdue(status: Status, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == Status::Assigned && due_on.is_some_and(|d| d < today)
}

/// The due date a fix preset of `days` gives a defect recorded at `now` (Shanghai calendar).
pub fn due_from_preset(now: DateTime<Utc>, days: u32) -> NaiveDate {
    let today = crate::clock::local_date(now);
    today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(today)
}

/// Clamps a pin position to the plan (fractions of width and height, 0..=1).
pub fn valid_pin(x: f64, y: f64) -> bool {
    (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspector() -> Actor {
        Actor {
            roles: vec![Role::Inspector],
            contractor: None,
        }
    }
    fn admin() -> Actor {
        Actor {
            roles: vec![Role::Admin],
            contractor: None,
        }
    }
    fn contractor(id: Uuid) -> Actor {
        Actor {
            roles: vec![Role::Contractor],
            contractor: Some(id),
        }
    }
    fn role(r: Role) -> Actor {
        Actor {
            roles: vec![r],
            contractor: None,
        }
    }
    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }
    fn assign(c: Uuid) -> Action {
        Action::Assign {
            contractor: c,
            due_on: day(10),
        }
    }

    fn in_status(status: Status, c: Uuid) -> Defect {
        let mut d = Defect::new();
        let me = contractor(c);
        let steps: &[Action] = match status {
            Status::Open => &[],
            Status::Assigned => &[assign(c)],
            Status::Fixed => &[assign(c), Action::MarkFixed],
            Status::Verified => &[assign(c), Action::MarkFixed, Action::Verify],
            Status::Cancelled => &[Action::Cancel {
                reason: "重复".into(),
            }],
        };
        for a in steps {
            let who = if *a == Action::MarkFixed {
                &me
            } else {
                &inspector()
            };
            d.apply(a, who).unwrap();
        }
        assert_eq!(d.status, status);
        d
    }

    #[test]
    fn the_happy_path_records_each_move() {
        let c = Uuid::new_v4();
        let mut d = Defect::new();
        let t = d.apply(&assign(c), &inspector()).unwrap();
        assert_eq!((t.from, t.to), (Status::Open, Status::Assigned));
        assert_eq!(t.contractor, Some(c));
        let t = d.apply(&Action::MarkFixed, &contractor(c)).unwrap();
        assert_eq!((t.from, t.to), (Status::Assigned, Status::Fixed));
        let t = d.apply(&Action::Verify, &inspector()).unwrap();
        assert_eq!((t.from, t.to), (Status::Fixed, Status::Verified));
        assert_eq!(d.send_backs, 0);
    }

    #[test]
    fn a_failed_reinspection_sends_back_and_counts() {
        let c = Uuid::new_v4();
        let mut d = in_status(Status::Fixed, c);
        let t = d
            .apply(
                &Action::SendBack {
                    due_on: Some(day(15)),
                },
                &inspector(),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (Status::Fixed, Status::Assigned));
        assert_eq!(d.send_backs, 1);
        assert_eq!(d.due_on, Some(day(15)));
        d.apply(&Action::MarkFixed, &contractor(c)).unwrap();
        d.apply(&Action::SendBack { due_on: None }, &inspector())
            .unwrap();
        assert_eq!(d.send_backs, 2);
        assert_eq!(d.due_on, Some(day(15)));
    }

    #[test]
    fn every_illegal_transition_is_a_conflict() {
        let c = Uuid::new_v4();
        let actions = [
            assign(c),
            Action::MarkFixed,
            Action::Verify,
            Action::SendBack { due_on: None },
            Action::Cancel { reason: "x".into() },
        ];
        let legal: &[(Status, &str)] = &[
            (Status::Open, "assign"),
            (Status::Open, "cancel"),
            (Status::Assigned, "assign"),
            (Status::Assigned, "mark_fixed"),
            (Status::Assigned, "cancel"),
            (Status::Fixed, "verify"),
            (Status::Fixed, "send_back"),
            (Status::Fixed, "cancel"),
        ];
        for status in Status::ALL {
            for action in &actions {
                let mut d = in_status(status, c);
                let who = if *action == Action::MarkFixed {
                    contractor(c)
                } else {
                    inspector()
                };
                let result = d.apply(action, &who);
                if legal.contains(&(status, action.name())) {
                    assert!(result.is_ok(), "{status:?} {}", action.name());
                } else {
                    let err = result.expect_err(action.name());
                    // Never assigned: nobody is "the assigned contractor".
                    let expected = if d.contractor.is_none() && *action == Action::MarkFixed {
                        "auth.forbidden"
                    } else {
                        "defect.illegal_transition"
                    };
                    assert_eq!(err.code(), expected, "{status:?} {}", action.name());
                    assert_eq!(d.status, status, "status unchanged after a refusal");
                }
            }
        }
    }

    #[test]
    fn every_wrong_role_is_forbidden() {
        let c = Uuid::new_v4();
        let other = Uuid::new_v4();
        let cases: Vec<(Status, Action, Actor)> = vec![
            (Status::Open, assign(c), contractor(c)),
            (Status::Open, assign(c), role(Role::Property)),
            (Status::Open, assign(c), role(Role::Service)),
            (Status::Open, assign(c), role(Role::Executive)),
            (Status::Assigned, Action::MarkFixed, contractor(other)),
            (Status::Assigned, Action::MarkFixed, inspector()),
            (Status::Assigned, Action::MarkFixed, admin()),
            (Status::Assigned, Action::MarkFixed, role(Role::Contractor)),
            (Status::Fixed, Action::Verify, contractor(c)),
            (Status::Fixed, Action::Verify, admin()),
            (Status::Fixed, Action::Verify, role(Role::Property)),
            (
                Status::Fixed,
                Action::SendBack { due_on: None },
                contractor(c),
            ),
            (Status::Fixed, Action::SendBack { due_on: None }, admin()),
            (
                Status::Open,
                Action::Cancel { reason: "x".into() },
                contractor(c),
            ),
            (
                Status::Open,
                Action::Cancel { reason: "x".into() },
                role(Role::Executive),
            ),
        ];
        for (status, action, who) in cases {
            let mut d = in_status(status, c);
            let err = d.apply(&action, &who).expect_err(action.name());
            assert_eq!(err.code(), "auth.forbidden", "{status:?} {}", action.name());
            assert_eq!(d.status, status);
        }
    }

    #[test]
    fn admins_assign_and_cancel() {
        let c = Uuid::new_v4();
        let mut d = Defect::new();
        d.apply(&assign(c), &admin()).unwrap();
        d.apply(
            &Action::Cancel {
                reason: "重复录入".into(),
            },
            &admin(),
        )
        .unwrap();
        assert_eq!(d.cancel_reason.as_deref(), Some("重复录入"));
    }

    #[test]
    fn cancelling_needs_a_reason() {
        let mut d = Defect::new();
        let err = d
            .apply(
                &Action::Cancel {
                    reason: "  ".into(),
                },
                &inspector(),
            )
            .unwrap_err();
        assert_eq!(err.code(), "request.invalid");
        assert_eq!(d.status, Status::Open);
    }

    #[test]
    fn overdue_means_assigned_and_past_due() {
        assert!(is_overdue(Status::Assigned, Some(day(9)), day(10)));
        assert!(!is_overdue(Status::Assigned, Some(day(10)), day(10)));
        assert!(!is_overdue(Status::Fixed, Some(day(1)), day(10)));
        assert!(!is_overdue(Status::Open, None, day(10)));
        assert!(!is_overdue(Status::Verified, Some(day(1)), day(10)));
    }

    #[test]
    fn presets_count_days_on_the_shanghai_calendar() {
        // 2026-12-01 20:00 UTC is already 12-02 in Shanghai.
        let now = DateTime::parse_from_rfc3339("2026-12-01T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(due_from_preset(now, 3), day(5));
    }
}
