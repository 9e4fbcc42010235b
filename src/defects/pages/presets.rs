//! Fix presets (整改预设), administrators only: which contractor fixes each trade (per building
//! where contractors split the site) and in how many days.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::{Said, field, fixers, shown_on_page};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::checklists::Trade;
use crate::defects::api::{self, PresetBody, PresetView};
use crate::defects::repo;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::org::repo::{self as org_repo, BuildingRow, ContractorRow};
use crate::pages::Chrome;

const ADMIN: &[Role] = &[Role::Admin];

#[derive(Template)]
#[template(path = "defects/presets.html")]
struct PresetsPage {
    c: Chrome,
    project_id: Uuid,
    presets: Vec<PresetView>,
    buildings: Vec<BuildingRow>,
    fixers: Vec<ContractorRow>,
    trades: Vec<(&'static str, &'static str)>,
    said: Said,
}

impl PresetsPage {
    fn trade_label(&self, t: &str) -> &'static str {
        Trade::parse(t).map_or("", |t| t.label(self.c.l))
    }

    fn building_label(&self, p: &PresetView) -> String {
        match &p.building {
            Some(b) => self.c.l.fmt1("map.building", "name", b),
            None => self.c.t("defects.all_buildings").to_owned(),
        }
    }

    fn building_name(&self, name: &str) -> String {
        self.c.l.fmt1("map.building", "name", name)
    }

    fn days_label(&self, n: &i32) -> String {
        self.c
            .l
            .fmt("defects.presets.days_unit", &[("n", &n.to_string())])
    }

    fn kept_is(&self, name: &str, value: &str) -> bool {
        self.said.kept_for("set", name) == value
    }

    fn days_value(&self) -> &str {
        let kept = self.said.kept_for("set", "days");
        if kept.is_empty() { "7" } else { kept }
    }
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    said: Said,
) -> Result<Response, AppError> {
    user.require(project, ADMIN)?;
    let mut conn = app.db.read().await?;
    let (name, _) = org_repo::project_head(&mut conn, project).await?;
    let presets = repo::presets(&mut conn, project)
        .await?
        .into_iter()
        .map(PresetView::from)
        .collect();
    let buildings = org_repo::list_buildings(&mut conn, project).await?;
    let contractors = org_repo::list_contractors(&mut conn, project).await?;
    drop(conn);
    let c = Chrome::new(
        l,
        user,
        l.t("defects.presets.title"),
        format!("/projects/{project}/fix-presets"),
    )
    .crumb(l.t("projects.title"), "/projects")
    .crumb(name, format!("/projects/{project}"))
    .crumb(l.t("admin.title"), format!("/projects/{project}/admin"));
    page(&PresetsPage {
        c,
        project_id: project,
        presets,
        buildings,
        fixers: fixers(&contractors),
        trades: Trade::ALL
            .iter()
            .map(|t| (t.as_str(), t.label(l)))
            .collect(),
        said,
    })
}

/// `?ok=` of the presets page.
#[derive(Debug, serde::Deserialize)]
pub struct OkQuery {
    /// Message key of the last post.
    pub ok: Option<String>,
}

/// The fix presets page.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok(l, "top", q.ok.as_deref());
    render(&app, &user, l, project, said).await
}

/// Sets the preset of a trade (and building).
pub async fn set(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(project, ADMIN)?;
    let result = async {
        let trade = Trade::parse(&field(&form, "trade"))
            .ok_or_else(|| AppError::field("trade", "required"));
        let contractor = super::id_field(&field(&form, "contractor_id"), "contractor_id");
        let days = field(&form, "days")
            .parse::<i32>()
            .map_err(|_| AppError::field("days", "out_of_range"));
        let ((trade, contractor_id), days) = super::both(super::both(trade, contractor), days)?;
        let building = field(&form, "building_id");
        let building_id = if building.is_empty() {
            None
        } else {
            Some(
                building
                    .parse()
                    .map_err(|_| AppError::field("building_id", "unknown"))?,
            )
        };
        let body = PresetBody {
            trade,
            building_id,
            contractor_id,
            days,
        };
        api::save_preset(&app, &user, project, &body).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/projects/{project}/fix-presets?ok=saved"
        ))),
        Err(e) if shown_on_page(&e) => {
            render(&app, &user, l, project, Said::failed(l, "set", &e, form)).await
        }
        Err(e) => Err(e),
    }
}

/// Removes a preset.
pub async fn delete(
    State(app): State<AppState>,
    ApiPath((project, preset)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, _form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(project, ADMIN)?;
    let mut tx = app.db.begin().await?;
    repo::delete_preset(&mut tx, project, preset).await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "/projects/{project}/fix-presets?ok=deleted"
    )))
}
