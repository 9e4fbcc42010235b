//! Synthetic defects for load tests and large demos: a realistic mix of trades, severities,
//! statuses (some overdue) and contractors over a project's units, written in bulk.

use chrono::{Days, Duration};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::repo;
use crate::clock;
use crate::db::Db;
use crate::error::AppError;
use crate::exec;
use crate::org::repo::{Sequence, reserve_numbers};

/// Rows per multi-row insert.
const CHUNK: usize = 500;

const TRADES: [(&str, &[&str]); 5] = [
    (
        "civil",
        &[
            "墙面空鼓",
            "墙面开裂",
            "阴阳角不顺直",
            "顶棚渗水痕迹",
            "地面起砂",
        ],
    ),
    (
        "doors_windows",
        &["窗框密封胶开裂", "推拉窗开启不顺", "入户门变形", "窗台渗水"],
    ),
    ("plumbing", &["地漏倒泛水", "给水管接口渗漏", "排水不畅"]),
    (
        "electrical",
        &["插座无电", "开关面板不平整", "配电箱回路标识缺失"],
    ),
    ("waterproofing", &["卫生间蓄水试验渗漏", "管根渗水"]),
];
const ROOMS: [&str; 8] = [
    "客厅", "主卧", "次卧", "厨房", "主卫", "次卫", "阳台", "餐厅",
];

/// Adds `count` defects spread over the project's units; returns how many were written.
pub async fn seed(db: &Db, project: Uuid, count: usize, seed: u64) -> Result<usize, AppError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut conn = db.read().await?;
    let units: Vec<(Uuid, Uuid, i32)> = crate::run!(&mut conn, |c| sqlx::query_as(
        "select u.id, e.building_id, u.floor from units u
            join entrances e on e.id = u.entrance_id where u.project_id = $1"
    )
    .bind(project)
    .fetch_all(c)
    .await)?;
    let presets = repo::presets(&mut conn, project).await?;
    let raiser: Uuid = crate::run!(&mut conn, |c| sqlx::query_scalar(
        "select user_id from memberships where role = 'inspector' limit 1"
    )
    .fetch_one(c)
    .await)?;
    drop(conn);
    if units.is_empty() || presets.is_empty() {
        return Err(AppError::field("project", "invalid"));
    }
    let mut tx = db.begin().await?;
    let reserved = i32::try_from(count).unwrap_or(i32::MAX);
    let first = reserve_numbers(&mut tx, project, Sequence::Defect, reserved).await?;
    let now = clock::now();
    let today = clock::local_date(now);
    let rows: Vec<Row> = (0..count)
        .map(|i| Row::random(&mut rng, i, &units, &presets, today))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(&mut tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into defects (id, project_id, number, unit_id, building_id, floor, room,
                    part, trade, description, severity, stage, raised_by, status, contractor_id,
                    due_on, send_backs, cancel_reason, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                let at = now - Duration::minutes(r.age_minutes);
                b.push_bind(r.id)
                    .push_bind(project)
                    .push_bind(first + r.index)
                    .push_bind(r.unit.0)
                    .push_bind(r.unit.1)
                    .push_bind(r.unit.2)
                    .push_bind(r.room)
                    .push_bind("墙面")
                    .push_bind(r.trade)
                    .push_bind(r.description)
                    .push_bind(r.severity)
                    .push_bind("self")
                    .push_bind(raiser)
                    .push_bind(r.status)
                    .push_bind(r.contractor)
                    .push_bind(r.due_on)
                    .push_bind(r.send_backs)
                    .push_bind(r.cancel_reason)
                    .push_bind(at)
                    .push_bind(at);
            });
            q.build().execute(c).await
        })?;
        exec!(&mut tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into defect_events (id, defect_id, actor_id, at, from_status, to_status, note) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(r.id)
                    .push_bind(raiser)
                    .push_bind(now - Duration::minutes(r.age_minutes))
                    .push_bind(None::<String>)
                    .push_bind("open")
                    .push_bind("");
            });
            q.build().execute(c).await
        })?;
    }
    for u in &units {
        crate::inspections::repo::refresh_unit_status(&mut tx, u.0).await?;
    }
    tx.commit().await?;
    // Fresh statistics after a bulk load, so the planners pick the selective indexes.
    db.refresh_statistics().await?;
    Ok(count)
}

struct Row {
    id: Uuid,
    index: i32,
    /// Unit, its building and floor.
    unit: (Uuid, Uuid, i32),
    room: &'static str,
    trade: &'static str,
    description: &'static str,
    severity: &'static str,
    status: &'static str,
    contractor: Option<Uuid>,
    due_on: Option<chrono::NaiveDate>,
    send_backs: i32,
    cancel_reason: Option<&'static str>,
    age_minutes: i64,
}

impl Row {
    fn random(
        rng: &mut StdRng,
        i: usize,
        units: &[(Uuid, Uuid, i32)],
        presets: &[repo::PresetRow],
        today: chrono::NaiveDate,
    ) -> Row {
        let (trade, phrases) = TRADES[rng.gen_range(0..TRADES.len())];
        let status = match rng.gen_range(0..100) {
            0..15 => "open",
            15..40 => "assigned",
            40..55 => "fixed",
            55..92 => "verified",
            _ => "cancelled",
        };
        let contractor = presets
            .iter()
            .find(|p| p.trade == trade)
            .map(|p| p.contractor_id)
            .filter(|_| status != "open");
        let due_on = contractor.map(|_| {
            let offset = rng.gen_range(0..40u64);
            if rng.gen_bool(0.3) {
                today.checked_sub_days(Days::new(offset)).unwrap_or(today)
            } else {
                today.checked_add_days(Days::new(offset)).unwrap_or(today)
            }
        });
        Row {
            id: Uuid::new_v4(),
            index: i32::try_from(i).unwrap_or(i32::MAX),
            unit: units[rng.gen_range(0..units.len())],
            room: ROOMS[rng.gen_range(0..ROOMS.len())],
            trade,
            description: phrases[rng.gen_range(0..phrases.len())],
            severity: ["minor", "minor", "minor", "serious", "critical"][rng.gen_range(0..5)],
            status,
            contractor,
            due_on,
            send_backs: if rng.gen_bool(0.1) { 1 } else { 0 },
            cancel_reason: (status == "cancelled").then_some("重复录入"),
            age_minutes: rng.gen_range(0..60 * 24 * 60),
        }
    }
}
