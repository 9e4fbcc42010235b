//! The phrase library (常用问题描述) under `/api/v1/projects/{id}/phrases`: shipped phrases for
//! everyone, and each project's own, kept by its admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::ADMIN;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::checklists::{self, Phrase, Trade, repo};
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;

/// Filter of the phrase list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PhraseQuery {
    /// Only this trade.
    pub trade: Option<Trade>,
}

/// A new phrase of the project's library.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPhrase {
    /// Trade.
    pub trade: Trade,
    /// The description (≤ 100 characters).
    pub text: String,
}

/// The project's phrase library (常用问题描述): its own phrases first, then the shipped ones.
#[utoipa::path(get, path = "/api/v1/projects/{id}/phrases", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path), PhraseQuery), responses((status = 200, body = Vec<Phrase>), (status = 404, body = ErrorBody)))]
pub async fn list_phrases(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PhraseQuery>,
) -> Result<Json<Vec<Phrase>>, AppError> {
    user.require_visible(id)?;
    Ok(Json(
        repo::phrases(&mut app.db.read().await?, id, q.trade).await?,
    ))
}

/// Adds a phrase to the project's library (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/phrases", tag = "checklists", security(("bearer" = [])),
    request_body = NewPhrase, params(("id" = Uuid, Path)),
    responses((status = 200, body = Phrase), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_phrase(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewPhrase>,
) -> Result<Json<Phrase>, AppError> {
    user.require(id, ADMIN)?;
    checklists::check_phrase(&body.text)?;
    let mut tx = app.db.begin().await?;
    let phrase = repo::add_phrase(&mut tx, id, body.trade, body.text.trim(), clock::now()).await?;
    tx.commit().await?;
    Ok(Json(phrase))
}

/// Removes one of the project's phrases (admins); shipped phrases are read-only (403).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/phrases/{phrase}", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("phrase" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_phrase(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, phrase)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, AppError> {
    user.require(id, ADMIN)?;
    let mut tx = app.db.begin().await?;
    repo::remove_phrase(&mut tx, id, phrase).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
