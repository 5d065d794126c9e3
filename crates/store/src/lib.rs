//! roost-store: where a region's data is kept.
//!
//! [`SqliteStore`] implements every store trait of `roost_core::store` on one SQLite file
//! (the default, "one binary, nothing to install" deployment). A PostgreSQL implementation
//! will sit next to it. Both must pass the same behaviour suite, [`conformance`], which any
//! implementation runs with one line: `roost_store::conformance_suite!(make_store())`.
//!
//! Layout: `sql` holds the SQL pieces written once for every query and dialect (the
//! visibility predicate, the paging clause, a statement builder with numbered `$n`
//! placeholders, which SQLite and PostgreSQL both read); `sqlite` the engine (connections
//! on threads of their own, group commit), the migration runner and one file per trait;
//! the schema is in `migrations/sqlite`.

pub mod conformance;
mod sql;
mod sqlite;

pub use sqlite::{Inventory, SqliteOptions, SqliteStore};
