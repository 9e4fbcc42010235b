//! HTML pages of the organisation: my projects, the project overview with the unit status map,
//! the unit page, QR sheets, roster import, and administration.

mod admin;
mod import;
mod projects;
mod units;

pub use projects::qr_svg;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(projects::list))
        .route("/projects/{id}", get(projects::overview))
        .route("/projects/{id}/qr", get(projects::qr_sheet))
        .route("/projects/{id}/units", get(units::list))
        .route("/units/{id}", get(projects::unit))
        .route("/units/{id}/edit", post(units::edit))
        .route(
            "/projects/{id}/import",
            get(import::show)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(
                    crate::org::import::MAX_FILE_BYTES + 64 * 1024,
                )),
        )
        .route("/projects/{id}/import/{upload}", post(import::confirm))
        .route("/projects/{id}/admin", get(admin::show))
        .route("/projects/{id}/admin/{form}", post(admin::submit))
        .route(
            "/admin/projects",
            get(admin::projects).post(admin::create_project),
        )
}
