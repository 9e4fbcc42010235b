//! Extractors that authenticate a request: [`CurrentUser`] from a bearer token (`/api`) or the
//! session cookie (pages), and [`PageForm`], a CSRF-checked form body for page posts.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::{CurrentUser, repo, secret_hash};
use crate::app::AppState;
use crate::clock;
use crate::error::AppError;
use crate::i18n::{Locale, UserLocale};

/// Name of the page session cookie.
pub const SESSION_COOKIE: &str = "hsid";
/// Name of the pre-login CSRF cookie (double submit on the login form).
pub const LOGIN_CSRF_COOKIE: &str = "hcsrf";

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether the request is for the JSON API (bearer tokens) rather than pages (cookies).
pub fn is_api(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let (secret, kind) = if is_api(parts) {
            (bearer(parts).ok_or(AppError::Unauthenticated)?, "api")
        } else {
            (
                crate::http::cookie(&parts.headers, SESSION_COOKIE)
                    .ok_or(AppError::Unauthenticated)?,
                "web",
            )
        };
        let hash = secret_hash(secret);
        let session = match app.sessions.get(&hash) {
            Some(s) => Some(s),
            None => {
                let found = repo::find_session(&mut app.db.read().await?, &hash)
                    .await?
                    .map(std::sync::Arc::new);
                if let Some(s) = &found {
                    app.sessions.put(hash, s.clone());
                }
                found
            }
        };
        let Some(session) = session.filter(|s| s.kind == kind) else {
            return Err(if kind == "api" {
                AppError::InvalidToken
            } else {
                AppError::Unauthenticated
            });
        };
        if session.expires_at <= clock::now() {
            return Err(if kind == "api" {
                AppError::TokenExpired
            } else {
                AppError::Unauthenticated
            });
        }
        let grants = match app.grants.get(session.user_id, session.grants_version) {
            Some(grants) => grants,
            None => {
                let grants = repo::grants(&mut app.db.read().await?, session.user_id).await?;
                let grants = std::sync::Arc::new(grants);
                app.grants
                    .put(session.user_id, session.grants_version, grants.clone());
                grants
            }
        };
        let locale = session.locale.as_deref().and_then(Locale::parse);
        if let (Some(slot), Some(l)) = (parts.extensions.get::<UserLocale>(), locale) {
            let _ = slot.0.set(l);
        }
        let user = CurrentUser {
            id: session.user_id,
            username: session.username.clone(),
            display_name: session.display_name.clone(),
            locale,
            csrf_token: session.csrf_token.clone(),
            grants,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// A page form post from a signed-in user whose `_csrf` field matches their session.
pub struct PageForm<T>(pub CurrentUser, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, app).await?;
        let bytes = axum::body::to_bytes(body, crate::app::FORM_BODY_LIMIT)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        let token = form_field(&bytes, "_csrf");
        if user.csrf_token.is_empty() || token.as_deref() != Some(user.csrf_token.as_str()) {
            return Err(AppError::CsrfRejected);
        }
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::MalformedBody(e.to_string()))?;
        Ok(PageForm(user, value))
    }
}

/// Reads the `_csrf` field that leads a page's multipart form and checks it against the
/// session; the rest of the form stays to be read.
pub async fn multipart_csrf(
    user: &CurrentUser,
    multipart: &mut axum::extract::Multipart,
) -> Result<(), AppError> {
    use crate::http::{multipart_error, read_text};
    let token = match multipart.next_field().await.map_err(multipart_error)? {
        Some(f) if f.name() == Some("_csrf") => read_text(f, 256).await?,
        _ => return Err(AppError::CsrfRejected),
    };
    if user.csrf_token.is_empty() || token != user.csrf_token {
        return Err(AppError::CsrfRejected);
    }
    Ok(())
}

/// One field of an urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(body).find_map(|(k, v)| (k == name).then_some(v))
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
}
