//! The audit's view of rows that name another region's statuses or accounts: bookmarks,
//! likes, notifications, home and list timelines, mentions, conversations and files'
//! rows. The inventory (`inventory.rs`) finds foreign data itself; these rows are the
//! region's own, but each names something it must hold and may keep. A row whose target
//! is missing can only be planted (or left by a bug): foreign keys would have removed
//! it with its target. Read-only.

use super::{backend, rows, SqliteStore};
use roost_core::store::StoreResult;
use roost_residency::audit::ForeignReference;

/// Tables whose rows name a status: (table, owner column, status column).
const STATUS_REFS: [(&str, &str, &str); 7] = [
    ("bookmarks", "account_id", "status_id"),
    ("favourites", "account_id", "status_id"),
    ("notifications", "account_id", "status_id"),
    ("home_timeline", "account_id", "status_id"),
    ("list_timeline", "list_id", "status_id"),
    ("conversations", "account_id", "last_status_id"),
    ("media", "account_id", "status_id"),
];

/// Tables whose rows name an account: (table, owner column, account column).
const ACCOUNT_REFS: [(&str, &str, &str); 3] = [
    ("notifications", "account_id", "from_account_id"),
    ("status_mentions", "status_id", "account_id"),
    ("list_accounts", "list_id", "account_id"),
];

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
                    let sql = format!(
                        "SELECT x.{owner}, x.{col}, s.id IS NOT NULL, s.visibility, \
                           s.reblog_of_id IS NOT NULL, a.home_region \
                         FROM {table} x LEFT JOIN statuses s ON s.id = x.{col} \
                         LEFT JOIN accounts a ON a.id = s.account_id \
                         WHERE x.{col} IS NOT NULL AND (s.id IS NULL OR a.home_region <> $1) \
                         ORDER BY x.{col}"
                    );
                    type Found = (i64, i64, bool, Option<String>, bool, Option<String>);
                    let found: Vec<Found> = rows(c, &sql, &[&local], |r| {
                        let g = |e| backend(e);
                        Ok((
                            r.get(0).map_err(g)?,
                            r.get(1).map_err(g)?,
                            r.get(2).map_err(g)?,
                            r.get(3).map_err(g)?,
                            r.get::<_, Option<bool>>(4).map_err(g)?.unwrap_or(false),
                            r.get(5).map_err(g)?,
                        ))
                    })?;
                    for (who, status, held, visibility, reblog, home) in found {
                        out.push(ForeignReference {
                            row: format!("{table} row of {owner} {who}"),
                            object: format!("status:{status}"),
                            home,
                            held,
                            class: visibility
                                .filter(|_| held)
                                .map(|v| super::inventory::status_class(&v, reblog)),
                        });
                    }
                }
                for (table, owner, col) in ACCOUNT_REFS {
                    let sql = format!(
                        "SELECT x.{owner}, x.{col}, a.id IS NOT NULL, a.home_region \
                         FROM {table} x LEFT JOIN accounts a ON a.id = x.{col} \
                         WHERE a.id IS NULL OR a.home_region <> $1 ORDER BY x.{col}"
                    );
                    let found: Vec<(i64, i64, bool, Option<String>)> =
                        rows(c, &sql, &[&local], |r| {
                            let g = |e| backend(e);
                            Ok((
                                r.get(0).map_err(g)?,
                                r.get(1).map_err(g)?,
                                r.get(2).map_err(g)?,
                                r.get(3).map_err(g)?,
                            ))
                        })?;
                    for (who, account, held, home) in found {
                        out.push(ForeignReference {
                            row: format!("{table} row of {owner} {who}"),
                            object: format!("account:{account}"),
                            home,
                            held,
                            class: None,
                        });
                    }
                }
                Ok(out)
            })
            .await
    }
}
