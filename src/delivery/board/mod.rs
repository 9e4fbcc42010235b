//! The live board (交付看板) of a batch on a delivery day: today's appointments, check-ins,
//! walkthroughs under way, acceptances, refusals and only-looked visits — in total, per building
//! and per hour (Asia/Shanghai) — with the three KPIs so far. It is recomputed whenever the
//! batch's `board_version` moves; every handover-day write bumps it.

pub mod api;
pub mod pages;
pub mod repo;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::kpis::BatchKpis;

/// What happened on the day, as the board counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A booked appointment whose slot starts that day.
    Appointment,
    /// A check-in at the desk.
    CheckedIn,
    /// A walkthrough started that day, its visit still open and the walk not ended.
    InWalkthrough,
    /// A signed acceptance (收楼).
    Accepted,
    /// A refusal (拒收).
    Refused,
    /// Only looked (只看房).
    OnlyLooked,
}

impl Kind {
    /// Parses the name the board query gives each row (visit outcomes as stored).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "appointment" => Kind::Appointment,
            "checked_in" => Kind::CheckedIn,
            "in_walkthrough" => Kind::InWalkthrough,
            "accepted" => Kind::Accepted,
            "refused" => Kind::Refused,
            "only_looked" => Kind::OnlyLooked,
            _ => return None,
        })
    }
}

/// The day's counts of one slice of the board.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Booked appointments of the day.
    pub appointments: i64,
    /// Customers checked in.
    pub checked_in: i64,
    /// Walkthroughs under way.
    pub in_walkthrough: i64,
    /// Accepted (收楼).
    pub accepted: i64,
    /// Refused (拒收).
    pub refused: i64,
    /// Only looked (只看房不收楼).
    pub only_looked: i64,
}

impl Counts {
    fn add(&mut self, kind: Kind) {
        let n = match kind {
            Kind::Appointment => &mut self.appointments,
            Kind::CheckedIn => &mut self.checked_in,
            Kind::InWalkthrough => &mut self.in_walkthrough,
            Kind::Accepted => &mut self.accepted,
            Kind::Refused => &mut self.refused,
            Kind::OnlyLooked => &mut self.only_looked,
        };
        *n += 1;
    }
}

/// The counts of one building.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BuildingCounts {
    /// Building name.
    pub building: String,
    /// Its counts.
    pub counts: Counts,
}

/// The counts of one hour of the day (Asia/Shanghai).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HourCounts {
    /// Hour, 0–23: the events from `hour:00` to `hour:59`.
    pub hour: u32,
    /// Its counts.
    pub counts: Counts,
}

/// One event of the day: what, in which building, when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    /// Kind name (see [`Kind::parse`]).
    pub kind: String,
    /// Building name.
    pub building: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The day's counts: in total, per building (in the given order, every building of the batch)
/// and per hour (all 24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Total.
    pub totals: Counts,
    /// Per building.
    pub buildings: Vec<(String, Counts)>,
    /// Per hour of the day, 0–23.
    pub hours: [Counts; 24],
}

impl Tally {
    /// Counts `events` into `buildings` and the hours of Asia/Shanghai; an event of a building
    /// not listed gets a row at the end.
    pub fn of(buildings: Vec<String>, events: &[Event]) -> Self {
        let mut t = Tally {
            totals: Counts::default(),
            buildings: buildings
                .into_iter()
                .map(|b| (b, Counts::default()))
                .collect(),
            hours: [Counts::default(); 24],
        };
        for e in events {
            let Some(kind) = Kind::parse(&e.kind) else {
                continue;
            };
            t.totals.add(kind);
            let hour = e.at.with_timezone(&crate::clock::shanghai()).hour() as usize;
            t.hours[hour].add(kind);
            match t.buildings.iter_mut().find(|(b, _)| *b == e.building) {
                Some((_, c)) => c.add(kind),
                None => {
                    let mut c = Counts::default();
                    c.add(kind);
                    t.buildings.push((e.building.clone(), c));
                }
            }
        }
        t
    }
}

/// The board of a batch for a day (`GET /api/v1/batches/{id}/board`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    /// Batch.
    pub batch_id: Uuid,
    /// Batch name.
    pub batch_name: String,
    /// Project.
    pub project_id: Uuid,
    /// The day counted (Asia/Shanghai).
    pub day: NaiveDate,
    /// The batch's `board_version` it was computed at (it moves with every handover-day write).
    pub version: i64,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The day's counts.
    pub totals: Counts,
    /// Per building, every building of the batch.
    pub buildings: Vec<BuildingCounts>,
    /// Per hour of the day, 0–23.
    pub hours: Vec<HourCounts>,
    /// The three KPIs so far: as of now, or as of the end of a past day.
    pub kpis: BatchKpis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ev(kind: &str, building: &str, h: u32, m: u32) -> Event {
        // Shanghai time h:m on 2026-12-18 (UTC+8).
        let at = Utc.with_ymd_and_hms(2026, 12, 18, 0, 0, 0).unwrap()
            + chrono::Duration::minutes(i64::from(h) * 60 + i64::from(m))
            - chrono::Duration::hours(8);
        Event {
            kind: kind.into(),
            building: building.into(),
            at,
        }
    }

    #[test]
    fn events_are_counted_per_building_and_shanghai_hour() {
        let events = [
            ev("appointment", "1栋", 9, 0),
            ev("checked_in", "1栋", 9, 5),
            ev("accepted", "1栋", 9, 59),
            ev("checked_in", "2栋", 10, 0),
            ev("refused", "2栋", 10, 30),
            ev("only_looked", "9栋", 0, 10),
            ev("in_walkthrough", "2栋", 23, 59),
            ev("nonsense", "2栋", 11, 0),
        ];
        let t = Tally::of(vec!["1栋".into(), "2栋".into(), "3栋".into()], &events);
        assert_eq!(t.totals.checked_in, 2);
        assert_eq!(t.totals.appointments, 1);
        assert_eq!(
            t.buildings[0].1,
            Counts {
                appointments: 1,
                checked_in: 1,
                accepted: 1,
                ..Counts::default()
            }
        );
        assert_eq!(t.buildings[2], ("3栋".to_owned(), Counts::default()));
        assert_eq!(t.buildings[3].0, "9栋", "an unlisted building is added");
        assert_eq!(t.hours[9].checked_in, 1);
        assert_eq!(t.hours[9].accepted, 1);
        assert_eq!(t.hours[10].refused, 1);
        assert_eq!(t.hours[0].only_looked, 1);
        assert_eq!(t.hours[23].in_walkthrough, 1);
        assert_eq!(t.hours[11], Counts::default());
    }
}
