//! The complaint API: register, list with filters, respond, resolve, hand over. Customer
//! service and administrators write; everyone on the project reads. Every write signals the
//! boards of the batches the unit is planned in.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, ComplaintRow, Filter, NewComplaint, StatusCounts};
use super::{Channel, MAX_TEXT, Status, check_received, check_resolution, check_response, minutes};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::db::Tx;
use crate::delivery::api::STAFF;
use crate::delivery::repo::bump_boards_of_unit;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;
use crate::org::repo::{Sequence, reserve_numbers};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects/{id}/complaints", get(list).post(create))
        .route("/api/v1/complaints/{id}", get(show).patch(update))
        .route("/api/v1/complaints/{id}/respond", post(respond))
        .route("/api/v1/complaints/{id}/resolve", post(resolve))
}

/// A complaint with its status and durations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
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
    /// Building.
    pub building: String,
    /// Where it came in.
    pub channel: Channel,
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
    /// Their name.
    pub handler_name: Option<String>,
    /// `open` → `responded` → `resolved`, from the times.
    pub status: Status,
    /// Minutes from received to first response.
    pub response_minutes: Option<i64>,
    /// Minutes from received to resolved.
    pub resolution_minutes: Option<i64>,
}

impl From<ComplaintRow> for ComplaintView {
    fn from(k: ComplaintRow) -> Self {
        ComplaintView {
            status: Status::of(k.first_response_at, k.resolved_at),
            response_minutes: minutes(k.received_at, k.first_response_at),
            resolution_minutes: minutes(k.received_at, k.resolved_at),
            id: k.id,
            project_id: k.project_id,
            number: k.number,
            unit_id: k.unit_id,
            unit_number: k.unit_number,
            building: k.building,
            channel: Channel::parse(&k.channel).unwrap_or(Channel::OnSite),
            content: k.content,
            received_at: k.received_at,
            first_response_at: k.first_response_at,
            resolved_at: k.resolved_at,
            resolution: k.resolution,
            handler_id: k.handler_id,
            handler_name: k.handler_name,
        }
    }
}

/// A complaint to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaintBody {
    /// Client id (a retry registers once).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Unit (of the project).
    pub unit_id: Uuid,
    /// Where it came in.
    pub channel: Channel,
    /// What the customer complained about (required, ≤ 1000 characters).
    pub content: String,
    /// When it was received; default now. Not in the future.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// Who handles it (customer service or an administrator of the project).
    #[serde(default)]
    pub handler_id: Option<Uuid>,
}

/// Registers a complaint (customer service, administrators).
#[utoipa::path(post, path = "/api/v1/projects/{id}/complaints", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewComplaintBody,
    responses((status = 201, body = ComplaintView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewComplaintBody>,
) -> Result<(StatusCode, Json<ComplaintView>), AppError> {
    user.require(project, STAFF)?;
    let now = clock::now();
    let received_at = body.received_at.unwrap_or(now);
    Check::default()
        .text("content", &body.content, MAX_TEXT)
        .done()?;
    check_received(received_at, now)?;
    let id = body.id.unwrap_or_else(Uuid::new_v4);
    let mut tx = app.db.begin().await?;
    if let Ok(existing) = repo::get(&mut tx, id).await {
        if existing.project_id != project {
            return Err(AppError::AlreadyExists);
        }
        return Ok((StatusCode::CREATED, Json(existing.into())));
    }
    let unit = crate::org::repo::get_unit(&mut tx, body.unit_id)
        .await
        .map_err(|_| AppError::field("unit_id", "unknown"))?;
    if unit.project_id != project {
        return Err(AppError::field("unit_id", "unknown"));
    }
    if let Some(h) = body.handler_id {
        check_handler(&mut tx, project, h).await?;
    }
    let new = NewComplaint {
        id,
        project_id: project,
        unit_id: unit.id,
        channel: body.channel,
        content: body.content.trim(),
        received_at,
        handler_id: body.handler_id,
        created_by: user.id,
    };
    let number = reserve_numbers(&mut tx, project, Sequence::Complaint, 1).await?;
    repo::insert(&mut tx, &new, number, now).await?;
    let view = finish(&app, tx, unit.id, id).await?;
    Ok((StatusCode::CREATED, view))
}

/// Checks that `handler` runs handover day on the project (customer service or admin).
async fn check_handler(tx: &mut Tx, project: Uuid, handler: Uuid) -> Result<(), AppError> {
    let members = crate::org::repo::list_members(tx, project).await?;
    let staff = members
        .iter()
        .any(|m| m.user_id == handler && Role::parse(&m.role).is_some_and(|r| STAFF.contains(&r)));
    if staff {
        Ok(())
    } else {
        Err(AppError::field("handler_id", "unknown"))
    }
}

/// Signals the unit's boards, commits, and answers the complaint as it now is.
async fn finish(
    app: &AppState,
    mut tx: Tx,
    unit: Uuid,
    id: Uuid,
) -> Result<Json<ComplaintView>, AppError> {
    bump_boards_of_unit(&mut tx, unit).await?;
    tx.commit().await?;
    let row = repo::get(&mut app.db.read().await?, id).await?;
    Ok(Json(row.into()))
}

/// Which complaints to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplaintQuery {
    /// Only in this status: `open`, `responded`, `resolved`.
    pub status: Option<Status>,
    /// Only this unit's.
    pub unit: Option<Uuid>,
    /// Only those of units planned in this batch.
    pub batch: Option<Uuid>,
    /// Page, from 1.
    pub page: Option<i64>,
    /// Rows per page (default 50, at most 100).
    pub per_page: Option<i64>,
}

impl ComplaintQuery {
    /// `(page, per_page)`, clamped.
    pub fn paging(&self) -> (i64, i64) {
        (
            self.page.unwrap_or(1).clamp(1, 100_000),
            self.per_page.unwrap_or(50).clamp(1, 100),
        )
    }

    fn filter(&self) -> Filter {
        Filter {
            unit: self.unit,
            batch: self.batch,
            status: self.status,
        }
    }
}

/// One page of complaints.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ComplaintPage {
    /// Complaints matching the filter.
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
    /// Complaints per status under the unit and batch filters (the status chips).
    pub counts: StatusCounts,
    /// The complaints, newest received first.
    pub items: Vec<ComplaintView>,
}

/// A project's complaints, filtered by status, unit and batch, newest received first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/complaints", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path), ComplaintQuery),
    responses((status = 200, body = ComplaintPage), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> Result<Json<ComplaintPage>, AppError> {
    user.require_visible(project)?;
    Ok(Json(list_page(&app, project, &q).await?))
}

/// The page of complaints `q` asks for (the caller's rights checked before).
pub async fn list_page(
    app: &AppState,
    project: Uuid,
    q: &ComplaintQuery,
) -> Result<ComplaintPage, AppError> {
    let mut conn = app.db.read().await?;
    let (page, per_page) = q.paging();
    let counts = repo::counts(&mut conn, project, q.filter()).await?;
    let paging = (per_page, (page - 1) * per_page);
    let rows = repo::list(&mut conn, project, q.filter(), paging).await?;
    Ok(ComplaintPage {
        total: counts.of(q.status),
        page,
        per_page,
        counts,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

/// The complaint as its project's members may see it.
async fn visible(app: &AppState, user: &CurrentUser, id: Uuid) -> Result<ComplaintRow, AppError> {
    let row = repo::get(&mut app.db.read().await?, id).await?;
    user.require_visible(row.project_id)?;
    Ok(row)
}

/// Opens a staff write on a complaint: the transaction and the complaint as it is in it.
async fn write(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Tx, ComplaintRow), AppError> {
    let row = visible(app, user, id).await?;
    user.require(row.project_id, STAFF)?;
    let mut tx = app.db.begin().await?;
    let row = repo::get(&mut tx, id).await?;
    Ok((tx, row))
}

/// One complaint.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ComplaintView>, AppError> {
    Ok(Json(visible(&app, &user, id).await?.into()))
}

/// The first response to a customer.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    /// When the customer was first answered; default now. Not before the complaint was received.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Records the first response (a repeat leaves the first one); the responder becomes the
/// handler unless someone is. `422` with field code `before_received` when `at` is before the
/// complaint was received.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/respond", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RespondBody,
    responses((status = 200, body = ComplaintView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn respond(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RespondBody>,
) -> Result<Json<ComplaintView>, AppError> {
    let (mut tx, row) = write(&app, &user, id).await?;
    let now = clock::now();
    let at = body.at.unwrap_or(now);
    if row.first_response_at.is_none() {
        check_response(row.received_at, at, now)?;
        repo::respond(&mut tx, id, at, (user.id, now)).await?;
    }
    finish(&app, tx, row.unit_id, id).await
}

/// The resolution of a complaint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// How it was resolved (required, ≤ 1000 characters).
    pub resolution: String,
    /// When; default now. Not before the complaint was received nor before its first response.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Resolves a complaint once (`409 complaint.already_resolved` the second time); one resolved
/// without a response counts as answered at its resolution. `422` with field code
/// `before_received` or `before_response` when `at` goes back in time.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/resolve", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ResolveBody,
    responses((status = 200, body = ComplaintView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Json<ComplaintView>, AppError> {
    let (mut tx, row) = write(&app, &user, id).await?;
    if row.resolved_at.is_some() {
        return Err(AppError::ComplaintResolved);
    }
    let now = clock::now();
    let at = body.at.unwrap_or(now);
    let times = (row.received_at, row.first_response_at);
    check_resolution(times, at, &body.resolution, now)?;
    let resolution = (at, body.resolution.trim());
    repo::resolve(&mut tx, id, resolution, (user.id, now)).await?;
    finish(&app, tx, row.unit_id, id).await
}

/// A change of handler.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComplaint {
    /// Who handles it now (customer service or an administrator of the project).
    pub handler_id: Uuid,
}

/// Hands a complaint to another handler.
#[utoipa::path(patch, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateComplaint,
    responses((status = 200, body = ComplaintView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateComplaint>,
) -> Result<Json<ComplaintView>, AppError> {
    let (mut tx, row) = write(&app, &user, id).await?;
    check_handler(&mut tx, row.project_id, body.handler_id).await?;
    repo::set_handler(&mut tx, id, body.handler_id, clock::now()).await?;
    finish(&app, tx, row.unit_id, id).await
}
