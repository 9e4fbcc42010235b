//! SQL for the organisation: projects, buildings, units, buyers, common areas, contractors,
//! batches, members, and applying a validated roster.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::import::{BuyerEntry, RosterRow};
use crate::db::DbConn;
use crate::error::AppError;
use crate::{exec, run};

/// Rows per multi-row insert (keeps bind counts far below both backends' limits).
const CHUNK: usize = 400;

/// A project with its place in the organisation.
#[derive(Debug, Clone, FromRow)]
pub struct ProjectRow {
    /// Id.
    pub id: Uuid,
    /// Region company id.
    pub region_id: Uuid,
    /// Region company name.
    pub region_name: String,
    /// Project name.
    pub name: String,
    /// City.
    pub city: String,
    /// Street address.
    pub address: String,
    /// Number of units.
    pub unit_count: i64,
}

/// One cell of the unit status map.
#[derive(Debug, Clone, FromRow)]
pub struct MapCell {
    /// Unit id.
    pub id: Uuid,
    /// Building name.
    pub building: String,
    /// Entrance name.
    pub entrance: String,
    /// Floor.
    pub floor: i32,
    /// Room number.
    pub room: String,
    /// Unit number.
    pub number: String,
    /// Stored status name.
    pub status: String,
    /// Some defect of the unit is past its due date.
    pub overdue: bool,
    /// Trades of the unit's pending defects (open, assigned or fixed).
    #[sqlx(skip)]
    pub trades: Vec<crate::checklists::Trade>,
}

impl MapCell {
    /// The unit's state (a stored name this build does not know reads as not inspected).
    pub fn state(&self) -> super::UnitStatus {
        super::UnitStatus::parse(&self.status).unwrap_or(super::UnitStatus::NotInspected)
    }
}

/// A unit with its location and roster data.
#[derive(Debug, Clone, FromRow)]
pub struct UnitRow {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Building id.
    pub building_id: Uuid,
    /// Building name.
    pub building: String,
    /// Entrance name.
    pub entrance: String,
    /// Floor.
    pub floor: i32,
    /// Room number.
    pub room: String,
    /// Unit number.
    pub number: String,
    /// Building area, m².
    pub area_m2: Option<f64>,
    /// Layout name.
    pub layout: Option<String>,
    /// Stored status name.
    pub status: String,
    /// Last roster change.
    pub updated_at: DateTime<Utc>,
}

/// A buyer of a unit (phone unmasked: mask before showing).
#[derive(Debug, Clone, FromRow)]
pub struct BuyerRow {
    /// Id.
    pub id: Uuid,
    /// Unit id.
    pub unit_id: Uuid,
    /// Order on the contract.
    pub position: i32,
    /// Name.
    pub name: String,
    /// Phone, digits.
    pub phone: String,
}

/// A building with its unit count.
#[derive(Debug, Clone, FromRow)]
pub struct BuildingRow {
    /// Id.
    pub id: Uuid,
    /// Name (`3`).
    pub name: String,
    /// Units in it.
    pub unit_count: i64,
}

/// A contractor of a project.
#[derive(Debug, Clone, FromRow)]
pub struct ContractorRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `construction` or `supervision`.
    pub kind: String,
    /// Trades, comma-separated (土建,门窗).
    pub trades: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact phone.
    pub contact_phone: String,
}

/// A delivery batch with its planned unit count.
#[derive(Debug, Clone, FromRow)]
pub struct BatchRow {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Name.
    pub name: String,
    /// First day of the concentrated delivery period (Asia/Shanghai).
    pub period_start: NaiveDate,
    /// Last day, inclusive.
    pub period_end: NaiveDate,
    /// Planned units.
    pub planned_units: i64,
}

/// A common area (公区).
#[derive(Debug, Clone, FromRow)]
pub struct CommonAreaRow {
    /// Id.
    pub id: Uuid,
    /// Building, when it belongs to one.
    pub building: Option<String>,
    /// Kind (`lobby`, `roof`, ...).
    pub kind: String,
    /// Name.
    pub name: String,
}

/// A common area with its project, as an inspection page heads it.
#[derive(Debug, Clone, FromRow)]
pub struct CommonAreaHead {
    /// Id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Project name.
    pub project_name: String,
    /// Building, when it belongs to one.
    pub building: Option<String>,
    /// Name.
    pub name: String,
}

/// A user's membership on a project (direct or through its region or group).
#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    /// User id.
    pub user_id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role name.
    pub role: String,
    /// `project`, `region` or `group`.
    pub scope: String,
}

/// What applying a roster did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// Units created.
    pub created: usize,
    /// Units whose roster data changed.
    pub updated: usize,
    /// Units already as in the file.
    pub unchanged: usize,
}

const PROJECT_SQL: &str =
    "select p.id, p.region_id, r.name as region_name, p.name, p.city, p.address,
        (select count(*) from units u where u.project_id = p.id) as unit_count
     from projects p join regions r on r.id = p.region_id";

/// Inserts an organisation group.
pub async fn insert_group(
    c: &mut impl DbConn,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(
        "insert into org_groups (id, name, created_at) values ($1, $2, $3)"
    )
    .bind(id)
    .bind(name)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(id)
}

/// Inserts a region company of a group.
pub async fn insert_region(
    c: &mut impl DbConn,
    group: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(
        "insert into regions (id, group_id, name, created_at) values ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(group)
    .bind(name)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(id)
}

/// Inserts a project of a region company.
pub async fn insert_project(
    c: &mut impl DbConn,
    region: Uuid,
    name: &str,
    city: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str = "insert into projects (id, region_id, name, city, address, created_at)
                       values ($1, $2, $3, $4, $5, $6)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(region)
        .bind(name)
        .bind(city)
        .bind(address)
        .bind(now)
        .execute(c)
        .await)?;
    crate::auth::repo::bump_grants_of_region(c, region).await?;
    Ok(id)
}

/// Number of projects in the database.
pub async fn count_projects(c: &mut impl DbConn) -> Result<i64, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar::<_, i64>(
        "select count(*) from projects"
    )
    .fetch_one(c)
    .await)?)
}

/// Every region company, with its group's name (for the new-project form).
pub async fn list_regions(c: &mut impl DbConn) -> Result<Vec<(Uuid, String)>, AppError> {
    const SQL: &str = "select r.id, g.name || ' / ' || r.name from regions r
                       join org_groups g on g.id = r.group_id order by g.name, r.name";
    Ok(run!(c, |c| sqlx::query_as(SQL).fetch_all(c).await)?)
}

/// The projects with these ids, by name.
pub async fn list_projects(c: &mut impl DbConn, ids: &[Uuid]) -> Result<Vec<ProjectRow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    run!(c, |c| {
        let mut q = QueryBuilder::new(PROJECT_SQL);
        q.push(" where p.id in (");
        let mut sep = q.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        q.push(") order by p.name");
        Ok(q.build_query_as::<ProjectRow>().fetch_all(c).await?)
    })
}

/// One project.
pub async fn get_project(c: &mut impl DbConn, id: Uuid) -> Result<ProjectRow, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(PROJECT_SQL);
        q.push(" where p.id = ").push_bind(id);
        q.build_query_as::<ProjectRow>()
            .fetch_optional(c)
            .await?
            .ok_or(AppError::NotFound)
    })
}

/// A project's name and map cache key: all a cached overview page needs.
pub async fn project_head(c: &mut impl DbConn, project: Uuid) -> Result<(String, i64), AppError> {
    run!(c, |c| sqlx::query_as::<_, (String, i64)>(
        "select name, map_version from projects where id = $1"
    )
    .bind(project)
    .fetch_optional(c)
    .await)?
    .map(|(name, v)| (name, map_key(v)))
    .ok_or(AppError::NotFound)
}

/// The project of a batch.
pub async fn batch_project(c: &mut impl DbConn, batch: Uuid) -> Result<Uuid, AppError> {
    run!(c, |c| sqlx::query_scalar::<_, Uuid>(
        "select project_id from batches where id = $1"
    )
    .bind(batch)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)
}

/// A project's numbering: defects (D-n) and complaints each count from 1.
#[derive(Debug, Clone, Copy)]
pub enum Sequence {
    /// Defect numbers.
    Defect,
    /// Complaint numbers.
    Complaint,
}

impl Sequence {
    fn as_str(self) -> &'static str {
        match self {
            Sequence::Defect => "defect",
            Sequence::Complaint => "complaint",
        }
    }
}

/// Takes the next `count` numbers of `seq` in `project` and answers the first. SQLite takes
/// them in the transaction (one writer: numbers have no gaps). PostgreSQL takes them in a
/// statement of its own beside the transaction (from [`PgPools::numbers`]): a counter row locked
/// until the commit would serialise every defect-creating write of the project
/// (bench/handover-day). So on PostgreSQL a write that fails after taking its number leaves a
/// gap in the numbers, never a duplicate.
///
/// [`PgPools::numbers`]: crate::db::PgPools
pub async fn reserve_numbers(
    c: &mut impl DbConn,
    project: Uuid,
    seq: Sequence,
    count: i32,
) -> Result<i32, AppError> {
    let last = match c.numbers_pool().cloned() {
        Some(pool) => {
            let mut own = crate::db::ReadConn::Postgres(pool.acquire().await?);
            take_numbers(&mut own, project, seq, count).await?
        }
        None => take_numbers(c, project, seq, count).await?,
    };
    Ok(last - count + 1)
}

/// Advances the counter of `seq` in `project` by `count` and answers its new last number.
async fn take_numbers(
    c: &mut impl DbConn,
    project: Uuid,
    seq: Sequence,
    count: i32,
) -> Result<i32, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar(
        "insert into project_sequences (project_id, kind, last) values ($1, $2, $3)
         on conflict (project_id, kind) do update set last = project_sequences.last + $3
         returning last"
    )
    .bind(project)
    .bind(seq.as_str())
    .bind(count)
    .fetch_one(c)
    .await)?)
}

/// The cache key of the project's map: its `map_version` and today's date, since overdue
/// flags change at midnight without any write.
pub async fn map_version(c: &mut impl DbConn, project: Uuid) -> Result<i64, AppError> {
    run!(c, |c| sqlx::query_scalar::<_, i64>(
        "select map_version from projects where id = $1"
    )
    .bind(project)
    .fetch_optional(c)
    .await)?
    .map(map_key)
    .ok_or(AppError::NotFound)
}

fn map_key(version: i64) -> i64 {
    use chrono::Datelike;
    let day = crate::clock::local_date(crate::clock::now()).num_days_from_ce();
    version * 1_000_000 + i64::from(day)
}

/// Marks the project's status map as changed; call in every transaction that changes units.
pub async fn bump_map_version(c: &mut impl DbConn, project: Uuid) -> Result<(), AppError> {
    crate::db::bump(
        c,
        "update projects set map_version = map_version + 1 where id = $1",
        project,
    )
    .await
}

/// The status map cells of a project at `version`, from `cache` when still current.
pub async fn status_map_cached(
    c: &mut impl DbConn,
    cache: &super::map::MapCache,
    project: Uuid,
    version: i64,
) -> Result<std::sync::Arc<Vec<MapCell>>, AppError> {
    if let Some(cells) = cache.cells(project, version) {
        return Ok(cells);
    }
    let cells = std::sync::Arc::new(status_map(c, project).await?);
    cache.put_cells(project, version, cells.clone());
    Ok(cells)
}

/// Sets a unit's state on the status map (and marks the map changed).
pub async fn set_unit_status(
    c: &mut impl DbConn,
    unit: Uuid,
    status: super::UnitStatus,
) -> Result<(), AppError> {
    let project: Uuid = run!(c, |c| sqlx::query_scalar(
        "update units set status = $1 where id = $2 returning project_id"
    )
    .bind(status.as_str())
    .bind(unit)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)?;
    bump_map_version(c, project).await
}

/// Every unit of a project, ordered for the status map.
pub async fn status_map(c: &mut impl DbConn, project: Uuid) -> Result<Vec<MapCell>, AppError> {
    const SQL: &str = "select u.id, b.name as building, e.name as entrance, u.floor, u.room, u.number, u.status,
            exists (select 1 from defects d where d.unit_id = u.id and d.status = 'assigned'
                    and d.due_on < $2) as overdue
        from units u join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
        where u.project_id = $1
        order by b.sort_key, b.name, e.name, u.floor desc, u.room";
    const TRADES: &str = "select distinct unit_id, trade from defects
        where project_id = $1 and unit_id is not null and status in ('open', 'assigned', 'fixed')";
    let today = crate::clock::local_date(crate::clock::now());
    let mut cells = run!(c, |c| sqlx::query_as::<_, MapCell>(SQL)
        .bind(project)
        .bind(today)
        .fetch_all(c)
        .await)?;
    let pending: Vec<(Uuid, String)> = run!(c, |c| sqlx::query_as(TRADES)
        .bind(project)
        .fetch_all(c)
        .await)?;
    let mut by_unit: HashMap<Uuid, Vec<crate::checklists::Trade>> = HashMap::new();
    for (unit, trade) in pending {
        if let Some(t) = crate::checklists::Trade::parse(&trade) {
            by_unit.entry(unit).or_default().push(t);
        }
    }
    for cell in &mut cells {
        cell.trades = by_unit.remove(&cell.id).unwrap_or_default();
    }
    Ok(cells)
}

const UNIT_SQL: &str = "select u.id, u.project_id, p.name as project_name, b.id as building_id,
        b.name as building, e.name as entrance, u.floor, u.room, u.number, u.area_m2,
        l.name as layout, u.status, u.updated_at
     from units u join projects p on p.id = u.project_id
     join entrances e on e.id = u.entrance_id join buildings b on b.id = e.building_id
     left join layouts l on l.id = u.layout_id";

/// One unit.
pub async fn get_unit(c: &mut impl DbConn, id: Uuid) -> Result<UnitRow, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(UNIT_SQL);
        q.push(" where u.id = ").push_bind(id);
        q.build_query_as::<UnitRow>()
            .fetch_optional(c)
            .await?
            .ok_or(AppError::NotFound)
    })
}

/// Units of a project, optionally only those whose number starts with `prefix`, paged.
pub async fn list_units(
    c: &mut impl DbConn,
    project: Uuid,
    prefix: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<UnitRow>, AppError> {
    run!(c, |c| {
        let mut q = QueryBuilder::new(UNIT_SQL);
        q.push(" where u.project_id = ").push_bind(project);
        if let Some(p) = prefix {
            q.push(" and u.number like ")
                .push_bind(format!("{}%", p.replace(['%', '_'], "")));
        }
        q.push(" order by b.sort_key, b.name, e.name, u.floor, u.room limit ")
            .push_bind(limit)
            .push(" offset ")
            .push_bind(offset);
        Ok(q.build_query_as::<UnitRow>().fetch_all(c).await?)
    })
}

/// The buyers of a unit, in contract order.
pub async fn buyers_of(c: &mut impl DbConn, unit: Uuid) -> Result<Vec<BuyerRow>, AppError> {
    const SQL: &str = "select id, unit_id, position, name, phone from buyers where unit_id = $1 order by position";
    Ok(run!(c, |c| sqlx::query_as::<_, BuyerRow>(SQL)
        .bind(unit)
        .fetch_all(c)
        .await)?)
}

/// The buyers of each of `units`, in contract order.
pub async fn buyers_of_units(
    c: &mut impl DbConn,
    units: &[Uuid],
) -> Result<HashMap<Uuid, Vec<BuyerRow>>, AppError> {
    let mut map: HashMap<Uuid, Vec<BuyerRow>> = HashMap::new();
    if units.is_empty() {
        return Ok(map);
    }
    let rows: Vec<BuyerRow> = run!(c, |c| {
        let mut q = QueryBuilder::new(
            "select id, unit_id, position, name, phone from buyers where unit_id in (",
        );
        let mut sep = q.separated(", ");
        for id in units {
            sep.push_bind(*id);
        }
        q.push(") order by unit_id, position");
        q.build_query_as::<BuyerRow>().fetch_all(c).await
    })?;
    for b in rows {
        map.entry(b.unit_id).or_default().push(b);
    }
    Ok(map)
}

/// Buildings of a project with unit counts.
pub async fn list_buildings(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<Vec<BuildingRow>, AppError> {
    const SQL: &str = "select b.id, b.name,
          (select count(*) from units u join entrances e on e.id = u.entrance_id where e.building_id = b.id) as unit_count
        from buildings b where b.project_id = $1 order by b.sort_key, b.name";
    Ok(run!(c, |c| sqlx::query_as::<_, BuildingRow>(SQL)
        .bind(project)
        .fetch_all(c)
        .await)?)
}

/// Inserts a building; a taken name is `AlreadyExists`.
pub async fn insert_building(
    c: &mut impl DbConn,
    project: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str = "insert into buildings (id, project_id, name, sort_key, created_at) values ($1, $2, $3, $4, $5)";
    let id = Uuid::new_v4();
    let sort_key = name.parse::<i32>().unwrap_or(i32::MAX);
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(project)
        .bind(name)
        .bind(sort_key)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

async fn insert_entrance(
    c: &mut impl DbConn,
    building: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into entrances (id, building_id, name, created_at) values ($1, $2, $3, $4)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(building)
        .bind(name)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

async fn insert_layout(
    c: &mut impl DbConn,
    project: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into layouts (id, project_id, name, created_at) values ($1, $2, $3, $4)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(project)
        .bind(name)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

/// Contractors and supervisors of a project.
pub async fn list_contractors(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<Vec<ContractorRow>, AppError> {
    const SQL: &str = "select id, name, kind, trades, contact_name, contact_phone from contractors
                       where project_id = $1 order by kind, name";
    Ok(run!(c, |c| sqlx::query_as::<_, ContractorRow>(SQL)
        .bind(project)
        .fetch_all(c)
        .await)?)
}

/// Inserts a contractor; a taken name is `AlreadyExists`.
pub async fn insert_contractor(
    c: &mut impl DbConn,
    project: Uuid,
    row: &ContractorRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into contractors (id, project_id, name, kind, trades, contact_name, contact_phone, created_at)
                       values ($1, $2, $3, $4, $5, $6, $7, $8)";
    exec!(c, |c| sqlx::query(SQL)
        .bind(row.id)
        .bind(project)
        .bind(&row.name)
        .bind(&row.kind)
        .bind(&row.trades)
        .bind(&row.contact_name)
        .bind(&row.contact_phone)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

/// Common areas of a project.
pub async fn list_common_areas(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<Vec<CommonAreaRow>, AppError> {
    const SQL: &str = "select a.id, b.name as building, a.kind, a.name from common_areas a
        left join buildings b on b.id = a.building_id where a.project_id = $1 order by b.sort_key, a.name";
    Ok(run!(c, |c| sqlx::query_as::<_, CommonAreaRow>(SQL)
        .bind(project)
        .fetch_all(c)
        .await)?)
}

/// One common area with its project.
pub async fn get_common_area(c: &mut impl DbConn, id: Uuid) -> Result<CommonAreaHead, AppError> {
    const SQL: &str =
        "select a.id, a.project_id, p.name as project_name, b.name as building, a.name
        from common_areas a join projects p on p.id = a.project_id
        left join buildings b on b.id = a.building_id where a.id = $1";
    run!(c, |c| sqlx::query_as::<_, CommonAreaHead>(SQL)
        .bind(id)
        .fetch_optional(c)
        .await?
        .ok_or(AppError::NotFound))
}

/// Inserts a common area of a project (optionally of one building).
pub async fn insert_common_area(
    c: &mut impl DbConn,
    project: Uuid,
    building: Option<Uuid>,
    kind: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into common_areas (id, project_id, building_id, kind, name, created_at)
                       values ($1, $2, $3, $4, $5, $6)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(project)
        .bind(building)
        .bind(kind)
        .bind(name)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

const BATCH_SQL: &str = "select b.id, b.project_id, b.name, b.period_start, b.period_end,
        (select count(*) from batch_units bu where bu.batch_id = b.id) as planned_units
     from batches b";

/// Batches of these projects, newest period first.
pub async fn list_batches(
    c: &mut impl DbConn,
    projects: &[Uuid],
) -> Result<Vec<BatchRow>, AppError> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    run!(c, |c| {
        let mut q = QueryBuilder::new(BATCH_SQL);
        q.push(" where b.project_id in (");
        let mut sep = q.separated(", ");
        for id in projects {
            sep.push_bind(*id);
        }
        q.push(") order by b.period_start desc, b.name");
        Ok(q.build_query_as::<BatchRow>().fetch_all(c).await?)
    })
}

/// Inserts a batch planning every unit of `buildings` (all buildings when empty).
pub async fn insert_batch(
    c: &mut impl DbConn,
    project: Uuid,
    name: &str,
    start: NaiveDate,
    end: NaiveDate,
    buildings: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str =
        "insert into batches (id, project_id, name, period_start, period_end, created_at)
                       values ($1, $2, $3, $4, $5, $6)";
    let id = Uuid::new_v4();
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(project)
        .bind(name)
        .bind(start)
        .bind(end)
        .bind(now)
        .execute(c)
        .await)?;
    exec!(c, |c| {
        let mut q = QueryBuilder::new("insert into batch_units (batch_id, unit_id) select ");
        q.push_bind(id)
            .push(", u.id from units u join entrances e on e.id = u.entrance_id where u.project_id = ")
            .push_bind(project);
        if !buildings.is_empty() {
            q.push(" and e.building_id in (");
            let mut sep = q.separated(", ");
            for b in buildings {
                sep.push_bind(*b);
            }
            q.push(")");
        }
        q.build().execute(c).await
    })?;
    bump_map_version(c, project).await?; // the overview shows batches
    Ok(id)
}

/// Users holding a role on a project, directly or through its region or group.
pub async fn list_members(c: &mut impl DbConn, project: Uuid) -> Result<Vec<MemberRow>, AppError> {
    const SQL: &str = "select u.id as user_id, u.username, u.display_name, m.role,
          case when m.project_id is not null then 'project'
               when m.region_id is not null then 'region' else 'group' end as scope
        from memberships m join users u on u.id = m.user_id
        join projects p on p.id = $1
        where m.project_id = p.id or m.region_id = p.region_id
           or m.group_id = (select r.group_id from regions r where r.id = p.region_id)
        order by u.username, m.role";
    Ok(run!(c, |c| sqlx::query_as::<_, MemberRow>(SQL)
        .bind(project)
        .fetch_all(c)
        .await)?)
}

/// A unit as stored, for comparing with a roster row.
#[derive(Debug, FromRow)]
struct StoredUnit {
    id: Uuid,
    number: String,
    entrance_id: Uuid,
    floor: i32,
    room: String,
    area_m2: Option<f64>,
    layout_id: Option<Uuid>,
}

/// The project's existing names → ids, for resolving roster rows.
#[derive(Default)]
struct Catalog {
    buildings: HashMap<String, Uuid>,
    entrances: HashMap<(Uuid, String), Uuid>,
    layouts: HashMap<String, Uuid>,
}

async fn load_catalog(c: &mut impl DbConn, project: Uuid) -> Result<Catalog, AppError> {
    let buildings: Vec<(Uuid, String)> = run!(c, |c| sqlx::query_as(
        "select id, name from buildings where project_id = $1"
    )
    .bind(project)
    .fetch_all(c)
    .await)?;
    let entrances: Vec<(Uuid, Uuid, String)> = run!(c, |c| {
        sqlx::query_as(
        "select e.id, e.building_id, e.name from entrances e join buildings b on b.id = e.building_id where b.project_id = $1"
    )
    .bind(project)
    .fetch_all(c)
    .await
    })?;
    let layouts: Vec<(Uuid, String)> = run!(c, |c| sqlx::query_as(
        "select id, name from layouts where project_id = $1"
    )
    .bind(project)
    .fetch_all(c)
    .await)?;
    Ok(Catalog {
        buildings: buildings.into_iter().map(|(id, n)| (n, id)).collect(),
        entrances: entrances
            .into_iter()
            .map(|(id, b, n)| ((b, n), id))
            .collect(),
        layouts: layouts.into_iter().map(|(id, n)| (n, id)).collect(),
    })
}

/// Creates the buildings, entrances and layouts the rows name that do not exist yet.
async fn complete_catalog(
    c: &mut impl DbConn,
    project: Uuid,
    rows: &[RosterRow],
    now: DateTime<Utc>,
) -> Result<Catalog, AppError> {
    let mut cat = load_catalog(c, project).await?;
    for r in rows {
        let b = match cat.buildings.get(&r.building) {
            Some(id) => *id,
            None => {
                let id = insert_building(c, project, &r.building, now).await?;
                cat.buildings.insert(r.building.clone(), id);
                id
            }
        };
        if let Entry::Vacant(slot) = cat.entrances.entry((b, r.entrance.clone())) {
            slot.insert(insert_entrance(c, b, &r.entrance, now).await?);
        }
        if let Some(l) = &r.layout
            && !cat.layouts.contains_key(l)
        {
            let id = insert_layout(c, project, l, now).await?;
            cat.layouts.insert(l.clone(), id);
        }
    }
    Ok(cat)
}

/// Applies validated roster rows to a project in the caller's transaction: new units are
/// created, changed ones updated in place (matched by unit number), identical ones untouched.
pub async fn apply_roster(
    c: &mut impl DbConn,
    project: Uuid,
    user: Option<Uuid>,
    rows: &[RosterRow],
    now: DateTime<Utc>,
) -> Result<ImportCounts, AppError> {
    let cat = complete_catalog(c, project, rows, now).await?;
    let stored: Vec<StoredUnit> = run!(c, |c| {
        sqlx::query_as::<_, StoredUnit>(
        "select id, number, entrance_id, floor, room, area_m2, layout_id from units where project_id = $1"
    )
    .bind(project)
    .fetch_all(c)
    .await
    })?;
    let stored: HashMap<String, StoredUnit> =
        stored.into_iter().map(|u| (u.number.clone(), u)).collect();
    let buyers = project_buyers(c, project).await?;

    let mut counts = ImportCounts::default();
    let mut new_units = Vec::new();
    let mut buyer_writes: Vec<(Uuid, &[BuyerEntry])> = Vec::new();
    let mut changed = Vec::new();
    for r in rows {
        let building = cat.buildings[&r.building];
        let entrance = cat.entrances[&(building, r.entrance.clone())];
        let layout = r.layout.as_ref().map(|l| cat.layouts[l]);
        let target = StoredUnit {
            id: Uuid::new_v4(),
            number: r.number(),
            entrance_id: entrance,
            floor: r.floor,
            room: r.room.clone(),
            area_m2: Some(r.area_m2),
            layout_id: layout,
        };
        match stored.get(&target.number) {
            None => {
                buyer_writes.push((target.id, &r.buyers));
                changed.push((target.id, "insert"));
                new_units.push(target);
                counts.created += 1;
            }
            Some(old) => {
                let same_unit = old.entrance_id == target.entrance_id
                    && old.floor == target.floor
                    && old.room == target.room
                    && old.area_m2 == target.area_m2
                    && old.layout_id == target.layout_id;
                let same_buyers = buyers
                    .get(&old.id)
                    .map_or(r.buyers.is_empty(), |b| *b == r.buyers);
                if same_unit && same_buyers {
                    counts.unchanged += 1;
                    continue;
                }
                if !same_unit {
                    update_unit(c, old.id, &target, now).await?;
                }
                if !same_buyers {
                    buyer_writes.push((old.id, &r.buyers));
                }
                changed.push((old.id, "update"));
                counts.updated += 1;
            }
        }
    }
    if !changed.is_empty() {
        bump_map_version(c, project).await?;
    }
    insert_units(c, project, &new_units, now).await?;
    replace_buyers(c, project, &buyer_writes, now).await?;
    log_changes(c, project, "unit", user, &changed, now).await?;
    Ok(counts)
}

async fn project_buyers(
    c: &mut impl DbConn,
    project: Uuid,
) -> Result<HashMap<Uuid, Vec<BuyerEntry>>, AppError> {
    const SQL: &str =
        "select b.unit_id, b.name, b.phone from buyers b join units u on u.id = b.unit_id
                       where u.project_id = $1 order by b.unit_id, b.position";
    let rows: Vec<(Uuid, String, String)> =
        run!(c, |c| sqlx::query_as(SQL).bind(project).fetch_all(c).await)?;
    let mut map: HashMap<Uuid, Vec<BuyerEntry>> = HashMap::new();
    for (unit, name, phone) in rows {
        map.entry(unit)
            .or_default()
            .push(BuyerEntry { name, phone });
    }
    Ok(map)
}

async fn update_unit(
    c: &mut impl DbConn,
    id: Uuid,
    t: &StoredUnit,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str =
        "update units set entrance_id = $2, floor = $3, room = $4, area_m2 = $5, layout_id = $6,
                       updated_at = $7 where id = $1";
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(t.entrance_id)
        .bind(t.floor)
        .bind(&t.room)
        .bind(t.area_m2)
        .bind(t.layout_id)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

async fn insert_units(
    c: &mut impl DbConn,
    project: Uuid,
    units: &[StoredUnit],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for chunk in units.chunks(CHUNK) {
        exec!(c, |c| {
            let mut q = QueryBuilder::new(
                "insert into units (id, project_id, entrance_id, floor, room, number, area_m2, layout_id, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, u| {
                b.push_bind(u.id)
                    .push_bind(project)
                    .push_bind(u.entrance_id)
                    .push_bind(u.floor)
                    .push_bind(&u.room)
                    .push_bind(&u.number)
                    .push_bind(u.area_m2)
                    .push_bind(u.layout_id)
                    .push_bind(now)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// Sets each unit's buyers to the given list (matched by position; extra old positions dropped).
async fn replace_buyers(
    c: &mut impl DbConn,
    project: Uuid,
    writes: &[(Uuid, &[BuyerEntry])],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for (unit, buyers) in writes {
        exec!(c, |c| sqlx::query(
            "delete from buyers where unit_id = $1 and position >= $2"
        )
        .bind(*unit)
        .bind(buyers.len() as i32)
        .execute(c)
        .await)?;
    }
    let rows: Vec<(Uuid, i32, &BuyerEntry)> = writes
        .iter()
        .flat_map(|(u, bs)| bs.iter().enumerate().map(move |(i, b)| (*u, i as i32, b)))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(c, |c| {
            let mut q = QueryBuilder::new(
                "insert into buyers (id, project_id, unit_id, position, name, phone, created_at) ",
            );
            q.push_values(chunk, |mut b, (unit, pos, buyer)| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(project)
                    .push_bind(*unit)
                    .push_bind(*pos)
                    .push_bind(&buyer.name)
                    .push_bind(&buyer.phone)
                    .push_bind(now);
            });
            q.push(" on conflict (unit_id, position) do update set name = excluded.name, phone = excluded.phone");
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// Appends to the change log that tablet sync reads.
pub async fn log_changes(
    c: &mut impl DbConn,
    project: Uuid,
    entity: &str,
    user: Option<Uuid>,
    changed: &[(Uuid, &str)],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for chunk in changed.chunks(CHUNK) {
        exec!(c, |c| {
            let mut q = QueryBuilder::new(
                "insert into changes (project_id, entity, entity_id, op, user_id, at) ",
            );
            q.push_values(chunk, |mut b, (id, op)| {
                b.push_bind(project)
                    .push_bind(entity)
                    .push_bind(*id)
                    .push_bind(*op)
                    .push_bind(user)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// The audit facts of one roster import.
#[derive(Debug)]
pub struct ImportRecord<'a> {
    /// Uploaded file name.
    pub filename: &'a str,
    /// SHA-256 of the file, hex.
    pub sha256: &'a str,
    /// Data rows in the file.
    pub rows: usize,
    /// What the import did.
    pub counts: ImportCounts,
}

/// Records a completed roster import (audit).
pub async fn record_import(
    c: &mut impl DbConn,
    project: Uuid,
    user: Uuid,
    r: &ImportRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    const SQL: &str = "insert into roster_imports (id, project_id, user_id, filename, sha256, rows_total, created, updated, unchanged, at)
                       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    exec!(c, |c| sqlx::query(SQL)
        .bind(Uuid::new_v4())
        .bind(project)
        .bind(user)
        .bind(r.filename)
        .bind(r.sha256)
        .bind(r.rows as i32)
        .bind(r.counts.created as i32)
        .bind(r.counts.updated as i32)
        .bind(r.counts.unchanged as i32)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(())
}

/// A project's id by its name.
pub async fn find_project_by_name(
    c: &mut impl DbConn,
    name: &str,
) -> Result<Option<Uuid>, AppError> {
    Ok(run!(c, |c| sqlx::query_scalar::<_, Uuid>(
        "select id from projects where name = $1"
    )
    .bind(name)
    .fetch_optional(c)
    .await)?)
}

/// Some admin of the project (direct, region or group), for attributing CLI work.
pub async fn any_admin_of(c: &mut impl DbConn, project: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(list_members(c, project)
        .await?
        .into_iter()
        .find(|m| m.role == "admin")
        .map(|m| m.user_id))
}

/// Keeps an uploaded roster between its preview and the confirmation.
pub async fn insert_upload(
    c: &mut impl DbConn,
    project: Uuid,
    user: Uuid,
    filename: &str,
    content: &[u8],
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    const SQL: &str = "insert into roster_uploads (id, project_id, user_id, filename, sha256, content, created_at)
                       values ($1, $2, $3, $4, $5, $6, $7)";
    let id = Uuid::new_v4();
    let sha = crate::auth::hex_lower(&<sha2::Sha256 as sha2::Digest>::digest(content));
    exec!(c, |c| sqlx::query(SQL)
        .bind(id)
        .bind(project)
        .bind(user)
        .bind(filename)
        .bind(sha)
        .bind(content)
        .bind(now)
        .execute(c)
        .await)?;
    Ok(id)
}

/// An uploaded roster of this project and user: `(filename, content)`.
pub async fn get_upload(
    c: &mut impl DbConn,
    id: Uuid,
    project: Uuid,
    user: Uuid,
) -> Result<(String, Vec<u8>), AppError> {
    const SQL: &str = "select filename, content from roster_uploads where id = $1 and project_id = $2 and user_id = $3";
    run!(c, |c| sqlx::query_as::<_, (String, Vec<u8>)>(SQL)
        .bind(id)
        .bind(project)
        .bind(user)
        .fetch_optional(c)
        .await)?
    .ok_or(AppError::NotFound)
}

/// The id of the project's layout `name`, created if new.
pub async fn ensure_layout(
    c: &mut impl DbConn,
    project: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AppError> {
    let found: Option<Uuid> = run!(c, |c| sqlx::query_scalar(
        "select id from layouts where project_id = $1 and name = $2"
    )
    .bind(project)
    .bind(name)
    .fetch_optional(c)
    .await)?;
    match found {
        Some(id) => Ok(id),
        None => insert_layout(c, project, name, now).await,
    }
}

/// Sets a unit's area and layout (the roster fields an admin may correct by hand).
pub async fn set_unit_details(
    c: &mut impl DbConn,
    unit: Uuid,
    area_m2: Option<f64>,
    layout: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    exec!(c, |c| sqlx::query(
        "update units set area_m2 = $2, layout_id = $3, updated_at = $4 where id = $1"
    )
    .bind(unit)
    .bind(area_m2)
    .bind(layout)
    .bind(now)
    .execute(c)
    .await)?;
    Ok(())
}

/// Number of units of a project whose number starts with `prefix`.
pub async fn count_units(
    c: &mut impl DbConn,
    project: Uuid,
    prefix: Option<&str>,
) -> Result<i64, AppError> {
    let pattern = format!("{}%", prefix.unwrap_or("").replace(['%', '_'], ""));
    Ok(run!(c, |c| sqlx::query_scalar::<_, i64>(
        "select count(*) from units where project_id = $1 and number like $2"
    )
    .bind(project)
    .bind(&pattern)
    .fetch_one(c)
    .await)?)
}
