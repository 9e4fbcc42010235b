//! The unit inspection sheet (户验房记录 / 问题清单): the PDF of one handover-day visit, printed
//! and handed to the customer (DOMAIN.md "Stage 2" and "Reports"). zh-CN by default, `?lang=en`.
//!
//! It is written for the customer, so it shows their own facts in full and the developer's
//! internal work only as a summary:
//! - the unit (project, batch, building, number, area, layout), the stage (客户验房), the date and
//!   the times of check-in and walkthrough;
//! - who took part: the customer who checked in (identity checked or not), the buyers on the
//!   roster, the accompanying staff;
//! - the unit's self-inspection (一户一验) in two lines — when it was finished, its verdict, items
//!   checked / passed / failed, and the stage-1 defects rectified / still being rectified —
//!   the evidence that the unit was inspected and fixed before handover, without the internal
//!   item-by-item measurements (stage-1 findings are internal and never enter the delivery KPIs);
//! - the customer's issues: location, trade, description, judgement (合理 with its
//!   rectification status, 不合理 with the reason), then their photos as 320 px thumbnails
//!   (never originals, nor the 1600 px previews, whose twenty would weigh several MB);
//! - meter readings with the dial's thumbnail, keys handed per kind, documents handed;
//! - the outcome: accepted with the customer's drawn signature, name and time; refused with the
//!   reason; only looked; or still open;
//! - the QR code of the unit's customer link (业主链接), when one is active.
//!
//! Staff on the project read it (everyone but contractors: the sheet carries the buyer's name
//! and signature); other projects get `404`.

mod pdf;
mod repo;

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::api::{self, VisitDetail};
use super::customer::{LinkState, link_url};
use super::settings::Settings;
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::clock;
use crate::db::DbConn;
use crate::error::AppError;
use crate::http::{ApiPath, ApiQuery};
use crate::i18n::Locale;
use crate::openapi::ErrorBody;
use crate::org::repo::UnitRow;
use crate::pdf::Image;
use crate::photos::Variant;
use crate::signature::Drawing;

/// Who may print the sheet: the project's staff, not its contractors.
pub const READERS: &[Role] = &[
    Role::Service,
    Role::Admin,
    Role::Executive,
    Role::Inspector,
    Role::Property,
];

/// The sheet's routes: the API door and the page door (session cookie) of the same handler.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/visits/{id}/sheet.pdf", get(sheet_pdf))
        .route("/visits/{id}/sheet.pdf", get(sheet_pdf))
}

/// Whether `user` may print the sheets of `project`'s visits.
pub fn may_print(user: &CurrentUser, project: Uuid) -> bool {
    user.roles_on(project).any(|r| READERS.contains(&r))
}

/// `?lang=` of the download (the request's language when absent).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// `en` for English, `zh-CN` for Chinese.
    pub lang: Option<String>,
}

/// The unit's self-inspection (一户一验) as the sheet summarises it.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfInspection {
    /// When it was finished.
    pub finished_at: DateTime<Utc>,
    /// `pass` or `fail`.
    pub verdict: String,
    /// Items that passed.
    pub passed: usize,
    /// Items that failed.
    pub failed: usize,
}

/// The unit's stage-1 defects (self-inspection, takeover, re-inspection), cancelled ones left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageOne {
    /// Verified fixed.
    pub closed: i64,
    /// Open, assigned or fixed but not yet verified.
    pub open: i64,
}

/// The customer link printed as a QR code.
#[derive(Debug, Clone)]
pub struct LinkCode {
    /// The address.
    pub url: String,
    /// The code's modules, row by row (`true` for dark).
    pub modules: Vec<bool>,
    /// Modules per side.
    pub width: usize,
    /// When the link stops opening.
    pub expires_at: DateTime<Utc>,
}

/// Everything the sheet prints, read before any drawing starts.
pub struct Sheet {
    /// The visit with its issues, meters, keys and documents.
    pub visit: VisitDetail,
    /// The unit.
    pub unit: UnitRow,
    /// The batch's name.
    pub batch: String,
    /// Buyers on the roster.
    pub buyers: Vec<String>,
    /// The project's key and document lists.
    pub settings: Settings,
    /// The customer's drawn signature of an accepted visit.
    pub signature: Option<Drawing>,
    /// The latest finished self-inspection of the unit.
    pub self_inspection: Option<SelfInspection>,
    /// Stage-1 defects of the unit.
    pub stage_one: StageOne,
    /// Thumbnails of the visit's photos (issues and meter dials), by content hash.
    pub thumbs: HashMap<String, Image>,
    /// The unit's newest active customer link.
    pub link: Option<LinkCode>,
}

impl Sheet {
    /// Reads the sheet of visit `id` for `user`: `404` outside their projects, `403` for a
    /// contractor.
    pub async fn load(
        app: &AppState,
        user: &CurrentUser,
        id: Uuid,
        l: Locale,
    ) -> Result<Sheet, AppError> {
        let mut conn = app.db.read().await?;
        let row = super::repo::visit(&mut conn, id).await?;
        user.require(row.project_id, READERS)?;
        let unit = crate::org::repo::get_unit(&mut conn, row.unit_id).await?;
        let batch = crate::org::repo::list_batches(&mut conn, &[row.project_id])
            .await?
            .into_iter()
            .find(|b| b.id == row.batch_id)
            .map(|b| b.name)
            .unwrap_or_default();
        let buyers = crate::org::repo::buyers_of(&mut conn, row.unit_id)
            .await?
            .into_iter()
            .map(|b| b.name)
            .collect();
        let settings = super::repo::settings(&mut conn, row.project_id).await?;
        let self_inspection = self_inspection(&mut conn, row.unit_id).await?;
        let stage_one = repo::stage_one(&mut conn, row.unit_id).await?;
        let link = link_code(&mut conn, &app.config.public_url, row.unit_id).await?;
        drop(conn);
        let visit = api::detail(app, l, id).await?;
        let thumbs = thumbnails(app, &visit).await;
        Ok(Sheet {
            signature: row.signature_strokes.as_deref().and_then(Drawing::parse),
            visit,
            unit,
            batch,
            buyers,
            settings,
            self_inspection,
            stage_one,
            thumbs,
            link,
        })
    }
}

/// The latest finished self-inspection of `unit` with its item counts.
async fn self_inspection(
    c: &mut impl DbConn,
    unit: Uuid,
) -> Result<Option<SelfInspection>, AppError> {
    use crate::inspections::{Outcome, repo as inspections};
    let latest = inspections::list_by_unit(c, unit)
        .await?
        .into_iter()
        .find(|i| i.stage == "self" && i.finished_at.is_some());
    let Some(i) = latest else {
        return Ok(None);
    };
    let results = inspections::results(c, i.id).await?;
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o.as_str()).count();
    Ok(Some(SelfInspection {
        finished_at: i.finished_at.unwrap_or(i.started_at),
        verdict: i.verdict.unwrap_or_default(),
        passed: count(Outcome::Pass),
        failed: count(Outcome::Fail),
    }))
}

/// The newest active customer link of `unit` as a QR code.
async fn link_code(
    c: &mut impl DbConn,
    public_url: &str,
    unit: Uuid,
) -> Result<Option<LinkCode>, AppError> {
    let now = clock::now();
    let active = super::customer::repo::unit_links(c, unit)
        .await?
        .into_iter()
        .find(|l| LinkState::at(l.revoked_at, l.expires_at, now) == LinkState::Active);
    let Some(link) = active else {
        return Ok(None);
    };
    let url = link_url(public_url, &link.token);
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Some(LinkCode {
        modules: code
            .to_colors()
            .into_iter()
            .map(|m| m == qrcode::Color::Dark)
            .collect(),
        width: code.width(),
        url,
        expires_at: link.expires_at,
    }))
}

/// The thumbnails of the visit's photos; one missing from the store is left out rather than
/// failing the sheet.
async fn thumbnails(app: &AppState, v: &VisitDetail) -> HashMap<String, Image> {
    let shas = v
        .issues
        .iter()
        .flat_map(|i| i.photos.iter())
        .chain(v.meters.iter().filter_map(|m| m.photo.as_ref()));
    let mut out = HashMap::new();
    for sha in shas {
        if out.contains_key(sha) {
            continue;
        }
        let image = app
            .photos
            .read(sha, Variant::Thumb)
            .await
            .ok()
            .and_then(|bytes| Image::jpeg(bytes).ok());
        if let Some(image) = image {
            out.insert(sha.clone(), image);
        }
    }
    out
}

/// The unit inspection sheet of a visit as a PDF (`?lang=en` for English), to everyone on the
/// project except contractors (`403`); `404` for other projects.
#[utoipa::path(get, path = "/api/v1/visits/{id}/sheet.pdf", tag = "delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path), SheetQuery),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sheet_pdf(
    State(app): State<AppState>,
    user: CurrentUser,
    l: Locale,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> Result<Response, AppError> {
    let l = q.lang.as_deref().and_then(Locale::parse).unwrap_or(l);
    let sheet = Sheet::load(&app, &user, id, l).await?;
    let fonts = app.pdf_fonts().await?;
    let name = file_name(&sheet.unit.number);
    let bytes = tokio::task::spawn_blocking(move || pdf::render(fonts, &sheet, l))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("pdf: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The download's file name: `inspection-sheet-` and the unit number's ASCII letters, digits
/// and dashes.
fn file_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if safe.is_empty() {
        "inspection-sheet".to_owned()
    } else {
        format!("inspection-sheet-{safe}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_keeps_only_safe_characters_of_the_unit_number() {
        assert_eq!(file_name("3-1-1201"), "inspection-sheet-3-1-1201");
        assert_eq!(file_name("A座\"; 1"), "inspection-sheet-A1");
        assert_eq!(file_name("商铺"), "inspection-sheet");
    }
}
