//! JSON handlers for defects under `/api/v1`: record, list, show, the lifecycle commands,
//! photos, bulk assignment, the `.xlsx` export, fix presets and "my work".

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::{self, Command, MAX_PHOTOS_PER_UPLOAD, NewDefect};
use super::repo::{self, DefectRow, EventRow, Filter, Order, PhotoRow};
use super::{Action, Severity, Status, is_overdue};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::Trade;
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;
use crate::photos::{self, Variant};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    let upload_limit = DefaultBodyLimit::max(photos::MAX_BYTES * MAX_PHOTOS_PER_UPLOAD + 64 * 1024);
    Router::new()
        .route("/api/v1/projects/{id}/defects", get(list).post(create))
        .route("/api/v1/projects/{id}/defects.xlsx", get(export))
        .route(
            "/api/v1/projects/{id}/defects/bulk-assign",
            post(bulk_assign),
        )
        .route(
            "/api/v1/projects/{id}/fix-presets",
            get(list_presets).put(set_preset),
        )
        .route(
            "/api/v1/projects/{id}/fix-presets/{preset}",
            axum::routing::delete(delete_preset),
        )
        .route("/api/v1/defects/{id}", get(show))
        .route("/api/v1/defects/{id}/assign", post(assign))
        .route("/api/v1/defects/{id}/fixed", post(mark_fixed))
        .route("/api/v1/defects/{id}/verify", post(verify))
        .route("/api/v1/defects/{id}/send-back", post(send_back))
        .route("/api/v1/defects/{id}/cancel", post(cancel))
        .route(
            "/api/v1/defects/{id}/photos",
            post(upload_photos).layer(upload_limit),
        )
        .route("/api/v1/photos/{id}/{variant}", get(photo))
        .route("/photos/{id}/{variant}", get(photo))
        .route("/api/v1/me/work", get(my_work))
        .route(
            "/api/v1/layouts/{id}/plan",
            put(put_plan)
                .layer(DefaultBodyLimit::max(photos::MAX_BYTES + 64 * 1024))
                .get(plan),
        )
        .route("/layouts/{id}/plan", get(plan))
}

/// A defect as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefectView {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Number within the project.
    pub number: i32,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// Unit number.
    pub unit_number: Option<String>,
    /// Common area.
    pub common_area_id: Option<Uuid>,
    /// Common area name.
    pub area_name: Option<String>,
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
    /// Stage found.
    pub stage: String,
    /// Lifecycle status.
    pub status: String,
    /// Responsible contractor.
    pub contractor_id: Option<Uuid>,
    /// Its name.
    pub contractor_name: Option<String>,
    /// Fix-by date.
    pub due_on: Option<NaiveDate>,
    /// Past due and still waiting on the contractor.
    pub overdue: bool,
    /// Failed re-inspections.
    pub send_backs: i32,
    /// Pin on the floor plan `[x, y]` (fractions).
    pub pin: Option<[f64; 2]>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Who recorded it.
    pub raised_by_name: String,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Thumbnail of the first "before" photo.
    pub thumb_url: Option<String>,
}

impl From<DefectRow> for DefectView {
    fn from(d: DefectRow) -> Self {
        let today = clock::local_date(clock::now());
        let overdue = is_overdue(
            Status::parse(&d.status).unwrap_or(Status::Cancelled),
            d.due_on,
            today,
        );
        DefectView {
            id: d.id,
            project_id: d.project_id,
            number: d.number,
            unit_id: d.unit_id,
            unit_number: d.unit_number,
            common_area_id: d.common_area_id,
            area_name: d.area_name,
            room: d.room,
            part: d.part,
            trade: d.trade,
            description: d.description,
            severity: d.severity,
            stage: d.stage,
            status: d.status,
            contractor_id: d.contractor_id,
            contractor_name: d.contractor_name,
            due_on: d.due_on,
            overdue,
            send_backs: d.send_backs,
            pin: d.pin_x.zip(d.pin_y).map(|(x, y)| [x, y]),
            cancel_reason: d.cancel_reason,
            raised_by_name: d.raised_by_name,
            created_at: d.created_at,
            updated_at: d.updated_at,
            thumb_url: d.thumb_photo.map(|p| format!("/api/v1/photos/{p}/thumb")),
        }
    }
}

/// A photo of a defect.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhotoView {
    /// Id.
    pub id: Uuid,
    /// `before` or `after`.
    pub phase: String,
    /// SHA-256 of the original bytes (evidence).
    pub sha256: String,
    /// Upright width of the original.
    pub width: i32,
    /// Upright height of the original.
    pub height: i32,
    /// 320 px thumbnail.
    pub thumb_url: String,
    /// 1600 px preview.
    pub preview_url: String,
    /// The original, byte for byte.
    pub original_url: String,
    /// Uploaded at.
    pub uploaded_at: DateTime<Utc>,
}

impl From<PhotoRow> for PhotoView {
    fn from(p: PhotoRow) -> Self {
        let url = |v: &str| format!("/api/v1/photos/{}/{v}", p.id);
        PhotoView {
            thumb_url: url("thumb"),
            preview_url: url("preview"),
            original_url: url("original"),
            id: p.id,
            phase: p.phase,
            sha256: p.sha256,
            width: p.width,
            height: p.height,
            uploaded_at: p.uploaded_at,
        }
    }
}

/// One entry of a defect's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// Id.
    pub id: Uuid,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// From status (none for the creation).
    pub from: Option<String>,
    /// To status.
    pub to: String,
    /// Contractor after the move.
    pub contractor: Option<String>,
    /// Due date after the move.
    pub due_on: Option<NaiveDate>,
    /// Note (the reason of a cancellation).
    pub note: String,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        EventView {
            id: e.id,
            actor: e.actor_name,
            at: e.at,
            from: e.from_status,
            to: e.to_status,
            contractor: e.contractor_name,
            due_on: e.due_on,
            note: e.note,
        }
    }
}

/// A defect with its photos and history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefectDetail {
    /// The defect.
    pub defect: DefectView,
    /// Photos, before and after.
    pub photos: Vec<PhotoView>,
    /// Every transition, oldest first.
    pub history: Vec<EventView>,
}

/// Filters and paging of the defect list (all optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DefectQuery {
    /// Building id.
    pub building: Option<Uuid>,
    /// Floor.
    pub floor: Option<i32>,
    /// Unit id.
    pub unit: Option<Uuid>,
    /// Common area id.
    pub common_area: Option<Uuid>,
    /// Trade.
    pub trade: Option<Trade>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Status, or several separated by commas (`open,assigned`).
    pub status: Option<String>,
    /// Contractor id.
    pub contractor: Option<Uuid>,
    /// Only overdue defects.
    #[serde(default)]
    pub overdue: bool,
    /// Unit number or description contains.
    pub q: Option<String>,
    /// `newest` (default) or `due` (overdue first).
    pub order: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
    /// Rows per page (default 50, at most 100).
    pub per_page: Option<i64>,
}

impl DefectQuery {
    /// The repository filter, or a field error.
    pub fn filter(&self) -> Result<Filter, AppError> {
        let statuses = match &self.status {
            None => vec![],
            Some(s) => s
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    Status::parse(p.trim()).ok_or_else(|| AppError::field("status", "invalid"))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Filter {
            building: self.building,
            floor: self.floor,
            unit: self.unit,
            common_area: self.common_area,
            trade: self.trade.map(|t| t.as_str().to_owned()),
            severity: self.severity.map(|s| s.as_str().to_owned()),
            statuses,
            contractor: self.contractor,
            overdue_on: self.overdue.then(|| clock::local_date(clock::now())),
            text: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
        })
    }

    /// The order asked for.
    pub fn order(&self) -> Order {
        match self.order.as_deref() {
            Some("due") => Order::Due,
            _ => Order::Newest,
        }
    }

    /// `(page, per_page)`, clamped.
    pub fn paging(&self) -> (i64, i64) {
        (
            self.page.unwrap_or(1).max(1),
            self.per_page.unwrap_or(50).clamp(1, 100),
        )
    }
}

/// One page of defects.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefectPage {
    /// Defects matching the filters in all; counting stops at 10,001, so a value above 10,000
    /// means "more than 10,000" (filter to narrow it down).
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
    /// The rows.
    pub items: Vec<DefectView>,
}

/// Lists a project's defects, filtered and paged (a contractor sees only their own).
#[utoipa::path(get, path = "/api/v1/projects/{id}/defects", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path), DefectQuery), responses((status = 200, body = DefectPage), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DefectQuery>,
) -> Result<Json<DefectPage>, AppError> {
    Ok(Json(list_page(&app, &user, project, &q).await?))
}

/// The page of defects `q` asks for, as `user` may see them.
pub async fn list_page(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
    q: &DefectQuery,
) -> Result<DefectPage, AppError> {
    let mut conn = app.db.read().await?;
    let actor = commands::actor(&mut conn, user, project).await?;
    let mut filter = q.filter()?;
    if actor.is_contractor_only() {
        filter.contractor = Some(actor.contractor.ok_or(AppError::Forbidden)?);
    }
    let (page, per_page) = q.paging();
    let (rows, total) = repo::list(
        &mut conn,
        project,
        &filter,
        q.order(),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    Ok(DefectPage {
        total,
        page,
        per_page,
        items: rows.into_iter().map(DefectView::from).collect(),
    })
}

/// Records a defect; with no contractor given, the project's fix preset assigns and dates it.
/// Sending the same client `id` again answers with the recorded defect.
#[utoipa::path(post, path = "/api/v1/projects/{id}/defects", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewDefect,
    responses((status = 201, body = DefectView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewDefect>,
) -> Result<(StatusCode, Json<DefectView>), AppError> {
    if body.stage == super::Stage::Customer {
        // A customer's issue becomes a defect only when judged reasonable on its visit.
        return Err(AppError::field("stage", "invalid"));
    }
    let row = commands::create(&app, &user, project, body).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// A defect with its photos and history.
#[utoipa::path(get, path = "/api/v1/defects/{id}", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = DefectDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DefectDetail>, AppError> {
    Ok(Json(detail(&app, &user, id).await?))
}

/// A defect, its photos and history, as `user` may see it.
pub async fn detail(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<DefectDetail, AppError> {
    let mut conn = app.db.read().await?;
    let (row, _) = commands::visible(&mut conn, user, id).await?;
    let photos = repo::photos(&mut conn, id).await?;
    let history = repo::events(&mut conn, id).await?;
    Ok(DefectDetail {
        defect: row.into(),
        photos: photos.into_iter().map(PhotoView::from).collect(),
        history: history.into_iter().map(EventView::from).collect(),
    })
}

/// Assigns (or reassigns) a defect to a contractor with a due date.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Contractor of the project.
    pub contractor_id: Uuid,
    /// Fix-by date.
    pub due_on: NaiveDate,
    /// Note.
    #[serde(default)]
    pub note: String,
    /// Idempotency key: the same command twice is applied once.
    #[serde(default)]
    pub event_id: Option<Uuid>,
}

/// A lifecycle command with only a note.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Note for the history.
    #[serde(default)]
    pub note: String,
    /// Idempotency key: the same command twice is applied once.
    #[serde(default)]
    pub event_id: Option<Uuid>,
}

/// A failed re-inspection.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBackBody {
    /// What is still wrong (required).
    pub note: String,
    /// A new due date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Idempotency key.
    #[serde(default)]
    pub event_id: Option<Uuid>,
}

/// A cancellation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why (required): 重复, 误报 ...
    pub reason: String,
    /// Idempotency key.
    #[serde(default)]
    pub event_id: Option<Uuid>,
}

async fn run_command(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    action: Action,
    note: String,
    event_id: Option<Uuid>,
) -> Result<Json<DefectView>, AppError> {
    let cmd = Command {
        action,
        note,
        event_id,
    };
    Ok(Json(commands::transition(app, user, id, cmd).await?.into()))
}

/// Assigns a defect (inspectors and administrators; `open` or `assigned`).
#[utoipa::path(post, path = "/api/v1/defects/{id}/assign", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AssignBody,
    responses((status = 200, body = DefectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<DefectView>, AppError> {
    let action = Action::Assign {
        contractor: b.contractor_id,
        due_on: b.due_on,
    };
    run_command(&app, &user, id, action, b.note, b.event_id).await
}

/// Marks a defect fixed (the assigned contractor only, after uploading an "after" photo).
#[utoipa::path(post, path = "/api/v1/defects/{id}/fixed", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 200, body = DefectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mark_fixed(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<DefectView>, AppError> {
    run_command(&app, &user, id, Action::MarkFixed, b.note, b.event_id).await
}

/// Verifies a fix (inspectors of the project; `fixed` only).
#[utoipa::path(post, path = "/api/v1/defects/{id}/verify", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 200, body = DefectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn verify(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<DefectView>, AppError> {
    run_command(&app, &user, id, Action::Verify, b.note, b.event_id).await
}

/// Sends a fix back to the contractor (inspectors; `fixed` only); counts a send-back.
#[utoipa::path(post, path = "/api/v1/defects/{id}/send-back", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SendBackBody,
    responses((status = 200, body = DefectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send_back(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<SendBackBody>,
) -> Result<Json<DefectView>, AppError> {
    Check::default().text("note", &b.note, 500).done()?;
    let action = Action::SendBack { due_on: b.due_on };
    run_command(&app, &user, id, action, b.note, b.event_id).await
}

/// Cancels a defect with a reason (inspectors and administrators).
#[utoipa::path(post, path = "/api/v1/defects/{id}/cancel", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CancelBody,
    responses((status = 200, body = DefectView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CancelBody>,
) -> Result<Json<DefectView>, AppError> {
    Check::default().text("reason", &b.reason, 200).done()?;
    let action = Action::Cancel { reason: b.reason };
    run_command(&app, &user, id, action, String::new(), b.event_id).await
}

/// Which photos an upload adds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PhaseQuery {
    /// `before` (recorders) or `after` (the assigned contractor).
    pub phase: String,
}

/// Uploads photos (multipart, one or more `file` parts, JPEG/PNG/WebP, ≤ 25 MB and ≤ 120 MP
/// each, at most 6) to a defect.
#[utoipa::path(post, path = "/api/v1/defects/{id}/photos", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path), PhaseQuery), request_body(content_type = "multipart/form-data", content = String),
    responses((status = 201, body = Vec<PhotoView>), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_photos(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PhaseQuery>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Vec<PhotoView>>), AppError> {
    commands::authorise_photos(&app, &user, id, &q.phase).await?;
    let files = photos::upload::read_files(multipart, MAX_PHOTOS_PER_UPLOAD).await?;
    let mut stored = Vec::with_capacity(files.len());
    for f in files {
        stored.push(app.photos.ingest(f).await?);
    }
    let ids = commands::attach_photos(&app, &user, id, &q.phase, &stored).await?;
    let all = repo::photos(&mut app.db.read().await?, id).await?;
    let views = all
        .into_iter()
        .filter(|p| ids.contains(&p.id))
        .map(PhotoView::from)
        .collect();
    Ok((StatusCode::CREATED, Json(views)))
}

/// A stored photo: `thumb` (320 px), `preview` (1600 px) or `original` (byte for byte), to
/// staff of the defect's project.
#[utoipa::path(get, path = "/api/v1/photos/{id}/{variant}", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("variant" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = String), (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, variant)): ApiPath<(Uuid, String)>,
) -> Result<Response, AppError> {
    let variant = photos::upload::variant(&variant)?;
    let mut conn = app.db.read().await?;
    let (sha, defect) = repo::photo_location(&mut conn, id).await?;
    // Whoever may see the defect may see its photos (a contractor: only their company's).
    commands::visible(&mut conn, &user, defect).await?;
    let mime = match variant {
        Variant::Original => repo::blob_mime(&mut conn, &sha).await?,
        _ => "image/jpeg".to_owned(),
    };
    drop(conn);
    let bytes = app.photos.read(&sha, variant).await?;
    Ok(photos::upload::image_response(
        bytes,
        &mime,
        &sha,
        photos::upload::Caching::Immutable,
    ))
}

/// Assigns many defects to one contractor with one due date.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssign {
    /// Defects of the project (at most 1,000).
    pub ids: Vec<Uuid>,
    /// Contractor of the project.
    pub contractor_id: Uuid,
    /// Fix-by date.
    pub due_on: NaiveDate,
}

/// How many defects a bulk command changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    /// Defects assigned.
    pub assigned: usize,
}

/// Assigns many defects at once, all or nothing.
#[utoipa::path(post, path = "/api/v1/projects/{id}/defects/bulk-assign", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = BulkAssign,
    responses((status = 200, body = BulkResult), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bulk_assign(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(b): ApiJson<BulkAssign>,
) -> Result<Json<BulkResult>, AppError> {
    let assigned =
        commands::bulk_assign(&app, &user, project, &b.ids, b.contractor_id, b.due_on).await?;
    Ok(Json(BulkResult { assigned }))
}

/// The defect list as an `.xlsx` workbook, with the same filters as the list.
#[utoipa::path(get, path = "/api/v1/projects/{id}/defects.xlsx", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path), DefectQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = String)))]
pub async fn export(
    State(app): State<AppState>,
    user: CurrentUser,
    locale: crate::i18n::Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DefectQuery>,
) -> Result<Response, AppError> {
    super::export::response(&app, &user, locale, project, &q).await
}

/// A fix preset to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresetBody {
    /// Trade.
    pub trade: Trade,
    /// Only in this building (default: every building).
    #[serde(default)]
    pub building_id: Option<Uuid>,
    /// Contractor who fixes this trade.
    pub contractor_id: Uuid,
    /// Days to fix (1–365).
    pub days: i32,
}

/// A fix preset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PresetView {
    /// Id.
    pub id: Uuid,
    /// Trade.
    pub trade: String,
    /// Building (none = every building).
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

impl From<repo::PresetRow> for PresetView {
    fn from(p: repo::PresetRow) -> Self {
        PresetView {
            id: p.id,
            trade: p.trade,
            building_id: p.building_id,
            building: p.building,
            contractor_id: p.contractor_id,
            contractor_name: p.contractor_name,
            days: p.days,
        }
    }
}

/// The fix presets (整改预设) of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/fix-presets", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<PresetView>), (status = 404, body = ErrorBody)))]
pub async fn list_presets(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
) -> Result<Json<Vec<PresetView>>, AppError> {
    user.require_visible(project)?;
    let rows = repo::presets(&mut app.db.read().await?, project).await?;
    Ok(Json(rows.into_iter().map(PresetView::from).collect()))
}

/// Sets the preset of a trade (per building where contractors split the site); administrators.
#[utoipa::path(put, path = "/api/v1/projects/{id}/fix-presets", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PresetBody,
    responses((status = 200, body = Vec<PresetView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_preset(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(b): ApiJson<PresetBody>,
) -> Result<Json<Vec<PresetView>>, AppError> {
    Ok(Json(save_preset(&app, &user, project, &b).await?))
}

/// Validates and stores a preset; returns the project's presets.
pub async fn save_preset(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
    b: &PresetBody,
) -> Result<Vec<PresetView>, AppError> {
    user.require(project, &[crate::auth::Role::Admin])?;
    Check::default()
        .when(!(1..=365).contains(&b.days), "days", "out_of_range")
        .done()?;
    let mut tx = app.db.begin().await?;
    if !repo::contractor_in_project(&mut tx, project, b.contractor_id).await? {
        return Err(AppError::field("contractor_id", "unknown"));
    }
    if let Some(building) = b.building_id
        && !repo::building_in_project(&mut tx, project, building).await?
    {
        return Err(AppError::field("building_id", "unknown"));
    }
    let now = clock::now();
    repo::set_preset(
        &mut tx,
        project,
        b.trade.as_str(),
        b.building_id,
        b.contractor_id,
        b.days,
        now,
    )
    .await?;
    let rows = repo::presets(&mut tx, project).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(PresetView::from).collect())
}

/// Removes a fix preset; administrators.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/fix-presets/{preset}", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("preset" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_preset(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((project, preset)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, AppError> {
    user.require(project, &[crate::auth::Role::Admin])?;
    let mut tx = app.db.begin().await?;
    repo::delete_preset(&mut tx, project, preset).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What waits on the caller, per project, overdue first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyWork {
    /// Recorded defects waiting for a contractor (inspectors and administrators).
    pub to_assign: Vec<DefectView>,
    /// Defects waiting on the caller's contractor company to fix.
    pub to_fix: Vec<DefectView>,
    /// Fixed defects waiting for re-inspection (inspectors).
    pub to_verify: Vec<DefectView>,
    /// Counts, for the badges: to assign, to fix, to verify, overdue.
    pub counts: WorkCounts,
}

/// Totals of [`MyWork`] (the lists hold at most 50 each).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct WorkCounts {
    /// Defects to assign.
    pub to_assign: i64,
    /// Defects to fix.
    pub to_fix: i64,
    /// Defects to verify.
    pub to_verify: i64,
    /// Of those, overdue.
    pub overdue: i64,
}

/// The caller's work queue: to assign, to fix, to verify, overdue first.
#[utoipa::path(get, path = "/api/v1/me/work", tag = "defects", security(("bearer" = [])),
    responses((status = 200, body = MyWork), (status = 401, body = ErrorBody)))]
pub async fn my_work(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<MyWork>, AppError> {
    Ok(Json(super::work::my_work(&app, &user).await?))
}

/// Uploads a layout's floor plan (户型图) image; administrators of its project.
#[utoipa::path(put, path = "/api/v1/layouts/{id}/plan", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content_type = "multipart/form-data", content = String),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn put_plan(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(layout): ApiPath<Uuid>,
    multipart: Multipart,
) -> Result<StatusCode, AppError> {
    super::plans::upload(&app, &user, layout, multipart).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A layout's floor plan (1600 px preview), to staff of its project.
#[utoipa::path(get, path = "/api/v1/layouts/{id}/plan", tag = "defects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, content_type = "image/jpeg", body = String), (status = 404, body = ErrorBody)))]
pub async fn plan(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(layout): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let (sha, bytes) = super::plans::read(&app, &user, layout).await?;
    Ok(photos::upload::image_response(
        bytes,
        "image/jpeg",
        &sha,
        photos::upload::Caching::Revalidate,
    ))
}
