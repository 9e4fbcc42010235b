//! The complaint register (投诉登记) for the tablet: a quick form at the top (unit number,
//! channel chips, content), then the complaints with their status, durations and respond /
//! resolve buttons; the filters live in the URL. Every form calls the JSON API's handler.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::api::{self, ComplaintPage, ComplaintQuery, ComplaintView, NewComplaintBody};
use super::repo::{self, StatusCounts};
use super::{Channel, Status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::defects::pages::{Said, error_text, field, shown_on_page};
use crate::delivery::api::STAFF;
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::{Chrome, form_urlencoded_component, is_local_path};

/// Rows per page of the register.
const PER_PAGE: i64 = 50;

/// Routes of the complaint pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/complaints", get(show).post(create))
        .route("/complaints/{id}/respond", post(respond))
        .route("/complaints/{id}/resolve", post(resolve))
}

/// The register's query: its filters (as typed: a unit number) and the last post's message.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `open`, `responded` or `resolved`.
    pub status: Option<String>,
    /// Unit number.
    pub unit: Option<String>,
    /// Batch id.
    pub batch: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
    /// Message key of the last post.
    pub ok: Option<String>,
}

/// The register's filters, parsed.
#[derive(Debug, Clone, Default)]
struct Filters {
    status: Option<Status>,
    unit: String,
    batch: Option<Uuid>,
    page: i64,
}

impl Filters {
    fn of(q: &PageQuery) -> Self {
        let status = q
            .status
            .as_deref()
            .and_then(|s| Status::ALL.into_iter().find(|x| x.as_str() == s));
        Filters {
            status,
            unit: q.unit.as_deref().unwrap_or_default().trim().to_owned(),
            batch: q.batch.as_deref().and_then(|b| b.parse().ok()),
            page: q.page.unwrap_or(1).clamp(1, 100_000),
        }
    }

    /// The register's address with these filters.
    fn href(&self, project: Uuid) -> String {
        let mut q = Vec::new();
        if let Some(s) = self.status {
            q.push(format!("status={}", s.as_str()));
        }
        if !self.unit.is_empty() {
            q.push(format!("unit={}", form_urlencoded_component(&self.unit)));
        }
        if let Some(b) = self.batch {
            q.push(format!("batch={b}"));
        }
        if self.page > 1 {
            q.push(format!("page={}", self.page));
        }
        let base = format!("/projects/{project}/complaints");
        if q.is_empty() {
            base
        } else {
            format!("{base}?{}", q.join("&"))
        }
    }

    /// These filters with another status (back to page 1).
    fn with_status(&self, status: Option<Status>) -> Self {
        Filters {
            status,
            page: 1,
            ..self.clone()
        }
    }

    /// These filters on another page.
    fn on_page(&self, page: i64) -> Self {
        Filters {
            page,
            ..self.clone()
        }
    }
}

/// A status chip: label with its count, link, whether active.
struct StatusChip {
    label: String,
    href: String,
    on: bool,
}

/// A complaint as a row of the register.
struct Row {
    v: ComplaintView,
    /// Name of the row's forms (`c-<id>`), also its anchor.
    form: String,
    channel: &'static str,
    status: &'static str,
    received: String,
    response: String,
    resolution: String,
}

#[derive(Template)]
#[template(path = "delivery/complaints.html")]
struct RegisterPage {
    c: Chrome,
    project: Uuid,
    staff: bool,
    said: Said,
    channels: Vec<(&'static str, &'static str)>,
    chips: Vec<StatusChip>,
    batches: Vec<(Uuid, String)>,
    batch: Option<Uuid>,
    /// The status filter, kept by the filter form.
    status: Option<&'static str>,
    unit: String,
    /// The unit typed in the filter is not one of the project's.
    unit_unknown: bool,
    unit_numbers: Vec<String>,
    rows: Vec<Row>,
    /// Catalog key of the empty state (no complaint at all, or none under the filters).
    empty: &'static str,
    /// The current address (the row forms come back to it).
    here: String,
    prev: Option<String>,
    next: Option<String>,
    page_text: String,
}

impl RegisterPage {
    /// Whether the batch filter is `id`.
    fn batch_on(&self, id: &Uuid) -> bool {
        self.batch == Some(*id)
    }
}

/// A duration in minutes as words: `35 分钟`, `2 小时 5 分`, `1 天 3 小时`.
pub fn duration(l: Locale, minutes: Option<i64>) -> String {
    let Some(m) = minutes else {
        return "—".to_owned();
    };
    let (d, h, m) = (m / 1440, m % 1440 / 60, m % 60);
    match (d, h) {
        (0, 0) => l.fmt1("complaint.duration.m", "m", &m.to_string()),
        (0, h) => l.fmt(
            "complaint.duration.hm",
            &[("h", &h.to_string()), ("m", &m.to_string())],
        ),
        (d, h) => l.fmt(
            "complaint.duration.dh",
            &[("d", &d.to_string()), ("h", &h.to_string())],
        ),
    }
}

fn row(l: Locale, v: ComplaintView) -> Row {
    Row {
        form: format!("c-{}", v.id),
        channel: v.channel.label(l),
        status: v.status.label(l),
        received: clock::show(v.received_at),
        response: duration(l, v.response_minutes),
        resolution: duration(l, v.resolution_minutes),
        v,
    }
}

fn chips(l: Locale, project: Uuid, f: &Filters, counts: &StatusCounts) -> Vec<StatusChip> {
    let all = StatusChip {
        label: format!("{} {}", l.t("complaint.all"), counts.of(None)),
        href: f.with_status(None).href(project),
        on: f.status.is_none(),
    };
    let each = Status::ALL.into_iter().map(|s| StatusChip {
        label: format!("{} {}", s.label(l), counts.of(Some(s))),
        href: f.with_status(Some(s)).href(project),
        on: f.status == Some(s),
    });
    std::iter::once(all).chain(each).collect()
}

/// The complaint register of a project.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "complaint.ok", "top", q.ok.as_deref());
    render(&app, &user, l, project, Filters::of(&q), said).await
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    f: Filters,
    said: Said,
) -> Result<Response, AppError> {
    user.require_visible(project)?;
    let staff = user.roles_on(project).any(|r| STAFF.contains(&r));
    let mut conn = app.db.read().await?;
    let (name, _) = crate::org::repo::project_head(&mut conn, project).await?;
    let unit = match f.unit.as_str() {
        "" => None,
        number => Some(repo::unit_by_number(&mut conn, project, number).await?),
    };
    let batches = crate::org::repo::list_batches(&mut conn, &[project])
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let unit_numbers = if staff {
        repo::unit_numbers(&mut conn, project).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let unit_unknown = unit == Some(None);
    let listing = if unit_unknown {
        None
    } else {
        Some(list(app, project, &f, unit.flatten()).await?)
    };
    let here = f.href(project);
    let c = Chrome::new(l, user, l.t("complaint.title"), here.clone())
        .crumb(l.t("projects.title"), "/projects")
        .crumb(name, format!("/projects/{project}"));
    page(&assemble(
        (c, l, project, staff, said),
        &f,
        (batches, unit_numbers, unit_unknown),
        listing,
    ))
}

async fn list(
    app: &AppState,
    project: Uuid,
    f: &Filters,
    unit: Option<Uuid>,
) -> Result<ComplaintPage, AppError> {
    let q = ComplaintQuery {
        status: f.status,
        unit,
        batch: f.batch,
        page: Some(f.page),
        per_page: Some(PER_PAGE),
    };
    api::list_page(app, project, &q).await
}

#[allow(clippy::type_complexity)]
fn assemble(
    (c, l, project, staff, said): (Chrome, Locale, Uuid, bool, Said),
    f: &Filters,
    (batches, unit_numbers, unit_unknown): (Vec<(Uuid, String)>, Vec<String>, bool),
    listing: Option<ComplaintPage>,
) -> RegisterPage {
    let listing = listing.unwrap_or(ComplaintPage {
        total: 0,
        page: 1,
        per_page: PER_PAGE,
        counts: StatusCounts::default(),
        items: Vec::new(),
    });
    let pages = ((listing.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page_no = listing.page;
    RegisterPage {
        chips: chips(l, project, f, &listing.counts),
        channels: Channel::ALL
            .into_iter()
            .map(|ch| (ch.as_str(), ch.label(l)))
            .collect(),
        prev: (page_no > 1).then(|| f.on_page(page_no - 1).href(project)),
        next: (page_no < pages).then(|| f.on_page(page_no + 1).href(project)),
        page_text: l.fmt(
            "complaint.page",
            &[
                ("page", &page_no.to_string()),
                ("pages", &pages.to_string()),
            ],
        ),
        empty: if f.status.is_some() || !f.unit.is_empty() || f.batch.is_some() {
            "complaint.empty_filtered"
        } else {
            "complaint.empty"
        },
        rows: listing.items.into_iter().map(|v| row(l, v)).collect(),
        here: f.href(project),
        batch: f.batch,
        status: f.status.map(Status::as_str),
        unit: f.unit.clone(),
        c,
        project,
        staff,
        said,
        batches,
        unit_unknown,
        unit_numbers,
    }
}

/// A complaint failure as a sentence that says what to do next.
fn complaint_error(l: Locale, e: &AppError) -> String {
    let AppError::Invalid(fields) = e else {
        return error_text(l, e);
    };
    let known: Vec<&str> = fields
        .iter()
        .filter_map(|f| match (f.field.as_str(), f.code) {
            ("unit_id" | "unit_number", _) => Some("complaint.error.unit"),
            ("content", _) => Some("complaint.error.content"),
            ("resolution", _) => Some("complaint.error.resolution"),
            (_, "before_received") => Some("complaint.error.before_received"),
            (_, "before_response") => Some("complaint.error.before_response"),
            (_, "in_future") => Some("complaint.error.in_future"),
            (_, "invalid_date") => Some("complaint.error.time"),
            _ => None,
        })
        .map(|k| l.t(k))
        .collect();
    if known.len() == fields.len() {
        known.join(" ")
    } else {
        error_text(l, e)
    }
}

/// A failure of `form` with the fields as typed.
fn failed(l: Locale, form: &str, e: &AppError, kept: HashMap<String, String>) -> Said {
    let mut said = Said::failed(l, form, e, kept);
    if let Some(flash) = said.flash.as_mut() {
        flash.text = complaint_error(l, e);
    }
    said
}

/// A `datetime-local` value (`2026-12-18T09:30`, Asia/Shanghai); empty is none.
fn local_time(value: &str) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let t = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::field("received_at", "invalid_date"))?;
    Ok(clock::shanghai()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc)))
}

/// Registers a complaint from the form at the top of the register.
pub async fn create(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(project): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        user.require(project, STAFF)?;
        let number = field(&form, "unit_number");
        let unit = repo::unit_by_number(&mut app.db.read().await?, project, &number)
            .await?
            .ok_or_else(|| AppError::field("unit_number", "unknown"))?;
        let channel = Channel::parse(&field(&form, "channel"))
            .ok_or_else(|| AppError::field("channel", "required"))?;
        let body = NewComplaintBody {
            id: field(&form, "id").parse().ok(),
            unit_id: unit,
            channel,
            content: field(&form, "content"),
            received_at: local_time(&field(&form, "received_at"))?,
            handler_id: None,
        };
        api::create(
            State(app.clone()),
            user.clone(),
            ApiPath(project),
            ApiJson(body),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/projects/{project}/complaints?ok=created"
        ))),
        Err(e) if shown_on_page(&e) => {
            let said = failed(l, "new", &e, form);
            render(&app, &user, l, project, Filters::default(), said).await
        }
        Err(e) => Err(e),
    }
}

/// Where a row form comes back to: its `back` field when it is this project's register.
fn back(form: &HashMap<String, String>, project: Uuid) -> (String, Filters) {
    let base = format!("/projects/{project}/complaints");
    let back = field(form, "back");
    let back = if is_local_path(&back) && back.starts_with(&base) {
        back
    } else {
        base
    };
    let query = back.split_once('?').map_or("", |(_, q)| q);
    let q: PageQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    (back, Filters::of(&q))
}

/// Comes back to the register after a row's post: `?ok=` when it worked, the message on the
/// row when it did not.
async fn answer(
    app: &AppState,
    (user, l): (&CurrentUser, Locale),
    id: Uuid,
    form: HashMap<String, String>,
    result: Result<ComplaintView, AppError>,
) -> Result<Response, AppError> {
    let project = repo::get(&mut app.db.read().await?, id).await?.project_id;
    let (to, filters) = back(&form, project);
    match result {
        Ok(v) => {
            let sep = if to.contains('?') { '&' } else { '?' };
            let ok = match v.status {
                Status::Resolved => "resolved",
                _ => "responded",
            };
            Ok(see_other(&format!("{to}{sep}ok={ok}#c-{id}")))
        }
        Err(e) if shown_on_page(&e) => {
            let said = failed(l, &format!("c-{id}"), &e, form);
            render(app, user, l, project, filters, said).await
        }
        Err(e) => Err(e),
    }
}

/// Marks the first response to a complaint (now).
pub async fn respond(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::RespondBody::default();
    let result = api::respond(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body))
        .await
        .map(|j| j.0);
    answer(&app, (&user, l), id, form, result).await
}

/// Resolves a complaint (now) with the resolution typed on its row.
pub async fn resolve(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::ResolveBody {
        resolution: field(&form, "resolution"),
        at: None,
    };
    let result = api::resolve(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body))
        .await
        .map(|j| j.0);
    answer(&app, (&user, l), id, form, result).await
}
