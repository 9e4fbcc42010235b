//! A delivered batch for load tests and large demos: a batch over every unit of a project
//! whose three handover days are filled, written in bulk — visits (accepted, refused then
//! accepted, only looked, never came), 10,000 customer rectification items with their
//! histories, 300 complaints, 2,000 surveys through customer links, and the self-inspection of
//! nine units in ten. `handover demo --delivered-batches N` and `bench/kpis` use it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::db::{Db, Tx};
use crate::error::AppError;
use crate::org::demo::{self, Loaded, Size};
use crate::org::repo::{Sequence, insert_batch, reserve_numbers};
use crate::{clock, exec, run};

/// Rows per multi-row insert.
const CHUNK: usize = 400;

/// The fewest units a delivered batch is made over (one complaint per ten units).
const MIN_UNITS: usize = 3000;

/// Customer rectification items written per batch.
const ITEMS: usize = 10_000;

/// One visit of the batch: id, unit, outcome, outcome time.
type Visit = (Uuid, Uuid, &'static str, DateTime<Utc>);

/// A unit: id, building, floor.
type Unit = (Uuid, Uuid, i32);

/// Fills `count` delivered batches, one per project: the first over the demo project `loaded`,
/// the others over new projects of `size` in its region (项目 2, 项目 3, …). Each batch's three
/// handover days ended a week ago. Answers the batches' ids.
pub async fn delivered_batches(
    db: &Db,
    loaded: &Loaded,
    size: Size,
    count: usize,
) -> Result<Vec<Uuid>, AppError> {
    let period = past_period(clock::local_date(clock::now()));
    let mut batches = Vec::with_capacity(count);
    for n in 0..count {
        let project = match n {
            0 => loaded.project_id,
            _ => demo::add_project(db, loaded.region_id, &format!("项目 {}", n + 1), size).await?,
        };
        batches.push(delivered_batch(db, project, "集中交付（已完成）", period, n as u64).await?);
    }
    Ok(batches)
}

/// Three days that ended a week before `today`, moved back clear of the demo batch's period
/// (a date-range view of the delivered batches then holds them alone).
fn past_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (demo_start, demo_end) = demo::batch_period();
    let mut end = today - Duration::days(8);
    if end >= demo_start && end - Duration::days(2) <= demo_end {
        end = demo_start - Duration::days(1);
    }
    (end - Duration::days(2), end)
}

/// Noon of `day` in Asia/Shanghai.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    super::day_start(day) + Duration::hours(12)
}

/// Adds a batch named `name` over every unit of `project` with its handover days `p1`, `p1` + 1
/// and `p3` filled (see the module's doc); answers its id.
pub async fn delivered_batch(
    db: &Db,
    project: Uuid,
    name: &str,
    (p1, p3): (NaiveDate, NaiveDate),
    seed: u64,
) -> Result<Uuid, AppError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = clock::now();
    let mut tx = db.begin().await?;
    let batch = insert_batch(&mut tx, project, name, p1, p3, &[], now).await?;
    let units: Vec<Unit> = run!(&mut tx, |c| {
        sqlx::query_as(
        "select u.id, e.building_id, u.floor from units u join entrances e on e.id = u.entrance_id
         where u.project_id = $1 order by u.number"
    )
    .bind(project)
    .fetch_all(c)
    .await
    })?;
    if units.len() < MIN_UNITS {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a delivered batch needs a project of at least {MIN_UNITS} units"
        )));
    }
    let staff: Uuid = run!(&mut tx, |c| sqlx::query_scalar(
        "select id from users where username = 'inspector'"
    )
    .fetch_one(c)
    .await)?;
    let contractors: Vec<Uuid> = run!(&mut tx, |c| sqlx::query_scalar(
        "select id from contractors where project_id = $1 and kind = 'construction'"
    )
    .bind(project)
    .fetch_all(c)
    .await)?;
    let days = [p1, p1 + Duration::days(1), p3];
    // Visits: every 20th unit never came; one in 20 refused on P1 and accepted on P2; one in 20
    // only looked; the rest accepted on one of the three days.
    let mut visits = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let at = noon(days[i % 3]) + Duration::minutes(rng.gen_range(-180..180));
        match i % 20 {
            0 => {}
            1 => {
                visits.push((Uuid::new_v4(), u.0, "refused", noon(p1)));
                visits.push((Uuid::new_v4(), u.0, "accepted", noon(days[1])));
            }
            2 => visits.push((Uuid::new_v4(), u.0, "only_looked", at)),
            _ => visits.push((Uuid::new_v4(), u.0, "accepted", at)),
        }
    }
    for chunk in visits.chunks(CHUNK) {
        exec!(&mut tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into visits (id, project_id, batch_id, unit_id, customer_name,
                    identity_checked, checked_in_by, checked_in_at, walk_started_at, outcome,
                    outcome_at, outcome_by, refusal_reason, updated_at) ",
            );
            q.push_values(chunk, |mut b, v| {
                b.push_bind(v.0)
                    .push_bind(project)
                    .push_bind(batch)
                    .push_bind(v.1)
                    .push_bind("王小明")
                    .push_bind(true)
                    .push_bind(staff)
                    .push_bind(v.3 - Duration::minutes(50))
                    .push_bind(v.3 - Duration::minutes(40))
                    .push_bind(v.2)
                    .push_bind(v.3)
                    .push_bind(staff)
                    .push_bind((v.2 == "refused").then_some("quality"))
                    .push_bind(v.3);
            });
            q.build().execute(c).await
        })?;
    }
    items(&mut tx, project, &units, &visits, &contractors, &mut rng).await?;
    complaints(&mut tx, project, &units, staff, days).await?;
    surveys(&mut tx, &visits, staff, now).await?;
    inspections(&mut tx, project, &units, staff, now).await?;
    tx.commit().await?;
    Ok(batch)
}

/// 10,000 reasonable customer issues over three visits in five (every 20th cancelled) with their rectification items:
/// half verified (one in ten after a send-back), a fifth fixed, the rest assigned; every change
/// within a week of the raising, so before now.
async fn items(
    tx: &mut Tx,
    project: Uuid,
    units: &[Unit],
    visits: &[Visit],
    contractors: &[Uuid],
    rng: &mut StdRng,
) -> Result<(), AppError> {
    const TRADES: [&str; 5] = [
        "civil",
        "doors_windows",
        "plumbing",
        "electrical",
        "waterproofing",
    ];
    let place: HashMap<Uuid, (Uuid, i32)> = units.iter().map(|u| (u.0, (u.1, u.2))).collect();
    let staff: Uuid = run!(tx, |c| sqlx::query_scalar(
        "select id from users where username = 'service'"
    )
    .fetch_one(c)
    .await)?;
    let first = reserve_numbers(tx, project, Sequence::Defect, ITEMS as i32).await?;
    let mut issues = Vec::new();
    let mut events = Vec::new();
    for n in 0..ITEMS {
        // Three visits in five raise issues: the others can deliver without defect.
        let v = &visits[n % (visits.len() * 3 / 5)];
        let raised = v.3 - Duration::minutes(30);
        let (defect, trade) = (Uuid::new_v4(), TRADES[n % TRADES.len()]);
        let contractor = contractors[n % contractors.len()];
        let due = clock::local_date(raised) + Duration::days(7);
        let fixed = raised + Duration::hours(rng.gen_range(24..24 * 6));
        let mut ev = vec![("open", None, raised), ("assigned", Some("open"), raised)];
        let sent_back = n % 20 == 3;
        let status = match n % 20 {
            0 => {
                ev.push(("cancelled", Some("assigned"), raised + Duration::hours(2)));
                "cancelled"
            }
            1..=10 => {
                if sent_back {
                    ev.push(("fixed", Some("assigned"), fixed - Duration::hours(30)));
                    ev.push(("assigned", Some("fixed"), fixed - Duration::hours(28)));
                }
                ev.push(("fixed", Some("assigned"), fixed));
                ev.push(("verified", Some("fixed"), fixed + Duration::hours(20)));
                "verified"
            }
            11..=14 => {
                ev.push(("fixed", Some("assigned"), fixed));
                "fixed"
            }
            _ => "assigned",
        };
        for (to, from, at) in &ev {
            events.push((defect, *to, *from, *at, contractor, due));
        }
        let changed = ev.last().map_or(raised, |e| e.2);
        let (building, floor) = place[&v.1];
        issues.push((
            Uuid::new_v4(),
            v.0,
            v.1,
            trade,
            defect,
            raised,
            first + n as i32,
            (building, floor, status, contractor, due, changed, sent_back),
        ));
    }
    for chunk in issues.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into defects (id, project_id, number, unit_id, building_id, floor, trade,
                    description, severity, stage, raised_by, status, contractor_id, due_on,
                    created_at, updated_at, send_backs) ",
            );
            q.push_values(chunk, |mut b, i| {
                let (building, floor, status, contractor, due, changed, sent_back) = i.7;
                b.push_bind(i.4)
                    .push_bind(project)
                    .push_bind(i.6)
                    .push_bind(i.2)
                    .push_bind(building)
                    .push_bind(floor)
                    .push_bind(i.3)
                    .push_bind("墙面空鼓")
                    .push_bind("minor")
                    .push_bind("customer")
                    .push_bind(staff)
                    .push_bind(status)
                    .push_bind(contractor)
                    .push_bind(due)
                    .push_bind(i.5)
                    .push_bind(changed)
                    .push_bind(i32::from(sent_back));
            });
            q.build().execute(c).await
        })?;
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into visit_issues (id, visit_id, unit_id, trade, description, judgement,
                    judged_by, judged_at, defect_id, raised_by, created_at) ",
            );
            q.push_values(chunk, |mut b, i| {
                b.push_bind(i.0)
                    .push_bind(i.1)
                    .push_bind(i.2)
                    .push_bind(i.3)
                    .push_bind("墙面空鼓")
                    .push_bind("reasonable")
                    .push_bind(staff)
                    .push_bind(i.5)
                    .push_bind(i.4)
                    .push_bind(staff)
                    .push_bind(i.5);
            });
            q.build().execute(c).await
        })?;
    }
    for chunk in events.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into defect_events (id, defect_id, actor_id, at, from_status, to_status,
                    contractor_id, due_on) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(e.0)
                    .push_bind(staff)
                    .push_bind(e.3)
                    .push_bind(e.2)
                    .push_bind(e.1)
                    .push_bind(e.4)
                    .push_bind(e.5);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// 300 complaints in the period (every 10th unit), seven in ten answered, half resolved.
async fn complaints(
    tx: &mut Tx,
    project: Uuid,
    units: &[Unit],
    staff: Uuid,
    days: [NaiveDate; 3],
) -> Result<(), AppError> {
    let first = reserve_numbers(tx, project, Sequence::Complaint, 300).await?;
    let rows: Vec<(i32, Uuid, DateTime<Utc>, usize)> = (0..300)
        .map(|n| (first + n as i32, units[n * 10].0, noon(days[n % 3]), n))
        .collect();
    exec!(tx, |c| {
        let mut q = QueryBuilder::new(
            "insert into complaints (id, project_id, number, unit_id, channel, content,
                received_at, first_response_at, resolved_at, created_by, created_at, updated_at) ",
        );
        q.push_values(&rows, |mut b, r| {
            let answered = (r.3 % 10 < 7).then(|| r.2 + Duration::minutes(20 + r.3 as i64));
            let resolved = (r.3 % 2 == 0 && answered.is_some()).then(|| r.2 + Duration::hours(5));
            b.push_bind(Uuid::new_v4())
                .push_bind(project)
                .push_bind(r.0)
                .push_bind(r.1)
                .push_bind("phone")
                .push_bind("投诉")
                .push_bind(r.2)
                .push_bind(answered)
                .push_bind(resolved)
                .push_bind(staff)
                .push_bind(r.2)
                .push_bind(r.2);
        });
        q.build().execute(c).await
    })?;
    Ok(())
}

/// 2,000 surveys of delivered units, each through its customer link.
async fn surveys(
    tx: &mut Tx,
    visits: &[Visit],
    staff: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let delivered: Vec<Uuid> = visits
        .iter()
        .filter(|v| v.2 == "accepted")
        .map(|v| v.1)
        .take(2000)
        .collect();
    let rows: Vec<(Uuid, Uuid, usize)> = delivered
        .iter()
        .enumerate()
        .map(|(n, u)| (Uuid::new_v4(), *u, n))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into customer_links (id, unit_id, token, created_by, created_at, expires_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.0)
                    .push_bind(r.1)
                    .push_bind(r.0.to_string())
                    .push_bind(staff)
                    .push_bind(now)
                    .push_bind(now + Duration::days(180));
            });
            q.build().execute(c).await
        })?;
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into surveys (id, unit_id, link_id, stars, nps, submitted_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                let s = 1 + (r.2 % 5) as i64;
                let stars = format!(
                    r#"{{"process":{s},"quality":{},"service":5,"rectification":{}}}"#,
                    6 - s,
                    1 + (r.2 % 3)
                );
                b.push_bind(Uuid::new_v4())
                    .push_bind(r.1)
                    .push_bind(r.0)
                    .push_bind(stars)
                    .push_bind((r.2 % 11) as i32)
                    .push_bind(now);
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}

/// A finished self-inspection of nine units in ten.
async fn inspections(
    tx: &mut Tx,
    project: Uuid,
    units: &[Unit],
    staff: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let version: Uuid = run!(tx, |c| sqlx::query_scalar(
        "select id from checklist_versions limit 1"
    )
    .fetch_one(c)
    .await)?;
    let inspected: Vec<Uuid> = units
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 0)
        .map(|(_, u)| u.0)
        .collect();
    for chunk in inspected.chunks(CHUNK) {
        exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into inspections (id, project_id, unit_id, stage, version_id, inspector_id,
                    started_at, finished_at, verdict) ",
            );
            q.push_values(chunk, |mut b, u| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(project)
                    .push_bind(*u)
                    .push_bind("self")
                    .push_bind(version)
                    .push_bind(staff)
                    .push_bind(now - Duration::days(40))
                    .push_bind(now - Duration::days(39))
                    .push_bind("pass");
            });
            q.build().execute(c).await
        })?;
    }
    Ok(())
}
