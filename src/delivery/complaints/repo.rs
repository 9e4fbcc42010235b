//! Reads and writes of complaints.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::{Channel, Status};
use crate::db::{DbConn, Tx};
use crate::error::AppError;
use crate::{exec, run};

/// A complaint with its unit and handler.
#[derive(Debug, Clone, FromRow)]
pub struct ComplaintRow {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Number within the project (投诉编号).
    pub number: i32,
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub unit_number: String,
    /// Building name.
    pub building: String,
    /// `on_site`, `phone` or `online`.
    pub channel: String,
    /// What the customer complained about.
    pub content: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// First answered.
    pub first_response_at: Option<DateTime<Utc>>,
    /// Resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    pub resolution: String,
    /// Who handles it.
    pub handler_id: Option<Uuid>,
    /// Their display name.
    pub handler_name: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

/// The complaint query, followed by `$tail`.
macro_rules! complaint_sql {
    ($($tail:tt)*) => {
        concat!(
            "select k.id, k.project_id, k.number, k.unit_id, u.number as unit_number,
        b.name as building, k.channel, k.content, k.received_at, k.first_response_at,
        k.resolved_at, k.resolution, k.handler_id, h.display_name as handler_name, k.created_at
    from complaints k join units u on u.id = k.unit_id
    join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
    left join users h on h.id = k.handler_id",
            $($tail)*
        )
    };
}

/// The filter of a complaint list: `$1` project, `$2` unit, `$3` batch (each optional).
macro_rules! complaint_filter {
    () => {
        " where k.project_id = $1 and ($2 is null or k.unit_id = $2)
         and ($3 is null or exists (select 1 from batch_units bu
             where bu.batch_id = $3 and bu.unit_id = k.unit_id))"
    };
}

/// One complaint.
pub async fn get(c: &mut impl DbConn, id: Uuid) -> Result<ComplaintRow, AppError> {
    const SQL: &str = complaint_sql!(" where k.id = $1");
    run!(c, |c| sqlx::query_as::<_, ComplaintRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// Which complaints to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// Only this unit's.
    pub unit: Option<Uuid>,
    /// Only those of units planned in this batch.
    pub batch: Option<Uuid>,
    /// Only those in this status.
    pub status: Option<Status>,
}

/// A page of a project's complaints, newest received first.
pub async fn list(
    c: &mut impl DbConn,
    project: Uuid,
    f: Filter,
    (limit, offset): (i64, i64),
) -> Result<Vec<ComplaintRow>, AppError> {
    const SQL: &str = complaint_sql!(concat!(
        complaint_filter!(),
        " and ($4 = 'all'
             or ($4 = 'open' and k.first_response_at is null and k.resolved_at is null)
             or ($4 = 'responded' and k.first_response_at is not null and k.resolved_at is null)
             or ($4 = 'resolved' and k.resolved_at is not null))
         order by k.received_at desc, k.number desc limit $5 offset $6"
    ));
    let status = f.status.map_or("all", Status::as_str);
    Ok(run!(c, |c| sqlx::query_as::<_, ComplaintRow>(SQL)
        .bind(project)
        .bind(f.unit)
        .bind(f.batch)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await)?)
}

/// How many complaints are in each status (the list's unit and batch filters applied).
#[derive(Debug, Clone, Copy, Default, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    /// Not answered yet.
    pub open: i64,
    /// Answered, not resolved.
    pub responded: i64,
    /// Resolved.
    pub resolved: i64,
}

impl StatusCounts {
    /// The count of `status`, or of all when none.
    pub fn of(&self, status: Option<Status>) -> i64 {
        match status {
            None => self.open + self.responded + self.resolved,
            Some(Status::Open) => self.open,
            Some(Status::Responded) => self.responded,
            Some(Status::Resolved) => self.resolved,
        }
    }
}

/// The status counts of a project's complaints under the unit and batch filters.
pub async fn counts(
    c: &mut impl DbConn,
    project: Uuid,
    f: Filter,
) -> Result<StatusCounts, AppError> {
    const SQL: &str = concat!(
        "select
        cast(coalesce(sum(case when k.first_response_at is null and k.resolved_at is null
            then 1 else 0 end), 0) as bigint) as open,
        cast(coalesce(sum(case when k.first_response_at is not null and k.resolved_at is null
            then 1 else 0 end), 0) as bigint) as responded,
        cast(coalesce(sum(case when k.resolved_at is not null then 1 else 0 end), 0)
            as bigint) as resolved
    from complaints k",
        complaint_filter!()
    );
    Ok(run!(c, |c| sqlx::query_as::<_, StatusCounts>(SQL)
        .bind(project)
        .bind(f.unit)
        .bind(f.batch)
        .fetch_one(c)
        .await)?)
}

/// A complaint to register.
pub struct NewComplaint<'a> {
    /// Client id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit (of the project).
    pub unit_id: Uuid,
    /// Channel.
    pub channel: Channel,
    /// Content.
    pub content: &'a str,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Handler, if assigned at once.
    pub handler_id: Option<Uuid>,
    /// Who registers it.
    pub created_by: Uuid,
}

/// Registers a complaint.
pub async fn insert(
    tx: &mut Tx,
    k: &NewComplaint<'_>,
    number: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into complaints (id, project_id, number, unit_id, channel, content, received_at,
            handler_id, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
    )
    .bind(k.id)
    .bind(k.project_id)
    .bind(number)
    .bind(k.unit_id)
    .bind(k.channel.as_str())
    .bind(k.content)
    .bind(k.received_at)
    .bind(k.handler_id)
    .bind(k.created_by)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Records the first response (a later one leaves it); the responder handles the complaint
/// unless someone does already.
pub async fn respond(
    tx: &mut Tx,
    id: Uuid,
    at: DateTime<Utc>,
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update complaints set first_response_at = coalesce(first_response_at, $2),
            handler_id = coalesce(handler_id, $3), updated_at = $4 where id = $1"
    )
    .bind(id)
    .bind(at)
    .bind(user)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Resolves a complaint once; a complaint resolved without a response was answered by its
/// resolution. `ComplaintResolved` when it was resolved already.
pub async fn resolve(
    tx: &mut Tx,
    id: Uuid,
    (at, resolution): (DateTime<Utc>, &str),
    (user, now): (Uuid, DateTime<Utc>),
) -> Result<(), AppError> {
    let n = exec!(tx, |c| sqlx::query(
        "update complaints set resolved_at = $2, resolution = $3,
            first_response_at = coalesce(first_response_at, $2),
            handler_id = coalesce(handler_id, $4), updated_at = $5
         where id = $1 and resolved_at is null"
    )
    .bind(id)
    .bind(at)
    .bind(resolution)
    .bind(user)
    .bind(now)
    .execute(c)
    .await)?;
    if n == 0 {
        return Err(AppError::ComplaintResolved);
    }
    Ok(())
}

/// Hands a complaint to `handler`.
pub async fn set_handler(
    tx: &mut Tx,
    id: Uuid,
    handler: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update complaints set handler_id = $2, updated_at = $3 where id = $1"
    )
    .bind(id)
    .bind(handler)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// The unit of a project with this number (as typed at the desk), if any.
pub async fn unit_by_number(
    c: &mut impl DbConn,
    project: Uuid,
    number: &str,
) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select id from units where project_id = $1 and number = $2"
    )
    .bind(project)
    .bind(number)
    .fetch_optional(c)
    .await)?)
}

/// The numbers of a project's units, in order (the form's suggestions).
pub async fn unit_numbers(c: &mut impl DbConn, project: Uuid) -> Result<Vec<String>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select number from units where project_id = $1 order by number"
    )
    .bind(project)
    .fetch_all(c)
    .await)?)
}
