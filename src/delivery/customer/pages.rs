//! The customer's phone page (`/c/{token}`, no account): their unit, issues and fixes with the
//! "fixed / not fixed" buttons, and the survey with star taps; a friendly page once the link is
//! revoked or expired. Every form calls the JSON API's function, so both doors keep the same
//! rules.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SurveyAnswer;
use super::api::{self, FeedbackBody};
use super::repo::LinkRow;
use super::view::{self, CustomerView};
use crate::app::AppState;
use crate::clock;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery, page, see_other};
use crate::i18n::Locale;
use crate::pages::form_urlencoded_component;

/// The customer's page routes (behind the rate limits).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/c/{token}", get(show))
        .route("/c/{token}/issues/{issue}/feedback", post(feedback))
        .route("/c/{token}/survey", post(survey))
}

/// The phone page's stylesheet (also used by the staff sections).
pub fn routes() -> Router<AppState> {
    Router::new().route("/static/customer.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../templates/static/customer.css"),
    )
}

/// The frame of the phone pages: language, title, address for the language switch.
pub struct Phone {
    /// Language.
    pub l: Locale,
    /// Title.
    pub title: String,
    /// This page's path.
    pub here: String,
}

impl Phone {
    /// Catalog text.
    pub fn t(&self, key: &str) -> &'static str {
        self.l.t(key)
    }

    /// The other language's tag and name.
    pub fn other(&self) -> (&'static str, &'static str) {
        match self.l {
            Locale::ZhCn => ("en", "English"),
            Locale::En => ("zh-CN", "中文"),
        }
    }

    /// This page's address, percent-encoded for `back=`.
    pub fn here_encoded(&self) -> String {
        form_urlencoded_component(&self.here)
    }
}

/// A message at the top of the page.
pub struct Flash {
    /// Success (else a failure).
    pub ok: bool,
    /// The words.
    pub text: String,
}

/// What a refused survey form sent, to show it again.
#[derive(Default)]
struct Kept {
    values: HashMap<String, String>,
    invalid: HashSet<String>,
}

#[derive(Template)]
#[template(path = "delivery/customer.html")]
struct CustomerPage {
    c: Phone,
    token: String,
    v: CustomerView,
    flash: Option<Flash>,
    kept: Kept,
    expires: String,
}

impl CustomerPage {
    fn when(&self, t: &DateTime<Utc>) -> String {
        clock::show(*t)
    }

    fn place(&self, i: &view::CustomerIssue) -> String {
        [i.room.as_str(), i.part.as_str(), i.trade.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    }

    fn star_values(&self) -> [u8; 5] {
        [5, 4, 3, 2, 1]
    }

    fn nps_values(&self) -> Vec<u8> {
        (0..=10).collect()
    }

    fn stars_label(&self, n: impl std::fmt::Display) -> String {
        self.c.l.fmt1("customer.survey.stars", "n", &n.to_string())
    }

    fn kept(&self, field: &str) -> &str {
        self.kept.values.get(field).map_or("", String::as_str)
    }

    fn star_checked(&self, code: &str, n: impl std::fmt::Display) -> bool {
        self.kept(&format!("stars.{code}")) == n.to_string()
    }

    fn nps_checked(&self, n: impl std::fmt::Display) -> bool {
        self.kept("nps") == n.to_string()
    }

    fn invalid(&self, field: &str) -> bool {
        self.kept.invalid.contains(field)
    }

    fn star_invalid(&self, code: &str) -> bool {
        self.invalid(&format!("stars.{code}"))
    }
}

#[derive(Template)]
#[template(path = "delivery/customer_closed.html")]
struct ClosedPage {
    c: Phone,
    code: &'static str,
}

/// A date in prose: `2027年6月1日`, `1 June 2027`.
fn long_date(l: Locale, t: DateTime<Utc>) -> String {
    let d = clock::local_date(t);
    match l {
        Locale::ZhCn => d.format("%Y年%-m月%-d日").to_string(),
        Locale::En => d.format("%-d %B %Y").to_string(),
    }
}

/// Phone pages are private: not cached, not indexed, no referrer (the address is the secret).
fn private(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    resp
}

/// The active link of `token`, or the response to give instead: the friendly page of a revoked
/// or expired link (`410`), or the error page (`404` for an unknown token).
async fn open(app: &AppState, l: Locale, token: &str) -> Result<LinkRow, Response> {
    match api::open(app, token).await {
        Ok(link) => Ok(link),
        Err(e @ (AppError::LinkRevoked | AppError::LinkExpired)) => {
            let c = Phone {
                l,
                title: l.t("customer.closed.title").to_owned(),
                here: format!("/c/{token}"),
            };
            let page = page(&ClosedPage { c, code: e.code() }).map(private);
            Err(page.map_or_else(IntoResponse::into_response, |mut r| {
                *r.status_mut() = StatusCode::GONE;
                r
            }))
        }
        Err(e) => Err(e.into_response()),
    }
}

async fn render(
    app: &AppState,
    l: Locale,
    link: &LinkRow,
    flash: Option<Flash>,
    kept: Kept,
) -> Result<Response, AppError> {
    let v = view::build(app, l, link).await?;
    let c = Phone {
        l,
        title: format!("{} {}", v.project_name, v.unit_number),
        here: format!("/c/{}", link.token),
    };
    let expires = l.fmt1("customer.expires", "date", &long_date(l, link.expires_at));
    let html = CustomerPage {
        c,
        token: link.token.clone(),
        v,
        flash,
        kept,
        expires,
    };
    page(&html).map(private)
}

/// `?ok=` after a form.
#[derive(Debug, serde::Deserialize)]
pub struct OkQuery {
    /// What was done: `fixed`, `not_fixed` or `survey`.
    pub ok: Option<String>,
}

/// The customer's page.
pub async fn show(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<OkQuery>,
) -> Result<Response, AppError> {
    let link = match open(&app, l, &token).await {
        Ok(link) => link,
        Err(resp) => return Ok(resp),
    };
    let flash =
        q.ok.filter(|k| ["fixed", "not_fixed", "survey"].contains(&k.as_str()))
            .map(|k| Flash {
                ok: true,
                text: l.t(&format!("customer.ok.{k}")).to_owned(),
            });
    render(&app, l, &link, flash, Kept::default()).await
}

fn form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// Whether the page shows `e` as a message on itself (else the error page).
fn on_page(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_)
            | AppError::FeedbackNotOpen
            | AppError::FeedbackGiven
            | AppError::SurveyAnswered
            | AppError::SurveyNotDelivered
    )
}

fn failed(l: Locale, e: &AppError) -> Option<Flash> {
    let key = match e {
        AppError::Invalid(_) => "customer.survey.invalid",
        other => other.code(),
    };
    Some(Flash {
        ok: false,
        text: l.t(key).to_owned(),
    })
}

/// "已修好" / "没修好" on an issue.
pub async fn feedback(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((token, issue)): ApiPath<(String, Uuid)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let link = match open(&app, l, &token).await {
        Ok(link) => link,
        Err(resp) => return Ok(resp),
    };
    let form = form(&body);
    let fixed = match form.get("fixed").map(String::as_str) {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(AppError::field("fixed", "required")),
    };
    let body = FeedbackBody {
        fixed,
        comment: form.get("comment").cloned().unwrap_or_default(),
    };
    match api::give_feedback(&app, &link, issue, &body).await {
        Ok(()) => {
            let ok = if fixed { "fixed" } else { "not_fixed" };
            Ok(see_other(&format!("/c/{token}?ok={ok}#issue-{issue}")))
        }
        Err(e) if on_page(&e) => render(&app, l, &link, failed(l, &e), Kept::default()).await,
        Err(e) => Err(e),
    }
}

/// The survey form: `stars.<code>` (1–5), `nps` (0–10), `comment`.
pub async fn survey(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(token): ApiPath<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let link = match open(&app, l, &token).await {
        Ok(link) => link,
        Err(resp) => return Ok(resp),
    };
    let values = form(&body);
    let answer = SurveyAnswer {
        stars: values
            .iter()
            .filter_map(|(k, v)| {
                Some((k.strip_prefix("stars.")?.to_owned(), v.trim().parse().ok()?))
            })
            .collect(),
        nps: values
            .get("nps")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(-1),
        comment: values.get("comment").cloned().unwrap_or_default(),
    };
    match api::answer_survey(&app, &link, &answer).await {
        Ok(()) => Ok(see_other(&format!("/c/{token}?ok=survey#survey"))),
        Err(e) if on_page(&e) => {
            let invalid = match &e {
                AppError::Invalid(fields) => fields.iter().map(|f| f.field.clone()).collect(),
                _ => HashSet::new(),
            };
            let kept = Kept { values, invalid };
            render(&app, l, &link, failed(l, &e), kept).await
        }
        Err(e) => Err(e),
    }
}
