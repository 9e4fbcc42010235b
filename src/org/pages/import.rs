//! The roster import page: upload, preview with counts and per-row errors, confirm.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::Uri;
use axum::response::Response;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::error::AppError;
use crate::http::multipart_error;
use crate::http::{ApiPath, page};
use crate::i18n::Locale;
use crate::org::api::{ADMIN, ImportResult};
use crate::org::import::row_message;
use crate::org::{repo, roster};
use crate::pages::Chrome;

#[derive(Template)]
#[template(path = "org/import.html")]
struct ImportPage {
    c: Chrome,
    project_id: Uuid,
    /// The preview or the result, when a file was sent.
    result: Option<ImportResult>,
    /// The upload to confirm (preview only).
    upload: Option<Uuid>,
    /// The error message and, for bad rows, `(row, message)` per row.
    error: Option<String>,
    row_errors: Vec<(usize, String)>,
}

async fn chrome(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    uri: &Uri,
    id: Uuid,
) -> Result<Chrome, AppError> {
    let project = repo::get_project(&mut app.db.read().await?, id).await?;
    Ok(Chrome::new(l, user, l.t("import.title"), uri.to_string())
        .crumb(l.t("projects.title"), "/projects")
        .crumb(project.name, format!("/projects/{id}")))
}

fn blank(c: Chrome, project_id: Uuid) -> ImportPage {
    ImportPage {
        c,
        project_id,
        result: None,
        upload: None,
        error: None,
        row_errors: Vec::new(),
    }
}

fn with_error(mut p: ImportPage, e: AppError) -> Result<ImportPage, AppError> {
    if matches!(
        e,
        AppError::Internal(_) | AppError::Forbidden | AppError::NotFound
    ) {
        return Err(e);
    }
    let l = p.c.l;
    let mut message = l.t(e.code()).to_owned();
    if let AppError::ImportMissingColumns(cols) = &e {
        message = format!("{message}：{}", cols.join("、"));
    }
    if let AppError::ImportRows(rows) = &e {
        p.row_errors = rows.iter().map(|r| (r.row, row_message(r, l))).collect();
    }
    p.error = Some(message);
    Ok(p)
}

/// The upload form.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    page(&blank(chrome(&app, &user, l, &uri, id).await?, id))
}

/// Receives a file (multipart with `_csrf` and `file`) and shows the preview, writing nothing.
pub async fn upload(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("_csrf") => csrf = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("roster").to_owned();
                file = Some((name, field.bytes().await.map_err(multipart_error)?.to_vec()));
            }
            _ => {}
        }
    }
    if csrf.as_deref() != Some(user.csrf_token.as_str()) {
        return Err(AppError::CsrfRejected);
    }
    let mut p = blank(chrome(&app, &user, l, &uri, id).await?, id);
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return page(&with_error(p, AppError::field("file", "required"))?);
    };
    match roster::import(&app.db, id, user.id, &name, bytes.clone(), true).await {
        Ok(outcome) => {
            let mut tx = app.db.begin().await?;
            p.upload =
                Some(repo::insert_upload(&mut tx, id, user.id, &name, &bytes, clock::now()).await?);
            tx.commit().await?;
            p.result = Some(outcome.into());
            page(&p)
        }
        Err(e) => page(&with_error(p, e)?),
    }
}

#[derive(serde::Deserialize)]
pub struct Confirm {}

/// Imports a previewed upload for real.
pub async fn confirm(
    State(app): State<AppState>,
    l: Locale,
    uri: Uri,
    ApiPath((id, upload)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, _): PageForm<Confirm>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let (name, bytes) = repo::get_upload(&mut app.db.read().await?, upload, id, user.id).await?;
    let p = blank(chrome(&app, &user, l, &uri, id).await?, id);
    match roster::import(&app.db, id, user.id, &name, bytes, false).await {
        Ok(outcome) => page(&ImportPage {
            result: Some(outcome.into()),
            ..p
        }),
        Err(e) => page(&with_error(p, e)?),
    }
}
