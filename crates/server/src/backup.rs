//! `roost backup --to PLACE` and `roost restore --from FILE`.
//!
//! A backup is one sealed file (`residency::sealed_file`: a fresh file key wrapped by the
//! region's KEK) holding a manifest, a snapshot of the database without its data keys
//! (`store::backup`: a SQLite file, or on PostgreSQL `pg_dump`'s archive streamed in as it
//! is written, see `postgres`) and the media files, each sealed again with its owner's
//! data key. So
//! erasing an account (its key row goes from the live database) leaves nothing of it
//! readable in any backup, whoever holds the KEK. The place must be one the cluster file
//! lets the region keep backups in (`backups = [...]`); each backup made is recorded in
//! the region's `backups` table, which the audit checks against the cluster file.
//!
//! A restore runs with the region stopped (it takes the data dir's lock, which `serve`
//! holds), reads and authenticates the whole file before it changes anything, then
//! merges the snapshot with the live database (keys, ledger, erasure records: see
//! `store::backup`) and swaps the result in. A backup restores only into a region on the
//! database engine it was taken from.

mod postgres;

use crate::config::{Config, Database};
use anyhow::Context as _;
use roost_media::RegionBucket;
use roost_residency::keys::WrappedKey;
use roost_residency::sealed_file::{self, SealedReader, SealedWriter};
use roost_residency::{BackupPlace, Keyring};
use roost_store::backup::postgres::PgTarget;
use roost_store::backup::KeysAndBlobs;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What the plain text of a SQLite region's backup is.
pub const KIND_SQLITE: &str = "roost-backup-sqlite";
/// What the plain text of a PostgreSQL region's backup is.
pub const KIND_POSTGRES: &str = "roost-backup-postgres";
/// Held shared by every `serve` of a data dir, taken exclusively by `restore`.
const LOCK_FILE: &str = "roost.lock";

const ENTRY_MANIFEST: u8 = b'M';
const ENTRY_DATABASE: u8 = b'D';
/// A media file sealed with its owner's data key; named `OWNER:HASH`.
const ENTRY_OWNED_BLOB: u8 = b'B';
/// A media file of the region's own (custom emoji); named by its hash.
const ENTRY_REGION_BLOB: u8 = b'R';
/// A piece of `pg_dump`'s archive, in order (its length is not known before it ends).
const ENTRY_PG_DUMP: u8 = b'P';

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot open {0}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("the region is running on {0} (its lock is held); stop it first")]
    Running(PathBuf),
    #[error("a restore is running on {0}; try again when it is done")]
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
/// several servers on one dir, and `roost admin` and `roost backup` run beside them);
/// released when the file is dropped, or the process dies.
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

/// Whether a place on the command line names a bucket (`s3:...`, however misspelt after).
fn is_bucket(text: &str) -> bool {
    text.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("s3:"))
}

/// A place as given on the command line (`dir:PATH` or a path, relative to here, or
/// `s3://BUCKET/PREFIX`).
fn place_of(text: &Path) -> anyhow::Result<BackupPlace> {
    let s = text.to_string_lossy();
    if is_bucket(&s) {
        return BackupPlace::parse(&s).map_err(|e| anyhow::anyhow!(e));
    }
    let path = Path::new(s.strip_prefix("dir:").unwrap_or(&s));
    let abs = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    BackupPlace::parse(&abs.to_string_lossy()).map_err(|e| anyhow::anyhow!(e))
}

/// `to` if the cluster file allows it for this region; a clear error if not.
pub fn check_place(cfg: &Config, to: &Path) -> anyhow::Result<BackupPlace> {
    let place = place_of(to)?;
    let allowed = allowed_places(cfg)?;
    if !allowed.iter().any(|a| place.within(a)) {
        anyhow::bail!(
            "backup place {place} is not allowed for region {} (the cluster file allows: {}); nothing was written",
            cfg.region,
            allowed_list(&allowed)
        );
    }
    Ok(place)
}

fn allowed_list(allowed: &[BackupPlace]) -> String {
    if allowed.is_empty() {
        "none".to_string()
    } else {
        allowed
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The region's bucket `bucket` as the config says how to reach it (`backup_s3_*`, or the
/// media bucket's endpoint and keys).
fn backup_bucket(cfg: &Config, bucket: &str, nothing: &str) -> anyhow::Result<RegionBucket> {
    let Some(s3) = &cfg.backup_s3 else {
        anyhow::bail!(
            "backups in s3://{bucket} need the bucket's endpoint: set backup_s3_endpoint (and \
             its region and keys), or the media_s3_* settings; {nothing}"
        );
    };
    Ok(RegionBucket::new(&s3.bucket(bucket))?)
}

/// The key of `name` under `prefix` in a bucket.
fn object_key(prefix: Option<&str>, name: &str) -> String {
    match prefix {
        Some(p) => format!("{p}/{name}"),
        None => name.to_string(),
    }
}

/// The engine a backup's kind is of, as messages name it.
fn engine_of(kind: &str) -> Option<&'static str> {
    match kind {
        KIND_SQLITE => Some("SQLite"),
        KIND_POSTGRES => Some("PostgreSQL"),
        _ => None,
    }
}

fn kind_for(database: &Database) -> &'static str {
    match database {
        Database::Sqlite => KIND_SQLITE,
        Database::Postgres { .. } => KIND_POSTGRES,
    }
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
    /// Where the backup is: the file's path, or `s3://BUCKET/PREFIX/NAME`.
    pub file: String,
    pub record: roost_store::backup::BackupRecord,
    pub blobs: usize,
}

/// Where a backup is written: into the place's directory, or (for a bucket) into a
/// scratch dir in the data dir before it is uploaded.
enum Target {
    Dir(PathBuf),
    Bucket {
        bucket: Box<RegionBucket>,
        prefix: Option<String>,
        part_bytes: usize,
        scratch: tempfile::TempDir,
    },
}

/// `roost backup --to PLACE`: safe while the region runs.
pub async fn backup(cfg: &Config, to: &Path) -> anyhow::Result<Made> {
    let place = check_place(cfg, to)?;
    let pg = match &cfg.database {
        Database::Sqlite => {
            let live = cfg.data_dir.join("roost.sqlite");
            anyhow::ensure!(live.is_file(), "{} does not exist", live.display());
            None
        }
        Database::Postgres { url, .. } => {
            Some(PgTarget::parse(url).context("the region's database URL")?)
        }
    };
    let target = match &place {
        BackupPlace::Dir(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Target::Dir(dir.clone())
        }
        BackupPlace::S3 { bucket, prefix } => Target::Bucket {
            bucket: Box::new(backup_bucket(cfg, bucket, "nothing was written")?),
            prefix: prefix.clone(),
            part_bytes: cfg
                .backup_s3
                .as_ref()
                .map_or(roost_media::s3::MIN_PART_BYTES, |s| s.part_bytes),
            scratch: tempfile::Builder::new()
                .prefix(".backup-upload-")
                .tempdir_in(&cfg.data_dir)
                .context("making a scratch dir in the data dir")?,
        },
    };
    let dir = match &target {
        Target::Dir(dir) => dir.clone(),
        Target::Bucket { scratch, .. } => scratch.path().to_path_buf(),
    };
    let keyring = crate::keys::keyring(cfg).context("opening the key-encryption key")?;
    let now = jiff::Timestamp::now();
    let name = format!(
        "roost-{}-{}-{:04x}.backup",
        cfg.region,
        now.strftime("%Y%m%dT%H%M%SZ"),
        rand::random::<u16>()
    );
    let (cfg2, keys, dir2, name2) = (cfg.clone(), keyring.clone(), dir.clone(), name.clone());
    let (sha256, size, blobs) = match pg {
        None => tokio::task::spawn_blocking(move || {
            write_backup(
                &cfg2,
                &keys,
                &dir2,
                &name2,
                now.as_millisecond(),
                Source::Sqlite,
            )
        })
        .await
        .expect("writing the backup does not panic")?,
        Some(target) => {
            let mut snap = roost_store::backup::postgres::snapshot_postgres(&target)
                .await
                .with_context(|| format!("taking a snapshot of {}", target.redacted()))?;
            let source = Source::Postgres(Box::new(PgSource {
                target,
                snapshot: postgres::Snapshot {
                    id: snap.id.clone(),
                    keys_table: snap.keys_table.clone(),
                },
                found: std::mem::take(&mut snap.found),
            }));
            let written = tokio::task::spawn_blocking(move || {
                write_backup(&cfg2, &keys, &dir2, &name2, now.as_millisecond(), source)
            })
            .await
            .expect("writing the backup does not panic");
            // Held until pg_dump is done: it reads in this snapshot.
            snap.release().await;
            written?
        }
    };
    let local = dir.join(&name);
    let file = match &target {
        Target::Dir(_) => local.display().to_string(),
        Target::Bucket {
            bucket,
            prefix,
            part_bytes,
            ..
        } => {
            let key = object_key(prefix.as_deref(), &name);
            let uploaded = bucket.put_file(&key, &local, *part_bytes).await;
            // The sealed file leaves the data dir, uploaded or not.
            let _ = std::fs::remove_file(&local);
            uploaded.with_context(|| format!("uploading the backup to {place}"))?;
            format!("s3://{}/{key}", bucket.name())
        }
    };
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
    if let Err(e) = recorded {
        // Every backup that exists is one the audit can see: no record, no file.
        match &target {
            Target::Dir(_) => {
                let _ = std::fs::remove_file(&local);
            }
            Target::Bucket { bucket, prefix, .. } => {
                let _ = bucket.delete(&object_key(prefix.as_deref(), &name)).await;
            }
        }
        return Err(e.context("recording the backup (the file was removed)"));
    }
    Ok(Made {
        file,
        record,
        blobs,
    })
}

/// Where the database part of a backup comes from.
enum Source {
    /// A snapshot of the data dir's SQLite file, taken here.
    Sqlite,
    /// `pg_dump` in a snapshot the caller holds open, and the keys and blobs it sees.
    Postgres(Box<PgSource>),
}

struct PgSource {
    target: PgTarget,
    snapshot: postgres::Snapshot,
    found: KeysAndBlobs,
}

fn write_backup(
    cfg: &Config,
    keys: &Keyring,
    dir: &Path,
    name: &str,
    now_ms: i64,
    source: Source,
) -> anyhow::Result<(String, u64, usize)> {
    // SQLite's snapshot is a file; it is made in the data dir, beside the live one.
    let tmp = tempfile::Builder::new()
        .prefix(".backup-")
        .tempdir_in(&cfg.data_dir)
        .context("making a scratch dir in the data dir")?;
    let snapshot = tmp.path().join("snapshot.sqlite");
    // The dump to run on PostgreSQL (its snapshot is already taken).
    let (dump, found) = match source {
        Source::Sqlite => (
            None,
            roost_store::backup::snapshot_sqlite(&cfg.data_dir.join("roost.sqlite"), &snapshot)
                .context("taking a snapshot of the database")?,
        ),
        Source::Postgres(pg) => {
            let PgSource {
                target,
                snapshot,
                found,
            } = *pg;
            (Some((target, snapshot)), found)
        }
    };
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
        let (mut w, _) =
            SealedWriter::new(out, keys, kind_for(&cfg.database), &cfg.region, now_ms)?;
        let manifest = serde_json::json!({
            "region": cfg.region,
            "made_at_ms": now_ms,
            "database": if dump.is_some() { "postgres: pg_dump --format=custom, without the data of account_keys" } else { "sqlite" },
            "data_keys": "none: each account's data key stays in the live database",
            "media": if cfg.media_s3.is_some() { "in the region's bucket, not in this file" } else { "included" },
        });
        entry(
            &mut w,
            ENTRY_MANIFEST,
            "manifest.json",
            &serde_json::to_vec(&manifest)?,
        )?;
        match &dump {
            None => {
                let len = std::fs::metadata(&snapshot)?.len();
                entry_head(&mut w, ENTRY_DATABASE, "roost.sqlite", len)?;
                let copied = std::io::copy(&mut std::fs::File::open(&snapshot)?, &mut w)?;
                anyhow::ensure!(copied == len, "the snapshot changed while it was copied");
            }
            Some((target, snapshot)) => postgres::dump(&mut w, target, snapshot)?,
        }
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

/// Refuses a backup of another region, or of a region on another database engine: told
/// by the file's header, before its key is opened or anything is changed.
fn check_header(
    cfg: &Config,
    header: &sealed_file::SealedHeader,
    from: &Path,
) -> anyhow::Result<()> {
    let here = engine_of(kind_for(&cfg.database)).expect("a kind of ours");
    match engine_of(&header.kind) {
        None => anyhow::bail!(
            "{} is a {:?} file, not a backup of a region; nothing was changed",
            from.display(),
            header.kind
        ),
        Some(engine) if engine != here => anyhow::bail!(
            "{} is a backup of a region on {engine}, and region {} keeps its data on {here}: \
             restore it into a region on {engine}; nothing was changed",
            from.display(),
            cfg.region
        ),
        Some(_) => {}
    }
    anyhow::ensure!(
        header.region == cfg.region,
        "{} is a backup of region {}, not of {}; nothing was changed",
        from.display(),
        header.region,
        cfg.region
    );
    Ok(())
}

/// [`check_header`] on the file at `from`.
fn check_file(cfg: &Config, from: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let (header, _) = sealed_file::read_header(&mut BufReader::new(file))
        .with_context(|| format!("{} cannot be opened", from.display()))?;
    check_header(cfg, &header, from)
}

/// Writing the database of a backup failed (on PostgreSQL: `pg_restore` stopped reading).
#[derive(Debug, thiserror::Error)]
#[error("the database could not be written: {0}")]
struct DatabaseWrite(#[source] std::io::Error);

/// Copies an entry's bytes to `out`; the sealed file's errors and `out`'s told apart.
fn copy_entry(part: &mut impl Read, out: &mut dyn Write, from: &Path) -> anyhow::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut copied = 0u64;
    loop {
        let n = match part.read(&mut buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(sealed_or(e, from)),
        };
        out.write_all(&buf[..n])
            .map_err(|e| anyhow::Error::new(DatabaseWrite(e)))?;
        copied += n as u64;
    }
}

/// Reads the whole backup, every chunk authenticated, before anything of the region is
/// changed: the media into `scratch`, and the database there too (SQLite) or into `dump`
/// as it is read (PostgreSQL: `pg_restore` filling a scratch database of its own).
fn read_backup(
    cfg: &Config,
    keys: &Keyring,
    from: &Path,
    scratch: &Path,
    mut dump: Option<&mut dyn Write>,
) -> anyhow::Result<ReadBack> {
    let file = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut r = SealedReader::open(BufReader::new(file), keys)
        .with_context(|| format!("{} cannot be opened", from.display()))?;
    let header = r.header().clone();
    check_header(cfg, &header, from)?;
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
            ENTRY_DATABASE if dump.is_none() => Some(scratch.join("restored.sqlite")),
            ENTRY_PG_DUMP if dump.is_some() => None,
            ENTRY_DATABASE | ENTRY_PG_DUMP => return Err(bad("a database of another engine")),
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
        database |= matches!(kind, ENTRY_DATABASE | ENTRY_PG_DUMP);
        let mut part = (&mut r).take(len);
        let copied = match (&target, kind) {
            (Some(p), _) => copy_entry(&mut part, &mut std::fs::File::create(p)?, from)?,
            (None, ENTRY_PG_DUMP) => match dump.as_deref_mut() {
                Some(d) => copy_entry(&mut part, d, from)?,
                None => return Err(bad("a database of another engine")),
            },
            (None, _) => copy_entry(&mut part, &mut std::io::sink(), from)?,
        };
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
/// keys, ledger and erasure records are kept (the data dir's own by default; on
/// PostgreSQL always the region's database).
pub async fn restore(cfg: &Config, from: &Path, live: Option<&Path>) -> anyhow::Result<Restored> {
    crate::keys::create_private_dir(&cfg.data_dir)?;
    let _lock = exclusive_lock(&cfg.data_dir)?;
    let text = from.to_string_lossy();
    if !is_bucket(&text) {
        return restore_file(cfg, from, live).await;
    }
    // From a bucket: only one the cluster file allows, downloaded into the data dir, then
    // restored as a file is; the download goes, whatever the outcome.
    let at = BackupPlace::parse(&text).map_err(|e| anyhow::anyhow!(e))?;
    let (BackupPlace::S3 { bucket, prefix }, Some((_, name))) = (&at, at.split_file()) else {
        anyhow::bail!("{text} names no backup file: give s3://BUCKET/PREFIX/NAME");
    };
    let allowed = allowed_places(cfg)?;
    if !allowed.iter().any(|a| at.within(a)) {
        anyhow::bail!(
            "backup place {at} is not allowed for region {} (the cluster file allows: {}); \
             nothing was changed",
            cfg.region,
            allowed_list(&allowed)
        );
    }
    let key = prefix.clone().unwrap_or_default();
    let bucket = backup_bucket(cfg, bucket, "nothing was changed")?;
    let scratch = tempfile::Builder::new()
        .prefix(".restore-download-")
        .tempdir_in(&cfg.data_dir)
        .context("making a scratch dir in the data dir")?;
    let file = scratch.path().join(&name);
    let restored = async {
        let mut out = tokio::fs::File::create(&file)
            .await
            .with_context(|| format!("creating {}", file.display()))?;
        let got = bucket.get_to(&key, &mut out).await?;
        out.sync_all().await?;
        drop(out);
        anyhow::ensure!(
            got.is_some(),
            "there is no backup at {at}; nothing was changed"
        );
        restore_file(cfg, &file, live).await
    }
    .await
    .with_context(|| format!("restoring from {at}"));
    let _ = std::fs::remove_file(&file);
    drop(scratch);
    restored
}

/// [`restore`] from a file at hand.
async fn restore_file(cfg: &Config, from: &Path, live: Option<&Path>) -> anyhow::Result<Restored> {
    check_file(cfg, from)?;
    let keyring = crate::keys::keyring(cfg).context("opening the key-encryption key")?;
    match &cfg.database {
        Database::Sqlite => restore_sqlite(cfg, from, live, keyring).await,
        Database::Postgres { url, .. } => {
            anyhow::ensure!(
                live.is_none(),
                "--live names a SQLite file; a region on PostgreSQL keeps the keys, ledger and \
                 erasure records of its own database (--database-url)"
            );
            postgres::restore(cfg, url, from, keyring).await
        }
    }
}

/// The media files of the backup that rows of the restored database still name, each
/// opened with its owner's live key, put back (when the region keeps media in its data
/// dir); how many.
async fn put_back_media(
    cfg: &Config,
    keyring: &Keyring,
    back: &ReadBack,
    found: KeysAndBlobs,
) -> anyhow::Result<usize> {
    let keys: BTreeMap<i64, WrappedKey> = found.keys.into_iter().collect();
    let wanted: BTreeSet<(Option<i64>, String)> = found.blobs.into_iter().collect();
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
    Ok(blobs)
}

async fn restore_sqlite(
    cfg: &Config,
    from: &Path,
    live: Option<&Path>,
    keyring: std::sync::Arc<Keyring>,
) -> anyhow::Result<Restored> {
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
        tokio::task::spawn_blocking(move || read_backup(&cfg, &keys, &from, &dir, None))
            .await
            .expect("reading the backup does not panic")?
    };
    let restored = scratch.path().join("restored.sqlite");
    let merged = roost_store::backup::merge_sqlite(&restored, &live, keyring.clone())
        .await
        .context("merging the backup with the live database")?;

    // Only files rows still name, each opened with its owner's live key.
    let blobs = put_back_media(cfg, &keyring, &back, merged.keys_and_blobs).await?;

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
