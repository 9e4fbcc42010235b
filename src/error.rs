//! The one error type of the service, its stable codes and HTTP statuses.
//!
//! A handler returns `AppError`; `into_response` only tags the response with the error, and
//! [`crate::app::render_errors`] writes the body in the caller's language (JSON for `/api`, an
//! HTML page otherwise), so every error of every route has the same shape.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One invalid field of a request, with a stable code (`required`, `too_long`, ...).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Field name as sent by the client.
    pub field: String,
    /// Stable code of what is wrong with it; its message key is `field.<code>`.
    pub code: &'static str,
}

/// One invalid row of an imported roster (row numbers are the spreadsheet's, header = row 1).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RowError {
    /// Row number as Excel shows it.
    pub row: usize,
    /// Column header the problem is in, when there is one.
    pub column: Option<String>,
    /// Stable code; its message key is `row.<code>`.
    pub code: &'static str,
    /// Extra detail interpolated into the message (e.g. the other row of a duplicate).
    pub detail: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No session or token was presented.
    #[error("authentication required")]
    Unauthenticated,
    /// Username or password is wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The bearer token is unknown or malformed.
    #[error("invalid token")]
    InvalidToken,
    /// The session or token has expired.
    #[error("token expired")]
    TokenExpired,
    /// The caller lacks the role for this action on this project.
    #[error("forbidden")]
    Forbidden,
    /// A page form came without a valid CSRF token.
    #[error("csrf token rejected")]
    CsrfRejected,
    /// Too many failed logins.
    #[error("rate limited")]
    RateLimited,
    /// The thing does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The body is not valid JSON for this endpoint.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// The query string does not fit this endpoint.
    #[error("malformed query: {0}")]
    MalformedQuery(String),
    /// Some fields are invalid.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The body exceeds the route's limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A unique key is already taken (e.g. a username, a building name).
    #[error("already exists")]
    AlreadyExists,
    /// The roster has invalid rows; nothing was imported.
    #[error("roster has invalid rows")]
    ImportRows(Vec<RowError>),
    /// The roster lacks required columns.
    #[error("roster lacks columns: {0:?}")]
    ImportMissingColumns(Vec<String>),
    /// The upload is not a readable `.xlsx` or `.csv`.
    #[error("not a spreadsheet: {0}")]
    ImportNotSpreadsheet(String),
    /// The `.xlsx` expands beyond the safety bound (a zip bomb).
    #[error("archive expands too far")]
    ImportUnsafeArchive,
    /// The roster has no data rows.
    #[error("roster is empty")]
    ImportEmpty,
    /// An appointments or conditions sheet has invalid rows (header problems are row 1);
    /// nothing was imported.
    #[error("sheet has invalid rows")]
    SheetRows(Vec<RowError>),
    /// The photo file exceeds the byte limit (25 MB).
    #[error("photo too large")]
    PhotoTooLarge,
    /// The photo's header claims more pixels than allowed (120 MP), or a side over the limit.
    #[error("photo has too many pixels")]
    PhotoTooManyPixels,
    /// The photo is HEIC/HEIF; the tablet must send JPEG.
    #[error("heic photo")]
    PhotoHeic,
    /// The file is not a JPEG, PNG or WebP image.
    #[error("unsupported photo format")]
    PhotoUnsupported,
    /// The image is truncated or corrupt.
    #[error("corrupt photo: {0}")]
    PhotoCorrupt(String),
    /// The requested lifecycle move is not allowed from the defect's current status.
    #[error("illegal defect transition from {from} by {action}")]
    DefectIllegalTransition {
        /// Status the defect is in.
        from: &'static str,
        /// Action that was refused.
        action: &'static str,
    },
    /// The inspection is finished; its results can no longer change.
    #[error("inspection finished")]
    InspectionFinished,
    /// The inspection cannot finish: some items have no result.
    #[error("inspection incomplete: {0} items without result")]
    InspectionIncomplete(usize),
    /// The takeover is signed by both sides and sealed; nothing of it can change.
    #[error("takeover sealed")]
    TakeoverSealed,
    /// This side has already signed the takeover.
    #[error("takeover already signed by this side")]
    TakeoverAlreadySigned,
    /// Some prerequisite lines are not checked yet (ids).
    #[error("takeover prerequisites unchecked")]
    TakeoverUnchecked(Vec<uuid::Uuid>),
    /// Some prerequisite lines are not met and the signer recorded no reservation on them (ids).
    #[error("takeover prerequisites not met")]
    TakeoverUnmet(Vec<uuid::Uuid>),
    /// The appointment slot has no free place left.
    #[error("slot full")]
    SlotFull,
    /// The unit already has an open visit (its id).
    #[error("visit already open")]
    VisitOpen(uuid::Uuid),
    /// The visit has its outcome; it can no longer change.
    #[error("visit closed")]
    VisitClosed,
    /// The unit is delivered (signed accepted once); it cannot be accepted again.
    #[error("unit already delivered")]
    UnitDelivered,
    /// Handover conditions are missing and not waived (their codes).
    #[error("handover conditions missing")]
    ConditionsMissing(Vec<String>),
    /// The issue has its judgement already.
    #[error("issue already judged")]
    IssueJudged,
    /// The customer link has expired.
    #[error("link expired")]
    LinkExpired,
    /// The customer link was revoked.
    #[error("link revoked")]
    LinkRevoked,
    /// The survey opens once the unit is delivered.
    #[error("survey before delivery")]
    SurveyNotDelivered,
    /// The unit's survey is answered already.
    #[error("survey already answered")]
    SurveyAnswered,
    /// Too many calls through a customer link, or from one address (seconds to wait).
    #[error("customer link rate limited")]
    LinkRateLimited(u64),
    /// The customer's word on a fix is asked once it is fixed (and only for a rectification item).
    #[error("feedback not open")]
    FeedbackNotOpen,
    /// The customer already gave their word on this fix.
    #[error("feedback already given")]
    FeedbackGiven,
    /// The complaint is resolved already.
    #[error("complaint already resolved")]
    ComplaintResolved,
    /// Anything unexpected; logged, answered without detail.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// Stable, never-reused machine code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "auth.required",
            AppError::InvalidCredentials => "auth.invalid_credentials",
            AppError::InvalidToken => "auth.invalid_token",
            AppError::TokenExpired => "auth.token_expired",
            AppError::Forbidden => "auth.forbidden",
            AppError::CsrfRejected => "auth.csrf_rejected",
            AppError::RateLimited => "auth.rate_limited",
            AppError::NotFound => "not_found",
            AppError::MalformedBody(_) => "request.malformed_body",
            AppError::MalformedQuery(_) => "request.malformed_query",
            AppError::Invalid(_) => "request.invalid",
            AppError::PayloadTooLarge => "request.too_large",
            AppError::AlreadyExists => "request.already_exists",
            AppError::ImportRows(_) => "import.invalid_rows",
            AppError::ImportMissingColumns(_) => "import.missing_columns",
            AppError::ImportNotSpreadsheet(_) => "import.not_a_spreadsheet",
            AppError::ImportUnsafeArchive => "import.unsafe_archive",
            AppError::ImportEmpty => "import.empty",
            AppError::SheetRows(_) => "import.sheet_invalid_rows",
            AppError::PhotoTooLarge => "photo.too_large",
            AppError::PhotoTooManyPixels => "photo.too_many_pixels",
            AppError::PhotoHeic => "photo.heic_unsupported",
            AppError::PhotoUnsupported => "photo.unsupported_format",
            AppError::PhotoCorrupt(_) => "photo.corrupt",
            AppError::DefectIllegalTransition { .. } => "defect.illegal_transition",
            AppError::InspectionFinished => "inspection.finished",
            AppError::InspectionIncomplete(_) => "inspection.incomplete",
            AppError::TakeoverSealed => "takeover.sealed",
            AppError::TakeoverAlreadySigned => "takeover.already_signed",
            AppError::TakeoverUnchecked(_) => "takeover.prerequisites_unchecked",
            AppError::TakeoverUnmet(_) => "takeover.prerequisites_unmet",
            AppError::SlotFull => "appointment.slot_full",
            AppError::VisitOpen(_) => "visit.already_open",
            AppError::VisitClosed => "visit.closed",
            AppError::UnitDelivered => "visit.already_delivered",
            AppError::ConditionsMissing(_) => "visit.conditions_missing",
            AppError::IssueJudged => "issue.already_judged",
            AppError::LinkExpired => "link.expired",
            AppError::LinkRevoked => "link.revoked",
            AppError::SurveyNotDelivered => "survey.not_delivered",
            AppError::SurveyAnswered => "survey.already_answered",
            AppError::LinkRateLimited(_) => "link.rate_limited",
            AppError::FeedbackNotOpen => "feedback.not_open",
            AppError::FeedbackGiven => "feedback.already_given",
            AppError::ComplaintResolved => "complaint.already_resolved",
            AppError::Internal(_) => "internal",
        }
    }

    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::InvalidToken
            | AppError::TokenExpired => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::RateLimited | AppError::LinkRateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MalformedBody(_)
            | AppError::MalformedQuery(_)
            | AppError::ImportNotSpreadsheet(_)
            | AppError::ImportUnsafeArchive => StatusCode::BAD_REQUEST,
            AppError::Invalid(_)
            | AppError::ImportRows(_)
            | AppError::SheetRows(_)
            | AppError::ImportMissingColumns(_)
            | AppError::ImportEmpty => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge | AppError::PhotoTooLarge | AppError::PhotoTooManyPixels => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::PhotoHeic | AppError::PhotoUnsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PhotoCorrupt(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::AlreadyExists
            | AppError::DefectIllegalTransition { .. }
            | AppError::InspectionFinished
            | AppError::InspectionIncomplete(_)
            | AppError::TakeoverSealed
            | AppError::TakeoverAlreadySigned
            | AppError::TakeoverUnchecked(_)
            | AppError::TakeoverUnmet(_)
            | AppError::SlotFull
            | AppError::VisitOpen(_)
            | AppError::VisitClosed
            | AppError::UnitDelivered
            | AppError::ConditionsMissing(_)
            | AppError::IssueJudged
            | AppError::SurveyNotDelivered
            | AppError::SurveyAnswered
            | AppError::FeedbackNotOpen
            | AppError::FeedbackGiven
            | AppError::ComplaintResolved => StatusCode::CONFLICT,
            AppError::LinkExpired | AppError::LinkRevoked => StatusCode::GONE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Shorthand for one invalid field.
    pub fn field(field: &str, code: &'static str) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.to_owned(),
            code,
        }])
    }

    /// The error a framework status means when no handler produced one (404 route, 405, 413).
    pub fn from_status(status: StatusCode) -> Option<Self> {
        Some(match status {
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => AppError::NotFound,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::BAD_REQUEST
            | StatusCode::UNPROCESSABLE_ENTITY => AppError::MalformedBody(String::new()),
            s if s.is_server_error() => AppError::Internal(anyhow::anyhow!("status {s}")),
            _ => return None,
        })
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return AppError::AlreadyExists;
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return AppError::NotFound;
        }
        AppError::Internal(e.into())
    }
}

/// Marker of a page that shows its own failure (the form sent back with its message): the
/// error middleware passes it through with its 4xx status.
#[derive(Clone, Copy)]
pub struct ShownOnPage;

/// Marker the error middleware looks for: the error behind a tagged response.
#[derive(Clone)]
pub struct ErrorTag(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut resp = self.status().into_response();
        resp.extensions_mut().insert(ErrorTag(Arc::new(self)));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_client_errors_except_internal() {
        let all = [
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::PayloadTooLarge,
            AppError::ImportUnsafeArchive,
        ];
        for e in all {
            assert!(e.status().is_client_error(), "{}", e.code());
        }
        assert!(
            AppError::Internal(anyhow::anyhow!("x"))
                .status()
                .is_server_error()
        );
    }

    /// One error of every variant.
    fn samples() -> Vec<AppError> {
        vec![
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::InvalidToken,
            AppError::TokenExpired,
            AppError::Forbidden,
            AppError::CsrfRejected,
            AppError::RateLimited,
            AppError::NotFound,
            AppError::MalformedBody(String::new()),
            AppError::MalformedQuery(String::new()),
            AppError::Invalid(vec![]),
            AppError::PayloadTooLarge,
            AppError::AlreadyExists,
            AppError::ImportRows(vec![]),
            AppError::ImportMissingColumns(vec![]),
            AppError::ImportNotSpreadsheet(String::new()),
            AppError::ImportUnsafeArchive,
            AppError::ImportEmpty,
            AppError::SheetRows(vec![]),
            AppError::PhotoTooLarge,
            AppError::PhotoTooManyPixels,
            AppError::PhotoHeic,
            AppError::PhotoUnsupported,
            AppError::PhotoCorrupt(String::new()),
            AppError::DefectIllegalTransition {
                from: "open",
                action: "verify",
            },
            AppError::InspectionFinished,
            AppError::InspectionIncomplete(1),
            AppError::TakeoverSealed,
            AppError::TakeoverAlreadySigned,
            AppError::TakeoverUnchecked(vec![]),
            AppError::TakeoverUnmet(vec![]),
            AppError::SlotFull,
            AppError::VisitOpen(uuid::Uuid::nil()),
            AppError::VisitClosed,
            AppError::UnitDelivered,
            AppError::ConditionsMissing(vec![]),
            AppError::IssueJudged,
            AppError::LinkExpired,
            AppError::LinkRevoked,
            AppError::SurveyNotDelivered,
            AppError::SurveyAnswered,
            AppError::LinkRateLimited(60),
            AppError::FeedbackNotOpen,
            AppError::FeedbackGiven,
            AppError::ComplaintResolved,
            AppError::Internal(anyhow::anyhow!("x")),
        ]
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        use crate::i18n::Locale;
        for e in samples() {
            for l in [Locale::ZhCn, Locale::En] {
                assert!(!l.t(e.code()).is_empty(), "{} {}", l.tag(), e.code());
            }
        }
        assert_ne!(
            Locale::ZhCn.t("auth.forbidden"),
            Locale::En.t("auth.forbidden")
        );
    }

    #[test]
    fn every_code_is_documented_for_tablet_developers() {
        let doc = include_str!("../mobile-api/errors.md");
        for e in samples() {
            let code = format!("`{}`", e.code());
            assert!(
                doc.contains(&code),
                "{code} missing from mobile-api/errors.md"
            );
        }
    }
}

/// Collects invalid fields of a request body, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Check(Vec<FieldError>);

impl Check {
    /// Requires non-blank text of at most `max` characters.
    pub fn text(mut self, field: &str, value: &str, max: usize) -> Self {
        if value.trim().is_empty() {
            self.fail(field, "required");
        } else if value.chars().count() > max {
            self.fail(field, "too_long");
        }
        self
    }

    /// Records `code` against `field` when `bad` holds.
    pub fn when(mut self, bad: bool, field: &str, code: &'static str) -> Self {
        if bad {
            self.fail(field, code);
        }
        self
    }

    fn fail(&mut self, field: &str, code: &'static str) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code,
        });
    }

    /// `Ok` when nothing failed, else `request.invalid` listing every field.
    pub fn done(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}
