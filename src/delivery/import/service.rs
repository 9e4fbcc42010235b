//! The sheet import service shared by the API and the page: parse off the async executor,
//! check every row against the batch, then write all of it in one transaction — or nothing,
//! for a dry run or when any row is wrong (`AppError::SheetRows` lists them all).

use uuid::Uuid;

use super::Parsed;
use super::plan::{self, Action, PlannedAppointment, PlannedConditions};
use super::repo::{self, Needs};
use crate::clock;
use crate::db::Db;
use crate::error::{AppError, RowError};

/// What an import did (or, for a dry run, would do), row by row.
#[derive(Debug)]
pub struct Imported<T> {
    /// Whether it was written.
    pub committed: bool,
    /// The checked rows.
    pub rows: Vec<T>,
}

/// Reads the file's cells and then its rows with `read`, on a blocking thread.
async fn parse<T, F>(filename: &str, bytes: Vec<u8>, read: F) -> Result<Parsed<T>, AppError>
where
    T: Send + 'static,
    F: FnOnce(&[Vec<String>]) -> Parsed<T> + Send + 'static,
{
    let filename = filename.to_owned();
    tokio::task::spawn_blocking(move || {
        let cells = crate::org::import::read_cells(&filename, &bytes)?;
        Ok(read(&cells))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// The rows checked against the batch, or every problem of the sheet: those of reading it
/// and those of checking the rows that read well.
fn checked<L, P>(
    parsed: &Parsed<L>,
    check: impl FnOnce(&[L]) -> Result<Vec<P>, Vec<RowError>>,
) -> Result<Vec<P>, AppError> {
    let mut errors = parsed.errors.clone();
    let planned = check(&parsed.lines).unwrap_or_else(|mut e| {
        errors.append(&mut e);
        Vec::new()
    });
    Parsed {
        lines: planned,
        errors,
    }
    .into_result()
    .map_err(AppError::SheetRows)
}

/// Fails at once when the header is wrong (there is no row to check).
fn header_ok<L>(parsed: &Parsed<L>) -> Result<(), AppError> {
    if parsed.lines.is_empty() && !parsed.errors.is_empty() {
        return Err(AppError::SheetRows(parsed.errors.clone()));
    }
    Ok(())
}

/// Imports appointments into `batch` (of `project`): each row books its unit into the slot
/// covering its time, or moves the unit's appointment there.
pub async fn appointments(
    db: &Db,
    (batch, project): (Uuid, Uuid),
    (filename, bytes): (&str, Vec<u8>),
    dry_run: bool,
) -> Result<Imported<PlannedAppointment>, AppError> {
    let parsed = parse(filename, bytes, super::appointments).await?;
    header_ok(&parsed)?;
    let needs = Needs {
        buyers: parsed
            .lines
            .iter()
            .any(|l| !l.name.is_empty() || !l.phone.is_empty()),
        conditions: false,
    };
    if dry_run {
        let view = repo::view(&mut db.read().await?, (batch, project), needs).await?;
        let rows = checked(&parsed, |lines| plan::appointments(lines, &view))?;
        return Ok(Imported {
            committed: false,
            rows,
        });
    }
    let mut tx = db.begin().await?;
    let view = repo::view(&mut tx, (batch, project), needs).await?;
    let rows = checked(&parsed, |lines| plan::appointments(lines, &view))?;
    let now = clock::now();
    let new: Vec<&PlannedAppointment> = rows.iter().filter(|p| p.action == Action::Book).collect();
    repo::book(&mut tx, batch, &new, now).await?;
    for p in rows.iter().filter(|p| p.action == Action::Move) {
        if let Some(booking) = p.booking {
            crate::delivery::repo::change_appointment(&mut tx, booking, Some(p.slot), now).await?;
        }
    }
    crate::delivery::repo::bump_board(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(Imported {
        committed: true,
        rows,
    })
}

/// Imports handover conditions of `batch`'s customers: each condition column sets whether
/// it is met (notes and waivers stay).
pub async fn conditions(
    db: &Db,
    (batch, project): (Uuid, Uuid),
    user: Uuid,
    (filename, bytes): (&str, Vec<u8>),
    dry_run: bool,
) -> Result<Imported<PlannedConditions>, AppError> {
    let settings = crate::delivery::repo::settings(&mut db.read().await?, project).await?;
    let parsed = parse(filename, bytes, move |cells| {
        super::conditions(cells, &settings)
    })
    .await?;
    header_ok(&parsed)?;
    let needs = Needs {
        buyers: false,
        conditions: true,
    };
    if dry_run {
        let view = repo::view(&mut db.read().await?, (batch, project), needs).await?;
        let rows = checked(&parsed, |lines| plan::conditions(lines, &view))?;
        return Ok(Imported {
            committed: false,
            rows,
        });
    }
    let mut tx = db.begin().await?;
    let view = repo::view(&mut tx, (batch, project), needs).await?;
    let rows = checked(&parsed, |lines| plan::conditions(lines, &view))?;
    let marks: Vec<(Uuid, &str, bool)> = rows
        .iter()
        .flat_map(|r| {
            r.changes
                .iter()
                .map(|(code, met)| (r.unit, code.as_str(), *met))
        })
        .collect();
    repo::set_marks(&mut tx, &marks, (user, clock::now())).await?;
    tx.commit().await?;
    Ok(Imported {
        committed: true,
        rows,
    })
}
