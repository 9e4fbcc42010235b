//! What a customer link shows, built once for the JSON API and the phone page: the unit, its
//! visits' outcomes, the customer's issues with their judgement and rectification progress, and
//! the survey's state. Nothing of any other unit is read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::repo::{self, FeedbackRow, LinkRow, PhotoRow};
use crate::app::AppState;
use crate::checklists::Trade;
use crate::defects::Status;
use crate::delivery::repo::{IssueRow, VisitRow};
use crate::delivery::{Outcome, settings::Entry};
use crate::error::AppError;
use crate::i18n::Locale;

/// The customer's unit as their link shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    /// Project name.
    pub project_name: String,
    /// Unit number (`3-1-1201`).
    pub unit_number: String,
    /// When the link stops opening.
    pub expires_at: DateTime<Utc>,
    /// When the unit was delivered (the customer signed acceptance), if it was.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The visits to the unit, newest first.
    pub visits: Vec<CustomerVisit>,
    /// The customer's issues, in the order raised.
    pub issues: Vec<CustomerIssue>,
    /// The satisfaction survey.
    pub survey: SurveyState,
}

/// One visit and how it ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerVisit {
    /// Checked in.
    pub visited_at: DateTime<Utc>,
    /// `accepted`, `refused`, `only_looked`, or none while the visit runs.
    pub outcome: Option<String>,
    /// The outcome in the caller's language (empty while the visit runs).
    pub outcome_label: String,
    /// When it ended.
    pub outcome_at: Option<DateTime<Utc>>,
    /// Why the customer refused, in words.
    pub refusal_reason: Option<String>,
}

/// One of the customer's issues.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerIssue {
    /// Id.
    pub id: Uuid,
    /// Raised on.
    pub raised_at: DateTime<Utc>,
    /// Room.
    pub room: String,
    /// Part.
    pub part: String,
    /// Trade, in words.
    pub trade: String,
    /// What the customer said.
    pub description: String,
    /// `reasonable`, `unreasonable`, or none while not judged.
    pub judgement: Option<String>,
    /// The judgement in words.
    pub judgement_label: String,
    /// Why it is not reasonable, in words.
    pub reason: Option<String>,
    /// What staff added to that reason.
    pub reason_note: String,
    /// The rectification item of a reasonable issue.
    pub rectification: Option<Rectification>,
}

/// How the fix of a reasonable issue goes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rectification {
    /// Lifecycle status (`open`, `assigned`, `fixed`, `verified`, `cancelled`).
    pub status: String,
    /// The status as the customer reads it.
    pub status_label: String,
    /// Photos before the fix.
    pub before: Vec<CustomerPhoto>,
    /// Photos of the fix.
    pub after: Vec<CustomerPhoto>,
    /// Whether the customer may now confirm or dispute the fix.
    pub feedback_open: bool,
    /// The customer's latest word on it.
    pub feedback: Option<FeedbackView>,
}

/// A photo, through the link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerPhoto {
    /// Id.
    pub id: Uuid,
    /// 320 px thumbnail.
    pub thumb_url: String,
    /// 1600 px preview.
    pub preview_url: String,
}

/// The customer's word on a fix.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackView {
    /// Fixed, or not (a re-inspection request).
    pub fixed: bool,
    /// What they added.
    pub comment: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where the survey stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyState {
    /// Open: the unit is delivered and the survey not yet answered.
    pub open: bool,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The dimensions to rate 1–5.
    pub dimensions: Vec<SurveyDimension>,
}

/// One dimension of the survey.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyDimension {
    /// Code (the key in `stars`).
    pub code: String,
    /// Name in the caller's language.
    pub name: String,
}

/// The unit of `link` as its customer sees it, in `l`.
pub async fn build(app: &AppState, l: Locale, link: &LinkRow) -> Result<CustomerView, AppError> {
    let unit = link.unit_id;
    let mut c = app.db.read().await?;
    let u = crate::org::repo::get_unit(&mut c, unit).await?;
    let visits = crate::delivery::repo::unit_visits(&mut c, unit).await?;
    let issues = repo::unit_issues(&mut c, unit).await?;
    let facts = Facts {
        photos: repo::unit_photos(&mut c, unit).await?,
        feedback: repo::unit_feedback(&mut c, unit).await?,
        fixes: repo::unit_fixes(&mut c, unit).await?,
    };
    let settings = crate::delivery::repo::settings(&mut c, u.project_id).await?;
    let delivered_at = repo::delivered_at(&mut c, unit).await?;
    let answered_at = repo::survey_answered_at(&mut c, unit).await?;
    drop(c);
    let photo_url =
        |p: &PhotoRow, v: &str| format!("/api/v1/customer/{}/photos/{}/{v}", link.token, p.id);
    Ok(CustomerView {
        project_name: u.project_name,
        unit_number: u.number,
        expires_at: link.expires_at,
        delivered_at,
        visits: visits.into_iter().map(|v| visit(l, v)).collect(),
        issues: issues
            .into_iter()
            .map(|i| issue(l, i, &facts, &photo_url))
            .collect(),
        survey: SurveyState {
            open: delivered_at.is_some() && answered_at.is_none(),
            answered_at,
            dimensions: settings.survey.iter().map(|e| dimension(l, e)).collect(),
        },
    })
}

/// What the issues' rectification items need, read once for the unit.
struct Facts {
    photos: Vec<PhotoRow>,
    feedback: Vec<FeedbackRow>,
    fixes: Vec<(Uuid, DateTime<Utc>)>,
}

impl Facts {
    fn last_fixed(&self, defect: Uuid) -> Option<DateTime<Utc>> {
        self.fixes
            .iter()
            .filter(|(d, _)| *d == defect)
            .map(|(_, at)| *at)
            .max()
    }

    fn last_feedback(&self, issue: Uuid) -> Option<&FeedbackRow> {
        self.feedback.iter().rfind(|f| f.issue_id == issue)
    }
}

fn visit(l: Locale, v: VisitRow) -> CustomerVisit {
    let outcome = v.outcome.as_deref().and_then(Outcome::parse);
    CustomerVisit {
        visited_at: v.checked_in_at,
        outcome_label: outcome.map(|o| o.label(l).to_owned()).unwrap_or_default(),
        outcome: v.outcome,
        outcome_at: v.outcome_at,
        refusal_reason: v
            .refusal_reason
            .map(|r| l.t(&format!("visit.refusal.{r}")).to_owned()),
    }
}

fn issue(
    l: Locale,
    i: IssueRow,
    facts: &Facts,
    photo_url: &impl Fn(&PhotoRow, &str) -> String,
) -> CustomerIssue {
    let judgement_label = l
        .t(&format!(
            "customer.judgement.{}",
            i.judgement.as_deref().unwrap_or("pending")
        ))
        .to_owned();
    let reason = (i.judgement.as_deref() == Some("unreasonable")).then(|| {
        let code = i.reason_code.as_deref().unwrap_or("other");
        l.t(&format!("issue.reason.{code}")).to_owned()
    });
    let rectification = i
        .defect_id
        .zip(i.defect_status.as_deref().and_then(Status::parse))
        .map(|(defect, status)| {
            let photos = |phase: &str| {
                facts
                    .photos
                    .iter()
                    .filter(|p| p.defect_id == defect && p.phase == phase)
                    .map(|p| CustomerPhoto {
                        id: p.id,
                        thumb_url: photo_url(p, "thumb"),
                        preview_url: photo_url(p, "preview"),
                    })
                    .collect()
            };
            let last = facts.last_feedback(i.id);
            Rectification {
                status: status.as_str().to_owned(),
                status_label: l
                    .t(&format!("customer.status.{}", status.as_str()))
                    .to_owned(),
                before: photos("before"),
                after: photos("after"),
                feedback_open: super::feedback_open(
                    status,
                    facts.last_fixed(defect),
                    last.map(|f| f.created_at),
                ),
                feedback: last.map(|f| FeedbackView {
                    fixed: f.fixed,
                    comment: f.comment.clone(),
                    at: f.created_at,
                }),
            }
        });
    CustomerIssue {
        id: i.id,
        raised_at: i.created_at,
        trade: Trade::parse(&i.trade)
            .map(|t| t.label(l).to_owned())
            .unwrap_or(i.trade),
        room: i.room,
        part: i.part,
        description: i.description,
        judgement: i.judgement,
        judgement_label,
        reason,
        reason_note: i.reason_text,
        rectification,
    }
}

fn dimension(l: Locale, e: &Entry) -> SurveyDimension {
    SurveyDimension {
        code: e.code.clone(),
        name: e.label(l, "survey"),
    }
}
