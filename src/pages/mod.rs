//! What every page shares: the chrome (title, breadcrumb, language switch, user menu), the
//! landing redirect by role, the stylesheet, and the HTML error page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::http::ApiQuery;
use crate::i18n::Locale;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/lang/{tag}", get(switch_language))
        .route("/static/app.css", get(stylesheet))
}

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Language of the page.
    pub l: Locale,
    /// Page title.
    pub title: String,
    /// Signed-in user's display name, if any.
    pub user: Option<String>,
    /// CSRF token for the forms of this page.
    pub csrf: String,
    /// This page's path and query, for the language switch.
    pub here: String,
    /// Breadcrumb: `(label, link)` from the top.
    pub crumbs: Vec<(String, String)>,
}

impl Chrome {
    /// Chrome for a signed-in user's page.
    pub fn new(
        l: Locale,
        user: &CurrentUser,
        title: impl Into<String>,
        here: impl Into<String>,
    ) -> Self {
        Chrome {
            l,
            title: title.into(),
            user: Some(user.display_name.clone()),
            csrf: user.csrf_token.clone(),
            here: here.into(),
            crumbs: Vec::new(),
        }
    }

    /// Adds a breadcrumb step.
    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Self {
        self.crumbs.push((label.into(), href.into()));
        self
    }

    /// Catalog text in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.l.t(key)
    }

    /// A count in the page's language (thousands separators in English).
    pub fn n(&self, n: &i64) -> String {
        self.l.count(*n)
    }

    /// The other language's tag and name, for the switch.
    pub fn other(&self) -> (&'static str, &'static str) {
        match self.l {
            Locale::ZhCn => ("en", "English"),
            Locale::En => ("zh-CN", "中文"),
        }
    }

    /// Percent-encodes this page's address for a `back=` parameter.
    pub fn here_encoded(&self) -> String {
        form_urlencoded_component(&self.here)
    }
}

/// Whether `p` is a path on this site, safe to redirect to: starts with one `/`, and has no
/// backslash (browsers read `/\host` as `//host`) and no control characters.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
}

/// `base` with the query of the present `pairs`, form-encoded in order (no `?` when none is).
pub fn with_query(base: String, pairs: &[(&str, Option<String>)]) -> String {
    let present: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
        .collect();
    if present.is_empty() {
        return base;
    }
    format!(
        "{base}?{}",
        serde_urlencoded::to_string(present).unwrap_or_default()
    )
}

/// Percent-encodes a string for a query component.
pub fn form_urlencoded_component(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap_or_default()[2..].to_owned()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    message: &'a str,
    code: &'a str,
}

/// Renders an error for a page request: a redirect to the login page when not signed in,
/// otherwise a page with the message in the page's language.
pub fn error_page(error: &AppError, l: Locale, target: &str, original: Response) -> Response {
    if matches!(error, AppError::Unauthenticated) {
        let to = format!("/login?next={}", form_urlencoded_component(target));
        return Redirect::to(&to).into_response();
    }
    let c = Chrome {
        l,
        title: l.t("error.title").into(),
        user: None,
        csrf: String::new(),
        here: target.into(),
        crumbs: vec![],
    };
    let page = ErrorPage {
        c,
        message: l.t(error.code()),
        code: error.code(),
    };
    let html = page.render().unwrap_or_else(|_| error.code().to_owned());
    let status = if original.status().is_success() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        original.status()
    };
    (status, axum::response::Html(html)).into_response()
}

/// Where each role lands after login (UI.md "Who lands where"): executives on the KPI
/// dashboard.
pub fn landing_for(user: &CurrentUser) -> String {
    if user.grants.iter().any(|(_, r)| *r == Role::Executive) {
        return "/dashboard".to_owned();
    }
    let projects = user.project_ids();
    match projects.as_slice() {
        [only] => {
            let inspector_or_property = user
                .roles_on(*only)
                .any(|r| matches!(r, Role::Inspector | Role::Property));
            if inspector_or_property {
                format!("/projects/{only}")
            } else {
                "/projects".to_owned()
            }
        }
        _ => "/projects".to_owned(),
    }
}

/// Inspectors land on their work queue, contractors on their defects to fix, property
/// managers on their takeovers, customer service on today's handover desk; the other roles as
/// [`landing_for`] says.
async fn landing(State(app): State<AppState>, user: CurrentUser) -> Result<Redirect, AppError> {
    let has = |role: Role| user.grants.iter().any(|(_, r)| *r == role);
    let desk = if has(Role::Service) {
        crate::delivery::pages::desk_for(&app, &user).await?
    } else {
        None
    };
    let to = if let Some(desk) = desk {
        desk
    } else if has(Role::Inspector) {
        "/me/work".to_owned()
    } else if has(Role::Contractor) {
        "/me/defects".to_owned()
    } else if has(Role::Property) {
        "/takeovers".to_owned()
    } else {
        landing_for(&user)
    };
    Ok(Redirect::to(&to))
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Sets the `lang` cookie (and, when signed in, the user's saved preference), then goes back.
async fn switch_language(
    State(app): State<AppState>,
    user: Result<CurrentUser, AppError>,
    Path(tag): Path<String>,
    ApiQuery(q): ApiQuery<Back>,
) -> Result<Response, AppError> {
    let l = Locale::parse(&tag).ok_or(AppError::NotFound)?;
    if let Ok(user) = user {
        let mut tx = app.db.begin().await?;
        crate::auth::repo::set_locale(&mut tx, user.id, l.tag()).await?;
        tx.commit().await?;
        app.sessions.clear();
    }
    // Only same-site paths: never an open redirect.
    let back = q
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&back).into_response();
    let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", l.tag());
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(resp)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/static/app.css"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert!(super::is_local_path("/projects/1?x=2"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\u{0}x",
            "",
        ] {
            assert!(!super::is_local_path(bad), "{bad}");
        }
    }
}
