//! Handover-day pages for customer service on a tablet: the desk (today's appointments and
//! the check-in search) and the visit, which walks the staff through the flow in order. Every
//! form calls the JSON API's handler, so both doors keep the same rules.

mod appointments;
mod desk;
mod visit;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

pub use desk::desk_for;

/// Routes of the handover-day pages.
pub fn routes() -> Router<AppState> {
    let photo_limit = axum::extract::DefaultBodyLimit::max(crate::photos::MAX_BYTES + 64 * 1024);
    Router::new()
        .route(
            "/batches/{id}/appointments",
            get(appointments::show).post(appointments::book),
        )
        .route(
            "/batches/{id}/appointments/slots",
            post(appointments::add_slot),
        )
        .route(
            "/batches/{id}/appointments/{appointment}/move",
            post(appointments::move_to),
        )
        .route(
            "/batches/{id}/appointments/{appointment}/cancel",
            post(appointments::cancel),
        )
        .route("/batches/{id}/desk", get(desk::show))
        .route("/batches/{id}/desk/check-in", post(desk::check_in))
        .route("/batches/{id}/desk/conditions", post(desk::tick_condition))
        .route("/visits/{id}", get(visit::show))
        .route("/visits/{id}/staff", post(visit::staff))
        .route("/visits/{id}/walkthrough", post(visit::walkthrough))
        .route("/visits/{id}/issues", post(visit::add_issue))
        .route("/visits/{id}/issues/{issue}/judge", post(visit::judge))
        .route(
            "/visits/{id}/issues/{issue}/photos",
            post(visit::issue_photo).layer(photo_limit),
        )
        .route("/visits/{id}/meters", post(visit::meters))
        .route(
            "/visits/{id}/meters/{kind}/photo",
            post(visit::meter_photo).layer(photo_limit),
        )
        .route("/visits/{id}/keys", post(visit::keys))
        .route("/visits/{id}/documents", post(visit::documents))
        .route("/visits/{id}/outcome", post(visit::outcome))
        // The page's images: the API's handler behind the session cookie.
        .route(
            "/visits/{id}/photos/{sha}/{variant}",
            get(super::api::visit_photo),
        )
}

/// A batch as the pages head it.
#[derive(Debug, Clone)]
pub struct BatchHead {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Batch name.
    pub name: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
}

/// The batch `id`, visible to `user`.
pub async fn batch_head(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<BatchHead, AppError> {
    let mut conn = app.db.read().await?;
    let project = crate::org::repo::batch_project(&mut conn, id).await?;
    user.require_visible(project)?;
    let (project_name, _) = crate::org::repo::project_head(&mut conn, project).await?;
    let b = crate::org::repo::list_batches(&mut conn, &[project])
        .await?
        .into_iter()
        .find(|b| b.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(BatchHead {
        id,
        project_id: project,
        project_name,
        name: b.name,
        start: b.period_start,
        end: b.period_end,
    })
}

/// A page rendered again after a failed post, answered with the failure's status (a 4xx).
fn failed(page: Result<Response, AppError>, e: &AppError) -> Result<Response, AppError> {
    let mut page = page?;
    *page.status_mut() = e.status();
    page.extensions_mut().insert(crate::error::ShownOnPage);
    Ok(page)
}

/// Whether `user` runs handover day on `project` (writes at the desk and in visits).
fn is_staff(user: &CurrentUser, project: Uuid) -> bool {
    user.roles_on(project)
        .any(|r| super::api::STAFF.contains(&r))
}
