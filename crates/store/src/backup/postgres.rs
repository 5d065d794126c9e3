//! Backups of a region on PostgreSQL, with PostgreSQL's own tools: what `pg_dump` and
//! `pg_restore` need to reach the database without a password on their command line, the
//! snapshot they dump, the scratch database a restore fills, the merge and the swap.
//!
//! A backup holds what the SQLite one holds: the rows without the data keys. `pg_dump`
//! runs with `--exclude-table-data=account_keys` in a snapshot exported from a transaction
//! that read the wrapped keys and the media rows (to seal each media file with its owner's
//! key), so the dump, the keys and the blobs are one consistent view.
//!
//! A restore fills a scratch database of its own (`pg_restore`), then does what
//! `merge_sqlite` does: the live database's keys, ledger, erasure records, witness state
//! and backup records in, accounts erased since (or without a key while sealed rows of
//! theirs remain) erased again, and the erased rows rewritten away (`VACUUM FULL`). The
//! live database is only read until the swap, which renames both in one transaction: the
//! region has its old database or its restored one, never a mix.

use super::{
    erase_again_sql, BackupError, KeysAndBlobs, Merged, BLOBS_SQL, KEPT_FROM_LIVE, KEYS_SQL,
};
use crate::postgres::{PgOptions, PgStore};
use futures::{SinkExt as _, StreamExt as _};
use roost_core::store::ErasureStore as _;
use roost_core::Id;
use roost_residency::keys::WrappedKey;
use roost_residency::Keyring;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, GenericClient};

/// PostgreSQL's identifiers are at most 63 bytes long.
const MAX_NAME: usize = 63;
/// How long a restore waits for sessions of the live database to go (a node just
/// stopped may still be closing its pool).
const SESSIONS_GONE: Duration = Duration::from_secs(5);

fn pg(e: tokio_postgres::Error) -> BackupError {
    // The server's message when it sent one; the client's own otherwise. Neither holds
    // the connection's password.
    match e.as_db_error() {
        Some(db) => BackupError::Postgres(db.message().to_owned()),
        None => BackupError::Postgres(e.to_string()),
    }
}

/// A PostgreSQL database as the region's URL names it, split so that the password never
/// goes on a command line or into a message.
#[derive(Clone)]
pub struct PgTarget {
    /// For connections from this process (holds the password).
    config: tokio_postgres::Config,
    /// For the tools' `--dbname`: the URL without any password.
    url: url::Url,
    password: Option<String>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl PgTarget {
    pub fn parse(text: &str) -> Result<PgTarget, BackupError> {
        let config: tokio_postgres::Config = text
            .parse()
            .map_err(|e: tokio_postgres::Error| BackupError::Url(e.to_string()))?;
        let mut url = url::Url::parse(text).map_err(|e| BackupError::Url(e.to_string()))?;
        let password = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        if url.password().is_some() {
            let _ = url.set_password(None);
        }
        // libpq also takes the password as a parameter.
        if url.query_pairs().any(|(k, _)| k == "password") {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "password")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
        }
        let target = PgTarget {
            config,
            url,
            password,
        };
        if target.database().is_empty() {
            return Err(BackupError::Url("it names no database".into()));
        }
        Ok(target)
    }

    /// The database's name (as libpq: the user's when the URL names none).
    pub fn database(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or_default()
            .to_owned()
    }

    /// Another database on the same server, reached the same way.
    pub fn with_database(&self, name: &str) -> PgTarget {
        let mut t = self.clone();
        t.config.dbname(name);
        t.url.set_path(&format!("/{name}"));
        t
    }

    /// The URL as messages may show it.
    pub fn redacted(&self) -> String {
        self.url.to_string()
    }

    /// `program` (`pg_dump`, `pg_restore`) reaching this database: the URL without its
    /// password in `--dbname`, the password in the environment (`ps` shows command lines
    /// to everyone), never a prompt.
    pub fn tool(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.arg("--no-password").arg(format!("--dbname={}", self.url));
        if let Some(p) = &self.password {
            c.env("PGPASSWORD", p);
        }
        c
    }

    /// `text` (a tool's output) with the password, if it appears, blotted out.
    pub fn redact(&self, text: &str) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => text.replace(p.as_str(), "***"),
            _ => text.to_owned(),
        }
    }

    async fn connect(&self) -> Result<Client, BackupError> {
        let (client, conn) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(pg)?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "backup connection ended");
            }
        });
        Ok(client)
    }

    /// A session on the server outside the region's database, for creating, renaming and
    /// dropping databases.
    async fn admin(&self) -> Result<Client, BackupError> {
        let mut last = None;
        for db in ["postgres", "template1"] {
            match self.with_database(db).connect().await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("a database was tried"))
    }

    async fn store(&self, keys: &Arc<Keyring>) -> Result<PgStore, BackupError> {
        let opts = PgOptions {
            max_connections: 2,
            keys: Some(keys.clone()),
        };
        Ok(PgStore::connect_config(self.config.clone(), opts).await?)
    }
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `base` cut to fit with `suffix` in an identifier.
fn name_with(base: &str, suffix: &str) -> String {
    let mut end = base.len().min(MAX_NAME - suffix.len());
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", &base[..end])
}

async fn keys_and_blobs(c: &impl GenericClient) -> Result<KeysAndBlobs, BackupError> {
    let keys = c
        .query(KEYS_SQL, &[])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                WrappedKey {
                    kek_id: r.get(1),
                    bytes: r.get(2),
                },
            )
        })
        .collect();
    let blobs = c
        .query(BLOBS_SQL, &[])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| (r.get::<_, Option<i64>>(0), r.get::<_, String>(1)))
        .collect();
    Ok(KeysAndBlobs { keys, blobs })
}

/// A snapshot of the live database, held (an open transaction) for `pg_dump --snapshot`,
/// with the keys and blobs as it sees them.
pub struct PgSnapshot {
    client: Client,
    /// What `pg_dump --snapshot` takes.
    pub id: String,
    /// `account_keys`, schema-qualified, as `pg_dump --exclude-table-data` takes it.
    pub keys_table: String,
    pub found: KeysAndBlobs,
}

impl PgSnapshot {
    /// Ends the transaction (after `pg_dump` has finished).
    pub async fn release(self) {
        let _ = self.client.batch_execute("COMMIT").await;
    }
}

/// Opens the snapshot a backup dumps. Safe while the region runs: it only reads.
pub async fn snapshot_postgres(live: &PgTarget) -> Result<PgSnapshot, BackupError> {
    let client = live.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(pg)?;
    let id: String = client
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .map_err(pg)?
        .get(0);
    let keys_table: String = client
        .query_one(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'account_keys'::regclass",
            &[],
        )
        .await
        .map_err(pg)?
        .get(0);
    let found = keys_and_blobs(&client).await?;
    Ok(PgSnapshot {
        client,
        id,
        keys_table,
        found,
    })
}

/// Waits a little for the sessions of `live`'s database to go; refuses when some stay
/// (a node of the region still runs).
pub async fn check_stopped(live: &PgTarget) -> Result<(), BackupError> {
    let admin = live.admin().await?;
    let name = live.database();
    let found = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(pg)?;
    if found.is_none() {
        return Err(BackupError::NoDatabase(name));
    }
    let start = std::time::Instant::now();
    loop {
        let sessions: i64 = admin
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .await
            .map_err(pg)?
            .get(0);
        if sessions == 0 {
            return Ok(());
        }
        if start.elapsed() > SESSIONS_GONE {
            return Err(BackupError::Running {
                database: name,
                sessions,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A new, empty database beside `live` (same encoding and locale) for a restore to fill.
pub async fn create_scratch(live: &PgTarget) -> Result<PgTarget, BackupError> {
    let admin = live.admin().await?;
    let row = admin
        .query_opt(
            "SELECT pg_encoding_to_char(encoding)::text, datcollate::text, datctype::text \
             FROM pg_database WHERE datname = $1",
            &[&live.database()],
        )
        .await
        .map_err(pg)?
        .ok_or_else(|| BackupError::NoDatabase(live.database()))?;
    let (encoding, collate, ctype): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let name = name_with(
        &live.database(),
        &format!("_restore_{:08x}", rand::random::<u32>()),
    );
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            ident(&name),
            literal(&encoding),
            literal(&collate),
            literal(&ctype)
        ))
        .await
        .map_err(pg)?;
    Ok(live.with_database(&name))
}

/// Drops a database a restore made (its scratch one, or the region's old one after the
/// swap).
pub async fn drop_database(target: &PgTarget) -> Result<(), BackupError> {
    let admin = target.admin().await?;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            ident(&target.database())
        ))
        .await
        .map_err(pg)
}

/// The columns of `table` in the current schema, quoted, as one list.
async fn columns(c: &impl GenericClient, table: &str) -> Result<String, BackupError> {
    let cols: Vec<String> = c
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| ident(&r.get::<_, String>(0)))
        .collect();
    if cols.is_empty() {
        return Err(BackupError::Postgres(format!("no table {table}")));
    }
    Ok(cols.join(", "))
}

/// Streams the rows `out` selects on one database into `into` on another (COPY, binary:
/// both are at this version's schema, so the columns have the same types).
async fn copy_rows(
    from: &Client,
    out: &str,
    to: &tokio_postgres::Transaction<'_>,
    into: &str,
) -> Result<u64, BackupError> {
    let rows = from.copy_out(out).await.map_err(pg)?;
    let sink = to.copy_in(into).await.map_err(pg)?;
    futures::pin_mut!(rows, sink);
    while let Some(chunk) = rows.next().await {
        sink.send(chunk.map_err(pg)?).await.map_err(pg)?;
    }
    sink.as_mut().finish().await.map_err(pg)
}

/// Turns `scratch` (a restored backup) into the region's database, as `merge_sqlite`
/// does: migrated, the live database's keys, ledger, erasure records, witness state and
/// backup records in, erased accounts out, rewritten. `live` is only read.
pub async fn merge_postgres(
    scratch: &PgTarget,
    live: &PgTarget,
    keys: Arc<Keyring>,
) -> Result<Merged, BackupError> {
    // Both at this version's schema, so their tables have the same columns.
    live.store(&keys).await?.close().await;
    scratch.store(&keys).await?.close().await;

    let from = live.connect().await?;
    from.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(pg)?;
    let mut to = scratch.connect().await?;
    let tx = to.transaction().await.map_err(pg)?;
    for table in KEPT_FROM_LIVE.iter().rev() {
        tx.execute(&format!("DELETE FROM {table}"), &[])
            .await
            .map_err(pg)?;
    }
    for table in KEPT_FROM_LIVE {
        let cols = columns(&tx, table).await?;
        copy_rows(
            &from,
            &format!("COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT binary)"),
            &tx,
            &format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)"),
        )
        .await?;
    }
    // The live keys of the accounts the backup holds; the others stay out.
    let cols = columns(&tx, "account_keys").await?;
    tx.batch_execute(
        "CREATE TEMPORARY TABLE live_account_keys (LIKE account_keys) ON COMMIT DROP; \
         DELETE FROM account_keys;",
    )
    .await
    .map_err(pg)?;
    copy_rows(
        &from,
        &format!("COPY (SELECT {cols} FROM account_keys) TO STDOUT (FORMAT binary)"),
        &tx,
        &format!("COPY live_account_keys ({cols}) FROM STDIN (FORMAT binary)"),
    )
    .await?;
    tx.execute(
        &format!(
            "INSERT INTO account_keys ({cols}) SELECT {cols} FROM live_account_keys \
             WHERE account_id IN (SELECT id FROM accounts)"
        ),
        &[],
    )
    .await
    .map_err(pg)?;
    let sealed = |col: &str| format!("strpos({col}, chr(1) || 'k1:') > 0");
    let erase: Vec<i64> = tx
        .query(&erase_again_sql(sealed), &[])
        .await
        .map_err(pg)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.commit().await.map_err(pg)?;
    let _ = from.batch_execute("COMMIT").await;
    drop(from);

    let store = scratch.store(&keys).await?;
    for id in &erase {
        store.erase_account(Id(*id), None).await?;
    }
    store.close().await;

    // The erased rows' versions out of the tables' files (as SQLite's VACUUM takes them
    // out of its free pages).
    to.batch_execute("VACUUM (FULL, ANALYZE)")
        .await
        .map_err(pg)?;
    let keys_and_blobs = keys_and_blobs(&to).await?;
    drop(to);
    Ok(Merged {
        erased: erase,
        keys_and_blobs,
    })
}

/// Puts `scratch` in `live`'s place: both renamed in one transaction (PostgreSQL refuses
/// while anyone is connected to either, and then nothing changes), then the old database
/// dropped. Returns the old one's name when it could not be dropped.
pub async fn swap_in(scratch: &PgTarget, live: &PgTarget) -> Result<Option<String>, BackupError> {
    let mut admin = live.admin().await?;
    let old = name_with(
        &live.database(),
        &format!("_before_{:08x}", rand::random::<u32>()),
    );
    let tx = admin.transaction().await.map_err(pg)?;
    tx.batch_execute(&format!(
        "ALTER DATABASE {} RENAME TO {}; ALTER DATABASE {} RENAME TO {};",
        ident(&live.database()),
        ident(&old),
        ident(&scratch.database()),
        ident(&live.database())
    ))
    .await
    .map_err(|e| match e.as_db_error() {
        Some(db) if db.code() == &tokio_postgres::error::SqlState::OBJECT_IN_USE => {
            BackupError::Running {
                database: live.database(),
                sessions: 1,
            }
        }
        _ => pg(e),
    })?;
    tx.commit().await.map_err(pg)?;
    match admin
        .batch_execute(&format!("DROP DATABASE {}", ident(&old)))
        .await
    {
        Ok(()) => Ok(None),
        Err(e) => {
            tracing::warn!(database = %old, error = %pg(e), "the region's old database was not dropped");
            Ok(Some(old))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_stays_out_of_the_tools_command_line() {
        for url in [
            "postgres://roost:s3cr%40t@db.example:5433/region_in",
            "postgres://roost@db.example:5433/region_in?password=s3cr%40t&application_name=x",
        ] {
            let t = PgTarget::parse(url).unwrap();
            assert_eq!(t.database(), "region_in");
            let c = t.tool("pg_dump");
            let args: Vec<String> = c
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            assert!(args.iter().all(|a| !a.contains("s3cr")), "{args:?}");
            assert!(args.contains(&"--no-password".to_string()), "{args:?}");
            let env: Vec<_> = c.get_envs().collect();
            assert_eq!(
                env,
                [(
                    std::ffi::OsStr::new("PGPASSWORD"),
                    Some(std::ffi::OsStr::new("s3cr@t"))
                )]
            );
            assert!(!t.redacted().contains("s3cr"), "{}", t.redacted());
            assert!(!format!("{t:?}").contains("s3cr"));
            assert_eq!(t.redact("failed for s3cr@t"), "failed for ***");
            let other = t.with_database("region_in_restore_1");
            assert_eq!(other.database(), "region_in_restore_1");
            assert!(other.redacted().contains("/region_in_restore_1"));
            assert!(!other.redacted().contains("s3cr"));
        }
        let t = PgTarget::parse("postgres://roost@db.example").unwrap();
        assert_eq!(t.database(), "roost");
        assert!(PgTarget::parse("mysql://roost@db.example/x").is_err());
    }

    #[test]
    fn scratch_names_fit_in_an_identifier() {
        let long = "d".repeat(70);
        let n = name_with(&long, "_restore_0000abcd");
        assert_eq!(n.len(), MAX_NAME);
        assert!(n.ends_with("_restore_0000abcd"));
        assert_eq!(name_with("in", "_x"), "in_x");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
