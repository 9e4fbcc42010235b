//! The sheet imports over the API: a batch's appointments or its customers' handover
//! conditions from an `.xlsx` (or `.xls`, `.csv`) sent as the roster is (multipart field
//! `file`); `dry_run=true` checks and previews, writing nothing. Any bad row fails the whole
//! file: `422 import.sheet_invalid_rows` lists every one, by spreadsheet row.

use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::plan::{Action, PlannedAppointment, PlannedConditions};
use super::service::{self, Imported};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::delivery::api::STAFF;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::i18n::Locale;
use crate::openapi::ErrorBody;
use crate::org::api::{ImportQuery, read_upload};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    let limit = DefaultBodyLimit::max(crate::org::import::MAX_FILE_BYTES + 64 * 1024);
    Router::new()
        .route(
            "/api/v1/batches/{id}/appointments/import",
            post(import_appointments).layer(limit),
        )
        .route(
            "/api/v1/batches/{id}/conditions/import",
            post(import_conditions).layer(limit),
        )
}

/// One appointment row as imported.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentLine {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub unit_number: String,
    /// Start of the slot the unit is booked into.
    pub starts_at: DateTime<Utc>,
    /// `book`, `move` (the unit's appointment moves here) or `unchanged`.
    pub action: Action,
    /// What the row does, in the caller's language.
    pub message: String,
}

/// An appointments import or its preview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentImport {
    /// Whether it was written (false for a dry run).
    pub committed: bool,
    /// Data rows.
    pub rows: usize,
    /// Units booked.
    pub booked: usize,
    /// Appointments moved to another slot.
    pub moved: usize,
    /// Rows already booked as they say.
    pub unchanged: usize,
    /// Every row.
    pub lines: Vec<AppointmentLine>,
}

impl AppointmentImport {
    /// The view of an import in `l`.
    pub fn new(i: Imported<PlannedAppointment>, l: Locale) -> Self {
        let count = |a: Action| i.rows.iter().filter(|p| p.action == a).count();
        AppointmentImport {
            committed: i.committed,
            rows: i.rows.len(),
            booked: count(Action::Book),
            moved: count(Action::Move),
            unchanged: count(Action::Unchanged),
            lines: i
                .rows
                .iter()
                .map(|p| AppointmentLine {
                    row: p.row,
                    unit_number: p.number.clone(),
                    starts_at: p.starts_at,
                    action: p.action,
                    message: l.fmt(
                        &format!("sheet.line.{}", action_name(p.action)),
                        &[("time", &clock::show(p.starts_at))],
                    ),
                })
                .collect(),
        }
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Book => "book",
        Action::Move => "move",
        Action::Unchanged => "unchanged",
    }
}

/// One conditions row as imported.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConditionLine {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub unit_number: String,
    /// Codes of the conditions the row marks met.
    pub met: Vec<String>,
    /// Codes of the conditions the row marks not met.
    pub not_met: Vec<String>,
    /// How many of them change what was recorded.
    pub changed: usize,
    /// The row in words, in the caller's language.
    pub message: String,
}

/// A conditions import or its preview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConditionImport {
    /// Whether it was written (false for a dry run).
    pub committed: bool,
    /// Data rows.
    pub rows: usize,
    /// Conditions whose mark changes, over all rows.
    pub changed: usize,
    /// Every row.
    pub lines: Vec<ConditionLine>,
}

impl ConditionImport {
    /// The view of an import in `l`.
    pub fn new(i: Imported<PlannedConditions>, l: Locale) -> Self {
        let lines: Vec<ConditionLine> = i
            .rows
            .iter()
            .map(|r| {
                let codes = |want: bool| -> Vec<String> {
                    r.marks
                        .iter()
                        .filter(|(_, met)| *met == want)
                        .map(|(c, _)| c.clone())
                        .collect()
                };
                let (met, not_met) = (codes(true), codes(false));
                let message = l.fmt(
                    "sheet.line.conditions",
                    &[
                        ("met", &met.len().to_string()),
                        ("not_met", &not_met.len().to_string()),
                        ("changed", &r.changes.len().to_string()),
                    ],
                );
                ConditionLine {
                    row: r.row,
                    unit_number: r.number.clone(),
                    changed: r.changes.len(),
                    met,
                    not_met,
                    message,
                }
            })
            .collect();
        ConditionImport {
            committed: i.committed,
            rows: lines.len(),
            changed: lines.iter().map(|l| l.changed).sum(),
            lines,
        }
    }
}

/// The batch's project, checked against the caller (customer service or administrators).
async fn staff_batch(app: &AppState, user: &CurrentUser, batch: Uuid) -> Result<Uuid, AppError> {
    let project = crate::org::repo::batch_project(&mut app.db.read().await?, batch).await?;
    user.require(project, STAFF)?;
    Ok(project)
}

/// Imports appointments (预约) of a batch from a sheet: the unit (楼栋, 单元, 房号 as in the
/// roster, or 房号 as `3-1-1201`), its time (预约时间, or 预约日期 and 时间, Asia/Shanghai), and
/// optionally 业主姓名 and 联系电话, which must match a buyer of the unit. Each row books the unit
/// into the batch's slot covering its time (slots are not created: no slot is a row error,
/// and so is a full one) or moves its appointment there. All-or-nothing.
#[utoipa::path(post, path = "/api/v1/batches/{id}/appointments/import", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: the sheet"),
    responses((status = 200, body = AppointmentImport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_appointments(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(batch): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<AppointmentImport>, AppError> {
    let project = staff_batch(&app, &user, batch).await?;
    let multipart = multipart.map_err(|e| AppError::MalformedBody(e.body_text()))?;
    let (name, bytes) = read_upload(multipart).await?;
    let done = service::appointments(&app.db, (batch, project), (&name, bytes), q.dry_run).await?;
    Ok(Json(AppointmentImport::new(done, l)))
}

/// Imports the handover conditions (收楼条件) of a batch's customers from a sheet: the unit,
/// then one column per condition of the project, headed by its name or code; 是/✓/√ mean met,
/// 否/✗ or an empty cell not met. Notes and waivers stay. All-or-nothing.
#[utoipa::path(post, path = "/api/v1/batches/{id}/conditions/import", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: the sheet"),
    responses((status = 200, body = ConditionImport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_conditions(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(batch): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<ConditionImport>, AppError> {
    let project = staff_batch(&app, &user, batch).await?;
    let multipart = multipart.map_err(|e| AppError::MalformedBody(e.body_text()))?;
    let (name, bytes) = read_upload(multipart).await?;
    let file = (name.as_str(), bytes);
    let done = service::conditions(&app.db, (batch, project), user.id, file, q.dry_run).await?;
    Ok(Json(ConditionImport::new(done, l)))
}
