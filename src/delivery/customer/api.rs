//! The customer link's JSON API. Staff (customer service, administrators) create a unit's links,
//! list them with what the customer did through them, revoke them and fetch their QR code. The
//! customer, with no account, reads their unit through the token, confirms or disputes fixes and
//! answers the survey.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, LinkRow};
use super::view::{self, CustomerView};
use super::{LinkState, MAX_COMMENT, SurveyAnswer, feedback_open, link_url, plausible_token};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::defects::Status;
use crate::delivery::api::STAFF;
use crate::error::{AppError, Check};
use crate::http::{ApiJson, ApiPath};
use crate::i18n::Locale;
use crate::openapi::ErrorBody;
use crate::photos::{self, Variant};

/// Staff routes (signed in; the QR code also for pages).
pub fn staff_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units/{id}/links", get(list).post(create))
        .route("/api/v1/links/{id}/revoke", post(revoke))
        .route("/api/v1/links/{id}/qr.svg", get(qr))
        .route("/links/{id}/qr.svg", get(qr))
}

/// The customer's JSON routes (no account: the token).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customer/{token}", get(show))
        .route(
            "/api/v1/customer/{token}/issues/{issue}/feedback",
            post(feedback),
        )
        .route("/api/v1/customer/{token}/survey", post(survey))
}

/// The photos behind a link.
pub fn photo_routes() -> Router<AppState> {
    Router::new().route("/api/v1/customer/{token}/photos/{id}/{variant}", get(photo))
}

/// A customer link as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// Id.
    pub id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// The secret in the address.
    pub token: String,
    /// The address to give the customer.
    pub url: String,
    /// Its QR code (SVG), for the inspection sheet.
    pub qr_url: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stops opening then.
    pub expires_at: DateTime<Utc>,
    /// Revoked then.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Opens, revoked or expired.
    pub state: LinkState,
    /// Fixes the customer confirmed through it.
    pub confirmed_fixed: i64,
    /// Fixes the customer said are not done: re-inspection requests.
    pub reinspection_requests: i64,
}

impl LinkView {
    /// The view of `l` on a service reached at `public_url`.
    pub fn new(l: LinkRow, public_url: &str) -> Self {
        LinkView {
            url: link_url(public_url, &l.token),
            qr_url: format!("/api/v1/links/{}/qr.svg", l.id),
            state: LinkState::at(l.revoked_at, l.expires_at, clock::now()),
            id: l.id,
            unit_id: l.unit_id,
            token: l.token,
            created_at: l.created_at,
            expires_at: l.expires_at,
            revoked_at: l.revoked_at,
            confirmed_fixed: l.confirmed_fixed,
            reinspection_requests: l.reinspection_requests,
        }
    }
}

/// Checks the caller runs handover day on the unit's project.
async fn staff_on_unit(app: &AppState, user: &CurrentUser, unit: Uuid) -> Result<(), AppError> {
    let project = crate::org::repo::get_unit(&mut app.db.read().await?, unit)
        .await?
        .project_id;
    user.require(project, STAFF)
}

/// The link `id`, if the caller runs handover day on its unit's project.
async fn staff_link(app: &AppState, user: &CurrentUser, id: Uuid) -> Result<LinkRow, AppError> {
    let link = repo::link(&mut app.db.read().await?, id).await?;
    staff_on_unit(app, user, link.unit_id).await?;
    Ok(link)
}

/// Creates a customer link for a unit, living the project's `link_days`.
#[utoipa::path(post, path = "/api/v1/units/{id}/links", tag = "customer", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 201, body = LinkView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(unit): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<LinkView>), AppError> {
    let id = create_link(&app, &user, unit).await?;
    let link = repo::link(&mut app.db.read().await?, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(LinkView::new(link, &app.config.public_url)),
    ))
}

/// Creates a link for `unit` as `user` (staff on its project); answers its id.
pub async fn create_link(app: &AppState, user: &CurrentUser, unit: Uuid) -> Result<Uuid, AppError> {
    staff_on_unit(app, user, unit).await?;
    let mut tx = app.db.begin().await?;
    let project = crate::org::repo::get_unit(&mut tx, unit).await?.project_id;
    let days = crate::delivery::repo::settings(&mut tx, project)
        .await?
        .link_days;
    let now = clock::now();
    let id = Uuid::new_v4();
    let expires_at = now + Duration::days(i64::from(days));
    let token = super::new_token();
    repo::insert(&mut tx, (id, unit, &token), (user.id, now, expires_at)).await?;
    tx.commit().await?;
    Ok(id)
}

/// The links of a unit, newest first, with what the customer did through each.
#[utoipa::path(get, path = "/api/v1/units/{id}/links", tag = "customer", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<LinkView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(unit): ApiPath<Uuid>,
) -> Result<Json<Vec<LinkView>>, AppError> {
    staff_on_unit(&app, &user, unit).await?;
    let rows = repo::unit_links(&mut app.db.read().await?, unit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|l| LinkView::new(l, &app.config.public_url))
            .collect(),
    ))
}

/// Revokes a link: from now on it answers `410 link.revoked`. Revoking twice changes nothing.
#[utoipa::path(post, path = "/api/v1/links/{id}/revoke", tag = "customer", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LinkView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<LinkView>, AppError> {
    let link = revoke_link(&app, &user, id).await?;
    Ok(Json(LinkView::new(link, &app.config.public_url)))
}

/// Revokes the link `id` as `user` (staff on its unit's project); answers it as it now is.
pub async fn revoke_link(
    app: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<LinkRow, AppError> {
    staff_link(app, user, id).await?;
    let mut tx = app.db.begin().await?;
    repo::revoke(&mut tx, id, user.id, clock::now()).await?;
    tx.commit().await?;
    repo::link(&mut app.db.read().await?, id).await
}

/// The link's address as a QR code (SVG), to print on the customer's inspection sheet.
#[utoipa::path(get, path = "/api/v1/links/{id}/qr.svg", tag = "customer", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn qr(
    State(app): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, AppError> {
    let link = staff_link(&app, &user, id).await?;
    let svg = crate::org::pages::qr_svg(&link_url(&app.config.public_url, &link.token), 240)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        svg,
    )
        .into_response())
}

/// The active link of `token`: `404` for an unknown token, `410` once revoked or expired.
pub async fn open(app: &AppState, token: &str) -> Result<LinkRow, AppError> {
    if !plausible_token(token) {
        return Err(AppError::NotFound);
    }
    let link = repo::by_token(&mut app.db.read().await?, token).await?;
    LinkState::at(link.revoked_at, link.expires_at, clock::now()).check()?;
    Ok(link)
}

/// The customer's unit: its visits' outcomes, their issues with judgement and rectification
/// progress (status, before/after photos, whether their word on the fix is awaited), the survey.
#[utoipa::path(get, path = "/api/v1/customer/{token}", tag = "customer",
    params(("token" = String, Path)),
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn show(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<CustomerView>, AppError> {
    let link = open(&app, &token).await?;
    Ok(Json(view::build(&app, l, &link).await?))
}

/// The customer's word on a fix.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// `true`: it is fixed; `false`: it is not (a re-inspection request to staff).
    pub fixed: bool,
    /// What they add (≤ 500 characters).
    #[serde(default)]
    pub comment: String,
}

/// Confirms a fix or disputes it (a re-inspection request, shown on the defect and counted on the
/// link), once per fix: `409 feedback.not_open` before the item is fixed (or for an issue with
/// nothing to fix), `409 feedback.already_given` for a second word on the same fix.
#[utoipa::path(post, path = "/api/v1/customer/{token}/issues/{issue}/feedback", tag = "customer",
    params(("token" = String, Path), ("issue" = Uuid, Path)), request_body = FeedbackBody,
    responses((status = 201, body = CustomerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn feedback(
    State(app): State<AppState>,
    l: Locale,
    ApiPath((token, issue)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> Result<(StatusCode, Json<CustomerView>), AppError> {
    let link = open(&app, &token).await?;
    give_feedback(&app, &link, issue, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(view::build(&app, l, &link).await?),
    ))
}

/// Records the customer's word on the fix of `issue` of the link's unit.
pub async fn give_feedback(
    app: &AppState,
    link: &LinkRow,
    issue: Uuid,
    body: &FeedbackBody,
) -> Result<(), AppError> {
    Check::default()
        .when(
            body.comment.chars().count() > MAX_COMMENT,
            "comment",
            "too_long",
        )
        .done()?;
    let mut tx = app.db.begin().await?;
    let row = repo::unit_issue(&mut tx, link.unit_id, issue).await?;
    let (Some(defect), Some(status)) = (
        row.defect_id,
        row.defect_status.as_deref().and_then(Status::parse),
    ) else {
        return Err(AppError::FeedbackNotOpen);
    };
    if !matches!(status, Status::Fixed | Status::Verified) {
        return Err(AppError::FeedbackNotOpen);
    }
    let fixed_at = repo::last_fixed(&mut tx, defect).await?;
    let last = repo::last_feedback(&mut tx, issue).await?;
    if !feedback_open(status, fixed_at, last) {
        return Err(AppError::FeedbackGiven);
    }
    let answer = (body.fixed, body.comment.trim());
    repo::insert_feedback(&mut tx, (issue, link.id), answer, clock::now()).await?;
    // A "not fixed" is a counted re-inspection request: the dashboards recount.
    crate::delivery::repo::bump_boards_of_unit(&mut tx, link.unit_id).await?;
    tx.commit().await
}

/// Answers the satisfaction survey, once per unit and only once it is delivered: `409
/// survey.not_delivered` before, `409 survey.already_answered` the second time; `422
/// request.invalid` naming each field out of range (`stars.<code>` 1–5, `nps` 0–10).
#[utoipa::path(post, path = "/api/v1/customer/{token}/survey", tag = "customer",
    params(("token" = String, Path)), request_body = SurveyAnswer,
    responses((status = 201, body = CustomerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn survey(
    State(app): State<AppState>,
    l: Locale,
    ApiPath(token): ApiPath<String>,
    ApiJson(body): ApiJson<SurveyAnswer>,
) -> Result<(StatusCode, Json<CustomerView>), AppError> {
    let link = open(&app, &token).await?;
    answer_survey(&app, &link, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(view::build(&app, l, &link).await?),
    ))
}

/// Stores the survey of the link's unit.
pub async fn answer_survey(
    app: &AppState,
    link: &LinkRow,
    answer: &SurveyAnswer,
) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    let project = crate::org::repo::get_unit(&mut tx, link.unit_id)
        .await?
        .project_id;
    let dimensions = crate::delivery::repo::settings(&mut tx, project)
        .await?
        .survey;
    answer.check(&dimensions)?;
    if repo::delivered_at(&mut tx, link.unit_id).await?.is_none() {
        return Err(AppError::SurveyNotDelivered);
    }
    if repo::survey_answered_at(&mut tx, link.unit_id)
        .await?
        .is_some()
    {
        return Err(AppError::SurveyAnswered);
    }
    repo::insert_survey(&mut tx, (link.unit_id, link.id), answer, clock::now())
        .await
        .map_err(|e| match e {
            AppError::AlreadyExists => AppError::SurveyAnswered,
            other => other,
        })?;
    // Satisfaction and NPS are batch figures: the dashboards recount.
    crate::delivery::repo::bump_boards_of_unit(&mut tx, link.unit_id).await?;
    tx.commit().await
}

/// A photo of a rectification item of the link's unit: `thumb` (320 px) or `preview` (1600 px);
/// any other photo, or the original, is `404`.
#[utoipa::path(get, path = "/api/v1/customer/{token}/photos/{id}/{variant}", tag = "customer",
    params(("token" = String, Path), ("id" = Uuid, Path), ("variant" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = String), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn photo(
    State(app): State<AppState>,
    ApiPath((token, id, variant)): ApiPath<(String, Uuid, String)>,
) -> Result<Response, AppError> {
    let variant = match photos::upload::variant(&variant)? {
        Variant::Original => return Err(AppError::NotFound),
        v => v,
    };
    let link = open(&app, &token).await?;
    let sha = repo::unit_photo(&mut app.db.read().await?, link.unit_id, id).await?;
    let bytes = app.photos.read(&sha, variant).await?;
    Ok(photos::upload::image_response(
        bytes,
        "image/jpeg",
        &sha,
        photos::upload::Caching::Immutable,
    ))
}
