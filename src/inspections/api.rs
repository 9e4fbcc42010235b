//! JSON handlers for inspections under `/api/v1`: start one on a unit or common area, record
//! item results (measured points are judged on the server), finish with a verdict, coverage.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, InspectionRow, NewInspection, ResultRow};
use super::{Outcome, judge, verdict};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::checklists;
use crate::clock;
use crate::db::DbConn;
use crate::defects::Stage;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::ErrorBody;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects/{id}/inspections", post(start))
        .route("/api/v1/projects/{id}/coverage", get(coverage))
        .route("/api/v1/inspections/{id}", get(show))
        .route("/api/v1/inspections/{id}/results/{item}", put(record))
        .route("/api/v1/inspections/{id}/finish", post(finish))
        .route("/api/v1/units/{id}/inspections", get(list_for_unit))
}

/// An inspection to start.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInspectionBody {
    /// Client-generated id; the same id twice starts one inspection.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The unit (or give `common_area_id`).
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    /// The common area (or give `unit_id`).
    #[serde(default)]
    pub common_area_id: Option<Uuid>,
    /// Stage (default `self`).
    #[serde(default = "self_stage")]
    pub stage: Stage,
    /// Supervisor (监理) present.
    #[serde(default)]
    pub supervisor: String,
    /// Contractor present.
    #[serde(default)]
    pub contractor: String,
    /// Property company present.
    #[serde(default)]
    pub property: String,
}

fn self_stage() -> Stage {
    Stage::SelfInspection
}

/// An inspection as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InspectionView {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit.
    pub unit_id: Option<Uuid>,
    /// Common area.
    pub common_area_id: Option<Uuid>,
    /// Unit number or area name.
    pub place: String,
    /// Stage.
    pub stage: String,
    /// Checklist version it runs (fixed for its life).
    pub version_id: Uuid,
    /// Inspector.
    pub inspector: String,
    /// Supervisor present.
    pub supervisor: String,
    /// Contractor present.
    pub contractor: String,
    /// Property company present.
    pub property: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `pass` or `fail` once finished.
    pub verdict: Option<String>,
}

impl From<InspectionRow> for InspectionView {
    fn from(i: InspectionRow) -> Self {
        InspectionView {
            id: i.id,
            project_id: i.project_id,
            unit_id: i.unit_id,
            common_area_id: i.common_area_id,
            place: i.place,
            stage: i.stage,
            version_id: i.version_id,
            inspector: i.inspector_name,
            supervisor: i.supervisor,
            contractor: i.contractor,
            property: i.property,
            started_at: i.started_at,
            finished_at: i.finished_at,
            verdict: i.verdict,
        }
    }
}

/// One checklist item of an inspection with its result so far.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResultView {
    /// Item id.
    pub item_id: Uuid,
    /// Trade.
    pub trade: String,
    /// Room or part group.
    pub room: String,
    /// Item name.
    pub name: String,
    /// `pass_fail` or `measured`.
    pub kind: String,
    /// Unit of measured points.
    pub unit: Option<String>,
    /// Lower bound of a measured value.
    pub lower: Option<f64>,
    /// Upper bound of a measured value.
    pub upper: Option<f64>,
    /// Points to measure.
    pub points_expected: Option<u32>,
    /// Standard cited.
    pub standard: String,
    /// Recorded outcome.
    pub outcome: Option<String>,
    /// Recorded points.
    pub points: Vec<f64>,
    /// Note.
    pub note: String,
}

/// An inspection with every item and its result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InspectionDetail {
    /// The inspection.
    pub inspection: InspectionView,
    /// Items in checklist order.
    pub items: Vec<ItemResultView>,
}

/// The result of one item, as entered.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    /// Pass/fail items: `pass` or `fail`; any item: `na`. Measured items are judged from points.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Measured points, in the item's unit.
    #[serde(default)]
    pub points: Vec<f64>,
    /// Note.
    #[serde(default)]
    pub note: String,
}

/// The stored result of one item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultView {
    /// Item id.
    pub item_id: Uuid,
    /// The judged outcome.
    pub outcome: Outcome,
}

/// Self-inspection coverage of a project or batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// Units with a finished self inspection.
    pub inspected: i64,
    /// Units in all.
    pub units: i64,
    /// `inspected ÷ units` in percent (none when there are no units).
    pub rate: Option<f64>,
}

/// Coverage query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// Only the planned units of this batch.
    pub batch: Option<Uuid>,
}

/// Who may run an inspection of `stage` on a project.
fn runners(stage: Stage) -> &'static [Role] {
    match stage {
        Stage::Takeover => &[Role::Inspector, Role::Property],
        _ => &[Role::Inspector],
    }
}

/// Starts an inspection of a unit or common area with the project's checklist.
#[utoipa::path(post, path = "/api/v1/projects/{id}/inspections", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewInspectionBody,
    responses((status = 201, body = InspectionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewInspectionBody>,
) -> Result<(StatusCode, Json<InspectionView>), AppError> {
    let row = start_inspection(&app, &user, project, body).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Starts (or, for a repeated client id, returns) an inspection.
pub async fn start_inspection(
    app: &AppState,
    user: &CurrentUser,
    project: Uuid,
    body: NewInspectionBody,
) -> Result<InspectionRow, AppError> {
    user.require(project, runners(body.stage))?;
    Check::default()
        .when(
            body.unit_id.is_some() == body.common_area_id.is_some(),
            "unit_id",
            "required",
        )
        .when(
            body.supervisor.chars().count() > 100,
            "supervisor",
            "too_long",
        )
        .when(
            body.contractor.chars().count() > 100,
            "contractor",
            "too_long",
        )
        .when(body.property.chars().count() > 100, "property", "too_long")
        // The customer walkthrough is a visit (`delivery`), not a checklist run.
        .when(body.stage == Stage::Customer, "stage", "invalid")
        .done()?;
    let id = body.id.unwrap_or_else(Uuid::new_v4);
    let mut tx = app.db.begin().await?;
    if let Some(existing) = repo::project_of(&mut tx, id).await? {
        return if existing == project {
            repo::get(&mut tx, id).await
        } else {
            Err(AppError::AlreadyExists)
        };
    }
    check_place(&mut tx, project, &body).await?;
    // One running inspection per place and stage: starting again continues it.
    if let Some(running) = repo::running(
        &mut tx,
        body.unit_id,
        body.common_area_id,
        body.stage.as_str(),
    )
    .await?
    {
        return repo::get(&mut tx, running).await;
    }
    let version = checklists::repo::default_version_for(&mut tx, project, scope_of(&body)).await?;
    let new = NewInspection {
        id,
        project_id: project,
        unit_id: body.unit_id,
        common_area_id: body.common_area_id,
        stage: body.stage.as_str(),
        version_id: version,
        inspector_id: user.id,
        supervisor: body.supervisor.trim().to_owned(),
        contractor: body.contractor.trim().to_owned(),
        property: body.property.trim().to_owned(),
    };
    repo::insert(&mut tx, &new, clock::now()).await?;
    if let Some(unit) = body.unit_id {
        repo::refresh_unit_status(&mut tx, unit).await?;
    }
    tx.commit().await?;
    repo::get(&mut app.db.read().await?, id).await
}

/// Which of the project's checklists the inspection runs: the unit one or the common-area one.
fn scope_of(body: &NewInspectionBody) -> checklists::Scope {
    if body.common_area_id.is_some() {
        checklists::Scope::CommonArea
    } else {
        checklists::Scope::Unit
    }
}

async fn check_place(
    c: &mut impl DbConn,
    project: Uuid,
    body: &NewInspectionBody,
) -> Result<(), AppError> {
    if let Some(unit) = body.unit_id {
        let u = crate::org::repo::get_unit(c, unit)
            .await
            .map_err(|_| AppError::field("unit_id", "unknown"))?;
        if u.project_id != project {
            return Err(AppError::field("unit_id", "unknown"));
        }
    } else if let Some(area) = body.common_area_id
        && crate::defects::repo::common_area_building(c, project, area)
            .await?
            .is_none()
    {
        return Err(AppError::field("common_area_id", "unknown"));
    }
    Ok(())
}

/// An inspection with its items and results.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = InspectionDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<InspectionDetail>, AppError> {
    Ok(Json(detail(&app, &user, id).await?))
}

/// The inspection `id` with items and results, if the caller may see its project.
pub async fn detail(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<InspectionDetail, AppError> {
    let mut conn = app.db.read().await?;
    let row = repo::get(&mut conn, id).await?;
    user.require_visible(row.project_id)?;
    let version = checklists::repo::version(&mut conn, row.version_id).await?;
    let results = repo::results(&mut conn, id).await?;
    let items = version
        .items
        .iter()
        .map(|item| item_view(item, results.iter().find(|r| r.item_id == item.id)))
        .collect();
    Ok(InspectionDetail {
        inspection: row.into(),
        items,
    })
}

fn item_view(item: &checklists::Item, result: Option<&ResultRow>) -> ItemResultView {
    let spec = item.def.kind.spec();
    ItemResultView {
        item_id: item.id,
        trade: item.def.trade.as_str().to_owned(),
        room: item.def.room.clone(),
        name: item.def.name.clone(),
        kind: if spec.is_some() {
            "measured"
        } else {
            "pass_fail"
        }
        .to_owned(),
        unit: spec.map(|s| s.unit.clone()),
        lower: spec.and_then(|s| s.lower),
        upper: spec.and_then(|s| s.upper),
        points_expected: spec.map(|s| s.points),
        standard: item.def.standard.clone(),
        outcome: result.map(|r| r.outcome.clone()),
        points: result
            .and_then(|r| serde_json::from_str(&r.points).ok())
            .unwrap_or_default(),
        note: result.map(|r| r.note.clone()).unwrap_or_default(),
    }
}

/// Records the result of one item; a measured item is judged from its points.
#[utoipa::path(put, path = "/api/v1/inspections/{id}/results/{item}", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("item" = Uuid, Path)), request_body = ResultBody,
    responses((status = 200, body = ResultView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, item)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ResultBody>,
) -> Result<Json<ResultView>, AppError> {
    let outcome = record_result(&app, &user, id, item, body).await?;
    Ok(Json(ResultView {
        item_id: item,
        outcome,
    }))
}

/// Judges and stores one item result of a running inspection.
pub async fn record_result(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    item: Uuid,
    body: ResultBody,
) -> Result<Outcome, AppError> {
    Check::default()
        .when(body.note.chars().count() > 500, "note", "too_long")
        .done()?;
    let mut tx = app.db.begin().await?;
    let row = repo::get(&mut tx, id).await?;
    let stage = Stage::parse(&row.stage).unwrap_or(Stage::SelfInspection);
    user.require(row.project_id, runners(stage))?;
    if row.finished_at.is_some() {
        return Err(AppError::InspectionFinished);
    }
    let version = checklists::repo::version(&mut tx, row.version_id).await?;
    let it = version.item(item).ok_or(AppError::NotFound)?;
    let spec = it.def.kind.spec();
    let outcome = judge(spec, body.outcome, &body.points)?;
    let points: &[f64] = if outcome == Outcome::Na {
        &[]
    } else {
        &body.points
    };
    let result = repo::NewResult {
        inspection: id,
        item,
        outcome,
        points,
        note: body.note.trim(),
        user: user.id,
    };
    repo::put_result(&mut tx, &result, clock::now()).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Finishes an inspection: every item needs a result; the verdict follows.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/finish", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = InspectionView), (status = 409, body = ErrorBody)))]
pub async fn finish(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<InspectionView>, AppError> {
    Ok(Json(finish_inspection(&app, &user, id).await?.into()))
}

/// Closes an inspection with its verdict and updates the unit's status.
pub async fn finish_inspection(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<InspectionRow, AppError> {
    let mut tx = app.db.begin().await?;
    let row = repo::get(&mut tx, id).await?;
    let stage = Stage::parse(&row.stage).unwrap_or(Stage::SelfInspection);
    user.require(row.project_id, runners(stage))?;
    if row.finished_at.is_some() {
        return Err(AppError::InspectionFinished);
    }
    let version = checklists::repo::version(&mut tx, row.version_id).await?;
    let results = repo::results(&mut tx, id).await?;
    let missing = version
        .items
        .iter()
        .filter(|i| !results.iter().any(|r| r.item_id == i.id))
        .count();
    if missing > 0 {
        return Err(AppError::InspectionIncomplete(missing));
    }
    let outcomes: Vec<Outcome> = results
        .iter()
        .filter_map(|r| Outcome::parse(&r.outcome))
        .collect();
    let pending = repo::pending_defects_of(&mut tx, id).await?;
    repo::finish(&mut tx, id, verdict(&outcomes, pending), clock::now()).await?;
    // Coverage on the project page changes even when the unit's state does not.
    crate::org::repo::bump_map_version(&mut tx, row.project_id).await?;
    if let Some(unit) = row.unit_id {
        repo::refresh_unit_status(&mut tx, unit).await?;
    }
    tx.commit().await?;
    repo::get(&mut app.db.read().await?, id).await
}

/// The inspections of a unit, newest first.
#[utoipa::path(get, path = "/api/v1/units/{id}/inspections", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<InspectionView>), (status = 404, body = ErrorBody)))]
pub async fn list_for_unit(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(unit): ApiPath<Uuid>,
) -> Result<Json<Vec<InspectionView>>, AppError> {
    let mut conn = app.db.read().await?;
    let u = crate::org::repo::get_unit(&mut conn, unit).await?;
    user.require_visible(u.project_id)?;
    let rows = repo::list_by_unit(&mut conn, unit).await?;
    Ok(Json(rows.into_iter().map(InspectionView::from).collect()))
}

/// Self-inspection coverage (一户一验完成率) of a project, or of one of its batches.
#[utoipa::path(get, path = "/api/v1/projects/{id}/coverage", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path), CoverageQuery), responses((status = 200, body = Coverage), (status = 404, body = ErrorBody)))]
pub async fn coverage(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> Result<Json<Coverage>, AppError> {
    user.require_visible(project)?;
    let (inspected, units) = repo::coverage(&mut app.db.read().await?, project, q.batch).await?;
    Ok(Json(Coverage {
        inspected,
        units,
        rate: (units > 0).then(|| inspected as f64 * 100.0 / units as f64),
    }))
}
