//! Administration: buildings, contractors, common areas, batches, members and users.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ADMIN;
use crate::app::AppState;
use crate::auth::repo::{self as auth_repo, MemberScope};
use crate::auth::{CurrentUser, MIN_PASSWORD_LEN, Role, hash_password};
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath};
use crate::openapi::ErrorBody;
use crate::org::{ContractorKind, repo};

/// A building.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuildingView {
    /// Id.
    pub id: Uuid,
    /// Name (`3`).
    pub name: String,
    /// Units in it.
    pub unit_count: i64,
}

/// A new building.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBuilding {
    /// Name, unique in the project.
    pub name: String,
}

/// A contractor or supervisor.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractorView {
    /// Id (optional when creating: a tablet may choose it).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Company name.
    pub name: String,
    /// 施工单位 or 监理单位.
    pub kind: ContractorKind,
    /// Trades (土建, 门窗, 给排水, 电气, 防水, ...).
    #[serde(default)]
    pub trades: Vec<String>,
    /// Contact person.
    #[serde(default)]
    pub contact_name: String,
    /// Contact phone.
    #[serde(default)]
    pub contact_phone: String,
}

/// A common area (公区).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommonAreaView {
    /// Id (ignored when creating).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Name (`3号楼首层大堂`).
    pub name: String,
    /// Kind (`lobby`, `stairs`, `roof`, `elevator`, `fire`, `road`, `green`, ...).
    pub kind: String,
    /// Building name, when it belongs to one.
    #[serde(default)]
    pub building: Option<String>,
}

/// A delivery period, whole days in Asia/Shanghai, end inclusive.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// A delivery batch (交付批次).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Name.
    pub name: String,
    /// Concentrated delivery period.
    pub period: Period,
    /// Planned units.
    pub planned_units: i64,
}

impl From<repo::BatchRow> for BatchView {
    fn from(b: repo::BatchRow) -> Self {
        BatchView {
            id: b.id,
            project_id: b.project_id,
            name: b.name,
            period: Period {
                start: b.period_start,
                end: b.period_end,
            },
            planned_units: b.planned_units,
        }
    }
}

/// A new batch: the planned units are every unit of the named buildings (all when empty).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// Name, unique in the project.
    pub name: String,
    /// Concentrated delivery period.
    pub period: Period,
    /// Building names whose units are planned.
    #[serde(default)]
    pub buildings: Vec<String>,
}

/// A member of a project.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    /// User id.
    pub user_id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// `project`, `region` or `group`: where the membership is held.
    pub scope: String,
}

/// Grants a role on the project to an existing user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Login name.
    pub username: String,
    /// Role to grant.
    pub role: Role,
    /// For the contractor role: the contractor company (of this project) the user works for.
    #[serde(default)]
    pub contractor_id: Option<Uuid>,
}

/// A new user account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name (letters, digits, `.-_`).
    pub username: String,
    /// Name shown in pages.
    pub display_name: String,
    /// At least 8 characters.
    pub password: String,
}

/// A created user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
}

/// Buildings of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/buildings", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<BuildingView>), (status = 404, body = ErrorBody)))]
pub async fn list_buildings(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<BuildingView>>, AppError> {
    user.require_visible(id)?;
    let rows = repo::list_buildings(&mut app.db.read().await?, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|b| BuildingView {
                id: b.id,
                name: b.name,
                unit_count: b.unit_count,
            })
            .collect(),
    ))
}

/// Adds a building (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/buildings", tag = "admin", security(("bearer" = [])), request_body = NewBuilding,
    params(("id" = Uuid, Path)), responses((status = 200, body = BuildingView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_building(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewBuilding>,
) -> Result<Json<BuildingView>, AppError> {
    user.require(id, ADMIN)?;
    Check::default()
        .text("name", &body.name, 16)
        .when(body.name.contains('-'), "name", "invalid")
        .done()?;
    let mut tx = app.db.begin().await?;
    let bid = repo::insert_building(&mut tx, id, body.name.trim(), clock::now()).await?;
    tx.commit().await?;
    Ok(Json(BuildingView {
        id: bid,
        name: body.name.trim().to_owned(),
        unit_count: 0,
    }))
}

/// Contractors and supervisors of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/contractors", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<ContractorView>), (status = 404, body = ErrorBody)))]
pub async fn list_contractors(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<ContractorView>>, AppError> {
    user.require_visible(id)?;
    let rows = repo::list_contractors(&mut app.db.read().await?, id).await?;
    Ok(Json(rows.into_iter().map(contractor_view).collect()))
}

fn contractor_view(c: repo::ContractorRow) -> ContractorView {
    ContractorView {
        id: Some(c.id),
        name: c.name,
        kind: if c.kind == "supervision" {
            ContractorKind::Supervision
        } else {
            ContractorKind::Construction
        },
        trades: c
            .trades
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        contact_name: c.contact_name,
        contact_phone: crate::org::mask_phone(&c.contact_phone),
    }
}

/// Adds a contractor or supervisor (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/contractors", tag = "admin", security(("bearer" = [])), request_body = ContractorView,
    params(("id" = Uuid, Path)), responses((status = 200, body = ContractorView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_contractor(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ContractorView>,
) -> Result<Json<ContractorView>, AppError> {
    user.require(id, ADMIN)?;
    Check::default()
        .text("name", &body.name, 100)
        .when(
            body.trades
                .iter()
                .any(|t| t.trim().is_empty() || t.contains(',')),
            "trades",
            "invalid",
        )
        .done()?;
    let row = repo::ContractorRow {
        id: body.id.unwrap_or_else(Uuid::new_v4),
        name: body.name.trim().to_owned(),
        kind: body.kind.as_str().to_owned(),
        trades: body.trades.join(","),
        contact_name: body.contact_name,
        contact_phone: body.contact_phone,
    };
    let mut tx = app.db.begin().await?;
    repo::insert_contractor(&mut tx, id, &row, clock::now()).await?;
    tx.commit().await?;
    Ok(Json(contractor_view(row)))
}

/// Common areas of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/common-areas", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<CommonAreaView>), (status = 404, body = ErrorBody)))]
pub async fn list_common_areas(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<CommonAreaView>>, AppError> {
    user.require_visible(id)?;
    let rows = repo::list_common_areas(&mut app.db.read().await?, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| CommonAreaView {
                id: Some(a.id),
                name: a.name,
                kind: a.kind,
                building: a.building,
            })
            .collect(),
    ))
}

/// Adds a common area (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/common-areas", tag = "admin", security(("bearer" = [])), request_body = CommonAreaView,
    params(("id" = Uuid, Path)), responses((status = 200, body = CommonAreaView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_common_area(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CommonAreaView>,
) -> Result<Json<CommonAreaView>, AppError> {
    user.require(id, ADMIN)?;
    Check::default()
        .text("name", &body.name, 100)
        .text("kind", &body.kind, 32)
        .done()?;
    let mut tx = app.db.begin().await?;
    let building = match &body.building {
        Some(name) => Some(building_id(&mut tx, id, name, "building").await?),
        None => None,
    };
    let aid = repo::insert_common_area(
        &mut tx,
        id,
        building,
        body.kind.trim(),
        body.name.trim(),
        clock::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(CommonAreaView {
        id: Some(aid),
        ..body
    }))
}

/// The id of the project's building `name`; an unknown name is an invalid `field`.
async fn building_id(
    tx: &mut crate::db::Tx,
    project: Uuid,
    name: &str,
    field: &str,
) -> Result<Uuid, AppError> {
    let buildings = repo::list_buildings(tx, project).await?;
    buildings
        .into_iter()
        .find(|b| b.name == name)
        .map(|b| b.id)
        .ok_or_else(|| AppError::field(field, "unknown"))
}

/// Batches of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/batches", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<BatchView>), (status = 404, body = ErrorBody)))]
pub async fn list_project_batches(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<BatchView>>, AppError> {
    user.require_visible(id)?;
    let rows = repo::list_batches(&mut app.db.read().await?, &[id]).await?;
    Ok(Json(rows.into_iter().map(BatchView::from).collect()))
}

/// Every batch the caller may see, across projects.
#[utoipa::path(get, path = "/api/v1/batches", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<BatchView>), (status = 401, body = ErrorBody)))]
pub async fn list_batches(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<BatchView>>, AppError> {
    let rows = repo::list_batches(&mut app.db.read().await?, &user.project_ids()).await?;
    Ok(Json(rows.into_iter().map(BatchView::from).collect()))
}

/// Creates a delivery batch (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/batches", tag = "admin", security(("bearer" = [])), request_body = NewBatch,
    params(("id" = Uuid, Path)), responses((status = 200, body = BatchView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_batch(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewBatch>,
) -> Result<Json<BatchView>, AppError> {
    user.require(id, ADMIN)?;
    Check::default()
        .text("name", &body.name, 100)
        .when(
            body.period.end < body.period.start,
            "period",
            "end_before_start",
        )
        .done()?;
    let mut tx = app.db.begin().await?;
    let mut buildings = Vec::new();
    for name in &body.buildings {
        buildings.push(building_id(&mut tx, id, name, "buildings").await?);
    }
    let bid = repo::insert_batch(
        &mut tx,
        id,
        body.name.trim(),
        body.period.start,
        body.period.end,
        &buildings,
        clock::now(),
    )
    .await?;
    let batch = repo::list_batches(&mut tx, &[id])
        .await?
        .into_iter()
        .find(|b| b.id == bid)
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(batch.into()))
}

/// Members of a project with their roles (admins).
#[utoipa::path(get, path = "/api/v1/projects/{id}/members", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<MemberView>), (status = 403, body = ErrorBody)))]
pub async fn list_members(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<MemberView>>, AppError> {
    user.require(id, ADMIN)?;
    let rows = repo::list_members(&mut app.db.read().await?, id).await?;
    Ok(Json(rows.into_iter().filter_map(member_view).collect()))
}

fn member_view(m: repo::MemberRow) -> Option<MemberView> {
    Some(MemberView {
        user_id: m.user_id,
        username: m.username,
        display_name: m.display_name,
        role: Role::parse(&m.role)?,
        scope: m.scope,
    })
}

/// Grants a role on the project to a user (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/members", tag = "admin", security(("bearer" = [])), request_body = NewMember,
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<MemberView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewMember>,
) -> Result<Json<Vec<MemberView>>, AppError> {
    user.require(id, ADMIN)?;
    let mut tx = app.db.begin().await?;
    let member = auth_repo::user_id(&mut tx, body.username.trim())
        .await?
        .ok_or_else(|| AppError::field("username", "unknown"))?;
    if let Some(contractor) = body.contractor_id
        && !crate::defects::repo::contractor_in_project(&mut tx, id, contractor).await?
    {
        return Err(AppError::field("contractor_id", "unknown"));
    }
    auth_repo::grant(
        &mut tx,
        member,
        body.role,
        MemberScope::Project(id),
        clock::now(),
    )
    .await?;
    if body.role == Role::Contractor
        && let Some(contractor) = body.contractor_id
    {
        auth_repo::set_member_contractor(&mut tx, member, id, contractor).await?;
    }
    let rows = repo::list_members(&mut tx, id).await?;
    tx.commit().await?;
    app.sessions.clear(); // the member's grants changed
    Ok(Json(rows.into_iter().filter_map(member_view).collect()))
}

/// Creates a user account (admins of any project).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", security(("bearer" = [])), request_body = NewUser,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<Json<UserView>, AppError> {
    if !user.is_any_admin() {
        return Err(AppError::Forbidden);
    }
    let id = add_user(&app, &body).await?;
    Ok(Json(UserView {
        id,
        username: body.username,
    }))
}

/// Validates and stores a new account (shared by the API, the admin page and the CLI).
pub async fn add_user(app: &AppState, body: &NewUser) -> Result<Uuid, AppError> {
    let valid_name = body
        .username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    Check::default()
        .text("username", &body.username, 64)
        .when(!valid_name, "username", "invalid")
        .text("display_name", &body.display_name, 64)
        .when(
            body.password.chars().count() < MIN_PASSWORD_LEN,
            "password",
            "too_short",
        )
        .done()?;
    let pw = body.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut tx = app.db.begin().await?;
    let id = auth_repo::insert_user(
        &mut tx,
        &body.username,
        body.display_name.trim(),
        &hash,
        clock::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
