//! The audit's view of a PostgreSQL region's rows that name another region's statuses or
//! accounts, and of rows still naming an erased account: the SQL of
//! `sqlite/references.rs`, run here. Read-only.

use super::db::FromVal;
use super::{pg_read, rows, PgStore};
use crate::sqlite::references::{
    account_ref, account_refs_sql, naming_sql, status_ref, status_refs_sql, StatusRef,
    ACCOUNT_REFS, ERASURE_KEEPS, STATUS_REFS,
};
use roost_core::store::StoreResult;
use roost_residency::audit::ForeignReference;
use tokio_postgres::Row;

fn col<T: FromVal>(r: &Row, i: usize) -> StoreResult<T> {
    super::at(r, i)
}

impl PgStore {
    /// See `SqliteStore::foreign_references`.
    pub async fn foreign_references(
        &self,
        local_region: &str,
    ) -> StoreResult<Vec<ForeignReference>> {
        let local = local_region.to_owned();
        pg_read!(self, c, {
            let mut out = Vec::new();
            for (table, owner, column) in STATUS_REFS {
                let found: Vec<StatusRef> =
                    rows(c, &status_refs_sql(table, owner, column), &[&local], |r| {
                        Ok((
                            col(r, 0)?,
                            col(r, 1)?,
                            col(r, 2)?,
                            col(r, 3)?,
                            col(r, 4)?,
                            col(r, 5)?,
                        ))
                    })
                    .await?;
                out.extend(found.into_iter().map(|f| status_ref(table, owner, f)));
            }
            for (table, owner, column) in ACCOUNT_REFS {
                let found: Vec<(i64, i64, bool, Option<String>)> =
                    rows(c, &account_refs_sql(table, owner, column), &[&local], |r| {
                        Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?))
                    })
                    .await?;
                out.extend(found.into_iter().map(|f| account_ref(table, owner, f)));
            }
            Ok(out)
        })
    }

    /// See `SqliteStore::rows_naming`.
    pub async fn rows_naming(&self, ids: &[i64]) -> StoreResult<Vec<(i64, String, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        pg_read!(self, c, {
            let columns: Vec<(String, String)> = rows(
                c,
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('bigint', 'integer') \
                 ORDER BY table_name, ordinal_position",
                &[],
                |r| Ok((col(r, 0)?, col(r, 1)?)),
            )
            .await?;
            let mut out = Vec::new();
            for (table, column) in columns {
                if ERASURE_KEEPS.contains(&table.as_str()) {
                    continue;
                }
                let found: Vec<(i64, i64)> = rows(c, &naming_sql(&table, &column, ids), &[], |r| {
                    Ok((col(r, 0)?, col(r, 1)?))
                })
                .await?;
                for (id, n) in found {
                    out.push((id, format!("{table}.{column}"), n));
                }
            }
            Ok(out)
        })
    }
}
