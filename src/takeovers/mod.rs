//! Property takeover (物业接管验收 / 承接查验, seed 4.2.2): the joint team checks the
//! prerequisites, receives the documents, inspects the common areas (stage `takeover` of the
//! stage-1 inspections and defects), and both sides sign. The second signature seals the
//! record: its canonical content is hashed, stored, and never written again.
//!
//! This file holds the rules (deadlines, who signs, what blocks a signature, the seal); `repo`
//! reads and writes, `api` and `pages` are the doors, `report` makes the PDFs.

pub mod api;
pub mod pages;
pub mod repo;
pub mod report;
pub mod snapshot;

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Role;
use crate::error::AppError;
use crate::i18n::Locale;

/// The seed's prerequisites (接管条件, 4.2.2.1 a–e): code and catalog key of the title.
pub const SEED_PREREQUISITES: [&str; 5] = ["a", "b", "c", "d", "e"];

/// The seed's document groups (接管资料, 4.2.2.2), each with the usual documents in it.
pub const SEED_DOCUMENTS: [(DocumentCategory, &[&str]); 4] = [
    (
        DocumentCategory::PropertyRights,
        &["land_use", "planning_permit", "completion_filing"],
    ),
    (
        DocumentCategory::Technical,
        &[
            "as_built",
            "equipment_list",
            "equipment_manuals",
            "pipe_network",
        ],
    ),
    (DocumentCategory::Audiovisual, &["concealed_works_video"]),
    (
        DocumentCategory::Warranty,
        &["quality_guarantee", "usage_manual", "equipment_warranties"],
    ),
];

/// Where a prerequisite line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrereqStatus {
    /// Not yet checked.
    Pending,
    /// Met (满足).
    Met,
    /// Not met (不满足): signing needs a reservation on this line.
    NotMet,
    /// Does not apply to this project (不适用).
    NotApplicable,
}

impl PrereqStatus {
    /// Every status, in display order.
    pub const ALL: [PrereqStatus; 4] = [
        PrereqStatus::Pending,
        PrereqStatus::Met,
        PrereqStatus::NotMet,
        PrereqStatus::NotApplicable,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrereqStatus::Pending => "pending",
            PrereqStatus::Met => "met",
            PrereqStatus::NotMet => "not_met",
            PrereqStatus::NotApplicable => "not_applicable",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        PrereqStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The status in `l` (满足, 不满足, ...).
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("takeover.prereq.{}", self.as_str()))
    }
}

/// A group of handed-over documents (seed 4.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentCategory {
    /// 产权资料.
    PropertyRights,
    /// 技术资料: as-built drawings, equipment lists, manuals.
    Technical,
    /// 声像资料.
    Audiovisual,
    /// 保修文件与使用说明.
    Warranty,
}

impl DocumentCategory {
    /// Every category, in display order.
    pub const ALL: [DocumentCategory; 4] = [
        DocumentCategory::PropertyRights,
        DocumentCategory::Technical,
        DocumentCategory::Audiovisual,
        DocumentCategory::Warranty,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentCategory::PropertyRights => "property_rights",
            DocumentCategory::Technical => "technical",
            DocumentCategory::Audiovisual => "audiovisual",
            DocumentCategory::Warranty => "warranty",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        DocumentCategory::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The category in `l`.
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("takeover.doc_category.{}", self.as_str()))
    }
}

/// The form a document was handed over in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentForm {
    /// 纸质.
    Paper,
    /// 电子.
    Electronic,
    /// 纸质 + 电子.
    Both,
}

impl DocumentForm {
    /// Every form.
    pub const ALL: [DocumentForm; 3] = [
        DocumentForm::Paper,
        DocumentForm::Electronic,
        DocumentForm::Both,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentForm::Paper => "paper",
            DocumentForm::Electronic => "electronic",
            DocumentForm::Both => "both",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        DocumentForm::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The form in `l`.
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("takeover.doc_form.{}", self.as_str()))
    }
}

/// The two sides of the joint team; each signs once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// 项目部 (the developer's project department).
    Developer,
    /// 物业公司 (the property company).
    Property,
}

impl Side {
    /// Both sides, developer first.
    pub const ALL: [Side; 2] = [Side::Developer, Side::Property];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Developer => "developer",
            Side::Property => "property",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Side::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The roles that sign for this side: project administrators and inspectors for the
    /// project department, property managers for the property company.
    pub fn signer_roles(self) -> &'static [Role] {
        match self {
            Side::Developer => &[Role::Admin, Role::Inspector],
            Side::Property => &[Role::Property],
        }
    }

    /// The side in `l` (项目部, 物业公司).
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("takeover.side.{}", self.as_str()))
    }
}

/// Who may change a takeover before it is sealed: both sides of the team.
pub const EDITORS: &[Role] = &[Role::Admin, Role::Inspector, Role::Property];

/// The two deadlines of a takeover, from the delivery start of its batch (seed 4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadlines {
    /// First day of the batch's delivery period.
    pub delivery_start: NaiveDate,
    /// Last day for finishing the inspection and the rectification (交付使用30日前完成查验和整改).
    pub inspection_due: NaiveDate,
    /// First day of the window for the takeover formalities (交付前一个月内).
    pub formalities_open: NaiveDate,
    /// Last day for the formalities and the handing over of service rooms and common parts: the
    /// day before delivery starts.
    pub formalities_due: NaiveDate,
}

impl Deadlines {
    /// The deadlines for a delivery starting on `start`, with the project's day counts.
    pub fn new(start: NaiveDate, inspection_days: u32, window_days: u32) -> Self {
        let before = |days: u32| {
            start
                .checked_sub_days(Days::new(days.into()))
                .unwrap_or(NaiveDate::MIN)
        };
        Deadlines {
            delivery_start: start,
            inspection_due: before(inspection_days),
            formalities_open: before(window_days),
            formalities_due: before(1),
        }
    }

    /// Whole days from `today` to `due` (0 on the day itself, negative once past).
    pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
        (due - today).num_days()
    }

    /// Whether the inspection-and-rectification deadline has passed on `today` (the due day
    /// itself still counts as in time).
    pub fn inspection_overdue(&self, today: NaiveDate) -> bool {
        today > self.inspection_due
    }

    /// Whether the formalities deadline has passed on `today`.
    pub fn formalities_overdue(&self, today: NaiveDate) -> bool {
        today > self.formalities_due
    }
}

/// One prerequisite line as the signing rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// Line id.
    pub id: Uuid,
    /// Its status.
    pub status: PrereqStatus,
}

/// Refuses a signature while a line is unchecked, or not met without the signer's reservation
/// on it. Returns the reservations that apply (lines not met), in line order.
pub fn check_signable(
    lines: &[Line],
    reservations: &HashMap<Uuid, String>,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let mut unchecked = Vec::new();
    let mut unreserved = Vec::new();
    let mut kept = Vec::new();
    for line in lines {
        match line.status {
            PrereqStatus::Pending => unchecked.push(line.id),
            PrereqStatus::NotMet => match reservations.get(&line.id).map(|r| r.trim()) {
                Some(r) if !r.is_empty() => kept.push((line.id, r.to_owned())),
                _ => unreserved.push(line.id),
            },
            PrereqStatus::Met | PrereqStatus::NotApplicable => {}
        }
    }
    if !unchecked.is_empty() {
        return Err(AppError::TakeoverUnchecked(unchecked));
    }
    if !unreserved.is_empty() {
        return Err(AppError::TakeoverUnmet(unreserved));
    }
    Ok(kept)
}

/// The canonical form of a JSON value: keys sorted at every level, no whitespace. The seal is
/// the SHA-256 of these bytes, so anyone can recompute it from the stored content.
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The seal of a canonical content: its SHA-256, lower-case hex.
pub fn seal_of(canonical: &str) -> String {
    format!("{:x}", Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn deadlines_count_back_from_the_delivery_start_and_the_due_day_is_in_time() {
        let d = Deadlines::new(day("2026-12-31"), 30, 30);
        assert_eq!(d.inspection_due, day("2026-12-01"));
        assert_eq!(d.formalities_open, day("2026-12-01"));
        assert_eq!(d.formalities_due, day("2026-12-30"));
        assert!(!d.inspection_overdue(day("2026-12-01")));
        assert!(d.inspection_overdue(day("2026-12-02")));
        assert!(!d.formalities_overdue(day("2026-12-30")));
        assert!(d.formalities_overdue(day("2026-12-31")));
        assert_eq!(Deadlines::days_left(d.inspection_due, day("2026-11-24")), 7);
        assert_eq!(Deadlines::days_left(d.inspection_due, day("2026-12-01")), 0);
        assert_eq!(
            Deadlines::days_left(d.inspection_due, day("2026-12-03")),
            -2
        );
        // The national 15 days, configured per project; across a month and a year boundary.
        let n = Deadlines::new(day("2027-01-10"), 15, 30);
        assert_eq!(n.inspection_due, day("2026-12-26"));
        assert_eq!(n.formalities_open, day("2026-12-11"));
    }

    #[test]
    fn signing_needs_every_line_checked_and_a_reservation_on_each_line_not_met() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let line = |id, status| Line { id, status };
        let mut lines = vec![
            line(a, PrereqStatus::Met),
            line(b, PrereqStatus::Pending),
            line(c, PrereqStatus::NotApplicable),
        ];
        let none = HashMap::new();
        assert!(matches!(
            check_signable(&lines, &none),
            Err(AppError::TakeoverUnchecked(ids)) if ids == vec![b]
        ));
        lines[1].status = PrereqStatus::NotMet;
        assert!(matches!(
            check_signable(&lines, &none),
            Err(AppError::TakeoverUnmet(ids)) if ids == vec![b]
        ));
        let blank = HashMap::from([(b, "  ".to_owned())]);
        assert!(check_signable(&lines, &blank).is_err());
        let reserved = HashMap::from([(b, " 消防验收意见书待补 ".to_owned()), (a, "x".into())]);
        let kept = check_signable(&lines, &reserved).unwrap();
        assert_eq!(kept, vec![(b, "消防验收意见书待补".to_owned())]);
        lines[1].status = PrereqStatus::Met;
        assert!(check_signable(&lines, &none).unwrap().is_empty());
    }

    #[test]
    fn the_canonical_form_sorts_keys_so_the_seal_ignores_key_order() {
        let one: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,"二"],"x":null}}"#).unwrap();
        let two: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,"二"]},"b":1}"#).unwrap();
        assert_eq!(
            canonical_json(&one),
            r#"{"a":{"x":null,"y":[1,"二"]},"b":1}"#
        );
        assert_eq!(
            seal_of(&canonical_json(&one)),
            seal_of(&canonical_json(&two))
        );
        let changed: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,"三"]},"b":1}"#).unwrap();
        assert_ne!(
            seal_of(&canonical_json(&one)),
            seal_of(&canonical_json(&changed))
        );
        assert_eq!(seal_of("").len(), 64);
    }
}
