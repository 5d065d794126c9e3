//! The SQLite engine: connections owned by threads of their own, reached by sending them
//! closures.
//!
//! - **Reads** go to a fixed pool of reader threads, each owning one read-only connection
//!   with its prepared statements cached. A use case sends one closure and gets one answer,
//!   so a page costs two thread hand-offs, not one per row (an async driver steps every row
//!   on a worker thread).
//! - **Writes** go to one writer thread, which does *group commit*: it takes every job that
//!   is queued, runs them in one transaction, each inside its own savepoint (a job that
//!   fails is rolled back alone and only its caller sees the error), commits once (one
//!   fsync for the batch) and only then answers each caller. An answer therefore always
//!   means durable, and under load many writes share one fsync. A job that arrives alone
//!   is committed at once: nothing waits for a batch to fill.
//!
//! - **Erasure** leaves no readable bytes: the writer runs with `secure_delete`, so a
//!   deleted or overwritten cell is zeroed in the page it leaves, and after a batch that
//!   deleted a row or overwrote text (see [`overwrote_text`]) it folds the WAL back and
//!   truncates it within [`SCRUB_DELAY`] (the log still holds every earlier version of
//!   the pages it rewrote).
//!
//! Hand-written because no crate pairs a synchronous SQLite binding with this batching;
//! the channels (flume) and the binding (rusqlite) are the field's usual ones.

use super::cache::{RowCache, Table};
use roost_core::cache::{Change, Invalidation};
use roost_core::store::{StoreError, StoreResult};
use roost_core::Id;
use rusqlite::types::FromSql;
use rusqlite::{Connection, OpenFlags, Row, Statement, ToSql};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::oneshot;

/// At most this many jobs share one transaction, so that one batch's answers are not held
/// back behind an unbounded queue.
const MAX_BATCH: usize = 512;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;
/// At most this long after a batch that erased something, the WAL is checkpointed and
/// truncated. Not at once: a purge or a thread's deletion is many small jobs, and one
/// checkpoint after them costs less than one per job.
pub(crate) const SCRUB_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

thread_local! {
    /// Set on the writer thread by a job (or the update hook) that erased something.
    static ERASED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called by a write job that overwrites user text in place (an edit, a profile), so that
/// the old text also leaves the WAL soon. Deleting a row needs no call: the update hook
/// sees it.
pub(crate) fn overwrote_text() {
    ERASED.with(|e| e.set(true));
}

fn take_erased() -> bool {
    ERASED.with(|e| e.replace(false))
}

/// How connections are opened.
#[derive(Debug, Clone)]
pub(crate) struct EngineConfig {
    pub synchronous_full: bool,
    pub readers: usize,
    pub write_cache_kib: i64,
    pub read_cache_kib: i64,
    /// Past this many bytes of WAL the writer checkpoints and truncates it between batches.
    pub wal_limit: u64,
    /// Set on every engine thread (`crate::sealing::keyring`).
    pub keys: Arc<roost_residency::Keyring>,
}

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

enum ReadMsg {
    Job(ReadJob),
    /// The thread closes its connection and exits (one message per thread).
    Stop,
}
/// A write job runs inside its savepoint and returns what to do once the batch's fate is
/// known: `deliver(Ok)` after the commit, `deliver(Err)` when the commit failed.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> (bool, Deliver) + Send>;

enum WriteMsg {
    Job(WriteJob),
    /// Checkpoints, closes the connection and exits.
    Stop,
}

/// The queues to the threads. [`Engine::close`] stops them; so does dropping the last
/// handle (the threads finish what was queued and exit).
pub(crate) struct Engine {
    /// Statuses and accounts by ID, invalidated by the writer after each commit.
    pub cache: Arc<RowCache>,
    reads: flume::Sender<ReadMsg>,
    readers: usize,
    writes: flume::Sender<WriteMsg>,
    threads: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// The engine's own failures (a thread that is gone, a commit that failed).
#[derive(Debug, thiserror::Error)]
pub(crate) enum EngineError {
    #[error("the store's threads have stopped")]
    Stopped,
    #[error(
        "a store job ended without an answer (it panicked, or its transaction could not begin)"
    )]
    Unanswered,
    #[error("commit failed: {0}")]
    Commit(String),
}

fn engine_err(e: EngineError) -> StoreError {
    StoreError::Backend(Box::new(e))
}

impl Engine {
    /// Opens the writer (creating the file and putting it in WAL mode), runs `migrate` on
    /// it, then opens the readers.
    pub fn open(
        path: &Path,
        cfg: &EngineConfig,
        migrate: impl FnOnce(&mut Connection) -> StoreResult<()>,
    ) -> StoreResult<Arc<Engine>> {
        let mut w = Connection::open(path).map_err(super::backend)?;
        let sync = if cfg.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        w.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
             PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{}; PRAGMA secure_delete = ON;",
            cfg.write_cache_kib
        ))
        .map_err(super::backend)?;
        w.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut w)?;
        // Every row the writer changes in a cached table, cascades included; dropped from
        // the cache once its batch is committed (see `run_batch`).
        let cache = Arc::new(RowCache::default());
        let touched: Touched = Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let touched = touched.clone();
            w.update_hook(Some(
                move |action: rusqlite::hooks::Action, _: &str, table: &str, rowid: i64| {
                    if action == rusqlite::hooks::Action::SQLITE_DELETE {
                        overwrote_text();
                    }
                    if let Some(t) = Table::named(table) {
                        touched
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((t, rowid));
                    }
                },
            ));
        }

        let (reads, read_rx) = flume::unbounded::<ReadMsg>();
        let mut threads = Vec::new();
        let (writes, write_rx) = flume::unbounded::<WriteMsg>();
        for i in 0..cfg.readers.max(1) {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(super::backend)?;
            c.execute_batch(&format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{};",
                cfg.read_cache_kib
            ))
            .map_err(super::backend)?;
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            let rx = read_rx.clone();
            let keys = cfg.keys.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("roost-db-read-{i}"))
                    .spawn(move || {
                        crate::sealing::set_thread_keyring(keys);
                        while let Ok(ReadMsg::Job(job)) = rx.recv() {
                            // A panicking job drops its answer channel (the caller sees
                            // `Unanswered`); the thread and its connection carry on.
                            let _ = catch_unwind(AssertUnwindSafe(|| job(&c)));
                        }
                    })
                    .map_err(super::backend)?,
            );
        }
        let wal_limit = cfg.wal_limit;
        let wal = {
            let mut p = path.as_os_str().to_owned();
            p.push("-wal");
            std::path::PathBuf::from(p)
        };
        let invalidate = Invalidate {
            cache: cache.clone(),
            touched,
        };
        threads.push(
            std::thread::Builder::new()
                .name("roost-db-write".into())
                .spawn({
                    let keys = cfg.keys.clone();
                    move || {
                        crate::sealing::set_thread_keyring(keys);
                        writer(w, write_rx, invalidate, wal, wal_limit)
                    }
                })
                .map_err(super::backend)?,
        );
        Ok(Arc::new(Engine {
            cache,
            reads,
            readers: cfg.readers.max(1),
            writes,
            threads: std::sync::Mutex::new(threads),
        }))
    }

    /// Runs `f` on a reader connection.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.reads
            .send(ReadMsg::Job(job))
            .map_err(|_| engine_err(EngineError::Stopped))?;
        rx.await.map_err(|_| engine_err(EngineError::Unanswered))?
    }

    /// Runs `f` on the writer inside a savepoint of the current group commit; answers once
    /// the batch is durable. An `Err` from `f` rolls back only `f`'s changes.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let job: WriteJob = Box::new(move |c| {
            let out = f(c);
            let ok = out.is_ok();
            let deliver: Deliver = Box::new(move |commit| {
                let _ = tx.send(match commit {
                    Ok(()) => out,
                    // A failed job's own error says more than the batch's.
                    Err(_) if !ok => out,
                    Err(e) => Err(engine_err(EngineError::Commit(e))),
                });
            });
            (ok, deliver)
        });
        self.writes
            .send(WriteMsg::Job(job))
            .map_err(|_| engine_err(EngineError::Stopped))?;
        rx.await.map_err(|_| engine_err(EngineError::Unanswered))?
    }

    /// Finishes every queued job, checkpoints, closes every connection and waits for the
    /// threads to exit, so the file is free for others when this returns. Jobs sent
    /// afterwards fail with `Stopped`.
    pub async fn close(&self) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for _ in 0..self.readers {
            let _ = self.reads.send(ReadMsg::Stop);
        }
        let _ = self.writes.send(WriteMsg::Stop);
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

type Touched = Arc<std::sync::Mutex<Vec<(Table, i64)>>>;

/// What the writer drops from the cache after a batch: the rows its update hook saw.
struct Invalidate {
    cache: Arc<RowCache>,
    touched: Touched,
}

impl Invalidate {
    /// After the commit (or rollback), before any answer. Rows of a rolled-back job are
    /// dropped too: one extra miss, never a stale row.
    fn run(&self) {
        let rows = std::mem::take(&mut *self.touched.lock().unwrap_or_else(|e| e.into_inner()));
        for (t, id) in rows {
            let change = match t {
                Table::Statuses => Change::Status(Id(id)),
                Table::Accounts => Change::Account(Id(id)),
            };
            self.cache.changed(&change);
        }
    }
}

/// The writer thread's loop: one batch per transaction.
fn writer(
    conn: Connection,
    rx: flume::Receiver<WriteMsg>,
    invalidate: Invalidate,
    wal: std::path::PathBuf,
    wal_limit: u64,
) {
    let mut pending: Option<WriteMsg> = None;
    // When the WAL must next be scrubbed: set by a batch that erased something.
    let mut scrub_at: Option<std::time::Instant> = None;
    loop {
        let first = match pending.take() {
            Some(m) => m,
            None => match scrub_at {
                None => match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                },
                Some(at) => match rx.recv_deadline(at) {
                    Ok(m) => m,
                    Err(flume::RecvTimeoutError::Timeout) => {
                        scrub_at = scrub(&conn);
                        continue;
                    }
                    Err(flume::RecvTimeoutError::Disconnected) => {
                        scrub(&conn);
                        return;
                    }
                },
            },
        };
        let mut jobs = match first {
            WriteMsg::Stop => {
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                    tracing::warn!(error = %e, "WAL checkpoint on close failed");
                }
                return;
            }
            WriteMsg::Job(j) => vec![j],
        };
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(WriteMsg::Job(j)) => jobs.push(j),
                Ok(m @ WriteMsg::Stop) => {
                    pending = Some(m);
                    break;
                }
                Err(_) => break,
            }
        }
        run_batch(&conn, jobs, &invalidate);
        if take_erased() && scrub_at.is_none() {
            scrub_at = Some(std::time::Instant::now() + SCRUB_DELAY);
        }
        if scrub_at.is_some_and(|at| at <= std::time::Instant::now()) {
            scrub_at = scrub(&conn);
        }
        // SQLite's own checkpoints at commit copy frames but can start the log over only at
        // a moment no reader needs it, which back-to-back batches under load never leave:
        // the log grew to hundreds of MiB under the kill test, and recovering it after a
        // crash took ~0.5 s. So past the limit, fold it back and truncate it here; this
        // waits (busy timeout) for readers to leave the log while writes queue.
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > wal_limit) {
            if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    }
}

/// Folds the WAL into the database file and truncates it, so that earlier versions of
/// erased pages are gone from both (the file's pages were zeroed by `secure_delete`).
/// Waits (busy timeout) for readers to leave the log. Returns when to try again if a
/// reader held on past that.
fn scrub(conn: &Connection) -> Option<std::time::Instant> {
    let busy = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    match busy {
        Ok(0) => None,
        Ok(_) => {
            tracing::warn!("WAL scrub after an erasure was blocked by a reader; retrying");
            Some(std::time::Instant::now() + SCRUB_DELAY)
        }
        Err(e) => {
            tracing::warn!(error = %e, "WAL scrub after an erasure failed; retrying");
            Some(std::time::Instant::now() + SCRUB_DELAY)
        }
    }
}

fn run_batch(conn: &Connection, mut jobs: Vec<WriteJob>, invalidate: &Invalidate) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // The jobs never ran; dropping them answers each caller with `Unanswered`.
        tracing::error!(error = %e, "could not begin a write transaction");
        drop(jobs);
        return;
    }
    if jobs.len() == 1 {
        // Alone, a job needs no savepoint: the transaction is its undo. (A savepoint keeps
        // the original of every page the job changes; for a fan-out to 100k followers
        // that is ~25k pages.)
        let job = jobs.pop().expect("one job");
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok((true, deliver)) => commit(conn, vec![deliver], invalidate),
            Ok((false, deliver)) => {
                let _ = conn.execute_batch("ROLLBACK");
                invalidate.run();
                // Answers with the job's own error.
                deliver(Ok(()));
            }
            Err(_) => {
                let _ = conn.execute_batch("ROLLBACK");
                invalidate.run();
            }
        }
        return;
    }
    let mut delivers = Vec::with_capacity(jobs.len());
    for job in jobs {
        let ran = conn.execute_batch("SAVEPOINT job").and_then(|()| {
            match catch_unwind(AssertUnwindSafe(|| job(conn))) {
                Ok((true, deliver)) => {
                    delivers.push(deliver);
                    conn.execute_batch("RELEASE job")
                }
                Ok((false, deliver)) => {
                    delivers.push(deliver);
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")
                }
                // The job's answer channel is gone with it; undo what it did.
                Err(_) => conn.execute_batch("ROLLBACK TO job; RELEASE job"),
            }
        });
        if let Err(e) = ran {
            // The savepoint machinery itself failed: the transaction cannot be trusted.
            tracing::error!(error = %e, "savepoint failed; the batch is rolled back");
            let _ = conn.execute_batch("ROLLBACK");
            invalidate.run();
            for d in delivers {
                d(Err(e.to_string()));
            }
            return;
        }
    }
    commit(conn, delivers, invalidate);
}

/// Commits the batch, drops what it changed from the cache, then answers every job.
fn commit(conn: &Connection, delivers: Vec<Deliver>, invalidate: &Invalidate) {
    let committed = conn.execute_batch("COMMIT");
    if committed.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    invalidate.run();
    match committed {
        Ok(()) => {
            for d in delivers {
                d(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "group commit failed; the batch is rolled back");
            for d in delivers {
                d(Err(e.to_string()));
            }
        }
    }
}

// --- Statements -----------------------------------------------------------------------

/// Binds `args` to a prepared statement. Placeholders are written `$1`, `$2`, … (as in
/// PostgreSQL); SQLite numbers named parameters by first appearance, so each is bound by
/// the number in its name, and one argument may be used several times.
fn bind(st: &mut Statement<'_>, args: &[&dyn ToSql]) -> rusqlite::Result<()> {
    for i in 1..=st.parameter_count() {
        let n = match st.parameter_name(i) {
            Some(name) => name
                .strip_prefix(['$', '?'])
                .and_then(|d| d.parse::<usize>().ok())
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?,
            None => i,
        };
        let a = args
            .get(n.wrapping_sub(1))
            .ok_or(rusqlite::Error::InvalidParameterCount(n, args.len()))?;
        st.raw_bind_parameter(i, a)?;
    }
    Ok(())
}

/// Runs a statement that returns no rows; the number of rows changed.
pub(crate) fn exec(c: &Connection, sql: &str, args: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    let mut st = c.prepare_cached(sql)?;
    bind(&mut st, args)?;
    st.raw_execute()
}

/// Every row, decoded by `f`.
pub(crate) fn rows<T>(
    c: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    mut f: impl FnMut(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut st = c.prepare_cached(sql).map_err(super::backend)?;
    bind(&mut st, args).map_err(super::backend)?;
    let mut rs = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rs.next().map_err(super::backend)? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The first row, if any, decoded by `f`.
pub(crate) fn row<T>(
    c: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    f: impl FnOnce(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut st = c.prepare_cached(sql).map_err(super::backend)?;
    bind(&mut st, args).map_err(super::backend)?;
    let mut rs = st.raw_query();
    match rs.next().map_err(super::backend)? {
        Some(r) => f(r).map(Some),
        None => Ok(None),
    }
}

/// The first column of the first row, if there is a row.
pub(crate) fn scalar<T: FromSql>(
    c: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
) -> StoreResult<Option<T>> {
    row(c, sql, args, |r| r.get::<_, T>(0).map_err(super::backend))
}

/// Decodes a column by position (for the hot decoders, whose column lists are constants).
pub(crate) fn at<T: FromSql>(row: &Row<'_>, i: usize) -> StoreResult<T> {
    row.get::<_, T>(i).map_err(super::backend)
}

/// Decodes a column by name.
pub(crate) fn get<T: FromSql>(row: &Row<'_>, col: &str) -> StoreResult<T> {
    row.get::<_, T>(col).map_err(super::backend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn open(dir: &Path) -> Arc<Engine> {
        let cfg = EngineConfig {
            synchronous_full: true,
            readers: 2,
            write_cache_kib: 1024,
            read_cache_kib: 1024,
            wal_limit: 256 << 10,
            keys: Arc::new(roost_residency::Keyring::ephemeral()),
        };
        Engine::open(&dir.join("t.sqlite"), &cfg, |c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
                .map_err(super::super::backend)
        })
        .unwrap()
    }

    #[test]
    fn placeholders_bind_by_number_not_by_position() {
        let c = Connection::open_in_memory().unwrap();
        let got: Option<String> =
            scalar(&c, "SELECT $2 || '-' || $1 || '-' || $2", &[&"a", &"b"]).unwrap();
        assert_eq!(got.as_deref(), Some("b-a-b"));
        let missing = scalar::<String>(&c, "SELECT $3", &[&"a"]);
        assert!(missing.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_fails_alone_and_the_others_commit() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path());
        // Many concurrent jobs so that batches form; every third one fails after writing.
        let mut tasks = Vec::new();
        for k in 0..300i64 {
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                e.write(move |c| {
                    exec(c, "INSERT INTO t (k, v) VALUES ($1, 'x')", &[&k])
                        .map_err(super::super::backend)?;
                    if k % 3 == 0 {
                        return Err(StoreError::Conflict("test"));
                    }
                    Ok(k)
                })
                .await
            }));
        }
        for (k, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap();
            assert_eq!(r.is_ok(), k % 3 != 0, "job {k}: {r:?}");
        }
        let stored: Vec<i64> = e
            .read(|c| rows(c, "SELECT k FROM t ORDER BY k", &[], |r| get(r, "k")))
            .await
            .unwrap();
        let want: Vec<i64> = (0..300).filter(|k| k % 3 != 0).collect();
        assert_eq!(stored, want);
        // A job alone in its transaction (no savepoint) is undone the same way.
        let alone = e
            .write(|c| -> StoreResult<()> {
                exec(c, "INSERT INTO t (k, v) VALUES (1000, 'x')", &[])
                    .map_err(super::super::backend)?;
                Err(StoreError::Conflict("alone"))
            })
            .await;
        assert!(matches!(alone, Err(StoreError::Conflict("alone"))));
        let n: i64 = e
            .read(|c| {
                scalar(c, "SELECT COUNT(*) FROM t WHERE k = 1000", &[]).map(|v| v.unwrap_or(0))
            })
            .await
            .unwrap();
        assert_eq!(n, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_is_undone_and_the_engine_keeps_working() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path());
        let r = e
            .write(|c| -> StoreResult<()> {
                exec(c, "INSERT INTO t (k, v) VALUES (1, 'x')", &[]).unwrap();
                panic!("boom")
            })
            .await;
        assert!(r.is_err());
        let r = e.read(|_| -> StoreResult<()> { panic!("boom") }).await;
        assert!(r.is_err());
        e.write(|c| {
            exec(c, "INSERT INTO t (k, v) VALUES (2, 'y')", &[]).map_err(super::super::backend)
        })
        .await
        .unwrap();
        let n: i64 = e
            .read(|c| scalar(c, "SELECT COUNT(*) FROM t", &[]).map(|v| v.unwrap_or(0)))
            .await
            .unwrap();
        assert_eq!(n, 1, "the panicking job's insert was rolled back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path());
        let commits = Arc::new(AtomicUsize::new(0));
        // Count transactions through SQLite's commit hook on the writer.
        let hook = commits.clone();
        e.write(move |c| {
            c.commit_hook(Some(move || {
                hook.fetch_add(1, Ordering::Relaxed);
                false
            }));
            Ok(())
        })
        .await
        .unwrap();
        let mut tasks = Vec::new();
        for k in 0..400i64 {
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                e.write(move |c| {
                    exec(c, "INSERT INTO t (k, v) VALUES ($1, 'x')", &[&k])
                        .map_err(super::super::backend)
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let n = commits.load(Ordering::Relaxed);
        assert!((1..400).contains(&n), "400 writes took {n} commits");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn close_finishes_writes_and_frees_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path());
        e.read(|_| Ok(())).await.unwrap();
        let pending = {
            let e = e.clone();
            tokio::spawn(async move {
                e.write(|c| {
                    exec(c, "INSERT INTO t (k, v) VALUES (1, 'x')", &[])
                        .map_err(super::super::backend)
                })
                .await
            })
        };
        pending.await.unwrap().unwrap();
        e.close().await;
        assert!(e.read(|_| Ok(())).await.is_err(), "closed: no more jobs");
        // Nobody holds the file: an exclusive lock is granted at once, and the WAL was
        // folded into the main file.
        let c = Connection::open(dir.path().join("t.sqlite")).unwrap();
        c.execute_batch("PRAGMA busy_timeout = 0; BEGIN EXCLUSIVE; COMMIT;")
            .unwrap();
        let wal = dir.path().join("t.sqlite-wal");
        assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_reads_and_writes() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Readers that never pause keep SQLite's own checkpoints from starting the log over.
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (e, stop) = (e.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        e.read(|c| scalar::<i64>(c, "SELECT COUNT(*) FROM t", &[]))
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        let mut biggest = 0;
        let wal = dir.path().join("t.sqlite-wal");
        for k in 0..400i64 {
            e.write(move |c| {
                exec(
                    c,
                    "INSERT INTO t (k, v) VALUES ($1, $2)",
                    &[&k, &"x".repeat(8000)],
                )
                .map_err(super::super::backend)
            })
            .await
            .unwrap();
            biggest = biggest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.await.unwrap();
        }
        // 400 × 8 KB went through a WAL limited to 256 KiB (plus one batch).
        assert!(biggest < 1 << 20, "the WAL reached {biggest} bytes");
    }
}
