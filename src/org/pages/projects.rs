//! My projects, the project overview with the status map, the unit page and the QR sheet.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::org::UnitStatus;
use crate::org::api::UnitView;
use crate::org::map::{MapFilter, StatusMap};
use crate::org::repo::{self, BatchRow, ProjectRow};
use crate::pages::{Chrome, form_urlencoded_component};

#[derive(Template)]
#[template(path = "org/projects.html")]
struct ProjectsPage {
    c: Chrome,
    projects: Vec<ProjectRow>,
    can_create: bool,
}

/// My projects.
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
) -> Result<Response, AppError> {
    let projects = repo::list_projects(&mut app.db.read().await?, &user.project_ids()).await?;
    let c = Chrome::new(l, &user, l.t("projects.title"), uri.to_string());
    page(&ProjectsPage {
        c,
        projects,
        can_create: user.is_any_admin(),
    })
}

/// One filter chip of the map.
pub struct Chip {
    /// Label.
    pub label: String,
    /// Link with the filter applied.
    pub href: String,
    /// Units behind it.
    pub count: usize,
    /// CSS state class (`st-ready`), empty for building chips.
    pub class: String,
    /// Whether it is the active filter.
    pub on: bool,
}

#[derive(Template)]
#[template(path = "org/project.html")]
struct OverviewPage {
    c: Chrome,
    /// The project's takeovers with their countdowns and overdue items (not cached: they
    /// change without touching the map).
    takeovers: Vec<crate::takeovers::api::TakeoverSummary>,
    /// Handover-day links: complaint register, live boards (by role).
    handover: crate::delivery::board::pages::ProjectLinks,
}

impl OverviewPage {
    fn countdown(&self, days: &i64) -> String {
        crate::takeovers::pages::countdown(self.c.l, *days)
    }

    fn overdue(&self, o: &crate::takeovers::api::Overdue) -> String {
        crate::takeovers::pages::overdue_text(self.c.l, o)
    }
}

/// Where the cached body goes in the rendered frame of the overview page.
const BODY_SLOT: &str = "<!--handover:body-->";

/// The body of the overview: figures, batches, the filter chips and the map.
#[derive(Template)]
#[template(path = "org/project_body.html")]
struct OverviewBody<'a> {
    l: Locale,
    project: &'a ProjectRow,
    map: &'a StatusMap,
    chips: MapChips,
    /// Batches with their self-inspection coverage (units inspected, planned units).
    batches: Vec<(BatchRow, (i64, i64))>,
    is_admin: bool,
    /// Self-inspection coverage: units inspected, units.
    coverage: (i64, i64),
}

impl OverviewBody<'_> {
    fn t(&self, key: &str) -> &'static str {
        self.l.t(key)
    }

    /// Coverage as `78.3%`, or `—` without units.
    fn rate(&self, coverage: &(i64, i64)) -> String {
        let (done, all) = *coverage;
        if all == 0 {
            "—".to_owned()
        } else {
            format!("{:.1}%", done as f64 * 100.0 / all as f64)
        }
    }

    fn n(&self, n: &i64) -> String {
        self.l.count(*n)
    }

    fn status_label(&self, s: &UnitStatus) -> &'static str {
        s.label(self.l)
    }

    fn icon(&self, s: &UnitStatus) -> &'static str {
        status_icon(*s)
    }
}

/// Icon of a state, so a cell never relies on colour alone.
pub fn status_icon(s: UnitStatus) -> &'static str {
    match s {
        UnitStatus::NotInspected => "○",
        UnitStatus::Inspecting => "◐",
        UnitStatus::DefectsOpen => "!",
        UnitStatus::Ready => "✓",
        UnitStatus::Delivered => "★",
        UnitStatus::Refused => "✕",
        UnitStatus::OnlyLooked => "◇",
    }
}

/// The map's URL with `filter` (its language left out: the page keeps it in a cookie).
fn map_href(id: Uuid, filter: &MapFilter) -> String {
    let mut q = Vec::new();
    if let Some(s) = filter.status {
        q.push(format!("status={}", s.as_str()));
    }
    if let Some(b) = &filter.building {
        q.push(format!("building={}", form_urlencoded_component(b)));
    }
    if let Some(t) = filter.trade {
        q.push(format!("trade={}", t.as_str()));
    }
    let q = if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    };
    format!("/projects/{id}{q}")
}

/// The map's filter chips, each with its count.
struct MapChips {
    states: Vec<Chip>,
    buildings: Vec<Chip>,
    trades: Vec<Chip>,
}

/// The filter chips of the map: one per state, building and trade, each with its count; a chip
/// changes its own dimension and keeps the others.
fn chips(l: Locale, id: Uuid, map: &StatusMap, filter: &MapFilter) -> MapChips {
    let with = |change: &dyn Fn(&mut MapFilter)| {
        let mut f = filter.clone();
        change(&mut f);
        map_href(id, &f)
    };
    let b = filter.building.as_deref();
    let mut states = vec![Chip {
        label: l.t("map.all").into(),
        href: with(&|f| f.status = None),
        count: map.counts.iter().map(|c| c.count).sum(),
        class: String::new(),
        on: filter.status.is_none(),
    }];
    states.extend(map.counts.iter().map(|sc| Chip {
        label: format!("{} {}", status_icon(sc.status), sc.status.label(l)),
        href: with(&|f| f.status = Some(sc.status)),
        count: sc.count,
        class: format!("st-{}", sc.status.as_str()),
        on: filter.status == Some(sc.status),
    }));
    let mut buildings = vec![Chip {
        label: l.t("map.all_buildings").into(),
        href: with(&|f| f.building = None),
        count: map.total,
        class: String::new(),
        on: b.is_none(),
    }];
    buildings.extend(map.buildings.iter().map(|mb| Chip {
        label: l.fmt("map.building", &[("name", &mb.name)]),
        href: with(&|f| f.building = Some(mb.name.clone())),
        count: mb.total,
        class: String::new(),
        on: b == Some(mb.name.as_str()),
    }));
    let mut trades = vec![Chip {
        label: l.t("map.all_trades").into(),
        href: with(&|f| f.trade = None),
        count: map.counts.iter().map(|c| c.count).sum(),
        class: String::new(),
        on: filter.trade.is_none(),
    }];
    trades.extend(map.trades.iter().map(|tc| Chip {
        label: tc.trade.label(l).into(),
        href: with(&|f| f.trade = Some(tc.trade)),
        count: tc.count,
        class: String::new(),
        on: filter.trade == Some(tc.trade),
    }));
    MapChips {
        states,
        buildings,
        trades,
    }
}

/// The project overview: figures, batches and the unit status map with filters.
pub async fn overview(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(filter): ApiQuery<MapFilter>,
) -> Result<Response, AppError> {
    user.require_visible(id)?;
    let is_admin = user.roles_on(id).any(|r| r == Role::Admin);
    let mut conn = app.db.read().await?;
    let (name, version) = repo::project_head(&mut conn, id).await?;
    let key = filter.cache_key(&format!("page-{}-{is_admin}", l.tag()));
    let body = match app.maps.rendered(id, version, &key) {
        Some(body) => body,
        None => {
            let project = repo::get_project(&mut conn, id).await?;
            let cells = repo::status_map_cached(&mut conn, &app.maps, id, version).await?;
            let mut batches = Vec::new();
            for b in repo::list_batches(&mut conn, &[id]).await? {
                let cov = crate::inspections::repo::coverage(&mut conn, id, Some(b.id)).await?;
                batches.push((b, cov));
            }
            let coverage = crate::inspections::repo::coverage(&mut conn, id, None).await?;
            let map = StatusMap::build(id, &cells, &filter);
            let chips = chips(l, id, &map, &filter);
            let body = OverviewBody {
                l,
                project: &project,
                map: &map,
                chips,
                batches,
                is_admin,
                coverage,
            };
            let body = Bytes::from(
                body.render()
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?,
            );
            app.maps.put_rendered(id, version, key, body.clone());
            body
        }
    };
    drop(conn);
    let c = Chrome::new(l, &user, name, uri.to_string()).crumb(l.t("projects.title"), "/projects");
    // The body is spliced in rather than passed through the template: it is large and cached.
    let axum::Json(takeovers) =
        crate::takeovers::api::list_project(State(app.clone()), user.clone(), ApiPath(id)).await?;
    let handover = crate::delivery::board::pages::project_links(&app, &user, id).await?;
    let frame = OverviewPage {
        c,
        takeovers,
        handover,
    }
    .render()
    .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let (before, after) = frame.split_once(BODY_SLOT).unwrap_or((&frame, ""));
    let mut html = Vec::with_capacity(frame.len() + body.len());
    html.extend_from_slice(before.as_bytes());
    html.extend_from_slice(&body);
    html.extend_from_slice(after.as_bytes());
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Template)]
#[template(path = "org/unit.html")]
struct UnitPage {
    c: Chrome,
    unit: UnitView,
    location: String,
    qr: String,
    /// Roster last changed, Asia/Shanghai.
    updated_at: String,
    is_admin: bool,
    saved: bool,
    /// Floor plan with the defects' pins, the unit's inspections, the link to inspect.
    insp: crate::inspections::pages::UnitExtras,
    /// The customer links section (HTML; empty unless the user runs handover day).
    customer_links: String,
}

/// An SVG QR code of `url`.
pub fn qr_svg(url: &str, px: u32) -> Result<String, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(e.into()))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(px, px)
        .quiet_zone(true)
        .build())
}

/// The unit page: location, area, layout, buyers (phones masked), the floor plan with a pin per
/// defect, the unit's inspections and the link to inspect, its QR code.
pub async fn unit(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let row = repo::get_unit(&mut conn, id).await?;
    user.require_visible(row.project_id)?;
    let buyers = repo::buyers_of(&mut conn, id).await?;
    drop(conn);
    let insp = crate::inspections::pages::unit_extras(&app, &user, l, id, row.project_id).await?;
    let customer_links =
        crate::delivery::customer::staff::unit_section(&app, &user, l, (id, row.project_id))
            .await?;
    let project_name = row.project_name.clone();
    let building = row.building.clone();
    let updated_at = crate::clock::show(row.updated_at);
    let unit = UnitView::new(row, buyers);
    let is_admin = user.roles_on(unit.project_id).any(|r| r == Role::Admin);
    let saved = uri.query().is_some_and(|q| q.contains("saved=1"));
    let qr = qr_svg(&format!("{}/units/{}", app.config.public_url, unit.id), 160)?;
    let c = Chrome::new(l, &user, unit.number.clone(), uri.to_string())
        .crumb(project_name, format!("/projects/{}", unit.project_id))
        .crumb(
            l.fmt("map.building", &[("name", &building)]),
            map_href(
                unit.project_id,
                &MapFilter {
                    building: Some(building.clone()),
                    ..MapFilter::default()
                },
            ),
        );
    let floor = unit.floor.to_string();
    let location = l.fmt(
        "unit.location_value",
        &[
            ("building", &unit.building),
            ("entrance", &unit.entrance),
            ("floor", &floor),
            ("room", &unit.room),
        ],
    );
    page(&UnitPage {
        c,
        unit,
        location,
        qr,
        updated_at,
        is_admin,
        saved,
        insp,
        customer_links,
    })
}

impl UnitPage {
    fn status_label(&self) -> &'static str {
        self.unit.status.label(self.c.l)
    }
}

/// Which building's QR sheet to print.
#[derive(Debug, serde::Deserialize)]
pub struct QrQuery {
    /// Building name.
    pub building: Option<String>,
}

#[derive(Template)]
#[template(path = "org/qr.html")]
struct QrPage {
    c: Chrome,
    project_id: Uuid,
    buildings: Vec<String>,
    building: String,
    codes: Vec<(String, String)>,
}

/// Printable sheet of QR codes, one per unit of a building; each opens the unit page.
pub async fn qr_sheet(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> Result<Response, AppError> {
    user.require_visible(id)?;
    let mut conn = app.db.read().await?;
    let project = repo::get_project(&mut conn, id).await?;
    let buildings: Vec<String> = repo::list_buildings(&mut conn, id)
        .await?
        .into_iter()
        .map(|b| b.name)
        .collect();
    let version = repo::map_version(&mut conn, id).await?;
    let cells = repo::status_map_cached(&mut conn, &app.maps, id, version).await?;
    drop(conn);
    let building = q
        .building
        .or_else(|| buildings.first().cloned())
        .unwrap_or_default();
    let mut codes = Vec::new();
    for cell in cells.iter().filter(|c| c.building == building) {
        codes.push((
            cell.number.clone(),
            qr_svg(&format!("{}/units/{}", app.config.public_url, cell.id), 140)?,
        ));
    }
    codes.sort_by(|a, b| a.0.cmp(&b.0));
    let title = l.fmt("qr.title", &[("building", &building)]);
    let c = Chrome::new(l, &user, title, uri.to_string())
        .crumb(l.t("projects.title"), "/projects")
        .crumb(project.name, format!("/projects/{id}"));
    page(&QrPage {
        c,
        project_id: id,
        buildings,
        building,
        codes,
    })
}
