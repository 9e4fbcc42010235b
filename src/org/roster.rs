//! The roster import service shared by the import page, the API and the CLI: parse off the
//! async executor, validate every row, apply all-or-nothing in one transaction.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::import::{self, RosterRow};
use super::repo::{self, ImportCounts};
use crate::auth::hex_lower;
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

/// What an import did (or, for a preview, would do).
#[derive(Debug)]
pub struct Outcome {
    /// The validated rows.
    pub rows: Vec<RosterRow>,
    /// Units created / updated / unchanged.
    pub counts: ImportCounts,
    /// Whether it was written.
    pub committed: bool,
}

/// Parses `bytes` (an `.xlsx`, `.xls` or `.csv`) into validated rows, on a blocking thread.
pub async fn parse(filename: &str, bytes: Vec<u8>) -> Result<Vec<RosterRow>, AppError> {
    let filename = filename.to_owned();
    tokio::task::spawn_blocking(move || import::validate(&import::read_cells(&filename, &bytes)?))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

/// Imports a roster into `project`; with `dry_run` computes the counts and writes nothing.
pub async fn import(
    db: &Db,
    project: Uuid,
    user: Uuid,
    filename: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    let sha = hex_lower(&Sha256::digest(&bytes));
    let rows = parse(filename, bytes).await?;
    let now = clock::now();
    let mut tx = db.begin().await?;
    let counts = repo::apply_roster(&mut tx, project, Some(user), &rows, now).await?;
    if dry_run {
        drop(tx); // rolls back
        return Ok(Outcome {
            rows,
            counts,
            committed: false,
        });
    }
    let audit = repo::ImportRecord {
        filename,
        sha256: &sha,
        rows: rows.len(),
        counts,
    };
    repo::record_import(&mut tx, project, user, &audit, now).await?;
    tx.commit().await?;
    Ok(Outcome {
        rows,
        counts,
        committed: true,
    })
}
