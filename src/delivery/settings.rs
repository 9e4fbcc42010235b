//! A project's handover-day lists — handover conditions (收楼条件), keys, documents handed,
//! survey dimensions — and how long a customer link lives. Built-in entries carry a code and
//! take their name from the catalog (so they read right in both languages); a project's own
//! entries carry the name they were given.

use serde::{Deserialize, Serialize};

use uuid::Uuid;

use crate::error::{AppError, Check};
use crate::i18n::Locale;

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable code (`payment`, or the project's own, e.g. `parking_contract`).
    pub code: String,
    /// Name as the project wrote it; empty for a built-in entry (named by the catalog).
    #[serde(default)]
    pub title: String,
}

impl Entry {
    fn builtin(code: &str) -> Entry {
        Entry {
            code: code.to_owned(),
            title: String::new(),
        }
    }

    /// The entry's name in `l`: its own title, or the catalog's name of the built-in code
    /// (`kind` is `condition`, `key`, `document` or `survey`).
    pub fn label(&self, l: Locale, kind: &str) -> String {
        if self.title.is_empty() {
            l.t(&format!("delivery.{kind}.{}", self.code)).to_owned()
        } else {
            self.title.clone()
        }
    }
}

/// The handover-day settings of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Handover conditions checked at the desk.
    pub conditions: Vec<Entry>,
    /// Kinds of keys handed.
    pub keys: Vec<Entry>,
    /// Documents handed.
    pub documents: Vec<Entry>,
    /// Survey dimensions, each rated 1–5 stars.
    pub survey: Vec<Entry>,
    /// Days a customer link lives.
    pub link_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let list = |codes: &[&str]| codes.iter().map(|c| Entry::builtin(c)).collect();
        Settings {
            conditions: list(&[
                "payment",
                "maintenance_fund",
                "identity",
                "property_contract",
            ]),
            keys: list(&["door", "mailbox", "access_card"]),
            documents: list(&["quality_guarantee", "user_manual"]),
            survey: list(&["process", "quality", "service", "rectification"]),
            link_days: 180,
        }
    }
}

/// Longest list.
const MAX_ENTRIES: usize = 30;

impl Settings {
    /// Parses stored settings; anything unreadable falls back to the defaults.
    pub fn parse(json: Option<&str>) -> Settings {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }

    /// Checks the lists: codes short, unique and plain; names short; a link of 1–3650 days.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut check = Check::default()
            .when(
                !(1..=3650).contains(&self.link_days),
                "link_days",
                "out_of_range",
            )
            .when(self.survey.is_empty(), "survey", "required");
        for (field, list) in [
            ("conditions", &self.conditions),
            ("keys", &self.keys),
            ("documents", &self.documents),
            ("survey", &self.survey),
        ] {
            let mut codes: Vec<&str> = list.iter().map(|e| e.code.as_str()).collect();
            codes.sort_unstable();
            let unique = codes.windows(2).all(|w| w[0] != w[1]);
            let plain = list.iter().all(|e| {
                (1..=40).contains(&e.code.len())
                    && e.code
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            let titles_ok = list.iter().all(|e| e.title.chars().count() <= 50);
            check = check
                .when(list.len() > MAX_ENTRIES, field, "too_long")
                .when(!unique, field, "duplicate")
                .when(!plain, field, "invalid")
                .when(!titles_ok, field, "too_long");
        }
        check.done()
    }
}

/// The four lists by their field name and their catalog kind, in the order pages show them.
pub const LISTS: [(&str, &str); 4] = [
    ("conditions", "condition"),
    ("keys", "key"),
    ("documents", "document"),
    ("survey", "survey"),
];

impl Settings {
    /// The list called `field` (one of [`LISTS`]).
    pub fn list(&self, field: &str) -> &[Entry] {
        match field {
            "conditions" => &self.conditions,
            "keys" => &self.keys,
            "documents" => &self.documents,
            _ => &self.survey,
        }
    }

    /// The names of the list `field` in `l`, one per line, as the administration page edits it.
    pub fn lines(&self, field: &str, l: Locale) -> String {
        let kind = kind_of(field);
        let names: Vec<String> = self.list(field).iter().map(|e| e.label(l, kind)).collect();
        names.join("\n")
    }

    /// These settings as edited on the administration page: `text(field)` gives each list, one
    /// name per line, and `link_days` the link's life. A line naming one of the list's entries
    /// or a built-in one (in `l`, or by its code) keeps that entry and its code, so what was
    /// recorded under it still counts; any other line is a new entry of the project's own, with
    /// a fresh code never given before. Blank and repeated lines are dropped.
    pub fn edited(
        &self,
        l: Locale,
        text: impl Fn(&str) -> String,
        link_days: &str,
    ) -> Result<Settings, AppError> {
        let link_days = link_days
            .trim()
            .parse()
            .map_err(|_| AppError::field("link_days", "invalid"))?;
        let list = |field| self.edited_list(field, &text(field), l);
        Ok(Settings {
            conditions: list("conditions"),
            keys: list("keys"),
            documents: list("documents"),
            survey: list("survey"),
            link_days,
        })
    }

    fn edited_list(&self, field: &str, text: &str, l: Locale) -> Vec<Entry> {
        let kind = kind_of(field);
        let builtins = Settings::default();
        let known: Vec<&Entry> = self
            .list(field)
            .iter()
            .chain(builtins.list(field))
            .collect();
        let mut out: Vec<Entry> = Vec::new();
        for name in text.lines().map(str::trim).filter(|n| !n.is_empty()) {
            let entry = known
                .iter()
                .find(|e| e.code == name || e.label(l, kind) == name)
                .map(|e| (*e).clone())
                .unwrap_or_else(|| Entry {
                    code: format!("own-{}", &Uuid::new_v4().simple().to_string()[..12]),
                    title: name.to_owned(),
                });
            if !out.iter().any(|e| e.code == entry.code) {
                out.push(entry);
            }
        }
        out
    }
}

/// The catalog kind of the list `field`.
fn kind_of(field: &str) -> &'static str {
    LISTS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("survey", |(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_named_in_both_languages_and_valid() {
        let s = Settings::default();
        s.validate().unwrap();
        for (kind, list) in [
            ("condition", &s.conditions),
            ("key", &s.keys),
            ("document", &s.documents),
            ("survey", &s.survey),
        ] {
            for e in list {
                for l in [Locale::ZhCn, Locale::En] {
                    assert!(!e.label(l, kind).is_empty(), "{kind} {}", e.code);
                }
            }
        }
        assert_eq!(
            s.conditions[0].label(Locale::ZhCn, "condition"),
            "购房款结清"
        );
        assert_eq!(Settings::parse(Some("not json")), s);
    }

    #[test]
    fn edited_lines_keep_known_codes_and_give_new_names_fresh_ones() {
        let mut s = Settings::default();
        s.documents.push(Entry {
            code: "own-parking".into(),
            title: "车位使用协议".into(),
        });
        s.conditions.remove(2);
        let text = |field: &str| match field {
            "conditions" => "购房款结清\n\n 身份核验 \n车位合同\n购房款结清".to_owned(),
            "documents" => "车位使用协议\nquality_guarantee".to_owned(),
            other => s.lines(other, Locale::ZhCn),
        };
        let e = s.edited(Locale::ZhCn, text, " 30 ").unwrap();
        let codes = |list: &[Entry]| list.iter().map(|e| e.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(&e.conditions)[..2], ["payment", "identity"]);
        assert_eq!(e.conditions.len(), 3);
        assert!(e.conditions[2].code.starts_with("own-"));
        assert_eq!(e.conditions[2].title, "车位合同");
        assert_eq!(codes(&e.documents), ["own-parking", "quality_guarantee"]);
        assert_eq!(e.keys, s.keys);
        assert_eq!(e.survey, s.survey);
        assert_eq!(e.link_days, 30);
        e.validate().unwrap();
        let again = e
            .edited(Locale::ZhCn, |f| e.lines(f, Locale::ZhCn), "30")
            .unwrap();
        assert_eq!(again, e);
        assert!(
            s.edited(Locale::ZhCn, |f| s.lines(f, Locale::ZhCn), "a week")
                .is_err()
        );
    }

    #[test]
    fn duplicate_or_odd_codes_and_silly_link_days_are_refused() {
        let mut s = Settings::default();
        s.keys.push(Entry::builtin("door"));
        assert!(s.validate().is_err());
        let mut s = Settings::default();
        s.documents.push(Entry {
            code: "车位 合同".into(),
            title: "车位合同".into(),
        });
        assert!(s.validate().is_err());
        let s = Settings {
            link_days: 0,
            ..Settings::default()
        };
        assert!(s.validate().is_err());
    }
}
