//! What the drivers need to know before they start: the batch and its units with their buyers
//! (read from the database, which holds the unmasked phones), a bearer token, and one timed
//! HTTP call.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use handover::db::Db;
use handover::run;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::stats::Stats;

/// A planned unit with its buyers.
pub struct Unit {
    /// Id.
    pub id: Uuid,
    /// Number (`3-1-1201`).
    pub number: String,
    /// Buyers: name and phone.
    pub buyers: Vec<(String, String)>,
}

/// The batch under test.
pub struct Batch {
    /// Id.
    pub id: Uuid,
    /// Its project.
    pub project: Uuid,
    /// Its planned units, by number.
    pub units: Vec<Unit>,
}

/// Reads the first batch of the database's project (the one `demo --handover-day` prepared).
pub async fn batch(db: &Db) -> Result<Batch> {
    let mut conn = db.read().await?;
    let (id, project): (Uuid, Uuid) = run!(&mut conn, |c| sqlx::query_as(
        "select id, project_id from batches order by period_start, name limit 1"
    )
    .fetch_optional(c)
    .await)?
    .context("no batch: load `handover demo --handover-day` first")?;
    let units: Vec<(Uuid, String)> = run!(&mut conn, |c| sqlx::query_as(
        "select u.id, u.number from batch_units bu join units u on u.id = bu.unit_id
            where bu.batch_id = $1 order by u.number"
    )
    .bind(id)
    .fetch_all(c)
    .await)?;
    let buyers: Vec<(Uuid, String, String)> = run!(&mut conn, |c| sqlx::query_as(
        "select b.unit_id, b.name, b.phone from buyers b
            join batch_units bu on bu.unit_id = b.unit_id
            where bu.batch_id = $1 order by b.unit_id, b.position"
    )
    .bind(id)
    .fetch_all(c)
    .await)?;
    let mut by_unit: std::collections::HashMap<Uuid, Vec<(String, String)>> = Default::default();
    for (unit, name, phone) in buyers {
        by_unit.entry(unit).or_default().push((name, phone));
    }
    let units = units
        .into_iter()
        .map(|(id, number)| Unit {
            buyers: by_unit.remove(&id).unwrap_or_default(),
            id,
            number,
        })
        .collect();
    Ok(Batch { id, project, units })
}

/// An HTTP client for many concurrent requests to one server.
pub fn client() -> Result<Client> {
    Ok(Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// A bearer token of the demo account `username`.
pub async fn token(client: &Client, base: &str, username: &str) -> Result<String> {
    let body = json!({"username": username, "password": handover::org::demo::DEMO_PASSWORD});
    let resp = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&body)
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("login as {username}: {}", resp.status());
    }
    let j: Value = resp.json().await?;
    j["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the answer")
}

/// Sends `req`, times it until the whole body is read, and records it under `endpoint` when
/// it answers `expect` (a failure otherwise); answers the body of a success.
pub async fn call(
    stats: &mut Stats,
    endpoint: &'static str,
    req: RequestBuilder,
    expect: StatusCode,
) -> Option<axum::body::Bytes> {
    let started = Instant::now();
    let result = match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            resp.bytes().await.map(|b| (status, b))
        }
        Err(e) => Err(e),
    };
    let took = started.elapsed();
    match result {
        Ok((status, body)) if status == expect => {
            stats.record(endpoint, took);
            Some(body)
        }
        Ok((status, body)) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            stats.fail(format!("{endpoint}: {status} {text}"));
            None
        }
        Err(e) => {
            stats.fail(format!("{endpoint}: {e}"));
            None
        }
    }
}
