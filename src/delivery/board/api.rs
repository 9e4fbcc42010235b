//! The live board as JSON and as server-sent events. The stream polls the batch's
//! `board_version` about once a second per connection — a single-row read, and stateless, so
//! any app server on a shared PostgreSQL serves any screen — and sends the board again when it
//! moves (or when the day turns).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use uuid::Uuid;

use super::{Board, BuildingCounts, HourCounts, Tally, repo};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::kpis::repo::BatchHead;
use crate::kpis::{self, READERS, day_start};
use crate::openapi::ErrorBody;

/// How often a stream looks at the batch's `board_version`.
pub const POLL: Duration = Duration::from_secs(1);

/// How long one stream lives; the browser's `EventSource` then reconnects, which checks the
/// session again.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/batches/{id}/board", get(show))
        .route("/api/v1/batches/{id}/board/events", get(events))
}

/// Which day to count.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// `YYYY-MM-DD` (Asia/Shanghai); default today.
    pub day: Option<NaiveDate>,
}

/// The batch, when `user` may read its board (everyone on the project but contractors).
pub async fn readable(app: &AppState, user: &CurrentUser, id: Uuid) -> Result<BatchHead, AppError> {
    let batch = kpis::repo::batch(&mut app.db.read().await?, id).await?;
    user.require(batch.project_id, READERS)?;
    Ok(batch)
}

/// The board of `batch` for `day` (default today, Asia/Shanghai); the KPIs as of now, or as of
/// the end of a past day.
pub async fn compute(
    app: &AppState,
    batch: &BatchHead,
    day: Option<NaiveDate>,
) -> Result<Board, AppError> {
    let now = clock::now();
    let day = day.unwrap_or_else(|| clock::local_date(now));
    let (from, to) = (day_start(day), day_start(day + chrono::Duration::days(1)));
    let as_of = now.min(to - chrono::Duration::microseconds(1));
    let mut conn = app.db.read().await?;
    // The version first: a write landing during the reads shows up at the next poll.
    let version = kpis::repo::board_version(&mut conn, batch.id).await?;
    let buildings = repo::buildings(&mut conn, batch.id).await?;
    let events = repo::events(&mut conn, batch.id, (from, to)).await?;
    let kpis = kpis::api::compute(&mut conn, batch, as_of).await?;
    Ok(board(
        batch,
        (day, version, now),
        Tally::of(buildings, &events),
        kpis,
    ))
}

fn board(
    batch: &BatchHead,
    (day, version, now): (NaiveDate, i64, DateTime<Utc>),
    t: Tally,
    kpis: kpis::BatchKpis,
) -> Board {
    Board {
        batch_id: batch.id,
        batch_name: batch.name.clone(),
        project_id: batch.project_id,
        day,
        version,
        generated_at: now,
        totals: t.totals,
        buildings: t
            .buildings
            .into_iter()
            .map(|(building, counts)| BuildingCounts { building, counts })
            .collect(),
        hours: (0u32..)
            .zip(t.hours)
            .map(|(hour, counts)| HourCounts { hour, counts })
            .collect(),
        kpis,
    }
}

/// Today's live board of a batch: appointments, check-ins, walkthroughs under way,
/// acceptances, refusals and only-looked visits in total, per building and per hour
/// (Asia/Shanghai), with the three KPIs so far.
#[utoipa::path(get, path = "/api/v1/batches/{id}/board", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), BoardQuery),
    responses((status = 200, body = Board), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<Board>, AppError> {
    let batch = readable(&app, &user, id).await?;
    Ok(Json(compute(&app, &batch, q.day).await?))
}

/// The board as server-sent events: an event `board` (data: the board's JSON, id: its version)
/// at once and again whenever the batch's board version moves; keep-alive comments between.
/// The stream closes after 15 minutes and the client reconnects (`retry: 2000`).
#[utoipa::path(get, path = "/api/v1/batches/{id}/board/events", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), BoardQuery),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`event: board` with the board's JSON, each time it changes"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, AppError> {
    let batch = readable(&app, &user, id).await?;
    watch(app, batch, q.day).await
}

/// A board stream for a caller already authorised on `batch`.
pub async fn watch(
    app: AppState,
    batch: BatchHead,
    day: Option<NaiveDate>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, AppError> {
    let first = compute(&app, &batch, day).await?;
    let w = Watch {
        shown: (first.version, first.day),
        pending: Some(sse_event(&first).retry(Duration::from_millis(2000))),
        until: tokio::time::Instant::now() + LIFETIME,
        app,
        batch,
        day,
    };
    Ok(Sse::new(stream::unfold(w, Watch::next)).keep_alive(KeepAlive::default()))
}

/// The board as an SSE event.
fn sse_event(b: &Board) -> SseEvent {
    let data = serde_json::to_string(b).unwrap_or_default();
    SseEvent::default()
        .event("board")
        .id(b.version.to_string())
        .data(data)
}

/// One connection's view of a batch's board: what it showed last.
struct Watch {
    app: AppState,
    batch: BatchHead,
    day: Option<NaiveDate>,
    /// Version and day of the board sent last.
    shown: (i64, NaiveDate),
    /// An event to send before polling (the first board).
    pending: Option<SseEvent>,
    /// When the stream ends.
    until: tokio::time::Instant,
}

impl Watch {
    /// The next event: the pending one, else the board once its version (or the day) moves;
    /// none when the stream's time is up, the server shuts down or the batch is gone.
    async fn next(mut self) -> Option<(Result<SseEvent, Infallible>, Self)> {
        if let Some(e) = self.pending.take() {
            return Some((Ok(e), self));
        }
        loop {
            tokio::time::sleep(POLL).await;
            if tokio::time::Instant::now() >= self.until || *self.app.closing.borrow() {
                return None;
            }
            match self.changed().await {
                Ok(Some(board)) => {
                    self.shown = (board.version, board.day);
                    return Some((Ok(sse_event(&board)), self));
                }
                Ok(None) => {}
                Err(AppError::NotFound) => return None,
                Err(e) => tracing::warn!(error = %e, batch = %self.batch.id, "board poll"),
            }
        }
    }

    /// The board, when it differs from the one shown.
    async fn changed(&self) -> Result<Option<Board>, AppError> {
        let version =
            kpis::repo::board_version(&mut self.app.db.read().await?, self.batch.id).await?;
        let day = self.day.unwrap_or_else(|| clock::local_date(clock::now()));
        if (version, day) == self.shown {
            return Ok(None);
        }
        compute(&self.app, &self.batch, self.day).await.map(Some)
    }
}
