//! Load drivers of the handover-day figures, run against a live server by `bench/desk-search`
//! and `bench/handover-day` (which load the batch with `handover demo --units 3000
//! --handover-day` and start the server):
//!
//! ```text
//! cargo bench --bench handover_day -- desk BASE_URL DATABASE_URL   the desk search under load
//! cargo bench --bench handover_day -- day  BASE_URL DATABASE_URL   3,000 visits by 60 tablets
//! ```
//! Knobs from the environment: `CLIENTS` (32), `WARMUP` (2 s), `SECONDS` (10 s) for `desk`;
//! `TABLETS` (60), `VISITS` (3000), `THINK_MS` (mean pause between a tablet's requests, 100) for
//! `day`. The database URL is read for the fixture (unmasked phones) and the final counts. Exits
//! non-zero when a figure misses its target, a request fails, or a fact is missing or doubled.

mod day;
mod desk;
mod fixture;
mod plan;
mod stats;
mod verify;

use std::time::Duration;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    // `cargo bench` appends `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(mode) = args.first() else {
        // `cargo test --all-targets` runs this binary with no arguments: check the arithmetic.
        stats::self_check();
        let jobs = plan::plan(3000, 3000, 2026);
        let e = plan::expected(&jobs, 3, 2);
        assert_eq!(e.visits, 3000);
        assert_eq!(e.accepted + e.refused + e.only_looked, e.visits);
        assert_eq!(e.reasonable + e.unreasonable, e.issues);
        return Ok(());
    };
    let base = args.get(1).context("give the server's base URL")?;
    let url = args.get(2).context("give the database URL")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let passed = runtime.block_on(async {
        let db = handover::db::Db::connect(url).await?;
        match mode.as_str() {
            "desk" => {
                let knobs = (
                    knob("CLIENTS", 32)?,
                    knob("WARMUP", 2)?,
                    knob("SECONDS", 10)?,
                );
                desk::run(base, &db, (knobs.0 as usize, knobs.1, knobs.2)).await
            }
            "day" => {
                let knobs = day::Knobs {
                    tablets: knob("TABLETS", 60)? as usize,
                    visits: knob("VISITS", 3000)? as usize,
                    think: Duration::from_millis(knob("THINK_MS", 100)?),
                };
                day::run(base, &db, knobs).await
            }
            other => bail!("unknown mode {other:?}: desk | day"),
        }
    })?;
    if !passed {
        std::process::exit(1);
    }
    Ok(())
}

/// A number from the environment, or its default.
fn knob(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name} is not a number")),
        Err(_) => Ok(default),
    }
}
