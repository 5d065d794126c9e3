//! The audit's view of rows that name another region's statuses or accounts: bookmarks,
//! likes, notifications, home and list timelines, mentions, conversations and files'
//! rows. The inventory (`inventory.rs`) finds foreign data itself; these rows are the
//! region's own, but each names something it must hold and may keep. A row whose target
//! is missing can only be planted (or left by a bug): foreign keys would have removed
//! it with its target. The SQL is written once here and run by both backends
//! (`postgres/references.rs`). Also the scan for rows still naming an erased account.
//! Read-only.

use super::{backend, rows, SqliteStore};
use roost_core::store::StoreResult;
use roost_residency::audit::ForeignReference;

/// Tables whose rows name a status: (table, owner column, status column).
pub(crate) const STATUS_REFS: [(&str, &str, &str); 7] = [
    ("bookmarks", "account_id", "status_id"),
    ("favourites", "account_id", "status_id"),
    ("notifications", "account_id", "status_id"),
    ("home_timeline", "account_id", "status_id"),
    ("list_timeline", "list_id", "status_id"),
    ("conversations", "account_id", "last_status_id"),
    ("media", "account_id", "status_id"),
];

/// Tables whose rows name an account: (table, owner column, account column).
pub(crate) const ACCOUNT_REFS: [(&str, &str, &str); 3] = [
    ("notifications", "account_id", "from_account_id"),
    ("status_mentions", "status_id", "account_id"),
    ("list_accounts", "list_id", "account_id"),
];

/// Tables that may name an erased account after its erasure: the append-only ledger,
/// the erasure records themselves (at home, and abroad) and the outbox, whose rows keep
/// the ID (bodies emptied) to deliver the erasure to the regions told.
pub(crate) const ERASURE_KEEPS: [&str; 9] = [
    "ledger_leaves",
    "erasures",
    "erasure_regions",
    "foreign_erasures",
    "outbox",
    // A moved account's forwarding records: old ID → new ID, no personal data.
    "moved_accounts",
    "moved_statuses",
    // At the new home, what it made of an account that moved in: the old ID (erased at
    // the old home) beside the new one, so a repeated package is answered, not doubled.
    "moved_in",
    "moved_in_statuses",
];

/// Rows of `table` naming a status that is missing or another region's:
/// (owner, status, held, visibility, reblog, home).
pub(crate) fn status_refs_sql(table: &str, owner: &str, col: &str) -> String {
    format!(
        "SELECT x.{owner}, x.{col}, s.id IS NOT NULL, s.visibility, \
           s.reblog_of_id IS NOT NULL, a.home_region \
         FROM {table} x LEFT JOIN statuses s ON s.id = x.{col} \
         LEFT JOIN accounts a ON a.id = s.account_id \
         WHERE x.{col} IS NOT NULL AND (s.id IS NULL OR a.home_region <> $1) \
         ORDER BY x.{col}"
    )
}

/// Rows of `table` naming an account that is missing or another region's:
/// (owner, account, held, home).
pub(crate) fn account_refs_sql(table: &str, owner: &str, col: &str) -> String {
    format!(
        "SELECT x.{owner}, x.{col}, a.id IS NOT NULL, a.home_region \
         FROM {table} x LEFT JOIN accounts a ON a.id = x.{col} \
         WHERE a.id IS NULL OR a.home_region <> $1 ORDER BY x.{col}"
    )
}

pub(crate) type StatusRef = (i64, i64, bool, Option<String>, Option<bool>, Option<String>);

pub(crate) fn status_ref(table: &str, owner: &str, r: StatusRef) -> ForeignReference {
    let (who, status, held, visibility, reblog, home) = r;
    ForeignReference {
        row: format!("{table} row of {owner} {who}"),
        object: format!("status:{status}"),
        home,
        held,
        class: visibility
            .filter(|_| held)
            .map(|v| super::inventory::status_class(&v, reblog.unwrap_or(false))),
    }
}

pub(crate) fn account_ref(
    table: &str,
    owner: &str,
    (who, account, held, home): (i64, i64, bool, Option<String>),
) -> ForeignReference {
    ForeignReference {
        row: format!("{table} row of {owner} {who}"),
        object: format!("account:{account}"),
        home,
        held,
        class: None,
    }
}

/// How many rows of `table` have `column` equal to one of `ids`.
pub(crate) fn naming_sql(table: &str, column: &str, ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(
        "SELECT CAST(x.\"{column}\" AS BIGINT), count(*) FROM \"{table}\" x WHERE x.\"{column}\" IN ({}) \
         GROUP BY x.\"{column}\"",
        list.join(", ")
    )
}

impl SqliteStore {
    /// Rows naming a status or an account that is not `local_region`'s own: the named
    /// row is missing, or its home is another region. `home` is filled from the named
    /// row; for a missing one it is `None`, for the caller to read from the ID.
    pub async fn foreign_references(
        &self,
        local_region: &str,
    ) -> StoreResult<Vec<ForeignReference>> {
        let local = local_region.to_owned();
        self.db
            .read(move |c| {
                let mut out = Vec::new();
                for (table, owner, col) in STATUS_REFS {
                    let found: Vec<StatusRef> =
                        rows(c, &status_refs_sql(table, owner, col), &[&local], |r| {
                            let g = |e| backend(e);
                            Ok((
                                r.get(0).map_err(g)?,
                                r.get(1).map_err(g)?,
                                r.get(2).map_err(g)?,
                                r.get(3).map_err(g)?,
                                r.get(4).map_err(g)?,
                                r.get(5).map_err(g)?,
                            ))
                        })?;
                    out.extend(found.into_iter().map(|f| status_ref(table, owner, f)));
                }
                for (table, owner, col) in ACCOUNT_REFS {
                    let found: Vec<(i64, i64, bool, Option<String>)> =
                        rows(c, &account_refs_sql(table, owner, col), &[&local], |r| {
                            let g = |e| backend(e);
                            Ok((
                                r.get(0).map_err(g)?,
                                r.get(1).map_err(g)?,
                                r.get(2).map_err(g)?,
                                r.get(3).map_err(g)?,
                            ))
                        })?;
                    out.extend(found.into_iter().map(|f| account_ref(table, owner, f)));
                }
                Ok(out)
            })
            .await
    }

    /// Every row, in any table but [`ERASURE_KEEPS`], with an integer column equal to
    /// one of `ids` (erased accounts): `(id, "table.column", rows)`. IDs are unique
    /// across kinds, so a match names the account.
    pub async fn rows_naming(&self, ids: &[i64]) -> StoreResult<Vec<(i64, String, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let columns: Vec<(String, String)> = rows(
                    c,
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                       AND upper(p.type) IN ('INTEGER', 'BIGINT') ORDER BY m.name, p.cid",
                    &[],
                    |r| Ok((r.get(0).map_err(backend)?, r.get(1).map_err(backend)?)),
                )?;
                let mut out = Vec::new();
                for (table, column) in columns {
                    if ERASURE_KEEPS.contains(&table.as_str()) {
                        continue;
                    }
                    let found: Vec<(i64, i64)> =
                        rows(c, &naming_sql(&table, &column, &ids), &[], |r| {
                            Ok((r.get(0).map_err(backend)?, r.get(1).map_err(backend)?))
                        })?;
                    for (id, n) in found {
                        out.push((id, format!("{table}.{column}"), n));
                    }
                }
                Ok(out)
            })
            .await
    }
}
