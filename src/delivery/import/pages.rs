//! The batch's import page for customer service: two uploads (appointments, handover
//! conditions), each previewed with what every row does or every row's problem, then imported
//! on confirmation — the roster import page's flow (the upload waits in `roster_uploads`).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::Sheet;
use super::api::{AppointmentImport, ConditionImport};
use super::service;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::delivery::api::STAFF;
use crate::error::AppError;
use crate::http::{ApiPath, multipart_error, page};
use crate::i18n::Locale;
use crate::org::import::row_message;
use crate::pages::Chrome;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    let limit = DefaultBodyLimit::max(crate::org::import::MAX_FILE_BYTES + 64 * 1024);
    Router::new()
        .route("/batches/{id}/import", get(show))
        .route("/batches/{id}/import/{sheet}", post(upload).layer(limit))
        .route("/batches/{id}/import/{sheet}/{upload}", post(confirm))
}

/// What a sheet did or would do: counts and one line per row.
struct Outcome {
    /// Which sheet.
    sheet: &'static str,
    /// Written, or only previewed.
    committed: bool,
    /// `(label key, count)`.
    counts: Vec<(&'static str, usize)>,
    /// `(row, unit number, what the row does)`.
    lines: Vec<(usize, String, String)>,
}

#[derive(Template)]
#[template(path = "delivery/import.html")]
struct ImportPage {
    c: Chrome,
    batch_id: Uuid,
    outcome: Option<Outcome>,
    /// The upload to confirm (a preview without errors).
    upload: Option<Uuid>,
    /// Which sheet an error is about, its message, and `(row, message)` per bad row.
    error: Option<(&'static str, String)>,
    row_errors: Vec<(usize, String)>,
}

/// The batch's project, checked against the caller, and the page's chrome.
async fn frame(
    app: &AppState,
    user: &CurrentUser,
    (l, uri): (Locale, &Uri),
    batch: Uuid,
) -> Result<(Uuid, ImportPage), AppError> {
    let mut conn = app.db.read().await?;
    let (project, name) = super::repo::batch(&mut conn, batch).await?;
    user.require(project, STAFF)?;
    let p = crate::org::repo::get_project(&mut conn, project).await?;
    let c = Chrome::new(l, user, l.t("sheet.title"), uri.to_string())
        .crumb(l.t("projects.title"), "/projects")
        .crumb(p.name, format!("/projects/{project}"))
        .crumb(name, format!("/batches/{batch}/import"));
    let page = ImportPage {
        c,
        batch_id: batch,
        outcome: None,
        upload: None,
        error: None,
        row_errors: Vec::new(),
    };
    Ok((project, page))
}

fn sheet_of(name: &str) -> Result<Sheet, AppError> {
    Sheet::parse(name).ok_or(AppError::NotFound)
}

/// Shows an import failure on the page (bad rows listed); other failures are error pages.
fn with_error(mut p: ImportPage, sheet: Sheet, e: AppError) -> Result<ImportPage, AppError> {
    if matches!(
        e,
        AppError::Internal(_) | AppError::Forbidden | AppError::NotFound
    ) {
        return Err(e);
    }
    let l = p.c.l;
    if let AppError::SheetRows(rows) = &e {
        p.row_errors = rows.iter().map(|r| (r.row, row_message(r, l))).collect();
    }
    p.error = Some((sheet.as_str(), l.t(e.code()).to_owned()));
    Ok(p)
}

/// Runs an import of `sheet` (a preview with `dry_run`) and describes it in `l`.
async fn run(
    (app, user, l): (&AppState, &CurrentUser, Locale),
    (batch, project, sheet): (Uuid, Uuid, Sheet),
    (name, bytes): (&str, Vec<u8>),
    dry_run: bool,
) -> Result<Outcome, AppError> {
    Ok(match sheet {
        Sheet::Appointments => {
            let done =
                service::appointments(&app.db, (batch, project), (name, bytes), dry_run).await?;
            appointments_outcome(AppointmentImport::new(done, l))
        }
        Sheet::Conditions => {
            let file = (name, bytes);
            let done =
                service::conditions(&app.db, (batch, project), user.id, file, dry_run).await?;
            conditions_outcome(ConditionImport::new(done, l))
        }
    })
}

fn appointments_outcome(a: AppointmentImport) -> Outcome {
    Outcome {
        sheet: Sheet::Appointments.as_str(),
        committed: a.committed,
        counts: vec![
            ("sheet.count.rows", a.rows),
            ("sheet.count.booked", a.booked),
            ("sheet.count.moved", a.moved),
            ("sheet.count.unchanged", a.unchanged),
        ],
        lines: a
            .lines
            .into_iter()
            .map(|x| (x.row, x.unit_number, x.message))
            .collect(),
    }
}

fn conditions_outcome(i: ConditionImport) -> Outcome {
    Outcome {
        sheet: Sheet::Conditions.as_str(),
        committed: i.committed,
        counts: vec![
            ("sheet.count.rows", i.rows),
            ("sheet.count.changed", i.changed),
        ],
        lines: i
            .lines
            .into_iter()
            .map(|x| (x.row, x.unit_number, x.message))
            .collect(),
    }
}

/// The two upload forms.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(batch): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let (_, p) = frame(&app, &user, (l, &uri), batch).await?;
    page(&p)
}

/// Receives a sheet (multipart with `_csrf` and `file`) and shows its preview, writing
/// nothing but the upload kept for the confirmation.
pub async fn upload(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath((batch, sheet)): ApiPath<(Uuid, String)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let sheet = sheet_of(&sheet)?;
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("_csrf") => csrf = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("sheet.xlsx").to_owned();
                file = Some((name, field.bytes().await.map_err(multipart_error)?.to_vec()));
            }
            _ => {}
        }
    }
    if csrf.as_deref() != Some(user.csrf_token.as_str()) {
        return Err(AppError::CsrfRejected);
    }
    let (project, mut p) = frame(&app, &user, (l, &uri), batch).await?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return page(&with_error(p, sheet, AppError::field("file", "required"))?);
    };
    let target = (batch, project, sheet);
    match run((&app, &user, l), target, (&name, bytes.clone()), true).await {
        Ok(outcome) => {
            let mut tx = app.db.begin().await?;
            let kept = crate::org::repo::insert_upload(
                &mut tx,
                project,
                user.id,
                &name,
                &bytes,
                clock::now(),
            )
            .await?;
            tx.commit().await?;
            p.upload = Some(kept);
            p.outcome = Some(outcome);
            page(&p)
        }
        Err(e) => page(&with_error(p, sheet, e)?),
    }
}

/// The empty form of the confirmation (the CSRF field is checked by [`PageForm`]).
#[derive(serde::Deserialize)]
pub struct Confirm {}

/// Imports a previewed upload for real.
pub async fn confirm(
    State(app): State<AppState>,
    l: Locale,
    uri: Uri,
    ApiPath((batch, sheet, upload)): ApiPath<(Uuid, String, Uuid)>,
    PageForm(user, _): PageForm<Confirm>,
) -> Result<Response, AppError> {
    let sheet = sheet_of(&sheet)?;
    let (project, p) = frame(&app, &user, (l, &uri), batch).await?;
    let (name, bytes) =
        crate::org::repo::get_upload(&mut app.db.read().await?, upload, project, user.id).await?;
    let target = (batch, project, sheet);
    match run((&app, &user, l), target, (&name, bytes), false).await {
        Ok(outcome) => page(&ImportPage {
            outcome: Some(outcome),
            ..p
        }),
        Err(e) => page(&with_error(p, sheet, e)?),
    }
}
