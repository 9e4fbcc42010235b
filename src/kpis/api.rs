//! `GET /api/v1/batches/{id}/kpis`: the three delivery KPIs of a batch, live or as of a moment.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::repo::{self, BatchHead};
use super::{BatchKpis, READERS, period_bounds, secondary};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::db::DbConn;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::openapi::ErrorBody;
use crate::org::api::Period;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/batches/{id}/kpis", get(show))
}

/// The moment the KPIs are computed at.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KpiQuery {
    /// RFC 3339 (`2026-12-19T18:00:00+08:00`); default now. The values as they stood then:
    /// only facts recorded at or before it count.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
}

/// An RFC 3339 time from a query string, where an unencoded `+` of the offset arrives as a space.
fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&s.trim().replace(' ', "+"))
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(serde::de::Error::custom)
}

/// The KPIs of a batch as of `as_of` (the caller's rights checked before).
pub async fn compute(
    c: &mut impl DbConn,
    batch: &BatchHead,
    as_of: DateTime<Utc>,
) -> Result<BatchKpis, AppError> {
    let bounds = period_bounds(batch.period_start, batch.period_end);
    let counts = repo::counts(c, batch.id, bounds, as_of).await?;
    let secondary = secondary::secondary(c, batch, bounds, as_of).await?;
    let period = Period {
        start: batch.period_start,
        end: batch.period_end,
    };
    Ok(BatchKpis::from_counts(batch.id, period, counts, secondary))
}

/// The three delivery KPIs of a batch — 集中交付率, 无缺陷交付率, 户均缺陷 — with the counts
/// behind each and the scattered deliveries, as of `as_of` (default now). A rate's `value` is a
/// fraction in [0, 1], `null` when its denominator is zero. Contractors are refused.
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), KpiQuery),
    responses((status = 200, body = BatchKpis), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<BatchKpis>, AppError> {
    let mut conn = app.db.read().await?;
    let batch = repo::batch(&mut conn, id).await?;
    user.require(batch.project_id, READERS)?;
    let as_of = q.as_of.unwrap_or_else(clock::now);
    Ok(Json(compute(&mut conn, &batch, as_of).await?))
}
