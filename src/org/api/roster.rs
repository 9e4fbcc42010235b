//! Roster import over the API: upload a file, preview (`dry_run=true`) or import.

use axum::Json;
use axum::extract::{Multipart, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ADMIN;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, multipart_error};
use crate::openapi::ErrorBody;
use crate::org::mask_phone;
use crate::org::repo::ImportCounts;
use crate::org::roster::{self, Outcome};

/// Whether to only preview.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Validate and count, write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One row of the preview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewRow {
    /// Spreadsheet row.
    pub row: usize,
    /// Unit number.
    pub number: String,
    /// Floor.
    pub floor: i32,
    /// Area, m².
    pub area_m2: f64,
    /// Layout.
    pub layout: Option<String>,
    /// Buyers as `name 138****5678`.
    pub buyers: Vec<String>,
}

/// Result of an import or preview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Whether anything was written (false for a preview).
    pub committed: bool,
    /// Data rows in the file.
    pub rows: usize,
    /// Units created / updated / unchanged.
    pub counts: ImportCounts,
    /// The first 50 rows as read.
    pub preview: Vec<PreviewRow>,
}

impl From<Outcome> for ImportResult {
    fn from(o: Outcome) -> Self {
        let preview = o
            .rows
            .iter()
            .take(50)
            .map(|r| PreviewRow {
                row: r.row,
                number: r.number(),
                floor: r.floor,
                area_m2: r.area_m2,
                layout: r.layout.clone(),
                buyers: r
                    .buyers
                    .iter()
                    .map(|b| format!("{} {}", b.name, mask_phone(&b.phone)))
                    .collect(),
            })
            .collect();
        ImportResult {
            committed: o.committed,
            rows: o.rows.len(),
            counts: o.counts,
            preview,
        }
    }
}

/// The uploaded file of a multipart body (field `file`).
pub async fn read_upload(mut multipart: Multipart) -> Result<(String, Vec<u8>), AppError> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("roster.xlsx").to_owned();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(AppError::field("file", "required"))
}

/// Imports a roster (`.xlsx`, `.xls`, `.csv`; multipart field `file`) into a project (admins).
/// All-or-nothing: any invalid row fails the whole file with every bad row listed.
#[utoipa::path(post, path = "/api/v1/projects/{id}/imports/units", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path), ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: the roster"),
    responses((status = 200, body = ImportResult), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn import_units(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<ImportResult>, AppError> {
    user.require(id, ADMIN)?;
    let multipart = multipart.map_err(|e| AppError::MalformedBody(e.body_text()))?;
    let (name, bytes) = read_upload(multipart).await?;
    let outcome = roster::import(&app.db, id, user.id, &name, bytes, q.dry_run).await?;
    Ok(Json(outcome.into()))
}
