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

pub mod conformance;
mod postgres;
mod sql;
mod sqlite;

pub use postgres::{PgOptions, PgStore};
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
