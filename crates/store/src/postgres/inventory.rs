//! The audit's view of a PostgreSQL region's storage (the scan of `sqlite/inventory.rs`,
//! giving the same [`Inventory`]): every foreign item found in the real tables
//! (accounts, statuses, follows, favourites, blocks) and any identity row of a foreign account
//! (users, tokens, codes, and the private lists, filters, followed tags and conversations).
//! It deliberately ignores the `foreign_items` table, which is the region's own claim about
//! what it keeps; the audit has to see what is actually there. Read-only.

use super::db::FromVal;
use super::pg_read;
use super::{rows, PgStore};
use crate::sqlite::inventory::status_class;
pub use crate::sqlite::inventory::Inventory;
use roost_core::store::{StoreError, StoreResult};
use roost_residency::audit::ForeignItem;
use roost_residency::DataClass;
use tokio_postgres::Row;

/// Column `i` of a row.
fn col<T: FromVal>(r: &Row, i: usize) -> StoreResult<T> {
    super::at(r, i)
}

impl PgStore {
    /// Scans the tables for data whose owner's home region is not `local_region`.
    pub async fn foreign_inventory(&self, local_region: &str) -> Result<Inventory, StoreError> {
        let local_region = local_region.to_owned();
        pg_read!(self, c, {
            let mut inv = Inventory::default();
            let item = |home: String, class: DataClass, subject: i64, object: String| ForeignItem {
                holder: local_region.to_string(),
                home,
                class,
                subject: Some(subject.to_string()),
                object,
            };

            // An account with no profile text is only an address (needed to name a
            // follower or author); a filled-in profile is public content that needs a
            // ledger entry.
            let accounts: Vec<(i64, String)> = rows(
                    c,
                    "SELECT id, home_region FROM accounts \
                     WHERE home_region <> $1 \
                       AND (display_name <> '' OR note_source <> '' OR note_html <> '' OR fields <> '') \
                     ORDER BY id",
                    &[&local_region],
                    |r| Ok((col(r, 0)?, col(r, 1)?)),
                ).await?;
            for (id, home) in accounts {
                inv.items.push(item(
                    home,
                    DataClass::PublicContent,
                    id,
                    format!("account:{id}"),
                ));
            }

            let statuses: Vec<(i64, String, bool, i64, String)> = rows(
                c,
                "SELECT s.id, s.visibility, s.reblog_of_id IS NOT NULL, a.id, a.home_region \
                     FROM statuses s JOIN accounts a ON a.id = s.account_id \
                     WHERE a.home_region <> $1 ORDER BY s.id",
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?, col(r, 4)?)),
            )
            .await?;
            for (id, visibility, is_reblog, author, home) in statuses {
                inv.items.push(item(
                    home,
                    status_class(&visibility, is_reblog),
                    author,
                    format!("status:{id}"),
                ));
            }

            // Files of foreign posts: the class of the post they are on.
            let media: Vec<(i64, String, i64, String, Option<String>)> = rows(
                c,
                "SELECT m.id, s.visibility, a.id, a.home_region, m.file_hash \
                     FROM media m JOIN accounts a ON a.id = m.account_id \
                     JOIN statuses s ON s.id = m.status_id \
                     WHERE a.home_region <> $1 ORDER BY m.id",
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?, col(r, 4)?)),
            )
            .await?;
            for (id, visibility, author, home, hash) in media {
                let object = format!("media:{id}");
                inv.items.push(item(
                    home,
                    status_class(&visibility, false),
                    author,
                    object.clone(),
                ));
                if let Some(h) = hash {
                    inv.media_files.push((object, h));
                }
            }

            let pictures = rows(
                c,
                crate::sqlite::inventory::FOREIGN_PICTURES,
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?)),
            )
            .await?;
            crate::sqlite::inventory::add_pictures(&mut inv, &local_region, pictures);

            // Pairs owned by a foreign account, each (owner, other): follows (pending
            // requests count: they are as much social graph as accepted ones), likes,
            // and blocks of one of ours (their social graph).
            let pairs = [
                (
                    "SELECT f.follower_id, f.target_id, a.home_region \
                         FROM follows f JOIN accounts a ON a.id = f.follower_id \
                         WHERE a.home_region <> $1 ORDER BY f.id",
                    DataClass::SocialGraph,
                    "follow",
                ),
                (
                    "SELECT v.account_id, v.status_id, a.home_region \
                         FROM favourites v JOIN accounts a ON a.id = v.account_id \
                         WHERE a.home_region <> $1 ORDER BY v.id",
                    DataClass::Engagement,
                    "favourite",
                ),
                (
                    "SELECT b.account_id, b.target_id, a.home_region \
                         FROM blocks b JOIN accounts a ON a.id = b.account_id \
                         WHERE a.home_region <> $1 ORDER BY b.id",
                    DataClass::SocialGraph,
                    "block",
                ),
                // A foreign voter's vote counted at the poll's home (once per voter).
                (
                    "SELECT DISTINCT v.account_id, v.status_id, a.home_region \
                         FROM poll_votes v JOIN accounts a ON a.id = v.account_id \
                         WHERE a.home_region <> $1 ORDER BY v.status_id, v.account_id",
                    DataClass::Engagement,
                    "vote",
                ),
            ];
            for (sql, class, kind) in pairs {
                let found: Vec<(i64, i64, String)> = rows(c, sql, &[&local_region], |r| {
                    Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?))
                })
                .await?;
                for (owner, other, home) in found {
                    inv.items
                        .push(item(home, class, owner, format!("{kind}:{owner}:{other}")));
                }
            }

            // Identity: only ids and regions go into the descriptions, never the secrets.
            let users: Vec<(i64, String)> = rows(
                c,
                "SELECT u.account_id, a.home_region \
                     FROM users u JOIN accounts a ON a.id = u.account_id \
                     WHERE a.home_region <> $1 ORDER BY u.account_id",
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?)),
            )
            .await?;
            for (account, home) in users {
                inv.identity_abroad.push(format!(
                    "user row (e-mail, password hash) of account {account} from {home}"
                ));
            }

            let tokens: Vec<(i64, i64, String)> = rows(
                c,
                "SELECT t.id, t.account_id, a.home_region \
                     FROM tokens t JOIN accounts a ON a.id = t.account_id \
                     WHERE t.account_id IS NOT NULL AND a.home_region <> $1 ORDER BY t.id",
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?)),
            )
            .await?;
            for (token, account, home) in tokens {
                inv.identity_abroad.push(format!(
                    "access token {token} of account {account} from {home}"
                ));
            }

            let codes: Vec<(i64, String)> = rows(
                c,
                "SELECT c.account_id, a.home_region \
                     FROM auth_codes c JOIN accounts a ON a.id = c.account_id \
                     WHERE a.home_region <> $1 ORDER BY c.account_id, c.code_hash",
                &[&local_region],
                |r| Ok((col(r, 0)?, col(r, 1)?)),
            )
            .await?;
            for (account, home) in codes {
                inv.identity_abroad.push(format!(
                    "authorization code of account {account} from {home}"
                ));
            }

            // What a user keeps to organise their reading (lists, filters, followed
            // tags, their direct threads) is private to them like identity: rows are
            // only ever written for local owners, so any owned by a foreign account
            // is a violation on its own.
            let private = [
                    (
                        "SELECT x.id, x.account_id, a.home_region FROM lists x \
                         JOIN accounts a ON a.id = x.account_id WHERE a.home_region <> $1 ORDER BY x.id",
                        "list",
                    ),
                    (
                        "SELECT x.id, x.account_id, a.home_region FROM filters x \
                         JOIN accounts a ON a.id = x.account_id WHERE a.home_region <> $1 ORDER BY x.id",
                        "filter",
                    ),
                    (
                        "SELECT x.id, x.account_id, a.home_region FROM followed_tags x \
                         JOIN accounts a ON a.id = x.account_id WHERE a.home_region <> $1 ORDER BY x.id",
                        "followed tag",
                    ),
                    (
                        "SELECT x.id, x.account_id, a.home_region FROM conversations x \
                         JOIN accounts a ON a.id = x.account_id WHERE a.home_region <> $1 \
                         ORDER BY x.account_id, x.id",
                        "conversation",
                    ),
                ];
            for (sql, kind) in private {
                let found: Vec<(i64, i64, String)> = rows(c, sql, &[&local_region], |r| {
                    Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?))
                })
                .await?;
                for (id, account, home) in found {
                    inv.identity_abroad
                        .push(format!("{kind} {id} of account {account} from {home}"));
                }
            }
            // The owner's private data (scheduled posts, posting defaults, notes,
            // endorsements, featured tags) is never sent anywhere: like identity, any
            // row of a foreign owner is a violation on its own.
            let private = [
                ("scheduled_statuses", "scheduled post"),
                ("posting_defaults", "posting defaults"),
                ("account_notes", "private note"),
                ("endorsements", "endorsement"),
                ("featured_tags", "featured tag"),
            ];
            for (table, what) in private {
                let sql = format!(
                    "SELECT x.account_id, a.home_region FROM {table} x \
                         JOIN accounts a ON a.id = x.account_id \
                         WHERE a.home_region <> $1 ORDER BY x.account_id"
                );
                let found: Vec<(i64, String)> =
                    rows(c, &sql, &[&local_region], |r| Ok((col(r, 0)?, col(r, 1)?))).await?;
                for (account, home) in found {
                    inv.identity_abroad
                        .push(format!("{what} of account {account} from {home}"));
                }
            }

            Ok(inv)
        })
    }
}
