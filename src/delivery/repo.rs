//! Reads and writes of handover day: settings, slots, appointments, conditions, visits with
//! their issues, meters, keys and documents.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::settings::Settings;
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

/// A project's handover-day settings (the defaults when it has none).
pub async fn settings(c: &mut impl DbConn, project: Uuid) -> Result<Settings, AppError> {
    let json: Option<String> = run!(c, |c| sqlx::query_scalar(
        "select settings from delivery_settings where project_id = $1"
    )
    .bind(project)
    .fetch_optional(c)
    .await)?;
    Ok(Settings::parse(json.as_deref()))
}

/// Stores a project's settings.
pub async fn set_settings(
    tx: &mut Tx,
    project: Uuid,
    s: &Settings,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let json = serde_json::to_string(s).map_err(anyhow::Error::from)?;
    exec!(tx, |c| {
        sqlx::query(
        "insert into delivery_settings (project_id, settings, updated_at) values ($1, $2, $3)
         on conflict (project_id) do update set settings = excluded.settings, updated_at = excluded.updated_at"
    )
    .bind(project)
    .bind(json)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// Marks a batch's handover day changed: the live board's signal.
pub async fn bump_board(c: &mut impl DbConn, batch: Uuid) -> Result<(), AppError> {
    crate::db::bump(
        c,
        "update batches set board_version = board_version + 1 where id = $1",
        batch,
    )
    .await
}

/// Marks changed the boards of every batch `unit` is planned in (a complaint, a cancelled
/// rectification item: facts of the unit rather than of one visit).
pub async fn bump_boards_of_unit(c: &mut impl DbConn, unit: Uuid) -> Result<(), AppError> {
    crate::db::bump(
        c,
        "update batches set board_version = board_version + 1
         where id in (select batch_id from batch_units where unit_id = $1)",
        unit,
    )
    .await
}

/// An appointment slot with how many are booked in it.
#[derive(Debug, Clone, FromRow)]
pub struct SlotRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i32,
    /// Booked appointments.
    pub booked: i64,
}

/// The slot query, followed by `$tail`.
macro_rules! slot_sql {
    ($tail:literal) => {
        concat!("select s.id, s.batch_id, s.starts_at, s.ends_at, s.capacity,
        (select count(*) from appointments a where a.slot_id = s.id and a.status = 'booked') as booked
    from delivery_slots s", $tail)
    };
}

/// The slots of a batch, in time order.
pub async fn slots(c: &mut impl DbConn, batch: Uuid) -> Result<Vec<SlotRow>, AppError> {
    const SQL: &str = slot_sql!(" where s.batch_id = $1 order by s.starts_at");
    Ok(run!(c, |c| sqlx::query_as::<_, SlotRow>(SQL)
        .bind(batch)
        .fetch_all(c)
        .await)?)
}

/// One slot.
pub async fn slot(c: &mut impl DbConn, id: Uuid) -> Result<SlotRow, AppError> {
    const SQL: &str = slot_sql!(" where s.id = $1");
    run!(c, |c| sqlx::query_as::<_, SlotRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// Adds a slot.
pub async fn insert_slot(
    tx: &mut Tx,
    batch: Uuid,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
    capacity: i32,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    exec!(tx, |c| sqlx::query(
        "insert into delivery_slots (id, batch_id, starts_at, ends_at, capacity, created_at)
         values ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id)
    .bind(batch)
    .bind(starts_at)
    .bind(ends_at)
    .bind(capacity)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(id)
}

/// An appointment with its unit and slot.
#[derive(Debug, Clone, FromRow)]
pub struct AppointmentRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub unit_number: String,
    /// Slot.
    pub slot_id: Uuid,
    /// Slot start.
    pub starts_at: DateTime<Utc>,
    /// Who comes.
    pub customer_name: String,
    /// Their phone.
    pub phone: String,
    /// `booked` or `cancelled`.
    pub status: String,
}

/// The appointment query, followed by `$tail`.
macro_rules! appointment_sql {
    ($tail:literal) => {
        concat!("select a.id, a.batch_id, a.unit_id, u.number as unit_number,
        a.slot_id, s.starts_at, a.customer_name, a.phone, a.status
    from appointments a join units u on u.id = a.unit_id join delivery_slots s on s.id = a.slot_id", $tail)
    };
}

/// One appointment.
pub async fn appointment(c: &mut impl DbConn, id: Uuid) -> Result<AppointmentRow, AppError> {
    const SQL: &str = appointment_sql!(" where a.id = $1");
    run!(c, |c| sqlx::query_as::<_, AppointmentRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// The booked appointments of a batch (of one slot), in time then unit order.
pub async fn appointments(
    c: &mut impl DbConn,
    batch: Uuid,
    slot: Option<Uuid>,
) -> Result<Vec<AppointmentRow>, AppError> {
    const SQL: &str = appointment_sql!(
        " where a.batch_id = $1 and a.status = 'booked'
         and ($2 is null or a.slot_id = $2) order by s.starts_at, u.number"
    );
    Ok(run!(c, |c| sqlx::query_as::<_, AppointmentRow>(SQL)
        .bind(batch)
        .bind(slot)
        .fetch_all(c)
        .await)?)
}

/// The booked appointment of a unit in a batch, if any.
pub async fn booked_appointment(
    c: &mut impl DbConn,
    batch: Uuid,
    unit: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select id from appointments where batch_id = $1 and unit_id = $2 and status = 'booked'"
    )
    .bind(batch)
    .bind(unit)
    .fetch_optional(c)
    .await)?)
}

/// Whether a slot has a free place (read inside the writing transaction).
pub async fn slot_has_room(tx: &mut Tx, slot: Uuid) -> Result<bool, AppError> {
    let s = self::slot(tx, slot).await?;
    Ok(s.booked < i64::from(s.capacity))
}

/// Books an appointment.
pub async fn insert_appointment(
    tx: &mut Tx,
    a: &AppointmentRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into appointments (id, batch_id, unit_id, slot_id, customer_name, phone, status,
            created_at, updated_at) values ($1, $2, $3, $4, $5, $6, 'booked', $7, $7)"
    )
    .bind(a.id)
    .bind(a.batch_id)
    .bind(a.unit_id)
    .bind(a.slot_id)
    .bind(&a.customer_name)
    .bind(&a.phone)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Moves a booked appointment to another slot, or cancels it (`slot` none).
pub async fn change_appointment(
    tx: &mut Tx,
    id: Uuid,
    slot: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let n = match slot {
        Some(s) => exec!(tx, |c| {
            sqlx::query(
            "update appointments set slot_id = $2, updated_at = $3 where id = $1 and status = 'booked'"
        )
        .bind(id)
        .bind(s)
        .bind(now)
        .execute(c)
        .await
        })?,
        None => exec!(tx, |c| sqlx::query(
            "update appointments set status = 'cancelled', updated_at = $2
             where id = $1 and status = 'booked'"
        )
        .bind(id)
        .bind(now)
        .execute(c)
        .await)?,
    };
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// One handover condition of a unit as recorded.
#[derive(Debug, Clone, FromRow)]
pub struct ConditionRow {
    /// Condition code.
    pub code: String,
    /// Met.
    pub met: bool,
    /// Note.
    pub note: String,
    /// Waived by a supervisor, with the reason.
    pub waiver_reason: Option<String>,
    /// When it was waived.
    pub waived_at: Option<DateTime<Utc>>,
}

/// The recorded conditions of a unit.
pub async fn conditions(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<ConditionRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, ConditionRow>(
        "select code, met, note, waiver_reason, waived_at from unit_conditions where unit_id = $1"
    )
    .bind(unit)
    .fetch_all(c)
    .await)?)
}

/// Sets whether a condition is met.
pub async fn set_condition(
    tx: &mut Tx,
    (unit, code): (Uuid, &str),
    met: bool,
    note: &str,
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into unit_conditions (unit_id, code, met, note, updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (unit_id, code) do update set met = excluded.met, note = excluded.note,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at"
    )
    .bind(unit)
    .bind(code)
    .bind(met)
    .bind(note)
    .bind(user)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Records a supervisor's waiver of a condition.
pub async fn waive_condition(
    tx: &mut Tx,
    (unit, code): (Uuid, &str),
    reason: &str,
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    exec!(tx, |c| {
        sqlx::query(
        "insert into unit_conditions (unit_id, code, met, updated_by, updated_at, waived_by, waived_at, waiver_reason)
         values ($1, $2, $3, $4, $5, $4, $5, $6)
         on conflict (unit_id, code) do update set waived_by = excluded.waived_by,
            waived_at = excluded.waived_at, waiver_reason = excluded.waiver_reason"
    )
    .bind(unit)
    .bind(code)
    .bind(false)
    .bind(user)
    .bind(now)
    .bind(reason)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// One unit found at the desk, with its state.
#[derive(Debug, Clone, FromRow)]
pub struct DeskRow {
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub number: String,
    /// Building name.
    pub building: String,
    /// Unit status.
    pub status: String,
    /// The open visit, if any.
    pub open_visit: Option<Uuid>,
}

/// A unit found by one way of the desk search: its id and number.
type Found = (Uuid, String);

/// Most units the desk shows.
const DESK_LIMIT: usize = 20;

// The desk's queries pass their search values through scalar subqueries (`(select $2)`):
// PostgreSQL re-plans a prepared statement at every execution while a plan made for the values
// looks cheaper than the generic one, which costs more than running it (bench/desk-search);
// values it cannot see keep the generic plan. Both backends still use the indexes.

/// The batch's first 20 units by number whose lowercased number is in `[$2, $3)`, through the
/// index on the lowercased number (migration 0007); `$coll` is the comparison's collation.
macro_rules! desk_by_number {
    ($coll:literal) => {
        concat!(
            "select u.id, u.number from units u
    where u.project_id = (select project_id from batches where id = $1)
      and lower(u.number) ",
            $coll,
            " >= (select $2) and lower(u.number) ",
            $coll,
            " < (select $3)
      and exists (select 1 from batch_units bu where bu.batch_id = $1 and bu.unit_id = u.id)
    order by u.number limit 20"
        )
    };
}

/// The number prefix in each backend's dialect: PostgreSQL compares in byte order (`collate
/// "C"`, as its index) whatever the database's collation; SQLite always does.
trait DeskDialect {
    const BY_NUMBER: &'static str;
}

impl DeskDialect for sqlx::SqliteConnection {
    const BY_NUMBER: &'static str = desk_by_number!("");
}

impl DeskDialect for sqlx::PgConnection {
    const BY_NUMBER: &'static str = desk_by_number!("collate \"C\"");
}

fn by_number_sql<C: DeskDialect>(_: &C) -> &'static str {
    C::BY_NUMBER
}

/// The batch's first 20 units by number with a buyer whose `$name` matches the pattern `$2`,
/// among the project's buyers.
macro_rules! desk_by_name {
    ($name:literal) => {
        concat!(
            "select u.id, u.number from buyers y join units u on u.id = y.unit_id
    where y.project_id = (select project_id from batches where id = $1)
      and ",
            $name,
            " like (select $2)
      and exists (select 1 from batch_units bu where bu.batch_id = $1 and bu.unit_id = u.id)
    order by u.number limit 20"
        )
    };
}

/// By name as written (Chinese names have no case; SQLite's `like` ignores ASCII case anyway).
const DESK_BY_NAME: &str = desk_by_name!("y.name");

/// By the lowercased name, for a search with Latin letters.
const DESK_BY_LATIN_NAME: &str = desk_by_name!("lower(y.name)");

/// The batch's first 20 units by number with a buyer whose phone ends with `$2`, through the
/// phone-tail index.
const DESK_BY_TAIL: &str = "select u.id, u.number from buyers y join units u on u.id = y.unit_id
    where substr(y.phone, length(y.phone) - 3) = $2
      and exists (select 1 from batch_units bu where bu.batch_id = $1 and bu.unit_id = u.id)
    order by u.number limit 20";

/// The desk's rows of up to 20 units (unused places hold the nil id): a fixed text, so each
/// connection keeps one prepared plan.
const DESK_ROWS: &str = "select u.id as unit_id, u.number, b.name as building, u.status,
        (select v.id from visits v where v.unit_id = u.id and v.outcome is null) as open_visit
    from units u join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
    where u.id in ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
    order by u.number";

/// Units of a batch whose number starts with `q`, or a buyer's name contains it (when it has
/// no digit), or (four digits) a buyer's phone ends with it; at most 20, by number. Each way
/// is its own small query through its own index, cheap to plan.
pub async fn desk_search(
    c: &mut impl DbConn,
    batch: Uuid,
    q: &str,
) -> Result<Vec<DeskRow>, AppError> {
    let lower = q.to_lowercase().replace(['%', '_', '\\'], "");
    if lower.is_empty() {
        return Ok(Vec::new());
    }
    let upper = format!("{lower}\u{10FFFF}");
    let mut found: Vec<Found> = run!(c, |c| sqlx::query_as(by_number_sql(&*c))
        .bind(batch)
        .bind(&lower)
        .bind(&upper)
        .fetch_all(c)
        .await)?;
    if !lower.chars().any(|c| c.is_ascii_digit()) {
        let sql = if lower.chars().any(|c| c.is_ascii_alphabetic()) {
            DESK_BY_LATIN_NAME
        } else {
            DESK_BY_NAME
        };
        let by_name: Vec<Found> = run!(c, |c| sqlx::query_as(sql)
            .bind(batch)
            .bind(format!("%{lower}%"))
            .fetch_all(c)
            .await)?;
        found.extend(by_name);
    }
    if lower.len() == 4 && lower.chars().all(|c| c.is_ascii_digit()) {
        let by_tail: Vec<Found> = run!(c, |c| sqlx::query_as(DESK_BY_TAIL)
            .bind(batch)
            .bind(&lower)
            .fetch_all(c)
            .await)?;
        found.extend(by_tail);
    }
    desk_rows(c, first_by_number(found)).await
}

/// The first 20 distinct units by number.
fn first_by_number(mut found: Vec<Found>) -> Vec<Uuid> {
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found.dedup_by_key(|f| f.0);
    found.into_iter().take(DESK_LIMIT).map(|f| f.0).collect()
}

/// The desk's rows of `units` (at most 20), by number.
async fn desk_rows(c: &mut impl DbConn, units: Vec<Uuid>) -> Result<Vec<DeskRow>, AppError> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = units;
    ids.resize(DESK_LIMIT, Uuid::nil());
    Ok(run!(c, |c| {
        let mut q = sqlx::query_as::<_, DeskRow>(DESK_ROWS);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?)
}

/// A visit with its unit.
#[derive(Debug, Clone, FromRow)]
pub struct VisitRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub unit_number: String,
    /// Appointment kept.
    pub appointment_id: Option<Uuid>,
    /// Who came.
    pub customer_name: String,
    /// Identity checked at the desk.
    pub identity_checked: bool,
    /// Note on the identity check.
    pub identity_note: String,
    /// Check-in time.
    pub checked_in_at: DateTime<Utc>,
    /// Accompanying staff.
    pub staff: String,
    /// Walkthrough start.
    pub walk_started_at: Option<DateTime<Utc>>,
    /// Walkthrough end.
    pub walk_ended_at: Option<DateTime<Utc>>,
    /// Outcome.
    pub outcome: Option<String>,
    /// When the outcome was recorded (the delivery time of an accepted visit).
    pub outcome_at: Option<DateTime<Utc>>,
    /// Refusal reason code.
    pub refusal_reason: Option<String>,
    /// Note on the outcome.
    pub outcome_note: String,
    /// Name as signed.
    pub signature_name: Option<String>,
    /// The signature's strokes (stored JSON).
    pub signature_strokes: Option<String>,
}

/// The visit query, followed by `$tail`.
macro_rules! visit_sql {
    ($tail:literal) => {
        concat!(
            "select v.id, v.project_id, v.batch_id, v.unit_id, u.number as unit_number,
        v.appointment_id, v.customer_name, v.identity_checked, v.identity_note, v.checked_in_at,
        v.staff, v.walk_started_at, v.walk_ended_at, v.outcome, v.outcome_at, v.refusal_reason,
        v.outcome_note, v.signature_name, v.signature_strokes
    from visits v join units u on u.id = v.unit_id",
            $tail
        )
    };
}

/// One visit.
pub async fn visit(c: &mut impl DbConn, id: Uuid) -> Result<VisitRow, AppError> {
    const SQL: &str = visit_sql!(" where v.id = $1");
    run!(c, |c| sqlx::query_as::<_, VisitRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// The visits of a unit, newest first.
pub async fn unit_visits(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<VisitRow>, AppError> {
    const SQL: &str = visit_sql!(" where v.unit_id = $1 order by v.checked_in_at desc");
    Ok(run!(c, |c| sqlx::query_as::<_, VisitRow>(SQL)
        .bind(unit)
        .fetch_all(c)
        .await)?)
}

/// A new visit at check-in.
pub struct NewVisit<'a> {
    /// Client id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Appointment kept.
    pub appointment_id: Option<Uuid>,
    /// Who came.
    pub customer_name: &'a str,
    /// Identity checked.
    pub identity_checked: bool,
    /// Note.
    pub identity_note: &'a str,
    /// Desk staff.
    pub user: Uuid,
}

/// Opens a visit (the partial unique index refuses a second open one).
pub async fn insert_visit(
    tx: &mut Tx,
    v: &NewVisit<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into visits (id, project_id, batch_id, unit_id, appointment_id, customer_name,
            identity_checked, identity_note, checked_in_by, checked_in_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
    )
    .bind(v.id)
    .bind(v.project_id)
    .bind(v.batch_id)
    .bind(v.unit_id)
    .bind(v.appointment_id)
    .bind(v.customer_name)
    .bind(v.identity_checked)
    .bind(v.identity_note)
    .bind(v.user)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Locks an open visit for a write (bumping `updated_at`); `VisitClosed` once it has an outcome.
pub async fn touch_open(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let n = exec!(tx, |c| sqlx::query(
        "update visits set updated_at = $2 where id = $1 and outcome is null"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await)?;
    if n == 0 {
        return Err(AppError::VisitClosed);
    }
    Ok(())
}

/// Sets the accompanying staff.
pub async fn set_staff(tx: &mut Tx, id: Uuid, staff: &str) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update visits set staff = $2 where id = $1"
    )
    .bind(id)
    .bind(staff)
    .execute(c)
    .await)?;
    Ok(())
}

/// Starts the walkthrough (once) or ends it (the last end wins).
pub async fn walk(tx: &mut Tx, id: Uuid, end: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let sql = if end {
        "update visits set walk_started_at = coalesce(walk_started_at, $2), walk_ended_at = $2 where id = $1"
    } else {
        "update visits set walk_started_at = coalesce(walk_started_at, $2) where id = $1"
    };
    exec!(tx, |c| sqlx::query(sql).bind(id).bind(now).execute(c).await)?;
    Ok(())
}

/// The outcome of a visit as written.
pub struct OutcomeRecord<'a> {
    /// Outcome.
    pub outcome: super::Outcome,
    /// Refusal reason code.
    pub refusal_reason: Option<&'a str>,
    /// Note.
    pub note: &'a str,
    /// Signed name.
    pub signature_name: Option<&'a str>,
    /// Stored strokes.
    pub signature_strokes: Option<String>,
    /// The rendered signature (PNG).
    pub signature_png: Option<Vec<u8>>,
    /// Who recorded it.
    pub user: Uuid,
}

/// Writes the outcome (the walkthrough ends with it); the accepted-visit index refuses a second
/// acceptance of a unit.
pub async fn close(
    tx: &mut Tx,
    id: Uuid,
    o: &OutcomeRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update visits set outcome = $2, outcome_at = $3, outcome_by = $4, refusal_reason = $5,
            outcome_note = $6, signature_name = $7, signature_strokes = $8, signature_png = $9,
            walk_ended_at = case when walk_started_at is null then walk_ended_at
                                 else coalesce(walk_ended_at, $3) end
         where id = $1 and outcome is null"
    )
    .bind(id)
    .bind(o.outcome.as_str())
    .bind(now)
    .bind(o.user)
    .bind(o.refusal_reason)
    .bind(o.note)
    .bind(o.signature_name)
    .bind(o.signature_strokes.as_deref())
    .bind(o.signature_png.as_deref())
    .execute(c)
    .await)?;
    Ok(())
}

/// A customer's issue with its judgement and rectification item.
#[derive(Debug, Clone, FromRow)]
pub struct IssueRow {
    /// Id.
    pub id: Uuid,
    /// Visit.
    pub visit_id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Room.
    pub room: String,
    /// Part.
    pub part: String,
    /// Trade.
    pub trade: String,
    /// What the customer said.
    pub description: String,
    /// `reasonable`, `unreasonable`, or none yet.
    pub judgement: Option<String>,
    /// Reason code of an unreasonable issue.
    pub reason_code: Option<String>,
    /// Reason in words.
    pub reason_text: String,
    /// The rectification item of a reasonable issue.
    pub defect_id: Option<Uuid>,
    /// Its status.
    pub defect_status: Option<String>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
}

/// The issue query, followed by `$tail`.
macro_rules! issue_sql {
    ($tail:literal) => {
        concat!("select i.id, i.visit_id, i.unit_id, i.room, i.part, i.trade, i.description,
        i.judgement, i.reason_code, i.reason_text, i.defect_id,
        (select d.status from defects d where d.id = i.defect_id) as defect_status, i.created_at",
        $tail)
    };
}

/// One issue.
pub async fn issue(c: &mut impl DbConn, id: Uuid) -> Result<IssueRow, AppError> {
    const SQL: &str = issue_sql!(" from visit_issues i where i.id = $1");
    run!(c, |c| sqlx::query_as::<_, IssueRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// An issue row with its photos' content hashes, comma-separated in order.
#[derive(FromRow)]
struct IssuePhotosRow {
    #[sqlx(flatten)]
    issue: IssueRow,
    photos: Option<String>,
}

/// The issues of a visit in the order raised, each with its photos (content hashes, in order):
/// one statement, as the visit detail follows every tablet write. Correlated look-ups, not
/// joins: PostgreSQL otherwise hashes whole tables when its statistics lag behind a busy day.
pub async fn visit_issues_with_photos(
    c: &mut impl DbConn,
    visit: Uuid,
) -> Result<Vec<(IssueRow, Vec<String>)>, AppError> {
    const SQL: &str = issue_sql!(
        ", (select string_agg(p.sha256, ',' order by p.position) from visit_issue_photos p
            where p.issue_id = i.id) as photos
        from visit_issues i where i.visit_id = $1 order by i.created_at, i.id"
    );
    let rows: Vec<IssuePhotosRow> =
        run!(c, |c| sqlx::query_as(SQL).bind(visit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let photos = r.photos.unwrap_or_default();
            let photos = photos.split(',').filter(|p| !p.is_empty());
            (r.issue, photos.map(str::to_owned).collect())
        })
        .collect())
}

/// Records an issue (unjudged).
pub async fn insert_issue(tx: &mut Tx, i: &IssueRow, user: Uuid) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into visit_issues (id, visit_id, unit_id, room, part, trade, description,
            reason_text, raised_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, '', $8, $9)"
    )
    .bind(i.id)
    .bind(i.visit_id)
    .bind(i.unit_id)
    .bind(&i.room)
    .bind(&i.part)
    .bind(&i.trade)
    .bind(&i.description)
    .bind(user)
    .bind(i.created_at)
    .execute(c)
    .await)?;
    Ok(())
}

/// Writes a judgement once; `IssueJudged` if the issue had one.
pub async fn judge(
    tx: &mut Tx,
    id: Uuid,
    (judgement, code, text): (super::Judgement, Option<&str>, &str),
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    let n = exec!(tx, |c| sqlx::query(
        "update visit_issues set judgement = $2, reason_code = $3, reason_text = $4,
            judged_by = $5, judged_at = $6 where id = $1 and judgement is null"
    )
    .bind(id)
    .bind(judgement.as_str())
    .bind(code)
    .bind(text)
    .bind(user)
    .bind(now)
    .execute(c)
    .await)?;
    if n == 0 {
        return Err(AppError::IssueJudged);
    }
    Ok(())
}

/// Links a reasonable issue to its rectification item.
pub async fn link_defect(tx: &mut Tx, issue: Uuid, defect: Uuid) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update visit_issues set defect_id = $2 where id = $1"
    )
    .bind(issue)
    .bind(defect)
    .execute(c)
    .await)?;
    Ok(())
}

/// The photos of an issue, in order.
pub async fn issue_photos(c: &mut impl DbConn, issue: Uuid) -> Result<Vec<String>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select sha256 from visit_issue_photos where issue_id = $1 order by position"
    )
    .bind(issue)
    .fetch_all(c)
    .await)?)
}

/// Adds a photo to an issue (a photo already there stays once).
pub async fn add_issue_photo(tx: &mut Tx, issue: Uuid, sha256: &str) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into visit_issue_photos (issue_id, sha256, position)
         values ($1, $2, (select count(*) from visit_issue_photos where issue_id = $1))
         on conflict (issue_id, sha256) do nothing"
    )
    .bind(issue)
    .bind(sha256)
    .execute(c)
    .await)?;
    Ok(())
}

/// A meter reading of a visit.
#[derive(Debug, Clone, FromRow)]
pub struct MeterRow {
    /// `water`, `power` or `gas`.
    pub kind: String,
    /// Reading.
    pub reading: f64,
    /// Photo of the dial.
    pub photo: Option<String>,
}

/// The meter readings of a visit.
pub async fn meters(c: &mut impl DbConn, visit: Uuid) -> Result<Vec<MeterRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, MeterRow>(
        "select kind, reading, photo from visit_meters where visit_id = $1"
    )
    .bind(visit)
    .fetch_all(c)
    .await)?)
}

/// What a visit recorded beside its issues, with its project's settings and its unit's
/// handover conditions.
#[derive(Debug, Default)]
pub struct VisitRecord {
    /// The project's handover-day settings.
    pub settings: Settings,
    /// The unit's recorded conditions.
    pub conditions: Vec<ConditionRow>,
    /// Meter readings.
    pub meters: Vec<MeterRow>,
    /// Keys handed: `(code, count)`.
    pub keys: Vec<(String, i32)>,
    /// Documents handed (codes).
    pub documents: Vec<String>,
}

/// One row of [`visit_record`]: `tag` says which list it belongs to.
#[derive(FromRow)]
struct RecordRow {
    tag: String,
    code: String,
    note: Option<String>,
    waiver_reason: Option<String>,
    waived_at: Option<DateTime<Utc>>,
    met: Option<bool>,
    reading: Option<f64>,
    n: Option<i32>,
}

/// The settings, conditions, meters, keys and documents of the visit `visit` (of `project` and
/// `unit`), in one statement: the visit detail follows every tablet write, and on PostgreSQL
/// each statement is a round trip. The first branch's casts type the columns for PostgreSQL,
/// which resolves a union's types branch by branch.
pub async fn visit_record(
    c: &mut impl DbConn,
    (project, unit, visit): (Uuid, Uuid, Uuid),
) -> Result<VisitRecord, AppError> {
    const SQL: &str = "
    select 's' as tag, settings as code, cast(null as text) as note,
        cast(null as text) as waiver_reason, cast(null as timestamptz) as waived_at,
        cast(null as boolean) as met, cast(null as double precision) as reading,
        cast(null as integer) as n
    from delivery_settings where project_id = $1
    union all
    select 'c', code, note, waiver_reason, waived_at, met, null, null
    from unit_conditions where unit_id = $2
    union all
    select 'm', kind, photo, null, null, null, reading, null from visit_meters where visit_id = $3
    union all
    select 'k', code, null, null, null, null, null, count from visit_keys where visit_id = $3
    union all
    select 'd', code, null, null, null, null, null, null from visit_documents where visit_id = $3";
    let rows: Vec<RecordRow> = run!(c, |c| sqlx::query_as(SQL)
        .bind(project)
        .bind(unit)
        .bind(visit)
        .fetch_all(c)
        .await)?;
    let mut record = VisitRecord::default();
    for r in rows {
        match r.tag.as_str() {
            "s" => record.settings = Settings::parse(Some(&r.code)),
            "c" => record.conditions.push(ConditionRow {
                code: r.code,
                met: r.met.unwrap_or(false),
                note: r.note.unwrap_or_default(),
                waiver_reason: r.waiver_reason,
                waived_at: r.waived_at,
            }),
            "m" => record.meters.push(MeterRow {
                kind: r.code,
                reading: r.reading.unwrap_or_default(),
                photo: r.note,
            }),
            "k" => record.keys.push((r.code, r.n.unwrap_or_default())),
            _ => record.documents.push(r.code),
        }
    }
    Ok(record)
}

/// Records (or corrects) a meter reading; a new photo replaces the old, none keeps it.
pub async fn set_meter(
    tx: &mut Tx,
    visit: Uuid,
    (kind, reading, photo): (super::MeterKind, f64, Option<&str>),
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| {
        sqlx::query(
        "insert into visit_meters (visit_id, kind, reading, photo, recorded_at) values ($1, $2, $3, $4, $5)
         on conflict (visit_id, kind) do update set reading = excluded.reading,
            photo = coalesce(excluded.photo, visit_meters.photo), recorded_at = excluded.recorded_at"
    )
    .bind(visit)
    .bind(kind.as_str())
    .bind(reading)
    .bind(photo)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// Replaces the keys handed.
pub async fn set_keys(tx: &mut Tx, visit: Uuid, keys: &[(String, i32)]) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "delete from visit_keys where visit_id = $1"
    )
    .bind(visit)
    .execute(c)
    .await)?;
    for (code, count) in keys {
        exec!(tx, |c| sqlx::query(
            "insert into visit_keys (visit_id, code, count) values ($1, $2, $3)"
        )
        .bind(visit)
        .bind(code)
        .bind(count)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// Replaces the documents handed.
pub async fn set_documents(tx: &mut Tx, visit: Uuid, codes: &[String]) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "delete from visit_documents where visit_id = $1"
    )
    .bind(visit)
    .execute(c)
    .await)?;
    for code in codes {
        exec!(tx, |c| sqlx::query(
            "insert into visit_documents (visit_id, code) values ($1, $2)"
        )
        .bind(visit)
        .bind(code)
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// Whether a unit is planned in a batch.
pub async fn in_batch(c: &mut impl DbConn, batch: Uuid, unit: Uuid) -> Result<bool, AppError> {
    let n: i64 = run!(c, |c| sqlx::query_scalar(
        "select count(*) from batch_units where batch_id = $1 and unit_id = $2"
    )
    .bind(batch)
    .bind(unit)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// A booked appointment as the desk lists it: who comes when, and where the unit stands.
#[derive(Debug, Clone, FromRow)]
pub struct DeskAppointment {
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub unit_number: String,
    /// Building name.
    pub building: String,
    /// Slot start.
    pub starts_at: DateTime<Utc>,
    /// Who comes.
    pub customer_name: String,
    /// Their phone.
    pub phone: String,
    /// Unit status.
    pub status: String,
    /// The open visit, if the customer is checked in.
    pub open_visit: Option<Uuid>,
}

/// The booked appointments of a batch whose slot starts in `[from, to)`, by time.
pub async fn desk_appointments(
    c: &mut impl DbConn,
    batch: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<DeskAppointment>, AppError> {
    const SQL: &str = "select u.id as unit_id, u.number as unit_number, b.name as building,
            s.starts_at, a.customer_name, a.phone, u.status,
            (select v.id from visits v where v.unit_id = u.id and v.outcome is null) as open_visit
        from appointments a join delivery_slots s on s.id = a.slot_id
        join units u on u.id = a.unit_id
        join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
        where a.batch_id = $1 and a.status = 'booked' and s.starts_at >= $2 and s.starts_at < $3
        order by s.starts_at, b.name, u.number";
    Ok(run!(c, |c| sqlx::query_as::<_, DeskAppointment>(SQL)
        .bind(batch)
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)?)
}

/// Whether photo `sha256` was taken in visit `visit` (of one of its issues or a meter dial).
pub async fn visit_has_photo(
    c: &mut impl DbConn,
    visit: Uuid,
    sha256: &str,
) -> Result<bool, AppError> {
    const SQL: &str = "select exists (select 1 from visit_issue_photos p
            join visit_issues i on i.id = p.issue_id where i.visit_id = $1 and p.sha256 = $2)
        or exists (select 1 from visit_meters m where m.visit_id = $1 and m.photo = $2)";
    Ok(run!(c, |c| sqlx::query_scalar::<_, bool>(SQL)
        .bind(visit)
        .bind(sha256)
        .fetch_one(c)
        .await)?)
}

/// The start of the first booked slot of a batch at or after `from`, if any.
pub async fn next_booked_slot(
    c: &mut impl DbConn,
    batch: Uuid,
    from: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    const SQL: &str = "select s.starts_at from appointments a
        join delivery_slots s on s.id = a.slot_id
        where a.batch_id = $1 and a.status = 'booked' and s.starts_at >= $2
        order by s.starts_at limit 1";
    Ok(run!(c, |c| sqlx::query_scalar::<_, DateTime<Utc>>(SQL)
        .bind(batch)
        .bind(from)
        .fetch_optional(c)
        .await)?)
}
