//! The unit list of a project (search by number, paged) and the admin's unit correction form.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::org::api::{self, UnitUpdate, UnitView};
use crate::org::repo;
use crate::pages::{Chrome, form_urlencoded_component};

/// Rows per page of the unit list.
const PAGE_SIZE: i64 = 100;

/// Search and page of the unit list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Unit number prefix (`3-1-12`).
    #[serde(default)]
    pub q: String,
    /// Page, from 1.
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "org/units.html")]
struct UnitsPage {
    c: Chrome,
    project_id: Uuid,
    q: String,
    units: Vec<UnitView>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

impl UnitsPage {
    fn status_label(&self, u: &UnitView) -> &'static str {
        u.status.label(self.c.l)
    }
}

/// The units of a project, searchable by number prefix, 100 per page.
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    user.require_visible(id)?;
    let q = query.q.trim().to_owned();
    let prefix = Some(q.as_str()).filter(|p| !p.is_empty());
    let mut conn = app.db.read().await?;
    let project = repo::get_project(&mut conn, id).await?;
    let total = repo::count_units(&mut conn, id, prefix).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = query.page.unwrap_or(1).clamp(1, pages);
    let rows =
        repo::list_units(&mut conn, id, prefix, PAGE_SIZE, (page_no - 1) * PAGE_SIZE).await?;
    let units = api::unit_views(&mut conn, rows).await?;
    drop(conn);
    let link = |p: i64| {
        format!(
            "/projects/{id}/units?q={}&page={p}",
            form_urlencoded_component(&q)
        )
    };
    let c = Chrome::new(l, &user, l.t("units.title"), uri.to_string())
        .crumb(l.t("projects.title"), "/projects")
        .crumb(project.name, format!("/projects/{id}"));
    page(&UnitsPage {
        c,
        project_id: id,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        q,
        units,
        total,
        page: page_no,
        pages,
    })
}

/// The unit correction form.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    /// Area, m² (empty clears).
    #[serde(default)]
    pub area_m2: String,
    /// Layout name (empty clears).
    #[serde(default)]
    pub layout: String,
}

/// Saves an admin's correction of a unit's area and layout, then shows the unit.
pub async fn edit(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<EditForm>,
) -> Result<Response, AppError> {
    let area = form.area_m2.trim();
    let area_m2 = if area.is_empty() {
        None
    } else {
        Some(
            area.parse::<f64>()
                .map_err(|_| AppError::field("area_m2", "invalid"))?,
        )
    };
    let body = UnitUpdate {
        area_m2: Some(area_m2),
        layout: Some(Some(form.layout)),
    };
    drop(api::update_unit(State(app), user, ApiPath(id), ApiJson(body)).await?);
    Ok(see_other(&format!("/units/{id}?saved=1")))
}
