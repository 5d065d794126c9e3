//! roost-store: where a region's data is kept.
//!
//! [`SqliteStore`] implements every store trait of `roost_core::store` on one SQLite file
//! (the default, "one binary, nothing to install" deployment). [`PgStore`] implements the
//! same traits on a PostgreSQL database (a region that outgrows one machine), and the same
//! audit scan (`foreign_inventory`). Both pass the same behaviour suite, [`conformance`],
//! which any implementation runs with one line: `roost_store::conformance_suite!(make_store())`
//! (or `conformance_suite!(optional: ...)` for a backend that may be absent).
//!
//! Layout: `sql` holds the SQL pieces written once for every query and dialect (the
//! visibility predicate, the paging clause, a statement builder with numbered `$n`
//! placeholders, which SQLite and PostgreSQL both read, and its bound values); `sqlite`
//! the engine (connections on threads of their own, group commit), the migration runner
//! and one file per trait; `postgres` the pool, binding and decoding (`postgres/db.rs`),
//! its migration runner and one file per trait, named as in `sqlite`. The schemas are in
//! `migrations/sqlite` and `migrations/postgres` (the same versions, the same columns).

pub mod backup;
pub mod conformance;
pub mod copy;
mod postgres;
mod sealing;
mod sql;
mod sqlite;

pub use postgres::{PgAttempts, PgNodes, PgOptions, PgStore};
pub use sealing::KekUse;
pub use sqlite::{Inventory, SqliteOptions, SqliteStore};

/// The audit's view of a store: every foreign item in its real tables, whatever the
/// store's own records claim (`foreign_items`). Both backends scan their tables.
#[async_trait::async_trait]
pub trait ForeignInventory {
    async fn foreign_inventory(
        &self,
        local_region: &str,
    ) -> Result<Inventory, roost_core::store::StoreError>;
}

#[async_trait::async_trait]
impl ForeignInventory for SqliteStore {
    async fn foreign_inventory(
        &self,
        local_region: &str,
    ) -> Result<Inventory, roost_core::store::StoreError> {
        SqliteStore::foreign_inventory(self, local_region).await
    }
}

#[async_trait::async_trait]
impl ForeignInventory for PgStore {
    async fn foreign_inventory(
        &self,
        local_region: &str,
    ) -> Result<Inventory, roost_core::store::StoreError> {
        PgStore::foreign_inventory(self, local_region).await
    }
}

/// A region's store on whichever backend its config names: what the server and the
/// audit hold, so neither needs to know which one it is.
#[derive(Debug, Clone)]
pub enum RegionStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl RegionStore {
    /// The store traits, for the use cases.
    pub fn store(&self) -> std::sync::Arc<dyn roost_core::store::Store> {
        match self {
            RegionStore::Sqlite(s) => std::sync::Arc::new(s.clone()),
            RegionStore::Postgres(s) => std::sync::Arc::new(s.clone()),
        }
    }

    /// Where the transfer ledger's leaves are kept.
    pub fn ledger(&self) -> std::sync::Arc<dyn roost_residency::LedgerStore> {
        match self {
            RegionStore::Sqlite(s) => std::sync::Arc::new(s.clone()),
            RegionStore::Postgres(s) => std::sync::Arc::new(s.clone()),
        }
    }

    /// `sqlite` or `postgres`, for logs and reports.
    pub fn backend_name(&self) -> &'static str {
        match self {
            RegionStore::Sqlite(_) => "sqlite",
            RegionStore::Postgres(_) => "postgres",
        }
    }

    /// See [`SqliteStore::check_keys`].
    pub async fn check_keys(&self) -> Result<(), roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.check_keys().await,
            RegionStore::Postgres(s) => s.check_keys().await,
        }
    }

    /// How many data keys each KEK wraps.
    pub async fn keks_in_use(&self) -> Result<Vec<KekUse>, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.keks_in_use().await,
            RegionStore::Postgres(s) => s.keks_in_use().await,
        }
    }

    /// Re-wraps every data key under the keyring's current KEK; returns how many.
    pub async fn rewrap_keys(&self) -> Result<u64, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.rewrap_keys(500).await,
            RegionStore::Postgres(s) => s.rewrap_keys(500).await,
        }
    }

    /// Records a backup made of the region.
    pub async fn record_backup(
        &self,
        b: &backup::BackupRecord,
    ) -> Result<(), roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.record_backup(b).await,
            RegionStore::Postgres(s) => s.record_backup(b).await,
        }
    }

    /// Every backup recorded, oldest first.
    pub async fn backups(
        &self,
    ) -> Result<Vec<backup::BackupRecord>, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.backups().await,
            RegionStore::Postgres(s) => s.backups().await,
        }
    }

    /// Rows naming another region's status or account (see
    /// `SqliteStore::foreign_references`), on either backend.
    pub async fn foreign_references(
        &self,
        local_region: &str,
    ) -> Result<Vec<roost_residency::audit::ForeignReference>, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.foreign_references(local_region).await,
            RegionStore::Postgres(s) => s.foreign_references(local_region).await,
        }
    }

    /// Rows still naming one of `ids` (see `SqliteStore::rows_naming`).
    pub async fn rows_naming(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, String, i64)>, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.rows_naming(ids).await,
            RegionStore::Postgres(s) => s.rows_naming(ids).await,
        }
    }

    pub async fn close(&self) {
        match self {
            RegionStore::Sqlite(s) => s.close().await,
            RegionStore::Postgres(s) => s.close().await,
        }
    }
}

#[async_trait::async_trait]
impl ForeignInventory for RegionStore {
    async fn foreign_inventory(
        &self,
        local_region: &str,
    ) -> Result<Inventory, roost_core::store::StoreError> {
        match self {
            RegionStore::Sqlite(s) => s.foreign_inventory(local_region).await,
            RegionStore::Postgres(s) => PgStore::foreign_inventory(s, local_region).await,
        }
    }
}
