//! Request extractors and responders shared by every domain: JSON bodies and queries that fail
//! with our error shape, and the HTML page responder.

use askama::Template;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The value of cookie `name` in the request headers, if sent.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A JSON body; malformed JSON, unknown fields and oversize bodies become `AppError`s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> AppError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::MalformedBody(r.body_text())
    }
}

/// A query string; one that does not fit becomes `request.malformed_query`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|r: QueryRejection| AppError::MalformedQuery(r.body_text()))
    }
}

/// Renders an askama template as an HTML response.
pub fn page<T: Template>(template: &T) -> Result<Response, AppError> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

/// Maps a multipart failure: a body over the limit is 413, anything else malformed.
pub fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::MalformedBody(e.body_text())
    }
}

/// Reads one multipart field whole, refused with `too_big` as soon as it passes `max` bytes
/// (or when the body as a whole passes its limit).
pub async fn read_field(
    mut field: Field<'_>,
    max: usize,
    too_big: AppError,
) -> Result<Vec<u8>, AppError> {
    let mut buf = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) if buf.len() + chunk.len() > max => return Err(too_big),
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
            Ok(None) => return Ok(buf),
            Err(e) => {
                return Err(match multipart_error(e) {
                    AppError::PayloadTooLarge => too_big,
                    other => other,
                });
            }
        }
    }
}

/// Reads a text field of at most `max` bytes: longer is the field's `too_long`, and text that
/// is not UTF-8 is a malformed body.
pub async fn read_text(field: Field<'_>, max: usize) -> Result<String, AppError> {
    let name = field.name().unwrap_or_default().to_owned();
    let bytes = read_field(field, max, AppError::field(&name, "too_long")).await?;
    String::from_utf8(bytes).map_err(|_| AppError::MalformedBody(format!("{name}: not UTF-8")))
}

/// A `303 See Other` to `to` (after a successful page form post).
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}

/// A path parameter; one that does not parse (a malformed id) is `not_found`, like an unknown id.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| AppError::NotFound)
    }
}
