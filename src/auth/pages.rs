//! The login page and logout.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::extract::{LOGIN_CSRF_COOKIE, PageForm, SESSION_COOKIE};
use super::login::{SessionKind, login};
use super::{new_secret, repo, secret_hash};
use crate::app::AppState;
use crate::error::AppError;
use crate::http::{ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::Chrome;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    c: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

fn login_chrome(l: Locale) -> Chrome {
    Chrome {
        l,
        title: l.t("login.title").into(),
        user: None,
        csrf: String::new(),
        here: "/login".into(),
        crumbs: vec![],
    }
}

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| crate::pages::is_local_path(n) && !n.starts_with("/login"))
        .unwrap_or_default()
}

fn set_cookie(resp: &mut Response, value: String) -> Result<(), AppError> {
    let v = HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.into()))?;
    resp.headers_mut().append(header::SET_COOKIE, v);
    Ok(())
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::http::cookie(headers, name).map(str::to_owned)
}

async fn show(
    l: Locale,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<Next>,
) -> Result<Response, AppError> {
    render(l, &headers, safe_next(q.next), String::new(), None)
}

fn render(
    l: Locale,
    headers: &HeaderMap,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<Response, AppError> {
    let existing = cookie_value(headers, LOGIN_CSRF_COOKIE);
    let csrf = existing.clone().unwrap_or_else(new_secret);
    let mut resp = page(&LoginPage {
        c: login_chrome(l),
        csrf: csrf.clone(),
        next,
        username,
        error,
    })?;
    if existing.is_none() {
        set_cookie(
            &mut resp,
            format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"),
        )?;
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

async fn submit(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    l: Locale,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE);
    if expected.as_deref() != Some(form.csrf.as_str()) {
        return Err(AppError::CsrfRejected);
    }
    let next = safe_next(form.next);
    match login(
        &app.db,
        form.username.trim(),
        &form.password,
        &addr.ip().to_string(),
        SessionKind::Web,
    )
    .await
    {
        Ok(opened) => {
            let mut resp = see_other(if next.is_empty() { "/" } else { &next });
            let secure = if app.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            set_cookie(
                &mut resp,
                format!(
                    "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{secure}",
                    opened.secret
                ),
            )?;
            Ok(resp)
        }
        Err(e @ (AppError::InvalidCredentials | AppError::RateLimited)) => {
            let mut resp = render(
                l,
                &headers,
                next,
                form.username,
                Some(l.t(e.code()).to_owned()),
            )?;
            *resp.status_mut() = e.status();
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    PageForm(_user, _): PageForm<Empty>,
) -> Result<Response, AppError> {
    if let Some(secret) = cookie_value(&headers, SESSION_COOKIE) {
        let mut tx = app.db.begin().await?;
        repo::delete_session(&mut tx, &secret_hash(&secret)).await?;
        tx.commit().await?;
        app.sessions.remove(&secret_hash(&secret));
    }
    let mut resp = see_other("/login");
    set_cookie(
        &mut resp,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    )?;
    Ok(resp.into_response())
}
