//! Handover day (集中交付), stage 2 of acceptance (DOMAIN.md "Stage 2"): appointments in time
//! slots, the customer's handover conditions (收楼条件), check-in at the desk, the visit — the
//! accompanied walkthrough with the customer's issues judged reasonable (合理) or not, meter
//! readings, keys and documents handed — and its outcome: accepted (收楼, signed), refused
//! (拒收, with a reason) or only looked (只看房不收楼).
//!
//! A reasonable issue becomes a rectification item: a defect of stage `customer` that goes
//! through the stage-1 lifecycle. A unit is delivered at the time of its accepted signature,
//! once (a partial unique index enforces it).

pub mod api;
pub mod board;
pub mod complaints;
pub mod customer;
pub mod import;
pub mod pages;
pub mod repo;
pub mod settings;
pub mod sheet;
pub mod synthetic;

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// How a visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 收楼: the customer signed acceptance.
    Accepted,
    /// 拒收: the customer refused, with a reason.
    Refused,
    /// 只看房不收楼: the customer only looked.
    OnlyLooked,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 3] = [Outcome::Accepted, Outcome::Refused, Outcome::OnlyLooked];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::OnlyLooked => "only_looked",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The unit's status after a visit ending this way.
    pub fn unit_status(self) -> crate::org::UnitStatus {
        match self {
            Outcome::Accepted => crate::org::UnitStatus::Delivered,
            Outcome::Refused => crate::org::UnitStatus::Refused,
            Outcome::OnlyLooked => crate::org::UnitStatus::OnlyLooked,
        }
    }

    /// The outcome's name in `l`.
    pub fn label(self, l: Locale) -> &'static str {
        l.t(&format!("visit.outcome.{}", self.as_str()))
    }
}

/// Why a customer refused (拒收原因).
pub const REFUSAL_REASONS: [&str; 6] = [
    "quality",
    "not_as_contracted",
    "facilities",
    "conditions",
    "personal",
    "other",
];

/// Whether a customer's issue is a real defect against standard or contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// 合理: becomes a rectification item.
    Reasonable,
    /// 不合理: recorded with its reason, nothing to fix.
    Unreasonable,
}

impl Judgement {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Reasonable => "reasonable",
            Judgement::Unreasonable => "unreasonable",
        }
    }
}

/// Why an issue is not reasonable (不合理原因); `other` needs the reason typed out.
pub const UNREASONABLE_REASONS: [&str; 5] = [
    "preference",
    "as_contracted",
    "misuse",
    "not_a_defect",
    "other",
];

/// The meters read at handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeterKind {
    /// 水表.
    Water,
    /// 电表.
    Power,
    /// 燃气表.
    Gas,
}

impl MeterKind {
    /// Every meter, in reading order.
    pub const ALL: [MeterKind; 3] = [MeterKind::Water, MeterKind::Power, MeterKind::Gas];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MeterKind::Water => "water",
            MeterKind::Power => "power",
            MeterKind::Gas => "gas",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        MeterKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Highest meter reading accepted (a typo guard, not a physical limit).
pub const MAX_READING: f64 = 10_000_000.0;

/// The last four digits of a phone number, the desk's quickest key (`尾号`).
pub fn phone_tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// A phone number masked for staff pages (`138****5678`, UI.md).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "****".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_and_their_tail_is_the_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "****");
        assert_eq!(phone_tail("138-1234-5678"), "5678");
        assert_eq!(phone_tail("56"), "56");
    }

    #[test]
    fn every_outcome_maps_to_its_unit_status_and_label() {
        use crate::org::UnitStatus;
        assert_eq!(Outcome::Accepted.unit_status(), UnitStatus::Delivered);
        assert_eq!(Outcome::Refused.unit_status(), UnitStatus::Refused);
        assert_eq!(Outcome::OnlyLooked.unit_status(), UnitStatus::OnlyLooked);
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            for l in [Locale::ZhCn, Locale::En] {
                assert!(!o.label(l).is_empty());
            }
        }
        for l in [Locale::ZhCn, Locale::En] {
            for r in REFUSAL_REASONS {
                assert!(!l.t(&format!("visit.refusal.{r}")).is_empty(), "{r}");
            }
            for r in UNREASONABLE_REASONS {
                assert!(!l.t(&format!("issue.reason.{r}")).is_empty(), "{r}");
            }
        }
    }
}
