//! Latencies per endpoint, errors, and the tables that report them.

use std::collections::BTreeMap;
use std::time::Duration;

/// What one client saw: latencies per endpoint label, and failed requests.
#[derive(Default)]
pub struct Stats {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    /// Requests that failed (wrong status, no answer).
    pub errors: usize,
    /// The first few failures, for the report.
    pub samples: Vec<String>,
}

impl Stats {
    /// Records one answered request.
    pub fn record(&mut self, endpoint: &'static str, took: Duration) {
        self.latencies.entry(endpoint).or_default().push(took);
    }

    /// Records a failure (kept in full for the first five).
    pub fn fail(&mut self, what: String) {
        self.errors += 1;
        if self.samples.len() < 5 {
            self.samples.push(what);
        }
    }

    /// Adds another client's figures.
    pub fn merge(&mut self, other: Stats) {
        for (k, v) in other.latencies {
            self.latencies.entry(k).or_default().extend(v);
        }
        self.errors += other.errors;
        for s in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(s);
            }
        }
    }

    /// Requests answered.
    pub fn requests(&self) -> usize {
        self.latencies.values().map(Vec::len).sum()
    }

    /// Prints p50/p99/max per endpoint and overall against `target_ms`; answers whether every
    /// p99 (and the overall one) is under it.
    pub fn print_table(&mut self, target_ms: f64) -> bool {
        println!(
            "{:<44} {:>8} {:>9} {:>9} {:>9}  {:<8} result",
            "endpoint", "requests", "p50", "p99", "max", "target"
        );
        let mut all = Vec::new();
        let mut pass = true;
        for (endpoint, lat) in &mut self.latencies {
            lat.sort_unstable();
            all.extend_from_slice(lat);
            pass &= row(endpoint, lat, target_ms);
        }
        all.sort_unstable();
        pass &= row("overall", &all, target_ms);
        pass
    }
}

/// One table row; answers whether its p99 is under the target.
fn row(endpoint: &str, sorted: &[Duration], target_ms: f64) -> bool {
    let p99 = ms(percentile(sorted, 0.99));
    let ok = p99 < target_ms;
    println!(
        "{endpoint:<44} {:>8} {:>7.2}ms {:>7.2}ms {:>7.2}ms  < {target_ms:<4} ms {}",
        sorted.len(),
        ms(percentile(sorted, 0.50)),
        p99,
        ms(sorted.last().copied().unwrap_or_default()),
        if ok { "PASS" } else { "FAIL" }
    );
    ok
}

/// Milliseconds, fractional.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile `p` (0–1) of sorted values; zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Checks the percentile arithmetic (what `cargo test --all-targets` runs).
pub fn self_check() {
    let ms = |n: u64| Duration::from_millis(n);
    let v: Vec<Duration> = (1..=100).map(ms).collect();
    assert_eq!(percentile(&v, 0.50), ms(50));
    assert_eq!(percentile(&v, 0.99), ms(99));
    assert_eq!(percentile(&v[..1], 0.99), ms(1));
    assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    let mut a = Stats::default();
    a.record("x", ms(3));
    let mut b = Stats::default();
    b.record("x", ms(4));
    b.fail("boom".into());
    a.merge(b);
    assert_eq!((a.requests(), a.errors, a.samples.len()), (2, 1, 1));
}
