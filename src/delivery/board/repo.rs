//! The board's reads: the batch's buildings and the day's events.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Event;
use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// The buildings of a batch's planned units, in the project's order.
pub async fn buildings(c: &mut impl DbConn, batch: Uuid) -> Result<Vec<String>, AppError> {
    const SQL: &str = "select b.name from buildings b
        where exists (select 1 from batch_units bu join units u on u.id = bu.unit_id
            join entrances e on e.id = u.entrance_id
            where bu.batch_id = $1 and e.building_id = b.id)
        order by b.sort_key, b.name";
    Ok(run!(c, |c| sqlx::query_scalar(SQL)
        .bind(batch)
        .fetch_all(c)
        .await)?)
}

/// The events of a batch in `[from, to)`: booked appointments by slot start, check-ins,
/// walkthroughs started and still under way, and outcomes (kind = the stored outcome).
pub async fn events(
    c: &mut impl DbConn,
    batch: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<Event>, AppError> {
    const SQL: &str = "select 'appointment' as kind, b.name as building, s.starts_at as at
        from appointments a join delivery_slots s on s.id = a.slot_id
        join units u on u.id = a.unit_id join entrances e on e.id = u.entrance_id
        join buildings b on b.id = e.building_id
        where a.batch_id = $1 and a.status = 'booked' and s.starts_at >= $2 and s.starts_at < $3
    union all
    select 'checked_in', b.name, v.checked_in_at
        from visits v join units u on u.id = v.unit_id join entrances e on e.id = u.entrance_id
        join buildings b on b.id = e.building_id
        where v.batch_id = $1 and v.checked_in_at >= $2 and v.checked_in_at < $3
    union all
    select 'in_walkthrough', b.name, v.walk_started_at
        from visits v join units u on u.id = v.unit_id join entrances e on e.id = u.entrance_id
        join buildings b on b.id = e.building_id
        where v.batch_id = $1 and v.outcome is null and v.walk_ended_at is null
            and v.walk_started_at >= $2 and v.walk_started_at < $3
    union all
    select v.outcome, b.name, v.outcome_at
        from visits v join units u on u.id = v.unit_id join entrances e on e.id = u.entrance_id
        join buildings b on b.id = e.building_id
        where v.batch_id = $1 and v.outcome_at >= $2 and v.outcome_at < $3";
    Ok(run!(c, |c| sqlx::query_as::<_, Event>(SQL)
        .bind(batch)
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)?)
}
