//! The application: shared state, the router of every page and API route, error rendering,
//! and `serve`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::net::TcpListener;

use crate::auth::{GrantCache, SessionCache};
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, ErrorTag};
use crate::i18n::{self, Locale, UserLocale};
use crate::org::map::MapCache;

/// Body limit of JSON and form requests (bytes).
pub const FORM_BODY_LIMIT: usize = 256 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings read at start.
    pub config: Arc<Config>,
    /// Status map cells per project (see [`MapCache`]).
    pub maps: Arc<MapCache>,
    /// Live KPI figures per batch (see [`crate::kpis::cache::KpiCache`]).
    pub kpis: Arc<crate::kpis::cache::KpiCache>,
    /// Expanded grants per user (see [`GrantCache`]).
    pub grants: Arc<GrantCache>,
    /// Recently checked sessions (see [`SessionCache`]).
    pub sessions: Arc<SessionCache>,
    /// Photo ingest and storage.
    pub photos: Arc<crate::photos::Photos>,
    /// The report fonts, parsed at the first PDF (about a tenth of a second) and kept.
    pub pdf_fonts: Arc<tokio::sync::OnceCell<Arc<crate::pdf::Fonts>>>,
    /// Turns `true` when the server starts shutting down: long-lived responses (the board's
    /// event streams) end, so the graceful shutdown does not wait for them.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// State over `db` with `config` and empty caches.
    pub fn new(db: Db, config: Config) -> Self {
        AppState {
            db,
            photos: Arc::new(crate::photos::Photos::new(config.data_dir.join("photos"))),
            config: Arc::new(config),
            maps: Arc::default(),
            kpis: Arc::default(),
            grants: Arc::default(),
            sessions: Arc::default(),
            pdf_fonts: Arc::default(),
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// The report fonts (`HANDOVER_FONT`, else Noto Sans CJK SC), loaded once off the executor.
    /// A missing font file is logged with the package to install.
    pub async fn pdf_fonts(&self) -> Result<Arc<crate::pdf::Fonts>, AppError> {
        let fonts = self
            .pdf_fonts
            .get_or_try_init(|| async {
                let loaded = tokio::task::spawn_blocking(crate::pdf::Fonts::from_env)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                loaded
                    .map(Arc::new)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("report fonts: {e}")))
            })
            .await?;
        Ok(fonts.clone())
    }
}

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::auth::api::routes())
        .merge(crate::auth::pages::routes())
        .merge(crate::org::api::routes())
        .merge(crate::org::pages::routes())
        .merge(crate::checklists::api::routes())
        .merge(crate::checklists::pages::routes())
        .merge(crate::inspections::api::routes())
        .merge(crate::inspections::pages::routes())
        .merge(crate::defects::api::routes())
        .merge(crate::defects::pages::routes())
        .merge(crate::takeovers::api::routes())
        .merge(crate::delivery::api::routes())
        .merge(crate::delivery::pages::routes())
        .merge(crate::delivery::customer::routes())
        .merge(crate::delivery::complaints::api::routes())
        .merge(crate::delivery::complaints::pages::routes())
        .merge(crate::delivery::board::api::routes())
        .merge(crate::delivery::board::pages::routes())
        .merge(crate::kpis::api::routes())
        .merge(crate::kpis::rollup::routes())
        .merge(crate::kpis::pages::routes())
        .merge(crate::delivery::import::api::routes())
        .merge(crate::delivery::import::pages::routes())
        .merge(crate::takeovers::pages::routes())
        .merge(crate::pages::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(crate::openapi::serve),
        )
        .fallback(|| async { AppError::NotFound })
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(middleware::from_fn(render_errors))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = state.closing.clone();
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Writes the body of every error response in the caller's language: `{"code","message",...}`
/// for the API, an HTML page (or a redirect to login) for pages.
pub async fn render_errors(mut req: Request, next: Next) -> Response {
    let slot = UserLocale::default();
    req.extensions_mut().insert(slot.clone());
    let explicit = i18n::explicit_locale(req.uri().query(), req.headers());
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language);
    let is_api = req.uri().path().starts_with("/api/");
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();

    let resp = next.run(req).await;
    if resp
        .extensions()
        .get::<crate::error::ShownOnPage>()
        .is_some()
    {
        return resp;
    }
    let error = match resp.extensions().get::<ErrorTag>() {
        Some(tag) => tag.0.clone(),
        None if resp.status().is_client_error() || resp.status().is_server_error() => {
            match AppError::from_status(resp.status()) {
                Some(e) => Arc::new(e),
                None => return resp,
            }
        }
        None => return resp,
    };
    let locale = explicit
        .or_else(|| slot.0.get().copied())
        .or(accept)
        .unwrap_or_default();
    if is_api {
        api_error(&error, locale, resp)
    } else {
        crate::pages::error_page(&error, locale, &target, resp)
    }
}

fn api_error(error: &AppError, locale: Locale, original: Response) -> Response {
    let mut body = json!({ "code": error.code(), "message": locale.t(error.code()) });
    match error {
        AppError::Invalid(fields) => {
            body["fields"] = fields
                .iter()
                .map(|f| json!({"field": f.field, "code": f.code, "message": locale.t(&format!("field.{}", f.code))}))
                .collect();
        }
        AppError::ImportRows(rows) | AppError::SheetRows(rows) => {
            body["rows"] = rows
                .iter()
                .map(|r| {
                    json!({"row": r.row, "column": r.column, "code": r.code,
                    "message": crate::org::import::row_message(r, locale)})
                })
                .collect();
        }
        AppError::ImportMissingColumns(cols) => body["columns"] = json!(cols),
        AppError::TakeoverUnchecked(ids) | AppError::TakeoverUnmet(ids) => {
            body["prerequisites"] = json!(ids);
        }
        AppError::ConditionsMissing(codes) => body["conditions"] = json!(codes),
        AppError::VisitOpen(id) => body["visit_id"] = json!(id),
        _ => {}
    }
    let status = if original.status().is_client_error() || original.status().is_server_error() {
        original.status()
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let mut resp = (status, axum::Json(body)).into_response();
    if let AppError::RateLimited = error {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
    }
    if let AppError::LinkRateLimited(seconds) = error {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
    }
    resp
}
