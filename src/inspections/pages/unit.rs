//! What the unit page shows of inspections and defects (the floor plan with a pin per defect,
//! coloured by status; the unit's inspections; the link to inspect), and the administrator's
//! floor plan upload per layout.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::{check_csrf, user_message};
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::defects::repo::{Filter, Order};
use crate::defects::{Stage, Status, is_overdue};
use crate::error::AppError;
use crate::http::multipart_error;
use crate::http::{ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;
use crate::photos::upload::read_photo;

/// Pin colours, in the legend's order: CSS class suffix and catalog key.
const PIN_STATES: [&str; 4] = ["open", "overdue", "fixed", "verified"];

/// One defect on the floor plan.
#[derive(Debug, Clone)]
pub struct PinView {
    /// The defect page.
    pub href: String,
    /// `left:…%;top:…%`.
    pub style: String,
    /// `open`, `overdue`, `fixed`, `verified`.
    pub state: &'static str,
    /// The defect's number, shown on the pin.
    pub number: i32,
    /// Number, place, description and status, for the tooltip and screen readers.
    pub title: String,
}

/// One inspection of the unit.
#[derive(Debug, Clone)]
pub struct InspectionLine {
    /// Stage name.
    pub stage: &'static str,
    /// Inspector.
    pub inspector: String,
    /// Started, Asia/Shanghai.
    pub started: String,
    /// Verdict (or "running").
    pub verdict: &'static str,
    /// `pass`, `fail`, `running`.
    pub verdict_class: &'static str,
}

/// The inspection and defect part of the unit page.
#[derive(Debug, Clone, Default)]
pub struct UnitExtras {
    /// The floor plan image, when the unit's layout has one.
    pub plan: Option<String>,
    /// Whether the unit has a layout at all.
    pub has_layout: bool,
    /// The pins (cancelled defects and defects without a pin are left out).
    pub pins: Vec<PinView>,
    /// Pending defects without a pin.
    pub unpinned: usize,
    /// Where an administrator uploads the plan.
    pub upload_href: Option<String>,
    /// The unit's inspections, newest first.
    pub inspections: Vec<InspectionLine>,
    /// The link to inspect (inspectors; the property company at takeover): `(href, label)`.
    pub inspect: Option<(String, &'static str)>,
    /// The legend: `(state, label)`.
    pub legend: Vec<(&'static str, &'static str)>,
}

/// The unit page's floor plan with pins, inspections and the inspect link, as `user` may see
/// them (a contractor sees only their own company's defects).
pub async fn unit_extras(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    unit: Uuid,
    project: Uuid,
) -> Result<UnitExtras, AppError> {
    let mut conn = app.db.read().await?;
    let actor = crate::defects::commands::actor(&mut conn, user, project).await?;
    let layout = super::sql::unit_layout(&mut conn, unit).await?;
    let mut filter = Filter {
        unit: Some(unit),
        ..Filter::default()
    };
    if actor.is_contractor_only() {
        filter.contractor = Some(actor.contractor.unwrap_or_default());
    }
    let (defects, _) =
        crate::defects::repo::list(&mut conn, project, &filter, Order::Newest, 500, 0).await?;
    let inspections = crate::inspections::repo::list_by_unit(&mut conn, unit).await?;
    drop(conn);
    let today = clock::local_date(clock::now());
    let mut pins = Vec::new();
    let mut unpinned = 0;
    for d in defects {
        let status = Status::parse(&d.status).unwrap_or(Status::Cancelled);
        let state = match status {
            Status::Cancelled => continue,
            Status::Open | Status::Assigned if is_overdue(status, d.due_on, today) => "overdue",
            Status::Open | Status::Assigned => "open",
            Status::Fixed => "fixed",
            Status::Verified => "verified",
        };
        let (Some(x), Some(y)) = (d.pin_x, d.pin_y) else {
            unpinned += usize::from(status.is_pending());
            continue;
        };
        let place = [d.room.as_str(), d.part.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        pins.push(PinView {
            href: format!("/defects/{}", d.id),
            style: format!("left:{:.2}%;top:{:.2}%", x * 100.0, y * 100.0),
            state,
            number: d.number,
            title: format!(
                "#{} {place} {} · {}",
                d.number,
                d.description,
                l.t(&format!("defect.status.{}", status.as_str()))
            ),
        });
    }
    let roles: Vec<Role> = user.roles_on(project).collect();
    // Inspectors run the self inspection; the property company inspects at takeover.
    let stage = if roles.contains(&Role::Inspector) {
        Some(Stage::SelfInspection)
    } else {
        roles.contains(&Role::Property).then_some(Stage::Takeover)
    };
    let running = inspections
        .iter()
        .any(|i| Some(i.stage.as_str()) == stage.map(Stage::as_str) && i.finished_at.is_none());
    let lines = inspections
        .iter()
        .map(|i| {
            let class = match (i.finished_at, i.verdict.as_deref()) {
                (None, _) => "running",
                (Some(_), Some("pass")) => "pass",
                _ => "fail",
            };
            InspectionLine {
                stage: Stage::parse(&i.stage).map_or("", |s| l.t(&format!("stage.{}", s.as_str()))),
                inspector: i.inspector_name.clone(),
                started: clock::show(i.started_at),
                verdict: l.t(&format!("insp.verdict.{class}")),
                verdict_class: class,
            }
        })
        .collect();
    let admin = roles.contains(&Role::Admin);
    let key = match (stage, running) {
        (Some(Stage::Takeover), true) => "insp.takeover_continue",
        (Some(Stage::Takeover), false) => "insp.takeover_start",
        (_, true) => "insp.continue",
        (_, false) => "insp.start",
    };
    Ok(UnitExtras {
        plan: layout
            .as_ref()
            .and_then(|(id, sha)| sha.as_deref().map(|sha| super::plan_url(*id, sha))),
        has_layout: layout.is_some(),
        pins,
        unpinned,
        upload_href: admin.then(|| format!("/projects/{project}/layouts")),
        inspections: lines,
        inspect: stage.map(|s| (super::place::Place::Unit(unit).page(s), l.t(key))),
        legend: PIN_STATES
            .iter()
            .map(|s| (*s, l.t(&format!("insp.pin.{s}"))))
            .collect(),
    })
}

/// One layout on the upload page.
struct LayoutLine {
    id: Uuid,
    name: String,
    units: i64,
    plan: Option<String>,
    error: Option<String>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "inspections/layouts.html")]
struct LayoutsPage {
    c: Chrome,
    project_id: Uuid,
    layouts: Vec<LayoutLine>,
}

/// Query of the layouts page.
#[derive(Debug, Default, Deserialize)]
pub struct LayoutsQuery {
    /// The layout whose plan was just saved.
    saved: Option<Uuid>,
}

/// The layouts of a project with their floor plans and an upload form each (administrators).
pub async fn layouts(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<LayoutsQuery>,
) -> Result<Response, AppError> {
    render_layouts(&app, &user, l, project, q.saved, None).await
}

async fn render_layouts(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    saved: Option<Uuid>,
    error: Option<(Uuid, String)>,
) -> Result<Response, AppError> {
    user.require(project, &[Role::Admin])?;
    let mut conn = app.db.read().await?;
    let p = crate::org::repo::get_project(&mut conn, project).await?;
    let rows = super::sql::project_layouts(&mut conn, project).await?;
    drop(conn);
    let c = Chrome::new(
        l,
        user,
        l.t("insp.layouts.title"),
        format!("/projects/{project}/layouts"),
    )
    .crumb(l.t("projects.title"), "/projects")
    .crumb(p.name, format!("/projects/{project}"));
    let layouts = rows
        .into_iter()
        .map(|r| LayoutLine {
            plan: r.plan_sha256.as_ref().map(|sha| super::plan_url(r.id, sha)),
            error: error
                .as_ref()
                .filter(|(id, _)| *id == r.id)
                .map(|(_, m)| m.clone()),
            saved: saved == Some(r.id),
            id: r.id,
            name: r.name,
            units: r.units,
        })
        .collect();
    page(&LayoutsPage {
        c,
        project_id: project,
        layouts,
    })
}

/// Stores an uploaded floor plan for a layout: `_csrf` first, then the image `file`.
pub async fn upload_plan(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath((project, layout)): ApiPath<(Uuid, Uuid)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let token = match multipart.next_field().await.map_err(multipart_error)? {
        Some(f) if f.name() == Some("_csrf") => f.text().await.map_err(multipart_error)?,
        _ => return Err(AppError::CsrfRejected),
    };
    check_csrf(&user, Some(token.as_str()))?;
    user.require(project, &[Role::Admin])?;
    let (owner, _) = crate::defects::repo::layout_plan(&mut app.db.read().await?, layout).await?;
    if owner != project {
        return Err(AppError::NotFound);
    }
    match store_plan(&app, layout, &mut multipart).await {
        Ok(()) => Ok(see_other(&format!(
            "/projects/{project}/layouts?saved={layout}#layout-{layout}"
        ))),
        Err(e) => {
            let Some(message) = user_message(l, &e) else {
                return Err(e);
            };
            render_layouts(&app, &user, l, project, None, Some((layout, message))).await
        }
    }
}

/// The same steps as `defects::plans::upload`, on a form already past its CSRF token.
async fn store_plan(
    app: &AppState,
    layout: Uuid,
    multipart: &mut Multipart,
) -> Result<(), AppError> {
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.file_name().is_none() && field.name() != Some("file") {
            continue;
        }
        let bytes = read_photo(field).await?;
        if !bytes.is_empty() && file.is_none() {
            file = Some(bytes);
        }
    }
    let file = file.ok_or_else(|| AppError::field("file", "required"))?;
    let stored = app.photos.ingest(file).await?;
    let mut tx = app.db.begin().await?;
    crate::defects::repo::insert_blob(&mut tx, &stored, clock::now()).await?;
    crate::defects::repo::set_layout_plan(&mut tx, layout, &stored.sha256).await?;
    tx.commit().await
}
