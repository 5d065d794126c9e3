//! Which store the test servers run on. By default each has its SQLite file; with
//! `ROOST_TEST_BACKEND=postgres` each gets a PostgreSQL database of its own on
//! `ROOST_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`), so the
//! same HTTP tests run against both backends. A server that is restarted finds its
//! database again through a file in its directory naming it.
//!
//! Databases are named after the test process; each run drops those of runs whose
//! process is gone (a test cannot drop its own on the way out: nothing async runs then).

use roost_server::config::Database;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::OnceCell;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PREFIX: &str = "roost_it_";

pub fn postgres() -> bool {
    std::env::var("ROOST_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}

fn server_url() -> String {
    std::env::var("ROOST_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

async fn admin() -> tokio_postgres::Client {
    let url = server_url();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("ROOST_TEST_BACKEND=postgres but no PostgreSQL at {url}: {e}"));
    tokio::spawn(conn);
    client
}

/// Drops the databases of earlier runs whose process has ended.
async fn sweep_old(client: &tokio_postgres::Client) {
    let rows = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'roost\\_it\\_%'",
            &[],
        )
        .await
        .expect("list databases");
    for r in rows {
        let name: String = r.get(0);
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
        let alive = !pid.is_empty() && Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// The database named in `marker`, or a new one (written to `marker`) when there is none.
pub async fn database_for(marker: &Path) -> Database {
    if !postgres() {
        return Database::Sqlite;
    }
    database_for_any(marker).await
}

async fn database_for_any(marker: &Path) -> Database {
    if let Ok(url) = std::fs::read_to_string(marker) {
        return Database::Postgres {
            url,
            max_connections: 4,
        };
    }
    let url = create_database(admin().await).await;
    std::fs::write(marker, &url).expect("write the database marker");
    Database::Postgres {
        url,
        max_connections: 4,
    }
}

/// A new PostgreSQL database whatever the backend, for tests that need one (several
/// nodes on one database); None, said SKIPPED, when no server answers outside CI.
pub async fn own_database() -> Option<String> {
    let url = server_url();
    let client = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
        Ok((client, conn)) => {
            tokio::spawn(conn);
            client
        }
        Err(e) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set and there is no PostgreSQL at {url}: {e}")
        }
        Err(e) => {
            println!("SKIPPED: no PostgreSQL at {url} ({e})");
            return None;
        }
    };
    Some(create_database(client).await)
}

async fn create_database(client: tokio_postgres::Client) -> String {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    SWEPT.get_or_init(|| sweep_old(&client)).await;
    let name = format!(
        "{PREFIX}{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    // As the store's own suite: commits answered before they are flushed; durability on
    // power loss is not what these tests are about.
    for sql in [
        format!("CREATE DATABASE {name}"),
        format!("ALTER DATABASE {name} SET synchronous_commit = off"),
    ] {
        client
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let mut url = url::Url::parse(&server_url()).expect("ROOST_TEST_POSTGRES is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The raw bytes of every file of the database at `url` (its tables, indexes, TOAST and
/// free space alike), read from the server's data directory after a checkpoint. The
/// server runs on this machine in the tests, so its files can be read like a data dir.
pub async fn database_files(url: &str) -> Vec<u8> {
    let client = admin().await;
    client
        .batch_execute("CHECKPOINT")
        .await
        .expect("checkpoint");
    let name = url.rsplit('/').next().unwrap_or_default();
    let row = client
        .query_one(
            "SELECT current_setting('data_directory'), oid::text FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .expect("the database's directory");
    let (data, oid): (String, String) = (row.get(0), row.get(1));
    let dir = Path::new(&data).join("base").join(oid);
    let mut out = Vec::new();
    for f in crate::support::walk(&dir) {
        out.extend(std::fs::read(f).unwrap_or_default());
    }
    assert!(!out.is_empty(), "no files read under {}", dir.display());
    out
}

/// A value bound into a raw statement.
pub enum Val {
    I(i64),
    T(String),
    B(Vec<u8>),
}

/// A region's database opened behind roost's back, to plant or alter rows as an
/// intruder (or a bug) would; the SQL is written once for both backends (`$n` binds).
pub enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Pg(tokio_postgres::Client),
}

impl RawDb {
    pub async fn open(data_dir: &Path, postgres_url: Option<&String>) -> RawDb {
        match postgres_url {
            Some(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the region's database");
                tokio::spawn(conn);
                RawDb::Pg(client)
            }
            None => {
                let url = format!("sqlite://{}", data_dir.join("roost.sqlite").display());
                RawDb::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap())
            }
        }
    }

    pub async fn exec(&self, sql: &str, vals: &[Val]) {
        match self {
            RawDb::Sqlite(pool) => {
                let mut q = sqlx::query(sql);
                for v in vals {
                    q = match v {
                        Val::I(i) => q.bind(*i),
                        Val::T(t) => q.bind(t.clone()),
                        Val::B(b) => q.bind(b.clone()),
                    };
                }
                q.execute(pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            RawDb::Pg(c) => {
                c.execute(sql, &pg_params(vals))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            }
        }
    }

    pub async fn i64(&self, sql: &str, vals: &[Val]) -> i64 {
        match self {
            RawDb::Sqlite(pool) => {
                let mut q = sqlx::query_scalar::<_, i64>(sql);
                for v in vals {
                    if let Val::I(i) = v {
                        q = q.bind(*i);
                    }
                }
                q.fetch_one(pool).await.unwrap()
            }
            RawDb::Pg(c) => c.query_one(sql, &pg_params(vals)).await.unwrap().get(0),
        }
    }

    pub async fn bytes(&self, sql: &str, vals: &[Val]) -> Vec<u8> {
        match self {
            RawDb::Sqlite(pool) => {
                let mut q = sqlx::query_scalar::<_, Vec<u8>>(sql);
                for v in vals {
                    if let Val::I(i) = v {
                        q = q.bind(*i);
                    }
                }
                q.fetch_one(pool).await.unwrap()
            }
            RawDb::Pg(c) => c.query_one(sql, &pg_params(vals)).await.unwrap().get(0),
        }
    }

    /// A text column of every row the query returns (integer binds only).
    pub async fn texts(&self, sql: &str, vals: &[Val]) -> Vec<String> {
        match self {
            RawDb::Sqlite(pool) => {
                let mut q = sqlx::query_scalar::<_, String>(sql);
                for v in vals {
                    if let Val::I(i) = v {
                        q = q.bind(*i);
                    }
                }
                q.fetch_all(pool).await.unwrap()
            }
            RawDb::Pg(c) => c
                .query(sql, &pg_params(vals))
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect(),
        }
    }

    /// `(account_id, kek_id, wrapped)` of every data key.
    pub async fn key_rows(&self) -> Vec<(i64, String, Vec<u8>)> {
        let sql = "SELECT account_id, kek_id, wrapped FROM account_keys";
        match self {
            RawDb::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
            RawDb::Pg(c) => c
                .query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
        }
    }

    /// `(owner, text)` rows of a query of two columns.
    pub async fn owned_texts(&self, sql: &str) -> Vec<(i64, String)> {
        match self {
            RawDb::Sqlite(pool) => sqlx::query_as(sql)
                .fetch_all(pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            RawDb::Pg(c) => c
                .query(sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
        }
    }

    pub async fn close(self) {
        if let RawDb::Sqlite(p) = self {
            p.close().await;
        }
    }
}

fn pg_params(vals: &[Val]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    vals.iter()
        .map(|v| match v {
            Val::I(i) => i as &(dyn tokio_postgres::types::ToSql + Sync),
            Val::T(t) => t,
            Val::B(b) => b,
        })
        .collect()
}

/// The HTTP test groups the PostgreSQL backend must pass as SQLite does, run again by this
/// test in a child process of this same binary with `ROOST_TEST_BACKEND=postgres`, so that
/// the one test command covers both backends. (Test names match by substring:
/// `regions::` also takes `polls_regions::` and `profiles_regions::`.)
const ON_POSTGRES: [&str; 13] = [
    "regions::",
    "timelines::",
    "statuses::",
    "notifications::",
    "visibility::",
    "sealing::posts_",
    "backup::",
    "erasure_restore::",
    "move_home::moves_left_unfinished",
    "move_home::an_unfinished_move",
    "move_home::moved_posts_keep_their_polls",
    "move_home::a_move_answered",
    "move_home::a_repeated_move",
];

#[test]
fn the_http_groups_pass_on_postgres() {
    if postgres() {
        return; // This is the child run.
    }
    let url = server_url();
    let reachable = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .is_ok()
            })
    })
    .join()
    .unwrap();
    if !reachable {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(
            !ci,
            "CI is set and there is no PostgreSQL at {}",
            server_url()
        );
        println!("SKIPPED: no PostgreSQL at {}", server_url());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(ON_POSTGRES)
        .env("ROOST_TEST_BACKEND", "postgres")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or("no summary");
    assert!(
        out.status.success(),
        "on PostgreSQL: {summary}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A filter that matched nothing would pass without testing anything.
    let passed: usize = summary
        .split(';')
        .find_map(|p| {
            p.trim()
                .strip_prefix("test result: ok. ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    assert!(passed >= 40, "on PostgreSQL: {summary}");
    println!("on PostgreSQL: {summary}");
}
