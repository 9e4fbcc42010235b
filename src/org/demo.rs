//! The demo project 滨江花园一期: 6 buildings × 2 entrances × 30 floors × 4 units (1,440 units)
//! with areas, layouts and buyers, contractors, common areas, one delivery batch, and one demo
//! user per role. Loaded by `serve --demo` into a database without projects.

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::import::{BuyerEntry, RosterRow};
use super::repo::{self, ContractorRow};
use crate::auth::repo::{MemberScope, grant, insert_user, set_member_contractor};
use crate::auth::{Role, hash_password};
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "handover-demo";

/// Name of the demo project.
pub const DEMO_PROJECT: &str = "滨江花园一期";

/// The demo accounts: username, display name, role, and whether it is granted on the region
/// (executive, admin) rather than the project.
pub const DEMO_USERS: [(&str, &str, Role); 6] = [
    ("admin", "王磊（管理员）", Role::Admin),
    ("inspector", "李娜（验收员）", Role::Inspector),
    ("contractor", "赵强（中建八局）", Role::Contractor),
    ("property", "陈静（物业）", Role::Property),
    ("service", "刘洋（客服）", Role::Service),
    ("executive", "周涛（管理层）", Role::Executive),
];

/// Size of a generated project.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Buildings.
    pub buildings: u32,
    /// Entrances per building.
    pub entrances: u32,
    /// Floors per entrance.
    pub floors: u32,
    /// Units per floor and entrance.
    pub units_per_floor: u32,
}

impl Size {
    /// The demo's size: 1,440 units.
    pub const DEMO: Size = Size {
        buildings: 6,
        entrances: 2,
        floors: 30,
        units_per_floor: 4,
    };

    /// About `units` units in buildings of 2 entrances × 30 floors (5 per floor when that
    /// divides exactly, else 4, rounding the building count up).
    pub fn about(units: u32) -> Size {
        let per_floor = if units.is_multiple_of(300) { 5 } else { 4 };
        let per_building = 2 * 30 * per_floor;
        Size {
            buildings: units.div_ceil(per_building).max(1),
            entrances: 2,
            floors: 30,
            units_per_floor: per_floor,
        }
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "萧", "田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁",
    "任", "沈", "欧阳", "司马", "诸葛",
];
// Given-name characters, including rare ones (生僻字) that real rosters carry.
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "浩然", "子涵", "欣怡", "梓轩", "思彤", "宇航", "雨桐",
    "俊熙", "堃", "喆", "昇", "淼", "燚", "犇", "鑫", "垚", "䶮", "𪚥", "赟", "祎", "彧", "珺",
    "翀", "旻",
];
const LAYOUTS: [(&str, f64); 4] = [
    ("A 三室两厅 89㎡", 89.56),
    ("B 三室两厅 115㎡", 115.32),
    ("C 四室两厅 128㎡", 128.07),
    ("D 四室两厅 143㎡", 143.88),
];

fn name(rng: &mut StdRng) -> String {
    let s = SURNAMES[rng.gen_range(0..SURNAMES.len())];
    let g = GIVEN[rng.gen_range(0..GIVEN.len())];
    if rng.gen_bool(0.5) {
        format!("{s}{g}")
    } else {
        format!("{s}{g}{}", GIVEN[rng.gen_range(0..GIVEN.len())])
    }
}

fn phone(rng: &mut StdRng) -> String {
    const PREFIXES: [&str; 10] = [
        "138", "139", "137", "136", "135", "150", "151", "158", "186", "189",
    ];
    format!(
        "{}{:08}",
        PREFIXES[rng.gen_range(0..PREFIXES.len())],
        rng.gen_range(0..100_000_000u32)
    )
}

/// A generated roster of `size` (deterministic for a seed): about 5 % unsold, 30 % two buyers.
pub fn roster(size: Size, seed: u64) -> Vec<RosterRow> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    for b in 1..=size.buildings {
        for e in 1..=size.entrances {
            for f in 1..=size.floors {
                for u in 1..=size.units_per_floor {
                    let (layout, area) = LAYOUTS[(u as usize - 1) % LAYOUTS.len()];
                    let buyers = match rng.gen_range(0..100) {
                        0..5 => Vec::new(),
                        5..35 => vec![buyer(&mut rng), buyer(&mut rng)],
                        _ => vec![buyer(&mut rng)],
                    };
                    rows.push(RosterRow {
                        row: rows.len() + 2,
                        building: b.to_string(),
                        entrance: e.to_string(),
                        floor: f as i32,
                        room: format!("{}{:02}", f, u),
                        area_m2: area,
                        layout: Some(layout.to_owned()),
                        buyers,
                    });
                }
            }
        }
    }
    rows
}

/// A made-up buyer: a Chinese name (rare characters included) and a mobile number.
pub fn buyer(rng: &mut StdRng) -> BuyerEntry {
    BuyerEntry {
        name: name(rng),
        phone: phone(rng),
    }
}

fn contractors() -> Vec<ContractorRow> {
    let c = |name: &str, kind: &str, trades: &str, contact: &str, phone: &str| ContractorRow {
        id: Uuid::new_v4(),
        name: name.into(),
        kind: kind.into(),
        trades: trades.into(),
        contact_name: contact.into(),
        contact_phone: phone.into(),
    };
    vec![
        c(
            "中建八局第三建设有限公司",
            "construction",
            "土建,防水",
            "赵强",
            "13805710001",
        ),
        c(
            "江苏华艺门窗工程有限公司",
            "construction",
            "门窗",
            "钱坤",
            "13905710002",
        ),
        c(
            "上海安装工程集团有限公司",
            "construction",
            "给排水,电气",
            "孙涛",
            "13705710003",
        ),
        c(
            "上海建科工程咨询有限公司",
            "supervision",
            "监理",
            "李明",
            "13605710004",
        ),
    ]
}

const PROJECT_AREAS: [(&str, &str); 8] = [
    ("garage", "地下车库"),
    ("fire", "消防泵房"),
    ("power", "配电房"),
    ("water", "二次供水泵房"),
    ("road", "小区道路"),
    ("green", "中心绿化"),
    ("service_room", "物业服务用房"),
    ("gate", "南大门及门岗"),
];
const BUILDING_AREAS: [(&str, &str); 4] = [
    ("lobby", "首层大堂"),
    ("stairs", "楼梯间"),
    ("roof", "屋面"),
    ("elevator", "电梯"),
];

/// What the demo loader created.
#[derive(Debug)]
pub struct Loaded {
    /// The group's id.
    pub group_id: Uuid,
    /// The region company's id.
    pub region_id: Uuid,
    /// The project's id.
    pub project_id: Uuid,
    /// Units created.
    pub units: usize,
}

/// Loads the demo project and accounts unless the database already has a project.
pub async fn load_if_empty(db: &Db) -> Result<Option<Loaded>, AppError> {
    if repo::count_projects(&mut db.read().await?).await? > 0 {
        return Ok(None);
    }
    load(db, Size::DEMO).await.map(Some)
}

/// Loads a demo project of `size` with the demo accounts (tests use small sizes).
pub async fn load(db: &Db, size: Size) -> Result<Loaded, AppError> {
    let hashes = hash_demo_passwords().await?;
    let now = clock::now();
    let mut tx = db.begin().await?;
    let group = repo::insert_group(&mut tx, "示例置业集团", now).await?;
    let region = repo::insert_region(&mut tx, group, "华东地区公司", now).await?;
    let (project, units, contractors) = project(&mut tx, region, DEMO_PROJECT, size, now).await?;
    for ((username, display, role), hash) in DEMO_USERS.iter().zip(hashes) {
        let user = insert_user(&mut tx, username, display, &hash, now).await?;
        let scope = match role {
            Role::Executive => MemberScope::Region(region),
            Role::Admin => MemberScope::Group(group),
            _ => MemberScope::Project(project),
        };
        grant(&mut tx, user, *role, scope, now).await?;
        if *role == Role::Contractor {
            set_member_contractor(&mut tx, user, project, contractors[0].id).await?;
        }
    }
    tx.commit().await?;
    Ok(Loaded {
        group_id: group,
        region_id: region,
        project_id: project,
        units,
    })
}

/// Adds another project of `size` named `name` to `region`, with the demo project's common
/// areas, contractors, fix presets and batch (load tests of many projects: the demo accounts
/// of the region and group see it).
pub async fn add_project(db: &Db, region: Uuid, name: &str, size: Size) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    let (id, _, _) = project(&mut tx, region, name, size, clock::now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// A project of `size` in `region` with its common areas, contractors, fix presets and the
/// first delivery batch; answers its id, its units and its contractors.
async fn project(
    tx: &mut crate::db::Tx,
    region: Uuid,
    name: &str,
    size: Size,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Uuid, usize, Vec<ContractorRow>), AppError> {
    let project = repo::insert_project(
        tx,
        region,
        name,
        "杭州",
        "杭州市滨江区江南大道 1888 号",
        now,
    )
    .await?;
    let rows = roster(size, 2026);
    let counts = repo::apply_roster(tx, project, None, &rows, now).await?;
    let buildings = repo::list_buildings(tx, project).await?;
    for (kind, name) in PROJECT_AREAS {
        repo::insert_common_area(tx, project, None, kind, name, now).await?;
    }
    for b in &buildings {
        for (kind, name) in BUILDING_AREAS {
            repo::insert_common_area(
                tx,
                project,
                Some(b.id),
                kind,
                &format!("{}号楼{name}", b.name),
                now,
            )
            .await?;
        }
    }
    let contractors = contractors();
    for c in &contractors {
        repo::insert_contractor(tx, project, c, now).await?;
    }
    presets(tx, project, &contractors, now).await?;
    let (start, end) = batch_period();
    repo::insert_batch(tx, project, "一期首批集中交付", start, end, &[], now).await?;
    Ok((project, counts.created, contractors))
}

/// The period of the demo's first delivery batch.
pub fn batch_period() -> (NaiveDate, NaiveDate) {
    let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("valid date");
    (day(18), day(20))
}

/// Fix presets: each trade goes to the contractor that builds it, with a week (doors and
/// windows ten days) to fix.
async fn presets(
    tx: &mut crate::db::Tx,
    project: Uuid,
    contractors: &[ContractorRow],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let plan = [
        ("civil", 0, 7),
        ("waterproofing", 0, 7),
        ("doors_windows", 1, 10),
        ("plumbing", 2, 7),
        ("electrical", 2, 7),
        ("common", 0, 14),
    ];
    for (trade, who, days) in plan {
        crate::defects::repo::set_preset(tx, project, trade, None, contractors[who].id, days, now)
            .await?;
    }
    Ok(())
}

async fn hash_demo_passwords() -> Result<Vec<String>, AppError> {
    let tasks: Vec<_> = DEMO_USERS
        .iter()
        .map(|_| tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)))
        .collect();
    let mut hashes = Vec::new();
    for t in tasks {
        hashes.push(t.await.map_err(|e| AppError::Internal(e.into()))??);
    }
    Ok(hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_roster_has_1440_valid_unique_units() {
        let rows = roster(Size::DEMO, 2026);
        assert_eq!(rows.len(), 1440);
        let mut numbers: Vec<_> = rows.iter().map(|r| r.number()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 1440);
        assert!(
            rows.iter()
                .flat_map(|r| &r.buyers)
                .all(|b| crate::org::import::is_valid_phone(&b.phone))
        );
        assert!(numbers.contains(&"3-1-1201".to_owned()));
    }
}
