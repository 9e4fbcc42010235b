//! Takeover pages for the property manager (tablet and desk): the list with countdowns, the
//! takeover page (team, prerequisites, documents, common areas, findings, signatures) and the
//! signing page. Every form calls the JSON API's handler, so both doors keep the same rules.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use uuid::Uuid;

use super::api::{self, Overdue, TakeoverSummary, TakeoverView};
use super::{DocumentCategory, DocumentForm, PrereqStatus, Side};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::defects::pages::{Said, field, shown_on_page};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;

/// Routes of the takeover pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/takeovers", get(list).post(create))
        .route("/takeovers/{id}", get(show))
        .route("/takeovers/{id}/members", post(add_member))
        .route(
            "/takeovers/{id}/members/{member}/delete",
            post(remove_member),
        )
        .route("/takeovers/{id}/prerequisites", post(add_prerequisite))
        .route(
            "/takeovers/{id}/prerequisites/{line}",
            post(update_prerequisite),
        )
        .route(
            "/takeovers/{id}/prerequisites/{line}/evidence",
            get(api::evidence).post(upload_evidence),
        )
        .route("/takeovers/{id}/documents", post(add_document))
        .route("/takeovers/{id}/documents/{line}", post(update_document))
        .route("/takeovers/{id}/sign", get(sign_page).post(sign))
        .route("/takeovers/{id}/report.pdf", get(super::report::report_pdf))
        .route("/takeovers/{id}/notice.pdf", get(super::report::notice_pdf))
        .route("/takeovers/{id}/signatures/{side}", get(signature_image))
        .route("/static/sign.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/static/sign.js"),
    )
}

/// A countdown as words: "还有 7 天", "今天截止", "已逾期 2 天".
pub fn countdown(l: Locale, days: i64) -> String {
    match days {
        0 => l.t("takeover.due_today").to_owned(),
        d if d > 0 => l.fmt1("takeover.days_left", "n", &d.to_string()),
        d => l.fmt1("takeover.days_overdue", "n", &(-d).to_string()),
    }
}

/// An overdue item as a sentence.
pub fn overdue_text(l: Locale, o: &Overdue) -> String {
    l.fmt(
        &format!("takeover.overdue.{}", o.kind),
        &[("n", &o.count.to_string()), ("due", &o.due.to_string())],
    )
}

#[derive(Template)]
#[template(path = "takeovers/list.html")]
struct ListPage {
    c: Chrome,
    takeovers: Vec<TakeoverSummary>,
    /// Batches the user may open a takeover for: (id, "project · batch").
    batches: Vec<(Uuid, String)>,
    said: Said,
}

impl ListPage {
    fn countdown(&self, days: &i64) -> String {
        countdown(self.c.l, *days)
    }

    fn overdue(&self, o: &Overdue) -> String {
        overdue_text(self.c.l, o)
    }
}

/// `?ok=` of a takeover page.
#[derive(Debug, serde::Deserialize)]
pub struct OkQuery {
    /// Message key of the last post.
    pub ok: Option<String>,
}

/// Takeovers of every visible project, with countdowns and what is overdue; the property
/// manager's landing page.
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "takeover.ok", "top", q.ok.as_deref());
    render_list(&app, &user, l, said).await
}

async fn render_list(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    said: Said,
) -> Result<Response, AppError> {
    let axum::Json(takeovers) = api::list_all(State(app.clone()), user.clone()).await?;
    let openers: Vec<Uuid> = user
        .project_ids()
        .into_iter()
        .filter(|p| {
            user.roles_on(*p)
                .any(|r| matches!(r, Role::Admin | Role::Property))
        })
        .collect();
    let mut conn = app.db.read().await?;
    let mut batches = Vec::new();
    for p in &openers {
        let (name, _) = crate::org::repo::project_head(&mut conn, *p).await?;
        for b in crate::org::repo::list_batches(&mut conn, &[*p]).await? {
            batches.push((b.id, format!("{name} · {}", b.name)));
        }
    }
    drop(conn);
    let c = Chrome::new(l, user, l.t("takeover.list_title"), "/takeovers".to_owned());
    page(&ListPage {
        c,
        takeovers,
        batches,
        said,
    })
}

/// Opens a takeover from the list page's form.
pub async fn create(
    State(app): State<AppState>,
    l: Locale,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let batch: Uuid = field(&form, "batch_id")
            .parse()
            .map_err(|_| AppError::field("batch_id", "required"))?;
        let project = crate::org::repo::batch_project(&mut app.db.read().await?, batch).await?;
        user.require_visible(project)?;
        let body = api::NewTakeoverBody {
            name: field(&form, "name"),
            batch_id: batch,
            building_ids: Vec::new(),
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
        Ok((_, axum::Json(t))) => Ok(see_other(&format!(
            "/takeovers/{}?ok=created",
            t.summary.id
        ))),
        Err(e) if shown_on_page(&e) => {
            render_list(&app, &user, l, Said::failed(l, "create", &e, form)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "takeovers/show.html")]
struct ShowPage {
    c: Chrome,
    t: TakeoverView,
    /// May change the record (and it is not sealed).
    editable: bool,
    /// May add prerequisite lines.
    is_admin: bool,
    /// Sides the user may still sign for.
    can_sign: Vec<Side>,
    said: Said,
    today: NaiveDate,
}

impl ShowPage {
    fn countdown(&self, days: &i64) -> String {
        countdown(self.c.l, *days)
    }

    fn overdue(&self, o: &Overdue) -> String {
        overdue_text(self.c.l, o)
    }

    fn prereq_title(&self, p: &super::snapshot::Prerequisite) -> String {
        prerequisite_title(self.c.l, p)
    }

    fn status_label(&self, s: &str) -> &'static str {
        PrereqStatus::parse(s).map_or("", |s| s.label(self.c.l))
    }

    fn statuses(&self) -> [PrereqStatus; 3] {
        [
            PrereqStatus::Met,
            PrereqStatus::NotMet,
            PrereqStatus::NotApplicable,
        ]
    }

    fn doc_title(&self, d: &super::snapshot::Document) -> String {
        document_title(self.c.l, d)
    }

    fn category_label(&self, s: &str) -> &'static str {
        DocumentCategory::parse(s).map_or("", |c| c.label(self.c.l))
    }

    fn categories(&self) -> [DocumentCategory; 4] {
        DocumentCategory::ALL
    }

    fn forms(&self) -> [DocumentForm; 3] {
        DocumentForm::ALL
    }

    fn side_label(&self, s: &str) -> &'static str {
        Side::parse(s).map_or("", |s| s.label(self.c.l))
    }

    fn sides(&self) -> [Side; 2] {
        Side::ALL
    }

    fn signature_of(&self, side: &Side) -> Option<&super::snapshot::Signature> {
        self.t
            .record
            .signatures
            .iter()
            .find(|s| s.side == side.as_str())
    }

    fn shown(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        clock::show(*t)
    }

    fn due_overdue(&self, f: &super::snapshot::Finding) -> bool {
        f.is_open() && f.due_on.is_some_and(|d| d < self.today)
    }

    fn defect_status(&self, s: &str) -> &'static str {
        crate::defects::Status::parse(s)
            .map_or("", |s| crate::defects::pages::status_label(self.c.l, s))
    }

    fn trade_label(&self, t: &str) -> &'static str {
        crate::checklists::Trade::parse(t).map_or("", |t| t.label(self.c.l))
    }
}

/// A prerequisite line's title in `l`: the seed's wording for lines a–e, else as typed.
pub fn prerequisite_title(l: Locale, p: &super::snapshot::Prerequisite) -> String {
    if p.code.is_empty() {
        p.title.clone()
    } else {
        l.t(&format!("takeover.seed.{}", p.code)).to_owned()
    }
}

/// A document line's title in `l`.
pub fn document_title(l: Locale, d: &super::snapshot::Document) -> String {
    if d.code.is_empty() {
        d.title.clone()
    } else {
        l.t(&format!("takeover.doc.{}", d.code)).to_owned()
    }
}

/// The takeover page.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "takeover.ok", "top", q.ok.as_deref());
    render(&app, &user, l, id, said).await
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    said: Said,
) -> Result<Response, AppError> {
    let axum::Json(t) = api::show(State(app.clone()), user.clone(), ApiPath(id)).await?;
    let project = t.summary.project_id;
    let sealed = t.summary.sealed;
    let roles: Vec<Role> = user.roles_on(project).collect();
    let editable = !sealed && roles.iter().any(|r| super::EDITORS.contains(r));
    let signed: Vec<&str> = t
        .record
        .signatures
        .iter()
        .map(|s| s.side.as_str())
        .collect();
    let can_sign = Side::ALL
        .into_iter()
        .filter(|s| !sealed && !signed.contains(&s.as_str()))
        .filter(|s| roles.iter().any(|r| s.signer_roles().contains(r)))
        .collect();
    let c = Chrome::new(l, user, t.summary.name.clone(), format!("/takeovers/{id}"))
        .crumb(l.t("takeover.list_title"), "/takeovers")
        .crumb(
            t.summary.project_name.clone(),
            format!("/projects/{project}"),
        );
    page(&ShowPage {
        c,
        editable,
        is_admin: !sealed && roles.contains(&Role::Admin),
        can_sign,
        said,
        today: clock::local_date(clock::now()),
        t,
    })
}

/// Runs a page post through the API and comes back to the takeover page: with `?ok=` when it
/// worked, with the form as typed and the message when it did not.
async fn answer<T>(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    form_name: &str,
    form: HashMap<String, String>,
    result: Result<T, AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(see_other(&format!("/takeovers/{id}?ok=saved#{form_name}"))),
        Err(e) if shown_on_page(&e) => {
            render(app, user, l, id, Said::failed(l, form_name, &e, form)).await
        }
        Err(e) => Err(e),
    }
}

/// Adds a team member.
pub async fn add_member(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let side = Side::parse(&field(&form, "side")).ok_or(AppError::field("side", "required"))?;
        let body = api::NewMember {
            side,
            name: field(&form, "name"),
            title: field(&form, "title"),
        };
        api::add_member(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await
    }
    .await;
    answer(&app, &user, l, id, "team", form, result).await
}

/// Removes a team member.
pub async fn remove_member(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, member)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = api::remove_member(State(app.clone()), user.clone(), ApiPath((id, member))).await;
    answer(&app, &user, l, id, "team", form, result).await
}

/// Adds a prerequisite line (admins).
pub async fn add_prerequisite(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::NewPrerequisite {
        title: field(&form, "title"),
    };
    let result =
        api::add_prerequisite(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await;
    answer(&app, &user, l, id, "prerequisites", form, result).await
}

/// Sets a prerequisite line's status (the button pressed) and evidence.
pub async fn update_prerequisite(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::PrerequisitePatch {
        status: PrereqStatus::parse(&field(&form, "status")),
        evidence: form.get("evidence").cloned(),
    };
    let result = api::update_prerequisite(
        State(app.clone()),
        user.clone(),
        ApiPath((id, line)),
        ApiJson(body),
    )
    .await;
    answer(&app, &user, l, id, &format!("line-{line}"), form, result).await
}

/// Attaches an evidence photo to a line: a multipart form, `_csrf` first.
pub async fn upload_evidence(
    State(app): State<AppState>,
    l: Locale,
    user: CurrentUser,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    crate::auth::extract::multipart_csrf(&user, &mut multipart).await?;
    let result = api::upload_evidence(
        State(app.clone()),
        user.clone(),
        ApiPath((id, line)),
        multipart,
    )
    .await;
    let form_name = format!("line-{line}");
    answer(&app, &user, l, id, &form_name, HashMap::new(), result).await
}

/// Adds a document line.
pub async fn add_document(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let category = DocumentCategory::parse(&field(&form, "category"))
            .ok_or(AppError::field("category", "required"))?;
        let body = api::NewDocument {
            category,
            title: field(&form, "title"),
        };
        api::add_document(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await
    }
    .await;
    answer(&app, &user, l, id, "documents", form, result).await
}

/// Records a document's receipt.
pub async fn update_document(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, line)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let copies = field(&form, "copies")
            .trim()
            .parse()
            .map_err(|_| AppError::field("copies", "out_of_range"))?;
        let form_kind = DocumentForm::parse(&field(&form, "form"))
            .ok_or(AppError::field("form", "required"))?;
        let date = field(&form, "received_on");
        let received_on = if date.trim().is_empty() {
            None
        } else {
            Some(
                date.trim()
                    .parse()
                    .map_err(|_| AppError::field("received_on", "invalid_date"))?,
            )
        };
        let body = api::DocumentReceipt {
            copies,
            form: form_kind,
            received_by: field(&form, "received_by"),
            received_on,
        };
        api::update_document(
            State(app.clone()),
            user.clone(),
            ApiPath((id, line)),
            ApiJson(body),
        )
        .await
    }
    .await;
    answer(&app, &user, l, id, &format!("doc-{line}"), form, result).await
}

#[derive(Template)]
#[template(path = "takeovers/sign.html")]
struct SignPage {
    c: Chrome,
    id: Uuid,
    side: Side,
    /// Lines not met: (id, title), each needing a reservation.
    unmet: Vec<(Uuid, String)>,
    /// Lines not checked yet (signing is refused until they are).
    unchecked: usize,
    name: String,
    said: Said,
}

/// `?side=` of the signing page.
#[derive(Debug, serde::Deserialize)]
pub struct SideQuery {
    /// The side signing.
    pub side: Option<Side>,
}

/// The signing page: the lines that need a reservation, name and title, and the drawing pad.
pub async fn sign_page(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<SideQuery>,
) -> Result<Response, AppError> {
    let side = q.side.unwrap_or(Side::Property);
    render_sign(&app, &user, l, id, side, Said::default()).await
}

async fn render_sign(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    side: Side,
    said: Said,
) -> Result<Response, AppError> {
    let axum::Json(t) = api::show(State(app.clone()), user.clone(), ApiPath(id)).await?;
    user.require(t.summary.project_id, side.signer_roles())?;
    if t.summary.sealed {
        return Err(AppError::TakeoverSealed);
    }
    let lines = &t.record.prerequisites;
    let unmet = lines
        .iter()
        .filter(|p| p.status == PrereqStatus::NotMet.as_str())
        .map(|p| (p.id, prerequisite_title(l, p)))
        .collect();
    let unchecked = lines
        .iter()
        .filter(|p| p.status == PrereqStatus::Pending.as_str())
        .count();
    let c = Chrome::new(
        l,
        user,
        l.fmt1("takeover.sign_title", "side", side.label(l)),
        format!("/takeovers/{id}/sign?side={}", side.as_str()),
    )
    .crumb(l.t("takeover.list_title"), "/takeovers")
    .crumb(t.summary.name.clone(), format!("/takeovers/{id}"));
    page(&SignPage {
        c,
        id,
        side,
        unmet,
        unchecked,
        name: user.display_name.clone(),
        said,
    })
}

/// Signs from the page: the drawing arrives as JSON strokes and a PNG data URL.
pub async fn sign(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let side = Side::parse(&field(&form, "side")).unwrap_or(Side::Property);
    let result = async {
        let drawing = crate::signature::Drawing::parse(&field(&form, "strokes"))
            .ok_or(AppError::field("strokes", "empty"))?;
        let reservations = form
            .iter()
            .filter_map(|(k, v)| {
                let line = k.strip_prefix("reservation-")?.parse().ok()?;
                Some((line, v.clone()))
            })
            .collect();
        let png = field(&form, "image_png");
        let body = api::SignatureBody {
            side,
            name: field(&form, "name"),
            title: field(&form, "title"),
            width: drawing.width,
            height: drawing.height,
            strokes: drawing.strokes,
            image_png: (!png.is_empty()).then_some(png),
            reservations,
        };
        api::sign(State(app.clone()), user.clone(), ApiPath(id), ApiJson(body)).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/takeovers/{id}?ok=signed#signatures"))),
        Err(e) if shown_on_page(&e) => {
            let mut kept = form;
            kept.remove("strokes");
            kept.remove("image_png");
            render_sign(&app, &user, l, id, side, Said::failed(l, "sign", &e, kept)).await
        }
        Err(e) => Err(e),
    }
}

/// A side's signature as an SVG drawn from its strokes (from the sealed copy once sealed).
pub async fn signature_image(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath((id, side)): ApiPath<(Uuid, String)>,
) -> Result<Response, AppError> {
    let t = api::visible(&app, &user, id).await?;
    let record = super::snapshot::Snapshot::current(&mut app.db.read().await?, &t).await?;
    let drawing = record
        .signatures
        .iter()
        .find(|s| s.side == side)
        .and_then(|s| crate::signature::Drawing::parse(&s.strokes))
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        drawing.svg(),
    )
        .into_response())
}
