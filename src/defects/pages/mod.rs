//! HTML pages of defects: the project's defect list (filters in the URL, status chips, bulk
//! assignment, the Excel download), one defect with its photos, history and the actions the
//! viewer may take, "my work", the contractor's defects to fix, the re-inspection page and the
//! fix presets. Every page reads and writes through [`super::commands`] and [`super::api`], so
//! the rules are the API's.

mod detail;
mod forms;
mod list;
mod presets;
mod reinspect;
mod work;

pub use forms::{
    Flash, Said, both, date, error_text, field, id_field, parse_command, shown_on_page,
};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use uuid::Uuid;

use super::api::{DefectView, PhotoView};
use super::commands::MAX_PHOTOS_PER_UPLOAD;
use super::{Severity, Status};
use crate::app::AppState;
use crate::checklists::Trade;
use crate::i18n::Locale;
use crate::org::repo::ContractorRow;

/// Rows per page of the defect list and the re-inspection page.
const PAGE_SIZE: i64 = 50;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    let upload_limit =
        DefaultBodyLimit::max(crate::photos::MAX_BYTES * MAX_PHOTOS_PER_UPLOAD + 64 * 1024);
    Router::new()
        .route("/projects/{id}/defects", get(list::show))
        .route("/projects/{id}/defects.xlsx", get(list::export))
        .route(
            "/projects/{id}/defects/bulk-assign",
            post(list::bulk_assign),
        )
        .route("/defects/{id}", get(detail::show))
        .route(
            "/defects/{id}/fixed",
            post(detail::mark_fixed).layer(upload_limit),
        )
        .route("/defects/{id}/{action}", post(detail::act))
        .route("/me/work", get(work::my_work))
        .route("/me/defects", get(work::my_defects))
        .route("/projects/{id}/reinspect", get(reinspect::show))
        .route(
            "/projects/{id}/reinspect/{defect}/{action}",
            post(reinspect::act),
        )
        .route(
            "/projects/{id}/fix-presets",
            get(presets::show).post(presets::set),
        )
        .route(
            "/projects/{id}/fix-presets/{preset}/delete",
            post(presets::delete),
        )
        .route("/static/defects.js", get(script))
}

/// The little script of these pages: "select all", photo previews, no double submit.
async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/defects.js"),
    )
}

/// A defect as a row of a page: every label already in the page's language.
#[derive(Debug, Clone)]
pub struct Row {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Unit, when it is in one.
    pub unit_id: Option<Uuid>,
    /// Number within the project.
    pub number: i32,
    /// Thumbnail of the first "before" photo (page route).
    pub thumb: Option<String>,
    /// Unit number or common area name.
    pub location: String,
    /// Room and part (`客厅 · 墙面`).
    pub room_part: String,
    /// Trade, as a label.
    pub trade: &'static str,
    /// What is wrong.
    pub description: String,
    /// Severity (wire name, for the CSS class).
    pub severity: String,
    /// Severity label.
    pub severity_label: &'static str,
    /// Status (wire name).
    pub status: Status,
    /// Status label.
    pub status_label: &'static str,
    /// Contractor name, or empty.
    pub contractor: String,
    /// Due date, `2026-12-01`, or empty.
    pub due: String,
    /// Past due and still waiting on the contractor.
    pub overdue: bool,
    /// Failed re-inspections.
    pub send_backs: i32,
    /// Who recorded it.
    pub raised_by: String,
    /// Recorded at, Asia/Shanghai.
    pub created_at: String,
    /// Stage found, as a label.
    pub stage_label: &'static str,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The contractor's id, for the assign form.
    pub contractor_id: Option<Uuid>,
}

impl Row {
    /// The row of `d` in `l`.
    pub fn new(d: DefectView, l: Locale) -> Self {
        let status = Status::parse(&d.status).unwrap_or(Status::Cancelled);
        let location = d
            .unit_number
            .clone()
            .or_else(|| d.area_name.clone())
            .unwrap_or_default();
        let room_part = [d.room.as_str(), d.part.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        Row {
            id: d.id,
            project_id: d.project_id,
            unit_id: d.unit_id,
            number: d.number,
            thumb: d.thumb_url.as_deref().map(page_photo_url),
            location,
            room_part,
            trade: Trade::parse(&d.trade).map_or("", |t| t.label(l)),
            severity_label: Severity::parse(&d.severity)
                .map_or("", |s| l.t(&format!("defect.severity.{}", s.as_str()))),
            severity: d.severity,
            status,
            status_label: status_label(l, status),
            contractor: d.contractor_name.unwrap_or_default(),
            due: d.due_on.map(|x| x.to_string()).unwrap_or_default(),
            overdue: d.overdue,
            send_backs: d.send_backs,
            raised_by: d.raised_by_name,
            created_at: crate::clock::show(d.created_at),
            stage_label: l.t(&format!("stage.{}", d.stage)),
            cancel_reason: d.cancel_reason,
            contractor_id: d.contractor_id,
            description: d.description,
        }
    }

    /// CSS class of the status badge: colour by status, red when overdue.
    pub fn badge(&self) -> String {
        badge_class(self.status, self.overdue)
    }

    /// The wire name of the status.
    pub fn status_str(&self) -> &'static str {
        self.status.as_str()
    }

    /// Whether it can still be (re)assigned.
    pub fn assignable(&self) -> bool {
        matches!(self.status, Status::Open | Status::Assigned)
    }

    /// The re-inspection page of this defect (its unit only, when it is in one).
    pub fn reinspect_href(&self) -> String {
        match self.unit_id {
            Some(u) => format!(
                "/projects/{}/reinspect?unit={u}#d-{}",
                self.project_id, self.id
            ),
            None => format!("/projects/{}/reinspect#d-{}", self.project_id, self.id),
        }
    }
}

/// The label of a status in `l`.
pub fn status_label(l: Locale, s: Status) -> &'static str {
    l.t(&format!("defect.status.{}", s.as_str()))
}

/// CSS class of a status badge.
pub fn badge_class(s: Status, overdue: bool) -> String {
    if overdue {
        "dbadge dst-overdue".to_owned()
    } else {
        format!("dbadge dst-{}", s.as_str())
    }
}

/// `/api/v1/photos/{id}/thumb` (what [`DefectView`] carries) as the cookie-authenticated page
/// route `/photos/{id}/thumb`.
fn page_photo_url(api: &str) -> String {
    api.strip_prefix("/api/v1").unwrap_or(api).to_owned()
}

/// A photo of a defect on a page: its thumbnail and the preview it opens.
#[derive(Debug, Clone)]
pub struct Photo {
    /// 320 px thumbnail.
    pub thumb: String,
    /// 1600 px preview.
    pub preview: String,
}

impl From<&PhotoView> for Photo {
    fn from(p: &PhotoView) -> Self {
        Photo {
            thumb: format!("/photos/{}/thumb", p.id),
            preview: format!("/photos/{}/preview", p.id),
        }
    }
}

/// Splits photos into before and after, in upload order.
pub fn before_after(photos: &[PhotoView]) -> (Vec<Photo>, Vec<Photo>) {
    let pick = |phase: &str| {
        photos
            .iter()
            .filter(|p| p.phase == phase)
            .map(Photo::from)
            .collect()
    };
    (pick("before"), pick("after"))
}

/// The contractors a defect can be given to (construction companies, not supervisors).
pub fn fixers(all: &[ContractorRow]) -> Vec<ContractorRow> {
    all.iter()
        .filter(|c| c.kind == "construction")
        .cloned()
        .collect()
}

/// Today on the Shanghai calendar, `2026-12-01` (the lowest due date a form offers).
pub fn today() -> String {
    crate::clock::local_date(crate::clock::now()).to_string()
}

/// "Page 2 of 5" in `l`.
pub fn page_label(l: Locale, page: i64, pages: i64) -> String {
    l.fmt(
        "defects.page",
        &[("page", &l.count(page)), ("pages", &l.count(pages))],
    )
}
