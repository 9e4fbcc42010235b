//! The one read the sheet adds: a unit's stage-1 defects by status.

use uuid::Uuid;

use super::StageOne;
use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// The stage-1 defects of `unit` (every stage but the customer's), rectified or not; cancelled
/// ones are left out.
pub async fn stage_one(c: &mut impl DbConn, unit: Uuid) -> Result<StageOne, AppError> {
    const SQL: &str = "select status, count(*) from defects
        where unit_id = $1 and stage <> 'customer' and status <> 'cancelled' group by status";
    let rows: Vec<(String, i64)> = run!(c, |c| sqlx::query_as(SQL).bind(unit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .fold(StageOne::default(), |mut acc, (status, n)| {
            if status == crate::defects::Status::Verified.as_str() {
                acc.closed += n;
            } else {
                acc.open += n;
            }
            acc
        }))
}
