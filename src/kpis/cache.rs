//! The live figures of each batch (as of now), kept per app server and keyed by what changes
//! them: the batch's `board_version` (every handover-day write, complaint, survey and
//! cancelled customer issue bumps it), its project's `map_version` (defect lifecycle and
//! inspections), its period and planned units, and today's date. One tiny query per request
//! reads the key, so every server stays coherent with the database; a dashboard of a hundred
//! batches recomputes only the ones that changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use sqlx::FromRow;
use uuid::Uuid;

use super::Figures;
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

/// The live figures per batch with the key they were computed under.
#[derive(Default)]
pub struct KpiCache(Mutex<HashMap<Uuid, (Key, Arc<Figures>)>>);

impl std::fmt::Debug for KpiCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KpiCache")
    }
}

impl KpiCache {
    /// The figures of `batch` if they were computed under `key`.
    pub fn get(&self, batch: Uuid, key: &Key) -> Option<Arc<Figures>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&batch)
            .filter(|(k, _)| k == key)
            .map(|(_, f)| f.clone())
    }

    /// Remembers the figures of `batch` under `key`.
    pub fn put(&self, batch: Uuid, key: Key, figures: Arc<Figures>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(batch, (key, figures));
    }
}
