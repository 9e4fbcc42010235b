//! The visit page: one customer's walkthrough of one unit, in the order the flow runs —
//! walkthrough → issues → meters → keys → documents → signature or refusal — with the progress
//! at the top and the next step open. Each section's form posts to the JSON API's handler and
//! comes back here, at the next step.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{failed, is_staff};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::checklists::Trade;
use crate::clock;
use crate::defects::pages::{Said, field, shown_on_page};
use crate::delivery::api::{self, VisitDetail};
use crate::delivery::{Judgement, MeterKind, Outcome, REFUSAL_REASONS, UNREASONABLE_REASONS};
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;

/// The steps of the flow, in order.
const STEPS: [&str; 6] = [
    "walkthrough",
    "issues",
    "meters",
    "keys",
    "documents",
    "outcome",
];

/// A line of a handed-over list: code, name, and the count (keys) or 1/0 (documents).
struct Line {
    code: String,
    name: String,
    count: i32,
}

#[derive(Template)]
#[template(path = "delivery/visit.html")]
struct VisitPage {
    c: Chrome,
    v: VisitDetail,
    editable: bool,
    /// The user may print the inspection sheet.
    sheet: bool,
    keys: Vec<Line>,
    documents: Vec<Line>,
    /// The phrase library's descriptions, for the issue form.
    phrases: Vec<String>,
    said: Said,
}

impl VisitPage {
    fn done(&self, step: &str) -> bool {
        let p = &self.v.progress;
        match step {
            "walkthrough" => p.walkthrough,
            "issues" => p.walkthrough && p.issues,
            "meters" => p.meters,
            "keys" => p.keys,
            "documents" => p.documents,
            _ => p.outcome,
        }
    }

    /// The first step not done: the one the page opens at.
    fn current(&self) -> &'static str {
        STEPS
            .into_iter()
            .find(|s| !self.done(s))
            .unwrap_or("outcome")
    }

    fn steps(&self) -> [&'static str; 6] {
        STEPS
    }

    fn step_number(&self, step: &str) -> usize {
        STEPS.iter().position(|s| *s == step).unwrap_or(0) + 1
    }

    fn done_count(&self) -> usize {
        STEPS.iter().filter(|s| self.done(s)).count()
    }

    fn shown(&self, t: &DateTime<Utc>) -> String {
        clock::show(*t)
    }

    fn trades(&self) -> [Trade; 6] {
        Trade::ALL
    }

    fn trade_label(&self, t: &str) -> &'static str {
        Trade::parse(t).map_or("", |t| t.label(self.c.l))
    }

    fn reasons(&self) -> [&'static str; 5] {
        UNREASONABLE_REASONS
    }

    fn reason_label(&self, code: &str) -> &'static str {
        self.c.l.t(&format!("issue.reason.{code}"))
    }

    fn refusals(&self) -> [&'static str; 6] {
        REFUSAL_REASONS
    }

    fn refusal_label(&self, code: &str) -> &'static str {
        self.c.l.t(&format!("visit.refusal.{code}"))
    }

    fn outcome_label(&self, o: &str) -> &'static str {
        Outcome::parse(o).map_or("", |o| o.label(self.c.l))
    }

    fn defect_status(&self, s: &str) -> &'static str {
        crate::defects::Status::parse(s)
            .map_or("", |s| crate::defects::pages::status_label(self.c.l, s))
    }

    fn meter_kinds(&self) -> [MeterKind; 3] {
        MeterKind::ALL
    }

    fn meter(&self, kind: &MeterKind) -> Option<&api::MeterView> {
        self.v.meters.iter().find(|m| m.kind == kind.as_str())
    }

    fn meter_label(&self, kind: &MeterKind) -> &'static str {
        self.c.l.t(&format!("visit.meter.{}", kind.as_str()))
    }

    fn missing(&self) -> Vec<&str> {
        self.v
            .conditions
            .iter()
            .filter(|c| c.missing)
            .map(|c| c.name.as_str())
            .collect()
    }

    fn unjudged(&self) -> usize {
        self.v
            .issues
            .iter()
            .filter(|i| i.judgement.is_none())
            .count()
    }
}

/// `?ok=` of the visit page.
#[derive(Debug, Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

/// The visit page.
pub async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let said = Said::ok_in(l, "visit.ok", "top", q.ok.as_deref());
    render(&app, &user, l, id, said).await
}

async fn render(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    said: Said,
) -> Result<Response, AppError> {
    let axum::Json(v) = api::show(State(app.clone()), user.clone(), l, ApiPath(id)).await?;
    let mut conn = app.db.read().await?;
    let unit = crate::org::repo::get_unit(&mut conn, v.unit_id).await?;
    let settings = crate::delivery::repo::settings(&mut conn, unit.project_id).await?;
    let mut phrases: Vec<String> =
        crate::checklists::repo::phrases(&mut conn, unit.project_id, None)
            .await?
            .into_iter()
            .filter(|p| p.trade != Trade::Common)
            .map(|p| p.text)
            .collect();
    phrases.dedup();
    let batch = super::batch_head(app, user, v.batch_id).await?;
    let keys = settings
        .keys
        .iter()
        .map(|e| Line {
            count: v.keys.get(&e.code).copied().unwrap_or(0),
            name: e.label(l, "key"),
            code: e.code.clone(),
        })
        .collect();
    let documents = settings
        .documents
        .iter()
        .map(|e| Line {
            count: i32::from(v.documents.contains(&e.code)),
            name: e.label(l, "document"),
            code: e.code.clone(),
        })
        .collect();
    let label = format!("{} · {}", unit.building, unit.number);
    let c = Chrome::new(
        l,
        user,
        l.fmt1("visit.title", "unit", &label),
        format!("/visits/{id}"),
    )
    .crumb(
        batch.project_name.clone(),
        format!("/projects/{}", batch.project_id),
    )
    .crumb(
        l.fmt1("desk.title", "batch", &batch.name),
        format!("/batches/{}/desk", batch.id),
    );
    page(&VisitPage {
        editable: v.outcome.is_none() && is_staff(user, unit.project_id),
        sheet: crate::delivery::sheet::may_print(user, unit.project_id),
        c,
        v,
        keys,
        documents,
        phrases,
        said,
    })
}

/// Comes back to the visit page after a post: at `next` with `?ok=` when it worked, with the
/// form as typed and the message when it did not.
async fn answer<T>(
    (app, user, l): (&AppState, &CurrentUser, Locale),
    id: Uuid,
    (form_name, next): (&str, &str),
    form: HashMap<String, String>,
    result: Result<T, AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(see_other(&format!("/visits/{id}?ok=saved#{next}"))),
        Err(e) if shown_on_page(&e) => {
            let page = render(app, user, l, id, Said::failed(l, form_name, &e, form)).await;
            failed(page, &e)
        }
        Err(e) => Err(e),
    }
}

/// Sets the accompanying staff.
pub async fn staff(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let body = api::StaffBody {
        staff: field(&form, "staff"),
    };
    let result = api::set_staff(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath(id),
        ApiJson(body),
    )
    .await;
    answer(
        (&app, &user, l),
        id,
        ("walkthrough", "walkthrough"),
        form,
        result,
    )
    .await
}

/// Starts (`end` absent) or ends the walkthrough.
pub async fn walkthrough(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let end = field(&form, "end") == "1";
    let body = api::WalkBody { end };
    let result = api::walkthrough(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath(id),
        ApiJson(body),
    )
    .await;
    let next = if end { "meters" } else { "issues" };
    answer((&app, &user, l), id, ("walkthrough", next), form, result).await
}

/// The judgement fields of a form: `judgement` (`reasonable`, `unreasonable` or empty),
/// `reason_code`, `reason_text`.
fn judgement_of(form: &HashMap<String, String>) -> Option<api::JudgeBody> {
    let judgement = match field(form, "judgement").as_str() {
        "reasonable" => Judgement::Reasonable,
        "unreasonable" => Judgement::Unreasonable,
        _ => return None,
    };
    let code = field(form, "reason_code");
    Some(api::JudgeBody {
        judgement,
        reason_code: (!code.is_empty()).then_some(code),
        reason_text: field(form, "reason_text"),
    })
}

/// Records a customer's issue, judged on the spot or not.
pub async fn add_issue(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let trade = Trade::parse(&field(&form, "trade"))
            .ok_or_else(|| AppError::field("trade", "required"))?;
        let typed = field(&form, "description");
        let body = api::NewIssue {
            id: field(&form, "event_id").parse().ok(),
            room: field(&form, "room"),
            part: field(&form, "part"),
            trade,
            description: if typed.is_empty() {
                field(&form, "phrase")
            } else {
                typed
            },
            judgement: judgement_of(&form),
        };
        api::add_issue(
            State(app.clone()),
            user.clone(),
            l,
            ApiPath(id),
            ApiJson(body),
        )
        .await
    }
    .await;
    answer((&app, &user, l), id, ("new-issue", "issues"), form, result).await
}

/// Judges an issue recorded without a judgement.
pub async fn judge(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, issue)): ApiPath<(Uuid, Uuid)>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let form_name = format!("issue-{issue}");
    let result = match judgement_of(&form) {
        Some(body) => {
            let v = api::judge(
                State(app.clone()),
                user.clone(),
                l,
                ApiPath(issue),
                ApiJson(body),
            )
            .await?;
            if v.id != id {
                return Err(AppError::NotFound);
            }
            Ok(v)
        }
        None => Err(AppError::field("judgement", "required")),
    };
    answer((&app, &user, l), id, (&form_name, "issues"), form, result).await
}

/// Adds a photo to an issue (multipart: `_csrf`, then `file`).
pub async fn issue_photo(
    State(app): State<AppState>,
    l: Locale,
    user: CurrentUser,
    ApiPath((id, issue)): ApiPath<(Uuid, Uuid)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    crate::auth::extract::multipart_csrf(&user, &mut multipart).await?;
    let v = api::show(State(app.clone()), user.clone(), l, ApiPath(id)).await?;
    if !v.issues.iter().any(|i| i.id == issue) {
        return Err(AppError::NotFound);
    }
    let result = api::issue_photo(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath(issue),
        multipart,
    )
    .await;
    let form_name = format!("issue-{issue}");
    answer(
        (&app, &user, l),
        id,
        (&form_name, "issues"),
        HashMap::new(),
        result,
    )
    .await
}

/// Records the meter readings typed (`water`, `power`, `gas`; an empty one is skipped).
pub async fn meters(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let mut last = None;
        for kind in MeterKind::ALL {
            let typed = field(&form, kind.as_str());
            if typed.is_empty() {
                continue;
            }
            let reading = typed
                .parse()
                .map_err(|_| AppError::field(kind.as_str(), "out_of_range"))?;
            let body = api::MeterBody { reading };
            let path = ApiPath((id, kind));
            last = Some(
                api::set_meter(State(app.clone()), user.clone(), l, path, ApiJson(body)).await?,
            );
        }
        last.ok_or_else(|| AppError::field("water", "required"))
    }
    .await;
    answer((&app, &user, l), id, ("meters", "keys"), form, result).await
}

/// The photo of a meter's dial (multipart: `_csrf`, then `file`).
pub async fn meter_photo(
    State(app): State<AppState>,
    l: Locale,
    user: CurrentUser,
    ApiPath((id, kind)): ApiPath<(Uuid, MeterKind)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    crate::auth::extract::multipart_csrf(&user, &mut multipart).await?;
    let result = api::meter_photo(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath((id, kind)),
        multipart,
    )
    .await;
    answer(
        (&app, &user, l),
        id,
        ("meters", "meters"),
        HashMap::new(),
        result,
    )
    .await
}

/// Records the keys handed (`key-<code>` = count).
pub async fn keys(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let result = async {
        let mut keys = HashMap::new();
        for (name, value) in &form {
            if let Some(code) = name.strip_prefix("key-") {
                let n = value
                    .trim()
                    .parse()
                    .map_err(|_| AppError::field("keys", "out_of_range"))?;
                keys.insert(code.to_owned(), n);
            }
        }
        let body = api::KeysBody { keys };
        api::set_keys(
            State(app.clone()),
            user.clone(),
            l,
            ApiPath(id),
            ApiJson(body),
        )
        .await
    }
    .await;
    answer((&app, &user, l), id, ("keys", "documents"), form, result).await
}

/// Records the documents handed (`doc-<code>` ticked).
pub async fn documents(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let codes = form
        .keys()
        .filter_map(|k| k.strip_prefix("doc-").map(str::to_owned))
        .collect();
    let body = api::DocumentsBody { codes };
    let result = api::set_documents(
        State(app.clone()),
        user.clone(),
        l,
        ApiPath(id),
        ApiJson(body),
    )
    .await;
    answer((&app, &user, l), id, ("documents", "outcome"), form, result).await
}

/// Ends the visit: `outcome` is `accepted` (with the drawn signature: `strokes`, `image_png`,
/// `name`), `refused` (`refusal_reason`, `note`) or `only_looked`.
pub async fn outcome(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, form): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let chosen = field(&form, "outcome");
    let result = async {
        let outcome = match chosen.as_str() {
            "accepted" => Outcome::Accepted,
            "refused" => Outcome::Refused,
            "only_looked" => Outcome::OnlyLooked,
            _ => return Err(AppError::field("outcome", "required")),
        };
        let signature = if outcome == Outcome::Accepted {
            Some(signature_of(&form)?)
        } else {
            None
        };
        let reason = field(&form, "refusal_reason");
        let body = api::OutcomeBody {
            outcome,
            refusal_reason: (!reason.is_empty()).then_some(reason),
            note: field(&form, "note"),
            signature,
        };
        api::close(
            State(app.clone()),
            user.clone(),
            l,
            ApiPath(id),
            ApiJson(body),
        )
        .await
    }
    .await;
    let mut kept = form;
    kept.remove("strokes");
    kept.remove("image_png");
    let form_name = format!("outcome-{chosen}");
    answer((&app, &user, l), id, (&form_name, "outcome"), kept, result).await
}

/// The customer's drawing from the signing form.
fn signature_of(form: &HashMap<String, String>) -> Result<api::CustomerSignature, AppError> {
    let drawing = crate::signature::Drawing::parse(&field(form, "strokes"))
        .ok_or_else(|| AppError::field("strokes", "empty"))?;
    let png = field(form, "image_png");
    Ok(api::CustomerSignature {
        name: field(form, "name"),
        width: drawing.width,
        height: drawing.height,
        strokes: drawing.strokes,
        image_png: (!png.is_empty()).then_some(png),
    })
}
