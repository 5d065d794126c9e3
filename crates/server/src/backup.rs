//! `roost backup --to PLACE` and `roost restore --from FILE` (SQLite regions).
//!
//! A backup is one sealed file (`residency::sealed_file`: a fresh file key wrapped by the
//! region's KEK) holding a manifest, a snapshot of the database without its data keys
//! (`store::backup`) and the media files, each sealed again with its owner's data key. So
//! erasing an account (its key row goes from the live database) leaves nothing of it
//! readable in any backup, whoever holds the KEK. The place must be one the cluster file
//! lets the region keep backups in (`backups = [...]`); each backup made is recorded in
//! the region's `backups` table, which the audit checks against the cluster file.
//!
//! A restore runs with the region stopped (it takes the data dir's lock, which `serve`
//! holds), reads and authenticates the whole file before it changes anything, then
//! merges the snapshot with the live database (keys, ledger, erasure records: see
//! `store::backup`) and swaps the result in.

use crate::config::{Config, Database};
use anyhow::Context as _;
use roost_residency::keys::WrappedKey;
use roost_residency::sealed_file::{self, SealedReader, SealedWriter};
use roost_residency::{BackupPlace, Keyring};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What the plain text of a SQLite region's backup is.
pub const KIND_SQLITE: &str = "roost-backup-sqlite";
/// Held shared by every `serve` of a data dir, taken exclusively by `restore`.
const LOCK_FILE: &str = "roost.lock";

const ENTRY_MANIFEST: u8 = b'M';
const ENTRY_DATABASE: u8 = b'D';
/// A media file sealed with its owner's data key; named `OWNER:HASH`.
const ENTRY_OWNED_BLOB: u8 = b'B';
/// A media file of the region's own (custom emoji); named by its hash.
const ENTRY_REGION_BLOB: u8 = b'R';

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot open {0}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("the region is running on {0} (its lock is held); stop it first")]
    Running(PathBuf),
    #[error("a restore is running on {0}; start the region when it is done")]
    Restoring(PathBuf),
}

fn lock_file(data_dir: &Path) -> Result<std::fs::File, LockError> {
    let path = data_dir.join(LOCK_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LockError::Io(path, e))
}

/// The lock a running region holds on its data dir (shared: nodes and tests may run
/// several servers on one dir); released when the file is dropped, or the process dies.
pub fn serve_lock(data_dir: &Path) -> Result<std::fs::File, LockError> {
    use fs4::fs_std::FileExt;
    let f = lock_file(data_dir)?;
    match FileExt::try_lock_shared(&f) {
        Ok(true) => Ok(f),
        Ok(false) => Err(LockError::Restoring(data_dir.to_owned())),
        Err(e) => Err(LockError::Io(data_dir.join(LOCK_FILE), e)),
    }
}

/// The data dir to oneself, or an error if a region runs on it.
fn exclusive_lock(data_dir: &Path) -> Result<std::fs::File, LockError> {
    use fs4::fs_std::FileExt;
    let f = lock_file(data_dir)?;
    match FileExt::try_lock_exclusive(&f) {
        Ok(true) => Ok(f),
        Ok(false) => Err(LockError::Running(data_dir.to_owned())),
        Err(e) => Err(LockError::Io(data_dir.join(LOCK_FILE), e)),
    }
}

/// Where this region may keep backups: its entry's `backups` in the cluster file, or
/// without a cluster file `backups` in its data dir.
pub fn allowed_places(cfg: &Config) -> anyhow::Result<Vec<BackupPlace>> {
    match &cfg.cluster {
        Some(c) => Ok(c
            .region(&cfg.region)
            .map(|r| r.backups.clone())
            .unwrap_or_default()),
        None => Ok(vec![place_of(&cfg.data_dir.join("backups"))?]),
    }
}

/// A place as given on the command line (`dir:PATH` or a path, relative to here).
fn place_of(text: &Path) -> anyhow::Result<BackupPlace> {
    let s = text.to_string_lossy();
    let path = Path::new(s.strip_prefix("dir:").unwrap_or(&s));
    let abs = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    BackupPlace::parse(&abs.to_string_lossy()).map_err(|e| anyhow::anyhow!(e))
}

/// `to` if the cluster file allows it for this region; a clear error if not.
pub fn check_place(cfg: &Config, to: &Path) -> anyhow::Result<BackupPlace> {
    let place = place_of(to)?;
    let allowed = allowed_places(cfg)?;
    if !allowed.iter().any(|a| place.within(a)) {
        let list = if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        anyhow::bail!(
            "backup place {place} is not allowed for region {} (the cluster file allows: {list}); nothing was written",
            cfg.region
        );
    }
    Ok(place)
}

fn sqlite_only(cfg: &Config) -> anyhow::Result<()> {
    anyhow::ensure!(
        cfg.database == Database::Sqlite,
        "backups of a region on PostgreSQL are not supported yet (use the database's own \
         tools); this command backs up the SQLite file in the data dir"
    );
    Ok(())
}

/// Counts and hashes what goes through to the file.
struct Hashing<W: Write> {
    inner: W,
    sha: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn entry_head(w: &mut impl Write, kind: u8, name: &str, len: u64) -> std::io::Result<()> {
    let name_len = u16::try_from(name.len()).expect("entry names are short");
    w.write_all(&[kind])?;
    w.write_all(&name_len.to_be_bytes())?;
    w.write_all(name.as_bytes())?;
    w.write_all(&len.to_be_bytes())
}

fn entry(w: &mut impl Write, kind: u8, name: &str, data: &[u8]) -> std::io::Result<()> {
    entry_head(w, kind, name, data.len() as u64)?;
    w.write_all(data)
}

fn blob_aad(owner: i64, hash: &str) -> Vec<u8> {
    format!("roost backup blob\0{owner}\0{hash}").into_bytes()
}

fn blob_path(media: &Path, hash: &str) -> Option<PathBuf> {
    roost_core::media::is_hash(hash).then(|| media.join(&hash[0..2]).join(&hash[2..4]).join(hash))
}

/// What a backup made.
#[derive(Debug)]
pub struct Made {
    pub file: PathBuf,
    pub record: roost_store::backup::BackupRecord,
    pub blobs: usize,
}

/// `roost backup --to PLACE`: safe while the region runs.
pub async fn backup(cfg: &Config, to: &Path) -> anyhow::Result<Made> {
    sqlite_only(cfg)?;
    let place = check_place(cfg, to)?;
    let live = cfg.data_dir.join("roost.sqlite");
    anyhow::ensure!(live.is_file(), "{} does not exist", live.display());
    let keyring = crate::keys::keyring(cfg).context("opening the key-encryption key")?;
    let BackupPlace::Dir(dir) = &place;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let now = jiff::Timestamp::now();
    let name = format!(
        "roost-{}-{}-{:04x}.backup",
        cfg.region,
        now.strftime("%Y%m%dT%H%M%SZ"),
        rand::random::<u16>()
    );
    let (cfg2, keys, dir2, name2) = (cfg.clone(), keyring.clone(), dir.clone(), name.clone());
    let (sha256, size, blobs) = tokio::task::spawn_blocking(move || {
        write_backup(&cfg2, &keys, &dir2, &name2, now.as_millisecond())
    })
    .await
    .expect("writing the backup does not panic")?;
    let record = roost_store::backup::BackupRecord {
        sha256,
        made_at_ms: now.as_millisecond(),
        place: place.to_string(),
        file: name.clone(),
        size: size as i64,
    };
    let recorded = async {
        let store = crate::open_store_with(cfg, keyring).await?;
        let r = store.record_backup(&record).await;
        store.close().await;
        anyhow::Ok(r?)
    }
    .await;
    let file = dir.join(&name);
    if let Err(e) = recorded {
        // Every backup that exists is one the audit can see: no record, no file.
        let _ = std::fs::remove_file(&file);
        return Err(e.context("recording the backup (the file was removed)"));
    }
    Ok(Made {
        file,
        record,
        blobs,
    })
}

fn write_backup(
    cfg: &Config,
    keys: &Keyring,
    dir: &Path,
    name: &str,
    now_ms: i64,
) -> anyhow::Result<(String, u64, usize)> {
    let tmp = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(&cfg.data_dir)
        .context("making a scratch dir in the data dir")?;
    let snapshot = tmp.path().join("snapshot.sqlite");
    let found = roost_store::backup::snapshot_sqlite(&cfg.data_dir.join("roost.sqlite"), &snapshot)
        .context("taking a snapshot of the database")?;
    let wrapped: BTreeMap<i64, WrappedKey> = found.keys.into_iter().collect();

    let partial = dir.join(format!(".{name}.partial"));
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let result = (|| -> anyhow::Result<(String, u64, usize)> {
        let out = Hashing {
            inner: BufWriter::new(file),
            sha: Sha256::new(),
            len: 0,
        };
        let (mut w, _) = SealedWriter::new(out, keys, KIND_SQLITE, &cfg.region, now_ms)?;
        let manifest = serde_json::json!({
            "region": cfg.region,
            "made_at_ms": now_ms,
            "database": "sqlite",
            "data_keys": "none: each account's data key stays in the live database",
            "media": if cfg.media_s3.is_some() { "in the region's bucket, not in this file" } else { "included" },
        });
        entry(
            &mut w,
            ENTRY_MANIFEST,
            "manifest.json",
            &serde_json::to_vec(&manifest)?,
        )?;
        let len = std::fs::metadata(&snapshot)?.len();
        entry_head(&mut w, ENTRY_DATABASE, "roost.sqlite", len)?;
        let copied = std::io::copy(&mut std::fs::File::open(&snapshot)?, &mut w)?;
        anyhow::ensure!(copied == len, "the snapshot changed while it was copied");
        let mut blobs = 0;
        if cfg.media_s3.is_none() {
            let media = cfg.data_dir.join("media");
            for (owner, hash) in &found.blobs {
                let Some(path) = blob_path(&media, hash) else {
                    continue;
                };
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                match owner {
                    Some(owner) => {
                        let Some(wk) = wrapped.get(owner) else {
                            // No key: nothing of theirs is sealed, and no file is kept
                            // that erasing them could not shred.
                            continue;
                        };
                        let key = keys.unwrap(*owner, wk)?;
                        let sealed = key.seal_bytes(&bytes, &blob_aad(*owner, hash));
                        entry(
                            &mut w,
                            ENTRY_OWNED_BLOB,
                            &format!("{owner}:{hash}"),
                            &sealed,
                        )?;
                    }
                    None => entry(&mut w, ENTRY_REGION_BLOB, hash, &bytes)?,
                }
                blobs += 1;
            }
        }
        let mut out = w.finish()?;
        out.flush()?;
        let file = out.inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((hex::encode(out.sha.finalize()), out.len, blobs))
    })();
    match result {
        Ok(r) => {
            std::fs::rename(&partial, dir.join(name))?;
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub region: String,
    pub made_at_ms: i64,
    pub erased_again: Vec<i64>,
    pub blobs: usize,
}

struct ReadBack {
    region: String,
    made_at_ms: i64,
    /// (owner, hash) -> the file in the scratch dir (still sealed with the owner's key).
    owned: BTreeMap<(i64, String), PathBuf>,
    region_blobs: BTreeMap<String, PathBuf>,
}

fn read_u<const N: usize>(r: &mut impl Read) -> std::io::Result<Option<[u8; N]>> {
    let mut b = [0u8; N];
    let mut got = 0;
    while got < N {
        match r.read(&mut b[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(Some(b))
}

/// Reads the whole backup into `scratch`, every chunk authenticated, before anything of
/// the region is changed.
fn read_backup(
    cfg: &Config,
    keys: &Keyring,
    from: &Path,
    scratch: &Path,
) -> anyhow::Result<ReadBack> {
    let file = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut r = SealedReader::open(BufReader::new(file), keys)
        .with_context(|| format!("{} cannot be opened", from.display()))?;
    let header = r.header().clone();
    anyhow::ensure!(
        header.kind == KIND_SQLITE,
        "{} is a {:?} file, not a backup of a SQLite region",
        from.display(),
        header.kind
    );
    anyhow::ensure!(
        header.region == cfg.region,
        "{} is a backup of region {}, not of {}",
        from.display(),
        header.region,
        cfg.region
    );
    let mut back = ReadBack {
        region: header.region.clone(),
        made_at_ms: header.created_at_ms,
        owned: BTreeMap::new(),
        region_blobs: BTreeMap::new(),
    };
    let mut database = false;
    let mut n = 0u64;
    let bad = |what: &str| anyhow::anyhow!("{} is not a valid backup: {what}", from.display());
    loop {
        let read = (|| -> std::io::Result<Option<(u8, String, u64)>> {
            let Some([kind]) = read_u::<1>(&mut r)? else {
                return Ok(None);
            };
            let name_len = read_u::<2>(&mut r)?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
            let mut name = vec![0u8; u16::from_be_bytes(name_len) as usize];
            r.read_exact(&mut name)?;
            let len = read_u::<8>(&mut r)?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
            Ok(Some((
                kind,
                String::from_utf8_lossy(&name).into_owned(),
                u64::from_be_bytes(len),
            )))
        })()
        .map_err(|e| sealed_or(e, from))?;
        let Some((kind, name, len)) = read else { break };
        n += 1;
        let target = match kind {
            ENTRY_MANIFEST => None,
            ENTRY_DATABASE => {
                database = true;
                Some(scratch.join("restored.sqlite"))
            }
            ENTRY_OWNED_BLOB => {
                let (owner, hash) = name.split_once(':').ok_or_else(|| bad("a blob name"))?;
                let owner: i64 = owner.parse().map_err(|_| bad("a blob owner"))?;
                if !roost_core::media::is_hash(hash) {
                    return Err(bad("a blob hash"));
                }
                let p = scratch.join(format!("blob-{n}"));
                back.owned.insert((owner, hash.to_owned()), p.clone());
                Some(p)
            }
            ENTRY_REGION_BLOB => {
                if !roost_core::media::is_hash(&name) {
                    return Err(bad("a blob hash"));
                }
                let p = scratch.join(format!("blob-{n}"));
                back.region_blobs.insert(name.clone(), p.clone());
                Some(p)
            }
            _ => return Err(bad("an unknown entry")),
        };
        let mut part = (&mut r).take(len);
        let copied = match &target {
            Some(p) => std::io::copy(&mut part, &mut std::fs::File::create(p)?),
            None => std::io::copy(&mut part, &mut std::io::sink()),
        }
        .map_err(|e| sealed_or(e, from))?;
        if copied != len {
            return Err(bad("an entry is cut short"));
        }
    }
    anyhow::ensure!(database, "{} holds no database", from.display());
    Ok(back)
}

/// The sealed file's own error (altered, cut short) when that is what the I/O error is.
fn sealed_or(e: std::io::Error, from: &Path) -> anyhow::Error {
    match sealed_file::sealed_error(&e) {
        Some(s) => anyhow::anyhow!("{} cannot be restored: {s}", from.display()),
        None => anyhow::Error::new(e).context(format!("reading {}", from.display())),
    }
}

/// `roost restore --from FILE`: the region must be stopped. `live` is the database whose
/// keys, ledger and erasure records are kept (the data dir's own by default).
pub async fn restore(cfg: &Config, from: &Path, live: Option<&Path>) -> anyhow::Result<Restored> {
    sqlite_only(cfg)?;
    crate::keys::create_private_dir(&cfg.data_dir)?;
    let _lock = exclusive_lock(&cfg.data_dir)?;
    let keyring = crate::keys::keyring(cfg).context("opening the key-encryption key")?;
    let target = cfg.data_dir.join("roost.sqlite");
    let live = live
        .map(Path::to_path_buf)
        .unwrap_or_else(|| target.clone());
    anyhow::ensure!(
        live.is_file(),
        "no live database at {}: a backup holds no data keys, so without the live ones \
         nothing sealed in it can be read (name the region's database with --live)",
        live.display()
    );
    anyhow::ensure!(
        live == target || !target.exists(),
        "{} already holds a database; restore into it without --live, or into an empty data dir",
        cfg.data_dir.display()
    );
    let scratch = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(&cfg.data_dir)
        .context("making a scratch dir in the data dir")?;
    let back = {
        let (cfg, keys, from, dir) = (
            cfg.clone(),
            keyring.clone(),
            from.to_owned(),
            scratch.path().to_owned(),
        );
        tokio::task::spawn_blocking(move || read_backup(&cfg, &keys, &from, &dir))
            .await
            .expect("reading the backup does not panic")?
    };
    let restored = scratch.path().join("restored.sqlite");
    let merged = roost_store::backup::merge_sqlite(&restored, &live, keyring.clone())
        .await
        .context("merging the backup with the live database")?;

    // Only files rows still name, each opened with its owner's live key.
    let keys: BTreeMap<i64, WrappedKey> = merged.keys_and_blobs.keys.into_iter().collect();
    let wanted: BTreeSet<(Option<i64>, String)> = merged.keys_and_blobs.blobs.into_iter().collect();
    let mut files: Vec<Vec<u8>> = Vec::new();
    for (owner, hash) in &wanted {
        let bytes = match owner {
            Some(o) => {
                let (Some(path), Some(wk)) = (back.owned.get(&(*o, hash.clone())), keys.get(o))
                else {
                    continue;
                };
                let key = keyring.unwrap(*o, wk)?;
                key.open_bytes(&std::fs::read(path)?, &blob_aad(*o, hash))
                    .context("a media file of the backup does not open with its owner's key")?
            }
            None => match back.region_blobs.get(hash) {
                Some(p) => std::fs::read(p)?,
                None => continue,
            },
        };
        anyhow::ensure!(
            roost_core::media::content_hash(&bytes) == *hash,
            "a media file of the backup does not match its hash"
        );
        files.push(bytes);
    }
    let blobs = files.len();
    if cfg.media_s3.is_none() {
        let media = roost_media::FsBlobStore::new(cfg.data_dir.join("media"));
        for bytes in files {
            roost_core::media::BlobStore::put(&media, bytes).await?;
        }
    }

    // The swap: the old file (and its log) out, the merged one in.
    let side = scratch.path().join("before.sqlite");
    let had_target = target.exists();
    if had_target {
        std::fs::rename(&target, &side)?;
    }
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let _ = std::fs::remove_file(target.with_extension(ext));
    }
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let _ = std::fs::remove_file(restored.with_extension(ext));
    }
    if let Err(e) = std::fs::rename(&restored, &target) {
        if had_target {
            let _ = std::fs::rename(&side, &target);
        }
        return Err(e).context("putting the restored database in place");
    }
    if let Ok(d) = std::fs::File::open(&cfg.data_dir) {
        let _ = d.sync_all();
    }
    // The index is rebuilt from the restored store at the next start.
    let _ = std::fs::remove_dir_all(cfg.data_dir.join("search"));
    drop(scratch);
    Ok(Restored {
        region: back.region,
        made_at_ms: back.made_at_ms,
        erased_again: merged.erased,
        blobs,
    })
}
