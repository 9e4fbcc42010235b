//! The KPI API of a batch: `GET /api/v1/batches/{id}/kpis` (the three delivery KPIs, live or as
//! of a moment), `…/kpis/breakdowns` (per building, day and trade) and `…/kpis/{kpi}/units`
//! (the drill-down: the units behind a number).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::breakdown::{self, Breakdowns};
use super::drill::{self, DrillDown, Kpi};
use super::repo::{self, BatchHead};
use super::secondary::drill::{Figure as SecondaryFigure, Scope as SecondaryScope, SecondaryDrill};
use super::{
    BatchKpis, Counts, Figures, KpisResponse, READERS, cache, facts, period_bounds, secondary,
};
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
    Router::new()
        .route("/api/v1/batches/{id}/kpis", get(show))
        .route("/api/v1/batches/{id}/kpis/breakdowns", get(breakdowns))
        .route("/api/v1/batches/{id}/kpis/{kpi}/units", get(units))
        .route(
            "/api/v1/batches/{id}/secondary/{figure}/units",
            get(secondary_units),
        )
        .route(
            "/api/v1/batches/{id}/secondary/{figure}/units.xlsx",
            get(super::export::secondary_xlsx),
        )
        .route(
            "/batches/{id}/secondary/{figure}/units.xlsx",
            get(super::export::secondary_xlsx),
        )
        .route(
            "/api/v1/batches/{id}/kpis.xlsx",
            get(super::export::kpis_xlsx),
        )
        .route(
            "/api/v1/batches/{id}/kpis/{kpi}/units.xlsx",
            get(super::export::units_xlsx),
        )
        .route(
            "/api/v1/batches/{id}/report.pdf",
            get(super::report::report_pdf),
        )
        .route("/batches/{id}/report.pdf", get(super::report::report_pdf))
        .route("/batches/{id}/kpis.xlsx", get(super::export::kpis_xlsx))
        .route(
            "/batches/{id}/kpis/{kpi}/units.xlsx",
            get(super::export::units_xlsx),
        )
}

/// The moment the KPIs are computed at.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiQuery {
    /// RFC 3339 (`2026-12-19T18:00:00+08:00`); default now. The values as they stood then:
    /// only facts recorded at or before it count.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
}

/// Reads an RFC 3339 time from a query string, where an unencoded `+` of the offset arrives as a space.
pub fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&s.trim().replace(' ', "+"))
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(serde::de::Error::custom)
}

/// The three KPIs of a batch as of `as_of` (the caller's rights checked before), uncached,
/// without the secondary figures and breakdowns (the live board's).
pub async fn compute(
    c: &mut impl DbConn,
    batch: &BatchHead,
    as_of: DateTime<Utc>,
) -> Result<BatchKpis, AppError> {
    let bounds = period_bounds(batch.period_start, batch.period_end);
    let facts = facts::load(c, batch.id, bounds, as_of).await?;
    Ok(BatchKpis::from_counts(
        batch.id,
        period_of(batch),
        facts.counts(),
    ))
}

/// The batch's period.
fn period_of(batch: &BatchHead) -> Period {
    Period {
        start: batch.period_start,
        end: batch.period_end,
    }
}

/// Everything shown of a batch's KPIs as of `as_of`, computed from the facts.
pub async fn compute_figures(
    c: &mut impl DbConn,
    batch: &BatchHead,
    as_of: DateTime<Utc>,
) -> Result<Figures, AppError> {
    let bounds = period_bounds(batch.period_start, batch.period_end);
    let facts = facts::load(c, batch.id, bounds, as_of).await?;
    let secondary = secondary::secondary(c, batch, bounds, as_of).await?;
    let counts = facts.counts();
    let kpis = BatchKpis::from_counts(batch.id, period_of(batch), counts);
    let days = (batch.period_start, batch.period_end);
    let breakdowns = breakdown::of(&facts, days, clock::local_date(as_of));
    Ok(Figures {
        batch: batch.clone(),
        as_of,
        counts,
        kpis,
        secondary,
        facts,
        breakdowns,
    })
}

/// The figures of a batch as of `as_of`, or live (from the cache while nothing changed).
pub async fn figures(
    app: &AppState,
    batch: &BatchHead,
    as_of: Option<DateTime<Utc>>,
) -> Result<Arc<Figures>, AppError> {
    let mut conn = app.db.read().await?;
    if let Some(at) = as_of {
        return Ok(Arc::new(compute_figures(&mut conn, batch, at).await?));
    }
    let key = cache::key(&mut conn, batch.id).await?;
    if let Some(f) = app.kpis.get(batch.id, &key) {
        return Ok(f);
    }
    let f = Arc::new(compute_figures(&mut conn, batch, clock::now()).await?);
    app.kpis.put(batch.id, key, f.clone());
    Ok(f)
}

/// The live counts behind a batch's three KPIs: from memory or `kpi_counts` while nothing
/// changed, else computed without the secondary figures and breakdowns (what a rollup needs)
/// and stored.
pub async fn counts(app: &AppState, batch: &BatchHead) -> Result<Counts, AppError> {
    let mut conn = app.db.read().await?;
    let key = cache::key(&mut conn, batch.id).await?;
    if let Some(c) = app.kpis.counts(batch.id, &key) {
        return Ok(c);
    }
    if let Some(c) = cache::stored_counts(&mut conn, batch.id, &key).await? {
        app.kpis.put_counts(batch.id, key, c);
        return Ok(c);
    }
    let bounds = period_bounds(batch.period_start, batch.period_end);
    let c = facts::load(&mut conn, batch.id, bounds, clock::now())
        .await?
        .counts();
    drop(conn);
    store_counts(app, batch.id, &key, c).await;
    app.kpis.put_counts(batch.id, key, c);
    Ok(c)
}

/// Keeps freshly computed counts in `kpi_counts` for the other app servers and the next start.
/// The answer stands whatever happens here, so a failure is logged rather than answered.
async fn store_counts(app: &AppState, batch: Uuid, key: &cache::Key, c: Counts) {
    let stored = async {
        let mut tx = app.db.begin().await?;
        cache::store_counts(&mut tx, batch, key, c).await?;
        tx.commit().await
    };
    if let Err(e) = stored.await {
        tracing::warn!(error = %e, %batch, "KPI counts not stored");
    }
}

/// A batch the caller may read the KPIs of.
pub async fn readable(app: &AppState, user: &CurrentUser, id: Uuid) -> Result<BatchHead, AppError> {
    let batch = repo::batch(&mut app.db.read().await?, id).await?;
    user.require(batch.project_id, READERS)?;
    Ok(batch)
}

/// The three delivery KPIs of a batch — 集中交付率, 无缺陷交付率, 户均缺陷 — with the counts
/// behind each, the scattered deliveries and the secondary figures, as of `as_of` (default
/// now). A rate's `value` is a fraction in [0, 1], `null` when its denominator is zero.
/// Contractors are refused.
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), KpiQuery),
    responses((status = 200, body = KpisResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<KpisResponse>, AppError> {
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, q.as_of).await?;
    Ok(Json(KpisResponse {
        kpis: f.kpis.clone(),
        secondary: f.secondary.clone(),
    }))
}

/// The breakdowns of a batch's KPIs, as of `as_of` (default now): per building (the three
/// KPIs of its planned units), per day of the period (what happened that day and the KPIs at
/// its end) and per trade (reasonable issues, per unit that took part, share).
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis/breakdowns", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), KpiQuery),
    responses((status = 200, body = Breakdowns), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn breakdowns(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<Breakdowns>, AppError> {
    let batch = readable(&app, &user, id).await?;
    Ok(Json(
        figures(&app, &batch, q.as_of).await?.breakdowns.clone(),
    ))
}

/// What to list of a drill-down.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DrillQuery {
    /// RFC 3339; default now.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
    /// `numerator` keeps only the units that add to the numerator.
    pub only: Option<String>,
}

/// Reads the `{kpi}` path segment: 404 for anything but the three KPIs.
pub fn kpi_of(segment: &str) -> Result<Kpi, AppError> {
    Kpi::parse(segment).ok_or(AppError::NotFound)
}

/// The units behind a KPI: every unit of its denominator, with `in_numerator` (0/1 for a
/// rate, the unit's counted issues for `avg_defects_per_unit`) and the facts that put it there
/// (signature time, walkthrough, issues, complaints). `numerator` and `denominator` are the
/// sums of the list, equal to the KPI's. `kpi` is `concentrated_delivery_rate`,
/// `zero_defect_delivery_rate` or `avg_defects_per_unit`.
#[utoipa::path(get, path = "/api/v1/batches/{id}/kpis/{kpi}/units", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("kpi" = String, Path), DrillQuery),
    responses((status = 200, body = DrillDown), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn units(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, kpi)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> Result<Json<DrillDown>, AppError> {
    let kpi = kpi_of(&kpi)?;
    let only = numerator_only(q.only.as_deref())?;
    let batch = readable(&app, &user, id).await?;
    let f = figures(&app, &batch, q.as_of).await?;
    Ok(Json(drill::of(id, kpi, &f.facts, only)))
}

/// What to list of a secondary figure's drill-down.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SecondaryQuery {
    /// RFC 3339; default now.
    #[serde(default, deserialize_with = "rfc3339")]
    #[param(value_type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
    /// `numerator` keeps only the units that add to the numerator.
    pub only: Option<String>,
    /// Only this building's units (its name).
    pub building: Option<String>,
    /// Only this contractor's rectification items.
    pub contractor: Option<Uuid>,
    /// Only the units that refused with this reason (`quality`, ...).
    pub reason: Option<String>,
}

impl SecondaryQuery {
    /// The scope the query asks for (`422` for a bad `only`).
    pub fn scope(&self) -> Result<SecondaryScope, AppError> {
        let text = |s: &Option<String>| {
            s.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        Ok(SecondaryScope {
            numerator_only: numerator_only(self.only.as_deref())?,
            building: text(&self.building),
            contractor: self.contractor,
            reason: text(&self.reason),
        })
    }
}

/// Reads the `{figure}` path segment: 404 for anything but a secondary figure.
pub fn figure_of(segment: &str) -> Result<SecondaryFigure, AppError> {
    SecondaryFigure::parse(segment).ok_or(AppError::NotFound)
}

/// The drill-down of a secondary figure of `batch` as of `as_of` (default now).
pub async fn secondary_drill(
    app: &AppState,
    batch: &BatchHead,
    figure: SecondaryFigure,
    scope: &SecondaryScope,
    as_of: Option<DateTime<Utc>>,
) -> Result<SecondaryDrill, AppError> {
    let bounds = period_bounds(batch.period_start, batch.period_end);
    let at = as_of.unwrap_or_else(clock::now);
    let units = secondary::read_units(&mut app.db.read().await?, batch.id, bounds, at).await?;
    Ok(secondary::drill::of(batch.id, figure, units, scope))
}

/// The units behind a secondary figure: every planned unit with a share in it, with
/// `in_numerator` and `in_denominator` (a unit rate's 0/1 and 1; an item rate's counts of the
/// unit's rectification items; a mean's total in days or minutes and its count; the NPS's
/// promoters − detractors and surveys) and the unit's service facts. `numerator`,
/// `denominator` and `value` are over the list: the batch's figure when nothing narrows it.
/// `figure` is a key of the secondary figures (`self_inspection_coverage`, ..., `nps`).
#[utoipa::path(get, path = "/api/v1/batches/{id}/secondary/{figure}/units", tag = "kpis", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("figure" = String, Path), SecondaryQuery),
    responses((status = 200, body = SecondaryDrill), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn secondary_units(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, figure)): ApiPath<(Uuid, String)>,
    ApiQuery(q): ApiQuery<SecondaryQuery>,
) -> Result<Json<SecondaryDrill>, AppError> {
    let figure = figure_of(&figure)?;
    let scope = q.scope()?;
    let batch = readable(&app, &user, id).await?;
    Ok(Json(
        secondary_drill(&app, &batch, figure, &scope, q.as_of).await?,
    ))
}

/// Reads `?only=`: `numerator` or nothing (`422` otherwise).
pub fn numerator_only(only: Option<&str>) -> Result<bool, AppError> {
    match only {
        None | Some("") => Ok(false),
        Some("numerator") => Ok(true),
        Some(_) => Err(AppError::field("only", "invalid")),
    }
}
