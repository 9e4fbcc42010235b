//! The batch as the KPIs read it (the facts themselves are read in `facts.rs`).

use chrono::NaiveDate;
use sqlx::FromRow;
use uuid::Uuid;

use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// What the KPIs need of a batch.
#[derive(Debug, Clone, FromRow)]
pub struct BatchHead {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Name.
    pub name: String,
    /// First day of the period (Asia/Shanghai).
    pub period_start: NaiveDate,
    /// Last day, inclusive.
    pub period_end: NaiveDate,
    /// Bumped by every handover-day write of the batch (the live board's signal).
    pub board_version: i64,
}

/// One batch; `NotFound` when there is none.
pub async fn batch(c: &mut impl DbConn, id: Uuid) -> Result<BatchHead, AppError> {
    run!(c, |c| sqlx::query_as::<_, BatchHead>(
        "select id, project_id, name, period_start, period_end, board_version
         from batches where id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// A batch's `board_version`; `NotFound` once the batch is gone.
pub async fn board_version(c: &mut impl DbConn, id: Uuid) -> Result<i64, AppError> {
    run!(c, |c| sqlx::query_scalar::<_, i64>(
        "select board_version from batches where id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await?
    .ok_or(AppError::NotFound))
}

/// A customer rectification item of a batch's unit not yet closed.
#[derive(Debug, Clone, FromRow)]
pub struct OpenItem {
    /// Defect number.
    pub number: i32,
    /// Unit number.
    pub unit_number: String,
    /// Trade.
    pub trade: String,
    /// Description.
    pub description: String,
    /// `open`, `assigned` or `fixed`.
    pub status: String,
    /// Contractor.
    pub contractor: Option<String>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
}

/// The open customer rectification items (stage `customer`, neither verified nor cancelled)
/// of `batch`'s planned units, oldest due first. `cross join` keeps SQLite's order: the batch's
/// units first, then each unit's items by `defects_project_unit` (else it scans every defect).
pub async fn open_items(c: &mut impl DbConn, batch: Uuid) -> Result<Vec<OpenItem>, AppError> {
    Ok(run!(c, |c| sqlx::query_as::<_, OpenItem>(
        "select d.number, u.number as unit_number, d.trade, d.description, d.status,
            k.name as contractor, d.due_on
         from batch_units bu cross join defects d
         join units u on u.id = d.unit_id left join contractors k on k.id = d.contractor_id
         where bu.batch_id = $1 and d.project_id = (select project_id from batches where id = $1)
            and d.unit_id = bu.unit_id and d.stage = 'customer'
            and d.status in ('open', 'assigned', 'fixed')
         order by d.due_on is null, d.due_on, d.number"
    )
    .bind(batch)
    .fetch_all(c)
    .await)?)
}
