//! A batch made ready for its handover day, for load tests and large demos (`handover demo
//! --handover-day`): every planned unit sold to two buyers, booked into a half-hour slot of the
//! batch's days, and its handover conditions recorded met (as if imported from the sales
//! system). Written in bulk, in one transaction. `serve --demo` books the demo batch the same
//! way, and leaves its buyers and conditions as they are.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::clock;
use crate::db::{Db, Tx};
use crate::error::AppError;
use crate::{exec, run};

/// Rows per multi-row insert.
const CHUNK: usize = 500;

/// Slots of a handover day: half an hour each from 09:00 to 17:00 (Asia/Shanghai).
const SLOTS_PER_DAY: u32 = 16;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// The batch made ready.
    pub batch: Uuid,
    /// Units planned in it.
    pub units: usize,
    /// Buyers written (two per unit).
    pub buyers: usize,
    /// Slots added.
    pub slots: usize,
}

/// The project's first batch: its id, period and planned units (by number).
struct FirstBatch {
    id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    units: Vec<Uuid>,
}

async fn first_batch(db: &Db, project: Uuid) -> Result<FirstBatch, AppError> {
    let mut conn = db.read().await?;
    let (id, start, end): (Uuid, NaiveDate, NaiveDate) = run!(&mut conn, |c| sqlx::query_as(
        "select id, period_start, period_end from batches where project_id = $1
            order by period_start, name limit 1"
    )
    .bind(project)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)?;
    let units: Vec<Uuid> = run!(&mut conn, |c| sqlx::query_scalar(
        "select u.id from batch_units bu join units u on u.id = bu.unit_id
            where bu.batch_id = $1 order by u.number"
    )
    .bind(id)
    .fetch_all(c)
    .await)?;
    Ok(FirstBatch {
        id,
        start,
        end,
        units,
    })
}

/// Makes the project's first batch ready for its handover day.
pub async fn prepare_day(db: &Db, project: Uuid, seed: u64) -> Result<Prepared, AppError> {
    let FirstBatch {
        id: batch,
        start,
        end,
        units,
    } = first_batch(db, project).await?;
    let conditions: Vec<String> = super::repo::settings(&mut db.read().await?, project)
        .await?
        .conditions
        .into_iter()
        .map(|e| e.code)
        .collect();
    let now = clock::now();
    let mut tx = db.begin().await?;
    let buyers = two_buyers_each(&mut tx, (project, &units), seed, now).await?;
    let slots = slot_starts(start, end);
    book_all(&mut tx, batch, &units, &slots, now).await?;
    all_conditions_met(&mut tx, &units, &conditions, now).await?;
    tx.commit().await?;
    db.refresh_statistics().await?;
    Ok(Prepared {
        batch,
        units: units.len(),
        buyers,
        slots: slots.len(),
    })
}

/// Books every unit planned in the project's first batch into the half-hour slots of its days,
/// in the name of its first buyer — the appointment book of `serve --demo`, whose conditions
/// stay to be checked at the desk. Answers the appointments booked.
pub async fn book_first_batch(db: &Db, project: Uuid) -> Result<usize, AppError> {
    let b = first_batch(db, project).await?;
    let mut tx = db.begin().await?;
    book_all(
        &mut tx,
        b.id,
        &b.units,
        &slot_starts(b.start, b.end),
        clock::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(b.units.len())
}

/// Replaces the buyers of `units` with two made-up ones each.
async fn two_buyers_each(
    tx: &mut Tx,
    (project, units): (Uuid, &[Uuid]),
    seed: u64,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let rows: Vec<(Uuid, i32, crate::org::import::BuyerEntry)> = units
        .iter()
        .flat_map(|u| [(*u, 0), (*u, 1)])
        .map(|(u, position)| (u, position, crate::org::demo::buyer(&mut rng)))
        .collect();
    for chunk in units.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new("delete from buyers where unit_id in (");
            let mut sep = q.separated(", ");
            for u in chunk {
                sep.push_bind(*u);
            }
            q.push(")");
            q.build().execute(c).await
        })?;
    }
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into buyers (id, project_id, unit_id, position, name, phone, created_at) ",
            );
            q.push_values(chunk, |mut b, (unit, position, buyer)| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(project)
                    .push_bind(*unit)
                    .push_bind(*position)
                    .push_bind(&buyer.name)
                    .push_bind(&buyer.phone)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(rows.len())
}

/// The starts of the half-hour slots of every day from `start` to `end`, in UTC.
fn slot_starts(start: NaiveDate, end: NaiveDate) -> Vec<DateTime<Utc>> {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("valid time");
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .flat_map(|d| {
            let first = d
                .and_time(nine)
                .and_local_timezone(clock::shanghai())
                .single()
                .map(|t| t.with_timezone(&Utc));
            (0..SLOTS_PER_DAY).filter_map(move |i| Some(first? + slot_length() * i as i32))
        })
        .collect()
}

fn slot_length() -> Duration {
    Duration::minutes(30)
}

/// Adds the slots and books the units into them in order, each slot filled to an even share,
/// in the name of each unit's first buyer.
async fn book_all(
    tx: &mut Tx,
    batch: Uuid,
    units: &[Uuid],
    starts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if starts.is_empty() || units.is_empty() {
        return Ok(());
    }
    let per_slot = units.len().div_ceil(starts.len());
    let capacity = i32::try_from(per_slot).unwrap_or(i32::MAX);
    let mut slots = Vec::new();
    for s in starts {
        let span = (*s, *s + slot_length());
        slots.push(super::repo::insert_slot(tx, batch, span, capacity, now).await?);
    }
    let rows: Vec<(Uuid, Uuid)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (*u, slots[i / per_slot]))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into appointments (id, batch_id, unit_id, slot_id, customer_name, phone,
                    status, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, (unit, slot)| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(batch)
                    .push_bind(*unit)
                    .push_bind(*slot)
                    .push_bind("")
                    .push_bind("")
                    .push_bind("booked")
                    .push_bind(now)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    exec!(tx, |c| sqlx::query(
        "update appointments set
            customer_name = coalesce((select name from buyers b
                where b.unit_id = appointments.unit_id order by b.position limit 1), ''),
            phone = coalesce((select phone from buyers b
                where b.unit_id = appointments.unit_id order by b.position limit 1), '')
         where batch_id = $1"
    )
    .bind(batch)
    .execute(c)
    .await)?;
    Ok(())
}

/// Records every condition of every unit as met.
async fn all_conditions_met(
    tx: &mut Tx,
    units: &[Uuid],
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let rows: Vec<(Uuid, &str)> = units
        .iter()
        .flat_map(|u| codes.iter().map(move |c| (*u, c.as_str())))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into unit_conditions (unit_id, code, met, note, updated_at) ",
            );
            q.push_values(chunk, |mut b, (unit, code)| {
                b.push_bind(*unit)
                    .push_bind(*code)
                    .push_bind(true)
                    .push_bind("")
                    .push_bind(now);
            });
            q.push(" on conflict (unit_id, code) do update set met = excluded.met");
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_days_give_48_half_hour_slots_from_nine_shanghai_time() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        let s = slot_starts(d(18), d(20));
        assert_eq!(s.len(), 48);
        assert_eq!(clock::show(s[0]), "2026-12-18 09:00");
        assert_eq!(clock::show(s[15]), "2026-12-18 16:30");
        assert_eq!(clock::show(s[16]), "2026-12-19 09:00");
    }
}
