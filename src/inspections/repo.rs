//! SQL for inspections: start, record item results, finish, coverage, and the unit status that
//! follows from them.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::Outcome;
use crate::db::DbConn;
use crate::error::AppError;
use crate::org::UnitStatus;
use crate::{exec, run};

/// An inspection with the names its pages show.
#[derive(Debug, Clone, FromRow)]
pub struct InspectionRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit, or ...
    pub unit_id: Option<Uuid>,
    /// ... common area.
    pub common_area_id: Option<Uuid>,
    /// Where (unit number or area name).
    pub place: String,
    /// `self`, `takeover`, `reinspection`.
    pub stage: String,
    /// Checklist version it runs.
    pub version_id: Uuid,
    /// Inspector.
    pub inspector_id: Uuid,
    /// Inspector's name.
    pub inspector_name: String,
    /// Supervisor (监理) present.
    pub supervisor: String,
    /// Contractor present.
    pub contractor: String,
    /// Property company present.
    pub property: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `pass` or `fail`, once finished.
    pub verdict: Option<String>,
}

/// The inspection select with its names, followed by `$tail` (a where clause).
macro_rules! inspection_sql {
    ($tail:literal) => {
        concat!("select i.id, i.project_id, i.unit_id, i.common_area_id,
        coalesce(u.number, ca.name, '') as place, i.stage, i.version_id, i.inspector_id,
        us.display_name as inspector_name, i.supervisor, i.contractor, i.property, i.started_at,
        i.finished_at, i.verdict
    from inspections i join users us on us.id = i.inspector_id
    left join units u on u.id = i.unit_id left join common_areas ca on ca.id = i.common_area_id",
            $tail)
    };
}

/// A new inspection.
#[derive(Debug, Clone)]
pub struct NewInspection {
    /// Id (client-generated or new).
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit, or ...
    pub unit_id: Option<Uuid>,
    /// ... common area.
    pub common_area_id: Option<Uuid>,
    /// Stage.
    pub stage: &'static str,
    /// Checklist version.
    pub version_id: Uuid,
    /// Inspector.
    pub inspector_id: Uuid,
    /// Supervisor present.
    pub supervisor: String,
    /// Contractor present.
    pub contractor: String,
    /// Property company present.
    pub property: String,
}

/// Inserts an inspection; `false` when one with this id exists already.
pub async fn insert(
    c: &mut impl DbConn,
    i: &NewInspection,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    const SQL: &str = "insert into inspections (id, project_id, unit_id, common_area_id, stage,
            version_id, inspector_id, supervisor, contractor, property, started_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (id) do nothing";
    let n = exec!(c, |c| sqlx::query(SQL)
        .bind(i.id)
        .bind(i.project_id)
        .bind(i.unit_id)
        .bind(i.common_area_id)
        .bind(i.stage)
        .bind(i.version_id)
        .bind(i.inspector_id)
        .bind(&i.supervisor)
        .bind(&i.contractor)
        .bind(&i.property)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// One inspection.
pub async fn get(c: &mut impl DbConn, id: Uuid) -> Result<InspectionRow, AppError> {
    const SQL: &str = inspection_sql!(" where i.id = $1");
    run!(c, |c| sqlx::query_as::<_, InspectionRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// The inspections of a unit, newest first.
pub async fn list_by_unit(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<InspectionRow>, AppError> {
    const SQL: &str = inspection_sql!(" where i.unit_id = $1 order by i.started_at desc");
    Ok(run!(c, |c| sqlx::query_as::<_, InspectionRow>(SQL)
        .bind(unit)
        .fetch_all(c)
        .await)?)
}

/// The inspections of a common area, newest first.
pub async fn list_by_area(c: &mut impl DbConn, area: Uuid) -> Result<Vec<InspectionRow>, AppError> {
    const SQL: &str = inspection_sql!(" where i.common_area_id = $1 order by i.started_at desc");
    Ok(run!(c, |c| sqlx::query_as::<_, InspectionRow>(SQL)
        .bind(area)
        .fetch_all(c)
        .await)?)
}

/// The project an inspection belongs to, if it exists.
pub async fn project_of(c: &mut impl DbConn, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select project_id from inspections where id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// One recorded item result.
#[derive(Debug, Clone, FromRow)]
pub struct ResultRow {
    /// Checklist item.
    pub item_id: Uuid,
    /// `pass`, `fail`, `na`.
    pub outcome: String,
    /// Measured points, JSON array.
    pub points: String,
    /// Note.
    pub note: String,
}

/// The results recorded so far in an inspection.
pub async fn results(c: &mut impl DbConn, inspection: Uuid) -> Result<Vec<ResultRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, ResultRow>(
        "select item_id, outcome, points, note from inspection_results where inspection_id = $1"
    )
    .bind(inspection)
    .fetch_all(c)
    .await)?)
}

/// One item result to store.
#[derive(Debug, Clone)]
pub struct NewResult<'a> {
    /// Inspection.
    pub inspection: Uuid,
    /// Checklist item.
    pub item: Uuid,
    /// Judged outcome.
    pub outcome: Outcome,
    /// Measured points.
    pub points: &'a [f64],
    /// Note.
    pub note: &'a str,
    /// Who recorded it.
    pub user: Uuid,
}

/// Writes (or overwrites) the result of one item.
pub async fn put_result(
    c: &mut impl DbConn,
    r: &NewResult<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into inspection_results (inspection_id, item_id, outcome, points,
            note, recorded_by, recorded_at)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (inspection_id, item_id) do update set outcome = excluded.outcome,
            points = excluded.points, note = excluded.note, recorded_by = excluded.recorded_by,
            recorded_at = excluded.recorded_at";
    let points = serde_json::to_string(r.points).map_err(anyhow::Error::from)?;
    exec!(c, |c| sqlx::query(SQL)
        .bind(r.inspection)
        .bind(r.item)
        .bind(r.outcome.as_str())
        .bind(&points)
        .bind(r.note)
        .bind(r.user)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

/// Marks an inspection finished with its verdict (only if it is still running).
pub async fn finish(
    c: &mut impl DbConn,
    id: Uuid,
    passed: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let n = exec!(c, |c| {
        sqlx::query(
        "update inspections set finished_at = $1, verdict = $2 where id = $3 and finished_at is null"
    )
    .bind(now)
    .bind(if passed { "pass" } else { "fail" })
    .bind(id)
    .execute(c)
    .await
    })?;
    if n == 1 {
        Ok(())
    } else {
        Err(AppError::InspectionFinished)
    }
}

/// Pending defects raised in an inspection.
pub async fn pending_defects_of(c: &mut impl DbConn, id: Uuid) -> Result<i64, AppError> {
    Ok(run!(c, |c| {
        sqlx::query_scalar(
        "select count(*) from defects where inspection_id = $1 and status in ('open', 'assigned', 'fixed')"
    )
    .bind(id)
    .fetch_one(c)
    .await
    })?)
}

/// Recomputes a unit's stage-1 status from its newest inspection and pending defects, and
/// writes it (bumping the status map) when it changed.
pub async fn refresh_unit_status(c: &mut impl DbConn, unit: Uuid) -> Result<(), AppError> {
    const UNIT: &str = "select u.status,
            (select count(*) from defects d where d.unit_id = u.id and d.status in ('open', 'assigned', 'fixed'))
        from units u where u.id = $1";
    const LATEST: &str = "select i.finished_at is not null,
            (select count(*) from inspection_results r where r.inspection_id = i.id and r.outcome = 'fail')
        from inspections i where i.unit_id = $1 order by i.started_at desc, i.id limit 1";
    let (status, pending): (String, i64) =
        run!(c, |c| sqlx::query_as(UNIT).bind(unit).fetch_one(c).await)?;
    let latest: Option<(bool, i64)> = run!(c, |c| sqlx::query_as(LATEST)
        .bind(unit)
        .fetch_optional(c)
        .await)?;
    let latest = latest.map(|(finished, failed_items)| super::Latest {
        finished,
        failed_items,
    });
    let current = UnitStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("bad status"))?;
    let next = super::unit_status(current, latest, pending);
    if next != current {
        crate::org::repo::set_unit_status(c, unit, next).await?;
    }
    Ok(())
}

/// The running inspection of a unit or common area at a stage, if there is one.
pub async fn running(
    c: &mut impl DbConn,
    unit: Option<Uuid>,
    area: Option<Uuid>,
    stage: &str,
) -> Result<Option<Uuid>, AppError> {
    const SQL: &str = "select id from inspections
        where (unit_id = $1 or common_area_id = $2) and stage = $3 and finished_at is null
        order by started_at desc limit 1";
    Ok(run!(c, |c| sqlx::query_scalar(SQL)
        .bind(unit)
        .bind(area)
        .bind(stage)
        .fetch_optional(c)
        .await)?)
}

/// Self-inspection coverage (一户一验完成率): units with a finished self inspection, and units in
/// all, of a project or of one of its batches.
pub async fn coverage(
    c: &mut impl DbConn,
    project: Uuid,
    batch: Option<Uuid>,
) -> Result<(i64, i64), AppError> {
    const PROJECT: &str = "select count(*),
            count(*) filter (where exists (select 1 from inspections i where i.unit_id = u.id
                and i.stage = 'self' and i.finished_at is not null))
        from units u where u.project_id = $1";
    const BATCH: &str = "select count(*),
            count(*) filter (where exists (select 1 from inspections i where i.unit_id = u.id
                and i.stage = 'self' and i.finished_at is not null))
        from units u join batch_units bu on bu.unit_id = u.id
        where u.project_id = $1 and bu.batch_id = $2";
    let (total, inspected): (i64, i64) = match batch {
        None => run!(c, |c| sqlx::query_as(PROJECT)
            .bind(project)
            .fetch_one(c)
            .await)?,
        Some(b) => run!(c, |c| sqlx::query_as(BATCH)
            .bind(project)
            .bind(b)
            .fetch_one(c)
            .await)?,
    };
    Ok((inspected, total))
}
