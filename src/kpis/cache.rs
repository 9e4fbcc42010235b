//! The live figures of each batch (as of now), kept per app server and keyed by what changes
//! them: the batch's `board_version` (every handover-day write, complaint, survey and
//! cancelled customer issue bumps it), its project's `map_version` (defect lifecycle and
//! inspections), its period and planned units, and today's date. One tiny query per request
//! reads the key, so every server stays coherent with the database; a dashboard of a hundred
//! batches recomputes only the ones that changed, and only their counts. The full figures are
//! kept for the batches last read, the counts for all, in memory and in the table `kpi_counts`
//! (a freshly started server, or another one, reads them there).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::NaiveDate;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Counts, Figures};
use crate::db::DbConn;
use crate::error::AppError;
use crate::run;

/// What a batch's live figures depend on.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Key {
    board_version: i64,
    map_version: i64,
    period_start: NaiveDate,
    period_end: NaiveDate,
    planned: i64,
    #[sqlx(skip)]
    today: Option<NaiveDate>,
}

/// Reads the current key of `batch`.
pub async fn key(c: &mut impl DbConn, batch: Uuid) -> Result<Key, AppError> {
    let mut key = run!(c, |c| sqlx::query_as::<_, Key>(
        "select b.board_version, p.map_version, b.period_start, b.period_end,
            (select count(*) from batch_units where batch_id = b.id) as planned
         from batches b join projects p on p.id = b.project_id where b.id = $1"
    )
    .bind(batch)
    .fetch_optional(c)
    .await)?
    .ok_or(AppError::NotFound)?;
    key.today = Some(crate::clock::local_date(crate::clock::now()));
    Ok(key)
}

/// The counts of `batch` stored under `key` (table `kpi_counts`), if any.
pub async fn stored_counts(
    c: &mut impl DbConn,
    batch: Uuid,
    key: &Key,
) -> Result<Option<Counts>, AppError> {
    let row: Option<(i64, i64, i64, i64, i64, i64)> = run!(c, |c| sqlx::query_as(
        "select planned, delivered, zero_defect, scattered, took_part, issues from kpi_counts
         where batch_id = $1 and board_version = $2 and map_version = $3 and period_start = $4
            and period_end = $5 and planned = $6 and as_of_day = $7"
    )
    .bind(batch)
    .bind(key.board_version)
    .bind(key.map_version)
    .bind(key.period_start)
    .bind(key.period_end)
    .bind(key.planned)
    .bind(key.today)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|r| Counts {
        planned: r.0,
        delivered: r.1,
        zero_defect: r.2,
        scattered: r.3,
        took_part: r.4,
        issues: r.5,
    }))
}

/// Stores the counts of `batch` under `key`, replacing older ones.
pub async fn store_counts(
    c: &mut impl DbConn,
    batch: Uuid,
    key: &Key,
    n: Counts,
) -> Result<(), AppError> {
    crate::exec!(c, |c| sqlx::query(
        "insert into kpi_counts (batch_id, board_version, map_version, period_start, period_end,
            planned, as_of_day, delivered, zero_defect, scattered, took_part, issues)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (batch_id) do update set board_version = excluded.board_version,
            map_version = excluded.map_version, period_start = excluded.period_start,
            period_end = excluded.period_end, planned = excluded.planned,
            as_of_day = excluded.as_of_day, delivered = excluded.delivered,
            zero_defect = excluded.zero_defect, scattered = excluded.scattered,
            took_part = excluded.took_part, issues = excluded.issues"
    )
    .bind(batch)
    .bind(key.board_version)
    .bind(key.map_version)
    .bind(key.period_start)
    .bind(key.period_end)
    .bind(key.planned)
    .bind(key.today)
    .bind(n.delivered)
    .bind(n.zero_defect)
    .bind(n.scattered)
    .bind(n.took_part)
    .bind(n.issues)
    .execute(c)
    .await)?;
    Ok(())
}

/// Batches whose full figures are kept; beyond it the least recently read is dropped (a
/// 3,000-unit batch's figures take about half a megabyte).
const FIGURES_KEPT: usize = 128;

/// The live figures of the batches last read, and the counts of every batch read, each with
/// the key it was computed under. The counts (a few integers) are all a rollup needs, so a
/// dashboard over hundreds of batches never holds their figures.
#[derive(Default)]
pub struct KpiCache {
    figures: Mutex<HashMap<Uuid, Kept>>,
    counts: Mutex<HashMap<Uuid, (Key, Counts)>>,
}

/// Figures with their key and when they were last read.
struct Kept {
    key: Key,
    figures: Arc<Figures>,
    read: Instant,
}

impl std::fmt::Debug for KpiCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KpiCache")
    }
}

impl KpiCache {
    /// The figures of `batch` if they were computed under `key`.
    pub fn get(&self, batch: Uuid, key: &Key) -> Option<Arc<Figures>> {
        let mut map = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        let kept = map.get_mut(&batch).filter(|k| k.key == *key)?;
        kept.read = Instant::now();
        Some(kept.figures.clone())
    }

    /// Remembers the figures of `batch` under `key` (and their counts), dropping the least
    /// recently read figures beyond [`FIGURES_KEPT`].
    pub fn put(&self, batch: Uuid, key: Key, figures: Arc<Figures>) {
        self.put_counts(batch, key.clone(), figures.counts);
        let mut map = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            batch,
            Kept {
                key,
                figures,
                read: Instant::now(),
            },
        );
        if map.len() > FIGURES_KEPT {
            let oldest = map.iter().min_by_key(|(_, k)| k.read).map(|(id, _)| *id);
            if let Some(id) = oldest {
                map.remove(&id);
            }
        }
    }

    /// The counts of `batch` if they were computed under `key`.
    pub fn counts(&self, batch: Uuid, key: &Key) -> Option<Counts> {
        let map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&batch).filter(|(k, _)| k == key).map(|(_, c)| *c)
    }

    /// Remembers the counts of `batch` under `key`.
    pub fn put_counts(&self, batch: Uuid, key: Key, counts: Counts) {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(batch, (key, counts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: i64) -> Key {
        let day = NaiveDate::from_ymd_opt(2026, 12, 18).unwrap();
        Key {
            board_version: version,
            map_version: 0,
            period_start: day,
            period_end: day,
            planned: 1,
            today: Some(day),
        }
    }

    #[test]
    fn counts_are_kept_for_every_batch_under_their_key() {
        let cache = KpiCache::default();
        let counts = Counts {
            planned: 1,
            ..Counts::default()
        };
        let ids: Vec<Uuid> = (0..=2 * FIGURES_KEPT).map(|_| Uuid::new_v4()).collect();
        for id in &ids {
            cache.put_counts(*id, key(1), counts);
        }
        assert_eq!(cache.counts(ids[0], &key(1)), Some(counts));
        assert_eq!(
            cache.counts(ids[0], &key(2)),
            None,
            "a changed batch misses"
        );
        assert!(cache.get(ids[0], &key(1)).is_none(), "no figures were put");
    }
}
