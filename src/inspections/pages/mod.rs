//! The inspection tablet pages: `/units/{id}/inspect` and `/areas/{id}/inspect` (start or
//! continue the inspection — self inspection for inspectors, `?stage=takeover` for the joint
//! takeover team — record each checklist item, finish), the add-defect form on it
//! (trade, room, part, phrase, severity, camera photos, a pin on the floor plan), the floor plan
//! with pins on the unit page, and the administrator's floor plan upload per layout.
//!
//! Every write works as a plain form post (redirect back, or the page again with the message and
//! what was typed); `inspect.js` turns the item saves and the defect form into small `fetch()`
//! posts to the same routes that answer `{"ok": ...}` JSON, so a tablet never reloads the long
//! checklist for one item.

mod actions;
mod checklist;
mod defect_form;
mod inspect;
mod place;
mod sql;
pub mod unit;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Locale;

pub use unit::{UnitExtras, unit_extras};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    let photos_limit = DefaultBodyLimit::max(
        crate::photos::MAX_BYTES * crate::defects::commands::MAX_PHOTOS_PER_UPLOAD + 64 * 1024,
    );
    let plan_limit = DefaultBodyLimit::max(crate::photos::MAX_BYTES + 64 * 1024);
    Router::new()
        .route("/units/{id}/inspect", get(inspect::show_unit))
        .route("/units/{id}/inspect/start", post(actions::start_unit))
        .route("/areas/{id}/inspect", get(inspect::show_area))
        .route("/areas/{id}/inspect/start", post(actions::start_area))
        .route("/inspections/{id}/items/{item}", post(actions::record))
        .route("/inspections/{id}/finish", post(actions::finish))
        .route(
            "/units/{id}/defects",
            post(defect_form::add_unit).layer(photos_limit),
        )
        .route(
            "/areas/{id}/defects",
            post(defect_form::add_area).layer(photos_limit),
        )
        .route("/projects/{id}/layouts", get(unit::layouts))
        .route(
            "/projects/{id}/layouts/{layout}/plan",
            post(unit::upload_plan).layer(plan_limit),
        )
        .route("/static/inspect.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/inspect.js"),
    )
}

/// Whether the post came from `inspect.js` (which asks for JSON) rather than a plain form.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Refuses a page post whose `_csrf` does not match the session's token.
fn check_csrf(user: &CurrentUser, token: Option<&str>) -> Result<(), AppError> {
    if user.csrf_token.is_empty() || token != Some(user.csrf_token.as_str()) {
        return Err(AppError::CsrfRejected);
    }
    Ok(())
}

/// A `200` JSON answer for `inspect.js`. Failures are `{"ok": false, "code", "message"}` with
/// status 200 too: the error layer turns every 4xx of a page route into an HTML page.
fn json_answer(value: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response()
}

fn json_failure(l: Locale, e: &AppError) -> Response {
    json_answer(json!({ "ok": false, "code": e.code(), "message": message(l, e) }))
}

/// The message of a failed write in the page's language, saying what to do next. Errors that
/// are not about what was typed (not signed in, not allowed, a bug) are `None`: those go to the
/// error page.
fn user_message(l: Locale, e: &AppError) -> Option<String> {
    match e {
        AppError::Unauthenticated
        | AppError::CsrfRejected
        | AppError::NotFound
        | AppError::Internal(_) => None,
        _ => Some(message(l, e)),
    }
}

fn message(l: Locale, e: &AppError) -> String {
    let AppError::Invalid(fields) = e else {
        return match e {
            AppError::InspectionIncomplete(n) => {
                l.fmt("insp.err.incomplete", &[("n", &n.to_string())])
            }
            AppError::MalformedBody(_) | AppError::Internal(_) => {
                format!("{} {}", l.t(e.code()), l.t("insp.err.retry"))
            }
            _ => l.t(e.code()).to_owned(),
        };
    };
    let parts: Vec<String> = fields
        .iter()
        .map(|f| match field_key(&f.field, f.code) {
            Some(key) => l.t(key).to_owned(),
            None => format!(
                "{}：{}",
                l.t("request.invalid"),
                l.t(&format!("field.{}", f.code))
            ),
        })
        .collect();
    parts.join(if l == Locale::En { " " } else { "" })
}

/// The catalog key of a specific message for a field error, where there is one.
fn field_key(field: &str, code: &str) -> Option<&'static str> {
    Some(match (field, code) {
        ("points", "required") => "insp.err.points_required",
        ("points", "invalid") => "insp.err.points_invalid",
        ("points", "too_long") => "insp.err.points_too_long",
        ("outcome", _) => "insp.err.outcome_required",
        ("trade", _) => "insp.err.trade_required",
        ("description", "required") => "insp.err.description_required",
        ("description", _) => "insp.err.description_too_long",
        ("room", _) => "insp.err.room_too_long",
        ("part", _) => "insp.err.part_too_long",
        ("pin", _) => "insp.err.pin",
        ("file", "too_many") => "insp.err.too_many_photos",
        ("file", "required") => "insp.err.file_required",
        ("supervisor" | "contractor" | "property", _) => "insp.err.participant_too_long",
        ("severity", _) => "insp.err.severity",
        _ => return None,
    })
}

/// A choice of a chip or big-button group: the value sent, its label, whether it is chosen.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Value sent (and stored).
    pub value: String,
    /// Label shown.
    pub label: String,
    /// Chosen now.
    pub on: bool,
}

/// Common rooms of a 毛坯 unit: the stored (Chinese) name and its catalog key.
const ROOMS: [(&str, &str); 11] = [
    ("客厅", "living"),
    ("餐厅", "dining"),
    ("主卧", "master_bedroom"),
    ("次卧", "second_bedroom"),
    ("书房", "study"),
    ("厨房", "kitchen"),
    ("主卫", "master_bath"),
    ("次卫", "second_bath"),
    ("阳台", "balcony"),
    ("玄关", "entry"),
    ("走道", "corridor"),
];

/// Common parts: the stored (Chinese) name and its catalog key.
const PARTS: [(&str, &str); 11] = [
    ("墙面", "wall"),
    ("顶棚", "ceiling"),
    ("地面", "floor"),
    ("门", "door"),
    ("窗", "window"),
    ("栏杆", "railing"),
    ("管道", "pipe"),
    ("地漏", "drain"),
    ("插座", "socket"),
    ("开关", "switch"),
    ("配电箱", "panel"),
];

/// The address of a layout's floor plan image. The content hash rides along: the image is
/// served as immutable, and a replaced plan must not come from the browser's cache.
fn plan_url(layout: uuid::Uuid, sha256: &str) -> String {
    format!(
        "/layouts/{layout}/plan?v={}",
        &sha256[..sha256.len().min(12)]
    )
}

/// A stored trade's name in `l` (empty for a name this build does not know).
fn trade_label(l: Locale, trade: &str) -> &'static str {
    crate::checklists::Trade::parse(trade).map_or("", |t| t.label(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_key_exists_in_both_languages() {
        let keys = [
            "insp.err.points_required",
            "insp.err.points_invalid",
            "insp.err.points_too_long",
            "insp.err.outcome_required",
            "insp.err.trade_required",
            "insp.err.description_required",
            "insp.err.description_too_long",
            "insp.err.room_too_long",
            "insp.err.part_too_long",
            "insp.err.pin",
            "insp.err.too_many_photos",
            "insp.err.file_required",
            "insp.err.participant_too_long",
            "insp.err.severity",
            "insp.err.incomplete",
            "insp.err.retry",
        ];
        for l in [Locale::ZhCn, Locale::En] {
            for k in keys {
                assert!(!l.t(k).is_empty(), "{k} in {}", l.tag());
            }
            for (_, k) in ROOMS {
                assert!(!l.t(&format!("insp.room.{k}")).is_empty(), "room {k}");
            }
            for (_, k) in PARTS {
                assert!(!l.t(&format!("insp.part.{k}")).is_empty(), "part {k}");
            }
            for t in crate::checklists::Trade::ALL {
                assert!(!trade_label(l, t.as_str()).is_empty(), "trade {t:?}");
            }
        }
    }

    #[test]
    fn field_errors_get_a_message_with_the_next_step() {
        let e = AppError::field("points", "required");
        assert!(message(Locale::ZhCn, &e).contains("不适用"));
        let e = AppError::InspectionIncomplete(3);
        assert!(message(Locale::ZhCn, &e).contains('3'));
    }
}
