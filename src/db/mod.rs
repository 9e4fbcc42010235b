//! The database seam: one `Db` over SQLite (embedded default) or PostgreSQL, chosen from the URL.
//!
//! Domain code writes portable SQL (`$1` placeholders, timestamps bound from Rust) and runs it
//! through [`run!`](crate::run), which expands the same query for whichever backend is live.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

use uuid::Uuid;

use crate::error::AppError;

/// Runs `$body` with `$c` bound to the live backend's connection (`&mut SqliteConnection` or
/// `&mut PgConnection`). The body is compiled once per backend, so the same SQL text serves both.
#[macro_export]
macro_rules! run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $crate::db::DbConn::conn($conn) {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// Like [`run!`](crate::run) for statements that return no rows: yields the rows affected.
#[macro_export]
macro_rules! exec {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $crate::db::DbConn::conn($conn) {
            $crate::db::Conn::Sqlite($c) => $body.map(|r| r.rows_affected()),
            $crate::db::Conn::Postgres($c) => $body.map(|r| r.rows_affected()),
        }
    };
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The connection pools of the live backend.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: one writer connection (writes serialise anyway) and a pool of readers (WAL).
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    /// PostgreSQL: one pool for reads and writes, and a small one for document numbers.
    Postgres(PgPools),
}

/// The pools of a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgPools {
    /// Reads and transactions.
    pub main: PgPool,
    /// Document numbers, each taken in a statement of its own beside a transaction: its own
    /// pool, so a transaction waiting for a number never waits for another transaction's
    /// connection.
    pub numbers: PgPool,
}

/// A borrowed connection of either backend; what [`run!`](crate::run) matches on.
pub enum Conn<'c> {
    /// SQLite connection.
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL connection.
    Postgres(&'c mut PgConnection),
}

/// Anything that can lend a connection: a transaction or a pooled read connection.
pub trait DbConn {
    /// Lends the underlying connection.
    fn conn(&mut self) -> Conn<'_>;

    /// Where change-counter bumps wait for the commit, if they do (PostgreSQL transactions).
    fn bumps_after_commit(&mut self) -> Option<&mut Bumps> {
        None
    }

    /// The pool where a PostgreSQL transaction takes document numbers outside itself.
    fn numbers_pool(&self) -> Option<&PgPool> {
        None
    }
}

/// Change counters (a statement updating one row by `$1`) to bump once the transaction commits.
pub type Bumps = BTreeSet<(&'static str, Uuid)>;

/// A write transaction (SQLite: `BEGIN IMMEDIATE` on the writer).
pub enum Tx {
    /// SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction, its pools, and the counters it bumps after the commit.
    Postgres(Transaction<'static, Postgres>, PgPools, Bumps),
}

/// A pooled connection for reads.
pub enum ReadConn {
    /// SQLite reader.
    Sqlite(PoolConnection<Sqlite>),
    /// PostgreSQL connection.
    Postgres(PoolConnection<Postgres>),
}

impl DbConn for Tx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(&mut *t),
            Tx::Postgres(t, ..) => Conn::Postgres(&mut *t),
        }
    }

    fn bumps_after_commit(&mut self) -> Option<&mut Bumps> {
        match self {
            Tx::Sqlite(_) => None,
            Tx::Postgres(_, _, bumps) => Some(bumps),
        }
    }

    fn numbers_pool(&self) -> Option<&PgPool> {
        match self {
            Tx::Sqlite(_) => None,
            Tx::Postgres(_, pools, _) => Some(&pools.numbers),
        }
    }
}

impl DbConn for ReadConn {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            ReadConn::Sqlite(c) => Conn::Sqlite(&mut *c),
            ReadConn::Postgres(c) => Conn::Postgres(&mut *c),
        }
    }
}

impl Tx {
    /// Commits the transaction, then (PostgreSQL) bumps the change counters it marked.
    pub async fn commit(self) -> Result<(), AppError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t, pools, bumps) => {
                t.commit().await?;
                bump_committed(&pools.main, bumps).await;
            }
        }
        Ok(())
    }
}

/// Marks a change counter: `sql` updates one row, chosen by `$1` = `id`, so that caches and live
/// pages notice a write. SQLite runs it now (one writer: holding the row costs nothing).
/// PostgreSQL runs it after the commit, each in a statement of its own: inside the transaction
/// the row (a project's status map, a batch's board) would stay locked until the commit and
/// serialise every writer of the project behind it (bench/handover-day). A reader that saw the
/// old counter after the commit saw the new data too, so caches keyed by it stay right.
pub async fn bump(c: &mut impl DbConn, sql: &'static str, id: Uuid) -> Result<(), AppError> {
    if let Some(bumps) = c.bumps_after_commit() {
        bumps.insert((sql, id));
        return Ok(());
    }
    crate::exec!(c, |c| sqlx::query(sql).bind(id).execute(c).await)?;
    Ok(())
}

/// Runs the bumps of a committed transaction. The write stands whatever happens here, so a
/// failure is logged rather than answered: the page it concerns refreshes with the next write.
async fn bump_committed(pool: &PgPool, bumps: Bumps) {
    for (sql, id) in bumps {
        if let Err(e) = sqlx::query(sql).bind(id).execute(pool).await {
            tracing::warn!(error = %e, sql, "change counter not bumped after the commit");
        }
    }
}

/// Connections of an app server's PostgreSQL pool: `HANDOVER_DB_POOL`, else
/// [`PG_POOL_DEFAULT`]. Few connections serve best: on a database sharing a few cores, more
/// backends only take turns on them, and many app servers share one database. On 2 cores the
/// handover day's tail latency was lowest at 4–6 (bench/handover-day).
fn pg_pool_size() -> u32 {
    std::env::var("HANDOVER_DB_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PG_POOL_DEFAULT)
}

/// The default size of the PostgreSQL pool.
const PG_POOL_DEFAULT: u32 = 6;

impl Backend {
    /// Reads the backend from a URL's scheme.
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (use sqlite://FILE or postgres://...): {url}")
        }
    }
}

impl Db {
    /// Opens (creating a SQLite file if missing) the database at `url`.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        match Backend::of_url(url)? {
            Backend::Sqlite => Self::connect_sqlite(url).await,
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)?;
                // No ping before each acquire: it doubles the round trips of every request, and
                // a broken connection fails its query anyway.
                let main = PgPoolOptions::new()
                    .max_connections(pg_pool_size())
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts.clone())
                    .await?;
                let numbers = PgPoolOptions::new()
                    .max_connections(2)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with(opts);
                Ok(Db::Postgres(PgPools { main, numbers }))
            }
        }
    }

    async fn connect_sqlite(url: &str) -> anyhow::Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Page caches (negative: KiB) beyond SQLite's 2 MB default: a database of many
        // 3,000-unit batches outgrows it, and every page read again is a system call.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone().pragma("cache_size", "-65536"))
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts.read_only(true).pragma("cache_size", "-16384"))
            .await?;
        Ok(Db::Sqlite { writer, readers })
    }

    /// Which backend is live.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations of the live backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite { writer, .. } => sqlx::migrate!("./migrations/sqlite").run(writer).await?,
            Db::Postgres(pools) => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&pools.main)
                    .await?
            }
        }
        Ok(())
    }

    /// Refreshes planner statistics after a bulk load. On PostgreSQL this also vacuums, which
    /// sets the visibility map so counts can be answered from indexes alone.
    pub async fn refresh_statistics(&self) -> Result<(), AppError> {
        match self {
            Db::Sqlite { writer, .. } => {
                sqlx::query("analyze").execute(writer).await?;
            }
            Db::Postgres(pools) => vacuum_filled_tables(&pools.main).await?,
        }
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, AppError> {
        Ok(match self {
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pools) => {
                Tx::Postgres(pools.main.begin().await?, pools.clone(), Bumps::new())
            }
        })
    }

    /// Borrows a connection for reads.
    pub async fn read(&self) -> Result<ReadConn, AppError> {
        Ok(match self {
            Db::Sqlite { readers, .. } => ReadConn::Sqlite(readers.acquire().await?),
            Db::Postgres(pools) => ReadConn::Postgres(pools.main.acquire().await?),
        })
    }
}

/// `vacuum analyze` of the tables that hold rows. Tables never written keep no statistics: the
/// planner then sizes them at ten pages at least, so the plans it caches while a handover day's
/// tables (visits, their issues, meters, keys) are still nearly empty use their indexes.
/// Statistics saying "empty" would make those plans scan the whole tables once the day has
/// filled them, until autovacuum next samples them (bench/handover-day).
async fn vacuum_filled_tables(pool: &PgPool) -> Result<(), AppError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select quote_ident(relname) from pg_class
         where relnamespace = current_schema()::regnamespace and relkind = 'r'
           and pg_relation_size(oid) > 0 order by relname",
    )
    .fetch_all(pool)
    .await?;
    if !tables.is_empty() {
        let sql = format!("vacuum analyze {}", tables.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    }
    Ok(())
}

/// Migration version lists of both trees, for the lockstep test.
pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
    let versions = |m: sqlx::migrate::Migrator| m.iter().map(|m| m.version).collect();
    (
        versions(sqlx::migrate!("./migrations/sqlite")),
        versions(sqlx::migrate!("./migrations/postgres")),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn migration_trees_are_in_lockstep() {
        let (sqlite, postgres) = super::migration_versions();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
