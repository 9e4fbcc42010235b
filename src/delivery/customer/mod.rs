//! The customer's link (业主链接): after the visit staff hand the buyer an unguessable link (and
//! its QR code) that opens, without an account, a phone page of their unit only — their issues
//! with the judgement, the rectification progress with before/after photos, the visit outcome —
//! where they confirm a fix or dispute it (a re-inspection request back to staff, counted), and,
//! once the unit is delivered, answer the satisfaction survey once.
//!
//! The token is the only credential: 256 random bits, URL-safe. It is also what protects the
//! customer's forms from cross-site posts (a forger cannot know it). Links are revocable, expire
//! after the project's `link_days`, and every public route is rate-limited ([`limit`]).

pub mod api;
pub mod limit;
pub mod pages;
pub mod repo;
pub mod staff;
pub mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::settings::Entry;
use crate::app::AppState;
use crate::defects::Status;
use crate::error::{AppError, Check};

/// Every route of the customer link: the staff doors, and the public ones behind the limits.
pub fn routes() -> Router<AppState> {
    let limits = Arc::new(limit::Limits::default());
    let public = api::public_routes().merge(pages::public_routes());
    Router::new()
        .merge(api::staff_routes())
        .merge(pages::routes())
        .merge(staff::routes())
        .merge(limit::guard(public, &limits, limit::CALL))
        .merge(limit::guard(api::photo_routes(), &limits, limit::PHOTO))
}

/// Whether a link still opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Opens.
    Active,
    /// Staff revoked it (`410 link.revoked`).
    Revoked,
    /// Past its expiry (`410 link.expired`).
    Expired,
}

impl LinkState {
    /// The state at `now` of a link revoked at `revoked_at` (if ever) expiring at `expires_at`;
    /// a revocation wins over an expiry.
    pub fn at(
        revoked_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        if revoked_at.is_some() {
            LinkState::Revoked
        } else if expires_at <= now {
            LinkState::Expired
        } else {
            LinkState::Active
        }
    }

    /// `Ok` for an active link, else its `410` error.
    pub fn check(self) -> Result<(), AppError> {
        match self {
            LinkState::Active => Ok(()),
            LinkState::Revoked => Err(AppError::LinkRevoked),
            LinkState::Expired => Err(AppError::LinkExpired),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Revoked => "revoked",
            LinkState::Expired => "expired",
        }
    }
}

/// A new link token: 256 bits from the CSPRNG, URL-safe base64 (43 characters).
pub fn new_token() -> String {
    crate::auth::new_secret()
}

/// Whether `token` could be one of ours (checked before any query).
pub fn plausible_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The address the customer opens: `{public_url}/c/{token}`.
pub fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/c/{token}", public_url.trim_end_matches('/'))
}

/// Whether the customer may confirm or dispute the fix of a rectification item now: once it is
/// fixed (or verified), and once per fix — an answer given before the latest "fixed" counts for
/// the earlier round only.
pub fn feedback_open(
    status: Status,
    fixed_at: Option<DateTime<Utc>>,
    last_feedback: Option<DateTime<Utc>>,
) -> bool {
    let done = matches!(status, Status::Fixed | Status::Verified);
    done && match (fixed_at, last_feedback) {
        (_, None) => true,
        (Some(fixed), Some(given)) => given < fixed,
        (None, Some(_)) => false,
    }
}

/// Longest comment of a feedback or survey.
pub const MAX_COMMENT: usize = 500;

/// The customer's satisfaction survey.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    /// Stars (1–5) per dimension code of the project's survey list, every one of them.
    pub stars: BTreeMap<String, i64>,
    /// How likely they would recommend us (NPS question, 0–10).
    pub nps: i64,
    /// Comment (≤ 500 characters).
    #[serde(default)]
    pub comment: String,
}

impl SurveyAnswer {
    /// Checks the answer against the project's dimensions: each rated 1–5 (field
    /// `stars.<code>`), no other code (`stars`), NPS 0–10 (`nps`), a short comment.
    pub fn check(&self, dimensions: &[Entry]) -> Result<(), AppError> {
        let mut check = Check::default();
        for d in dimensions {
            let field = format!("stars.{}", d.code);
            check = match self.stars.get(&d.code) {
                None => check.when(true, &field, "required"),
                Some(n) => check.when(!(1..=5).contains(n), &field, "out_of_range"),
            };
        }
        let unknown = self
            .stars
            .keys()
            .any(|k| !dimensions.iter().any(|d| &d.code == k));
        check
            .when(unknown, "stars", "unknown")
            .when(!(0..=10).contains(&self.nps), "nps", "out_of_range")
            .when(
                self.comment.chars().count() > MAX_COMMENT,
                "comment",
                "too_long",
            )
            .done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::settings::Settings;
    use chrono::Duration;

    fn fields(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Invalid(f) => f.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_link_is_revoked_before_it_is_expired() {
        let now = crate::clock::now();
        let later = now + Duration::days(1);
        assert_eq!(LinkState::at(None, later, now), LinkState::Active);
        assert_eq!(LinkState::at(None, now, now), LinkState::Expired);
        assert_eq!(LinkState::at(Some(now), now, now), LinkState::Revoked);
        assert!(LinkState::Active.check().is_ok());
        assert_eq!(
            LinkState::Expired.check().unwrap_err().code(),
            "link.expired"
        );
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token();
        assert!(plausible_token(&a), "{a}");
        assert_ne!(a, new_token());
        assert!(!plausible_token("short"));
        assert!(!plausible_token(&format!("{}/", &a[..42])));
        assert_eq!(link_url("https://h.example/", "t"), "https://h.example/c/t");
    }

    #[test]
    fn feedback_opens_once_per_fix() {
        let t0 = crate::clock::now();
        let t1 = t0 + Duration::hours(1);
        assert!(!feedback_open(Status::Assigned, Some(t0), None));
        assert!(feedback_open(Status::Fixed, Some(t0), None));
        assert!(feedback_open(Status::Verified, Some(t0), None));
        assert!(!feedback_open(Status::Fixed, Some(t0), Some(t1)));
        assert!(feedback_open(Status::Fixed, Some(t1), Some(t0)));
        assert!(!feedback_open(Status::Cancelled, Some(t0), None));
    }

    #[test]
    fn a_survey_names_each_bad_field() {
        let dims = Settings::default().survey;
        let mut a = SurveyAnswer {
            stars: dims.iter().map(|d| (d.code.clone(), 5)).collect(),
            nps: 10,
            comment: String::new(),
        };
        a.check(&dims).unwrap();
        a.stars.insert("quality".into(), 6);
        a.stars.remove("service");
        a.stars.insert("parking".into(), 3);
        a.nps = 11;
        let f = fields(a.check(&dims).unwrap_err());
        for expected in [
            ("stars.quality", "out_of_range"),
            ("stars.service", "required"),
            ("stars", "unknown"),
            ("nps", "out_of_range"),
        ] {
            assert!(
                f.iter().any(|(n, c)| (n.as_str(), *c) == expected),
                "{expected:?} in {f:?}"
            );
        }
        a.stars.insert("quality".into(), 0);
        a.nps = -1;
        let f = fields(a.check(&dims).unwrap_err());
        assert!(f.contains(&("stars.quality".into(), "out_of_range")));
        assert!(f.contains(&("nps".into(), "out_of_range")));
    }
}
