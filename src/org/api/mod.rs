//! JSON handlers for the organisation under `/api/v1`: projects, the status map, units,
//! buildings, contractors, common areas, batches, members, users and roster import.

mod admin;
mod projects;
mod roster;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use admin::*;
pub use projects::*;
pub use roster::*;

use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects", get(list_projects).post(create_project))
        .route("/api/v1/projects/{id}", get(show_project))
        .route("/api/v1/projects/{id}/status-map", get(status_map))
        .route("/api/v1/projects/{id}/units", get(list_units))
        .route("/api/v1/units/{id}", get(show_unit).patch(update_unit))
        .route(
            "/api/v1/projects/{id}/buildings",
            get(list_buildings).post(create_building),
        )
        .route(
            "/api/v1/projects/{id}/contractors",
            get(list_contractors).post(create_contractor),
        )
        .route(
            "/api/v1/projects/{id}/common-areas",
            get(list_common_areas).post(create_common_area),
        )
        .route(
            "/api/v1/projects/{id}/batches",
            get(list_project_batches).post(create_batch),
        )
        .route("/api/v1/batches", get(list_batches))
        .route(
            "/api/v1/projects/{id}/members",
            get(list_members).post(add_member),
        )
        .route("/api/v1/users", post(create_user))
        .route(
            "/api/v1/projects/{id}/imports/units",
            post(import_units).layer(DefaultBodyLimit::max(
                crate::org::import::MAX_FILE_BYTES + 64 * 1024,
            )),
        )
}
