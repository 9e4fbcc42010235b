//! The facts behind a batch's KPIs, per planned unit, as of a moment: when the unit was
//! delivered (its accepted signature in the period, or after it: scattered), when it first took
//! part, how many complaints it received in the period; and each reasonable customer issue
//! raised in the period that counts. The three KPIs, their drill-down and their breakdowns are
//! all derived from these rows, so a number and the units behind it cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use super::Counts;
use crate::clock::local_date;
use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// One planned unit's facts.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct UnitFacts {
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number (`1-2-301`).
    pub number: String,
    /// Building name.
    pub building: String,
    /// The accepted signature, when it falls within the period.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The accepted signature, when it falls after the period (零星交付).
    pub scattered_at: Option<DateTime<Utc>>,
    /// The first walkthrough in the period (or, without one, the recorded outcome).
    pub took_part_at: Option<DateTime<Utc>>,
    /// Complaints received in the period.
    pub complaints: i64,
    /// The first of them.
    pub first_complaint_at: Option<DateTime<Utc>>,
    /// Reasonable customer issues raised in the period that count (see [`IssueFact`]).
    #[sqlx(skip)]
    pub issues: i64,
}

impl UnitFacts {
    /// Delivered within the period.
    pub fn delivered(&self) -> bool {
        self.delivered_at.is_some()
    }

    /// Took part in the period (walkthrough, whatever the outcome).
    pub fn took_part(&self) -> bool {
        self.took_part_at.is_some()
    }

    /// Delivered with no reasonable issue and no complaint in the period.
    pub fn zero_defect(&self) -> bool {
        self.delivered() && self.issues == 0 && self.complaints == 0
    }

    /// The issues this unit adds to 户均缺陷 (only units that took part bring theirs).
    pub fn counted_issues(&self) -> i64 {
        if self.took_part() { self.issues } else { 0 }
    }
}

/// One reasonable customer issue raised in the period, judged by then and not cancelled.
#[derive(Debug, Clone, FromRow)]
pub struct IssueFact {
    /// Unit.
    pub unit_id: Uuid,
    /// Raised at.
    pub created_at: DateTime<Utc>,
    /// Trade (`civil`, `plumbing`, ...).
    pub trade: String,
}

/// All facts of a batch as of a moment.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Every planned unit, in building and number order.
    pub units: Vec<UnitFacts>,
    /// The issues that count, of any planned unit.
    pub issues: Vec<IssueFact>,
}

impl Facts {
    /// The KPI counts of all planned units.
    pub fn counts(&self) -> Counts {
        Counts::of(self.units.iter())
    }

    /// The day (Asia/Shanghai) each counted issue was raised, with its unit's facts.
    pub fn issue_days(&self) -> impl Iterator<Item = (NaiveDate, &IssueFact)> {
        self.issues.iter().map(|i| (local_date(i.created_at), i))
    }
}

impl Counts {
    /// The counts of some planned units' facts.
    pub fn of<'a>(units: impl Iterator<Item = &'a UnitFacts>) -> Counts {
        let mut c = Counts::default();
        for u in units {
            c.planned += 1;
            c.delivered += i64::from(u.delivered());
            c.zero_defect += i64::from(u.zero_defect());
            c.scattered += i64::from(u.scattered_at.is_some());
            c.took_part += i64::from(u.took_part());
            c.issues += u.counted_issues();
        }
        c
    }
}

/// The facts of `batch`'s planned units over `[start, end)` as of `as_of`: a unit's visits
/// (delivered = an accepted signature in the period; scattered = one after it; took part = a
/// walkthrough started in the period, or, when staff never pressed start, an outcome recorded
/// in it) and its complaints received in the period, each counted only once it had happened
/// at `as_of`. `cross join` keeps SQLite's join order (the batch's units first, then each
/// unit's rows from the covering indexes of migration 0006).
pub async fn load(
    c: &mut impl DbConn,
    batch: Uuid,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Facts, AppError> {
    let mut units = unit_rows(c, batch, (start, end), as_of).await?;
    let issues = issue_rows(c, batch, (start, end), as_of).await?;
    let index: std::collections::HashMap<Uuid, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.unit_id, i))
        .collect();
    for issue in &issues {
        if let Some(&i) = index.get(&issue.unit_id) {
            units[i].issues += 1;
        }
    }
    Ok(Facts { units, issues })
}

async fn unit_rows(
    c: &mut impl DbConn,
    batch: Uuid,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Vec<UnitFacts>, AppError> {
    const SQL: &str = "select bu.unit_id, u.number, b.name as building, f.delivered_at,
            f.scattered_at, f.took_part_at, cast(coalesce(f.complaints, 0) as bigint) as complaints,
            f.first_complaint_at
        from batch_units bu join units u on u.id = bu.unit_id
        join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
        left join (select unit_id, max(delivered_at) as delivered_at,
                max(scattered_at) as scattered_at, min(took_part_at) as took_part_at,
                sum(complained) as complaints, min(complained_at) as first_complaint_at
            from (
                select v.unit_id,
                    case when v.outcome = 'accepted' and v.outcome_at >= $2 and v.outcome_at < $3
                        and v.outcome_at <= $4 then v.outcome_at end as delivered_at,
                    case when v.outcome = 'accepted' and v.outcome_at >= $3 and v.outcome_at <= $4
                        then v.outcome_at end as scattered_at,
                    case when coalesce(v.walk_started_at, v.outcome_at) >= $2
                        and coalesce(v.walk_started_at, v.outcome_at) < $3
                        and coalesce(v.walk_started_at, v.outcome_at) <= $4
                        then coalesce(v.walk_started_at, v.outcome_at) end as took_part_at,
                    0 as complained, null as complained_at
                from batch_units bu cross join visits v
                where bu.batch_id = $1 and v.unit_id = bu.unit_id
            union all
                select k.unit_id, null, null, null, 1, k.received_at
                from batch_units bu cross join complaints k
                where bu.batch_id = $1 and k.unit_id = bu.unit_id and k.received_at >= $2
                    and k.received_at < $3 and k.received_at <= $4
            ) facts group by unit_id) f on f.unit_id = bu.unit_id
        where bu.batch_id = $1
        order by b.sort_key, b.name, u.number";
    Ok(run!(c, |c| sqlx::query_as::<_, UnitFacts>(SQL)
        .bind(batch)
        .bind(start)
        .bind(end)
        .bind(as_of)
        .fetch_all(c)
        .await)?)
}

/// The reasonable issues raised in the period and judged by `as_of`, whose rectification item
/// had not been cancelled by then.
async fn issue_rows(
    c: &mut impl DbConn,
    batch: Uuid,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Vec<IssueFact>, AppError> {
    const SQL: &str = "select i.unit_id, i.created_at, i.trade
        from batch_units bu cross join visit_issues i
        left join defect_events x on x.defect_id = i.defect_id and x.to_status = 'cancelled'
            and x.at <= $4
        where bu.batch_id = $1 and i.unit_id = bu.unit_id and i.created_at >= $2
            and i.created_at < $3 and i.created_at <= $4 and i.judgement = 'reasonable'
            and i.judged_at <= $4 and x.defect_id is null";
    Ok(run!(c, |c| sqlx::query_as::<_, IssueFact>(SQL)
        .bind(batch)
        .bind(start)
        .bind(end)
        .bind(as_of)
        .fetch_all(c)
        .await)?)
}
