//! Who the caller is and what they may do: roles, memberships, passwords, sessions and tokens.
//!
//! Pages authenticate with an HttpOnly session cookie and CSRF-checked forms; the tablet API with
//! a bearer token. Both resolve to a [`CurrentUser`] carrying the projects the user may see, with
//! the roles they hold on each (a region- or group-level membership covers every project below).

pub mod api;
pub mod extract;
pub mod login;
pub mod pages;
pub mod repo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppError;
use crate::i18n::Locale;

/// A role a user holds on a project (or on every project of a region or group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: projects, rosters, users, templates.
    Admin,
    /// 验收员: self-inspection and re-inspection.
    Inspector,
    /// 施工单位: fixes assigned defects.
    Contractor,
    /// 物业: property takeover.
    Property,
    /// 客服: handover day.
    Service,
    /// 管理层: reads KPIs and reports.
    Executive,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Inspector,
        Role::Contractor,
        Role::Property,
        Role::Service,
        Role::Executive,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Inspector => "inspector",
            Role::Contractor => "contractor",
            Role::Property => "property",
            Role::Service => "service",
            Role::Executive => "executive",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name in `locale`.
    pub fn label(self, locale: Locale) -> &'static str {
        locale.t(&format!("role.{}", self.as_str()))
    }
}

/// The signed-in user of a request and the projects they can see.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown in pages.
    pub display_name: String,
    /// Preferred language, if set.
    pub locale: Option<Locale>,
    /// CSRF token of the page session (empty for API tokens).
    pub csrf_token: String,
    /// `(project, role)` pairs the user holds, directly or through a region/group membership.
    pub grants: Arc<Vec<(Uuid, Role)>>,
}

impl CurrentUser {
    /// The roles the user holds on `project`.
    pub fn roles_on(&self, project: Uuid) -> impl Iterator<Item = Role> + '_ {
        self.grants
            .iter()
            .filter(move |(p, _)| *p == project)
            .map(|(_, r)| *r)
    }

    /// Whether the user may see `project` at all.
    pub fn can_see(&self, project: Uuid) -> bool {
        self.grants.iter().any(|(p, _)| *p == project)
    }

    /// Checks that the user may see `project` (else `NotFound`, so ids do not leak) and holds
    /// one of `roles` on it (else `Forbidden`).
    pub fn require(&self, project: Uuid, roles: &[Role]) -> Result<(), AppError> {
        if !self.can_see(project) {
            return Err(AppError::NotFound);
        }
        if self.roles_on(project).any(|r| roles.contains(&r)) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Checks that the user may see `project`, in any role.
    pub fn require_visible(&self, project: Uuid) -> Result<(), AppError> {
        if self.can_see(project) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Whether the user administers any project (may create users).
    pub fn is_any_admin(&self) -> bool {
        self.grants.iter().any(|(_, r)| *r == Role::Admin)
    }

    /// The distinct projects the user can see.
    pub fn project_ids(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.grants.iter().map(|(p, _)| *p).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// A user's `(project, role)` pairs, shared between requests.
pub type Grants = Arc<Vec<(Uuid, Role)>>;

/// Each user's expanded grants as of their `grants_version`, so a request does not re-expand
/// region and group memberships. The version comes with the session row on every request, so
/// every app server sees a membership change at once.
#[derive(Debug, Default)]
pub struct GrantCache(Mutex<HashMap<Uuid, (i64, Grants)>>);

impl GrantCache {
    /// The cached grants of `user` if they are of `version`.
    pub fn get(&self, user: Uuid, version: i64) -> Option<Grants> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&user)
            .filter(|(v, _)| *v == version)
            .map(|(_, g)| g.clone())
    }

    /// Remembers the grants of `user` at `version`.
    pub fn put(&self, user: Uuid, version: i64, grants: Grants) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(user, (version, grants));
    }
}

/// How long a checked session is trusted without asking the database again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(2);

/// Sessions checked in the last [`SESSION_CACHE_TTL`], by token hash: every request of a busy
/// tablet or status-map screen would otherwise pay a database round trip to authenticate.
/// This server drops an entry at once on logout, revocation, language or membership change;
/// other app servers notice within the TTL. Expiry is still checked on every request.
#[derive(Debug, Default)]
pub struct SessionCache(Mutex<HashMap<String, (Instant, Arc<repo::SessionRow>)>>);

/// Most sessions remembered before the cache starts over.
const MAX_CACHED_SESSIONS: usize = 50_000;

impl SessionCache {
    /// A session checked less than the TTL ago.
    pub fn get(&self, token_hash: &str) -> Option<Arc<repo::SessionRow>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token_hash)
            .filter(|(at, _)| at.elapsed() < SESSION_CACHE_TTL)
            .map(|(_, s)| s.clone())
    }

    /// Remembers a session just read from the database.
    pub fn put(&self, token_hash: String, session: Arc<repo::SessionRow>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_CACHED_SESSIONS {
            map.retain(|_, (at, _)| at.elapsed() < SESSION_CACHE_TTL);
        }
        map.insert(token_hash, (Instant::now(), session));
    }

    /// Forgets one session (logout, revocation).
    pub fn remove(&self, token_hash: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token_hash);
    }

    /// Forgets every session (a user's language or memberships changed).
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Hashes a password with argon2id (CPU-heavy: call from a blocking thread).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks a password against a stored argon2 hash (CPU-heavy: call from a blocking thread).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random secret for a session, token or CSRF check (256 bits, URL-safe).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores of a secret: its SHA-256, hex.
pub fn secret_hash(secret: &str) -> String {
    hex_lower(&Sha256::digest(secret.as_bytes()))
}

/// Lower-case hex of bytes.
pub fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Minimum password length for new accounts.
pub const MIN_PASSWORD_LEN: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip_and_rejects_wrong() {
        let h = hash_password("handover-demo").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("handover-demo", &h));
        assert!(!verify_password("handover-dem0", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn require_hides_other_projects_and_forbids_wrong_role() {
        let p = Uuid::new_v4();
        let user = CurrentUser {
            id: Uuid::new_v4(),
            username: "u".into(),
            display_name: "u".into(),
            locale: None,
            csrf_token: String::new(),
            grants: Arc::new(vec![(p, Role::Inspector)]),
        };
        assert!(user.require(p, &[Role::Inspector]).is_ok());
        assert!(matches!(
            user.require(p, &[Role::Admin]),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            user.require(Uuid::new_v4(), &[Role::Inspector]),
            Err(AppError::NotFound)
        ));
    }

    #[test]
    fn secrets_are_unique_and_hashed() {
        let a = new_secret();
        assert_ne!(a, new_secret());
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
