//! A project's handover-day lists — handover conditions (收楼条件), keys, documents handed,
//! survey dimensions — and how long a customer link lives. Built-in entries carry a code and
//! take their name from the catalog (so they read right in both languages); a project's own
//! entries carry the name they were given.

use serde::{Deserialize, Serialize};

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
