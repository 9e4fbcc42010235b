//! SQL of the sheet imports: the batch as an import sees it, and the bulk writes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::plan::{BatchView, PlannedAppointment, SlotInfo, UnitInfo};
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

/// Rows per multi-row insert.
const CHUNK: usize = 500;

/// What the sheets need to know besides the units and slots.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// The buyers of each unit (a sheet with name or phone columns).
    pub buyers: bool,
    /// The recorded conditions (a conditions sheet).
    pub conditions: bool,
}

/// The batch of `project` as an import sees it.
pub async fn view(
    c: &mut impl DbConn,
    (batch, project): (Uuid, Uuid),
    needs: Needs,
) -> Result<BatchView, AppError> {
    let units: Vec<(Uuid, String, bool)> = run!(c, |c| sqlx::query_as(
        "select u.id, u.number,
            exists (select 1 from batch_units bu where bu.batch_id = $1 and bu.unit_id = u.id)
         from units u where u.project_id = $2"
    )
    .bind(batch)
    .bind(project)
    .fetch_all(c)
    .await)?;
    let mut buyers = if needs.buyers {
        buyers_by_unit(c, project).await?
    } else {
        HashMap::new()
    };
    let slots = super::super::repo::slots(c, batch)
        .await?
        .into_iter()
        .map(|s| SlotInfo {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            capacity: i64::from(s.capacity),
            booked: s.booked,
        })
        .collect();
    Ok(BatchView {
        units: units
            .into_iter()
            .map(|(id, number, planned)| {
                let buyers = buyers.remove(&id).unwrap_or_default();
                (
                    number,
                    UnitInfo {
                        id,
                        planned,
                        buyers,
                    },
                )
            })
            .collect(),
        slots,
        bookings: bookings(c, batch).await?,
        recorded: if needs.conditions {
            recorded(c, batch).await?
        } else {
            HashMap::new()
        },
    })
}

/// The project's buyers by unit, in contract order: name and phone.
async fn buyers_by_unit(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<HashMap<Uuid, Vec<(String, String)>>, AppError> {
    let rows: Vec<(Uuid, String, String)> = run!(c, |c| {
        sqlx::query_as(
        "select unit_id, name, phone from buyers where project_id = $1 order by unit_id, position"
    )
    .bind(project)
    .fetch_all(c)
    .await
    })?;
    let mut by_unit: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for (unit, name, phone) in rows {
        by_unit.entry(unit).or_default().push((name, phone));
    }
    Ok(by_unit)
}

/// The batch's booked appointments by unit: the appointment and its slot.
async fn bookings(
    c: &mut impl DbConn,
    batch: Uuid,
) -> Result<HashMap<Uuid, (Uuid, Uuid)>, AppError> {
    let rows: Vec<(Uuid, Uuid, Uuid)> = run!(c, |c| {
        sqlx::query_as(
        "select unit_id, id, slot_id from appointments where batch_id = $1 and status = 'booked'"
    )
    .bind(batch)
    .fetch_all(c)
    .await
    })?;
    Ok(rows.into_iter().map(|(u, a, s)| (u, (a, s))).collect())
}

/// The recorded conditions of the batch's units: unit → code → met.
async fn recorded(
    c: &mut impl DbConn,
    batch: Uuid,
) -> Result<HashMap<Uuid, HashMap<String, bool>>, AppError> {
    let rows: Vec<(Uuid, String, bool)> = run!(c, |c| sqlx::query_as(
        "select uc.unit_id, uc.code, uc.met from unit_conditions uc
            join batch_units bu on bu.unit_id = uc.unit_id where bu.batch_id = $1"
    )
    .bind(batch)
    .fetch_all(c)
    .await)?;
    let mut by_unit: HashMap<Uuid, HashMap<String, bool>> = HashMap::new();
    for (unit, code, met) in rows {
        by_unit.entry(unit).or_default().insert(code, met);
    }
    Ok(by_unit)
}

/// Books the units of `rows` (new appointments), in bulk.
pub async fn book(
    tx: &mut Tx,
    batch: Uuid,
    rows: &[&PlannedAppointment],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into appointments (id, batch_id, unit_id, slot_id, customer_name, phone,
                    status, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, p| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(batch)
                    .push_bind(p.unit)
                    .push_bind(p.slot)
                    .push_bind(&p.name)
                    .push_bind(&p.phone)
                    .push_bind("booked")
                    .push_bind(now)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// Records whether conditions are met, keeping each one's note and waiver: `(unit, code, met)`.
pub async fn set_marks(
    tx: &mut Tx,
    marks: &[(Uuid, &str, bool)],
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    for chunk in marks.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into unit_conditions (unit_id, code, met, note, updated_by, updated_at) ",
            );
            q.push_values(chunk, |mut b, (unit, code, met)| {
                b.push_bind(*unit)
                    .push_bind(*code)
                    .push_bind(*met)
                    .push_bind("")
                    .push_bind(user)
                    .push_bind(now);
            });
            q.push(
                " on conflict (unit_id, code) do update set met = excluded.met,
                    updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            );
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// The batch's project and name.
pub async fn batch(c: &mut impl DbConn, batch: Uuid) -> Result<(Uuid, String), AppError> {
    run!(c, |c| sqlx::query_as(
        "select project_id, name from batches where id = $1"
    )
    .bind(batch)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)
}
