//! The writes of the inspection page: start (or continue) the inspection of a unit or common
//! area at the page's stage, save one item (JSON for `inspect.js`, or back to the item), finish.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::checklist::item_row;
use super::inspect::{PageState, render};
use super::place::{Place, Site};
use super::{check_csrf, json_answer, json_failure, user_message, wants_json};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::checklists::{self, Trade};
use crate::defects::Stage;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, see_other};
use crate::i18n::Locale;
use crate::inspections::Outcome;
use crate::inspections::api::{
    NewInspectionBody, ResultBody, finish_inspection, record_result, start_inspection,
};
use crate::inspections::repo;

/// The participants of a new inspection.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    /// The form's idempotency id: a double tap starts one inspection.
    id: Option<Uuid>,
    #[serde(default)]
    supervisor: String,
    #[serde(default)]
    contractor: String,
    #[serde(default)]
    property: String,
}

/// The stage a page post is for (`?stage=takeover`, else the caller's usual one).
#[derive(Debug, Default, Deserialize)]
pub struct StageQuery {
    stage: Option<Stage>,
}

impl StageQuery {
    /// The stage asked for.
    pub fn stage(&self) -> Option<Stage> {
        self.stage
    }
}

/// Starts the inspection of a unit (or continues the running one).
pub async fn start_unit(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(unit): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StageQuery>,
    PageForm(user, form): PageForm<StartForm>,
) -> Result<Response, AppError> {
    start(&app, &user, l, Place::Unit(unit), q.stage, form).await
}

/// Starts the inspection of a common area (or continues the running one).
pub async fn start_area(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(area): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<StageQuery>,
    PageForm(user, form): PageForm<StartForm>,
) -> Result<Response, AppError> {
    start(&app, &user, l, Place::Area(area), q.stage, form).await
}

async fn start(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    place: Place,
    stage: Option<Stage>,
    form: StartForm,
) -> Result<Response, AppError> {
    let (site, running) = {
        let mut conn = app.db.read().await?;
        let site = Site::load(&mut conn, user, place, stage).await?;
        let running = place.running(&mut conn, site.stage).await?;
        (site, running)
    };
    if running.is_none() {
        let body = NewInspectionBody {
            id: form.id,
            unit_id: place.unit(),
            common_area_id: place.area(),
            stage: site.stage,
            supervisor: form.supervisor.clone(),
            contractor: form.contractor.clone(),
            property: form.property.clone(),
        };
        if let Err(e) = start_inspection(app, user, site.project_id, body).await {
            let Some(message) = user_message(l, &e) else {
                return Err(e);
            };
            let state = PageState {
                start_error: Some(message),
                participants: Some([form.supervisor, form.contractor, form.property]),
                ..PageState::default()
            };
            return render(app, user, l, place, Some(site.stage), state).await;
        }
    }
    Ok(see_other(&site.page()))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The result of one item from its form: `outcome` from the button pressed, points `p`.
fn parse_result(pairs: &[(String, String)]) -> Result<ResultBody, AppError> {
    let outcome = match field(pairs, "outcome").filter(|o| !o.is_empty()) {
        Some(o) => Some(Outcome::parse(o).ok_or_else(|| AppError::field("outcome", "invalid"))?),
        None => None,
    };
    let mut points = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "p") {
        let v = v.trim().replace('−', "-").replace(['，', '。'], ".");
        if v.is_empty() {
            continue;
        }
        points.push(
            v.parse::<f64>()
                .map_err(|_| AppError::field("points", "invalid"))?,
        );
    }
    let note = field(pairs, "note").unwrap_or_default().to_owned();
    Ok(ResultBody {
        outcome,
        points,
        note,
    })
}

/// Saves one item's result: JSON for `inspect.js`, else back to the item on the page.
pub async fn record(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    headers: HeaderMap,
    ApiPath((id, item)): ApiPath<(Uuid, Uuid)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AppError::MalformedBody(e.to_string()))?;
    check_csrf(&user, field(&pairs, "_csrf"))?;
    let json = wants_json(&headers);
    let saved = match parse_result(&pairs) {
        Ok(body) => record_result(&app, &user, id, item, body).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) if json => Ok(json_answer(item_state(&app, l, id, item).await?)),
        Err(e) if json => Ok(json_failure(l, &e)),
        Ok(_) => {
            let (place, stage) = place_of(&app, id).await?;
            Ok(see_other(&format!("{}#item-{item}", place.page(stage))))
        }
        Err(e) => {
            let Some(message) = user_message(l, &e) else {
                return Err(e);
            };
            let (place, stage) = place_of(&app, id).await?;
            let typed = pairs
                .iter()
                .filter(|(k, _)| k == "p")
                .map(|(_, v)| v.clone())
                .collect();
            let state = PageState {
                item_error: Some((item, message, typed)),
                ..PageState::default()
            };
            render(&app, &user, l, place, Some(stage), state).await
        }
    }
}

/// Where an inspection runs and at which stage: the page to go back to.
async fn place_of(app: &AppState, inspection: Uuid) -> Result<(Place, Stage), AppError> {
    let row = repo::get(&mut app.db.read().await?, inspection).await?;
    let stage = Stage::parse(&row.stage).unwrap_or(Stage::SelfInspection);
    Ok((Place::of(&row)?, stage))
}

/// What `inspect.js` shows after a save: the item's result and the progress.
async fn item_state(
    app: &AppState,
    l: Locale,
    id: Uuid,
    item: Uuid,
) -> Result<serde_json::Value, AppError> {
    let mut conn = app.db.read().await?;
    let row = repo::get(&mut conn, id).await?;
    let version = checklists::repo::version(&mut conn, row.version_id).await?;
    let results = repo::results(&mut conn, id).await?;
    let it = version.item(item).ok_or(AppError::NotFound)?;
    let stage = Stage::parse(&row.stage).unwrap_or(Stage::SelfInspection);
    let page = Place::of(&row)?.page(stage);
    let r = item_row(l, &page, id, it, results.iter().find(|r| r.item_id == item));
    let done_in = |t: Trade| {
        version
            .items
            .iter()
            .filter(|i| i.def.trade == t && results.iter().any(|r| r.item_id == i.id))
            .count()
    };
    Ok(json!({
        "ok": true,
        "item": item,
        "outcome": r.outcome,
        "label": r.outcome_label,
        "summary": r.summary,
        "failed": r.outcome == "fail",
        "done": results.len(),
        "total": version.items.len(),
        "trade": r.trade,
        "trade_done": done_in(it.def.trade),
        "message": l.t("insp.saved"),
    }))
}

/// Finishes the running inspection; when items are missing, the page lists them.
pub async fn finish(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, _): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (place, stage) = place_of(&app, id).await?;
    match finish_inspection(&app, &user, id).await {
        Ok(_) => Ok(see_other(&place.page_with(stage, "finished=1", ""))),
        Err(e) => {
            let Some(message) = user_message(l, &e) else {
                return Err(e);
            };
            let state = PageState {
                show_missing: matches!(e, AppError::InspectionIncomplete(_)),
                finish_error: Some(message),
                ..PageState::default()
            };
            render(&app, &user, l, place, Some(stage), state).await
        }
    }
}
