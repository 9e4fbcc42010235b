//! How long the KPIs with their secondary figures take on a large batch: 3,000 planned units,
//! 60,000 stage-1 defects, 2,700 self-inspections, 10,000 customer rectification items with
//! their histories, 300 complaints, 2,000 surveys, written in bulk. Ignored by default (it loads
//! for a while); run it on either backend with
//! `cargo test --test suite kpi_secondary_speed -- --ignored --nocapture`.

use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use handover::db::{Db, Tx};
use handover::org::demo::{self, Size};
use handover::org::repo::{Sequence, reserve_numbers};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::common::handover_day::{noon, today};

/// Rows per multi-row insert.
const CHUNK: usize = 400;

/// 3,000 units: 10 buildings × 3 entrances × 25 floors × 4 units.
const LARGE: Size = Size {
    buildings: 10,
    entrances: 3,
    floors: 25,
    units_per_floor: 4,
};

#[tokio::test]
#[ignore = "loads a 3,000-unit batch; run with --ignored --nocapture for the figures"]
async fn times_the_kpis_of_a_3000_unit_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::fresh_db(dir.path()).await;
    let loaded = demo::load(&db, LARGE).await.unwrap();
    let project = loaded.project_id;
    let (p1, p3) = (today() - Duration::days(10), today() - Duration::days(8));
    let started = Instant::now();
    let batch = fill(&db, project, (p1, p3)).await;
    handover::defects::synthetic::seed(&db, project, 60_000, 7)
        .await
        .unwrap();
    db.refresh_statistics().await.unwrap();
    eprintln!("loaded in {:?}", started.elapsed());

    let mut conn = db.read().await.unwrap();
    let head = handover::kpis::repo::batch(&mut conn, batch).await.unwrap();
    let bounds = handover::kpis::period_bounds(p1, p3);
    let now = handover::clock::now();
    let k = handover::kpis::api::compute(&mut conn, &head, now)
        .await
        .unwrap();
    let s = &k.secondary;
    assert_eq!(k.planned_units, 3000);
    assert_eq!(s.rectification_completion_rate.denominator, 9_500);
    assert_eq!(s.complaints.received, 300);
    assert_eq!(s.nps.responses, 2000);
    assert_eq!(s.self_inspection_coverage.numerator, 2700);
    let mut counts = Vec::new();
    let mut secondary = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        handover::kpis::repo::counts(&mut conn, batch, bounds, now)
            .await
            .unwrap();
        counts.push(t.elapsed());
        let t = Instant::now();
        handover::kpis::secondary::secondary(&mut conn, &head, bounds, now)
            .await
            .unwrap();
        secondary.push(t.elapsed());
        let t = Instant::now();
        handover::kpis::api::compute(&mut conn, &head, now)
            .await
            .unwrap();
        whole.push(t.elapsed());
    }
    let median = |mut v: Vec<Elapsed>| {
        v.sort();
        v[v.len() / 2]
    };
    eprintln!(
        "{:?} (warm medians of 10): three KPIs {:?}, secondary figures {:?}, GET /kpis {:?}",
        db.backend(),
        median(counts),
        median(secondary),
        median(whole)
    );
}

/// A batch over every unit of `project` with its handover days filled: visits, rectification
/// items with their histories, complaints, surveys and self-inspections.
async fn fill(db: &Db, project: Uuid, (p1, p3): (NaiveDate, NaiveDate)) -> Uuid {
    let mut rng = StdRng::seed_from_u64(2026);
    let now = handover::clock::now();
    let mut tx = db.begin().await.unwrap();
    let batch = handover::org::repo::insert_batch(&mut tx, project, "大批次", p1, p3, &[], now)
        .await
        .unwrap();
    let units: Vec<(Uuid, Uuid, i32)> = handover::run!(&mut tx, |c| {
        sqlx::query_as(
        "select u.id, e.building_id, u.floor from units u join entrances e on e.id = u.entrance_id
         where u.project_id = $1 order by u.number"
    )
    .bind(project)
    .fetch_all(c)
    .await
    })
    .unwrap();
    let staff: Uuid = handover::run!(&mut tx, |c| sqlx::query_scalar(
        "select id from users where username = 'inspector'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    let contractors: Vec<Uuid> = handover::run!(&mut tx, |c| sqlx::query_scalar(
        "select id from contractors where project_id = $1 and kind = 'construction'"
    )
    .bind(project)
    .fetch_all(c)
    .await)
    .unwrap();
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
        handover::exec!(&mut tx, |c| {
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
        })
        .unwrap();
    }
    items(&mut tx, project, &units, &visits, &contractors, &mut rng).await;
    complaints(&mut tx, project, &units, staff, days).await;
    surveys(&mut tx, &visits, staff, now).await;
    inspections(&mut tx, project, &units, staff, now).await;
    tx.commit().await.unwrap();
    batch
}

/// 10,000 reasonable customer issues (every 20th cancelled) with their rectification items:
/// half verified (one in ten after a send-back), a fifth fixed, the rest assigned; every change
/// within a week of the raising, so before now.
async fn items(
    tx: &mut Tx,
    project: Uuid,
    units: &[(Uuid, Uuid, i32)],
    visits: &[(Uuid, Uuid, &str, DateTime<Utc>)],
    contractors: &[Uuid],
    rng: &mut StdRng,
) {
    const TRADES: [&str; 5] = [
        "civil",
        "doors_windows",
        "plumbing",
        "electrical",
        "waterproofing",
    ];
    let place: std::collections::HashMap<Uuid, (Uuid, i32)> =
        units.iter().map(|u| (u.0, (u.1, u.2))).collect();
    let staff: Uuid = handover::run!(tx, |c| sqlx::query_scalar(
        "select id from users where username = 'service'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    let first = reserve_numbers(tx, project, Sequence::Defect, 10_000)
        .await
        .unwrap();
    let mut issues = Vec::new();
    let mut events = Vec::new();
    for n in 0..10_000usize {
        let v = &visits[n % visits.len()];
        let raised = v.3 - Duration::minutes(30);
        let (defect, trade) = (Uuid::new_v4(), TRADES[n % TRADES.len()]);
        let contractor = contractors[n % contractors.len()];
        let due = handover::clock::local_date(raised) + Duration::days(7);
        let fixed = raised + Duration::hours(rng.gen_range(24..24 * 6));
        let mut ev = vec![("open", None, raised), ("assigned", Some("open"), raised)];
        let status = match n % 20 {
            0 => {
                ev.push(("cancelled", Some("assigned"), raised + Duration::hours(2)));
                "cancelled"
            }
            1..=10 => {
                if n % 10 == 3 {
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
            (building, floor, status, contractor, due, changed),
        ));
    }
    for chunk in issues.chunks(CHUNK) {
        handover::exec!(tx, |c| {
            let mut q = QueryBuilder::new(
                "insert into defects (id, project_id, number, unit_id, building_id, floor, trade,
                    description, severity, stage, raised_by, status, contractor_id, due_on,
                    created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, i| {
                let (building, floor, status, contractor, due, changed) = i.7;
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
                    .push_bind(changed);
            });
            q.build().execute(c).await
        })
        .unwrap();
        handover::exec!(tx, |c| {
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
        })
        .unwrap();
    }
    for chunk in events.chunks(CHUNK) {
        handover::exec!(tx, |c| {
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
        })
        .unwrap();
    }
}

/// 300 complaints in the period (every 10th unit), seven in ten answered, half resolved.
async fn complaints(
    tx: &mut Tx,
    project: Uuid,
    units: &[(Uuid, Uuid, i32)],
    staff: Uuid,
    days: [NaiveDate; 3],
) {
    let first = reserve_numbers(tx, project, Sequence::Complaint, 300)
        .await
        .unwrap();
    let rows: Vec<(i32, Uuid, DateTime<Utc>, usize)> = (0..300)
        .map(|n| (first + n as i32, units[n * 10].0, noon(days[n % 3]), n))
        .collect();
    handover::exec!(tx, |c| {
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
    })
    .unwrap();
}

/// 2,000 surveys of delivered units, each through its customer link.
async fn surveys(
    tx: &mut Tx,
    visits: &[(Uuid, Uuid, &str, DateTime<Utc>)],
    staff: Uuid,
    now: DateTime<Utc>,
) {
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
        handover::exec!(tx, |c| {
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
        })
        .unwrap();
        handover::exec!(tx, |c| {
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
        })
        .unwrap();
    }
}

/// A finished self-inspection of nine units in ten.
async fn inspections(
    tx: &mut Tx,
    project: Uuid,
    units: &[(Uuid, Uuid, i32)],
    staff: Uuid,
    now: DateTime<Utc>,
) {
    let version: Uuid = handover::run!(tx, |c| sqlx::query_scalar(
        "select id from checklist_versions limit 1"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    let inspected: Vec<Uuid> = units
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 0)
        .map(|(_, u)| u.0)
        .collect();
    for chunk in inspected.chunks(CHUNK) {
        handover::exec!(tx, |c| {
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
        })
        .unwrap();
    }
}
