//! Password login, shared by the login page and the token endpoint: rate limit, verify, open a
//! session.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{hash_password, new_secret, repo, secret_hash, verify_password};
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

/// Failed attempts per username within [`WINDOW_MINUTES`] before logins are refused.
pub const MAX_FAILURES_PER_USER: i64 = 5;
/// Failed attempts per client address within the window before logins are refused.
pub const MAX_FAILURES_PER_IP: i64 = 50;
/// Length of the rate-limit window.
pub const WINDOW_MINUTES: i64 = 15;

/// What kind of credential a login opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Page session cookie (12 hours).
    Web,
    /// Bearer token for the tablet API (30 days).
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            SessionKind::Web => Duration::hours(12),
            SessionKind::Api => Duration::days(30),
        }
    }
}

/// A successful login: the secret to hand to the client, once.
#[derive(Debug)]
pub struct Opened {
    /// The session cookie value or bearer token.
    pub secret: String,
    /// The user logged in.
    pub user_id: Uuid,
    /// When the secret stops working.
    pub expires_at: DateTime<Utc>,
}

// Verified when the username is unknown, so unknown and known usernames take the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password(&new_secret()).unwrap_or_default());

/// Checks `username`/`password` (rate-limited per user and address) and opens a session.
pub async fn login(
    db: &Db,
    username: &str,
    password: &str,
    client_ip: &str,
    kind: SessionKind,
) -> Result<Opened, AppError> {
    let now = clock::now();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let mut conn = db.read().await?;
    let (by_user, by_ip) = repo::recent_failures(&mut conn, username, client_ip, since).await?;
    if by_user >= MAX_FAILURES_PER_USER || by_ip >= MAX_FAILURES_PER_IP {
        return Err(AppError::RateLimited);
    }
    let user = repo::find_user(&mut conn, username).await?;
    drop(conn);

    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.clone(), |u| u.password_hash.clone());
    let pw = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let user = user.filter(|u| ok && u.active);

    let mut tx = db.begin().await?;
    repo::record_attempt(&mut tx, username, client_ip, user.is_some(), now).await?;
    let Some(user) = user else {
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    };
    let secret = new_secret();
    let expires_at = now + kind.lifetime();
    let csrf = if kind == SessionKind::Web {
        new_secret()
    } else {
        String::new()
    };
    repo::insert_session(
        &mut tx,
        &secret_hash(&secret),
        user.id,
        kind.as_str(),
        &csrf,
        now,
        expires_at,
    )
    .await?;
    tx.commit().await?;
    Ok(Opened {
        secret,
        user_id: user.id,
        expires_at,
    })
}
