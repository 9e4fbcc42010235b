//! Checklist templates (验收检查表): trades, item definitions, measured items with their
//! tolerance and the rule that judges them, versions, and the editing of an item list.
//!
//! A template's items live in immutable versions: every edit writes a new version, so an
//! inspection keeps the exact items it ran. The shipped defaults (分户验收 of a 毛坯 unit and
//! 公区承接查验) and the phrase library are data files next to this module; see
//! `../shared/CHECKLIST-SOURCES.md` for where each item and tolerance comes from.

pub mod api;
mod items;
pub mod pages;
pub mod repo;
mod spec;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use items::{
    Edit, Item, ItemDef, ItemInput, ItemKind, KindName, MAX_ITEMS, TemplateVersion, validate_items,
};
pub use spec::{Judgement, MAX_POINTS, MeasuredSpec, UNITS, num};

use crate::error::{AppError, Check};
use crate::i18n::Locale;

/// A trade (专业): what a checklist item or a defect belongs to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Trade {
    /// 土建: structure, plaster, screed.
    Civil,
    /// 门窗: doors, windows, guarding.
    DoorsWindows,
    /// 给排水: water supply and drainage.
    Plumbing,
    /// 电气: power, lighting, low voltage.
    Electrical,
    /// 防水: waterproofing.
    Waterproofing,
    /// 公区: common areas and shared facilities.
    Common,
}

impl Trade {
    /// Every trade, in display order.
    pub const ALL: [Trade; 6] = [
        Trade::Civil,
        Trade::DoorsWindows,
        Trade::Plumbing,
        Trade::Electrical,
        Trade::Waterproofing,
        Trade::Common,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trade::Civil => "civil",
            Trade::DoorsWindows => "doors_windows",
            Trade::Plumbing => "plumbing",
            Trade::Electrical => "electrical",
            Trade::Waterproofing => "waterproofing",
            Trade::Common => "common",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Trade::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The trade's name in `locale` (土建, Civil works, ...).
    pub fn label(self, locale: Locale) -> &'static str {
        locale.t(&format!("trade.{}", self.as_str()))
    }
}

/// What a project runs a template for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Unit inspections (分户验收, 一户一验).
    #[default]
    Unit,
    /// Common-area inspections (公区查验).
    CommonArea,
}

impl Scope {
    /// Both scopes, units first.
    pub const ALL: [Scope; 2] = [Scope::Unit, Scope::CommonArea];

    /// The wire and form name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Unit => "unit",
            Scope::CommonArea => "common_area",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// "Used for unit inspections" in `locale`.
    pub fn in_use_label(self, locale: Locale) -> &'static str {
        locale.t(&format!("checklists.in_use.{}", self.as_str()))
    }

    /// "Use for this project's unit inspections" in `locale`.
    pub fn select_label(self, locale: Locale) -> &'static str {
        locale.t(&format!("checklists.select.{}", self.as_str()))
    }
}

/// How sure the source of an item's tolerance is (see CHECKLIST-SOURCES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The clause was seen verbatim with its number.
    High,
    /// A secondary page quotes it, or the edition or clause number is uncertain.
    Medium,
    /// Company practice or a weak source: 待核实, verify before relying on it.
    Low,
}

impl Confidence {
    /// Every level, strongest first.
    pub const ALL: [Confidence; 3] = [Confidence::High, Confidence::Medium, Confidence::Low];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Confidence::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The level's name in `locale` (low is 待核实).
    pub fn label(self, locale: Locale) -> &'static str {
        locale.t(&format!("confidence.{}", self.as_str()))
    }
}

/// The note of a version: written by the service in a language-neutral form and shown in the
/// reader's language, or free text typed by an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Shipped data with its fingerprint.
    Shipped(String),
    /// Copied from version `.0` of template `.1`.
    CopiedFrom(i32, String),
    /// Item `.0` edited.
    Edited(String),
    /// Item `.0` added.
    Added(String),
    /// Item `.0` removed.
    Removed(String),
    /// Free text.
    Text(String),
}

impl Note {
    /// The stored form.
    pub fn encode(&self) -> String {
        match self {
            Note::Shipped(fp) => format!("shipped:{fp}"),
            Note::CopiedFrom(v, name) => format!("copied_from:{v}:{name}"),
            Note::Edited(n) => format!("edited:{n}"),
            Note::Added(n) => format!("added:{n}"),
            Note::Removed(n) => format!("removed:{n}"),
            Note::Text(t) => t.clone(),
        }
    }

    /// Reads a stored note.
    pub fn decode(s: &str) -> Note {
        let Some((tag, rest)) = s.split_once(':') else {
            return Note::Text(s.to_owned());
        };
        match tag {
            "shipped" => Note::Shipped(rest.to_owned()),
            "copied_from" => match rest.split_once(':') {
                Some((v, name)) if v.parse::<i32>().is_ok() => {
                    Note::CopiedFrom(v.parse().unwrap_or_default(), name.to_owned())
                }
                _ => Note::Text(s.to_owned()),
            },
            "edited" => Note::Edited(rest.to_owned()),
            "added" => Note::Added(rest.to_owned()),
            "removed" => Note::Removed(rest.to_owned()),
            _ => Note::Text(s.to_owned()),
        }
    }

    /// The note in `l`.
    pub fn show(&self, l: Locale) -> String {
        match self {
            Note::Shipped(_) => l.t("checklists.note_shipped").to_owned(),
            Note::CopiedFrom(v, name) => l.fmt(
                "checklists.note_copied",
                &[("version", &v.to_string()), ("name", name)],
            ),
            Note::Edited(n) => l.fmt1("checklists.note_edited", "name", n),
            Note::Added(n) => l.fmt1("checklists.note_added", "name", n),
            Note::Removed(n) => l.fmt1("checklists.note_removed", "name", n),
            Note::Text(t) => t.clone(),
        }
    }
}

/// A phrase of the library (常用问题描述).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Phrase {
    /// Id.
    pub id: Uuid,
    /// Trade.
    pub trade: Trade,
    /// The description.
    pub text: String,
    /// Whether it ships with the product (read-only) rather than belonging to the project.
    pub shipped: bool,
}

/// A shipped template as stored in `default_unit.json` / `default_common.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippedTemplate {
    /// Template name.
    pub name: String,
    /// Items in order.
    pub items: Vec<ItemInput>,
}

/// The shipped 分户验收 template data.
pub const DEFAULT_UNIT_JSON: &str = include_str!("default_unit.json");
/// The shipped 公区承接查验 template data.
pub const DEFAULT_COMMON_JSON: &str = include_str!("default_common.json");
/// The shipped phrase library, by trade.
pub const PHRASES_JSON: &str = include_str!("phrases.json");

/// Parses and validates a shipped template (a broken data file fails loudly at start).
pub fn shipped_template(json: &str) -> anyhow::Result<(String, Vec<ItemDef>)> {
    let t: ShippedTemplate = serde_json::from_str(json)?;
    let items = validate_items(t.items).map_err(|e| match e {
        AppError::Invalid(fields) => anyhow::anyhow!("invalid shipped checklist: {fields:?}"),
        e => anyhow::anyhow!("invalid shipped checklist: {e}"),
    })?;
    Ok((t.name, items))
}

/// Parses the shipped phrase library: `(trade, text)` in trade order, then file order.
pub fn shipped_phrases() -> anyhow::Result<Vec<(Trade, String)>> {
    let mut by_trade: std::collections::HashMap<String, Vec<String>> =
        serde_json::from_str(PHRASES_JSON)?;
    let mut out = Vec::new();
    for trade in Trade::ALL {
        let texts = by_trade.remove(trade.as_str()).unwrap_or_default();
        out.extend(texts.into_iter().map(|t| (trade, t)));
    }
    anyhow::ensure!(
        by_trade.is_empty(),
        "unknown trades in phrases.json: {:?}",
        by_trade.keys()
    );
    Ok(out)
}

/// Checks a new project phrase.
pub fn check_phrase(text: &str) -> Result<(), AppError> {
    Check::default().text("text", text, 100).done()
}
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn notes_round_trip_and_show_in_both_languages() {
        for n in [
            Note::Shipped("abc".into()),
            Note::CopiedFrom(3, "分户验收：默认".into()),
            Note::Edited("墙面".into()),
            Note::Added("x".into()),
            Note::Removed("y".into()),
            Note::Text("整改后复核".into()),
        ] {
            assert_eq!(Note::decode(&n.encode()), n);
            assert!(!n.show(Locale::En).is_empty());
        }
        assert_eq!(
            Note::decode("copied_from:x:y"),
            Note::Text("copied_from:x:y".into())
        );
        assert!(
            Note::CopiedFrom(2, "T".into())
                .show(Locale::ZhCn)
                .contains('2')
        );
    }

    #[test]
    fn trades_and_confidences_round_trip_with_labels() {
        for t in Trade::ALL {
            assert_eq!(Trade::parse(t.as_str()), Some(t));
            assert_ne!(t.label(Locale::ZhCn), t.label(Locale::En));
            assert!(!t.label(Locale::En).is_empty());
            let wire = serde_json::to_string(&t).unwrap();
            assert_eq!(wire, format!("\"{}\"", t.as_str()));
        }
        assert_eq!(Trade::Civil.label(Locale::ZhCn), "土建");
        assert_eq!(Trade::parse("roof"), None);
        for c in Confidence::ALL {
            assert_eq!(Confidence::parse(c.as_str()), Some(c));
            assert!(!c.label(Locale::En).is_empty());
        }
        assert_eq!(Confidence::Low.label(Locale::ZhCn), "待核实");
    }

    #[test]
    fn shipped_data_is_valid_and_cited() {
        for json in [DEFAULT_UNIT_JSON, DEFAULT_COMMON_JSON] {
            let (name, items) = shipped_template(json).unwrap();
            assert!(!name.is_empty());
            assert!(items.len() >= 15, "{name}: {}", items.len());
            for i in &items {
                match i.confidence {
                    Some(Confidence::High | Confidence::Medium) => {
                        assert!(!i.standard.is_empty(), "{} lacks its standard", i.name)
                    }
                    Some(Confidence::Low) => assert!(i.name.contains("待核实"), "{}", i.name),
                    None => assert!(i.kind == ItemKind::PassFail, "{}", i.name),
                }
                if let ItemKind::Measured(s) = &i.kind {
                    let absolute = s.pass_rate == 1.0 && s.max_factor == 1.0;
                    let general = s.pass_rate == 0.8 && s.max_factor == 1.5;
                    assert!(absolute || general, "{}: {s:?}", i.name);
                }
            }
        }
        let (_, unit) = shipped_template(DEFAULT_UNIT_JSON).unwrap();
        let plaster = unit
            .iter()
            .find(|i| i.name.contains("墙面表面平整度"))
            .unwrap();
        assert_eq!(plaster.standard, "GB 50210-2018 表4.2.10");
        assert_eq!(plaster.kind.spec().unwrap().upper, Some(4.0));
        let phrases = shipped_phrases().unwrap();
        for t in Trade::ALL {
            let n = phrases.iter().filter(|(pt, _)| *pt == t).count();
            assert!((8..=15).contains(&n), "{t:?}: {n}");
        }
    }
}
