//! Checking imported rows against the batch (pure): each unit exists and is planned in the
//! batch, a name or phone given matches one of its buyers, an appointment falls in one of the
//! batch's slots with a place left (slots are never created by an import), and what each row
//! changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{AppointmentLine, Col, ConditionLine, row_error};
use crate::clock;
use crate::error::RowError;

/// A unit of the project as an import sees it.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    /// Id.
    pub id: Uuid,
    /// Planned in the batch.
    pub planned: bool,
    /// Buyers: name and phone.
    pub buyers: Vec<(String, String)>,
}

/// A slot of the batch with its bookings.
#[derive(Debug, Clone)]
pub struct SlotInfo {
    /// Id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i64,
    /// Booked now.
    pub booked: i64,
}

/// What an import is checked against.
#[derive(Debug, Default)]
pub struct BatchView {
    /// The project's units by number.
    pub units: HashMap<String, UnitInfo>,
    /// The batch's slots, by start.
    pub slots: Vec<SlotInfo>,
    /// Booked appointments by unit: the appointment and its slot.
    pub bookings: HashMap<Uuid, (Uuid, Uuid)>,
    /// Recorded conditions by unit: code → met.
    pub recorded: HashMap<Uuid, HashMap<String, bool>>,
}

/// What an appointment row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Books the unit.
    Book,
    /// Moves the unit's appointment to this slot.
    Move,
    /// The unit is booked in this slot already.
    Unchanged,
}

/// An appointment row checked: its unit, slot and what it does.
#[derive(Debug, Clone)]
pub struct PlannedAppointment {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub number: String,
    /// Unit.
    pub unit: Uuid,
    /// The slot covering the row's time.
    pub slot: Uuid,
    /// The slot's start.
    pub starts_at: DateTime<Utc>,
    /// What it does.
    pub action: Action,
    /// The unit's booked appointment, when it has one.
    pub booking: Option<Uuid>,
    /// Who comes: the name given, or the first buyer's.
    pub name: String,
    /// Their phone: the one given, or the first buyer's.
    pub phone: String,
}

/// The unit a row names, checked to be planned in the batch.
fn planned_unit<'a>(
    view: &'a BatchView,
    row: usize,
    number: &str,
) -> Result<&'a UnitInfo, RowError> {
    match view.units.get(number) {
        None => Err(row_error(row, Col::Room, "unknown_unit", number)),
        Some(u) if !u.planned => Err(row_error(row, Col::Room, "not_in_batch", number)),
        Some(u) => Ok(u),
    }
}

/// Checks a name and phone given against the unit's buyers.
fn check_buyer(unit: &UnitInfo, line: &AppointmentLine) -> Vec<RowError> {
    let mut errors = Vec::new();
    if !line.name.is_empty() && !unit.buyers.iter().any(|(n, _)| *n == line.name) {
        errors.push(row_error(line.row, Col::Name, "name_mismatch", &line.name));
    }
    if !line.phone.is_empty() && !unit.buyers.iter().any(|(_, p)| *p == line.phone) {
        let masked = crate::org::mask_phone(&line.phone);
        errors.push(row_error(line.row, Col::Phone, "phone_mismatch", &masked));
    }
    errors
}

/// The batch's slot covering a local time.
fn slot_at<'a>(view: &'a BatchView, line: &AppointmentLine) -> Result<&'a SlotInfo, RowError> {
    let shown = line.at.format("%Y-%m-%d %H:%M").to_string();
    let at = line
        .at
        .and_local_timezone(clock::shanghai())
        .single()
        .map(|t| t.with_timezone(&Utc));
    at.and_then(|t| {
        view.slots
            .iter()
            .find(|s| s.starts_at <= t && t < s.ends_at)
    })
    .ok_or_else(|| row_error(line.row, Col::When, "no_slot", &shown))
}

/// Checks appointment rows: every unit planned, every time in a slot with a place left
/// (counting what the file books and frees, in row order).
pub fn appointments(
    lines: &[AppointmentLine],
    view: &BatchView,
) -> Result<Vec<PlannedAppointment>, Vec<RowError>> {
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    for line in lines {
        let unit = planned_unit(view, line.row, &line.number);
        if let Ok(u) = unit {
            errors.extend(check_buyer(u, line));
        }
        match (unit, slot_at(view, line)) {
            (Ok(u), Ok(s)) => planned.push(plan_one(line, u, s, view)),
            (u, s) => errors.extend(u.err().into_iter().chain(s.err())),
        }
    }
    errors.extend(over_capacity(&planned, view));
    if errors.is_empty() {
        Ok(planned)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

fn plan_one(
    line: &AppointmentLine,
    u: &UnitInfo,
    s: &SlotInfo,
    view: &BatchView,
) -> PlannedAppointment {
    let booking = view.bookings.get(&u.id);
    let action = match booking {
        None => Action::Book,
        Some((_, slot)) if *slot == s.id => Action::Unchanged,
        Some(_) => Action::Move,
    };
    let first = u.buyers.first();
    let pick = |given: &str, of_buyer: Option<&String>| {
        if given.is_empty() {
            of_buyer.cloned().unwrap_or_default()
        } else {
            given.to_owned()
        }
    };
    PlannedAppointment {
        row: line.row,
        number: line.number.clone(),
        unit: u.id,
        slot: s.id,
        starts_at: s.starts_at,
        action,
        booking: booking.map(|(id, _)| *id),
        name: pick(&line.name, first.map(|b| &b.0)),
        phone: pick(&line.phone, first.map(|b| &b.1)),
    }
}

/// The rows that would overfill their slot: moves free their old places first, then rows
/// take places in row order.
fn over_capacity(planned: &[PlannedAppointment], view: &BatchView) -> Vec<RowError> {
    let mut taken: HashMap<Uuid, i64> = view.slots.iter().map(|s| (s.id, s.booked)).collect();
    for p in planned.iter().filter(|p| p.action == Action::Move) {
        if let Some((_, old)) = view.bookings.get(&p.unit) {
            *taken.entry(*old).or_default() -= 1;
        }
    }
    let capacity: HashMap<Uuid, i64> = view.slots.iter().map(|s| (s.id, s.capacity)).collect();
    let mut errors = Vec::new();
    for p in planned.iter().filter(|p| p.action != Action::Unchanged) {
        let n = taken.entry(p.slot).or_default();
        if *n >= capacity.get(&p.slot).copied().unwrap_or(0) {
            let shown = clock::show(p.starts_at);
            errors.push(row_error(p.row, Col::When, "slot_full", &shown));
        } else {
            *n += 1;
        }
    }
    errors
}

/// A conditions row checked: its unit and the marks that change what is recorded.
#[derive(Debug, Clone)]
pub struct PlannedConditions {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub number: String,
    /// Unit.
    pub unit: Uuid,
    /// Every mark of the row: code and met.
    pub marks: Vec<(String, bool)>,
    /// The marks that differ from what is recorded (nothing recorded = not met).
    pub changes: Vec<(String, bool)>,
}

/// Checks conditions rows: every unit planned in the batch.
pub fn conditions(
    lines: &[ConditionLine],
    view: &BatchView,
) -> Result<Vec<PlannedConditions>, Vec<RowError>> {
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    for line in lines {
        match planned_unit(view, line.row, &line.number) {
            Ok(u) => {
                let recorded = view.recorded.get(&u.id);
                let is_met =
                    |code: &str| recorded.and_then(|r| r.get(code)).copied().unwrap_or(false);
                planned.push(PlannedConditions {
                    row: line.row,
                    number: line.number.clone(),
                    unit: u.id,
                    changes: line
                        .marks
                        .iter()
                        .filter(|(code, met)| is_met(code) != *met)
                        .cloned()
                        .collect(),
                    marks: line.marks.clone(),
                })
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn view() -> BatchView {
        let t = |s: &str| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_local_timezone(clock::shanghai())
                .unwrap()
                .with_timezone(&Utc)
        };
        let unit = |planned| UnitInfo {
            id: Uuid::new_v4(),
            planned,
            buyers: vec![("张三".into(), "13812345678".into())],
        };
        let mut v = BatchView {
            slots: vec![
                SlotInfo {
                    id: Uuid::new_v4(),
                    starts_at: t("2026-12-18 09:00"),
                    ends_at: t("2026-12-18 09:30"),
                    capacity: 1,
                    booked: 0,
                },
                SlotInfo {
                    id: Uuid::new_v4(),
                    starts_at: t("2026-12-18 09:30"),
                    ends_at: t("2026-12-18 10:00"),
                    capacity: 1,
                    booked: 1,
                },
            ],
            ..BatchView::default()
        };
        for (n, planned) in [("1-1-101", true), ("1-1-102", true), ("2-1-101", false)] {
            v.units.insert(n.into(), unit(planned));
        }
        let booked = v.units["1-1-102"].id;
        v.bookings.insert(booked, (Uuid::new_v4(), v.slots[1].id));
        v
    }

    fn line(row: usize, number: &str, at: &str) -> AppointmentLine {
        AppointmentLine {
            row,
            number: number.into(),
            at: NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap(),
            name: String::new(),
            phone: String::new(),
        }
    }

    #[test]
    fn a_move_frees_its_old_place_and_a_full_slot_refuses_the_next_row() {
        let v = view();
        // 1-1-102 moves from 09:30 to 09:00; 1-1-101 takes the freed 09:30 place.
        let plan = appointments(
            &[
                line(2, "1-1-102", "2026-12-18 09:10"),
                line(3, "1-1-101", "2026-12-18 09:45"),
            ],
            &v,
        )
        .unwrap();
        assert_eq!(plan[0].action, Action::Move);
        assert_eq!(plan[1].action, Action::Book);
        assert_eq!(plan[1].name, "张三");
        let err = appointments(
            &[
                line(2, "1-1-101", "2026-12-18 09:45"),
                line(3, "2-1-101", "2026-12-18 09:00"),
                line(4, "9-9-999", "2026-12-18 09:00"),
                line(5, "1-1-102", "2026-12-18 11:00"),
            ],
            &v,
        )
        .unwrap_err();
        let got: Vec<_> = err.iter().map(|e| (e.row, e.code)).collect();
        assert_eq!(
            got,
            [
                (2, "slot_full"),
                (3, "not_in_batch"),
                (4, "unknown_unit"),
                (5, "no_slot")
            ]
        );
    }

    #[test]
    fn a_name_or_phone_given_must_be_a_buyers() {
        let v = view();
        let mut l = line(2, "1-1-101", "2026-12-18 09:00");
        l.name = "李四".into();
        l.phone = "13900000000".into();
        let err = appointments(&[l], &v).unwrap_err();
        let got: Vec<_> = err.iter().map(|e| (e.code, e.detail.as_str())).collect();
        assert_eq!(
            got,
            [("name_mismatch", "李四"), ("phone_mismatch", "139****0000")]
        );
    }
}
