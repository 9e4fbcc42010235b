//! The checklist of a running inspection as the page shows it: items grouped by trade and room,
//! each with its tolerance and rule, its point inputs, its result and how many points were within.

use uuid::Uuid;

use super::trade_label;
use crate::checklists::{self, Item, MeasuredSpec, Trade};
use crate::i18n::Locale;
use crate::inspections::Outcome;
use crate::inspections::repo::{InspectionRow, ResultRow};
use crate::pages::form_urlencoded_component;

pub(super) struct PointInput {
    pub value: String,
    pub label: String,
}

pub(super) struct ItemRow {
    pub id: Uuid,
    pub action: String,
    pub name: String,
    pub part: String,
    pub standard: String,
    pub measured: bool,
    pub rule: String,
    pub inputs: Vec<PointInput>,
    pub outcome: &'static str,
    pub outcome_label: &'static str,
    pub summary: String,
    pub error: Option<String>,
    pub defect_href: String,
    pub trade: &'static str,
}

pub(super) struct RoomGroup {
    pub name: String,
    pub items: Vec<ItemRow>,
}

pub(super) struct TradeGroup {
    pub trade: &'static str,
    pub label: &'static str,
    pub done: usize,
    pub total: usize,
    pub rooms: Vec<RoomGroup>,
}

/// The checklist items grouped by trade (in trade order), then room (in checklist order).
pub(super) fn group_items(
    l: Locale,
    page: &str,
    running: Option<&InspectionRow>,
    items: &[Item],
    results: &[ResultRow],
) -> Vec<TradeGroup> {
    let Some(run) = running else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    for trade in Trade::ALL {
        let mut g = TradeGroup {
            trade: trade.as_str(),
            label: trade_label(l, trade.as_str()),
            done: 0,
            total: 0,
            rooms: Vec::new(),
        };
        for item in items.iter().filter(|i| i.def.trade == trade) {
            let result = results.iter().find(|r| r.item_id == item.id);
            g.total += 1;
            g.done += usize::from(result.is_some());
            let row = item_row(l, page, run.id, item, result);
            match g.rooms.iter_mut().find(|r| r.name == item.def.room) {
                Some(room) => room.items.push(row),
                None => g.rooms.push(RoomGroup {
                    name: item.def.room.clone(),
                    items: vec![row],
                }),
            }
        }
        if g.total > 0 {
            groups.push(g);
        }
    }
    groups
}

pub(super) fn item_row(
    l: Locale,
    page: &str,
    inspection: Uuid,
    item: &Item,
    result: Option<&ResultRow>,
) -> ItemRow {
    let spec = item.def.kind.spec();
    let points: Vec<f64> = result
        .and_then(|r| serde_json::from_str(&r.points).ok())
        .unwrap_or_default();
    let outcome = result.and_then(|r| Outcome::parse(&r.outcome));
    let (outcome_str, summary) = describe(l, spec, outcome, &points);
    let mut inputs = Vec::new();
    if let Some(s) = spec {
        let typed: Vec<String> = points.iter().map(|p| p.to_string()).collect();
        inputs = (0..s.points as usize)
            .map(|_| PointInput {
                value: String::new(),
                label: String::new(),
            })
            .collect();
        fill_inputs(l, &mut inputs, &typed);
    }
    let trade = item.def.trade.as_str();
    let sep = if page.contains('?') { '&' } else { '?' };
    let defect_href = format!(
        "{page}{sep}defect_trade={trade}&defect_part={}&defect_desc={}#add-defect",
        form_urlencoded_component(&item.def.part),
        form_urlencoded_component(&item.def.name),
    );
    ItemRow {
        id: item.id,
        action: format!("/inspections/{inspection}/items/{}", item.id),
        name: item.def.name.clone(),
        part: item.def.part.clone(),
        standard: item.def.standard.clone(),
        measured: spec.is_some(),
        rule: spec.map(|s| rule(l, s)).unwrap_or_default(),
        inputs,
        outcome: outcome_str,
        outcome_label: outcome_label(l, outcome_str),
        summary,
        error: None,
        defect_href,
        trade,
    }
}

/// Puts `typed` values into the point inputs, adding inputs when more were typed, and labels
/// them.
pub(super) fn fill_inputs(l: Locale, inputs: &mut Vec<PointInput>, typed: &[String]) {
    while inputs.len() < typed.len() {
        inputs.push(PointInput {
            value: String::new(),
            label: String::new(),
        });
    }
    for (i, input) in inputs.iter_mut().enumerate() {
        input.value = typed.get(i).cloned().unwrap_or_default();
        input.label = l.fmt1("insp.point_n", "n", &(i + 1).to_string());
    }
}

fn outcome_label(l: Locale, outcome: &str) -> &'static str {
    match outcome {
        "pass" | "fail" | "na" => l.t(&format!("insp.outcome.{outcome}")),
        _ => l.t("insp.outcome.none"),
    }
}

/// The stored outcome's name (empty when not recorded) and, for measured points, how many were
/// within tolerance and whether one went beyond the hard limit.
fn describe(
    l: Locale,
    spec: Option<&MeasuredSpec>,
    outcome: Option<Outcome>,
    points: &[f64],
) -> (&'static str, String) {
    let name = outcome.map_or("", Outcome::as_str);
    let (Some(spec), Some(Outcome::Pass | Outcome::Fail)) = (spec, outcome) else {
        return (name, String::new());
    };
    if points.is_empty() {
        return (name, String::new());
    }
    let j = spec.judge(points);
    let mut s = l.fmt(
        "insp.within",
        &[
            ("within", &j.within.to_string()),
            ("total", &j.total.to_string()),
        ],
    );
    if j.hard_fail && spec.max_factor > 1.0 {
        let (lo, hi) = spec.hard_limits();
        // The limit that was crossed: above the upper one, else below the lower one.
        let crossed = match hi {
            Some(h) if points.iter().any(|p| *p > h) => Some(h),
            _ => lo.or(hi),
        };
        let limit = crossed
            .map(|v| format!("{} {}", checklists::num(v), spec.unit))
            .unwrap_or_default();
        s.push_str(&l.fmt1("insp.beyond", "limit", &limit));
    }
    (name, s)
}

/// The tolerance and rule of a measured item: `≤ 4 mm，4 点，≥80% 合格且无点超过 1.5 倍`.
fn rule(l: Locale, spec: &MeasuredSpec) -> String {
    let tol = spec.tolerance();
    let points = spec.points.to_string();
    if spec.pass_rate >= 1.0 - 1e-9 {
        l.fmt("insp.rule_all", &[("tol", &tol), ("points", &points)])
    } else {
        let rate = format!("{}", (spec.pass_rate * 100.0).round());
        if spec.max_factor <= 1.0 + 1e-9 {
            l.fmt(
                "insp.rule_rate",
                &[("tol", &tol), ("points", &points), ("rate", &rate)],
            )
        } else {
            let factor = checklists::num(spec.max_factor);
            l.fmt(
                "insp.rule",
                &[
                    ("tol", &tol),
                    ("points", &points),
                    ("rate", &rate),
                    ("factor", &factor),
                ],
            )
        }
    }
}
