//! The takeover JSON API: create, read (with deadlines and what is overdue), edit the team,
//! prerequisites and documents, sign; every write refused with `409 takeover.sealed` once both
//! sides have signed.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, NewSignature, NewTakeover, PrerequisiteChange, Receipt};
use super::snapshot::{Snapshot, deadlines_of};
use super::{
    Deadlines, DocumentCategory, DocumentForm, EDITORS, Line, PrereqStatus, Side, check_signable,
};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath};
use crate::openapi::ErrorBody;
use crate::signature::{self, StrokePoint};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/takeovers", get(list_all))
        .route(
            "/api/v1/projects/{id}/takeovers",
            get(list_project).post(create),
        )
        .route("/api/v1/projects/{id}/takeover-settings", put(set_settings))
        .route("/api/v1/takeovers/{id}", get(show))
        .route("/api/v1/takeovers/{id}/members", post(add_member))
        .route(
            "/api/v1/takeovers/{id}/members/{member}",
            delete(remove_member),
        )
        .route(
            "/api/v1/takeovers/{id}/prerequisites",
            post(add_prerequisite),
        )
        .route(
            "/api/v1/takeovers/{id}/prerequisites/{line}",
            patch(update_prerequisite),
        )
        .route(
            "/api/v1/takeovers/{id}/prerequisites/{line}/evidence",
            get(evidence).post(upload_evidence),
        )
        .route("/api/v1/takeovers/{id}/documents", post(add_document))
        .route(
            "/api/v1/takeovers/{id}/documents/{line}",
            patch(update_document),
        )
        .route("/api/v1/takeovers/{id}/signatures", post(sign))
        .route(
            "/api/v1/takeovers/{id}/report.pdf",
            get(super::report::report_pdf),
        )
        .route(
            "/api/v1/takeovers/{id}/notice.pdf",
            get(super::report::notice_pdf),
        )
}

/// Something of a takeover that is past its deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overdue {
    /// `areas_not_inspected`, `items_open`, `prerequisites_open`, `documents_missing` or
    /// `signatures_missing`.
    pub kind: &'static str,
    /// How many.
    pub count: usize,
    /// The deadline it missed.
    pub due: NaiveDate,
}

/// A takeover in a list: deadlines, countdowns and what is overdue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TakeoverSummary {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Batch name.
    pub batch_name: String,
    /// Name.
    pub name: String,
    /// The two deadlines.
    pub deadlines: Deadlines,
    /// Days to the inspection deadline (negative once past), Asia/Shanghai.
    pub inspection_days_left: i64,
    /// Days to the formalities deadline (negative once past).
    pub formalities_days_left: i64,
    /// Signed by both sides and sealed.
    pub sealed: bool,
    /// SHA-256 of the sealed content.
    pub seal_sha256: Option<String>,
    /// What is past its deadline (empty when nothing is, or once sealed).
    pub overdue: Vec<Overdue>,
}

/// A takeover in full.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TakeoverView {
    /// Deadlines, countdowns, overdue items.
    #[serde(flatten)]
    pub summary: TakeoverSummary,
    /// The record: team, prerequisites, documents, findings, signatures (the sealed copy once
    /// signed).
    pub record: Snapshot,
    /// The common areas in scope with their takeover inspections and open defects.
    pub areas: Vec<AreaView>,
    /// When it was sealed.
    pub sealed_at: Option<DateTime<Utc>>,
}

/// A common area in scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaView {
    /// Area id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Building, if any.
    pub building: Option<String>,
    /// Has a finished takeover inspection.
    pub inspected: bool,
    /// Pending takeover-stage defects.
    pub open_defects: i64,
}

impl From<repo::AreaRow> for AreaView {
    fn from(a: repo::AreaRow) -> Self {
        AreaView {
            id: a.id,
            name: a.name,
            building: a.building,
            inspected: a.inspected > 0,
            open_defects: a.open_defects,
        }
    }
}

/// Loads a takeover the caller may see.
pub async fn visible(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<repo::TakeoverRow, AppError> {
    let t = repo::get(&mut app.db.read().await?, id).await?;
    user.require_visible(t.project_id)?;
    Ok(t)
}

/// What is overdue on `today`, from the record and its common areas.
pub fn overdue(
    d: &Deadlines,
    record: &Snapshot,
    areas: &[AreaView],
    sealed: bool,
    today: NaiveDate,
) -> Vec<Overdue> {
    let mut out = Vec::new();
    let mut add = |kind, count: usize, due| {
        if count > 0 {
            out.push(Overdue { kind, count, due });
        }
    };
    if d.inspection_overdue(today) {
        add(
            "areas_not_inspected",
            areas.iter().filter(|a| !a.inspected).count(),
            d.inspection_due,
        );
        add("items_open", record.open_items().count(), d.inspection_due);
    }
    if d.formalities_overdue(today) && !sealed {
        let open = |p: &&super::snapshot::Prerequisite| p.status != "met";
        let relevant = |p: &&super::snapshot::Prerequisite| p.status != "not_applicable";
        add(
            "prerequisites_open",
            record
                .prerequisites
                .iter()
                .filter(relevant)
                .filter(open)
                .count(),
            d.formalities_due,
        );
        add(
            "documents_missing",
            record.documents.iter().filter(|x| x.copies == 0).count(),
            d.formalities_due,
        );
        add(
            "signatures_missing",
            2 - record.signatures.len().min(2),
            d.formalities_due,
        );
    }
    out
}

/// The summary of a takeover as of now.
pub async fn summary(
    app: &AppState,
    t: &repo::TakeoverRow,
) -> Result<(TakeoverSummary, Snapshot, Vec<AreaView>), AppError> {
    let mut conn = app.db.read().await?;
    let record = Snapshot::current(&mut conn, t).await?;
    let areas: Vec<AreaView> = repo::areas(&mut conn, t)
        .await?
        .into_iter()
        .map(AreaView::from)
        .collect();
    let d = deadlines_of(t);
    let today = clock::local_date(clock::now());
    let sealed = t.sealed_at.is_some();
    let summary = TakeoverSummary {
        id: t.id,
        project_id: t.project_id,
        project_name: t.project_name.clone(),
        batch_name: t.batch_name.clone(),
        name: t.name.clone(),
        deadlines: d,
        inspection_days_left: Deadlines::days_left(d.inspection_due, today),
        formalities_days_left: Deadlines::days_left(d.formalities_due, today),
        sealed,
        seal_sha256: t.seal_sha256.clone(),
        overdue: overdue(&d, &record, &areas, sealed, today),
    };
    Ok((summary, record, areas))
}

async fn summaries(app: &AppState, projects: &[Uuid]) -> Result<Vec<TakeoverSummary>, AppError> {
    let rows = repo::list(&mut app.db.read().await?, projects).await?;
    let mut out = Vec::with_capacity(rows.len());
    for t in &rows {
        out.push(summary(app, t).await?.0);
    }
    Ok(out)
}

/// The takeovers of every project the caller can see, by delivery start, with countdowns and
/// overdue items (the property manager's landing, the executives' cross-project view).
#[utoipa::path(get, path = "/api/v1/takeovers", tag = "takeovers", security(("bearer" = [])),
    responses((status = 200, body = Vec<TakeoverSummary>)))]
pub async fn list_all(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TakeoverSummary>>, AppError> {
    Ok(Json(summaries(&app, &user.project_ids()).await?))
}

/// The takeovers of one project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/takeovers", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<TakeoverSummary>), (status = 404, body = ErrorBody)))]
pub async fn list_project(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<TakeoverSummary>>, AppError> {
    user.require_visible(id)?;
    Ok(Json(summaries(&app, &[id]).await?))
}

/// A takeover to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTakeoverBody {
    /// Name (≤ 100 characters), unique in the project.
    pub name: String,
    /// The delivery batch it serves (its first day sets the deadlines).
    pub batch_id: Uuid,
    /// Buildings covered; empty = the whole project.
    #[serde(default)]
    pub building_ids: Vec<Uuid>,
}

/// Creates a takeover with the seed's prerequisites (4.2.2.1 a–e) and document list (4.2.2.2).
#[utoipa::path(post, path = "/api/v1/projects/{id}/takeovers", tag = "takeovers", security(("bearer" = [])),
    request_body = NewTakeoverBody, params(("id" = Uuid, Path)),
    responses((status = 201, body = TakeoverView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewTakeoverBody>,
) -> Result<(StatusCode, Json<TakeoverView>), AppError> {
    user.require(project, &[Role::Admin, Role::Property])?;
    Check::default().text("name", &body.name, 100).done()?;
    let mut tx = app.db.begin().await?;
    let batches = crate::org::repo::list_batches(&mut tx, &[project]).await?;
    if !batches.iter().any(|b| b.id == body.batch_id) {
        return Err(AppError::field("batch_id", "unknown"));
    }
    for b in &body.building_ids {
        if !crate::defects::repo::building_in_project(&mut tx, project, *b).await? {
            return Err(AppError::field("building_ids", "unknown"));
        }
    }
    let id = Uuid::new_v4();
    let new = NewTakeover {
        id,
        project_id: project,
        batch_id: body.batch_id,
        name: body.name.trim().to_owned(),
        buildings: body.building_ids.clone(),
        created_by: user.id,
    };
    repo::create(&mut tx, &new, clock::now()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&app, id).await?)))
}

async fn view(app: &AppState, id: Uuid) -> Result<TakeoverView, AppError> {
    let t = repo::get(&mut app.db.read().await?, id).await?;
    let (summary, record, areas) = summary(app, &t).await?;
    Ok(TakeoverView {
        summary,
        record,
        areas,
        sealed_at: t.sealed_at,
    })
}

/// A takeover in full: deadlines and countdowns, what is overdue, the team, prerequisites,
/// documents, common areas, findings, signatures and the seal.
#[utoipa::path(get, path = "/api/v1/takeovers/{id}", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = TakeoverView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TakeoverView>, AppError> {
    visible(&app, &user, id).await?;
    Ok(Json(view(&app, id).await?))
}

/// The project's two takeover day counts.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeoverSettings {
    /// Inspection and rectification are due this many days before delivery (seed: 30;
    /// national rules: 15). 1–365.
    pub inspection_days: i32,
    /// The formalities window opens this many days before delivery (seed: a month, 30). 1–365.
    pub window_days: i32,
}

/// Sets the project's takeover day counts (admins).
#[utoipa::path(put, path = "/api/v1/projects/{id}/takeover-settings", tag = "takeovers", security(("bearer" = [])),
    request_body = TakeoverSettings, params(("id" = Uuid, Path)),
    responses((status = 200, body = TakeoverSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TakeoverSettings>,
) -> Result<Json<TakeoverSettings>, AppError> {
    user.require(project, &[Role::Admin])?;
    let bad = |d: i32| !(1..=365).contains(&d);
    Check::default()
        .when(bad(body.inspection_days), "inspection_days", "out_of_range")
        .when(bad(body.window_days), "window_days", "out_of_range")
        .done()?;
    let mut tx = app.db.begin().await?;
    repo::set_days(&mut tx, project, body.inspection_days, body.window_days).await?;
    tx.commit().await?;
    Ok(Json(body))
}

/// Opens a write on an unsealed takeover the caller may edit.
async fn begin_edit(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    roles: &[Role],
) -> Result<(crate::db::Tx, repo::TakeoverRow), AppError> {
    let t = visible(app, user, id).await?;
    user.require(t.project_id, roles)?;
    let mut tx = app.db.begin().await?;
    repo::touch_unsealed(&mut tx, id, clock::now()).await?;
    Ok((tx, t))
}

/// A team member to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// `developer` (项目部) or `property` (物业公司).
    pub side: Side,
    /// Name (≤ 50 characters).
    pub name: String,
    /// Job title (≤ 50 characters).
    #[serde(default)]
    pub title: String,
}

/// Adds a member to the joint team.
#[utoipa::path(post, path = "/api/v1/takeovers/{id}/members", tag = "takeovers", security(("bearer" = [])),
    request_body = NewMember, params(("id" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewMember>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    Check::default()
        .text("name", &body.name, 50)
        .when(body.title.chars().count() > 50, "title", "too_long")
        .done()?;
    let m = super::snapshot::Member {
        id: Uuid::new_v4(),
        side: body.side.as_str().to_owned(),
        name: body.name.trim().to_owned(),
        title: body.title.trim().to_owned(),
    };
    repo::add_member(&mut tx, id, &m, clock::now()).await?;
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// Removes a member from the joint team.
#[utoipa::path(delete, path = "/api/v1/takeovers/{id}/members/{member}", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("member" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, member)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    if !repo::remove_member(&mut tx, id, member).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// A project's own prerequisite line.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrerequisite {
    /// What must hold (≤ 200 characters).
    pub title: String,
}

/// Adds a prerequisite line of the project's own (admins).
#[utoipa::path(post, path = "/api/v1/takeovers/{id}/prerequisites", tag = "takeovers", security(("bearer" = [])),
    request_body = NewPrerequisite, params(("id" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_prerequisite(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewPrerequisite>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, &[Role::Admin]).await?;
    Check::default().text("title", &body.title, 200).done()?;
    repo::add_prerequisite(&mut tx, id, "", body.title.trim(), clock::now()).await?;
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// A change of a prerequisite line: its status (confirmed by the caller) and evidence.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrerequisitePatch {
    /// New status.
    #[serde(default)]
    pub status: Option<PrereqStatus>,
    /// Evidence reference: document, certificate or filing number (≤ 500 characters).
    #[serde(default)]
    pub evidence: Option<String>,
}

/// Sets a prerequisite line's status and evidence; the caller is recorded as confirming it.
#[utoipa::path(patch, path = "/api/v1/takeovers/{id}/prerequisites/{line}", tag = "takeovers", security(("bearer" = [])),
    request_body = PrerequisitePatch, params(("id" = Uuid, Path), ("line" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_prerequisite(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<PrerequisitePatch>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    let evidence = body.evidence.as_deref().map(str::trim);
    Check::default()
        .when(
            evidence.is_some_and(|e| e.chars().count() > 500),
            "evidence",
            "too_long",
        )
        .done()?;
    let change = PrerequisiteChange {
        status: body.status.map(|s| s.as_str().to_owned()),
        evidence: evidence.map(str::to_owned),
        evidence_sha256: None,
    };
    if !repo::update_prerequisite(&mut tx, id, line, &change, user.id, clock::now()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// An evidence file once stored: a PDF kept as it is, or a photo with its derivatives.
enum Evidence {
    /// A PDF scan.
    Pdf {
        /// Its SHA-256.
        sha256: String,
        /// Its size.
        bytes: usize,
    },
    /// A photo.
    Photo(crate::photos::Ingested),
}

/// Attaches evidence (a photo or a PDF scan of a certificate or approval) to a prerequisite
/// line: multipart field `file`, JPEG, PNG or PDF, at most 25 MB.
#[utoipa::path(post, path = "/api/v1/takeovers/{id}/prerequisites/{line}/evidence", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("line" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`: the photo"),
    responses((status = 200, body = TakeoverView), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload_evidence(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    multipart: Multipart,
) -> Result<Json<TakeoverView>, AppError> {
    // Refuse a sealed or foreign takeover before reading any photo.
    drop(begin_edit(&app, &user, id, EDITORS).await?);
    let files = crate::photos::upload::read_files(multipart, 1).await?;
    let file = files[0].clone();
    // The file is stored first (outside the write lock), then recorded in one transaction.
    let stored = if crate::photos::is_pdf(&file) {
        let bytes = file.len();
        Evidence::Pdf {
            sha256: app.photos.store_pdf(file).await?,
            bytes,
        }
    } else {
        Evidence::Photo(app.photos.ingest(file).await?)
    };
    let now = clock::now();
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    let sha256 = match stored {
        Evidence::Pdf { sha256, bytes } => {
            repo::insert_document_blob(&mut tx, &sha256, bytes, now).await?;
            sha256
        }
        Evidence::Photo(photo) => {
            crate::defects::repo::insert_blob(&mut tx, &photo, now).await?;
            photo.sha256
        }
    };
    let change = PrerequisiteChange {
        evidence_sha256: Some(sha256),
        ..PrerequisiteChange::default()
    };
    if !repo::update_prerequisite(&mut tx, id, line, &change, user.id, clock::now()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// The evidence file of a prerequisite line (the photo or PDF as uploaded), for staff of the
/// project.
#[utoipa::path(get, path = "/api/v1/takeovers/{id}/prerequisites/{line}/evidence", tag = "takeovers", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("line" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn evidence(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
) -> Result<axum::response::Response, AppError> {
    let t = visible(&app, &user, id).await?;
    let record = Snapshot::current(&mut app.db.read().await?, &t).await?;
    let sha = record
        .prerequisites
        .iter()
        .find(|p| p.id == line)
        .and_then(|p| p.evidence_sha256.clone())
        .ok_or(AppError::NotFound)?;
    let mime = crate::defects::repo::blob_mime(&mut app.db.read().await?, &sha).await?;
    let bytes = app
        .photos
        .read(&sha, crate::photos::Variant::Original)
        .await?;
    Ok(crate::photos::upload::image_response(
        bytes,
        &mime,
        &sha,
        crate::photos::upload::Caching::Immutable,
    ))
}

/// A document line of the project's own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    /// Category.
    pub category: DocumentCategory,
    /// Title (≤ 200 characters).
    pub title: String,
}

/// Adds a document line to the list of documents to hand over.
#[utoipa::path(post, path = "/api/v1/takeovers/{id}/documents", tag = "takeovers", security(("bearer" = [])),
    request_body = NewDocument, params(("id" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_document(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewDocument>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    Check::default().text("title", &body.title, 200).done()?;
    repo::add_document(
        &mut tx,
        id,
        "",
        body.category,
        body.title.trim(),
        clock::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// What was received of a document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentReceipt {
    /// Copies received (0 = missing), ≤ 9999.
    pub copies: i32,
    /// Form.
    pub form: DocumentForm,
    /// Who received it (≤ 50 characters).
    #[serde(default)]
    pub received_by: String,
    /// When (YYYY-MM-DD).
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
}

/// Records the receipt of a document line.
#[utoipa::path(patch, path = "/api/v1/takeovers/{id}/documents/{line}", tag = "takeovers", security(("bearer" = [])),
    request_body = DocumentReceipt, params(("id" = Uuid, Path), ("line" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_document(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<DocumentReceipt>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, _) = begin_edit(&app, &user, id, EDITORS).await?;
    Check::default()
        .when(!(0..=9999).contains(&body.copies), "copies", "out_of_range")
        .when(
            body.received_by.chars().count() > 50,
            "received_by",
            "too_long",
        )
        .done()?;
    let receipt = Receipt {
        copies: body.copies,
        form: body.form.as_str().to_owned(),
        received_by: body.received_by.trim().to_owned(),
        received_on: body.received_on,
    };
    if !repo::update_document(&mut tx, id, line, &receipt, clock::now()).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}

/// A drawn signature and what the signer declares with it.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// The side signing; the caller must hold a role of that side (项目部: admin or inspector;
    /// 物业: property).
    pub side: Side,
    /// Name as signed (≤ 50 characters).
    pub name: String,
    /// Job title (≤ 50 characters).
    #[serde(default)]
    pub title: String,
    /// Canvas width in pixels.
    pub width: f64,
    /// Canvas height in pixels.
    pub height: f64,
    /// The strokes, each a list of `[x, y, ms]` points; at least one stroke of two points.
    #[schema(value_type = Vec<Vec<Vec<f64>>>)]
    pub strokes: Vec<Vec<StrokePoint>>,
    /// The rendered signature, a PNG as base64 (optional, ≤ 512 KB).
    #[serde(default)]
    pub image_png: Option<String>,
    /// Reservations (保留意见) by prerequisite line id: required on every line not met.
    #[serde(default)]
    pub reservations: HashMap<Uuid, String>,
}

fn validate_signature(body: &SignatureBody) -> Result<Option<Vec<u8>>, AppError> {
    let reservation_too_long = body.reservations.values().any(|r| r.chars().count() > 500);
    let check = Check::default().text("name", &body.name, 50).when(
        body.title.chars().count() > 50,
        "title",
        "too_long",
    );
    signature::check_drawing(check, body.width, body.height, &body.strokes)
        .when(reservation_too_long, "reservations", "too_long")
        .done()?;
    signature::decode_png(body.image_png.as_deref())
}

/// Signs the takeover for one side. Refused while a prerequisite line is unchecked
/// (`takeover.prerequisites_unchecked`) or not met without a reservation on it
/// (`takeover.prerequisites_unmet`; the body's `prerequisites` lists the lines). The second
/// signature seals the record: its canonical content and SHA-256 are stored, and every later
/// write is `409 takeover.sealed`.
#[utoipa::path(post, path = "/api/v1/takeovers/{id}/signatures", tag = "takeovers", security(("bearer" = [])),
    request_body = SignatureBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = TakeoverView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SignatureBody>,
) -> Result<Json<TakeoverView>, AppError> {
    let (mut tx, t) = begin_edit(&app, &user, id, body.side.signer_roles()).await?;
    let png = validate_signature(&body)?;
    let lines: Vec<Line> = repo::prerequisites(&mut tx, id)
        .await?
        .into_iter()
        .map(|p| Line {
            id: p.id,
            status: PrereqStatus::parse(&p.status).unwrap_or(PrereqStatus::Pending),
        })
        .collect();
    let reservations = check_signable(&lines, &body.reservations)?;
    let signed = repo::signatures(&mut tx, id).await?;
    if signed.iter().any(|s| s.side == body.side.as_str()) {
        return Err(AppError::TakeoverAlreadySigned);
    }
    let strokes = signature::stored(body.width, body.height, &body.strokes);
    let new = NewSignature {
        id: Uuid::new_v4(),
        side: body.side.as_str().to_owned(),
        user_id: user.id,
        name: body.name.trim().to_owned(),
        title: body.title.trim().to_owned(),
        strokes,
        image_png: png,
        reservations,
    };
    let now = clock::now();
    repo::insert_signature(&mut tx, id, &new, now).await?;
    if signed.len() + 1 == Side::ALL.len() {
        let record = Snapshot::read(&mut tx, &t).await?;
        let (content, seal) = record.sealed()?;
        repo::seal(&mut tx, id, &content, &seal, now).await?;
    }
    tx.commit().await?;
    Ok(Json(view(&app, id).await?))
}
