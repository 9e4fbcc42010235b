//! Administration pages of checklists: the project's templates and phrase library here, the
//! template page in `pages/template.rs`. Forms post to the same handlers the JSON API uses.

mod form;
mod template;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::api::{self, NewPhrase};
use super::repo::{self, TemplateSummary};
use super::{Phrase, Scope, Trade};
use crate::app::AppState;
use crate::auth::extract::PageForm;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiJson, ApiPath, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;
use form::{error_message, field, query_param};

const ADMIN: &[Role] = &[Role::Admin];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/checklists", get(list))
        .route("/projects/{id}/checklists/{template}", get(template::show))
        .route(
            "/projects/{id}/checklists/{template}/{action}",
            post(template::submit),
        )
        .route("/projects/{id}/phrases/{action}", post(phrase_submit))
}

/// Chrome of a checklist page of `project`, with the crumbs down to the template list.
async fn chrome(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    project: Uuid,
    title: String,
    here: String,
) -> Result<Chrome, AppError> {
    let p = crate::org::repo::get_project(&mut app.db.read().await?, project).await?;
    Ok(Chrome::new(l, user, title, here)
        .crumb(l.t("projects.title"), "/projects")
        .crumb(p.name, format!("/projects/{project}"))
        .crumb(l.t("admin.title"), format!("/projects/{project}/admin")))
}

/// One row of the template list.
struct TemplateRow {
    t: TemplateSummary,
    /// What the project runs it for.
    used_for: Vec<Scope>,
    updated: String,
}

/// Phrases of one trade.
struct PhraseGroup {
    label: &'static str,
    phrases: Vec<Phrase>,
}

#[derive(Template)]
#[template(path = "checklists/list.html")]
struct ListPage {
    c: Chrome,
    project_id: Uuid,
    templates: Vec<TemplateRow>,
    has_own: bool,
    phrases: Vec<PhraseGroup>,
    trades: Vec<(&'static str, &'static str)>,
    /// `(message, ok)` of the last phrase post.
    flash: Option<(String, bool)>,
    kept: HashMap<String, String>,
}

impl ListPage {
    fn kept(&self, field: &str) -> &str {
        self.kept.get(field).map_or("", String::as_str)
    }
}

async fn render_list(
    app: &AppState,
    user: &CurrentUser,
    l: Locale,
    id: Uuid,
    flash: Option<(String, bool)>,
    kept: HashMap<String, String>,
) -> Result<Response, AppError> {
    let c = chrome(
        app,
        user,
        l,
        id,
        l.t("checklists.title").to_owned(),
        format!("/projects/{id}/checklists"),
    )
    .await?;
    let mut conn = app.db.read().await?;
    let chosen = repo::chosen(&mut conn, id).await?;
    let templates: Vec<TemplateRow> = repo::list_templates(&mut conn, id)
        .await?
        .into_iter()
        .map(|t| TemplateRow {
            used_for: chosen.scopes_of(t.id),
            updated: clock::show(t.updated_at),
            t,
        })
        .collect();
    let all = repo::phrases(&mut conn, id, None).await?;
    let phrases = Trade::ALL
        .iter()
        .map(|t| PhraseGroup {
            label: t.label(l),
            phrases: all.iter().filter(|p| p.trade == *t).cloned().collect(),
        })
        .collect();
    page(&ListPage {
        c,
        project_id: id,
        has_own: templates.iter().any(|t| t.t.project_id.is_some()),
        templates,
        phrases,
        trades: trade_options(l),
        flash,
        kept,
    })
}

fn trade_options(l: Locale) -> Vec<(&'static str, &'static str)> {
    Trade::ALL
        .iter()
        .map(|t| (t.as_str(), t.label(l)))
        .collect()
}

/// The project's checklist templates and phrase library (admins).
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    uri: Uri,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let flash = query_param(&uri, "saved").map(|_| (l.t("admin.saved").to_owned(), true));
    render_list(&app, &user, l, id, flash, HashMap::new()).await
}

/// Adds (`add`) or removes (`remove`) a project phrase from the list page.
pub async fn phrase_submit(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
    PageForm(user, f): PageForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(id, ADMIN)?;
    let (s, u, p) = (|| State(app.clone()), || user.clone(), || ApiPath(id));
    let result = match action.as_str() {
        "add" => match Trade::parse(&field(&f, "trade")) {
            Some(trade) => {
                let body = NewPhrase {
                    trade,
                    text: field(&f, "text"),
                };
                api::create_phrase(s(), u(), p(), ApiJson(body))
                    .await
                    .map(drop)
            }
            None => Err(AppError::field("trade", "required")),
        },
        "remove" => {
            let phrase = field(&f, "phrase")
                .parse()
                .map_err(|_| AppError::NotFound)?;
            api::delete_phrase(s(), u(), ApiPath((id, phrase)))
                .await
                .map(drop)
        }
        _ => Err(AppError::NotFound),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/projects/{id}/checklists?saved=phrase#phrases"
        ))),
        Err(e @ (AppError::Internal(_) | AppError::NotFound | AppError::Forbidden)) => Err(e),
        Err(e) => {
            let message = error_message(&e, l);
            render_list(&app, &user, l, id, Some((message, false)), f).await
        }
    }
}
