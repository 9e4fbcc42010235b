//! The organisation and its roster: group → region company → project → building → entrance →
//! floor → unit, buyers, common areas, contractors and delivery batches.

pub mod api;
pub mod demo;
pub mod import;
pub mod map;
pub mod pages;
pub mod repo;
pub mod roster;

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// Where a unit stands in delivery; the colour of its cell on the unit status map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// 未验收: no inspection yet.
    NotInspected,
    /// 验收中: an inspection is running.
    Inspecting,
    /// 有未整改问题: defects wait to be fixed.
    DefectsOpen,
    /// 可交付: inspected, nothing open.
    Ready,
    /// 已交付: the buyer signed acceptance.
    Delivered,
    /// 拒收: the buyer refused.
    Refused,
    /// 只看房: the buyer only looked.
    OnlyLooked,
}

impl UnitStatus {
    /// Every state, in legend order.
    pub const ALL: [UnitStatus; 7] = [
        UnitStatus::NotInspected,
        UnitStatus::Inspecting,
        UnitStatus::DefectsOpen,
        UnitStatus::Ready,
        UnitStatus::Delivered,
        UnitStatus::Refused,
        UnitStatus::OnlyLooked,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::NotInspected => "not_inspected",
            UnitStatus::Inspecting => "inspecting",
            UnitStatus::DefectsOpen => "defects_open",
            UnitStatus::Ready => "ready",
            UnitStatus::Delivered => "delivered",
            UnitStatus::Refused => "refused",
            UnitStatus::OnlyLooked => "only_looked",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        UnitStatus::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// The state's name in `locale`.
    pub fn label(self, locale: Locale) -> &'static str {
        locale.t(&format!("status.{}", self.as_str()))
    }
}

/// A contractor's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractorKind {
    /// 施工单位.
    Construction,
    /// 监理单位.
    Supervision,
}

impl ContractorKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractorKind::Construction => "construction",
            ContractorKind::Supervision => "supervision",
        }
    }
}

/// The unit number `building-entrance-room` (`3-1-1201`).
pub fn unit_number(building: &str, entrance: &str, room: &str) -> String {
    format!("{building}-{entrance}-{room}")
}

/// A phone as shown to staff: `138****5678` (the last four digits stay for check-in search).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 11 => format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
        n if n > 4 => format!(
            "{}{}",
            "*".repeat(n - 4),
            chars[n - 4..].iter().collect::<String>()
        ),
        n => "*".repeat(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_keeping_prefix_and_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("02188886666"), "021****6666");
        assert_eq!(mask_phone("88886666"), "****6666");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn statuses_roundtrip() {
        for s in UnitStatus::ALL {
            assert_eq!(UnitStatus::parse(s.as_str()), Some(s));
        }
    }
}
