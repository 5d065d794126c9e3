//! The SQLite store: connection pools, error mapping and row decoding shared by the
//! per-trait files.
//!
//! SQLite allows one writer at a time. Rather than letting several connections race for
//! the write lock (and fail with SQLITE_BUSY under load), all writes go through a pool of
//! exactly one connection: writers queue in the pool, in process, and never contend inside
//! SQLite. Reads use a separate pool of read-only connections; in WAL mode they run
//! concurrently with the writer and see every committed write.

mod accounts;
mod federation;
mod follows;
mod identity;
mod inventory;
mod ledger;
mod misc;
mod notifications;
mod statuses;

use roost_core::store::{StoreError, StoreResult};
use roost_core::Id;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// How the SQLite file is opened.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// `PRAGMA synchronous = FULL` (the default): every commit is fsynced, so no
    /// acknowledged write is lost even on power loss. `false` selects NORMAL, which in WAL
    /// mode can lose the last commits on power loss (never on a crash of the process) in
    /// exchange for fewer fsyncs.
    pub synchronous_full: bool,
    /// Size of the read-only connection pool.
    pub read_connections: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: true,
            read_connections: 4,
        }
    }
}

/// A region's storage in one SQLite file. Cloning is cheap and shares the pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: every write and write transaction.
    pub(crate) w: SqlitePool,
    /// Read-only connections for everything else.
    pub(crate) r: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Per-connection page cache in KiB (SQLite's default is 2 MiB). The writer gets more:
/// fan-out inserts land all over the home-timeline index. Together (one writer, four
/// readers) at most 64 MiB: the OS page cache holds the file anyway, and larger caches
/// measured no faster while pushing the process past 200 MB on the large benchmark.
const WRITE_CACHE_KIB: i64 = 32 * 1024;
const READ_CACHE_KIB: i64 = 8 * 1024;

impl SqliteStore {
    /// Opens (creating if missing) the database file, applies migrations.
    pub async fn open(path: &Path, opts: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let sync = if opts.synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        };
        let base = SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let write_opts = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            // Temporary data (statement journals, sorts) goes where SQLite puts it by
            // default, a temp file past a small size: held in memory, the statement journal
            // of a fan-out to 100k followers took ~100 MiB.
            .pragma("cache_size", format!("-{WRITE_CACHE_KIB}"));
        // The writer is opened (and the file put in WAL mode) first, so that the read-only
        // connections find the WAL and shared-memory files in place.
        // No liveness ping before each use: a SQLite connection cannot lose its server, and
        // the ping is one more round trip to the connection's thread on every query.
        let w = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(write_opts)
            .await
            .map_err(backend)?;
        MIGRATOR
            .run(&w)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let read_opts = base
            .read_only(true)
            .pragma("cache_size", format!("-{READ_CACHE_KIB}"));
        let r = SqlitePoolOptions::new()
            .max_connections(opts.read_connections.max(1))
            .test_before_acquire(false)
            .connect_with(read_opts)
            .await
            .map_err(backend)?;
        tracing::debug!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore { w, r })
    }

    /// Closes the pools, folding the write-ahead log back into the database file first.
    /// Called on shutdown; the store must not be used afterwards.
    pub async fn close(&self) {
        self.r.close().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.w)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint on close failed");
        }
        self.w.close().await;
    }
}

/// Any backend failure, kept whole for the log.
pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// A write's failure: a unique violation becomes `Conflict(conflict)`, a foreign-key
/// violation `Missing(missing)`, anything else a backend failure.
pub(crate) fn write_err(
    e: sqlx::Error,
    conflict: &'static str,
    missing: &'static str,
) -> StoreError {
    if let Some(db) = e.as_database_error() {
        if db.is_unique_violation() {
            return StoreError::Conflict(conflict);
        }
        if db.is_foreign_key_violation() {
            return StoreError::Missing(missing);
        }
    }
    backend(e)
}

/// Stored data that cannot be decoded (a value out of range, an unknown enum name).
#[derive(Debug, thiserror::Error)]
#[error("corrupt stored value: {0}")]
pub(crate) struct Corrupt(String);

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Backend(Box::new(Corrupt(what.into())))
}

pub(crate) fn ts(ms: i64) -> StoreResult<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).map_err(|_| corrupt(format!("timestamp {ms}")))
}

pub(crate) fn opt_ts(ms: Option<i64>) -> StoreResult<Option<jiff::Timestamp>> {
    ms.map(ts).transpose()
}

pub(crate) fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn opt_id(v: Option<i64>) -> Option<Id> {
    v.map(Id)
}

/// Shorthand for decoding a column.
pub(crate) fn get<'r, T>(row: &'r sqlx::sqlite::SqliteRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    use sqlx::Row;
    row.try_get(col).map_err(backend)
}
pub use inventory::Inventory;
