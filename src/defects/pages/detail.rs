//! One defect: what and where, the before and after photos side by side, the full history, and
//! the actions the viewer may take (assign, cancel, verify or send back, mark fixed with the
//! after photos).

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::response::Response;
use uuid::Uuid;

use super::{Photo, Row, Said, before_after, fixers, shown_on_page, status_label};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::defects::api::{DefectView, PhotoView};
use crate::defects::commands::{self, Command, MAX_PHOTOS_PER_UPLOAD};
use crate::defects::repo::{self, EventRow};
use crate::defects::{Action, Status};
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page, read_text, see_other};
use crate::i18n::Locale;
use crate::org::repo::{self as org_repo, ContractorRow};
use crate::pages::Chrome;
use crate::photos::upload::{multipart_error, read_photo};

/// One entry of the history as the page shows it.
pub struct HistoryRow {
    /// When, Asia/Shanghai.
    pub at: String,
    /// Who.
    pub who: String,
    /// From status (none for the creation).
    pub from: Option<&'static str>,
    /// To status.
    pub to: &'static str,
    /// CSS class of the "to" badge.
    pub to_class: String,
    /// Contractor and due date after an assignment.
    pub detail: String,
    /// Note or reason.
    pub note: String,
}

impl HistoryRow {
    fn new(e: EventRow, l: Locale) -> Self {
        let to = Status::parse(&e.to_status).unwrap_or(Status::Cancelled);
        let detail = match (to, &e.contractor_name) {
            (Status::Assigned, Some(name)) => {
                let due = e.due_on.map(|d| d.to_string()).unwrap_or_default();
                l.fmt(
                    "defects.history.assigned_to",
                    &[("name", name.as_str()), ("due", &due)],
                )
            }
            _ => String::new(),
        };
        HistoryRow {
            at: crate::clock::show(e.at),
            who: e.actor_name,
            from: e
                .from_status
                .as_deref()
                .and_then(Status::parse)
                .map(|s| status_label(l, s)),
            to: status_label(l, to),
            to_class: super::badge_class(to, false),
            detail,
            note: e.note,
        }
    }
}

#[derive(Template)]
#[template(path = "defects/detail.html")]
struct DetailPage {
    c: Chrome,
    d: Row,
    before: Vec<Photo>,
    after: Vec<Photo>,
    history: Vec<HistoryRow>,
    can_assign: bool,
    can_cancel: bool,
    can_verify: bool,
    can_fix: bool,
    fixers: Vec<ContractorRow>,
    said: Said,
    today: String,
    /// The customer's word on the fix of a handover-day issue (HTML; empty when none).
    customer_feedback: String,
}

impl DetailPage {
    fn title_label(&self) -> String {
        title(self.c.l, self.d.number)
    }

    /// The contractor the assign form proposes: as typed, else the current one.
    fn fixer_selected(&self, id: &Uuid) -> bool {
        let kept = self.said.kept_for("assign", "contractor_id");
        if kept.is_empty() {
            self.d.contractor_id == Some(*id)
        } else {
            kept == id.to_string()
        }
    }

    fn due_value(&self) -> &str {
        if self.said.for_form("assign").is_some() {
            self.said.kept("due_on")
        } else {
            &self.d.due
        }
    }

    /// A new idempotency key for one form: a double tap applies it once.
    fn fresh_id(&self) -> Uuid {
        Uuid::new_v4()
    }
}

fn title(l: Locale, number: i32) -> String {
    l.fmt("defects.detail.title", &[("number", &number.to_string())])
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    said: Said,
) -> Result<Response, AppError> {
    let mut conn = app.db.read().await?;
    let (row, actor) = commands::visible(&mut conn, user, id).await?;
    let photos: Vec<PhotoView> = repo::photos(&mut conn, id)
        .await?
        .into_iter()
        .map(PhotoView::from)
        .collect();
    let history = repo::events(&mut conn, id).await?;
    let customer_feedback =
        crate::delivery::customer::staff::defect_section(&mut conn, l, id).await?;
    let (project_name, _) = org_repo::project_head(&mut conn, row.project_id).await?;
    let manages = actor.manages_defects();
    let contractors = if manages {
        org_repo::list_contractors(&mut conn, row.project_id).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let status = row.lifecycle()?.status;
    let own = actor.roles.contains(&Role::Contractor)
        && actor.contractor.is_some()
        && actor.contractor == row.contractor_id;
    let d = Row::new(DefectView::from(row), l);
    let (before, after) = before_after(&photos);
    let project = d.project_id;
    let c = Chrome::new(l, user, title(l, d.number), format!("/defects/{id}"))
        .crumb(l.t("projects.title"), "/projects")
        .crumb(project_name, format!("/projects/{project}"))
        .crumb(l.t("defects.title"), format!("/projects/{project}/defects"));
    page(&DetailPage {
        c,
        before,
        after,
        history: history.into_iter().map(|e| HistoryRow::new(e, l)).collect(),
        can_assign: manages && matches!(status, Status::Open | Status::Assigned),
        can_cancel: manages && status.is_pending(),
        can_verify: actor.roles.contains(&Role::Inspector) && status == Status::Fixed,
        can_fix: own && status == Status::Assigned,
        fixers: fixers(&contractors),
        said,
        today: super::today(),
        customer_feedback,
        d,
    })
}

/// `?ok=` of a defect page.
#[derive(Debug, serde::Deserialize)]
pub struct OkQuery {
    /// Message key of the last post.
    pub ok: Option<String>,
}

/// The defect page.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok(l, "top", q.ok.as_deref());
    render(&app, &user, l, id, said).await
}

/// Assign, cancel, verify or send back from the defect page.
pub async fn act(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let form_name = match action.as_str() {
        "assign" => "assign",
        "cancel" => "cancel",
        "verify" | "send-back" => "verify",
        _ => return Err(AppError::NotFound),
    };
    let result = async {
        let (cmd, ok) = super::parse_command(&action, &form)?;
        commands::transition(&app, &user, id, cmd).await?;
        Ok::<_, AppError>(ok)
    }
    .await;
    match result {
        Ok(ok) => Ok(see_other(&format!("/defects/{id}?ok={ok}"))),
        Err(e) if shown_on_page(&e) => {
            render(&app, &user, l, id, Said::failed(l, form_name, &e, form)).await
        }
        Err(e) => Err(e),
    }
}

/// Longest text field of the mark-fixed form, in bytes.
const MAX_TEXT_BYTES: usize = 8 * 1024;

/// What the mark-fixed form sent: the note as typed and whether photos were chosen (the page
/// asks for them again after a failure, as a browser cannot keep a file input).
#[derive(Default)]
struct FixedForm {
    kept: HashMap<String, String>,
    had_photos: bool,
}

/// "整改完成": the assigned contractor's after photos and note, one multipart form. The `_csrf`
/// field comes first and is checked before anything else is read; the caller's right to attach
/// after photos is checked before any photo is decoded.
pub async fn mark_fixed(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let mut sent = FixedForm::default();
    match fixed(&app, &user, id, multipart, &mut sent).await {
        Ok(()) => Ok(see_other(&format!("/defects/{id}?ok=fixed"))),
        Err(e) if shown_on_page(&e) => {
            let mut said = Said::failed(l, "fixed", &e, sent.kept);
            if sent.had_photos
                && let Some(f) = said.flash.as_mut()
            {
                f.text = format!("{} {}", f.text, l.t("defects.error.photo_again"));
            }
            render(&app, &user, l, id, said).await
        }
        Err(e) => Err(e),
    }
}

async fn fixed(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
    mut multipart: Multipart,
    sent: &mut FixedForm,
) -> Result<(), AppError> {
    let first = multipart.next_field().await.map_err(multipart_error)?;
    let token = match first {
        Some(f) if f.name() == Some("_csrf") => read_text(f, MAX_TEXT_BYTES).await?,
        _ => return Err(AppError::CsrfRejected),
    };
    if user.csrf_token.is_empty() || token != user.csrf_token {
        return Err(AppError::CsrfRejected);
    }
    let mut note = String::new();
    let mut event_id: Option<Uuid> = None;
    let mut files: Vec<Bytes> = Vec::new();
    let mut authorised = false;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("note") => {
                note = read_text(field, MAX_TEXT_BYTES).await?;
                sent.kept.insert("note".into(), note.clone());
            }
            Some("event_id") => {
                event_id = read_text(field, MAX_TEXT_BYTES).await?.trim().parse().ok()
            }
            Some("file") => {
                if !authorised {
                    if already_done(app, id, event_id).await? {
                        return Ok(());
                    }
                    commands::authorise_photos(app, user, id, "after").await?;
                    authorised = true;
                }
                let bytes = read_photo(field).await?;
                if bytes.is_empty() {
                    continue;
                }
                sent.had_photos = true;
                if files.len() == MAX_PHOTOS_PER_UPLOAD {
                    return Err(AppError::field("file", "too_many"));
                }
                files.push(bytes);
            }
            _ => {}
        }
    }
    if already_done(app, id, event_id).await? {
        return Ok(());
    }
    if !files.is_empty() {
        if !authorised {
            commands::authorise_photos(app, user, id, "after").await?;
        }
        let mut stored = Vec::with_capacity(files.len());
        for f in files {
            stored.push(app.photos.ingest(f).await?);
        }
        commands::attach_photos(app, user, id, "after", &stored).await?;
    }
    let cmd = Command {
        action: Action::MarkFixed,
        note,
        event_id,
    };
    commands::transition(app, user, id, cmd).await?;
    Ok(())
}

/// Whether this form was already applied (a double tap sends it twice).
async fn already_done(
    app: &AppState,
    defect: Uuid,
    event_id: Option<Uuid>,
) -> Result<bool, AppError> {
    match event_id {
        Some(e) => repo::event_exists(&mut app.db.read().await?, defect, e).await,
        None => Ok(false),
    }
}
