//! The SQLite store: the engine (reader threads, one group-committing writer), the
//! migrations, error mapping and row decoding shared by the per-trait files.
//!
//! SQLite allows one writer at a time. Rather than letting several connections race for
//! the write lock, every write is a job for the one writer thread (`engine.rs`), which
//! commits queued jobs together. Reads run on read-only connections of their own; in WAL
//! mode they run concurrently with the writer and see every committed write.

pub(crate) mod accounts;
mod announcements;
pub(crate) mod backups;
pub(crate) mod cache;
pub(crate) mod conversations;
pub(crate) mod discovery;
pub(crate) mod emoji;
mod engine;
pub(crate) mod erasure;
pub(crate) mod extras;
pub(crate) mod federation;
pub(crate) mod filters;
pub(crate) mod followed_tags;
pub(crate) mod follows;
pub(crate) mod identity;
pub(crate) mod inventory;
pub(crate) mod keys;
pub(crate) mod ledger;
pub(crate) mod lists;
pub(crate) mod media;
mod migrate;
pub(crate) mod misc;
pub(crate) mod moderation;
pub(crate) mod notifications;
pub(crate) mod polls;
pub(crate) mod references;
pub(crate) mod safety;
pub(crate) mod statuses;
pub(crate) mod witness;

pub(crate) use engine::{at, exec, get, row, rows, scalar};
use engine::{Engine, EngineConfig};
use roost_core::store::{StoreError, StoreResult};
use roost_core::Id;
use std::path::Path;
use std::sync::Arc;

/// How the SQLite file is opened.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// `PRAGMA synchronous = FULL` (the default): every commit is fsynced, so no
    /// acknowledged write is lost even on power loss. `false` selects NORMAL, which in WAL
    /// mode can lose the last commits on power loss (never on a crash of the process) in
    /// exchange for fewer fsyncs.
    pub synchronous_full: bool,
    /// Number of read-only connections (each on a thread of its own).
    pub read_connections: u32,
    /// The region's keys (`crate::sealing`). `None`: the KEK in `keys/kek.key` beside
    /// the database file (where the server keeps it), made there on first use.
    pub keys: Option<Arc<roost_residency::Keyring>>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: true,
            read_connections: 4,
            keys: None,
        }
    }
}

/// A region's storage in one SQLite file. Cloning is cheap and shares the engine.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) db: Arc<Engine>,
    keys: Arc<roost_residency::Keyring>,
}

/// Per-connection page cache in KiB (SQLite's default is 2 MiB). The writer gets more:
/// fan-out inserts land all over the home-timeline index. Together (one writer, four
/// readers) at most 64 MiB: the OS page cache holds the file anyway, and larger caches
/// measured no faster while pushing the process past 200 MB on the large benchmark.
const WRITE_CACHE_KIB: i64 = 32 * 1024;
const READ_CACHE_KIB: i64 = 8 * 1024;
/// The WAL is folded back and truncated past this size (see `engine::writer`): recovery
/// after a crash reads all of it.
const WAL_LIMIT: u64 = 64 << 20;

impl SqliteStore {
    /// Opens (creating if missing) the database file, applies migrations.
    pub async fn open(path: &Path, opts: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let keys = match opts.keys {
            Some(k) => k,
            None => {
                let dir = path.with_file_name("keys");
                std::fs::create_dir_all(&dir).map_err(backend)?;
                let file = dir.join("kek.key");
                let kek = roost_residency::keys::FileKek::load_or_create(&file)
                    .map_err(crate::sealing::key_err)?;
                Arc::new(roost_residency::Keyring::new(Arc::new(kek), Vec::new()))
            }
        };
        let cfg = EngineConfig {
            keys: keys.clone(),
            synchronous_full: opts.synchronous_full,
            readers: opts.read_connections.max(1) as usize,
            write_cache_kib: WRITE_CACHE_KIB,
            read_cache_kib: READ_CACHE_KIB,
            wal_limit: WAL_LIMIT,
        };
        let path = path.to_owned();
        // Opening and migrating are blocking file work.
        let db = tokio::task::spawn_blocking(move || {
            let db = Engine::open(&path, &cfg, migrate::run)?;
            tracing::debug!(path = %path.display(), "opened SQLite store");
            Ok::<_, StoreError>(db)
        })
        .await
        .map_err(backend)??;
        Ok(SqliteStore { db, keys })
    }

    /// Fails when the keyring cannot unwrap every data key the store holds: better not to
    /// start than to answer every read of those accounts with an error.
    pub async fn check_keys(&self) -> StoreResult<()> {
        crate::sealing::check_keks(&self.keys, &self.keks_in_use().await?)
    }

    /// Finishes queued writes, folds the write-ahead log back into the database file and
    /// closes every connection (the file is free when this returns). Called on shutdown;
    /// the store (and its clones) must not be used afterwards.
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// Any backend failure, kept whole for the log.
pub(crate) fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// A write's failure: a unique violation becomes `Conflict(conflict)`, a foreign-key
/// violation `Missing(missing)`, anything else a backend failure.
pub(crate) fn write_err(
    e: rusqlite::Error,
    conflict: &'static str,
    missing: &'static str,
) -> StoreError {
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::Conflict(conflict)
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::Missing(missing),
            _ => {}
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

/// Runs a list query once per chunk of `ids` (bound lists stay short); `build` writes the
/// query for one chunk, `IN` list included.
pub(crate) fn per_chunk<T>(
    c: &rusqlite::Connection,
    ids: &[Id],
    build: impl Fn(&[Id]) -> crate::sql::Sql,
    mut decode: impl FnMut(&rusqlite::Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::sql::ID_CHUNK) {
        out.extend(build(chunk).rows(c, &mut decode)?);
    }
    Ok(out)
}

/// A column named `id`, as an ID.
pub(crate) fn id_of(r: &rusqlite::Row<'_>) -> StoreResult<Id> {
    get::<i64>(r, "id").map(Id)
}

/// A row of a cursored list: columns `cursor` and `item`.
pub(crate) fn cursored_of(r: &rusqlite::Row<'_>) -> StoreResult<roost_core::model::Cursored<Id>> {
    Ok(roost_core::model::Cursored {
        cursor: Id(get(r, "cursor")?),
        item: Id(get(r, "item")?),
    })
}

impl SqliteStore {
    /// One page of a cursored list, paged by `col`, newest first.
    pub(crate) async fn read_cursored(
        &self,
        mut q: crate::sql::Sql,
        col: &'static str,
        page: roost_core::model::Page,
    ) -> StoreResult<Vec<roost_core::model::Cursored<Id>>> {
        self.db
            .read(move |c| {
                let asc = q.push_page(col, &page);
                Ok(crate::sql::newest_first(q.rows(c, cursored_of)?, asc))
            })
            .await
    }
}

pub use inventory::Inventory;
