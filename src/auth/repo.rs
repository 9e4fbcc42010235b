//! SQL for users, memberships, sessions and login attempts.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::Role;
use crate::db::DbConn;
use crate::error::AppError;
use crate::{exec, run};

/// A stored user account.
#[derive(Debug, FromRow)]
pub struct UserRow {
    /// Id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in pages.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Preferred language tag.
    pub locale: Option<String>,
    /// Disabled accounts cannot log in.
    pub active: bool,
}

/// A live session or token with its user.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// User id.
    pub user_id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in pages.
    pub display_name: String,
    /// Preferred language tag.
    pub locale: Option<String>,
    /// Version of the user's grants (cache key).
    pub grants_version: i64,
    /// CSRF token bound to a page session.
    pub csrf_token: String,
    /// `web` or `api`.
    pub kind: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Where a membership applies.
#[derive(Debug, Clone, Copy)]
pub enum MemberScope {
    /// Every project of a group.
    Group(Uuid),
    /// Every project of a region company.
    Region(Uuid),
    /// One project.
    Project(Uuid),
}

/// Looks a user up by login name.
pub async fn find_user(c: &mut impl DbConn, username: &str) -> Result<Option<UserRow>, AppError> {
    const SQL: &str = "select id, username, display_name, password_hash, locale, active
                       from users where username = $1";
    Ok(run!(c, |c| sqlx::query_as::<_, UserRow>(SQL)
        .bind(username)
        .fetch_optional(c)
        .await)?)
}

/// Inserts a user; a taken username is `AlreadyExists`.
pub async fn insert_user(
    c: &mut impl DbConn,
    username: &str,
    display_name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into users (id, username, display_name, password_hash, active, created_at)
                       values ($1, $2, $3, $4, true, $5)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(username)
        .bind(display_name)
        .bind(password_hash)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

/// Grants `role` to a user on a scope; granting it twice is a no-op.
pub async fn grant(
    c: &mut impl DbConn,
    user: Uuid,
    role: Role,
    scope: MemberScope,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str =
        "insert into memberships (id, user_id, role, group_id, region_id, project_id, created_at)
                       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing";
    let (g, r, p) = match scope {
        MemberScope::Group(id) => (Some(id), None, None),
        MemberScope::Region(id) => (None, Some(id), None),
        MemberScope::Project(id) => (None, None, Some(id)),
    };
    exec!(c, |c| sqlx::query(SQL)
        .bind(Uuid::new_v4())
        .bind(user)
        .bind(role.as_str())
        .bind(g)
        .bind(r)
        .bind(p)
        .bind(now)
        .execute(c)
        .await)?;
    bump_grants(c, user).await
}

/// Records which contractor company a contractor-role member of a project works for.
pub async fn set_member_contractor(
    c: &mut impl DbConn,
    user: Uuid,
    project: Uuid,
    contractor: Uuid,
) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update memberships set contractor_id = $1
            where user_id = $2 and project_id = $3 and role = 'contractor'"
    )
    .bind(contractor)
    .bind(user)
    .bind(project)
    .execute(c)
    .await)?;
    Ok(())
}

/// Stores a new session or API token (by the hash of its secret).
pub async fn insert_session(
    c: &mut impl DbConn,
    token_hash: &str,
    user: Uuid,
    kind: &str,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str =
        "insert into sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at)
                       values ($1, $2, $3, $4, $5, $6)";
    exec!(c, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(user)
        .bind(kind)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(c)
        .await)?;
    Ok(())
}

/// Finds a session by the hash of its secret, with its (active) user.
pub async fn find_session(
    c: &mut impl DbConn,
    token_hash: &str,
) -> Result<Option<SessionRow>, AppError> {
    const SQL: &str = "select s.user_id, u.username, u.display_name, u.locale, u.grants_version,
            s.csrf_token, s.kind, s.expires_at
        from sessions s join users u on u.id = s.user_id
        where s.token_hash = $1 and u.active = true";
    Ok(run!(c, |c| sqlx::query_as::<_, SessionRow>(SQL)
        .bind(token_hash)
        .fetch_optional(c)
        .await)?)
}

/// Every `(project, role)` the user holds, region and group memberships expanded.
pub async fn grants(c: &mut impl DbConn, user: Uuid) -> Result<Vec<(Uuid, Role)>, AppError> {
    const SQL: &str = "select m.project_id, m.role from memberships m
            where m.user_id = $1 and m.project_id is not null
        union
        select p.id, m.role from memberships m join projects p on p.region_id = m.region_id
            where m.user_id = $1
        union
        select p.id, m.role from memberships m join regions r on r.group_id = m.group_id
            join projects p on p.region_id = r.id where m.user_id = $1";
    let rows: Vec<(Uuid, String)> = run!(c, |c| sqlx::query_as(SQL).bind(user).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, r)| Some((p, Role::parse(&r)?)))
        .collect())
}

/// Marks the user's grants changed (after a membership is added or removed).
async fn bump_grants(c: &mut impl DbConn, user: Uuid) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update users set grants_version = grants_version + 1 where id = $1"
    )
    .bind(user)
    .execute(c)
    .await)?;
    Ok(())
}

/// Marks changed the grants of everyone holding a membership on the region or its group (a new
/// project in the region widens what they see).
pub async fn bump_grants_of_region(c: &mut impl DbConn, region: Uuid) -> Result<(), AppError> {
    const SQL: &str = "update users set grants_version = grants_version + 1 where id in (
        select m.user_id from memberships m
        where m.region_id = $1 or m.group_id = (select group_id from regions where id = $1))";
    exec!(c, |c| sqlx::query(SQL).bind(region).execute(c).await)?;
    Ok(())
}

/// Ends a session.
pub async fn delete_session(c: &mut impl DbConn, token_hash: &str) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "delete from sessions where token_hash = $1"
    )
    .bind(token_hash)
    .execute(c)
    .await)?;
    Ok(())
}

/// Records one login attempt (for rate limiting and audit).
pub async fn record_attempt(
    c: &mut impl DbConn,
    username: &str,
    ip: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into login_attempts (id, username, client_ip, succeeded, at)
                       values ($1, $2, $3, $4, $5)";
    exec!(c, |c| sqlx::query(SQL)
        .bind(Uuid::new_v4())
        .bind(username)
        .bind(ip)
        .bind(succeeded)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

/// Failed attempts since `since`: for this username, and from this address.
pub async fn recent_failures(
    c: &mut impl DbConn,
    username: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), AppError> {
    const SQL: &str = "select
          (select count(*) from login_attempts where username = $1 and succeeded = false and at >= $3),
          (select count(*) from login_attempts where client_ip = $2 and succeeded = false and at >= $3)";
    Ok(run!(c, |c| sqlx::query_as::<_, (i64, i64)>(SQL)
        .bind(username)
        .bind(ip)
        .bind(since)
        .fetch_one(c)
        .await)?)
}

/// Whether the user is an admin of the region company (directly or through its group).
pub async fn is_region_admin(
    c: &mut impl DbConn,
    user: Uuid,
    region: Uuid,
) -> Result<bool, AppError> {
    const SQL: &str = "select count(*) from memberships m join regions r on r.id = $2
        where m.user_id = $1 and m.role = 'admin' and (m.region_id = r.id or m.group_id = r.group_id)";
    let n: i64 = run!(c, |c| sqlx::query_scalar(SQL)
        .bind(user)
        .bind(region)
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// The user's id by login name.
pub async fn user_id(c: &mut impl DbConn, username: &str) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar::<_, Uuid>(
        "select id from users where username = $1"
    )
    .bind(username)
    .fetch_optional(c)
    .await)?)
}

/// Sets when a session stops working (ends it early, e.g. on password change).
pub async fn expire_session(
    c: &mut impl DbConn,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update sessions set expires_at = $2 where token_hash = $1"
    )
    .bind(token_hash)
    .bind(at)
    .execute(c)
    .await)?;
    Ok(())
}

/// Sets a user's preferred language.
pub async fn set_locale(c: &mut impl DbConn, user: Uuid, locale: &str) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update users set locale = $2 where id = $1"
    )
    .bind(user)
    .bind(locale)
    .execute(c)
    .await)?;
    Ok(())
}
