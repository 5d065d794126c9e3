//! Backups of a region on SQLite: a consistent snapshot that holds no data keys, and the
//! merge a restore makes of such a snapshot with what only the live database may give.
//! The same on PostgreSQL, with its own tools, is in [`postgres`].
//!
//! A snapshot is `VACUUM INTO` a new file (one read transaction: consistent while the
//! region runs), then `account_keys` emptied and the file vacuumed again, so no wrapped key
//! is left in it, not even in a free page. Every sealed value in it opens only with a key
//! that lives in the live database: erasing an account there (its key row goes) shreds the
//! account in every backup ever made.
//!
//! A restore starts from the snapshot and takes from the live database what must never go
//! back in time: the data keys, the ledger (append-only: witnesses would see a truncated
//! one), the erasure records (the home's, and those of other regions' users it was told to
//! erase), the witness state and the record of backups. Accounts erased since the backup,
//! here or at their home, and accounts whose key is gone while the snapshot holds sealed
//! values of theirs, are erased again: their rows would be unreadable, or were promised
//! gone.

use crate::sqlite::{SqliteOptions, SqliteStore};
use roost_core::store::{ErasureStore as _, StoreError};
use roost_core::Id;
use roost_residency::keys::WrappedKey;
use roost_residency::Keyring;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;

pub mod postgres;

/// One backup made of the region, as the region records it (`backups`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRecord {
    pub sha256: String,
    pub made_at_ms: i64,
    /// The place, as the cluster file names places (`dir:/abs/path`).
    pub place: String,
    pub file: String,
    pub size: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} does not exist")]
    Missing(std::path::PathBuf),
    #[error("the snapshot still holds {0} data key(s)")]
    KeysLeft(i64),
    /// PostgreSQL's own message (never the connection URL, which may hold a password).
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("the database URL is not valid: {0}")]
    Url(String),
    #[error("database {0} does not exist on the server")]
    NoDatabase(String),
    #[error(
        "the region is running: {sessions} session(s) are connected to its database {database}; \
         stop every node of the region first"
    )]
    Running { database: String, sessions: i64 },
}

/// A media blob of the snapshot, and the account whose key seals it in the backup (none
/// for the region's own files, such as custom emoji).
pub type BlobOwner = (Option<i64>, String);

/// What the server needs besides the database file: the wrapped data keys (to seal or open
/// each account's media files) and which blobs belong to whom.
#[derive(Debug, Default)]
pub struct KeysAndBlobs {
    pub keys: Vec<(i64, WrappedKey)>,
    pub blobs: Vec<BlobOwner>,
}

/// The tables a restore takes from the live database, parents before children.
pub(crate) const KEPT_FROM_LIVE: [&str; 7] = [
    "ledger_leaves",
    "erasures",
    "erasure_regions",
    "foreign_erasures",
    "witness_cosigned",
    "witness_evidence",
    "backups",
];

fn open_existing(path: &Path) -> Result<Connection, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Missing(path.to_owned()));
    }
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(c)
}

pub(crate) const KEYS_SQL: &str = "SELECT account_id, kek_id, wrapped FROM account_keys";
pub(crate) const BLOBS_SQL: &str =
    "SELECT account_id, file_hash FROM media WHERE file_hash IS NOT NULL \
     UNION SELECT account_id, preview_hash FROM media WHERE preview_hash IS NOT NULL \
     UNION SELECT NULL, file_hash FROM custom_emojis";

fn keys_and_blobs(c: &Connection) -> Result<KeysAndBlobs, BackupError> {
    let mut st = c.prepare(KEYS_SQL)?;
    let keys = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                WrappedKey {
                    kek_id: r.get(1)?,
                    bytes: r.get(2)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut st = c.prepare(BLOBS_SQL)?;
    let blobs = st
        .query_map([], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeysAndBlobs { keys, blobs })
}

/// The accounts a restore erases again: erased since the backup (their erasure record, at
/// home or abroad, is the live one), or without a key while sealed values of theirs
/// remain. `sealed(col)` is the dialect's test that a column holds a sealed value.
pub(crate) fn erase_again_sql(sealed: impl Fn(&str) -> String) -> String {
    format!(
        "SELECT id FROM accounts WHERE id IN (SELECT account_id FROM erasures) \
         UNION SELECT id FROM accounts WHERE id IN (SELECT account_id FROM foreign_erasures) \
         UNION SELECT a.id FROM accounts a \
         WHERE NOT EXISTS (SELECT 1 FROM account_keys k WHERE k.account_id = a.id) AND ( \
           {} OR {} OR {} \
           OR EXISTS (SELECT 1 FROM statuses s WHERE s.account_id = a.id AND ({} OR {} OR {})) \
           OR EXISTS (SELECT 1 FROM media m WHERE m.account_id = a.id AND {}))",
        sealed("a.note_source"),
        sealed("a.note_html"),
        sealed("a.fields"),
        sealed("s.text"),
        sealed("s.content_html"),
        sealed("s.spoiler_text"),
        sealed("m.description"),
    )
}

/// Writes a consistent copy of the live database at `live` to `out` (a new file) with no
/// data keys in it; returns the keys it left out and the blobs it names. Safe while the
/// region runs.
pub fn snapshot_sqlite(live: &Path, out: &Path) -> Result<KeysAndBlobs, BackupError> {
    let c = open_existing(live)?;
    c.execute("VACUUM INTO ?1", [out.to_string_lossy()])?;
    drop(c);
    let o = open_existing(out)?;
    o.execute_batch("PRAGMA journal_mode = DELETE;")?;
    let found = keys_and_blobs(&o)?;
    o.execute_batch("PRAGMA secure_delete = ON; DELETE FROM account_keys; VACUUM;")?;
    let left: i64 = o.query_row("SELECT COUNT(*) FROM account_keys", [], |r| r.get(0))?;
    if left != 0 {
        return Err(BackupError::KeysLeft(left));
    }
    Ok(found)
}

/// The columns of `table`, in order, as one list.
fn columns(c: &Connection, table: &str) -> Result<String, BackupError> {
    let mut st = c.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let cols = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cols.join(", "))
}

/// What a restore did besides taking the snapshot's rows.
#[derive(Debug, Default)]
pub struct Merged {
    /// Accounts erased again: erased since the backup (here or at their home), or their
    /// key is gone.
    pub erased: Vec<i64>,
    pub keys_and_blobs: KeysAndBlobs,
}

/// Turns the snapshot at `snapshot` (a copy the caller made; it is changed in place) into
/// the region's database: migrated to this version, the live database's keys, ledger,
/// erasure records, witness state and backup records in, erased accounts out, vacuumed.
/// The live database must exist: without its keys nothing sealed could be read.
pub async fn merge_sqlite(
    snapshot: &Path,
    live: &Path,
    keys: Arc<Keyring>,
) -> Result<Merged, BackupError> {
    if !live.is_file() {
        return Err(BackupError::Missing(live.to_owned()));
    }
    let opts = || SqliteOptions {
        keys: Some(keys.clone()),
        ..SqliteOptions::default()
    };
    // Both at this version's schema, so their tables have the same columns.
    SqliteStore::open(live, opts()).await?.close().await;
    SqliteStore::open(snapshot, opts()).await?.close().await;

    let (snap, live_path) = (snapshot.to_owned(), live.to_owned());
    let erase = tokio::task::spawn_blocking(move || -> Result<Vec<i64>, BackupError> {
        let mut c = open_existing(&snap)?;
        c.execute("ATTACH ?1 AS live", [live_path.to_string_lossy()])?;
        let tx = c.transaction()?;
        for table in KEPT_FROM_LIVE.iter().rev() {
            tx.execute(&format!("DELETE FROM main.{table}"), [])?;
        }
        for table in KEPT_FROM_LIVE {
            let cols = columns(&tx, table)?;
            tx.execute(
                &format!("INSERT INTO main.{table} ({cols}) SELECT {cols} FROM live.{table}"),
                [],
            )?;
        }
        let cols = columns(&tx, "account_keys")?;
        tx.execute("DELETE FROM main.account_keys", [])?;
        tx.execute(
            &format!(
                "INSERT INTO main.account_keys ({cols}) SELECT {cols} FROM live.account_keys \
                 WHERE account_id IN (SELECT id FROM main.accounts)"
            ),
            [],
        )?;
        let sealed = |col: &str| format!("instr({col}, char(1) || 'k1:') > 0");
        let mut st = tx.prepare(&erase_again_sql(sealed))?;
        let erase = st
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        drop(st);
        tx.commit()?;
        c.execute("DETACH live", [])?;
        Ok(erase)
    })
    .await
    .expect("the merge does not panic")?;

    let store = SqliteStore::open(snapshot, opts()).await?;
    for id in &erase {
        store.erase_account(Id(*id), None).await?;
    }
    store.close().await;

    let snap = snapshot.to_owned();
    let keys_and_blobs = tokio::task::spawn_blocking(move || -> Result<_, BackupError> {
        let c = open_existing(&snap)?;
        // The erased rows' bytes out of the file's free pages, and the log folded in.
        c.execute_batch("PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        keys_and_blobs(&c)
    })
    .await
    .expect("reading keys does not panic")?;
    Ok(Merged {
        erased: erase,
        keys_and_blobs,
    })
}
