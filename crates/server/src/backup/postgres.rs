//! The PostgreSQL side of `roost backup` / `roost restore`: `pg_dump`'s archive streamed
//! into the sealed file as it is written, and out of it into `pg_restore` as it is read,
//! so no plain dump is ever a file. The database work (snapshot, scratch database, merge,
//! swap) is `store::backup::postgres`.

use super::{entry, put_back_media, read_backup, DatabaseWrite, Restored, ENTRY_PG_DUMP};
use crate::config::Config;
use anyhow::Context as _;
use roost_residency::Keyring;
use roost_store::backup::postgres::{self as pg, PgTarget};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;

/// The snapshot `pg_dump` reads in (`store::backup::postgres::PgSnapshot`, held open by
/// the caller).
pub(super) struct Snapshot {
    pub id: String,
    pub keys_table: String,
}

/// Plain text of the archive per entry: what is held in memory at once.
const PIECE: usize = 1 << 20;

/// Collects a child's stderr on a thread of its own (a full pipe would stall it).
fn drain(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut err = child.stderr.take();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_string(&mut text);
        }
        text
    })
}

fn said(target: &PgTarget, stderr: std::thread::JoinHandle<String>) -> String {
    target.redact(stderr.join().unwrap_or_default().trim())
}

/// Reads until `buf` is full or the stream ends; how much was read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Runs `pg_dump` in `snapshot` and writes its archive into `w` (the sealed writer), a
/// piece at a time. The data of `account_keys` stays out, as SQLite's snapshot leaves it.
pub(super) fn dump(w: &mut impl Write, target: &PgTarget, snap: &Snapshot) -> anyhow::Result<()> {
    let mut child = target
        .tool("pg_dump")
        .arg("--format=custom")
        .arg(format!("--exclude-table-data={}", snap.keys_table))
        .arg(format!("--snapshot={}", snap.id))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running pg_dump (PostgreSQL's client tools must be installed)")?;
    let stderr = drain(&mut child);
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut buf = vec![0u8; PIECE];
    let mut total = 0usize;
    let copied = (|| -> anyhow::Result<()> {
        loop {
            let n = fill(&mut out, &mut buf).context("reading pg_dump's output")?;
            if n == 0 {
                return Ok(());
            }
            entry(w, ENTRY_PG_DUMP, "roost.pgdump", &buf[..n])?;
            total += n;
        }
    })();
    if copied.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().context("waiting for pg_dump")?;
    let text = said(target, stderr);
    copied?;
    anyhow::ensure!(
        status.success(),
        "pg_dump of {} failed ({status}): {text}",
        target.redacted()
    );
    anyhow::ensure!(total > 0, "pg_dump of {} wrote nothing", target.redacted());
    Ok(())
}

/// Reads the whole backup, its archive into `pg_restore` filling `scratch`.
fn read_into(
    cfg: &Config,
    keys: &Keyring,
    from: &Path,
    dir: &Path,
    scratch: &PgTarget,
) -> anyhow::Result<super::ReadBack> {
    let mut child = scratch
        .tool("pg_restore")
        .args(["--no-owner", "--no-privileges", "--exit-on-error"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running pg_restore (PostgreSQL's client tools must be installed)")?;
    let stderr = drain(&mut child);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let read = read_backup(cfg, keys, from, dir, Some(&mut stdin));
    drop(stdin);
    match read {
        Ok(back) => {
            let status = child.wait().context("waiting for pg_restore")?;
            let text = said(scratch, stderr);
            anyhow::ensure!(status.success(), "pg_restore failed ({status}): {text}");
            Ok(back)
        }
        Err(e) if e.downcast_ref::<DatabaseWrite>().is_some() => {
            // pg_restore stopped reading: what it said is the reason.
            let status = child.wait();
            let text = said(scratch, stderr);
            Err(e.context(format!("pg_restore failed ({status:?}): {text}")))
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// `roost restore` for a region on PostgreSQL: the archive restored into a scratch
/// database, merged with the live one, then swapped in; on any failure the scratch
/// database is dropped and the live one is as it was.
pub(super) async fn restore(
    cfg: &Config,
    url: &str,
    from: &Path,
    keyring: Arc<Keyring>,
) -> anyhow::Result<Restored> {
    let live = PgTarget::parse(url).context("the region's database URL")?;
    pg::check_stopped(&live)
        .await
        .with_context(|| format!("checking {}", live.redacted()))?;
    let dir = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(&cfg.data_dir)
        .context("making a scratch dir in the data dir")?;
    let scratch = pg::create_scratch(&live)
        .await
        .with_context(|| format!("creating a scratch database beside {}", live.redacted()))?;
    let done = async {
        let back = {
            let (cfg, keys, from, dir, scratch) = (
                cfg.clone(),
                keyring.clone(),
                from.to_owned(),
                dir.path().to_owned(),
                scratch.clone(),
            );
            tokio::task::spawn_blocking(move || read_into(&cfg, &keys, &from, &dir, &scratch))
                .await
                .expect("reading the backup does not panic")?
        };
        let merged = pg::merge_postgres(&scratch, &live, keyring.clone())
            .await
            .context("merging the backup with the live database")?;
        let blobs = put_back_media(cfg, &keyring, &back, merged.keys_and_blobs).await?;
        let left = pg::swap_in(&scratch, &live)
            .await
            .context("putting the restored database in place")?;
        if let Some(old) = left {
            eprintln!(
                "warning: the region's database before the restore is kept as {old}; drop it"
            );
        }
        anyhow::Ok(Restored {
            region: back.region,
            made_at_ms: back.made_at_ms,
            erased_again: merged.erased,
            blobs,
        })
    }
    .await;
    match done {
        Ok(r) => {
            // The index is rebuilt from the restored store at the next start.
            let _ = std::fs::remove_dir_all(cfg.data_dir.join("search"));
            Ok(r)
        }
        Err(e) => {
            if let Err(d) = pg::drop_database(&scratch).await {
                tracing::warn!(database = %scratch.database(), error = %d, "scratch database not dropped");
            }
            Err(e)
        }
    }
}
