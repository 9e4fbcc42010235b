//! Projects, the status map and units.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{CurrentUser, Role, repo as auth_repo};
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;
use crate::org::map::{MapFilter, StatusMap};
use crate::org::{UnitStatus, mask_phone, repo};

/// A project as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Region company id.
    pub region_id: Uuid,
    /// Region company name.
    pub region: String,
    /// City.
    pub city: String,
    /// Address.
    pub address: String,
    /// Units in the project.
    pub unit_count: i64,
}

impl From<repo::ProjectRow> for ProjectView {
    fn from(p: repo::ProjectRow) -> Self {
        ProjectView {
            id: p.id,
            name: p.name,
            region_id: p.region_id,
            region: p.region_name,
            city: p.city,
            address: p.address,
            unit_count: p.unit_count,
        }
    }
}

/// A new project.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// Region company it belongs to.
    pub region_id: Uuid,
    /// Name, unique in the region.
    pub name: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Address.
    #[serde(default)]
    pub address: String,
}

/// A buyer, phone masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuyerView {
    /// Name.
    pub name: String,
    /// Phone as `138****5678`.
    pub phone: String,
}

/// A unit with its buyers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Number (`3-1-1201`).
    pub number: String,
    /// Building name.
    pub building: String,
    /// Entrance name.
    pub entrance: String,
    /// Floor.
    pub floor: i32,
    /// Room number.
    pub room: String,
    /// Building area (建筑面积), m².
    pub area_m2: Option<f64>,
    /// Layout (户型).
    pub layout: Option<String>,
    /// State on the status map.
    pub status: UnitStatus,
    /// Buyers, phones masked.
    pub buyers: Vec<BuyerView>,
}

impl UnitView {
    /// Builds the view; phones are masked here, once for every caller.
    pub fn new(u: repo::UnitRow, buyers: Vec<repo::BuyerRow>) -> Self {
        UnitView {
            id: u.id,
            project_id: u.project_id,
            number: u.number,
            building: u.building,
            entrance: u.entrance,
            floor: u.floor,
            room: u.room,
            area_m2: u.area_m2,
            layout: u.layout,
            status: UnitStatus::parse(&u.status).unwrap_or(UnitStatus::NotInspected),
            buyers: buyers
                .into_iter()
                .map(|b| BuyerView {
                    name: b.name,
                    phone: mask_phone(&b.phone),
                })
                .collect(),
        }
    }
}

/// Paging and search of the unit list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// Only units whose number starts with this (`3-1-12`).
    pub prefix: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// Projects the caller may see.
#[utoipa::path(get, path = "/api/v1/projects", tag = "org", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProjectView>), (status = 401, body = ErrorBody)))]
pub async fn list_projects(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ProjectView>>, AppError> {
    let rows = repo::list_projects(&mut app.db.read().await?, &user.project_ids()).await?;
    Ok(Json(rows.into_iter().map(ProjectView::from).collect()))
}

/// Creates a project in a region company (region or group admins).
#[utoipa::path(post, path = "/api/v1/projects", tag = "org", security(("bearer" = [])), request_body = NewProject,
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_project(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<Json<ProjectView>, AppError> {
    Check::default()
        .text("name", &body.name, 100)
        .text("city", &body.city, 100)
        .done()?;
    let mut tx = app.db.begin().await?;
    if !auth_repo::is_region_admin(&mut tx, user.id, body.region_id).await? {
        return Err(AppError::Forbidden);
    }
    let id = repo::insert_project(
        &mut tx,
        body.region_id,
        body.name.trim(),
        body.city.trim(),
        body.address.trim(),
        clock::now(),
    )
    .await?;
    let project = repo::get_project(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(project.into()))
}

/// One project.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
pub async fn show_project(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProjectView>, AppError> {
    user.require_visible(id)?;
    Ok(Json(
        repo::get_project(&mut app.db.read().await?, id)
            .await?
            .into(),
    ))
}

/// The unit status map (房态图) of a project, filterable by state and building.
#[utoipa::path(get, path = "/api/v1/projects/{id}/status-map", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path), MapFilter), responses((status = 200, body = StatusMap), (status = 404, body = ErrorBody)))]
pub async fn status_map(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(filter): ApiQuery<MapFilter>,
) -> Result<Response, AppError> {
    user.require_visible(id)?;
    let mut conn = app.db.read().await?;
    let version = repo::map_version(&mut conn, id).await?;
    let key = filter.cache_key("json");
    let body = match app.maps.rendered(id, version, &key) {
        Some(body) => body,
        None => {
            let cells = repo::status_map_cached(&mut conn, &app.maps, id, version).await?;
            let map = StatusMap::build(id, &cells, &filter);
            let body =
                Bytes::from(serde_json::to_vec(&map).map_err(|e| AppError::Internal(e.into()))?);
            app.maps.put_rendered(id, version, key, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Units of a project, paged, searchable by number prefix.
#[utoipa::path(get, path = "/api/v1/projects/{id}/units", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path), UnitQuery), responses((status = 200, body = Vec<UnitView>), (status = 404, body = ErrorBody)))]
pub async fn list_units(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<UnitView>>, AppError> {
    user.require_visible(id)?;
    let limit = q.limit.unwrap_or(100);
    Check::default()
        .when(!(1..=500).contains(&limit), "limit", "out_of_range")
        .when(q.offset.is_some_and(|o| o < 0), "offset", "out_of_range")
        .done()?;
    let mut conn = app.db.read().await?;
    let units = repo::list_units(
        &mut conn,
        id,
        q.prefix.as_deref(),
        limit,
        q.offset.unwrap_or(0),
    )
    .await?;
    Ok(Json(unit_views(&mut conn, units).await?))
}

/// Views of units with their buyers, read in one query for the whole list.
pub async fn unit_views(
    conn: &mut impl crate::db::DbConn,
    units: Vec<repo::UnitRow>,
) -> Result<Vec<UnitView>, AppError> {
    let ids: Vec<Uuid> = units.iter().map(|u| u.id).collect();
    let mut buyers = repo::buyers_of_units(conn, &ids).await?;
    Ok(units
        .into_iter()
        .map(|u| {
            let b = buyers.remove(&u.id).unwrap_or_default();
            UnitView::new(u, b)
        })
        .collect())
}

/// One unit with its buyers (phones masked).
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "org", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = UnitView), (status = 404, body = ErrorBody)))]
pub async fn show_unit(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<UnitView>, AppError> {
    let mut conn = app.db.read().await?;
    let unit = repo::get_unit(&mut conn, id).await?;
    user.require_visible(unit.project_id)?;
    let buyers = repo::buyers_of(&mut conn, id).await?;
    Ok(Json(UnitView::new(unit, buyers)))
}

/// Corrections to a unit's roster data (admins).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitUpdate {
    /// Building area (建筑面积), m²; `null` clears it, absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub area_m2: Option<Option<f64>>,
    /// Layout (户型) name; `null` or empty clears it, absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub layout: Option<Option<String>>,
}

/// Tells a present field (`Some`, even when `null`) from an absent one (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Corrects a unit's area and layout (admins).
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "org", security(("bearer" = [])), request_body = UnitUpdate,
    params(("id" = Uuid, Path)), responses((status = 200, body = UnitView), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_unit(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UnitUpdate>,
) -> Result<Json<UnitView>, AppError> {
    let mut tx = app.db.begin().await?;
    let unit = repo::get_unit(&mut tx, id).await?;
    user.require(unit.project_id, ADMIN)?;
    let area_m2 = body.area_m2.unwrap_or(unit.area_m2);
    let layout = body.layout.unwrap_or(unit.layout);
    let layout = layout.as_deref().map(str::trim).filter(|l| !l.is_empty());
    Check::default()
        .when(
            area_m2.is_some_and(|a| !(a > 0.0 && a < 100_000.0)),
            "area_m2",
            "out_of_range",
        )
        .when(
            layout.is_some_and(|l| l.chars().count() > 64),
            "layout",
            "too_long",
        )
        .done()?;
    let now = clock::now();
    let layout_id = match layout {
        Some(name) => Some(repo::ensure_layout(&mut tx, unit.project_id, name, now).await?),
        None => None,
    };
    repo::set_unit_details(&mut tx, id, area_m2, layout_id, now).await?;
    repo::bump_map_version(&mut tx, unit.project_id).await?;
    repo::log_changes(
        &mut tx,
        unit.project_id,
        "unit",
        Some(user.id),
        &[(id, "update")],
        now,
    )
    .await?;
    let unit = repo::get_unit(&mut tx, id).await?;
    let buyers = repo::buyers_of(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(UnitView::new(unit, buyers)))
}

/// Roles that administer a project.
pub const ADMIN: &[Role] = &[Role::Admin];
