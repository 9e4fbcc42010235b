//! The desk search under load: CLIENTS clients search the batch for a customer by unit number,
//! buyer name and phone tail in turn, as fast as answers come, WARMUP seconds unmeasured then
//! SECONDS measured; checks every answer holds the unit looked for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::fixture::{self, Batch};
use crate::stats::Stats;

/// The target of the issue: p99 under 30 ms.
const TARGET_MS: f64 = 30.0;

/// How the desk looks a customer up.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    Name,
    PhoneTail,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Number, Kind::Name, Kind::PhoneTail];

    fn endpoint(self) -> &'static str {
        match self {
            Kind::Number => "GET desk?q=<unit number>",
            Kind::Name => "GET desk?q=<buyer name>",
            Kind::PhoneTail => "GET desk?q=<phone tail>",
        }
    }
}

/// The shared setup of the clients.
struct Setup {
    client: Client,
    base: String,
    token: String,
    batch: Batch,
}

/// Runs the desk search load and prints its table; answers whether it passed.
pub async fn run(base: &str, db: &handover::db::Db, knobs: (usize, u64, u64)) -> Result<bool> {
    let (clients, warmup, seconds) = knobs;
    let client = fixture::client()?;
    let setup = Arc::new(Setup {
        token: fixture::token(&client, base, "service").await?,
        batch: fixture::batch(db).await?,
        client,
        base: base.to_owned(),
    });
    let buyers: usize = setup.batch.units.iter().map(|u| u.buyers.len()).sum();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let until = measure_from + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(client_loop(setup.clone(), i, measure_from, until)))
        .collect();
    let mut stats = Stats::default();
    let mut misses = 0;
    for t in tasks {
        let (s, m) = t.await?;
        stats.merge(s);
        misses += m;
    }
    println!(
        "Desk search, batch of {} units / {buyers} buyers, {clients} clients, {seconds} s after {warmup} s warm-up",
        setup.batch.units.len()
    );
    let pass = stats.print_table(TARGET_MS);
    let rps = stats.requests() as f64 / seconds as f64;
    println!(
        "throughput: {rps:.0} searches/s; errors: {}; name searches whose unit was past the 20 shown: {misses}",
        stats.errors
    );
    for s in &stats.samples {
        println!("  error: {s}");
    }
    Ok(pass && stats.errors == 0)
}

/// One client: searches until `until`, recording from `measure_from`; answers its figures and
/// how many name searches did not show the unit (a name shared by more than 20 units).
async fn client_loop(
    s: Arc<Setup>,
    seed: usize,
    measure_from: Instant,
    until: Instant,
) -> (Stats, usize) {
    let mut rng = StdRng::seed_from_u64(seed as u64);
    let mut stats = Stats::default();
    let mut scratch = Stats::default();
    let mut misses = 0;
    let mut i = seed;
    while Instant::now() < until {
        let kind = Kind::ALL[i % 3];
        i += 1;
        let unit = &s.batch.units[rng.gen_range(0..s.batch.units.len())];
        let Some(q) = query(kind, unit, &mut rng) else {
            continue;
        };
        let req = s
            .client
            .get(format!("{}/api/v1/batches/{}/desk", s.base, s.batch.id))
            .query(&[("q", q.as_str())])
            .bearer_auth(&s.token);
        let measuring = Instant::now() >= measure_from;
        let target = if measuring { &mut stats } else { &mut scratch };
        let Some(body) = fixture::call(target, kind.endpoint(), req, StatusCode::OK).await else {
            continue;
        };
        let hits: Value = serde_json::from_slice(&body).unwrap_or_default();
        let found = hits
            .as_array()
            .is_some_and(|a| a.iter().any(|h| h["unit_id"] == unit.id.to_string()));
        match (found, kind) {
            (true, _) => {}
            (false, Kind::Name) => misses += usize::from(measuring),
            (false, _) => target.fail(format!("{q}: {} not found", unit.number)),
        }
    }
    (stats, misses)
}

/// What the desk types for `unit`: its number, a buyer's name, or a buyer's last 4 digits.
fn query(kind: Kind, unit: &fixture::Unit, rng: &mut StdRng) -> Option<String> {
    let (name, phone) = unit
        .buyers
        .get(rng.gen_range(0..unit.buyers.len().max(1)))?;
    Some(match kind {
        Kind::Number => unit.number.clone(),
        Kind::Name => name.clone(),
        Kind::PhoneTail => handover::delivery::phone_tail(phone),
    })
}
