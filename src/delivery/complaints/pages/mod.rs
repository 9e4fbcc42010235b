//! The complaint register (投诉登记) for the tablet: a quick form at the top (unit number,
//! channel chips, content), then the complaints with their status, durations and respond /
//! resolve buttons; the filters live in the URL. Every form calls the JSON API's handler.

mod filters;
mod forms;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::api::{self, ComplaintPage, ComplaintQuery, ComplaintView};
use super::repo::{self, StatusCounts};
use super::{Channel, Status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::defects::pages::Said;
use crate::delivery::api::STAFF;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page};
use crate::i18n::Locale;
use crate::pages::Chrome;
use filters::{Filters, PageQuery, StatusChip, chips};
use forms::{create, resolve, respond};

/// Rows per page of the register.
const PER_PAGE: i64 = 50;

/// Routes of the complaint pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/complaints", get(show).post(create))
        .route("/complaints/{id}/respond", post(respond))
        .route("/complaints/{id}/resolve", post(resolve))
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

/// A duration in minutes as words: `35 分钟`, `2 小时 5 分钟`, `1 天 3 小时`.
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
    // A unit number that is not the project's lists nothing (and says so).
    let listing = match unit {
        Some(None) => None,
        unit => Some(list(app, project, &f, unit.flatten()).await?),
    };
    let c = Chrome::new(l, user, l.t("complaint.title"), f.href(project))
        .crumb(l.t("projects.title"), "/projects")
        .crumb(name, format!("/projects/{project}"));
    let frame = Frame {
        c,
        project,
        staff,
        said,
        batches,
        unit_numbers,
    };
    page(&frame.register(&f, listing))
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

/// What the register shows around the list.
struct Frame {
    c: Chrome,
    project: Uuid,
    /// May register and handle complaints.
    staff: bool,
    said: Said,
    /// The project's batches (the batch filter).
    batches: Vec<(Uuid, String)>,
    /// The project's unit numbers (the form's suggestions, for staff).
    unit_numbers: Vec<String>,
}

impl Frame {
    /// The register page with `listing` under filters `f` (none: the unit filter is unknown).
    fn register(self, f: &Filters, listing: Option<ComplaintPage>) -> RegisterPage {
        let (l, project) = (self.c.l, self.project);
        let unit_unknown = listing.is_none();
        let listing = listing.unwrap_or(ComplaintPage {
            total: 0,
            page: 1,
            per_page: PER_PAGE,
            counts: StatusCounts::default(),
            items: Vec::new(),
        });
        let pages = ((listing.total + PER_PAGE - 1) / PER_PAGE).max(1);
        let page_no = listing.page;
        let filtered = f.status.is_some() || !f.unit.is_empty() || f.batch.is_some();
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
            empty: if filtered {
                "complaint.empty_filtered"
            } else {
                "complaint.empty"
            },
            rows: listing.items.into_iter().map(|v| row(l, v)).collect(),
            here: f.href(project),
            batch: f.batch,
            status: f.status.map(Status::as_str),
            unit: f.unit.clone(),
            unit_unknown,
            c: self.c,
            project,
            staff: self.staff,
            said: self.said,
            batches: self.batches,
            unit_numbers: self.unit_numbers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_hours_or_days() {
        let l = Locale::ZhCn;
        assert_eq!(duration(l, None), "—");
        assert_eq!(duration(l, Some(35)), "35 分钟");
        assert_eq!(duration(l, Some(125)), "2 小时 5 分钟");
        assert_eq!(duration(l, Some(1440 + 3 * 60 + 7)), "1 天 3 小时");
        assert_eq!(duration(Locale::En, Some(125)), "2 h 5 min");
    }
}
