//! placeholder

use axum::Router;

use crate::app::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
