//! The facts behind the secondary figures: five aggregate queries over a batch's planned units,
//! each unit's rows read from covering indexes (migrations 0006 and 0009), and the project's
//! survey dimensions. A fact counts once it had happened at `as_of`; durations are whole
//! seconds (`unixepoch`, SQLite's built-in, defined on PostgreSQL by migration 0009).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::ReasonCount;
use crate::db::DbConn;
use crate::error::AppError;
use crate::kpis::repo::BatchHead;
use crate::run;

/// Per planned unit: a finished self-inspection, its stage-1 defects, its walkthrough and refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct UnitFacts {
    /// Planned units.
    pub planned: i64,
    /// With a self-inspection finished by `as_of`.
    pub inspected: i64,
    /// Stage-1 defects of the planned units recorded by `as_of`, not cancelled then.
    pub stage1_defects: i64,
    /// Units that took part (the KPIs' definition).
    pub took_part: i64,
    /// Of those, units with a refused visit in the period.
    pub refused: i64,
}

/// Counts over some rectification items, as of `as_of`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow, Serialize, utoipa::ToSchema)]
pub struct ItemCounts {
    /// Items.
    pub items: i64,
    /// Verified by `as_of`.
    pub closed: i64,
    /// Verified, and the fix that passed was marked on or before its due date.
    pub on_time: i64,
    /// Verified without a send-back.
    pub first_time: i64,
    /// Seconds from raising to verification, summed over the verified ones.
    pub seconds: i64,
    /// Send-backs (fixed → assigned) by `as_of`.
    pub send_backs: i64,
}

impl<'a> std::iter::Sum<&'a ItemCounts> for ItemCounts {
    fn sum<I: Iterator<Item = &'a ItemCounts>>(counts: I) -> Self {
        counts.fold(ItemCounts::default(), |t, c| ItemCounts {
            items: t.items + c.items,
            closed: t.closed + c.closed,
            on_time: t.on_time + c.on_time,
            first_time: t.first_time + c.first_time,
            seconds: t.seconds + c.seconds,
            send_backs: t.send_backs + c.send_backs,
        })
    }
}

/// The customers' rectification items of one contractor (as of `as_of`), trade, and
/// counted-in-户均缺陷 flag.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct ItemGroup {
    /// Contractor of the item's last assignment by `as_of`; none when not assigned then.
    pub contractor_id: Option<Uuid>,
    /// Its name.
    pub contractor: Option<String>,
    /// Trade of the customer's issue.
    pub trade: String,
    /// 1 when the unit took part, so the issue counts in 户均缺陷.
    pub counted: i64,
    /// Its counts.
    #[sqlx(flatten)]
    pub counts: ItemCounts,
}

/// Complaints received in the period, with their response and resolution times.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct ComplaintFacts {
    /// Received.
    pub received: i64,
    /// First responded to by `as_of`.
    pub responded: i64,
    /// Resolved by `as_of`.
    pub resolved: i64,
    /// Seconds from receipt to first response, summed over the responded ones.
    pub response_seconds: i64,
    /// Seconds from receipt to resolution, summed over the resolved ones.
    pub resolution_seconds: i64,
}

/// Surveys giving the same answers: stars per dimension (JSON) and NPS.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct SurveyGroup {
    /// `{"code": stars}` as stored.
    pub stars: String,
    /// 0–10.
    pub nps: i64,
    /// Surveys with these answers.
    pub responses: i64,
}

impl SurveyGroup {
    /// The stars per dimension (none when the stored JSON is unreadable).
    pub fn stars(&self) -> BTreeMap<String, i64> {
        serde_json::from_str(&self.stars).unwrap_or_default()
    }
}

/// Everything the secondary figures are folded from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Per-unit counts.
    pub units: UnitFacts,
    /// Refused visits in the period by reason.
    pub refusal_reasons: Vec<ReasonCount>,
    /// Rectification items by contractor, trade and counted flag.
    pub items: Vec<ItemGroup>,
    /// Complaints.
    pub complaints: ComplaintFacts,
    /// Surveys by answers.
    pub surveys: Vec<SurveyGroup>,
    /// The project's survey dimensions, in order.
    pub dimensions: Vec<crate::delivery::settings::Entry>,
}

/// Per planned unit: a finished self-inspection; its stage-1 defects not cancelled as of `$4`
/// (cancelled is final, so only a defect cancelled now whose last change came after `$4` needs its
/// history read); took part (a walkthrough started in the period, or an outcome recorded in it
/// when staff never pressed start); a refusal in the period. Materialized: each per-unit value is
/// computed once, however often the totals use it.
macro_rules! per_unit {
    () => {
        "with per_unit as materialized (select bu.unit_id,
        case when exists (select 1 from inspections s where s.unit_id = bu.unit_id
            and s.stage = 'self' and s.finished_at <= $4) then 1 else 0 end as inspected,
        (select count(*) from defects d where d.unit_id = bu.unit_id and d.stage <> 'customer'
            and d.created_at <= $4 and (d.status <> 'cancelled' or (d.updated_at > $4
                and exists (select 1 from defect_events x where x.defect_id = d.id
                    and x.to_status = 'cancelled' and x.at > $4)))) as stage1,
        case when exists (select 1 from visits v where v.unit_id = bu.unit_id
            and coalesce(v.walk_started_at, v.outcome_at) >= $2
            and coalesce(v.walk_started_at, v.outcome_at) < $3
            and coalesce(v.walk_started_at, v.outcome_at) <= $4) then 1 else 0 end as took_part,
        case when exists (select 1 from visits v where v.unit_id = bu.unit_id
            and v.outcome = 'refused' and v.outcome_at >= $2 and v.outcome_at < $3
            and v.outcome_at <= $4) then 1 else 0 end as refused
        from batch_units bu where bu.batch_id = $1)"
    };
}

/// The totals of `per_unit!`.
const UNITS: &str = concat!(
    per_unit!(),
    "
    select count(*) as planned,
        cast(coalesce(sum(inspected), 0) as bigint) as inspected,
        cast(coalesce(sum(stage1), 0) as bigint) as stage1_defects,
        cast(coalesce(sum(took_part), 0) as bigint) as took_part,
        cast(coalesce(sum(took_part * refused), 0) as bigint) as refused
    from per_unit"
);

/// `per_unit!` unit by unit, with each unit's number and building, in building and
/// number order.
const UNITS_EACH: &str = concat!(
    per_unit!(),
    "
    select p.unit_id, u.number, b.name as building, cast(p.inspected as bigint) as inspected,
        cast(p.stage1 as bigint) as stage1_defects, cast(p.took_part as bigint) as took_part,
        cast(p.refused as bigint) as refused
    from per_unit p join units u on u.id = p.unit_id
        join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
    order by b.sort_key, b.name, u.number"
);

/// The refused visits of planned units in the period, by reason.
const REASONS: &str = "select coalesce(v.refusal_reason, 'other') as reason, count(*) as count
    from batch_units bu cross join visits v
    where bu.batch_id = $1 and v.unit_id = bu.unit_id and v.outcome = 'refused'
        and v.outcome_at >= $2 and v.outcome_at < $3 and v.outcome_at <= $4
    group by coalesce(v.refusal_reason, 'other')";

/// The reasons of each unit's refused visits in the period.
const REASONS_EACH: &str = "select v.unit_id, coalesce(v.refusal_reason, 'other') as reason,
        count(*) as count
    from batch_units bu cross join visits v
    where bu.batch_id = $1 and v.unit_id = bu.unit_id and v.outcome = 'refused'
        and v.outcome_at >= $2 and v.outcome_at < $3 and v.outcome_at <= $4
    group by v.unit_id, coalesce(v.refusal_reason, 'other')";

/// The rectification items: the planned units' reasonable issues raised in the period whose item
/// was not cancelled by `$4`, grouped by contractor, trade and whether the unit took part (counted
/// in 户均缺陷). An item's state as of `$4` is its current one when its last change (`updated_at`,
/// stamped by every transition) came by then; otherwise its history tells: the contractor of its
/// last assignment, its send-backs, its verification. Only a verified item's history is read
/// either way: when it was verified, and its last fix — the one that passed (verification is
/// final), on time when marked before the end of its due day in Asia/Shanghai (16:00 UTC that day,
/// 57,600 s after its 00:00 UTC). `cross join` keeps SQLite's order: the batch's units first; the
/// contractors' names are joined to the groups, not to each item.
macro_rules! item {
    () => {
        "with item as materialized (select u.unit_id, i.trade, i.created_at as raised_at, u.counted,
            d.due_on,
            case when d.status = 'verified' or d.updated_at > $4 then (select max(e.at)
                from defect_events e where e.defect_id = i.defect_id and e.to_status = 'verified'
                and e.at <= $4) end as verified_at,
            case when d.status = 'verified' or d.updated_at > $4 then (select max(e.at)
                from defect_events e where e.defect_id = i.defect_id and e.to_status = 'fixed'
                and e.at <= $4) end as fixed_at,
            case when d.updated_at <= $4 then d.contractor_id
                else (select e.contractor_id from defect_events e where e.defect_id = i.defect_id
                    and e.to_status = 'assigned' and e.at <= $4 order by e.at desc limit 1) end
                as contractor_id,
            case when d.updated_at <= $4 then d.send_backs
                else (select count(*) from defect_events e where e.defect_id = i.defect_id
                    and e.to_status = 'assigned' and e.at <= $4 and e.from_status = 'fixed') end
                as send_backs
        from (select bu.unit_id,
                case when exists (select 1 from visits v where v.unit_id = bu.unit_id
                    and coalesce(v.walk_started_at, v.outcome_at) >= $2
                    and coalesce(v.walk_started_at, v.outcome_at) < $3
                    and coalesce(v.walk_started_at, v.outcome_at) <= $4) then 1 else 0 end as counted
            from batch_units bu where bu.batch_id = $1) u
        cross join visit_issues i
        join defects d on d.id = i.defect_id
        where i.unit_id = u.unit_id and i.judgement = 'reasonable' and i.judged_at <= $4
            and i.created_at >= $2 and i.created_at < $3 and i.created_at <= $4
            and (d.status <> 'cancelled' or (d.updated_at > $4 and exists (select 1
                from defect_events x where x.defect_id = i.defect_id and x.to_status = 'cancelled'
                and x.at > $4))))"
    };
}

/// The sums over the `item!` rows `f` of a group.
macro_rules! item_sums {
    () => {
        "count(*) as items,
            cast(coalesce(sum(case when f.verified_at is not null then 1 else 0 end), 0) as bigint)
                as closed,
            cast(coalesce(sum(case when f.verified_at is not null
                and unixepoch(f.fixed_at) < unixepoch(f.due_on) + 57600 then 1 else 0 end), 0)
                as bigint) as on_time,
            cast(coalesce(sum(case when f.verified_at is not null and f.send_backs = 0
                then 1 else 0 end), 0) as bigint) as first_time,
            cast(coalesce(sum(case when f.verified_at is not null
                then unixepoch(f.verified_at) - unixepoch(f.raised_at) else 0 end), 0) as bigint)
                as seconds,
            cast(coalesce(sum(f.send_backs), 0) as bigint) as send_backs"
    };
}

/// The items grouped by contractor, trade and counted flag.
const ITEMS: &str = concat!(
    item!(),
    "
    select g.contractor_id, c.name as contractor, g.trade, g.counted, g.items, g.closed,
        g.on_time, g.first_time, g.seconds, g.send_backs
    from (select f.contractor_id, f.trade, cast(f.counted as bigint) as counted,
            ",
    item_sums!(),
    "
        from item f group by f.contractor_id, f.trade, f.counted) g
    left join contractors c on c.id = g.contractor_id"
);

/// The items grouped by unit and contractor.
const ITEMS_EACH: &str = concat!(
    item!(),
    "
    select g.unit_id, g.contractor_id, c.name as contractor, g.items, g.closed, g.on_time,
        g.first_time, g.seconds, g.send_backs
    from (select f.unit_id, f.contractor_id,
            ",
    item_sums!(),
    "
        from item f group by f.unit_id, f.contractor_id) g
    left join contractors c on c.id = g.contractor_id"
);

/// The planned units' complaints received in the period; a response or resolution counts once
/// it happened by `$4`.
macro_rules! complaint_sums {
    () => {
        "count(*) as received,
        cast(coalesce(sum(case when k.first_response_at <= $4 then 1 else 0 end), 0) as bigint)
            as responded,
        cast(coalesce(sum(case when k.resolved_at <= $4 then 1 else 0 end), 0) as bigint)
            as resolved,
        cast(coalesce(sum(case when k.first_response_at <= $4
            then unixepoch(k.first_response_at) - unixepoch(k.received_at) else 0 end), 0)
            as bigint) as response_seconds,
        cast(coalesce(sum(case when k.resolved_at <= $4
            then unixepoch(k.resolved_at) - unixepoch(k.received_at) else 0 end), 0)
            as bigint) as resolution_seconds"
    };
}

/// The complaints `k` counted.
macro_rules! complaint_rows {
    () => {
        "from batch_units bu cross join complaints k
    where bu.batch_id = $1 and k.unit_id = bu.unit_id and k.received_at >= $2
        and k.received_at < $3 and k.received_at <= $4"
    };
}

/// The totals.
const COMPLAINTS: &str = concat!("select ", complaint_sums!(), " ", complaint_rows!());

/// Unit by unit.
const COMPLAINTS_EACH: &str = concat!(
    "select k.unit_id, ",
    complaint_sums!(),
    " ",
    complaint_rows!(),
    " group by k.unit_id"
);

/// The planned units' surveys submitted by `$2` (whenever: a survey follows the delivery),
/// grouped by identical answers.
const SURVEYS: &str = "select s.stars, cast(s.nps as bigint) as nps, count(*) as responses
    from batch_units bu cross join surveys s
    where bu.batch_id = $1 and s.unit_id = bu.unit_id and s.submitted_at <= $2
    group by s.stars, s.nps";

/// Each survey of the planned units submitted by `$2`, oldest first.
const SURVEYS_EACH: &str = "select s.unit_id, s.stars, cast(s.nps as bigint) as nps,
        cast(1 as bigint) as responses
    from batch_units bu cross join surveys s
    where bu.batch_id = $1 and s.unit_id = bu.unit_id and s.submitted_at <= $2
    order by s.submitted_at";

impl Facts {
    /// Reads the facts of `batch` over `[start, end)` as of `as_of`.
    pub async fn read(
        c: &mut impl DbConn,
        batch: &BatchHead,
        bounds: (DateTime<Utc>, DateTime<Utc>),
        as_of: DateTime<Utc>,
    ) -> Result<Facts, AppError> {
        let id = batch.id;
        let units = rows(c, UNITS, id, bounds, as_of).await?.pop();
        let complaints = rows(c, COMPLAINTS, id, bounds, as_of).await?.pop();
        let surveys = run!(c, |c| sqlx::query_as::<_, SurveyGroup>(SURVEYS)
            .bind(id)
            .bind(as_of)
            .fetch_all(c)
            .await)?;
        let dimensions = crate::delivery::repo::settings(c, batch.project_id)
            .await?
            .survey;
        Ok(Facts {
            units: units.unwrap_or_default(),
            refusal_reasons: rows(c, REASONS, id, bounds, as_of).await?,
            items: rows(c, ITEMS, id, bounds, as_of).await?,
            complaints: complaints.unwrap_or_default(),
            surveys,
            dimensions,
        })
    }
}

/// A rectification-item group of one unit: its items of one contractor.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow, Serialize, utoipa::ToSchema)]
pub struct UnitItems {
    /// Contractor of the items' last assignment; none when not assigned.
    pub contractor_id: Option<Uuid>,
    /// Its name.
    pub contractor: Option<String>,
    /// Their counts.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub counts: ItemCounts,
}

/// A unit's complaints received in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow, Serialize, utoipa::ToSchema)]
pub struct UnitComplaints {
    /// Received.
    pub received: i64,
    /// First responded to.
    pub responded: i64,
    /// Resolved.
    pub resolved: i64,
    /// Seconds to the first response, summed over the responded ones.
    pub response_seconds: i64,
    /// Seconds to the resolution, summed over the resolved ones.
    pub resolution_seconds: i64,
}

/// One survey of a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SurveyAnswer {
    /// 0–10.
    pub nps: i64,
    /// Stars (1–5) per dimension code.
    pub stars: BTreeMap<String, i64>,
}

/// The service facts of one planned unit: what it adds to each secondary figure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceUnit {
    /// Unit.
    pub unit_id: Uuid,
    /// Unit number.
    pub number: String,
    /// Building name.
    pub building: String,
    /// A self-inspection of it was finished.
    pub self_inspected: bool,
    /// Its stage-1 defects, not cancelled.
    pub stage1_defects: i64,
    /// It took part (the KPIs' definition).
    pub took_part: bool,
    /// It refused at least once in the period.
    pub refused: bool,
    /// The reasons of its refused visits in the period.
    pub refusal_reasons: Vec<ReasonCount>,
    /// Its customers' rectification items, by contractor.
    pub items: Vec<UnitItems>,
    /// Its complaints received in the period.
    pub complaints: UnitComplaints,
    /// Its surveys.
    pub surveys: Vec<SurveyAnswer>,
}

/// A row of `UNITS_EACH`.
#[derive(FromRow)]
struct UnitRow {
    unit_id: Uuid,
    number: String,
    building: String,
    inspected: i64,
    stage1_defects: i64,
    took_part: i64,
    refused: i64,
}

/// A row of `ITEMS_EACH`.
#[derive(FromRow)]
struct UnitItemsRow {
    unit_id: Uuid,
    #[sqlx(flatten)]
    items: UnitItems,
}

/// A row of `COMPLAINTS_EACH`.
#[derive(FromRow)]
struct UnitComplaintsRow {
    unit_id: Uuid,
    #[sqlx(flatten)]
    complaints: UnitComplaints,
}

/// A row of `REASONS_EACH`.
#[derive(FromRow)]
struct UnitReasonRow {
    unit_id: Uuid,
    #[sqlx(flatten)]
    reason: ReasonCount,
}

/// A row of `SURVEYS_EACH`.
#[derive(FromRow)]
struct UnitSurveyRow {
    unit_id: Uuid,
    #[sqlx(flatten)]
    survey: SurveyGroup,
}

/// Reads the facts of `batch`'s planned units over `[start, end)` as of `as_of`, in building
/// and number order: the same facts as [`Facts::read`], unit by unit.
pub async fn read_units(
    c: &mut impl DbConn,
    batch: Uuid,
    bounds: (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Vec<ServiceUnit>, AppError> {
    let heads: Vec<UnitRow> = rows(c, UNITS_EACH, batch, bounds, as_of).await?;
    let mut units: Vec<ServiceUnit> = heads.into_iter().map(ServiceUnit::from).collect();
    let at: HashMap<Uuid, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.unit_id, i))
        .collect();
    let of = |id: Uuid| at.get(&id).copied();
    for r in rows::<UnitItemsRow>(c, ITEMS_EACH, batch, bounds, as_of).await? {
        if let Some(i) = of(r.unit_id) {
            units[i].items.push(r.items);
        }
    }
    for r in rows::<UnitComplaintsRow>(c, COMPLAINTS_EACH, batch, bounds, as_of).await? {
        if let Some(i) = of(r.unit_id) {
            units[i].complaints = r.complaints;
        }
    }
    for r in rows::<UnitReasonRow>(c, REASONS_EACH, batch, bounds, as_of).await? {
        if let Some(i) = of(r.unit_id) {
            units[i].refusal_reasons.push(r.reason);
        }
    }
    let surveys = run!(c, |c| sqlx::query_as::<_, UnitSurveyRow>(SURVEYS_EACH)
        .bind(batch)
        .bind(as_of)
        .fetch_all(c)
        .await)?;
    for r in surveys {
        if let Some(i) = of(r.unit_id) {
            units[i].surveys.push(SurveyAnswer {
                nps: r.survey.nps,
                stars: r.survey.stars(),
            });
        }
    }
    Ok(units)
}

impl From<UnitRow> for ServiceUnit {
    fn from(r: UnitRow) -> Self {
        ServiceUnit {
            unit_id: r.unit_id,
            number: r.number,
            building: r.building,
            self_inspected: r.inspected > 0,
            stage1_defects: r.stage1_defects,
            took_part: r.took_part > 0,
            refused: r.refused > 0,
            ..ServiceUnit::default()
        }
    }
}

/// Runs a query over `$1` batch, `$2`–`$3` the period, `$4` as of.
async fn rows<T>(
    c: &mut impl DbConn,
    sql: &'static str,
    batch: Uuid,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    as_of: DateTime<Utc>,
) -> Result<Vec<T>, AppError>
where
    T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
{
    Ok(run!(c, |c| sqlx::query_as::<_, T>(sql)
        .bind(batch)
        .bind(start)
        .bind(end)
        .bind(as_of)
        .fetch_all(c)
        .await)?)
}
