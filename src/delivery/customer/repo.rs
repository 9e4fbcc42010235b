//! SQL of the customer link: links, what a unit's link shows (its customer issues, the photos
//! of their rectification items, the customer's feedback), and the survey.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::db::{DbConn, Tx};
use crate::delivery::repo::IssueRow;
use crate::error::AppError;
use crate::{exec, run};

/// A customer link with what the customer did through it.
#[derive(Debug, Clone, FromRow)]
pub struct LinkRow {
    /// Id.
    pub id: Uuid,
    /// Unit.
    pub unit_id: Uuid,
    /// The secret in the address.
    pub token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stops opening then.
    pub expires_at: DateTime<Utc>,
    /// Revoked by staff then.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Fixes the customer confirmed through it.
    pub confirmed_fixed: i64,
    /// Fixes the customer disputed through it (re-inspection requests).
    pub reinspection_requests: i64,
}

/// The link query, followed by `$tail`.
macro_rules! link_sql {
    ($tail:literal) => {
        concat!(
            "select l.id, l.unit_id, l.token, l.created_at, l.expires_at, l.revoked_at,
        (select count(*) from issue_feedback f where f.link_id = l.id and f.fixed) as confirmed_fixed,
        (select count(*) from issue_feedback f where f.link_id = l.id and not f.fixed)
            as reinspection_requests
    from customer_links l",
            $tail
        )
    };
}

/// One link.
pub async fn link(c: &mut impl DbConn, id: Uuid) -> Result<LinkRow, AppError> {
    const SQL: &str = link_sql!(" where l.id = $1");
    run!(c, |c| sqlx::query_as::<_, LinkRow>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// The link of a token.
pub async fn by_token(c: &mut impl DbConn, token: &str) -> Result<LinkRow, AppError> {
    const SQL: &str = link_sql!(" where l.token = $1");
    run!(c, |c| sqlx::query_as::<_, LinkRow>(SQL)
        .bind(token)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// The links of a unit, newest first.
pub async fn unit_links(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<LinkRow>, AppError> {
    const SQL: &str = link_sql!(" where l.unit_id = $1 order by l.created_at desc, l.id");
    Ok(run!(c, |c| sqlx::query_as::<_, LinkRow>(SQL)
        .bind(unit)
        .fetch_all(c)
        .await)?)
}

/// Creates a link.
pub async fn insert(
    tx: &mut Tx,
    (id, unit, token): (Uuid, Uuid, &str),
    (user, now, expires_at): (Uuid, DateTime<Utc>, DateTime<Utc>),
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into customer_links (id, unit_id, token, created_by, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id)
    .bind(unit)
    .bind(token)
    .bind(user)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await)?;
    Ok(())
}

/// Revokes a link (a revoked link stays revoked as it was).
pub async fn revoke(tx: &mut Tx, id: Uuid, user: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "update customer_links set revoked_at = $2, revoked_by = $3
         where id = $1 and revoked_at is null"
    )
    .bind(id)
    .bind(now)
    .bind(user)
    .execute(c)
    .await)?;
    Ok(())
}

/// The issue query, followed by `$tail`.
macro_rules! issue_sql {
    ($tail:literal) => {
        concat!("select i.id, i.visit_id, i.unit_id, i.room, i.part, i.trade, i.description,
        i.judgement, i.reason_code, i.reason_text, i.defect_id, d.status as defect_status, i.created_at
    from visit_issues i left join defects d on d.id = i.defect_id", $tail)
    };
}

/// The customer issues of a unit (every visit), in the order raised.
pub async fn unit_issues(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<IssueRow>, AppError> {
    const SQL: &str = issue_sql!(" where i.unit_id = $1 order by i.created_at, i.id");
    Ok(run!(c, |c| sqlx::query_as::<_, IssueRow>(SQL)
        .bind(unit)
        .fetch_all(c)
        .await)?)
}

/// One customer issue of a unit (`NotFound` for an issue of another unit).
pub async fn unit_issue(c: &mut impl DbConn, unit: Uuid, id: Uuid) -> Result<IssueRow, AppError> {
    const SQL: &str = issue_sql!(" where i.id = $1 and i.unit_id = $2");
    run!(c, |c| sqlx::query_as::<_, IssueRow>(SQL)
        .bind(id)
        .bind(unit)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// A photo of a rectification item of a unit's customer issue.
#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    /// Id (what the photo address carries).
    pub id: Uuid,
    /// The rectification item.
    pub defect_id: Uuid,
    /// `before` or `after`.
    pub phase: String,
}

/// The photos of the rectification items of a unit's customer issues, in upload order.
pub async fn unit_photos(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<PhotoRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, PhotoRow>(
        "select p.id, p.defect_id, p.phase from defect_photos p
         join visit_issues i on i.defect_id = p.defect_id
         where i.unit_id = $1 order by p.uploaded_at, p.id"
    )
    .bind(unit)
    .fetch_all(c)
    .await)?)
}

/// The content hash of a photo of a unit's customer rectification item; `NotFound` for any
/// other photo (another unit's, or a stage-1 defect's).
pub async fn unit_photo(c: &mut impl DbConn, unit: Uuid, photo: Uuid) -> Result<String, AppError> {
    run!(c, |c| sqlx::query_scalar(
        "select p.sha256 from defect_photos p join visit_issues i on i.defect_id = p.defect_id
         where p.id = $1 and i.unit_id = $2"
    )
    .bind(photo)
    .bind(unit)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// When a rectification item was (last) marked fixed: `(defect, at)` of each such move.
pub async fn unit_fixes(
    c: &mut impl DbConn,
    unit: Uuid,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, AppError> {
    Ok(run!(c, |c| sqlx::query_as(
        "select ev.defect_id, ev.at from defect_events ev
         join visit_issues i on i.defect_id = ev.defect_id
         where i.unit_id = $1 and ev.to_status = 'fixed'"
    )
    .bind(unit)
    .fetch_all(c)
    .await)?)
}

/// When a rectification item was last marked fixed.
pub async fn last_fixed(
    c: &mut impl DbConn,
    defect: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select at from defect_events where defect_id = $1 and to_status = 'fixed'
         order by at desc limit 1"
    )
    .bind(defect)
    .fetch_optional(c)
    .await)?)
}

/// When the customer last gave their word on an issue's fix.
pub async fn last_feedback(
    c: &mut impl DbConn,
    issue: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select created_at from issue_feedback where issue_id = $1
         order by created_at desc limit 1"
    )
    .bind(issue)
    .fetch_optional(c)
    .await)?)
}

/// The customer's word on a fix.
#[derive(Debug, Clone, FromRow)]
pub struct FeedbackRow {
    /// The issue.
    pub issue_id: Uuid,
    /// Fixed (`true`) or not (a re-inspection request).
    pub fixed: bool,
    /// What they added.
    pub comment: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The customer's feedback on a unit's issues, oldest first.
pub async fn unit_feedback(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<FeedbackRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, FeedbackRow>(
        "select f.issue_id, f.fixed, f.comment, f.created_at from issue_feedback f
         join visit_issues i on i.id = f.issue_id
         where i.unit_id = $1 order by f.created_at, f.id"
    )
    .bind(unit)
    .fetch_all(c)
    .await)?)
}

/// The customer's feedback on the fix of a rectification item, oldest first.
pub async fn defect_feedback(
    c: &mut impl DbConn,
    defect: Uuid,
) -> Result<Vec<FeedbackRow>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, FeedbackRow>(
        "select f.issue_id, f.fixed, f.comment, f.created_at from issue_feedback f
         join visit_issues i on i.id = f.issue_id
         where i.defect_id = $1 order by f.created_at, f.id"
    )
    .bind(defect)
    .fetch_all(c)
    .await)?)
}

/// Records the customer's word on a fix.
pub async fn insert_feedback(
    tx: &mut Tx,
    (issue, link): (Uuid, Uuid),
    (fixed, comment): (bool, &str),
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(tx, |c| sqlx::query(
        "insert into issue_feedback (id, issue_id, link_id, fixed, comment, created_at)
         values ($1, $2, $3, $4, $5, $6)"
    )
    .bind(Uuid::new_v4())
    .bind(issue)
    .bind(link)
    .bind(fixed)
    .bind(comment)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// When the unit was delivered (its accepted visit), if it was.
pub async fn delivered_at(
    c: &mut impl DbConn,
    unit: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar::<_, Option<DateTime<Utc>>>(
        "select outcome_at from visits where unit_id = $1 and outcome = 'accepted'"
    )
    .bind(unit)
    .fetch_optional(c)
    .await)?
    .flatten())
}

/// When the unit's survey was answered, if it was.
pub async fn survey_answered_at(
    c: &mut impl DbConn,
    unit: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "select submitted_at from surveys where unit_id = $1"
    )
    .bind(unit)
    .fetch_optional(c)
    .await)?)
}

/// Stores the unit's survey (its unique key refuses a second one: `AlreadyExists`).
pub async fn insert_survey(
    tx: &mut Tx,
    (unit, link): (Uuid, Uuid),
    answer: &super::SurveyAnswer,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let stars = serde_json::to_string(&answer.stars).map_err(anyhow::Error::from)?;
    exec!(tx, |c| sqlx::query(
        "insert into surveys (id, unit_id, link_id, stars, nps, comment, submitted_at)
         values ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(Uuid::new_v4())
    .bind(unit)
    .bind(link)
    .bind(&stars)
    .bind(i32::try_from(answer.nps).unwrap_or_default())
    .bind(answer.comment.trim())
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}
