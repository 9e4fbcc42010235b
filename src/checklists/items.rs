//! Item definitions: their kinds, the flat form the API and the data files use, validation
//! of a whole list with field paths, versions, and the edits the template page makes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Confidence, MeasuredSpec, Note, Trade};
use crate::error::{AppError, Check};

/// Most items one version may have.
pub const MAX_ITEMS: usize = 300;

/// What kind of check an item is.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// 合格/不合格 by observation or test.
    PassFail,
    /// A value measured at several points, judged against a tolerance.
    Measured(MeasuredSpec),
}

impl ItemKind {
    /// The stored and wire name (`pass_fail`, `measured`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ItemKind::PassFail => "pass_fail",
            ItemKind::Measured(_) => "measured",
        }
    }

    /// The spec of a measured item.
    pub fn spec(&self) -> Option<&MeasuredSpec> {
        match self {
            ItemKind::PassFail => None,
            ItemKind::Measured(s) => Some(s),
        }
    }
}

/// One checklist item as defined, without its place in a version.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDef {
    /// Trade.
    pub trade: Trade,
    /// Room or part of the building where it is checked (每个房间, 卫生间, 外窗 ...).
    pub room: String,
    /// Finer location (墙面, 顶棚, 地面), may be empty.
    pub part: String,
    /// What is checked.
    pub name: String,
    /// Pass/fail or measured with its spec.
    pub kind: ItemKind,
    /// Tool (2 m 靠尺 + 塞尺).
    pub tool: String,
    /// How to check, points and notes.
    pub method: String,
    /// Standard and clause (GB 50210-2018 表4.2.10); empty for functional checks.
    pub standard: String,
    /// How sure the source is; `None` for functional checks with no number.
    pub confidence: Option<Confidence>,
}

/// One item of a stored version.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Id (unique to this version: an edit copies items under new ids).
    pub id: Uuid,
    /// 1-based order in the version.
    pub position: i32,
    /// The definition.
    pub def: ItemDef,
}

/// One immutable version of a template with its items, by position.
#[derive(Debug, Clone)]
pub struct TemplateVersion {
    /// Version id (what an inspection stores).
    pub id: Uuid,
    /// Template id.
    pub template_id: Uuid,
    /// Template name.
    pub template_name: String,
    /// Owning project; `None` for a shipped template.
    pub project_id: Option<Uuid>,
    /// Version number, from 1.
    pub version: i32,
    /// What changed (see [`Note`]).
    pub note: String,
    /// Who wrote it; `None` for shipped data.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Items by position.
    pub items: Vec<Item>,
}

impl TemplateVersion {
    /// The item `id` of this version.
    pub fn item(&self, id: Uuid) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The definitions of the items, in order (the start of an edit).
    pub fn defs(&self) -> Vec<ItemDef> {
        self.items.iter().map(|i| i.def.clone()).collect()
    }
}

/// An item as sent and received over the API: flat, like its table row. Unknown fields (such
/// as the `id` and `position` of a version read back) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// Trade.
    pub trade: Trade,
    /// Room or part of the building (每个房间, 卫生间 ...).
    pub room: String,
    /// Finer location; may be empty.
    #[serde(default)]
    pub part: String,
    /// What is checked (≤ 200 characters).
    pub name: String,
    /// `pass_fail` or `measured`.
    pub kind: KindName,
    /// Measured: unit, one of mm, m, MPa, ‰, N, mA, s, %.
    #[serde(default)]
    pub unit: Option<String>,
    /// Measured: lower bound (at least one bound).
    #[serde(default)]
    pub lower: Option<f64>,
    /// Measured: upper bound.
    #[serde(default)]
    pub upper: Option<f64>,
    /// Measured: points, 1..=50.
    #[serde(default)]
    pub points: Option<u32>,
    /// Measured: share of points within tolerance to pass, `0 < rate ≤ 1`.
    #[serde(default)]
    pub pass_rate: Option<f64>,
    /// Measured: no point beyond this multiple of the tolerance, `≥ 1`.
    #[serde(default)]
    pub max_factor: Option<f64>,
    /// Tool.
    #[serde(default)]
    pub tool: String,
    /// Method and notes.
    #[serde(default)]
    pub method: String,
    /// Standard and clause.
    #[serde(default)]
    pub standard: String,
    /// Confidence of the source.
    #[serde(default)]
    pub confidence: Option<Confidence>,
}

/// The two kinds of item, by wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    /// 合格/不合格.
    PassFail,
    /// Measured against a tolerance.
    Measured,
}

impl ItemInput {
    /// Checks the item; fields are named `{prefix}name`, `{prefix}upper`, ...
    pub fn check(&self, prefix: &str, c: Check) -> Check {
        let f = |name: &str| format!("{prefix}{name}");
        let mut c = c
            .text(&f("name"), &self.name, 200)
            .text(&f("room"), &self.room, 50)
            .when(self.part.chars().count() > 50, &f("part"), "too_long")
            .when(self.tool.chars().count() > 100, &f("tool"), "too_long")
            .when(self.method.chars().count() > 1000, &f("method"), "too_long")
            .when(
                self.standard.chars().count() > 200,
                &f("standard"),
                "too_long",
            );
        match self.kind {
            KindName::Measured => {
                c = c
                    .when(self.unit.is_none(), &f("unit"), "required")
                    .when(self.points.is_none(), &f("points"), "required")
                    .when(self.pass_rate.is_none(), &f("pass_rate"), "required")
                    .when(self.max_factor.is_none(), &f("max_factor"), "required");
                if let Some(spec) = self.spec() {
                    c = spec.check(prefix, c);
                }
                c
            }
            KindName::PassFail => {
                let extra = [
                    ("unit", self.unit.is_some()),
                    ("lower", self.lower.is_some()),
                    ("upper", self.upper.is_some()),
                    ("points", self.points.is_some()),
                    ("pass_rate", self.pass_rate.is_some()),
                    ("max_factor", self.max_factor.is_some()),
                ];
                extra.into_iter().fold(c, |c, (name, given)| {
                    c.when(given, &f(name), "not_measured")
                })
            }
        }
    }

    /// The measured spec, when every part of it was given.
    fn spec(&self) -> Option<MeasuredSpec> {
        Some(MeasuredSpec {
            unit: self.unit.as_deref()?.trim().to_owned(),
            lower: self.lower,
            upper: self.upper,
            points: self.points?,
            pass_rate: self.pass_rate?,
            max_factor: self.max_factor?,
        })
    }

    /// The item as a definition (after [`ItemInput::check`] passed).
    fn into_def(self) -> ItemDef {
        let kind = match (self.kind, self.spec()) {
            (KindName::Measured, Some(spec)) => ItemKind::Measured(spec),
            _ => ItemKind::PassFail,
        };
        ItemDef {
            trade: self.trade,
            room: self.room.trim().to_owned(),
            part: self.part.trim().to_owned(),
            name: self.name.trim().to_owned(),
            kind,
            tool: self.tool.trim().to_owned(),
            method: self.method.trim().to_owned(),
            standard: self.standard.trim().to_owned(),
            confidence: self.confidence,
        }
    }

    /// Validates one item on its own (a page form): fields without prefix.
    pub fn validate(self) -> Result<ItemDef, AppError> {
        self.check("", Check::default()).done()?;
        Ok(self.into_def())
    }
}

impl From<&ItemDef> for ItemInput {
    fn from(d: &ItemDef) -> Self {
        let spec = d.kind.spec();
        ItemInput {
            trade: d.trade,
            room: d.room.clone(),
            part: d.part.clone(),
            name: d.name.clone(),
            kind: match d.kind {
                ItemKind::PassFail => KindName::PassFail,
                ItemKind::Measured(_) => KindName::Measured,
            },
            unit: spec.map(|s| s.unit.clone()),
            lower: spec.and_then(|s| s.lower),
            upper: spec.and_then(|s| s.upper),
            points: spec.map(|s| s.points),
            pass_rate: spec.map(|s| s.pass_rate),
            max_factor: spec.map(|s| s.max_factor),
            tool: d.tool.clone(),
            method: d.method.clone(),
            standard: d.standard.clone(),
            confidence: d.confidence,
        }
    }
}

/// Validates a whole item list (a new version): every bad field of every item is reported as
/// `items[3].upper` (0-based), all at once.
pub fn validate_items(items: Vec<ItemInput>) -> Result<Vec<ItemDef>, AppError> {
    let c = Check::default()
        .when(items.is_empty(), "items", "required")
        .when(items.len() > MAX_ITEMS, "items", "too_long");
    items
        .iter()
        .enumerate()
        .fold(c, |c, (i, item)| item.check(&format!("items[{i}]."), c))
        .done()?;
    Ok(items.into_iter().map(ItemInput::into_def).collect())
}

/// One change of an item list, as the template page makes it.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Replace the item at this 0-based index.
    Replace(usize, ItemDef),
    /// Add an item next to the others of its trade and room.
    Add(ItemDef),
    /// Remove the item at this 0-based index.
    Remove(usize),
}

impl Edit {
    /// The list after the edit; an index past the end is `NotFound`. Removing the last item
    /// is refused: a version has at least one.
    pub fn apply(self, mut items: Vec<ItemDef>) -> Result<Vec<ItemDef>, AppError> {
        match self {
            Edit::Replace(i, def) => *items.get_mut(i).ok_or(AppError::NotFound)? = def,
            Edit::Add(def) => {
                let at = insert_position(&items, &def);
                items.insert(at, def);
            }
            Edit::Remove(i) => {
                if i >= items.len() {
                    return Err(AppError::NotFound);
                }
                if items.len() == 1 {
                    return Err(AppError::field("items", "required"));
                }
                items.remove(i);
            }
        }
        Ok(items)
    }

    /// The note stored with the version this edit writes.
    pub fn note(&self, before: &[ItemDef]) -> Note {
        match self {
            Edit::Replace(_, def) => Note::Edited(def.name.clone()),
            Edit::Add(def) => Note::Added(def.name.clone()),
            Edit::Remove(i) => {
                Note::Removed(before.get(*i).map(|d| d.name.clone()).unwrap_or_default())
            }
        }
    }
}

/// Where a new item goes: after the last item of the same trade and room, else after the last
/// of its trade, else at the end.
fn insert_position(items: &[ItemDef], def: &ItemDef) -> usize {
    let after = |same: &dyn Fn(&ItemDef) -> bool| items.iter().rposition(same).map(|i| i + 1);
    after(&|d| d.trade == def.trade && d.room == def.room)
        .or_else(|| after(&|d| d.trade == def.trade))
        .unwrap_or(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklists::UNITS;

    fn measured_input() -> ItemInput {
        ItemInput {
            trade: Trade::Civil,
            room: "每个房间".into(),
            part: "墙面".into(),
            name: "墙面表面平整度".into(),
            kind: KindName::Measured,
            unit: Some("mm".into()),
            lower: None,
            upper: Some(4.0),
            points: Some(4),
            pass_rate: Some(0.8),
            max_factor: Some(1.5),
            tool: String::new(),
            method: String::new(),
            standard: "GB 50210-2018 表4.2.10".into(),
            confidence: Some(Confidence::High),
        }
    }

    fn fields(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Invalid(f) => f.into_iter().map(|f| (f.field, f.code)).collect(),
            e => panic!("not invalid: {e}"),
        }
    }

    #[test]
    fn item_validation_names_each_bad_field() {
        assert!(measured_input().validate().is_ok());
        let bad = ItemInput {
            name: " ".into(),
            unit: Some("cm".into()),
            lower: Some(5.0),
            upper: Some(4.0),
            points: Some(0),
            pass_rate: Some(0.0),
            max_factor: Some(0.9),
            ..measured_input()
        };
        let got = fields(bad.validate().unwrap_err());
        for want in [
            ("name", "required"),
            ("unit", "invalid"),
            ("lower", "lower_above_upper"),
            ("points", "out_of_range"),
            ("pass_rate", "out_of_range"),
            ("max_factor", "out_of_range"),
        ] {
            assert!(
                got.contains(&(want.0.into(), want.1)),
                "{want:?} in {got:?}"
            );
        }
        let no_bound = ItemInput {
            upper: None,
            pass_rate: Some(1.2),
            ..measured_input()
        };
        let got = fields(no_bound.validate().unwrap_err());
        assert!(got.contains(&("upper".into(), "bound_required")));
        assert!(got.contains(&("pass_rate".into(), "out_of_range")));
        let long = ItemInput {
            name: "很".repeat(201),
            upper: Some(f64::NAN),
            points: Some(51),
            ..measured_input()
        };
        let got = fields(long.validate().unwrap_err());
        assert!(got.contains(&("name".into(), "too_long")));
        assert!(got.contains(&("upper".into(), "invalid")));
        assert!(got.contains(&("points".into(), "out_of_range")));
        assert!(
            ItemInput {
                name: "很".repeat(200),
                ..measured_input()
            }
            .validate()
            .is_ok()
        );
        let all_units_ok = UNITS.iter().all(|u| {
            ItemInput {
                unit: Some((*u).into()),
                ..measured_input()
            }
            .validate()
            .is_ok()
        });
        assert!(all_units_ok);
        let missing = ItemInput {
            unit: None,
            points: None,
            ..measured_input()
        };
        let got = fields(missing.validate().unwrap_err());
        assert!(got.contains(&("unit".into(), "required")));
        assert!(got.contains(&("points".into(), "required")));
    }

    #[test]
    fn pass_fail_items_carry_no_measurement() {
        let pf = ItemInput {
            kind: KindName::PassFail,
            unit: None,
            upper: None,
            points: None,
            pass_rate: None,
            max_factor: None,
            ..measured_input()
        };
        assert_eq!(pf.clone().validate().unwrap().kind, ItemKind::PassFail);
        let got = fields(
            ItemInput {
                upper: Some(3.0),
                ..pf
            }
            .validate()
            .unwrap_err(),
        );
        assert_eq!(got, [("upper".to_owned(), "not_measured")]);
    }

    #[test]
    fn list_validation_prefixes_fields_with_the_item_index() {
        let items = vec![
            measured_input(),
            measured_input(),
            ItemInput {
                upper: Some(-1.0),
                lower: Some(1.0),
                ..measured_input()
            },
        ];
        let got = fields(validate_items(items).unwrap_err());
        assert_eq!(got, [("items[2].lower".to_owned(), "lower_above_upper")]);
        let got = fields(validate_items(vec![]).unwrap_err());
        assert_eq!(got, [("items".to_owned(), "required")]);
        let round = validate_items(vec![measured_input()]).unwrap();
        assert_eq!(ItemInput::from(&round[0]), measured_input());
    }

    #[test]
    fn edits_add_next_to_their_group_and_name_themselves() {
        let def = |trade, room: &str, name: &str| ItemDef {
            trade,
            room: room.into(),
            part: String::new(),
            name: name.into(),
            kind: ItemKind::PassFail,
            tool: String::new(),
            method: String::new(),
            standard: String::new(),
            confidence: None,
        };
        let items = vec![
            def(Trade::Civil, "卧室", "a"),
            def(Trade::Civil, "卫生间", "b"),
            def(Trade::Electrical, "每个房间", "c"),
        ];
        let added = Edit::Add(def(Trade::Civil, "卧室", "new"));
        assert_eq!(added.note(&items), Note::Added("new".into()));
        let after = added.apply(items.clone()).unwrap();
        assert_eq!(after[1].name, "new");
        let after = Edit::Add(def(Trade::Civil, "阳台", "n2"))
            .apply(items.clone())
            .unwrap();
        assert_eq!(after[2].name, "n2");
        let after = Edit::Add(def(Trade::Common, "大堂", "n3"))
            .apply(items.clone())
            .unwrap();
        assert_eq!(after[3].name, "n3");
        let removed = Edit::Remove(1);
        assert_eq!(removed.note(&items), Note::Removed("b".into()));
        assert_eq!(removed.apply(items.clone()).unwrap().len(), 2);
        assert!(matches!(
            Edit::Remove(3).apply(items.clone()),
            Err(AppError::NotFound)
        ));
        assert!(Edit::Remove(0).apply(vec![items[0].clone()]).is_err());
        let replaced = Edit::Replace(2, def(Trade::Electrical, "厨房", "c2"))
            .apply(items)
            .unwrap();
        assert_eq!(replaced[2].room, "厨房");
    }
}
