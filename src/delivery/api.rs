//! The handover-day JSON API: settings, slots and appointments, handover conditions, the desk
//! search, check-in, and the visit (walkthrough, judged issues, meters, keys, documents, the
//! outcome). Customer service and administrators write; everyone on the project reads.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, AppointmentRow, IssueRow, NewVisit, OutcomeRecord, VisitRow};
use super::settings::Settings;
use super::{
    Judgement, MAX_READING, MeterKind, Outcome, REFUSAL_REASONS, UNREASONABLE_REASONS, mask_phone,
};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::checklists::Trade;
use crate::clock;
use crate::db::Tx;
use crate::defects::commands::NewDefect;
use crate::defects::{Severity, Stage};
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;
use crate::signature::{self, StrokePoint};

/// Who runs handover day.
pub const STAFF: &[Role] = &[Role::Service, Role::Admin];

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    let photo_limit = axum::extract::DefaultBodyLimit::max(crate::photos::MAX_BYTES + 64 * 1024);
    Router::new()
        .route(
            "/api/v1/projects/{id}/delivery-settings",
            get(settings).put(set_settings),
        )
        .route("/api/v1/batches/{id}/slots", get(slots).post(add_slot))
        .route(
            "/api/v1/batches/{id}/appointments",
            get(appointments).post(book),
        )
        .route("/api/v1/appointments/{id}", patch(move_appointment))
        .route("/api/v1/appointments/{id}/cancel", post(cancel_appointment))
        .route("/api/v1/units/{id}/conditions", get(conditions))
        .route("/api/v1/units/{id}/conditions/{code}", put(set_condition))
        .route(
            "/api/v1/units/{id}/conditions/{code}/waive",
            post(waive_condition),
        )
        .route("/api/v1/batches/{id}/desk", get(desk))
        .route("/api/v1/batches/{id}/visits", post(check_in))
        .route("/api/v1/visits/{id}", get(show).patch(set_staff))
        .route("/api/v1/visits/{id}/walkthrough", post(walkthrough))
        .route("/api/v1/visits/{id}/issues", post(add_issue))
        .route("/api/v1/issues/{id}/judge", post(judge))
        .route(
            "/api/v1/issues/{id}/photos",
            post(issue_photo).layer(photo_limit),
        )
        .route("/api/v1/visits/{id}/meters/{kind}", put(set_meter))
        .route(
            "/api/v1/visits/{id}/meters/{kind}/photo",
            post(meter_photo).layer(photo_limit),
        )
        .route("/api/v1/visits/{id}/keys", put(set_keys))
        .route("/api/v1/visits/{id}/documents", put(set_documents))
        .route("/api/v1/visits/{id}/outcome", post(close))
        .route(
            "/api/v1/visits/{id}/photos/{sha}/{variant}",
            get(visit_photo),
        )
        .merge(super::sheet::routes())
}

async fn batch_project(app: &AppState, batch: Uuid) -> Result<Uuid, AppError> {
    crate::org::repo::batch_project(&mut app.db.read().await?, batch).await
}

/// The handover-day settings of a project (the defaults until an administrator sets them).
#[utoipa::path(get, path = "/api/v1/projects/{id}/delivery-settings", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Settings), (status = 404, body = ErrorBody)))]
pub async fn settings(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
) -> Result<Json<Settings>, AppError> {
    user.require_visible(project)?;
    Ok(Json(
        repo::settings(&mut app.db.read().await?, project).await?,
    ))
}

/// Replaces a project's handover-day settings (administrators).
#[utoipa::path(put, path = "/api/v1/projects/{id}/delivery-settings", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_settings(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Settings>,
) -> Result<Json<Settings>, AppError> {
    user.require(project, &[Role::Admin])?;
    body.validate()?;
    let mut tx = app.db.begin().await?;
    repo::set_settings(&mut tx, project, &body, clock::now()).await?;
    tx.commit().await?;
    Ok(Json(body))
}

/// An appointment slot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// Id.
    pub id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i32,
    /// Booked.
    pub booked: i64,
}

impl From<repo::SlotRow> for SlotView {
    fn from(s: repo::SlotRow) -> Self {
        SlotView {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            capacity: s.capacity,
            booked: s.booked,
        }
    }
}

/// A slot to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSlot {
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End (after the start, the same day).
    pub ends_at: DateTime<Utc>,
    /// Places (1–500).
    pub capacity: i32,
}

/// The slots of a batch with their bookings.
#[utoipa::path(get, path = "/api/v1/batches/{id}/slots", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<SlotView>), (status = 404, body = ErrorBody)))]
pub async fn slots(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(batch): ApiPath<Uuid>,
) -> Result<Json<Vec<SlotView>>, AppError> {
    user.require_visible(batch_project(&app, batch).await?)?;
    let rows = repo::slots(&mut app.db.read().await?, batch).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Adds a slot to a batch.
#[utoipa::path(post, path = "/api/v1/batches/{id}/slots", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewSlot,
    responses((status = 201, body = SlotView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_slot(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(batch): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewSlot>,
) -> Result<(StatusCode, Json<SlotView>), AppError> {
    user.require(batch_project(&app, batch).await?, STAFF)?;
    let hours = (body.ends_at - body.starts_at).num_hours();
    Check::default()
        .when(
            body.ends_at <= body.starts_at || hours > 24,
            "ends_at",
            "invalid",
        )
        .when(
            !(1..=500).contains(&body.capacity),
            "capacity",
            "out_of_range",
        )
        .done()?;
    let mut tx = app.db.begin().await?;
    let span = (body.starts_at, body.ends_at);
    let id = repo::insert_slot(&mut tx, batch, span, body.capacity, clock::now()).await?;
    tx.commit().await?;
    let row = repo::slot(&mut app.db.read().await?, id).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// An appointment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentView {
    /// Id.
    pub id: Uuid,
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
    /// Phone, masked (`138****5678`).
    pub phone: String,
    /// `booked` or `cancelled`.
    pub status: String,
}

impl From<AppointmentRow> for AppointmentView {
    fn from(a: AppointmentRow) -> Self {
        AppointmentView {
            id: a.id,
            unit_id: a.unit_id,
            unit_number: a.unit_number,
            slot_id: a.slot_id,
            starts_at: a.starts_at,
            customer_name: a.customer_name,
            phone: mask_phone(&a.phone),
            status: a.status,
        }
    }
}

/// An appointment to book.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    /// Client id (a retry books once).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Unit (planned in the batch).
    pub unit_id: Uuid,
    /// Slot (of the batch, with room left).
    pub slot_id: Uuid,
    /// Who comes.
    #[serde(default)]
    pub customer_name: String,
    /// Their phone.
    #[serde(default)]
    pub phone: String,
}

/// Which appointments to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AppointmentQuery {
    /// Only this slot.
    pub slot: Option<Uuid>,
}

/// The booked appointments of a batch, by time (optionally of one slot).
#[utoipa::path(get, path = "/api/v1/batches/{id}/appointments", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), AppointmentQuery), responses((status = 200, body = Vec<AppointmentView>)))]
pub async fn appointments(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(batch): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<AppointmentQuery>,
) -> Result<Json<Vec<AppointmentView>>, AppError> {
    user.require_visible(batch_project(&app, batch).await?)?;
    let rows = repo::appointments(&mut app.db.read().await?, batch, q.slot).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Books a customer into a slot; `409 appointment.slot_full` when it has no room, `409
/// request.already_exists` when the unit is booked already (move that appointment instead).
#[utoipa::path(post, path = "/api/v1/batches/{id}/appointments", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewAppointment,
    responses((status = 201, body = AppointmentView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn book(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(batch): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewAppointment>,
) -> Result<(StatusCode, Json<AppointmentView>), AppError> {
    user.require(batch_project(&app, batch).await?, STAFF)?;
    Check::default()
        .when(
            body.customer_name.chars().count() > 50,
            "customer_name",
            "too_long",
        )
        .when(body.phone.chars().count() > 30, "phone", "too_long")
        .done()?;
    let id = body.id.unwrap_or_else(Uuid::new_v4);
    let mut tx = app.db.begin().await?;
    if let Ok(existing) = repo::appointment(&mut tx, id).await {
        return Ok((StatusCode::CREATED, Json(existing.into())));
    }
    if !repo::in_batch(&mut tx, batch, body.unit_id).await? {
        return Err(AppError::field("unit_id", "unknown"));
    }
    slot_in_batch(&mut tx, batch, body.slot_id).await?;
    let row = AppointmentRow {
        id,
        batch_id: batch,
        unit_id: body.unit_id,
        unit_number: String::new(),
        slot_id: body.slot_id,
        starts_at: clock::now(),
        customer_name: body.customer_name.trim().to_owned(),
        phone: body.phone.trim().to_owned(),
        status: "booked".into(),
    };
    repo::insert_appointment(&mut tx, &row, clock::now()).await?;
    repo::bump_board(&mut tx, batch).await?;
    tx.commit().await?;
    let row = repo::appointment(&mut app.db.read().await?, id).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Checks that `slot` is one of the batch's and has room.
async fn slot_in_batch(tx: &mut Tx, batch: Uuid, slot: Uuid) -> Result<(), AppError> {
    let s = repo::slot(tx, slot)
        .await
        .map_err(|_| AppError::field("slot_id", "unknown"))?;
    if s.batch_id != batch {
        return Err(AppError::field("slot_id", "unknown"));
    }
    if !repo::slot_has_room(tx, slot).await? {
        return Err(AppError::SlotFull);
    }
    Ok(())
}

/// Where to move an appointment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveAppointment {
    /// The new slot (same batch, with room).
    pub slot_id: Uuid,
}

/// Moves an appointment to another slot.
#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MoveAppointment,
    responses((status = 200, body = AppointmentView), (status = 409, body = ErrorBody)))]
pub async fn move_appointment(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MoveAppointment>,
) -> Result<Json<AppointmentView>, AppError> {
    let mut tx = app.db.begin().await?;
    let a = repo::appointment(&mut tx, id).await?;
    user.require(
        crate::org::repo::batch_project(&mut tx, a.batch_id).await?,
        STAFF,
    )?;
    if a.slot_id != body.slot_id {
        slot_in_batch(&mut tx, a.batch_id, body.slot_id).await?;
        repo::change_appointment(&mut tx, id, Some(body.slot_id), clock::now()).await?;
        repo::bump_board(&mut tx, a.batch_id).await?;
    }
    tx.commit().await?;
    Ok(Json(
        repo::appointment(&mut app.db.read().await?, id)
            .await?
            .into(),
    ))
}

/// Cancels an appointment (the place frees up).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = AppointmentView), (status = 404, body = ErrorBody)))]
pub async fn cancel_appointment(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AppointmentView>, AppError> {
    let mut tx = app.db.begin().await?;
    let a = repo::appointment(&mut tx, id).await?;
    user.require(
        crate::org::repo::batch_project(&mut tx, a.batch_id).await?,
        STAFF,
    )?;
    if a.status == "booked" {
        repo::change_appointment(&mut tx, id, None, clock::now()).await?;
        repo::bump_board(&mut tx, a.batch_id).await?;
    }
    tx.commit().await?;
    Ok(Json(
        repo::appointment(&mut app.db.read().await?, id)
            .await?
            .into(),
    ))
}

/// One handover condition of a unit's customer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConditionView {
    /// Code.
    pub code: String,
    /// Name in the caller's language.
    pub name: String,
    /// Met.
    pub met: bool,
    /// Note.
    pub note: String,
    /// Waived by a supervisor: the reason.
    pub waiver_reason: Option<String>,
    /// Missing: neither met nor waived (blocks the acceptance).
    pub missing: bool,
}

/// The conditions of a unit against the project's list.
pub(crate) async fn condition_views(
    c: &mut impl crate::db::DbConn,
    l: crate::i18n::Locale,
    project: Uuid,
    unit: Uuid,
) -> Result<Vec<ConditionView>, AppError> {
    let settings = repo::settings(c, project).await?;
    let recorded = repo::conditions(c, unit).await?;
    Ok(condition_list(l, &settings, &recorded))
}

/// The project's conditions as recorded for a unit.
fn condition_list(
    l: crate::i18n::Locale,
    settings: &Settings,
    recorded: &[repo::ConditionRow],
) -> Vec<ConditionView> {
    settings
        .conditions
        .iter()
        .map(|e| {
            let r = recorded.iter().find(|r| r.code == e.code);
            let met = r.is_some_and(|r| r.met);
            let waiver_reason = r.and_then(|r| r.waiver_reason.clone());
            ConditionView {
                code: e.code.clone(),
                name: e.label(l, "condition"),
                met,
                note: r.map(|r| r.note.clone()).unwrap_or_default(),
                missing: !met && waiver_reason.is_none(),
                waiver_reason,
            }
        })
        .collect()
}

/// The handover conditions of a unit's customer, and which are missing.
#[utoipa::path(get, path = "/api/v1/units/{id}/conditions", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<ConditionView>)))]
pub async fn conditions(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(unit): ApiPath<Uuid>,
) -> Result<Json<Vec<ConditionView>>, AppError> {
    let mut conn = app.db.read().await?;
    let project = crate::org::repo::get_unit(&mut conn, unit)
        .await?
        .project_id;
    user.require_visible(project)?;
    Ok(Json(condition_views(&mut conn, l, project, unit).await?))
}

/// A condition ticked at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionBody {
    /// Met.
    pub met: bool,
    /// Note (≤ 200 characters).
    #[serde(default)]
    pub note: String,
}

/// Ticks (or unticks) a condition of a unit's customer.
#[utoipa::path(put, path = "/api/v1/units/{id}/conditions/{code}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("code" = String, Path)), request_body = ConditionBody,
    responses((status = 200, body = Vec<ConditionView>), (status = 422, body = ErrorBody)))]
pub async fn set_condition(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath((unit, code)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<ConditionBody>,
) -> Result<Json<Vec<ConditionView>>, AppError> {
    Check::default()
        .when(body.note.chars().count() > 200, "note", "too_long")
        .done()?;
    let mut tx = app.db.begin().await?;
    let project = condition_target(&mut tx, &user, unit, &code, STAFF).await?;
    let who = (user.id, clock::now());
    repo::set_condition(&mut tx, (unit, &code), body.met, body.note.trim(), who).await?;
    tx.commit().await?;
    let mut conn = app.db.read().await?;
    Ok(Json(condition_views(&mut conn, l, project, unit).await?))
}

/// Checks the unit, the caller's role and that `code` is on the project's list.
async fn condition_target(
    tx: &mut Tx,
    user: &CurrentUser,
    unit: Uuid,
    code: &str,
    roles: &[Role],
) -> Result<Uuid, AppError> {
    let project = crate::org::repo::get_unit(tx, unit).await?.project_id;
    user.require(project, roles)?;
    let settings = repo::settings(tx, project).await?;
    if !settings.conditions.iter().any(|e| e.code == code) {
        return Err(AppError::field("code", "unknown"));
    }
    Ok(project)
}

/// A supervisor's waiver.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverBody {
    /// Why the customer may sign without it (required, ≤ 200 characters).
    pub reason: String,
}

/// Waives a missing condition with a reason (a supervisor: the project's administrator).
#[utoipa::path(post, path = "/api/v1/units/{id}/conditions/{code}/waive", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("code" = String, Path)), request_body = WaiverBody,
    responses((status = 200, body = Vec<ConditionView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn waive_condition(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath((unit, code)): ApiPath<(Uuid, String)>,
    ApiJson(body): ApiJson<WaiverBody>,
) -> Result<Json<Vec<ConditionView>>, AppError> {
    Check::default().text("reason", &body.reason, 200).done()?;
    let mut tx = app.db.begin().await?;
    let project = condition_target(&mut tx, &user, unit, &code, &[Role::Admin]).await?;
    let who = (user.id, clock::now());
    repo::waive_condition(&mut tx, (unit, &code), body.reason.trim(), who).await?;
    tx.commit().await?;
    let mut conn = app.db.read().await?;
    Ok(Json(condition_views(&mut conn, l, project, unit).await?))
}

/// A unit found at the desk.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeskHit {
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub number: String,
    /// Building.
    pub building: String,
    /// Unit status (`delivered`, `refused`, ...).
    pub status: String,
    /// Buyers: name and masked phone.
    pub buyers: Vec<BuyerView>,
    /// A visit without outcome, to continue.
    pub open_visit: Option<Uuid>,
}

/// A buyer as the desk shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuyerView {
    /// Name.
    pub name: String,
    /// Phone, masked.
    pub phone: String,
}

/// The desk search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeskQuery {
    /// Unit number (prefix), buyer name (part) or the last 4 digits of a buyer's phone.
    pub q: String,
}

/// Finds the customer at the desk by unit number, name or phone tail (at most 20 units).
#[utoipa::path(get, path = "/api/v1/batches/{id}/desk", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), DeskQuery), responses((status = 200, body = Vec<DeskHit>)))]
pub async fn desk(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(batch): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> Result<Json<Vec<DeskHit>>, AppError> {
    user.require_visible(batch_project(&app, batch).await?)?;
    Ok(Json(search(&app, batch, &q.q).await?))
}

/// The desk search, shared by the page.
pub async fn search(app: &AppState, batch: Uuid, q: &str) -> Result<Vec<DeskHit>, AppError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 30 {
        return Ok(Vec::new());
    }
    let mut conn = app.db.read().await?;
    let rows = repo::desk_search(&mut conn, batch, q).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.unit_id).collect();
    let mut buyers = crate::org::repo::buyers_of_units(&mut conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| DeskHit {
            buyers: buyers
                .remove(&r.unit_id)
                .unwrap_or_default()
                .into_iter()
                .map(|b| BuyerView {
                    phone: mask_phone(&b.phone),
                    name: b.name,
                })
                .collect(),
            unit_id: r.unit_id,
            number: r.number,
            building: r.building,
            status: r.status,
            open_visit: r.open_visit,
        })
        .collect())
}

/// A check-in at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// Client id (a retry opens one visit).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Unit (planned in the batch).
    pub unit_id: Uuid,
    /// Who came (required, ≤ 50 characters).
    pub customer_name: String,
    /// Identity checked against the ID card.
    pub identity_checked: bool,
    /// Note on the identity check (e.g. 委托书).
    #[serde(default)]
    pub identity_note: String,
}

/// Checks a customer in: the visit opens. `409 visit.already_open` when the unit has one.
#[utoipa::path(post, path = "/api/v1/batches/{id}/visits", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CheckIn,
    responses((status = 201, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(batch): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CheckIn>,
) -> Result<(StatusCode, Json<VisitDetail>), AppError> {
    let id = open_visit(&app, &user, batch, body).await?;
    Ok((StatusCode::CREATED, Json(detail(&app, l, id).await?)))
}

/// Opens a visit; answers its id (the same id again for a repeated client id).
pub async fn open_visit(
    app: &AppState,
    user: &CurrentUser,
    batch: Uuid,
    body: CheckIn,
) -> Result<Uuid, AppError> {
    let project = batch_project(app, batch).await?;
    user.require(project, STAFF)?;
    Check::default()
        .text("customer_name", &body.customer_name, 50)
        .when(
            body.identity_note.chars().count() > 200,
            "identity_note",
            "too_long",
        )
        .done()?;
    let id = body.id.unwrap_or_else(Uuid::new_v4);
    let mut tx = app.db.begin().await?;
    if let Ok(v) = repo::visit(&mut tx, id).await {
        return if v.batch_id == batch {
            Ok(id)
        } else {
            Err(AppError::AlreadyExists)
        };
    }
    if !repo::in_batch(&mut tx, batch, body.unit_id).await? {
        return Err(AppError::field("unit_id", "unknown"));
    }
    if let Some(open) = repo::unit_visits(&mut tx, body.unit_id)
        .await?
        .into_iter()
        .find(|v| v.outcome.is_none())
    {
        return Err(AppError::VisitOpen(open.id));
    }
    let appointment = repo::booked_appointment(&mut tx, batch, body.unit_id).await?;
    let new = NewVisit {
        id,
        project_id: project,
        batch_id: batch,
        unit_id: body.unit_id,
        appointment_id: appointment,
        customer_name: body.customer_name.trim(),
        identity_checked: body.identity_checked,
        identity_note: body.identity_note.trim(),
        user: user.id,
    };
    repo::insert_visit(&mut tx, &new, clock::now()).await?;
    repo::bump_board(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(id)
}

/// A customer issue with its judgement and rectification status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssueView {
    /// Id.
    pub id: Uuid,
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
    /// The rectification item (a defect of stage `customer`) of a reasonable issue.
    pub defect_id: Option<Uuid>,
    /// Its status.
    pub defect_status: Option<String>,
    /// Photos (content hashes; `/api/v1/photos/{sha}`).
    pub photos: Vec<String>,
}

/// A meter reading.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeterView {
    /// `water`, `power` or `gas`.
    pub kind: String,
    /// Reading.
    pub reading: f64,
    /// Photo of the dial.
    pub photo: Option<String>,
}

/// Where the visit stands in the flow (walkthrough → issues → meters → keys → documents →
/// outcome): each step done or not.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Walkthrough started and ended.
    pub walkthrough: bool,
    /// Every issue judged.
    pub issues: bool,
    /// Water and power read.
    pub meters: bool,
    /// Some keys handed.
    pub keys: bool,
    /// Every listed document handed.
    pub documents: bool,
    /// Outcome recorded.
    pub outcome: bool,
}

/// A visit with everything recorded in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitDetail {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub unit_number: String,
    /// Who came.
    pub customer_name: String,
    /// Identity checked.
    pub identity_checked: bool,
    /// Note on the identity check.
    pub identity_note: String,
    /// Check-in.
    pub checked_in_at: DateTime<Utc>,
    /// Accompanying staff.
    pub staff: String,
    /// Walkthrough start.
    pub walk_started_at: Option<DateTime<Utc>>,
    /// Walkthrough end.
    pub walk_ended_at: Option<DateTime<Utc>>,
    /// `accepted`, `refused`, `only_looked`, or none yet.
    pub outcome: Option<String>,
    /// When (for `accepted`: the delivery time).
    pub outcome_at: Option<DateTime<Utc>>,
    /// Refusal reason code.
    pub refusal_reason: Option<String>,
    /// Note on the outcome.
    pub outcome_note: String,
    /// Name as signed.
    pub signature_name: Option<String>,
    /// Handover conditions of the customer.
    pub conditions: Vec<ConditionView>,
    /// Issues raised.
    pub issues: Vec<IssueView>,
    /// Meter readings.
    pub meters: Vec<MeterView>,
    /// Keys handed, by code.
    pub keys: HashMap<String, i32>,
    /// Documents handed (codes).
    pub documents: Vec<String>,
    /// The flow's steps.
    pub progress: Progress,
}

/// The visit `id` with everything in it.
pub async fn detail(
    app: &AppState,
    l: crate::i18n::Locale,
    id: Uuid,
) -> Result<VisitDetail, AppError> {
    let mut conn = app.db.read().await?;
    let v = repo::visit(&mut conn, id).await?;
    let issues: Vec<IssueView> = repo::visit_issues_with_photos(&mut conn, id)
        .await?
        .into_iter()
        .map(|(i, photos)| issue_view(i, photos))
        .collect();
    let record = repo::visit_record(&mut conn, (v.project_id, v.unit_id, id)).await?;
    let (settings, documents) = (record.settings, record.documents);
    let conditions = condition_list(l, &settings, &record.conditions);
    let meters: Vec<MeterView> = record
        .meters
        .into_iter()
        .map(|m| MeterView {
            kind: m.kind,
            reading: m.reading,
            photo: m.photo,
        })
        .collect();
    let keys: HashMap<String, i32> = record.keys.into_iter().collect();
    let progress = Progress {
        walkthrough: v.walk_started_at.is_some() && v.walk_ended_at.is_some(),
        issues: issues.iter().all(|i| i.judgement.is_some()),
        meters: ["water", "power"]
            .iter()
            .all(|k| meters.iter().any(|m| m.kind == *k)),
        keys: keys.values().any(|n| *n > 0),
        documents: settings
            .documents
            .iter()
            .all(|d| documents.contains(&d.code)),
        outcome: v.outcome.is_some(),
    };
    Ok(visit_detail(
        v,
        conditions,
        issues,
        meters,
        (keys, documents),
        progress,
    ))
}

fn visit_detail(
    v: VisitRow,
    conditions: Vec<ConditionView>,
    issues: Vec<IssueView>,
    meters: Vec<MeterView>,
    (keys, documents): (HashMap<String, i32>, Vec<String>),
    progress: Progress,
) -> VisitDetail {
    VisitDetail {
        id: v.id,
        batch_id: v.batch_id,
        unit_id: v.unit_id,
        unit_number: v.unit_number,
        customer_name: v.customer_name,
        identity_checked: v.identity_checked,
        identity_note: v.identity_note,
        checked_in_at: v.checked_in_at,
        staff: v.staff,
        walk_started_at: v.walk_started_at,
        walk_ended_at: v.walk_ended_at,
        outcome: v.outcome,
        outcome_at: v.outcome_at,
        refusal_reason: v.refusal_reason,
        outcome_note: v.outcome_note,
        signature_name: v.signature_name,
        conditions,
        issues,
        meters,
        keys,
        documents,
        progress,
    }
}

fn issue_view(i: IssueRow, photos: Vec<String>) -> IssueView {
    IssueView {
        id: i.id,
        room: i.room,
        part: i.part,
        trade: i.trade,
        description: i.description,
        judgement: i.judgement,
        reason_code: i.reason_code,
        reason_text: i.reason_text,
        defect_id: i.defect_id,
        defect_status: i.defect_status,
        photos,
    }
}

/// The visit as its project's staff may see it.
async fn visible_visit(app: &AppState, user: &CurrentUser, id: Uuid) -> Result<VisitRow, AppError> {
    let v = repo::visit(&mut app.db.read().await?, id).await?;
    user.require_visible(v.project_id)?;
    Ok(v)
}

/// A visit with everything recorded in it.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = VisitDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<VisitDetail>, AppError> {
    visible_visit(&app, &user, id).await?;
    Ok(Json(detail(&app, l, id).await?))
}

/// Opens a write on an open visit the caller runs: the transaction and the visit (read once,
/// inside the transaction).
async fn write_visit(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Tx, VisitRow), AppError> {
    let mut tx = app.db.begin().await?;
    let v = repo::visit(&mut tx, id).await?;
    user.require_visible(v.project_id)?;
    user.require(v.project_id, STAFF)?;
    repo::touch_open(&mut tx, id, clock::now()).await?;
    Ok((tx, v))
}

/// Finishes a visit write: commits, then answers the visit as it now is. Writes that change
/// what the live board and the KPIs count (walkthrough, issues, judgements, the outcome) bump
/// the board first; staff, meters, keys, documents and photos do not, which spares the batch's
/// one board row a write per tablet request.
async fn done(
    app: &AppState,
    l: crate::i18n::Locale,
    tx: Tx,
    v: &VisitRow,
) -> Result<Json<VisitDetail>, AppError> {
    tx.commit().await?;
    Ok(Json(detail(app, l, v.id).await?))
}

/// The accompanying staff.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    /// Names (≤ 100 characters).
    pub staff: String,
}

/// Sets who accompanies the customer.
#[utoipa::path(patch, path = "/api/v1/visits/{id}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = StaffBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody)))]
pub async fn set_staff(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StaffBody>,
) -> Result<Json<VisitDetail>, AppError> {
    Check::default()
        .when(body.staff.chars().count() > 100, "staff", "too_long")
        .done()?;
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    repo::set_staff(&mut tx, id, body.staff.trim()).await?;
    done(&app, l, tx, &v).await
}

/// Start or end of the walkthrough.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkBody {
    /// `false` starts it (once), `true` ends it.
    #[serde(default)]
    pub end: bool,
}

/// Starts or ends the walkthrough.
#[utoipa::path(post, path = "/api/v1/visits/{id}/walkthrough", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = WalkBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody)))]
pub async fn walkthrough(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WalkBody>,
) -> Result<Json<VisitDetail>, AppError> {
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    repo::walk(&mut tx, id, body.end, clock::now()).await?;
    repo::bump_board(&mut tx, v.batch_id).await?;
    done(&app, l, tx, &v).await
}

/// A customer's issue, optionally judged at once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssue {
    /// Client id (a retry records once).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Room (≤ 50).
    #[serde(default)]
    pub room: String,
    /// Part (≤ 50).
    #[serde(default)]
    pub part: String,
    /// Trade.
    pub trade: Trade,
    /// What the customer said (required, ≤ 500), from the phrase library or typed.
    pub description: String,
    /// The judgement, if made on the spot.
    #[serde(default)]
    pub judgement: Option<JudgeBody>,
}

/// A judgement of an issue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeBody {
    /// Reasonable or not.
    pub judgement: Judgement,
    /// For an unreasonable issue: `preference`, `as_contracted`, `misuse`, `not_a_defect` or
    /// `other` (then `reason_text` is required).
    #[serde(default)]
    pub reason_code: Option<String>,
    /// The reason in words (≤ 200).
    #[serde(default)]
    pub reason_text: String,
}

impl JudgeBody {
    fn check(&self) -> Result<(), AppError> {
        let code = self.reason_code.as_deref();
        let unreasonable = self.judgement == Judgement::Unreasonable;
        Check::default()
            .when(
                unreasonable && !code.is_some_and(|c| UNREASONABLE_REASONS.contains(&c)),
                "reason_code",
                "required",
            )
            .when(
                unreasonable && code == Some("other") && self.reason_text.trim().is_empty(),
                "reason_text",
                "required",
            )
            .when(
                self.reason_text.chars().count() > 200,
                "reason_text",
                "too_long",
            )
            .done()
    }
}

/// Records a customer's issue on the walkthrough (stage 客户验房), judged now or later.
#[utoipa::path(post, path = "/api/v1/visits/{id}/issues", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewIssue,
    responses((status = 201, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_issue(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewIssue>,
) -> Result<(StatusCode, Json<VisitDetail>), AppError> {
    Check::default()
        .text("description", &body.description, 500)
        .when(body.room.chars().count() > 50, "room", "too_long")
        .when(body.part.chars().count() > 50, "part", "too_long")
        .done()?;
    if let Some(j) = &body.judgement {
        j.check()?;
    }
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    let issue_id = body.id.unwrap_or_else(Uuid::new_v4);
    if repo::issue(&mut tx, issue_id).await.is_err() {
        let row = IssueRow {
            id: issue_id,
            visit_id: id,
            unit_id: v.unit_id,
            room: body.room.trim().to_owned(),
            part: body.part.trim().to_owned(),
            trade: body.trade.as_str().to_owned(),
            description: body.description.trim().to_owned(),
            judgement: None,
            reason_code: None,
            reason_text: String::new(),
            defect_id: None,
            defect_status: None,
            created_at: clock::now(),
        };
        repo::insert_issue(&mut tx, &row, user.id).await?;
        if let Some(j) = &body.judgement {
            apply_judgement(&mut tx, &user, (&v, &row), j).await?;
        }
    }
    repo::bump_board(&mut tx, v.batch_id).await?;
    Ok((StatusCode::CREATED, done(&app, l, tx, &v).await?))
}

/// Writes a judgement; a reasonable issue becomes a rectification item (a defect of stage
/// `customer`, assigned by the project's fix preset, with the issue's photos as "before").
async fn apply_judgement(
    tx: &mut Tx,
    user: &CurrentUser,
    (v, issue): (&VisitRow, &IssueRow),
    j: &JudgeBody,
) -> Result<(), AppError> {
    let now = clock::now();
    let code = match j.judgement {
        Judgement::Reasonable => None,
        Judgement::Unreasonable => j.reason_code.as_deref(),
    };
    let reason = (j.judgement, code, j.reason_text.trim());
    repo::judge(tx, issue.id, reason, (user.id, now)).await?;
    if j.judgement == Judgement::Unreasonable {
        return Ok(());
    }
    let defect = NewDefect {
        id: Some(Uuid::new_v4()),
        unit_id: Some(issue.unit_id),
        common_area_id: None,
        room: issue.room.clone(),
        part: issue.part.clone(),
        trade: Trade::parse(&issue.trade).unwrap_or(Trade::Civil),
        description: issue.description.clone(),
        severity: Severity::Minor,
        stage: Stage::Customer,
        inspection_id: None,
        pin: None,
        contractor_id: None,
        due_on: None,
    };
    let photos = repo::issue_photos(tx, issue.id).await?;
    let defect = crate::defects::commands::create_in(tx, user, v.project_id, defect).await?;
    for sha in photos {
        crate::defects::repo::attach_photo(tx, defect, &sha, "before", user.id, now).await?;
    }
    repo::link_defect(tx, issue.id, defect).await
}

/// Judges an issue once: `409 issue.already_judged` the second time. Judging works on an
/// issue of a closed visit too (engineering may judge after the customer left).
#[utoipa::path(post, path = "/api/v1/issues/{id}/judge", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = JudgeBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn judge(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<JudgeBody>,
) -> Result<Json<VisitDetail>, AppError> {
    body.check()?;
    let issue = repo::issue(&mut app.db.read().await?, id).await?;
    let v = visible_visit(&app, &user, issue.visit_id).await?;
    user.require(v.project_id, STAFF)?;
    let mut tx = app.db.begin().await?;
    apply_judgement(&mut tx, &user, (&v, &issue), &body).await?;
    repo::bump_board(&mut tx, v.batch_id).await?;
    done(&app, l, tx, &v).await
}

/// Adds a photo to an issue (multipart `file`); a judged-reasonable issue's rectification item
/// gets it too.
#[utoipa::path(post, path = "/api/v1/issues/{id}/photos", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = VisitDetail), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn issue_photo(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<VisitDetail>), AppError> {
    let issue = repo::issue(&mut app.db.read().await?, id).await?;
    let v = visible_visit(&app, &user, issue.visit_id).await?;
    user.require(v.project_id, STAFF)?;
    let photo = one_photo(&app, multipart).await?;
    let mut tx = app.db.begin().await?;
    let now = clock::now();
    crate::defects::repo::insert_blob(&mut tx, &photo, now).await?;
    repo::add_issue_photo(&mut tx, id, &photo.sha256).await?;
    if let Some(defect) = issue.defect_id {
        crate::defects::repo::attach_photo(&mut tx, defect, &photo.sha256, "before", user.id, now)
            .await?;
    }
    Ok((StatusCode::CREATED, done(&app, l, tx, &v).await?))
}

/// Reads the one photo of a multipart post and stores it.
async fn one_photo(
    app: &AppState,
    mut multipart: Multipart,
) -> Result<crate::photos::Ingested, AppError> {
    use crate::photos::upload::{multipart_error, read_photo};
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let bytes = read_photo(field).await?;
            return app.photos.ingest(bytes).await;
        }
    }
    Err(AppError::field("file", "required"))
}

/// A meter reading.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeterBody {
    /// The value on the dial (0 – 10,000,000).
    pub reading: f64,
}

/// Records a meter reading (`water`, `power`, `gas`); sending it again corrects it.
#[utoipa::path(put, path = "/api/v1/visits/{id}/meters/{kind}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kind" = MeterKind, Path)), request_body = MeterBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_meter(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath((id, kind)): ApiPath<(Uuid, MeterKind)>,
    ApiJson(body): ApiJson<MeterBody>,
) -> Result<Json<VisitDetail>, AppError> {
    let ok = body.reading.is_finite() && (0.0..=MAX_READING).contains(&body.reading);
    Check::default()
        .when(!ok, "reading", "out_of_range")
        .done()?;
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    repo::set_meter(&mut tx, id, (kind, body.reading, None), clock::now()).await?;
    done(&app, l, tx, &v).await
}

/// The photo of a meter's dial (multipart `file`), after its reading.
#[utoipa::path(post, path = "/api/v1/visits/{id}/meters/{kind}/photo", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kind" = MeterKind, Path)), request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn meter_photo(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath((id, kind)): ApiPath<(Uuid, MeterKind)>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<VisitDetail>), AppError> {
    visible_visit(&app, &user, id).await?;
    let photo = one_photo(&app, multipart).await?;
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    let reading = repo::meters(&mut tx, id)
        .await?
        .into_iter()
        .find(|m| m.kind == kind.as_str())
        .ok_or_else(|| AppError::field("reading", "required"))?
        .reading;
    let now = clock::now();
    crate::defects::repo::insert_blob(&mut tx, &photo, now).await?;
    repo::set_meter(&mut tx, id, (kind, reading, Some(&photo.sha256)), now).await?;
    Ok((StatusCode::CREATED, done(&app, l, tx, &v).await?))
}

/// A photo taken in a visit (an issue's or a meter dial's), by its content hash: `thumb`,
/// `preview` or `original`, to the project's staff.
#[utoipa::path(get, path = "/api/v1/visits/{id}/photos/{sha}/{variant}", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("sha" = String, Path), ("variant" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = String), (status = 404, body = ErrorBody)))]
pub async fn visit_photo(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, sha, variant)): ApiPath<(Uuid, String, String)>,
) -> Result<axum::response::Response, AppError> {
    use crate::photos::upload::{Caching, image_response, variant as parse_variant};
    let variant = parse_variant(&variant)?;
    visible_visit(&app, &user, id).await?;
    let mut conn = app.db.read().await?;
    if !repo::visit_has_photo(&mut conn, id, &sha).await? {
        return Err(AppError::NotFound);
    }
    let mime = match variant {
        crate::photos::Variant::Original => {
            crate::defects::repo::blob_mime(&mut conn, &sha).await?
        }
        _ => "image/jpeg".to_owned(),
    };
    drop(conn);
    let bytes = app.photos.read(&sha, variant).await?;
    Ok(image_response(bytes, &mime, &sha, Caching::Immutable))
}

/// Keys handed, by code of the project's key list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysBody {
    /// Count per key code (0–20).
    pub keys: HashMap<String, i32>,
}

/// Records the keys handed (replacing what was recorded).
#[utoipa::path(put, path = "/api/v1/visits/{id}/keys", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = KeysBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_keys(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<KeysBody>,
) -> Result<Json<VisitDetail>, AppError> {
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    let settings = repo::settings(&mut tx, v.project_id).await?;
    let known = body
        .keys
        .keys()
        .all(|k| settings.keys.iter().any(|e| &e.code == k));
    Check::default()
        .when(!known, "keys", "unknown")
        .when(
            body.keys.values().any(|n| !(0..=20).contains(n)),
            "keys",
            "out_of_range",
        )
        .done()?;
    let keys: Vec<(String, i32)> = body.keys.into_iter().collect();
    repo::set_keys(&mut tx, id, &keys).await?;
    done(&app, l, tx, &v).await
}

/// Documents handed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsBody {
    /// Codes of the project's document list.
    pub codes: Vec<String>,
}

/// Records the documents handed (replacing what was recorded).
#[utoipa::path(put, path = "/api/v1/visits/{id}/documents", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DocumentsBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_documents(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<DocumentsBody>,
) -> Result<Json<VisitDetail>, AppError> {
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    let settings = repo::settings(&mut tx, v.project_id).await?;
    body.codes.sort();
    body.codes.dedup();
    let known = body
        .codes
        .iter()
        .all(|c| settings.documents.iter().any(|e| &e.code == c));
    Check::default().when(!known, "codes", "unknown").done()?;
    repo::set_documents(&mut tx, id, &body.codes).await?;
    done(&app, l, tx, &v).await
}

/// How the visit ends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// Accepted, refused or only looked.
    pub outcome: Outcome,
    /// Refused: `quality`, `not_as_contracted`, `facilities`, `conditions`, `personal`, `other`.
    #[serde(default)]
    pub refusal_reason: Option<String>,
    /// Note (≤ 500; required for a refusal with reason `other`).
    #[serde(default)]
    pub note: String,
    /// Accepted: the customer's drawn signature.
    #[serde(default)]
    pub signature: Option<CustomerSignature>,
}

/// The customer's signature of acceptance (收楼确认).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSignature {
    /// Name as signed (≤ 50).
    pub name: String,
    /// Canvas width in pixels.
    pub width: f64,
    /// Canvas height in pixels.
    pub height: f64,
    /// Strokes of `[x, y, ms]` points; at least one stroke of two points.
    #[schema(value_type = Vec<Vec<Vec<f64>>>)]
    pub strokes: Vec<Vec<StrokePoint>>,
    /// The rendered signature, a PNG as base64 (optional, ≤ 512 KB).
    #[serde(default)]
    pub image_png: Option<String>,
}

/// A signature as stored: the strokes' JSON and the rendered PNG, if sent.
type Signed = (String, Option<Vec<u8>>);

impl OutcomeBody {
    /// Checks the body; answers the stored strokes and image of a signature.
    fn check(&self) -> Result<Option<Signed>, AppError> {
        let reason = self.refusal_reason.as_deref();
        let refused = self.outcome == Outcome::Refused;
        let accepted = self.outcome == Outcome::Accepted;
        let mut check = Check::default()
            .when(
                refused && !reason.is_some_and(|r| REFUSAL_REASONS.contains(&r)),
                "refusal_reason",
                "required",
            )
            .when(
                refused && reason == Some("other") && self.note.trim().is_empty(),
                "note",
                "required",
            )
            .when(self.note.chars().count() > 500, "note", "too_long")
            .when(
                accepted && self.signature.is_none(),
                "signature",
                "required",
            );
        if let Some(s) = self.signature.as_ref().filter(|_| accepted) {
            check = signature::check_drawing(
                check.text("name", &s.name, 50),
                s.width,
                s.height,
                &s.strokes,
            );
        }
        check.done()?;
        match self.signature.as_ref().filter(|_| accepted) {
            Some(s) => {
                let png = signature::decode_png(s.image_png.as_deref())?;
                Ok(Some((
                    signature::stored(s.width, s.height, &s.strokes),
                    png,
                )))
            }
            None => Ok(None),
        }
    }
}

/// Ends the visit: accepted (with the customer's signature; refused while a handover condition
/// is missing and not waived, `409 visit.conditions_missing`, or when the unit is delivered
/// already, `409 visit.already_delivered`), refused (with a reason) or only looked. The unit's
/// status follows; the visit can no longer change.
#[utoipa::path(post, path = "/api/v1/visits/{id}/outcome", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = OutcomeBody,
    responses((status = 200, body = VisitDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close(
    State(app): State<AppState>,
    user: CurrentUser,
    l: crate::i18n::Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OutcomeBody>,
) -> Result<Json<VisitDetail>, AppError> {
    let signed = body.check()?;
    let (mut tx, v) = write_visit(&app, &user, id).await?;
    if body.outcome == Outcome::Accepted {
        let delivered = repo::unit_visits(&mut tx, v.unit_id)
            .await?
            .iter()
            .any(|o| o.outcome.as_deref() == Some("accepted"));
        if delivered {
            return Err(AppError::UnitDelivered);
        }
        let missing: Vec<String> = condition_views(&mut tx, l, v.project_id, v.unit_id)
            .await?
            .into_iter()
            .filter(|c| c.missing)
            .map(|c| c.code)
            .collect();
        if !missing.is_empty() {
            return Err(AppError::ConditionsMissing(missing));
        }
    }
    let now = clock::now();
    let (strokes, png) = signed.unzip();
    let record = OutcomeRecord {
        outcome: body.outcome,
        refusal_reason: body
            .refusal_reason
            .as_deref()
            .filter(|_| body.outcome == Outcome::Refused),
        note: body.note.trim(),
        signature_name: body.signature.as_ref().map(|s| s.name.trim()),
        signature_strokes: strokes,
        signature_png: png.flatten(),
        user: user.id,
    };
    repo::close(&mut tx, id, &record, now).await?;
    crate::org::repo::set_unit_status(&mut tx, v.unit_id, body.outcome.unit_status()).await?;
    repo::bump_board(&mut tx, v.batch_id).await?;
    done(&app, l, tx, &v).await
}
