//! The PostgreSQL store: a pool of connections (deadpool), the migrations, and one file
//! per store trait, mirroring `sqlite/`. For a region that outgrows one machine: several
//! stateless roost nodes can share one database.
//!
//! Driver: tokio-postgres with deadpool-postgres rather than sqlx, because tokio-postgres
//! hands every bound value the parameter type the server inferred when it prepared the
//! statement (`postgres/db.rs`), so the shared SQL and its dynamically typed `Arg`s bind as
//! they do on SQLite (a `bool` into an `INTEGER` 0/1 column) without a cast per query;
//! deadpool keeps the connections and each one's prepared statements.
//!
//! Writes run in one transaction each, where the SQLite store runs one writer job (its
//! savepoint): counters, fan-out and cascades commit together or not at all. There is no
//! row cache here: several nodes write the same rows. What the nodes must tell each other
//! (live events, cache changes) goes over `nodes.rs`; attempt limits are counted in the
//! database (`attempts.rs`).

mod accounts;
mod announcements;
mod attempts;
mod backups;
mod conversations;
mod db;
mod discovery;
mod emoji;
mod erasure;
mod extras;
mod federation;
mod filters;
mod followed_tags;
mod follows;
mod identity;
mod inventory;
mod keys;
mod ledger;
mod lists;
mod media;
mod migrate;
mod misc;
mod moderation;
mod nodes;
mod notifications;
mod polls;
mod references;
mod safety;
mod statuses;
mod witness;

pub(crate) use crate::sqlite::{backend, corrupt, ms, opt_id, opt_ts, ts};
pub use attempts::PgAttempts;
pub(crate) use db::{
    at, cursored_of, exec, get, id_of, no_row, per_chunk, row, rows, scalar, write_err, Db,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
pub use nodes::PgNodes;
pub(crate) use roost_core::store::StoreResult;

/// How the pool is built.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections kept open at most (each PostgreSQL connection is a server process).
    pub max_connections: usize,
    /// The region's keys (`crate::sealing`); every node of a region needs the same KEK.
    /// `None`: a random in-memory KEK, for tests and for stores opened only to copy rows.
    pub keys: Option<std::sync::Arc<roost_residency::Keyring>>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            keys: None,
        }
    }
}

/// A region's storage in a PostgreSQL database. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// Put in scope for every query (`crate::sealing`).
    pub(crate) keys: std::sync::Arc<roost_residency::Keyring>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL: {0}")]
struct Setup(String);

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), applies the migrations.
    pub async fn connect(url: &str, opts: PgOptions) -> StoreResult<PgStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| backend(Setup(format!("bad URL: {e}"))))?;
        Self::connect_config(config, opts).await
    }

    /// [`PgStore::connect`] with the connection already parsed (a backup's restore names
    /// scratch databases without writing passwords back into URLs).
    pub async fn connect_config(
        config: tokio_postgres::Config,
        opts: PgOptions,
    ) -> StoreResult<PgStore> {
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(opts.max_connections.max(1))
            .build()
            .map_err(|e| backend(Setup(e.to_string())))?;
        let keys = opts
            .keys
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(roost_residency::Keyring::ephemeral()));
        let store = PgStore { pool, keys };
        let mut c = store.conn().await?;
        migrate::run(&mut c).await?;
        drop(c);
        tracing::debug!("opened PostgreSQL store");
        Ok(store)
    }

    /// Fails when the keyring cannot unwrap every data key the store holds (see the SQLite
    /// store); every node of a region needs the same KEK.
    pub async fn check_keys(&self) -> StoreResult<()> {
        crate::sealing::check_keks(&self.keys, &self.keks_in_use().await?)
    }

    /// Closes the pool: idle connections now, busy ones when they come back. The store
    /// (and its clones) must not be used afterwards.
    pub async fn close(&self) {
        self.pool.close();
    }

    /// A connection from the pool.
    pub(crate) async fn conn(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| backend(Setup(e.to_string())))
    }
}

/// `pg_read!(self, c, body)`: runs `body` (an expression giving a `StoreResult`, in which
/// `?` returns from the body) with `c` a pooled connection.
macro_rules! pg_read {
    ($store:expr, $c:ident, $body:expr) => {{
        let __r: $crate::postgres::StoreResult<_> = $crate::sealing::KEYRING
            .scope($store.keys.clone(), async {
                let __conn = $store.conn().await?;
                let $c = &__conn;
                let __b: $crate::postgres::StoreResult<_> = async { $body }.await;
                __b
            })
            .await;
        __r
    }};
}
/// `pg_write!(self, c, body)`: runs `body` with `c` a transaction, committed when the
/// body succeeds and rolled back when it fails (as a writer job's savepoint on SQLite).
macro_rules! pg_write {
    ($store:expr, $c:ident, $body:expr) => {{
        let __r: $crate::postgres::StoreResult<_> = $crate::sealing::KEYRING
            .scope($store.keys.clone(), async {
                let mut __conn = $store.conn().await?;
                let __tx = __conn
                    .transaction()
                    .await
                    .map_err($crate::postgres::backend)?;
                let __b: $crate::postgres::StoreResult<_> = {
                    let $c = &__tx;
                    async { $body }.await
                };
                let __out = __b?;
                __tx.commit().await.map_err($crate::postgres::backend)?;
                Ok(__out)
            })
            .await;
        __r
    }};
}
pub(crate) use {pg_read, pg_write};

impl PgStore {
    /// One page of a cursored list, paged by `col`, newest first.
    pub(crate) async fn read_cursored(
        &self,
        mut q: crate::sql::Sql,
        col: &'static str,
        page: roost_core::model::Page,
    ) -> StoreResult<Vec<roost_core::model::Cursored<roost_core::Id>>> {
        let asc = q.push_page(col, &page);
        let c = self.conn().await?;
        Ok(crate::sql::newest_first(
            q.fetch(&c, cursored_of).await?,
            asc,
        ))
    }
}
