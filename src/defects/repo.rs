//! SQL for defects: records, their history, photos, fix presets, and the filtered lists.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::{Defect, Status, Transition};
use crate::db::DbConn;
use crate::error::AppError;
use crate::photos::Ingested;
use crate::{exec, run};

/// One defect with the names its pages and API show.
#[derive(Debug, Clone, FromRow)]
pub struct DefectRow {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Number within the project.
    pub number: i32,
    /// Unit, when it is in a unit.
    pub unit_id: Option<Uuid>,
    /// Unit number (`3-1-1201`).
    pub unit_number: Option<String>,
    /// Building id of the unit.
    pub building_id: Option<Uuid>,
    /// Floor of the unit.
    pub floor: Option<i32>,
    /// Layout of the unit (for its floor plan).
    pub layout_id: Option<Uuid>,
    /// Common area, when it is in one.
    pub common_area_id: Option<Uuid>,
    /// Common area name.
    pub area_name: Option<String>,
    /// Room (客厅, 主卫 ...).
    pub room: String,
    /// Part (墙面, 窗框 ...).
    pub part: String,
    /// Trade.
    pub trade: String,
    /// What is wrong.
    pub description: String,
    /// `minor`, `serious`, `critical`.
    pub severity: String,
    /// Stage found.
    pub stage: String,
    /// Inspection it was found in.
    pub inspection_id: Option<Uuid>,
    /// Who recorded it.
    pub raised_by: Uuid,
    /// Their display name.
    pub raised_by_name: String,
    /// Lifecycle status.
    pub status: String,
    /// Responsible contractor.
    pub contractor_id: Option<Uuid>,
    /// Its name.
    pub contractor_name: Option<String>,
    /// Fix-by date.
    pub due_on: Option<NaiveDate>,
    /// Failed re-inspections.
    pub send_backs: i32,
    /// Pin on the floor plan (fraction of width).
    pub pin_x: Option<f64>,
    /// Pin on the floor plan (fraction of height).
    pub pin_y: Option<f64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// First "before" photo, for list thumbnails.
    pub thumb_photo: Option<Uuid>,
}

impl DefectRow {
    /// The lifecycle state, for [`Defect::apply`].
    pub fn lifecycle(&self) -> Result<Defect, AppError> {
        Ok(Defect {
            status: Status::parse(&self.status)
                .ok_or_else(|| anyhow::anyhow!("bad status {}", self.status))?,
            contractor: self.contractor_id,
            due_on: self.due_on,
            send_backs: self.send_backs,
            cancel_reason: self.cancel_reason.clone(),
        })
    }
}

const DEFECT_SQL: &str = "select d.id, d.project_id, d.number, d.unit_id, u.number as unit_number,
        d.building_id, d.floor, u.layout_id, d.common_area_id, ca.name as area_name, d.room, d.part,
        d.trade, d.description, d.severity, d.stage, d.inspection_id, d.raised_by,
        us.display_name as raised_by_name, d.status, d.contractor_id, c.name as contractor_name,
        d.due_on, d.send_backs, d.pin_x, d.pin_y, d.cancel_reason, d.created_at, d.updated_at,
        (select p.id from defect_photos p where p.defect_id = d.id and p.phase = 'before'
          order by p.uploaded_at, p.id limit 1) as thumb_photo
    from defects d
    left join units u on u.id = d.unit_id
    left join common_areas ca on ca.id = d.common_area_id
    left join contractors c on c.id = d.contractor_id
    join users us on us.id = d.raised_by";

/// A defect to insert (its id may come from the tablet).
#[derive(Debug, Clone)]
pub struct NewDefectRecord {
    /// Id (client-generated or new).
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit, or ...
    pub unit_id: Option<Uuid>,
    /// ... common area.
    pub common_area_id: Option<Uuid>,
    /// Building of the unit or area.
    pub building_id: Option<Uuid>,
    /// Floor of the unit.
    pub floor: Option<i32>,
    /// Room.
    pub room: String,
    /// Part.
    pub part: String,
    /// Trade.
    pub trade: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: String,
    /// Stage.
    pub stage: String,
    /// Inspection it belongs to.
    pub inspection_id: Option<Uuid>,
    /// Recorder.
    pub raised_by: Uuid,
    /// Pin.
    pub pin: Option<(f64, f64)>,
}

/// Inserts a defect in status `open`; `false` when a defect with this id already exists.
pub async fn insert(
    c: &mut impl DbConn,
    d: &NewDefectRecord,
    number: i32,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    const SQL: &str = "insert into defects (id, project_id, number, unit_id, common_area_id, room,
            part, trade, description, severity, stage, inspection_id, raised_by, status, pin_x,
            pin_y, created_at, updated_at, building_id, floor)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $15, $16, $16,
            $17, $18)
        on conflict (id) do nothing";
    let n = exec!(c, |c| sqlx::query(SQL)
        .bind(d.id)
        .bind(d.project_id)
        .bind(number)
        .bind(d.unit_id)
        .bind(d.common_area_id)
        .bind(&d.room)
        .bind(&d.part)
        .bind(&d.trade)
        .bind(&d.description)
        .bind(&d.severity)
        .bind(&d.stage)
        .bind(d.inspection_id)
        .bind(d.raised_by)
        .bind(d.pin.map(|p| p.0))
        .bind(d.pin.map(|p| p.1))
        .bind(now)
        .bind(d.building_id)
        .bind(d.floor)
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// The project a defect id belongs to, if it exists.
pub async fn project_of(c: &mut impl DbConn, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select project_id from defects where id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// One defect.
pub async fn get(c: &mut impl DbConn, id: Uuid) -> Result<DefectRow, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(DEFECT_SQL);
        q.push(" where d.id = ").push_bind(id);
        q.build_query_as::<DefectRow>()
            .fetch_optional(c)
            .await?
            .ok_or(AppError::NotFound)
    })
}

/// Writes an applied transition, if the defect is still in `t.from` (else someone else moved
/// it first: the same illegal-transition conflict the domain would give).
pub async fn save_transition(
    c: &mut impl DbConn,
    id: Uuid,
    d: &Defect,
    t: &Transition,
    action: &'static str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "update defects set status = $1, contractor_id = $2, due_on = $3,
            send_backs = $4, cancel_reason = $5, updated_at = $6
        where id = $7 and status = $8";
    let n = exec!(c, |c| sqlx::query(SQL)
        .bind(t.to.as_str())
        .bind(d.contractor)
        .bind(d.due_on)
        .bind(d.send_backs)
        .bind(&d.cancel_reason)
        .bind(now)
        .bind(id)
        .bind(t.from.as_str())
        .execute(c)
        .await)?;
    if n == 1 {
        Ok(())
    } else {
        Err(AppError::DefectIllegalTransition {
            from: t.from.as_str(),
            action,
        })
    }
}

/// One entry of a defect's history.
#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    /// Id (the client's idempotency key when it sent one).
    pub id: Uuid,
    /// Who.
    pub actor_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// From status (none for the creation).
    pub from_status: Option<String>,
    /// To status.
    pub to_status: String,
    /// Contractor after the move.
    pub contractor_name: Option<String>,
    /// Due date after the move.
    pub due_on: Option<NaiveDate>,
    /// Note.
    pub note: String,
}

/// A history entry to write.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Id: the client's idempotency key, or new.
    pub id: Uuid,
    /// Defect.
    pub defect_id: Uuid,
    /// Who.
    pub actor: Uuid,
    /// From status (none for the creation).
    pub from: Option<Status>,
    /// To status.
    pub to: Status,
    /// Contractor after the move.
    pub contractor: Option<Uuid>,
    /// Due date after the move.
    pub due_on: Option<NaiveDate>,
    /// Note.
    pub note: &'a str,
}

/// Whether a history entry with this id exists on the defect (a command sent twice).
pub async fn event_exists(c: &mut impl DbConn, defect: Uuid, id: Uuid) -> Result<bool, AppError> {
    let n: i64 = run!(c, |c| sqlx::query_scalar(
        "select count(*) from defect_events where id = $1 and defect_id = $2"
    )
    .bind(id)
    .bind(defect)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// Appends a history entry.
pub async fn insert_event(
    c: &mut impl DbConn,
    e: &NewEvent<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into defect_events (id, defect_id, actor_id, at, from_status,
            to_status, contractor_id, due_on, note)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    exec!(c, |c| sqlx::query(SQL)
        .bind(e.id)
        .bind(e.defect_id)
        .bind(e.actor)
        .bind(now)
        .bind(e.from.map(Status::as_str))
        .bind(e.to.as_str())
        .bind(e.contractor)
        .bind(e.due_on)
        .bind(e.note)
        .execute(c)
        .await)?;
    Ok(())
}

/// The history of a defect, oldest first.
pub async fn events(c: &mut impl DbConn, defect: Uuid) -> Result<Vec<EventRow>, AppError> {
    const SQL: &str = "select ev.id, us.display_name as actor_name, ev.at, ev.from_status,
            ev.to_status, c.name as contractor_name, ev.due_on, ev.note
        from defect_events ev join users us on us.id = ev.actor_id
        left join contractors c on c.id = ev.contractor_id
        where ev.defect_id = $1 order by ev.at, ev.id";
    Ok(run!(c, |c| sqlx::query_as::<_, EventRow>(SQL)
        .bind(defect)
        .fetch_all(c)
        .await)?)
}

/// One photo of a defect.
#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    /// Id (what the photo URLs carry).
    pub id: Uuid,
    /// Content hash of the original.
    pub sha256: String,
    /// `before` or `after`.
    pub phase: String,
    /// Upright width of the original.
    pub width: i32,
    /// Upright height of the original.
    pub height: i32,
    /// Uploaded at.
    pub uploaded_at: DateTime<Utc>,
}

/// Records a stored photo's blob (once per content).
pub async fn insert_blob(
    c: &mut impl DbConn,
    p: &Ingested,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into photo_blobs (sha256, mime, bytes, width, height, created_at)
        values ($1, $2, $3, $4, $5, $6) on conflict (sha256) do nothing";
    exec!(c, |c| sqlx::query(SQL)
        .bind(&p.sha256)
        .bind(p.mime)
        .bind(i64::try_from(p.bytes).unwrap_or(i64::MAX))
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

/// Attaches a stored photo to a defect; the same photo twice in one phase is attached once.
pub async fn attach_photo(
    c: &mut impl DbConn,
    defect: Uuid,
    sha256: &str,
    phase: &str,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into defect_photos (id, defect_id, sha256, phase, uploaded_by, uploaded_at)
        values ($1, $2, $3, $4, $5, $6) on conflict (defect_id, sha256, phase) do nothing";
    exec!(c, |c| sqlx::query(SQL)
        .bind(Uuid::new_v4())
        .bind(defect)
        .bind(sha256)
        .bind(phase)
        .bind(user)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(run!(c, |c| sqlx::query_scalar(
        "select id from defect_photos where defect_id = $1 and sha256 = $2 and phase = $3"
    )
    .bind(defect)
    .bind(sha256)
    .bind(phase)
    .fetch_one(c)
    .await)?)
}

/// The photos of a defect, in upload order.
pub async fn photos(c: &mut impl DbConn, defect: Uuid) -> Result<Vec<PhotoRow>, AppError> {
    const SQL: &str = "select p.id, p.sha256, p.phase, b.width, b.height, p.uploaded_at
        from defect_photos p join photo_blobs b on b.sha256 = p.sha256
        where p.defect_id = $1 order by p.uploaded_at, p.id";
    Ok(run!(c, |c| sqlx::query_as::<_, PhotoRow>(SQL)
        .bind(defect)
        .fetch_all(c)
        .await)?)
}

/// The content hash and defect of a defect photo.
pub async fn photo_location(c: &mut impl DbConn, photo: Uuid) -> Result<(String, Uuid), AppError> {
    run!(c, |c| sqlx::query_as::<_, (String, Uuid)>(
        "select sha256, defect_id from defect_photos where id = $1"
    )
    .bind(photo)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// Defects still waiting on someone in a unit.
pub async fn pending_in_unit(c: &mut impl DbConn, unit: Uuid) -> Result<i64, AppError> {
    Ok(run!(c, |c| {
        sqlx::query_scalar(
        "select count(*) from defects where unit_id = $1 and status in ('open', 'assigned', 'fixed')"
    )
    .bind(unit)
    .fetch_one(c)
    .await
    })?)
}

/// A fix preset (整改预设).
#[derive(Debug, Clone, FromRow)]
pub struct PresetRow {
    /// Id.
    pub id: Uuid,
    /// Trade.
    pub trade: String,
    /// Building it applies to (none = every building).
    pub building_id: Option<Uuid>,
    /// Building name.
    pub building: Option<String>,
    /// Contractor.
    pub contractor_id: Uuid,
    /// Contractor name.
    pub contractor_name: String,
    /// Days to fix.
    pub days: i32,
}

/// The fix presets of a project.
pub async fn presets(c: &mut impl DbConn, project: Uuid) -> Result<Vec<PresetRow>, AppError> {
    const SQL: &str = "select f.id, f.trade, f.building_id, b.name as building, f.contractor_id,
            c.name as contractor_name, f.days
        from fix_presets f join contractors c on c.id = f.contractor_id
        left join buildings b on b.id = f.building_id
        where f.project_id = $1 order by f.trade, b.sort_key, b.name";
    Ok(run!(c, |c| sqlx::query_as::<_, PresetRow>(SQL)
        .bind(project)
        .fetch_all(c)
        .await)?)
}

/// The preset for a trade in a building: the building's own, else the project-wide one.
pub async fn preset_for(
    c: &mut impl DbConn,
    project: Uuid,
    trade: &str,
    building: Option<Uuid>,
) -> Result<Option<(Uuid, i32)>, AppError> {
    const SQL: &str = "select contractor_id, days from fix_presets
        where project_id = $1 and trade = $2 and (building_id = $3 or building_id is null)
        order by case when building_id is null then 1 else 0 end limit 1";
    Ok(run!(c, |c| sqlx::query_as::<_, (Uuid, i32)>(SQL)
        .bind(project)
        .bind(trade)
        .bind(building)
        .fetch_optional(c)
        .await)?)
}

/// Sets (or replaces) the preset of a trade, optionally for one building.
pub async fn set_preset(
    c: &mut impl DbConn,
    project: Uuid,
    trade: &str,
    building: Option<Uuid>,
    contractor: Uuid,
    days: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "delete from fix_presets where project_id = $1 and trade = $2
            and coalesce(building_id, project_id) = coalesce($3, project_id)"
    )
    .bind(project)
    .bind(trade)
    .bind(building)
    .execute(c)
    .await)?;
    exec!(c, |c| {
        sqlx::query(
        "insert into fix_presets (id, project_id, trade, building_id, contractor_id, days, created_at)
            values ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(Uuid::new_v4())
    .bind(project)
    .bind(trade)
    .bind(building)
    .bind(contractor)
    .bind(days)
    .bind(now)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// Removes a preset of a project.
pub async fn delete_preset(c: &mut impl DbConn, project: Uuid, id: Uuid) -> Result<(), AppError> {
    let n = exec!(c, |c| sqlx::query(
        "delete from fix_presets where id = $1 and project_id = $2"
    )
    .bind(id)
    .bind(project)
    .execute(c)
    .await)?;
    if n == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether a contractor belongs to a project.
pub async fn contractor_in_project(
    c: &mut impl DbConn,
    project: Uuid,
    contractor: Uuid,
) -> Result<bool, AppError> {
    let n: i64 = run!(c, |c| sqlx::query_scalar(
        "select count(*) from contractors where id = $1 and project_id = $2"
    )
    .bind(contractor)
    .bind(project)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// Filters of the defect list; every one is optional and they combine with "and".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Building.
    pub building: Option<Uuid>,
    /// Floor.
    pub floor: Option<i32>,
    /// Unit.
    pub unit: Option<Uuid>,
    /// Common area.
    pub common_area: Option<Uuid>,
    /// Trade.
    pub trade: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Statuses (any of).
    pub statuses: Vec<Status>,
    /// Contractor.
    pub contractor: Option<Uuid>,
    /// Only overdue ones, as of this date.
    pub overdue_on: Option<NaiveDate>,
    /// Unit number or description contains this text.
    pub text: Option<String>,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest first.
    #[default]
    Newest,
    /// Earliest due date first (overdue first), then newest.
    Due,
}

fn push_filter<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, project: Uuid, f: &Filter)
where
    Uuid: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i32: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    NaiveDate: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(" where d.project_id = ").push_bind(project);
    if let Some(b) = f.building {
        q.push(" and d.building_id = ").push_bind(b);
    }
    if let Some(fl) = f.floor {
        q.push(" and d.floor = ").push_bind(fl);
    }
    if let Some(u) = f.unit {
        q.push(" and d.unit_id = ").push_bind(u);
    }
    if let Some(a) = f.common_area {
        q.push(" and d.common_area_id = ").push_bind(a);
    }
    if let Some(t) = &f.trade {
        q.push(" and d.trade = ").push_bind(t.clone());
    }
    if let Some(s) = &f.severity {
        q.push(" and d.severity = ").push_bind(s.clone());
    }
    if !f.statuses.is_empty() {
        q.push(" and d.status in (");
        let mut sep = q.separated(", ");
        for s in &f.statuses {
            sep.push_bind(s.as_str().to_owned());
        }
        q.push(")");
    }
    if let Some(c) = f.contractor {
        q.push(" and d.contractor_id = ").push_bind(c);
    }
    if let Some(day) = f.overdue_on {
        q.push(" and d.status = 'assigned' and d.due_on < ")
            .push_bind(day);
    }
    if let Some(t) = &f.text {
        // Same answer on both backends: case-folded, with % and _ matched literally.
        let escaped = t
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        q.push(" and (lower(u.number) like ")
            .push_bind(pattern.clone())
            .push(" escape '\\' or lower(d.description) like ")
            .push_bind(pattern)
            .push(" escape '\\')");
    }
}

/// One page of a project's defects matching `f`, and how many match in all.
///
/// The page's ids are found first on `defects` alone (indexed filters, no per-row subqueries),
/// then only those rows are joined with names and thumbnails.
pub async fn list(
    c: &mut impl DbConn,
    project: Uuid,
    f: &Filter,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DefectRow>, i64), AppError> {
    let order_sql = match order {
        Order::Newest => " order by d.number desc",
        // Overdue rows all have a due date, so the index order needs no null handling.
        Order::Due if f.overdue_on.is_some() => " order by d.due_on, d.number desc",
        Order::Due => " order by d.due_on is null, d.due_on, d.number desc",
    };
    // Text search needs the unit number; every other filter is on `defects` itself.
    let from = if f.text.is_some() {
        "from defects d left join units u on u.id = d.unit_id"
    } else {
        "from defects d"
    };
    let rows = run!(c, |c| {
        let mut q = QueryBuilder::new(DEFECT_SQL);
        q.push(" join (select d.id ").push(from);
        push_filter(&mut q, project, f);
        q.push(order_sql)
            .push(" limit ")
            .push_bind(limit)
            .push(" offset ")
            .push_bind(offset)
            .push(") page on page.id = d.id")
            .push(order_sql);
        q.build_query_as::<DefectRow>().fetch_all(&mut *c).await
    })?;
    // Counting stops past MAX_COUNT: an exact "12,345" costs a scan of every match, and nobody
    // pages that far on a tablet; they filter.
    let total: i64 = run!(c, |c| {
        let mut q = QueryBuilder::new("select count(*) from (select 1 ");
        q.push(from);
        push_filter(&mut q, project, f);
        q.push(" limit ").push_bind(MAX_COUNT + 1).push(") matches");
        q.build_query_scalar().fetch_one(&mut *c).await
    })?;
    Ok((rows, total))
}

/// Where list counts stop: a `total` above this means "more than this many".
pub const MAX_COUNT: i64 = 10_000;

/// Counts of a project's defects per status, for filter chips.
pub async fn status_counts(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, (String, i64)>(
        "select status, count(*) from defects where project_id = $1 group by status"
    )
    .bind(project)
    .fetch_all(c)
    .await)?)
}

/// The contractor company a contractor-role user works for on a project.
pub async fn contractor_of(
    c: &mut impl DbConn,
    user: Uuid,
    project: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| {
        sqlx::query_scalar(
        "select contractor_id from memberships
            where user_id = $1 and project_id = $2 and role = 'contractor' and contractor_id is not null
            limit 1"
    )
    .bind(user)
    .bind(project)
    .fetch_optional(c)
    .await
    })?)
}

/// The building of a project's common area (`Some(None)` for a project-wide area), or `None`
/// when the area is not the project's.
pub async fn common_area_building(
    c: &mut impl DbConn,
    project: Uuid,
    area: Uuid,
) -> Result<Option<Option<Uuid>>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select building_id from common_areas where id = $1 and project_id = $2"
    )
    .bind(area)
    .bind(project)
    .fetch_optional(c)
    .await)?)
}

/// Whether the contractor attached an "after" photo since the defect was last assigned.
pub async fn has_after_photo(c: &mut impl DbConn, defect: Uuid) -> Result<bool, AppError> {
    const SQL: &str = "select count(*) from defect_photos p
        where p.defect_id = $1 and p.phase = 'after'
          and p.uploaded_at >= (select max(ev.at) from defect_events ev
                                where ev.defect_id = $1 and ev.to_status = 'assigned')";
    let n: i64 = run!(c, |c| sqlx::query_scalar(SQL)
        .bind(defect)
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// The MIME type of a stored original.
pub async fn blob_mime(c: &mut impl DbConn, sha256: &str) -> Result<String, AppError> {
    run!(c, |c| sqlx::query_scalar(
        "select mime from photo_blobs where sha256 = $1"
    )
    .bind(sha256)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// Whether a building belongs to a project.
pub async fn building_in_project(
    c: &mut impl DbConn,
    project: Uuid,
    building: Uuid,
) -> Result<bool, AppError> {
    let n: i64 = run!(c, |c| sqlx::query_scalar(
        "select count(*) from buildings where id = $1 and project_id = $2"
    )
    .bind(building)
    .bind(project)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// A layout's project and floor plan photo, if it has one.
pub async fn layout_plan(
    c: &mut impl DbConn,
    layout: Uuid,
) -> Result<(Uuid, Option<String>), AppError> {
    run!(c, |c| sqlx::query_as::<_, (Uuid, Option<String>)>(
        "select project_id, plan_sha256 from layouts where id = $1"
    )
    .bind(layout)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// Sets a layout's floor plan.
pub async fn set_layout_plan(
    c: &mut impl DbConn,
    layout: Uuid,
    sha256: &str,
) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update layouts set plan_sha256 = $1 where id = $2"
    )
    .bind(sha256)
    .bind(layout)
    .execute(c)
    .await)?;
    Ok(())
}
