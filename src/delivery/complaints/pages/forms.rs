//! The register's forms: a complaint registered from the top form, a row's response and
//! resolution. Each calls the API's handler and comes back to the register.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDateTime, TimeZone, Utc};
use uuid::Uuid;

use super::filters::{Filters, PageQuery};
use super::render;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::defects::pages::{Said, error_text, field, shown_on_page};
use crate::delivery::api::STAFF;
use crate::delivery::complaints::api::{self, ComplaintView, NewComplaintBody};
use crate::delivery::complaints::{Channel, Status, repo};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, see_other};
use crate::i18n::Locale;
use crate::pages::is_local_path;

/// A complaint failure as a sentence that says what to do next.
fn complaint_error(l: Locale, e: &AppError) -> String {
    let AppError::Invalid(fields) = e else {
        return error_text(l, e);
    };
    let known: Vec<&str> = fields
        .iter()
        .filter_map(|f| match (f.field.as_str(), f.code) {
            ("unit_id" | "unit_number", _) => Some("complaint.error.unit"),
            ("content", _) => Some("complaint.error.content"),
            ("resolution", _) => Some("complaint.error.resolution"),
            (_, "before_received") => Some("complaint.error.before_received"),
            (_, "before_response") => Some("complaint.error.before_response"),
            (_, "in_future") => Some("complaint.error.in_future"),
            (_, "invalid_date") => Some("complaint.error.time"),
            _ => None,
        })
        .map(|k| l.t(k))
        .collect();
    if known.len() == fields.len() {
        known.join(" ")
    } else {
        error_text(l, e)
    }
}

/// A failure of `form` with the fields as typed.
fn failed(l: Locale, form: &str, e: &AppError, kept: HashMap<String, String>) -> Said {
    let mut said = Said::failed(l, form, e, kept);
    if let Some(flash) = said.flash.as_mut() {
        flash.text = complaint_error(l, e);
    }
    said
}

/// A `datetime-local` value (`2026-12-18T09:30`, Asia/Shanghai); empty is none.
fn local_time(value: &str) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let t = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::field("received_at", "invalid_date"))?;
    Ok(clock::shanghai()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc)))
}

/// Registers a complaint from the form at the top of the register.
pub async fn create(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        user.require(project, STAFF)?;
        let number = field(&form, "unit_number");
        let unit = repo::unit_by_number(&mut app.db.read().await?, project, &number)
            .await?
            .ok_or_else(|| AppError::field("unit_number", "unknown"))?;
        let channel = Channel::parse(&field(&form, "channel"))
            .ok_or_else(|| AppError::field("channel", "required"))?;
        let body = NewComplaintBody {
            id: field(&form, "id").parse().ok(),
            unit_id: unit,
            channel,
            content: field(&form, "content"),
            received_at: local_time(&field(&form, "received_at"))?,
            handler_id: None,
        };
        api::create(
            State(app.clone()),
            user.clone(),
            ApiPath(project),
            ApiJson(body),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/projects/{project}/complaints?ok=created"
        ))),
        Err(e) if shown_on_page(&e) => {
            let said = failed(l, "new", &e, form);
            render(&app, &user, l, project, Filters::default(), said).await
        }
        Err(e) => Err(e),
    }
}

/// Where a row form comes back to: its `back` field when it is this project's register.
fn back(form: &HashMap<String, String>, project: Uuid) -> (String, Filters) {
    let base = format!("/projects/{project}/complaints");
    let back = field(form, "back");
    let back = if is_local_path(&back) && back.starts_with(&base) {
        back
    } else {
        base
    };
    let query = back.split_once('?').map_or("", |(_, q)| q);
    let q: PageQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    (back, Filters::of(&q))
}

/// Comes back to the register after a row's post: `?ok=` when it worked, the message on the
/// row when it did not.
async fn answer(
    app: &AppState,
    (user, l): (&CurrentUser, Locale),
    id: Uuid,
    form: HashMap<String, String>,
    result: Result<ComplaintView, AppError>,
) -> Result<Response, AppError> {
    let project = repo::get(&mut app.db.read().await?, id).await?.project_id;
    let (to, filters) = back(&form, project);
    match result {
        Ok(v) => {
            let sep = if to.contains('?') { '&' } else { '?' };
            let ok = match v.status {
                Status::Resolved => "resolved",
                _ => "responded",
            };
            Ok(see_other(&format!("{to}{sep}ok={ok}#c-{id}")))
        }
        Err(e) if shown_on_page(&e) => {
            let said = failed(l, &format!("c-{id}"), &e, form);
            render(app, user, l, project, filters, said).await
        }
        Err(e) => Err(e),
    }
}

/// Marks the first response to a complaint (now).
pub async fn respond(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::RespondBody::default();
    let result = api::respond(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body))
        .await
        .map(|j| j.0);
    answer(&app, (&user, l), id, form, result).await
}

/// Resolves a complaint (now) with the resolution typed on its row.
pub async fn resolve(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::ResolveBody {
        resolution: field(&form, "resolution"),
        at: None,
    };
    let result = api::resolve(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body))
        .await
        .map(|j| j.0);
    answer(&app, (&user, l), id, form, result).await
}
