//! What a takeover says, as one value: the page, the report and the seal read it. A signed
//! takeover is read back from its sealed copy, so later changes elsewhere (a defect fixed after
//! the signatures) never alter what was signed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use uuid::Uuid;

use super::repo::{self, TakeoverRow};
use super::{Deadlines, canonical_json, seal_of};
use crate::db::DbConn;
use crate::error::AppError;

/// Everything a takeover record holds, as signed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    /// Takeover id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Project id.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Batch id.
    pub batch_id: Uuid,
    /// Batch name.
    pub batch_name: String,
    /// Buildings covered (empty = the whole project).
    pub buildings: Vec<String>,
    /// The deadlines.
    pub deadlines: Deadlines,
    /// The joint team.
    pub team: Vec<Member>,
    /// Prerequisite lines.
    pub prerequisites: Vec<Prerequisite>,
    /// Documents handed over.
    pub documents: Vec<Document>,
    /// Findings of the joint inspection (takeover-stage defects in scope).
    pub findings: Vec<Finding>,
    /// Signatures, in signing order.
    pub signatures: Vec<Signature>,
}

/// A team member.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
pub struct Member {
    /// Id.
    pub id: Uuid,
    /// `developer` or `property`.
    pub side: String,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
}

/// A prerequisite line.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Prerequisite {
    /// Id.
    pub id: Uuid,
    /// Seed letter (a–e, title from the catalog) or '' for the project's own line.
    pub code: String,
    /// The project's own line's title.
    pub title: String,
    /// `pending`, `met`, `not_met`, `not_applicable`.
    pub status: String,
    /// Evidence reference (document, certificate number).
    pub evidence: String,
    /// Evidence photo (SHA-256 of the stored original).
    pub evidence_sha256: Option<String>,
    /// Who confirmed the status.
    pub confirmed_by: Option<String>,
    /// When.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Reservations the signers recorded on it: (side, text).
    pub reservations: Vec<(String, String)>,
}

/// A document line.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
pub struct Document {
    /// Id.
    pub id: Uuid,
    /// Seed code (title from the catalog) or ''.
    pub code: String,
    /// Category.
    pub category: String,
    /// The project's own line's title.
    pub title: String,
    /// Copies received (0 = missing).
    pub copies: i32,
    /// Form.
    pub form: String,
    /// Received by.
    pub received_by: String,
    /// Received on.
    pub received_on: Option<NaiveDate>,
}

/// A finding.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow, utoipa::ToSchema)]
pub struct Finding {
    /// Defect id.
    pub id: Uuid,
    /// Number.
    pub number: i32,
    /// Common area or unit.
    pub place: String,
    /// In a common area.
    pub common_area: bool,
    /// Trade.
    pub trade: String,
    /// Description.
    pub description: String,
    /// Severity.
    pub severity: String,
    /// Status when read (or sealed).
    pub status: String,
    /// Contractor.
    pub contractor: Option<String>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// First "before" photo (SHA-256 of the stored original).
    pub photo_sha256: Option<String>,
}

impl Finding {
    /// Still to rectify (open, assigned or fixed but not verified).
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "open" | "assigned" | "fixed")
    }
}

/// A signature.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signature {
    /// `developer` or `property`.
    pub side: String,
    /// Signing user.
    pub user_id: Uuid,
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The drawn strokes (JSON as stored).
    pub strokes: String,
    /// SHA-256 of the strokes, so the seal covers the drawing.
    pub strokes_sha256: String,
}

impl Snapshot {
    /// Reads the live state of a takeover.
    pub async fn read(c: &mut impl DbConn, t: &TakeoverRow) -> Result<Snapshot, AppError> {
        let reservations = repo::reservations(c, t.id).await?;
        let prerequisites = repo::prerequisites(c, t.id)
            .await?
            .into_iter()
            .map(|p| Prerequisite {
                reservations: reservations
                    .iter()
                    .filter(|r| r.0 == p.id)
                    .map(|r| (r.1.clone(), r.2.clone()))
                    .collect(),
                id: p.id,
                code: p.code,
                title: p.title,
                status: p.status,
                evidence: p.evidence,
                evidence_sha256: p.evidence_sha256,
                confirmed_by: p.confirmed_by_name,
                confirmed_at: p.confirmed_at,
            })
            .collect();
        Ok(Snapshot {
            id: t.id,
            name: t.name.clone(),
            project_id: t.project_id,
            project_name: t.project_name.clone(),
            batch_id: t.batch_id,
            batch_name: t.batch_name.clone(),
            buildings: repo::buildings(c, t.id)
                .await?
                .into_iter()
                .map(|b| b.1)
                .collect(),
            deadlines: deadlines_of(t),
            team: repo::members(c, t.id).await?,
            prerequisites,
            documents: repo::documents(c, t.id).await?,
            findings: repo::findings(c, t).await?,
            signatures: signatures(c, t.id).await?,
        })
    }

    /// What a takeover says now: its sealed copy once signed, else the live state.
    pub async fn current(c: &mut impl DbConn, t: &TakeoverRow) -> Result<Snapshot, AppError> {
        match &t.sealed_content {
            Some(content) => serde_json::from_str(content)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("sealed content: {e}"))),
            None => Snapshot::read(c, t).await,
        }
    }

    /// The canonical JSON of this snapshot and its seal (SHA-256).
    pub fn sealed(&self) -> Result<(String, String), AppError> {
        let value =
            serde_json::to_value(self).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let canonical = canonical_json(&value);
        let seal = seal_of(&canonical);
        Ok((canonical, seal))
    }

    /// The findings still to rectify.
    pub fn open_items(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_open())
    }
}

/// The deadlines of a takeover from its batch and project settings.
pub fn deadlines_of(t: &TakeoverRow) -> Deadlines {
    let days = |d: i32| u32::try_from(d).unwrap_or(0);
    Deadlines::new(
        t.delivery_start,
        days(t.inspection_days),
        days(t.window_days),
    )
}

async fn signatures(c: &mut impl DbConn, id: Uuid) -> Result<Vec<Signature>, AppError> {
    Ok(repo::signatures(c, id)
        .await?
        .into_iter()
        .map(|s| Signature {
            strokes_sha256: format!("{:x}", Sha256::digest(s.strokes.as_bytes())),
            side: s.side,
            user_id: s.user_id,
            name: s.name,
            title: s.title,
            signed_at: s.signed_at,
            strokes: s.strokes,
        })
        .collect())
}
