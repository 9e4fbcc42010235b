//! The customer link on the staff pages: the "客户链接" section of the unit page (create a link,
//! its address and QR code, what the customer did through it, revoke) and the customer's word
//! on the fix of a rectification item on its defect page.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use uuid::Uuid;

use super::{LinkState, api, repo};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::extract::PageForm;
use crate::clock;
use crate::db::DbConn;
use crate::delivery::api::STAFF;
use crate::error::AppError;
use crate::http::{ApiPath, see_other};
use crate::i18n::Locale;

/// The staff page forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{id}/links", post(create))
        .route("/links/{id}/revoke", post(revoke))
}

/// One link on the unit page.
struct LinkLine {
    id: Uuid,
    url: String,
    active: bool,
    state: &'static str,
    state_label: &'static str,
    /// Created and expiry, in words.
    dates: String,
    /// Fixes confirmed, in words.
    confirmed: String,
    /// Re-inspection requests, in words.
    requests: String,
}

#[derive(Template)]
#[template(path = "delivery/unit_links.html")]
struct UnitLinks {
    l: Locale,
    unit: Uuid,
    csrf: String,
    links: Vec<LinkLine>,
}

/// The "客户链接" section of the unit page for the project's customer service and
/// administrators (empty for anyone else): create a link, its address and QR code, the links
/// with what the customer did through them, revoke.
pub async fn unit_section(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    (unit, project): (Uuid, Uuid),
) -> Result<String, AppError> {
    if !user.roles_on(project).any(|r| STAFF.contains(&r)) {
        return Ok(String::new());
    }
    let rows = repo::unit_links(&mut app.db.read().await?, unit).await?;
    let now = clock::now();
    let links = rows
        .into_iter()
        .map(|k| {
            let state = LinkState::at(k.revoked_at, k.expires_at, now);
            LinkLine {
                id: k.id,
                url: super::link_url(&app.config.public_url, &k.token),
                active: state == LinkState::Active,
                state: state.as_str(),
                state_label: l.t(&format!("customer.links.state.{}", state.as_str())),
                dates: l.fmt(
                    "customer.links.dates",
                    &[
                        ("created", &clock::show(k.created_at)),
                        ("expires", &clock::show(k.expires_at)),
                    ],
                ),
                confirmed: l.fmt1(
                    "customer.links.confirmed",
                    "n",
                    &k.confirmed_fixed.to_string(),
                ),
                requests: l.fmt1(
                    "customer.links.requests",
                    "n",
                    &k.reinspection_requests.to_string(),
                ),
            }
        })
        .collect();
    let section = UnitLinks {
        l,
        unit,
        csrf: user.csrf_token.clone(),
        links,
    };
    section
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
}

/// "生成客户链接" on the unit page.
pub async fn create(
    State(app): State<AppState>,
    ApiPath(unit): ApiPath<Uuid>,
    PageForm(user, _): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    api::create_link(&app, &user, unit).await?;
    Ok(see_other(&format!("/units/{unit}#links")))
}

/// "停用" of a link on the unit page.
pub async fn revoke(
    State(app): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(user, _): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let link = api::revoke_link(&app, &user, id).await?;
    Ok(see_other(&format!("/units/{}#links", link.unit_id)))
}

/// One word of the customer on a fix, as the defect page shows it.
struct FeedbackLine {
    fixed: bool,
    comment: String,
    at: String,
}

#[derive(Template)]
#[template(path = "delivery/defect_feedback.html")]
struct DefectFeedback {
    l: Locale,
    lines: Vec<FeedbackLine>,
    /// Re-inspection requests, in words.
    requests: String,
    pending: bool,
}

/// The customer's feedback on a rectification item, for its defect page (empty when there is
/// none): each word, the number of re-inspection requests, and whether the latest is one that
/// staff have not acted on yet (no lifecycle move since).
pub async fn defect_section(
    c: &mut impl DbConn,
    l: Locale,
    defect: Uuid,
) -> Result<String, AppError> {
    let rows = repo::defect_feedback(c, defect).await?;
    if rows.is_empty() {
        return Ok(String::new());
    }
    let last_move = crate::defects::repo::events(c, defect)
        .await?
        .into_iter()
        .map(|e| e.at)
        .max();
    let section = DefectFeedback {
        l,
        requests: l.fmt1(
            "customer.defect.requests",
            "n",
            &rows.iter().filter(|f| !f.fixed).count().to_string(),
        ),
        pending: rows
            .last()
            .is_some_and(|f| !f.fixed && last_move.is_none_or(|m| m < f.created_at)),
        lines: rows
            .into_iter()
            .map(|f| FeedbackLine {
                fixed: f.fixed,
                comment: f.comment,
                at: clock::show(f.created_at),
            })
            .collect(),
    };
    section
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
}
