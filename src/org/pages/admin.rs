//! Administration pages: a project's buildings, contractors, common areas, batches, members,
//! users and handover-day settings; and new projects. Each form posts to the same handler the JSON API uses.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use chrono::NaiveDate;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::delivery::settings::{LISTS, Settings};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, page, see_other};
use crate::i18n::Locale;
use crate::org::ContractorKind;
use crate::org::api::{
    self, ADMIN, CommonAreaView, ContractorView, NewBatch, NewBuilding, NewMember, NewProject,
    NewUser, Period,
};
use crate::org::repo::{
    self, BatchRow, BuildingRow, CommonAreaRow, ContractorRow, MemberRow, ProjectRow,
};
use crate::pages::Chrome;

#[derive(Template)]
#[template(path = "org/admin.html")]
struct AdminPage {
    c: Chrome,
    project: ProjectRow,
    buildings: Vec<BuildingRow>,
    contractors: Vec<ContractorRow>,
    areas: Vec<CommonAreaRow>,
    batches: Vec<BatchRow>,
    members: Vec<MemberRow>,
    delivery: Settings,
    roles: Vec<(&'static str, &'static str)>,
    /// `(form, message, ok)` of the last post.
    flash: Option<(String, String, bool)>,
    kept: HashMap<String, String>,
}

impl AdminPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).map_or("", String::as_str)
    }

    fn flash_for(&self, form: &str) -> Option<(&str, bool)> {
        self.flash
            .as_ref()
            .filter(|f| f.0 == form)
            .map(|f| (f.1.as_str(), f.2))
    }

    fn role_label(&self, role: &str) -> &'static str {
        self.c.l.t(&format!("role.{role}"))
    }

    /// The handover-day lists as `(field, title, lines)`: what was posted after a refused save,
    /// else the project's.
    fn delivery_lists(&self) -> Vec<(&'static str, &'static str, String)> {
        let refused = self.flash_for("delivery").is_some_and(|(_, ok)| !ok);
        LISTS
            .iter()
            .map(|(field, _)| {
                let lines = match self.kept.get(*field) {
                    Some(kept) if refused => kept.clone(),
                    _ => self.delivery.lines(field, self.c.l),
                };
                (*field, self.c.t(&format!("admin.delivery_{field}")), lines)
            })
            .collect()
    }

    fn link_days(&self) -> String {
        match self.kept.get("link_days") {
            Some(kept) => kept.clone(),
            None => self.delivery.link_days.to_string(),
        }
    }
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    here: String,
    id: Uuid,
    flash: Option<(String, String, bool)>,
    kept: HashMap<String, String>,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let project = repo::get_project(&mut conn, id).await?;
    let p = AdminPage {
        buildings: repo::list_buildings(&mut conn, id).await?,
        contractors: repo::list_contractors(&mut conn, id).await?,
        areas: repo::list_common_areas(&mut conn, id).await?,
        batches: repo::list_batches(&mut conn, &[id]).await?,
        members: repo::list_members(&mut conn, id).await?,
        delivery: crate::delivery::repo::settings(&mut conn, id).await?,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label(l))).collect(),
        c: Chrome::new(l, user, l.t("admin.title"), here)
            .crumb(l.t("projects.title"), "/projects")
            .crumb(project.name.clone(), format!("/projects/{id}")),
        project,
        flash,
        kept,
    };
    page(&p)
}

/// The administration page of a project.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let saved = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("saved=")))
        .map(str::to_owned);
    let flash = saved.map(|form| (form, l.t("admin.saved").to_owned(), true));
    render(
        &app,
        &user,
        l,
        format!("/projects/{id}/admin"),
        id,
        flash,
        HashMap::new(),
    )
    .await
}

fn get(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default()
}

fn list(v: &str) -> Vec<String> {
    v.split([',', '，', '、', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date(v: &str, field: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| AppError::field(field, "invalid_date"))
}

/// Handles one admin form (`building`, `contractor`, `common_area`, `batch`, `member`, `user`,
/// `delivery`).
pub async fn submit(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, form_name)): ApiPath<(Uuid, String)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    match apply(&app, &user, l, id, &form_name, &form).await {
        Ok(()) => Ok(see_other(&format!(
            "/projects/{id}/admin?saved={form_name}#{form_name}"
        ))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Forbidden)) => Err(e),
        Err(e) => {
            let mut message = l.t(e.code()).to_owned();
            if let AppError::Invalid(fields) = &e {
                let detail: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        format!(
                            "{}：{}",
                            l.t(&format!("fieldname.{}", f.field)),
                            l.t(&format!("field.{}", f.code))
                        )
                    })
                    .collect();
                message = format!("{message}（{}）", detail.join("；"));
            }
            let mut kept = form.clone();
            kept.remove("password");
            kept.remove("_csrf");
            render(
                &app,
                &user,
                l,
                format!("/projects/{id}/admin"),
                id,
                Some((form_name, message, false)),
                kept,
            )
            .await
        }
    }
}

async fn apply(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    form_name: &str,
    f: &HashMap<String, String>,
) -> Result<(), AppError> {
    let (s, u, p) = (|| State(app.clone()), || user.clone(), || ApiPath(id));
    match form_name {
        "building" => drop(
            api::create_building(
                s(),
                u(),
                p(),
                ApiJson(NewBuilding {
                    name: get(f, "name"),
                }),
            )
            .await?,
        ),
        "contractor" => {
            let kind = if get(f, "kind") == "supervision" {
                ContractorKind::Supervision
            } else {
                ContractorKind::Construction
            };
            let body = ContractorView {
                id: None,
                name: get(f, "name"),
                kind,
                trades: list(&get(f, "trades")),
                contact_name: get(f, "contact_name"),
                contact_phone: get(f, "contact_phone"),
            };
            drop(api::create_contractor(s(), u(), p(), ApiJson(body)).await?)
        }
        "common_area" => {
            let building = Some(get(f, "building")).filter(|b| !b.is_empty());
            let body = CommonAreaView {
                id: None,
                name: get(f, "name"),
                kind: get(f, "kind"),
                building,
            };
            drop(api::create_common_area(s(), u(), p(), ApiJson(body)).await?)
        }
        "batch" => {
            let period = Period {
                start: date(&get(f, "start"), "start")?,
                end: date(&get(f, "end"), "end")?,
            };
            let body = NewBatch {
                name: get(f, "name"),
                period,
                buildings: list(&get(f, "buildings")),
            };
            drop(api::create_batch(s(), u(), p(), ApiJson(body)).await?)
        }
        "member" => {
            let role =
                Role::parse(&get(f, "role")).ok_or_else(|| AppError::field("role", "required"))?;
            drop(
                api::add_member(
                    s(),
                    u(),
                    p(),
                    ApiJson(NewMember {
                        username: get(f, "username"),
                        role,
                        contractor_id: get(f, "contractor_id").parse().ok(),
                    }),
                )
                .await?,
            )
        }
        "user" => {
            let role =
                Role::parse(&get(f, "role")).ok_or_else(|| AppError::field("role", "required"))?;
            let body = NewUser {
                username: get(f, "username"),
                display_name: get(f, "display_name"),
                password: f.get("password").cloned().unwrap_or_default(),
            };
            api::add_user(app, &body).await?;
            drop(
                api::add_member(
                    s(),
                    u(),
                    p(),
                    ApiJson(NewMember {
                        username: body.username,
                        role,
                        contractor_id: get(f, "contractor_id").parse().ok(),
                    }),
                )
                .await?,
            )
        }
        "delivery" => {
            let current = crate::delivery::repo::settings(&mut app.db.read().await?, id).await?;
            let body = current.edited(l, |field| get(f, field), &get(f, "link_days"))?;
            drop(crate::delivery::api::set_settings(s(), u(), p(), ApiJson(body)).await?)
        }
        _ => return Err(AppError::NotFound),
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "org/admin_projects.html")]
struct ProjectsAdminPage {
    c: Chrome,
    regions: Vec<(Uuid, String)>,
    error: Option<String>,
    kept: HashMap<String, String>,
}

impl ProjectsAdminPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).map_or("", String::as_str)
    }
}

/// The new-project page (region and group admins).
pub async fn projects(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
) -> Result<Response, AppError> {
    if !user.is_any_admin() {
        return Err(AppError::Forbidden);
    }
    let regions = repo::list_regions(&mut app.db.read().await?).await?;
    let c = Chrome::new(l, &user, l.t("admin.projects"), "/admin/projects")
        .crumb(l.t("projects.title"), "/projects");
    page(&ProjectsAdminPage {
        c,
        regions,
        error: None,
        kept: HashMap::new(),
    })
}

/// Creates a project from the form.
pub async fn create_project(
    State(app): State<AppState>,
    l: Locale,
    PageForm(user, f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let region = get(&f, "region_id")
        .parse::<Uuid>()
        .map_err(|_| AppError::field("region_id", "required"));
    let result = match region {
        Ok(region_id) => {
            let body = NewProject {
                region_id,
                name: get(&f, "name"),
                city: get(&f, "city"),
                address: get(&f, "address"),
            };
            api::create_project(State(app.clone()), user.clone(), ApiJson(body)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(Json(p)) => Ok(see_other(&format!("/projects/{}/admin", p.id))),
        Err(e @ (AppError::Internal(_) | AppError::Forbidden)) => Err(e),
        Err(e) => {
            let regions = repo::list_regions(&mut app.db.read().await?).await?;
            let c = Chrome::new(l, &user, l.t("admin.projects"), "/admin/projects")
                .crumb(l.t("projects.title"), "/projects");
            page(&ProjectsAdminPage {
                c,
                regions,
                error: Some(l.t(e.code()).to_owned()),
                kept: f,
            })
        }
    }
}
