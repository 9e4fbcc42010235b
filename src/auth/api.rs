//! JSON handlers for tablet authentication: token issue and revoke, and `me`.

use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

use super::login::{SessionKind, login};
use super::{CurrentUser, Role, repo, secret_hash};
use crate::app::AppState;
use crate::error::AppError;
use crate::http::ApiJson;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/auth/token",
            post(create_token).delete(revoke_token),
        )
        .route("/api/v1/me", get(me).patch(update_me))
}

/// Credentials for a token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A new bearer token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When the token stops working (UTC).
    pub expires_at: DateTime<Utc>,
    /// The user it belongs to.
    pub user_id: Uuid,
}

/// A project the caller may see, with their roles on it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectGrant {
    /// Project id.
    pub project_id: Uuid,
    /// Roles held on it.
    pub roles: Vec<Role>,
}

/// The caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in pages.
    pub display_name: String,
    /// Projects and roles.
    pub projects: Vec<ProjectGrant>,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::openapi::ErrorBody),
              (status = 429, body = crate::openapi::ErrorBody)))]
pub async fn create_token(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let opened = login(
        &app.db,
        &body.username,
        &body.password,
        &addr.ip().to_string(),
        SessionKind::Api,
    )
    .await?;
    Ok(Json(TokenResponse {
        token: opened.secret,
        token_type: "Bearer",
        expires_at: opened.expires_at,
        user_id: opened.user_id,
    }))
}

/// Revokes the bearer token of this request.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn revoke_token(
    State(app): State<AppState>,
    _user: CurrentUser,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim())
        .ok_or(AppError::Unauthenticated)?;
    let mut tx = app.db.begin().await?;
    repo::delete_session(&mut tx, &secret_hash(token)).await?;
    tx.commit().await?;
    app.sessions.remove(&secret_hash(token));
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, with the projects and roles they hold.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn me(user: CurrentUser) -> Json<Me> {
    let projects = user
        .project_ids()
        .into_iter()
        .map(|p| ProjectGrant {
            project_id: p,
            roles: user.roles_on(p).collect(),
        })
        .collect();
    Json(Me {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        projects,
    })
}

/// The caller's preferences.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// Preferred language: `zh-CN` or `en` (used when a request names none).
    pub locale: String,
}

/// Saves the caller's preferred language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), request_body = MeUpdate,
    responses((status = 200, body = Me), (status = 401, body = crate::openapi::ErrorBody),
              (status = 422, body = crate::openapi::ErrorBody)))]
pub async fn update_me(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MeUpdate>,
) -> Result<Json<Me>, AppError> {
    let locale = crate::i18n::Locale::parse(&body.locale)
        .ok_or_else(|| AppError::field("locale", "invalid"))?;
    let mut tx = app.db.begin().await?;
    repo::set_locale(&mut tx, user.id, locale.tag()).await?;
    tx.commit().await?;
    app.sessions.clear();
    Ok(me(user).await)
}
