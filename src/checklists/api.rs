//! JSON handlers for checklist templates and the phrase library under `/api/v1`.
//!
//! Shipped templates are readable by every signed-in user and never editable: an admin copies
//! one into the project first. A project's own templates are visible to its members and
//! editable by its admins; every save writes a new version. Another project's template is 404.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, TemplateSummary};
use super::{ItemInput, Note, Scope, TemplateVersion};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath};
use crate::i18n::Locale;
use crate::openapi::ErrorBody;

mod phrases;

pub use phrases::*;

const ADMIN: &[Role] = &[Role::Admin];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/checklists",
            get(list_templates).post(copy_template),
        )
        .route(
            "/api/v1/projects/{id}/checklist",
            get(show_project_checklist).put(select_template),
        )
        .route("/api/v1/checklists/{id}", get(show_template))
        .route("/api/v1/checklists/{id}/versions", post(create_version))
        .route("/api/v1/checklists/versions/{id}", get(show_version))
        .route(
            "/api/v1/projects/{id}/phrases",
            get(list_phrases).post(create_phrase),
        )
        .route(
            "/api/v1/projects/{id}/phrases/{phrase}",
            axum::routing::delete(delete_phrase),
        )
}

/// A checklist template with its latest version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    /// Id.
    pub id: Uuid,
    /// Owning project; null for a template shipped with the product.
    pub project_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Shipped with the product: read-only, copy it into the project to change it.
    pub shipped: bool,
    /// Latest version id (what a new inspection runs).
    pub latest_version_id: Uuid,
    /// Latest version number.
    pub latest_version: i32,
    /// Items in the latest version.
    pub item_count: i64,
    /// When the latest version was written.
    pub updated_at: DateTime<Utc>,
    /// What the project runs this template for (in a project's list; empty elsewhere).
    pub used_for: Vec<Scope>,
}

impl TemplateView {
    /// The view of a template the project runs for `used_for`.
    pub fn new(t: TemplateSummary, used_for: Vec<Scope>) -> Self {
        TemplateView {
            shipped: t.project_id.is_none(),
            id: t.id,
            project_id: t.project_id,
            name: t.name,
            latest_version_id: t.version_id,
            latest_version: t.version,
            item_count: t.item_count,
            updated_at: t.updated_at,
            used_for,
        }
    }
}

/// One version in a template's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionSummaryView {
    /// Version id.
    pub id: Uuid,
    /// Number, from 1.
    pub version: i32,
    /// What changed, in the caller's language.
    pub note: String,
    /// Who wrote it (null for shipped data).
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Items in it.
    pub item_count: i64,
}

/// A template with its version history, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateDetail {
    /// The template.
    pub template: TemplateView,
    /// Its versions, newest first.
    pub versions: Vec<VersionSummaryView>,
}

/// One item of a version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// Item id (unique to this version).
    pub id: Uuid,
    /// 1-based position.
    pub position: i32,
    /// The definition.
    #[serde(flatten)]
    pub item: ItemInput,
    /// The tolerance as shown (`≤ 4 mm`, `−5 ~ +8 mm`), for measured items.
    pub tolerance: Option<String>,
}

/// One immutable version of a template with its items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    /// Version id.
    pub id: Uuid,
    /// Template id.
    pub template_id: Uuid,
    /// Template name.
    pub template_name: String,
    /// Owning project; null when shipped.
    pub project_id: Option<Uuid>,
    /// Shipped with the product.
    pub shipped: bool,
    /// Number, from 1.
    pub version: i32,
    /// What changed, in the caller's language.
    pub note: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Items by position.
    pub items: Vec<ItemView>,
}

impl VersionView {
    /// The view of a stored version, its note in `l`.
    pub fn new(v: &TemplateVersion, l: Locale) -> Self {
        VersionView {
            id: v.id,
            template_id: v.template_id,
            template_name: v.template_name.clone(),
            project_id: v.project_id,
            shipped: v.project_id.is_none(),
            version: v.version,
            note: Note::decode(&v.note).show(l),
            created_at: v.created_at,
            items: v
                .items
                .iter()
                .map(|i| ItemView {
                    id: i.id,
                    position: i.position,
                    item: ItemInput::from(&i.def),
                    tolerance: i.def.kind.spec().map(super::MeasuredSpec::tolerance),
                })
                .collect(),
        }
    }
}

/// Copies a template (shipped, or one of the project's) into the project.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectTemplate {
    /// The template to copy (its latest version).
    pub template_id: Uuid,
    /// Name of the copy, unique in the project (default: the source's name).
    #[serde(default)]
    pub name: Option<String>,
}

/// A new version: the full item list, replacing nothing (earlier versions stay as they are).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Every item of the new version, in order (1..=300).
    pub items: Vec<ItemInput>,
    /// What changed (≤ 200 characters).
    #[serde(default)]
    pub note: String,
    /// The version the edit started from; when given and no longer the latest, the save is
    /// refused (field `base_version_id`, code `stale`) instead of overwriting another edit.
    #[serde(default)]
    pub base_version_id: Option<Uuid>,
}

/// The template a project runs for units or for common areas.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectTemplate {
    /// A shipped template or one of the project's; null = the shipped template of the scope.
    pub template_id: Option<Uuid>,
    /// What the project runs it for (default `unit`).
    #[serde(default)]
    pub scope: Scope,
}

/// A template version chosen for a kind of inspection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChosenVersion {
    /// Template id.
    pub template_id: Uuid,
    /// Template name.
    pub template_name: String,
    /// Latest version id: what a new inspection records.
    pub version_id: Uuid,
    /// Latest version number.
    pub version: i32,
}

/// Which checklist versions a project's new inspections run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectChecklist {
    /// 分户验收 of units.
    pub self_inspection: ChosenVersion,
    /// 承接查验 of common areas.
    pub common_area: ChosenVersion,
}

/// Refuses a template the project may not use: shipped ones and the project's own are fine.
fn usable_in(t: &TemplateSummary, project: Uuid) -> Result<(), AppError> {
    match t.project_id {
        None => Ok(()),
        Some(p) if p == project => Ok(()),
        Some(_) => Err(AppError::NotFound),
    }
}

/// Checks the caller may read a template: shipped ones are open to every signed-in user.
fn can_read(user: &CurrentUser, project: Option<Uuid>) -> Result<(), AppError> {
    project.map_or(Ok(()), |p| user.require_visible(p))
}

/// Checks the caller may write new versions of a template: its project's admins; a shipped
/// template is read-only for everyone.
fn can_edit(user: &CurrentUser, project: Option<Uuid>) -> Result<Uuid, AppError> {
    let project = project.ok_or(AppError::Forbidden)?;
    user.require(project, ADMIN)?;
    Ok(project)
}

/// Templates a project can use: the shipped ones and its own.
#[utoipa::path(get, path = "/api/v1/projects/{id}/checklists", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<TemplateView>), (status = 404, body = ErrorBody)))]
pub async fn list_templates(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<TemplateView>>, AppError> {
    user.require_visible(id)?;
    let mut conn = app.db.read().await?;
    let chosen = repo::chosen(&mut conn, id).await?;
    let rows = repo::list_templates(&mut conn, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| {
                let used_for = chosen.scopes_of(t.id);
                TemplateView::new(t, used_for)
            })
            .collect(),
    ))
}

/// A template with its version history.
#[utoipa::path(get, path = "/api/v1/checklists/{id}", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = TemplateDetail), (status = 404, body = ErrorBody)))]
pub async fn show_template(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TemplateDetail>, AppError> {
    let mut conn = app.db.read().await?;
    let t = repo::template(&mut conn, id).await?;
    can_read(&user, t.project_id)?;
    let versions = repo::versions(&mut conn, id).await?;
    Ok(Json(TemplateDetail {
        template: TemplateView::new(t, Vec::new()),
        versions: versions
            .into_iter()
            .map(|v| VersionSummaryView {
                id: v.id,
                version: v.version,
                note: Note::decode(&v.note).show(l),
                created_by: v.created_by_name,
                created_at: v.created_at,
                item_count: v.item_count,
            })
            .collect(),
    }))
}

/// The items of one version, with kinds, tolerances and sources.
#[utoipa::path(get, path = "/api/v1/checklists/versions/{id}", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)))]
pub async fn show_version(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<VersionView>, AppError> {
    let v = repo::version(&mut app.db.read().await?, id).await?;
    can_read(&user, v.project_id)?;
    Ok(Json(VersionView::new(&v, l)))
}

/// Copies a template into the project as its own editable template, at version 1 (admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/checklists", tag = "checklists", security(("bearer" = [])),
    request_body = NewProjectTemplate, params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn copy_template(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewProjectTemplate>,
) -> Result<Json<TemplateView>, AppError> {
    user.require(id, ADMIN)?;
    let source = repo::template(&mut app.db.read().await?, body.template_id).await?;
    usable_in(&source, id)?;
    let name = body.name.unwrap_or(source.name);
    Check::default().text("name", &name, 100).done()?;
    let mut tx = app.db.begin().await?;
    let new =
        repo::copy_to_project(&mut tx, source.id, id, name.trim(), user.id, clock::now()).await?;
    let t = repo::template(&mut tx, new).await?;
    tx.commit().await?;
    Ok(Json(TemplateView::new(t, Vec::new())))
}

/// Saves a full item list as the template's next version (admins of its project). Shipped
/// templates are read-only (403): copy them first.
#[utoipa::path(post, path = "/api/v1/checklists/{id}/versions", tag = "checklists", security(("bearer" = [])),
    request_body = NewVersion, params(("id" = Uuid, Path)),
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_version(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewVersion>,
) -> Result<Json<VersionView>, AppError> {
    let t = repo::template(&mut app.db.read().await?, id).await?;
    can_edit(&user, t.project_id)?;
    let note_ok = Check::default()
        .when(body.note.chars().count() > 200, "note", "too_long")
        .done();
    // Every invalid field at once: the note's and the items'.
    let items = match (note_ok, super::validate_items(body.items)) {
        (Ok(()), items) => items?,
        (Err(AppError::Invalid(mut fields)), Err(AppError::Invalid(more))) => {
            fields.extend(more);
            return Err(AppError::Invalid(fields));
        }
        (Err(e), _) => return Err(e),
    };
    let mut tx = app.db.begin().await?;
    if let Some(base) = body.base_version_id
        && base != repo::latest_version_id(&mut tx, id).await?
    {
        return Err(AppError::field("base_version_id", "stale"));
    }
    let note = body.note.trim();
    let (vid, _) = repo::create_version(&mut tx, id, &items, note, user.id, clock::now()).await?;
    let v = repo::version(&mut tx, vid).await?;
    tx.commit().await?;
    Ok(Json(VersionView::new(&v, l)))
}

async fn project_checklist(app: &AppState, project: Uuid) -> Result<ProjectChecklist, AppError> {
    let mut conn = app.db.read().await?;
    let chosen = repo::chosen(&mut conn, project).await?;
    let mut pick = async |id: Uuid| -> Result<ChosenVersion, AppError> {
        let t = repo::template(&mut conn, id).await?;
        Ok(ChosenVersion {
            template_id: t.id,
            template_name: t.name,
            version_id: t.version_id,
            version: t.version,
        })
    };
    Ok(ProjectChecklist {
        self_inspection: pick(chosen.unit).await?,
        common_area: pick(chosen.common_area).await?,
    })
}

/// Which checklist versions the project's new inspections run.
#[utoipa::path(get, path = "/api/v1/projects/{id}/checklist", tag = "checklists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ProjectChecklist), (status = 404, body = ErrorBody)))]
pub async fn show_project_checklist(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ProjectChecklist>, AppError> {
    user.require_visible(id)?;
    Ok(Json(project_checklist(&app, id).await?))
}

/// Chooses the template the project runs for units or common areas (admins); null = shipped.
#[utoipa::path(put, path = "/api/v1/projects/{id}/checklist", tag = "checklists", security(("bearer" = [])),
    request_body = SelectTemplate, params(("id" = Uuid, Path)),
    responses((status = 200, body = ProjectChecklist), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn select_template(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SelectTemplate>,
) -> Result<Json<ProjectChecklist>, AppError> {
    user.require(id, ADMIN)?;
    if let Some(t) = body.template_id {
        usable_in(&repo::template(&mut app.db.read().await?, t).await?, id)?;
    }
    let mut tx = app.db.begin().await?;
    repo::set_chosen(&mut tx, id, body.scope, body.template_id).await?;
    tx.commit().await?;
    Ok(Json(project_checklist(&app, id).await?))
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    /// The paths and schemas of this module, as `src/openapi.rs` registers them.
    #[derive(OpenApi)]
    #[openapi(paths(
        super::list_templates,
        super::show_template,
        super::show_version,
        super::copy_template,
        super::create_version,
        super::show_project_checklist,
        super::select_template,
        super::list_phrases,
        super::create_phrase,
        super::delete_phrase,
    ))]
    struct Doc;

    #[test]
    fn the_annotations_make_a_document_with_every_route_and_schema() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap();
        for path in [
            "/api/v1/projects/{id}/checklists",
            "/api/v1/projects/{id}/checklist",
            "/api/v1/checklists/{id}",
            "/api/v1/checklists/{id}/versions",
            "/api/v1/checklists/versions/{id}",
            "/api/v1/projects/{id}/phrases",
            "/api/v1/projects/{id}/phrases/{phrase}",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        for schema in [
            "TemplateView",
            "TemplateDetail",
            "VersionSummaryView",
            "VersionView",
            "ItemView",
            "ItemInput",
            "KindName",
            "Trade",
            "Confidence",
            "NewProjectTemplate",
            "NewVersion",
            "SelectTemplate",
            "ChosenVersion",
            "ProjectChecklist",
            "Phrase",
            "NewPhrase",
            "ErrorBody",
        ] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
        }
        let trade = &doc["components"]["schemas"]["Trade"]["enum"];
        assert_eq!(trade.as_array().map(Vec::len), Some(6), "{trade}");
    }
}
