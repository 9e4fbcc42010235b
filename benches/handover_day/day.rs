//! The handover-day simulation: TABLETS tablets take the planned jobs off a shared queue and
//! drive each visit through the JSON API — desk search, check-in, walkthrough start, the
//! customer's issues judged on the spot or just after, meters, keys and documents (when the
//! customer accepts), walkthrough end, the outcome with the signature — pausing a random
//! 0–2×THINK_MS between requests (compressed time). Then every fact is counted in the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixture::{self, Batch};
use crate::plan::{self, Ending, Job, KEYS_PER_KIND, VisitPlan};
use crate::stats::Stats;

/// The target of the issue: every request's p99 under 50 ms.
const TARGET_MS: f64 = 50.0;

/// The knobs of a run.
pub struct Knobs {
    /// Concurrent tablets.
    pub tablets: usize,
    /// Visits to drive.
    pub visits: usize,
    /// Mean pause between a tablet's requests.
    pub think: Duration,
}

/// What every tablet shares.
struct Setup {
    client: Client,
    base: String,
    token: String,
    batch: Batch,
    keys: Vec<String>,
    documents: Vec<String>,
    jobs: Vec<Job>,
    next: AtomicUsize,
    think: Duration,
}

/// Runs the day, prints its tables, and checks the stored facts; answers whether all passed.
pub async fn run(base: &str, db: &handover::db::Db, knobs: Knobs) -> Result<bool> {
    let client = fixture::client()?;
    let token = fixture::token(&client, base, "service").await?;
    let batch = fixture::batch(db).await?;
    let settings: Value = client
        .get(format!(
            "{base}/api/v1/projects/{}/delivery-settings",
            batch.project
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let codes = |list: &str| -> Vec<String> {
        settings[list]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let jobs = plan::plan(knobs.visits, batch.units.len(), 2026);
    let (keys, documents) = (codes("keys"), codes("documents"));
    let expected = plan::expected(&jobs, keys.len(), documents.len());
    let setup = Arc::new(Setup {
        client,
        base: base.to_owned(),
        token,
        batch,
        keys,
        documents,
        jobs,
        next: AtomicUsize::new(0),
        think: knobs.think,
    });
    let started = Instant::now();
    let tasks: Vec<_> = (0..knobs.tablets)
        .map(|i| tokio::spawn(tablet(setup.clone(), i as u64)))
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await?);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Handover day: {} visits ({} accepted, {} refused, {} only looked) on {} units, {} issues, {} tablets, think {} ms",
        expected.visits,
        expected.accepted,
        expected.refused,
        expected.only_looked,
        setup.jobs.len(),
        expected.issues,
        knobs.tablets,
        knobs.think.as_millis()
    );
    let pass = stats.print_table(TARGET_MS);
    println!(
        "throughput: {:.1} visits/s, {:.0} requests/s over {secs:.1} s; errors: {}",
        expected.visits as f64 / secs,
        stats.requests() as f64 / secs,
        stats.errors
    );
    for s in &stats.samples {
        println!("  error: {s}");
    }
    let facts = crate::verify::facts(db, setup.batch.id, &expected).await?;
    Ok(pass && stats.errors == 0 && facts)
}

/// One tablet: takes jobs until none are left.
async fn tablet(s: Arc<Setup>, seed: u64) -> Stats {
    let mut t = Tablet {
        s: s.clone(),
        rng: StdRng::seed_from_u64(seed),
        stats: Stats::default(),
    };
    loop {
        let i = s.next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = s.jobs.get(i) else { break };
        for v in &job.visits {
            if t.visit(job.unit, v).await.is_none() {
                break; // an error: the unit's later visits would fail too
            }
        }
    }
    t.stats
}

/// A tablet's state.
struct Tablet {
    s: Arc<Setup>,
    rng: StdRng,
    stats: Stats,
}

impl Tablet {
    /// Sends one request after a think pause; `None` when it failed.
    async fn send(
        &mut self,
        (method, path): (Method, &str),
        endpoint: &'static str,
        body: Option<Value>,
        expect: StatusCode,
    ) -> Option<()> {
        let think = self.s.think.as_micros() as u64;
        if think > 0 {
            let pause = self.rng.gen_range(0..=2 * think);
            tokio::time::sleep(Duration::from_micros(pause)).await;
        }
        let mut req = self
            .s
            .client
            .request(method, format!("{}{path}", self.s.base))
            .bearer_auth(&self.s.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        fixture::call(&mut self.stats, endpoint, req, expect).await?;
        Some(())
    }

    /// One visit of `unit` as planned.
    async fn visit(&mut self, unit: usize, plan: &VisitPlan) -> Option<()> {
        let s = self.s.clone();
        let u = &s.batch.units[unit];
        let (name, phone) = u.buyers.first().cloned().unwrap_or_default();
        let tail = handover::delivery::phone_tail(&phone);
        let desk = format!("/api/v1/batches/{}/desk?q={tail}", s.batch.id);
        self.send(
            (Method::GET, &desk),
            "GET /batches/{id}/desk?q=",
            None,
            StatusCode::OK,
        )
        .await?;
        let visit = Uuid::new_v4();
        let body =
            json!({"id": visit, "unit_id": u.id, "customer_name": name, "identity_checked": true});
        let path = format!("/api/v1/batches/{}/visits", s.batch.id);
        self.send(
            (Method::POST, &path),
            "POST /batches/{id}/visits (check-in)",
            Some(body),
            StatusCode::CREATED,
        )
        .await?;
        let v = |p: &str| format!("/api/v1/visits/{visit}/{p}");
        self.send(
            (Method::POST, &v("walkthrough")),
            "POST /visits/{id}/walkthrough",
            Some(json!({})),
            StatusCode::OK,
        )
        .await?;
        self.issues(&v("issues"), plan).await?;
        if plan.ending == Ending::Accepted {
            self.handover(&v).await?;
        }
        let end = json!({"end": true});
        self.send(
            (Method::POST, &v("walkthrough")),
            "POST /visits/{id}/walkthrough",
            Some(end),
            StatusCode::OK,
        )
        .await?;
        let body = outcome(plan.ending, &name);
        self.send(
            (Method::POST, &v("outcome")),
            "POST /visits/{id}/outcome",
            Some(body),
            StatusCode::OK,
        )
        .await
    }

    /// The customer's issues, judged on the spot or with a request of its own.
    async fn issues(&mut self, path: &str, plan: &VisitPlan) -> Option<()> {
        for i in &plan.issues {
            let id = Uuid::new_v4();
            let judgement = judgement(i.reasonable);
            let mut body = json!({"id": id, "room": "客厅", "part": "墙面", "trade": i.trade,
                "description": i.description});
            if !i.judged_later {
                body["judgement"] = judgement.clone();
            }
            self.send(
                (Method::POST, path),
                "POST /visits/{id}/issues",
                Some(body),
                StatusCode::CREATED,
            )
            .await?;
            if i.judged_later {
                let judge = format!("/api/v1/issues/{id}/judge");
                self.send(
                    (Method::POST, &judge),
                    "POST /issues/{id}/judge",
                    Some(judgement),
                    StatusCode::OK,
                )
                .await?;
            }
        }
        Some(())
    }

    /// Meters, keys and documents of an accepting customer.
    async fn handover(&mut self, v: &impl Fn(&str) -> String) -> Option<()> {
        for (kind, reading) in [("water", 3.5), ("power", 120.0), ("gas", 0.8)] {
            let body = json!({"reading": reading});
            self.send(
                (Method::PUT, &v(&format!("meters/{kind}"))),
                "PUT /visits/{id}/meters/{kind}",
                Some(body),
                StatusCode::OK,
            )
            .await?;
        }
        let keys: serde_json::Map<String, Value> = self
            .s
            .keys
            .iter()
            .map(|k| (k.clone(), json!(KEYS_PER_KIND)))
            .collect();
        let body = json!({"keys": keys});
        self.send(
            (Method::PUT, &v("keys")),
            "PUT /visits/{id}/keys",
            Some(body),
            StatusCode::OK,
        )
        .await?;
        let body = json!({"codes": self.s.documents});
        self.send(
            (Method::PUT, &v("documents")),
            "PUT /visits/{id}/documents",
            Some(body),
            StatusCode::OK,
        )
        .await
    }
}

/// The judgement body of an issue.
fn judgement(reasonable: bool) -> Value {
    if reasonable {
        json!({"judgement": "reasonable"})
    } else {
        json!({"judgement": "unreasonable", "reason_code": "preference"})
    }
}

/// The outcome body: a signature drawn in three strokes, a refusal reason, or only looked.
fn outcome(ending: Ending, name: &str) -> Value {
    match ending {
        Ending::Accepted => json!({"outcome": "accepted", "signature": {"name": name,
            "width": 720.0, "height": 240.0, "strokes": [
                [[40.0, 150.0, 0.0], [90.0, 60.0, 80.0], [140.0, 170.0, 160.0]],
                [[200.0, 90.0, 400.0], [320.0, 95.0, 520.0]],
                [[380.0, 60.0, 800.0], [420.0, 180.0, 900.0], [520.0, 120.0, 1010.0]]]}}),
        Ending::Refused => json!({"outcome": "refused", "refusal_reason": "quality",
            "note": "卫生间渗水，整改后再来"}),
        Ending::OnlyLooked => json!({"outcome": "only_looked"}),
    }
}
