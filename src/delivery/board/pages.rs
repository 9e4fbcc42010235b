//! The live board page for the big screen in the sales office (dark, large digits, zh-CN by
//! default), its event stream for the page's session, the project page's handover-day links,
//! and the board's script and stylesheet.

use std::convert::Infallible;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use futures_util::stream::Stream;
use serde::Deserialize;
use uuid::Uuid;

use super::api::{compute, readable, watch};
use super::{Board, Counts};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::kpis::{average, percent};
use crate::pages::Chrome;

/// Routes of the board page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/batches/{id}/board", get(show))
        .route("/batches/{id}/board/events", get(events))
        .route("/static/board.js", get(script))
        .route("/static/board.css", get(stylesheet))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/board.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/board.css"),
    )
}

/// The handover-day links of a project page: the complaint register for customer service
/// and administrators, each batch's live board for them and for executives.
#[derive(Debug, Default)]
pub struct ProjectLinks {
    /// The complaint register, for staff.
    pub complaints: Option<String>,
    /// `(board link, batch name)` per batch.
    pub boards: Vec<(String, String)>,
}

/// The handover-day links `user` gets on `project`'s page.
pub async fn project_links(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
) -> Result<ProjectLinks, AppError> {
    let roles: Vec<Role> = user.roles_on(project).collect();
    let staff = roles
        .iter()
        .any(|r| crate::delivery::api::STAFF.contains(r));
    let mut links = ProjectLinks {
        complaints: staff.then(|| format!("/projects/{project}/complaints")),
        boards: Vec::new(),
    };
    if staff || roles.contains(&Role::Executive) {
        let batches = crate::org::repo::list_batches(&mut app.db.read().await?, &[project]).await?;
        links.boards = batches
            .into_iter()
            .map(|b| (format!("/batches/{}/board", b.id), b.name))
            .collect();
    }
    Ok(links)
}

/// The page's query: the day, and the language switch's `lang`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `YYYY-MM-DD`; default today.
    pub day: Option<String>,
}

impl PageQuery {
    fn day(&self) -> Result<Option<NaiveDate>, AppError> {
        match self.day.as_deref().filter(|d| !d.is_empty()) {
            None => Ok(None),
            Some(d) => d.parse().map(Some).map_err(|_| AppError::NotFound),
        }
    }
}

/// A row of the per-hour chart.
struct HourBar {
    hour: u32,
    counts: Counts,
}

#[derive(Template)]
#[template(path = "delivery/board.html")]
struct BoardPage {
    c: Chrome,
    b: Board,
    /// The event stream of this page.
    events: String,
    /// The hours the chart shows (at least 8:00–18:00, more when there was activity).
    bars: Vec<HourBar>,
    /// The largest count of an hour's bar (the chart's scale).
    scale: i64,
    concentrated: String,
    zero_defect: String,
    avg_defects: String,
    /// When the board was computed, `14:05:09` in Asia/Shanghai.
    updated: String,
}

impl BoardPage {
    /// A bar's height in percent of the chart.
    fn height(&self, n: &i64) -> i64 {
        n * 100 / self.scale.max(1)
    }
}

/// The hours a chart shows: 8–18, widened to every hour with activity.
fn shown_hours(b: &Board) -> Vec<HourBar> {
    let active: Vec<u32> = b
        .hours
        .iter()
        .filter(|h| h.counts != Counts::default())
        .map(|h| h.hour)
        .collect();
    let first = active.first().copied().unwrap_or(8).min(8);
    let last = active.last().copied().unwrap_or(18).max(18);
    b.hours
        .iter()
        .filter(|h| (first..=last).contains(&h.hour))
        .map(|h| HourBar {
            hour: h.hour,
            counts: h.counts,
        })
        .collect()
}

/// The live board page of a batch.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, AppError> {
    let day = q.day()?;
    let batch = readable(&app, &user, id).await?;
    let b = compute(&app, &batch, day).await?;
    let (project, _) =
        crate::org::repo::project_head(&mut app.db.read().await?, b.project_id).await?;
    let mut events = format!("/batches/{id}/board/events");
    if let Some(d) = day {
        events.push_str(&format!("?day={d}"));
    }
    let here = format!(
        "/batches/{id}/board{}",
        day.map(|d| format!("?day={d}")).unwrap_or_default()
    );
    let c = Chrome::new(
        l,
        &user,
        format!("{} · {}", l.t("board.title"), b.batch_name),
        here,
    )
    .crumb(l.t("projects.title"), "/projects")
    .crumb(project, format!("/projects/{}", b.project_id));
    let bars = shown_hours(&b);
    let scale = bars
        .iter()
        .map(|h| {
            h.counts
                .appointments
                .max(h.counts.checked_in)
                .max(h.counts.accepted)
        })
        .max()
        .unwrap_or(0);
    page(&BoardPage {
        c,
        events,
        scale,
        bars,
        concentrated: percent(&b.kpis.concentrated_delivery_rate),
        zero_defect: percent(&b.kpis.zero_defect_delivery_rate),
        avg_defects: average(&b.kpis.avg_defects_per_unit),
        updated: b
            .generated_at
            .with_timezone(&crate::clock::shanghai())
            .format("%H:%M:%S")
            .to_string(),
        b,
    })
}

/// The board's event stream for the page (session cookie; the API's stream takes a token).
pub async fn events(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, AppError> {
    let day = q.day()?;
    let batch = readable(&app, &user, id).await?;
    watch(app, batch, day).await
}
