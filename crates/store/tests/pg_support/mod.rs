//! A throwaway PostgreSQL database per test, shared by the PostgreSQL test files.
//!
//! The server is `ROOST_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`;
//! the user must be allowed to create databases). Without a reachable server the tests say
//! SKIPPED and pass, except under CI (`CI` set), where they fail.

use roost_store::{PgOptions, PgStore};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn server_url() -> String {
    std::env::var("ROOST_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Under CI a missing server is a failure, never a skip.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A database of one test's own, dropped (its connections ended) when the test is done.
pub struct TestDb {
    server: String,
    pub url: String,
    name: String,
    /// One keyring for every store opened on this database, as a region's nodes share
    /// one KEK.
    keys: std::sync::Arc<roost_residency::Keyring>,
}

impl TestDb {
    /// Creates it, or `None` (having said SKIPPED) when no server answers outside CI.
    pub async fn create() -> Option<TestDb> {
        let server = server_url();
        let admin = match tokio_postgres::connect(&server, tokio_postgres::NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                client
            }
            Err(e) => {
                if in_ci() {
                    panic!("CI is set and there is no PostgreSQL at {server}: {e}");
                }
                println!("SKIPPED: no PostgreSQL at {server} ({e})");
                return None;
            }
        };
        let name = format!("roost_t_{:016x}", rand::random::<u64>());
        // Commits not flushed before they are answered (as the SQLite suite runs with
        // NORMAL sync): the suite writes tens of thousands of rows, and durability on
        // power loss is not what it tests.
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!("ALTER DATABASE {name} SET synchronous_commit = off"),
        ] {
            admin
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql} on {server}: {e:?}"));
        }
        let mut url = url::Url::parse(&server).expect("ROOST_TEST_POSTGRES is a URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            server,
            url: url.to_string(),
            name,
            keys: std::sync::Arc::new(roost_residency::Keyring::ephemeral()),
        })
    }

    pub async fn open(&self) -> PgStore {
        let opts = PgOptions {
            max_connections: 4,
            keys: Some(self.keys.clone()),
        };
        PgStore::connect(&self.url, opts).await.expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself: a thread of
        // its own with a small runtime does the DROP (FORCE ends the store's connections).
        let (server, name) = (self.server.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok((client, conn)) =
                    tokio_postgres::connect(&server, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            })
        });
        let _ = done.join();
    }
}
