//! The KPI queries: one aggregate over a batch's planned units, each unit's facts looked up by
//! index (its accepted signature, its walkthroughs, its reasonable issues, its complaints).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::Counts;
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

/// The KPI counts of a batch over `[start, end)` as of `as_of`, in one aggregate: the facts of
/// the planned units — each visit (delivered = an accepted signature in the period; scattered =
/// one after it; took part = a walkthrough started in the period, or, when staff never pressed
/// start, an outcome recorded in it), each reasonable issue raised in the period whose
/// rectification item was not cancelled, each complaint received in the period — grouped per
/// unit, so a unit with several visits counts once. A fact counts only once it had happened at
/// `as_of` (a judgement or a cancellation too). `cross join` keeps SQLite's join order (the
/// batch's units first, then each unit's rows from the covering indexes of migration 0006);
/// PostgreSQL plans it as an inner join.
pub async fn counts(
    c: &mut impl DbConn,
    batch: Uuid,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Counts, AppError> {
    const SQL: &str = "select
        (select count(*) from batch_units where batch_id = $1) as planned,
        cast(coalesce(sum(delivered), 0) as bigint) as delivered,
        cast(coalesce(sum(case when delivered = 1 and issues = 0 and complained = 0 then 1 else 0 end), 0)
            as bigint) as zero_defect,
        cast(coalesce(sum(scattered), 0) as bigint) as scattered,
        cast(coalesce(sum(took_part), 0) as bigint) as took_part,
        cast(coalesce(sum(case when took_part = 1 then issues else 0 end), 0) as bigint) as issues
    from (select unit_id, max(delivered) as delivered, max(scattered) as scattered,
            max(took_part) as took_part, sum(issues) as issues, max(complained) as complained
        from (
            select v.unit_id,
                case when v.outcome = 'accepted' and v.outcome_at >= $2 and v.outcome_at < $3
                    and v.outcome_at <= $4 then 1 else 0 end as delivered,
                case when v.outcome = 'accepted' and v.outcome_at >= $3 and v.outcome_at <= $4
                    then 1 else 0 end as scattered,
                case when coalesce(v.walk_started_at, v.outcome_at) >= $2
                    and coalesce(v.walk_started_at, v.outcome_at) < $3
                    and coalesce(v.walk_started_at, v.outcome_at) <= $4 then 1 else 0 end as took_part,
                0 as issues, 0 as complained
            from batch_units bu cross join visits v
            where bu.batch_id = $1 and v.unit_id = bu.unit_id
        union all
            select i.unit_id, 0, 0, 0, 1, 0
            from batch_units bu cross join visit_issues i
            left join defect_events x on x.defect_id = i.defect_id and x.to_status = 'cancelled'
                and x.at <= $4
            where bu.batch_id = $1 and i.unit_id = bu.unit_id and i.created_at >= $2 and i.created_at < $3
                and i.created_at <= $4 and i.judgement = 'reasonable' and i.judged_at <= $4
                and x.defect_id is null
        union all
            select k.unit_id, 0, 0, 0, 0, 1
            from batch_units bu cross join complaints k
            where bu.batch_id = $1 and k.unit_id = bu.unit_id and k.received_at >= $2 and k.received_at < $3
                and k.received_at <= $4
        ) facts group by unit_id) per_unit";
    Ok(run!(c, |c| sqlx::query_as::<_, Counts>(SQL)
        .bind(batch)
        .bind(start)
        .bind(end)
        .bind(as_of)
        .fetch_one(c)
        .await)?)
}
