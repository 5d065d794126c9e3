//! The audit's view of a region's storage: every foreign item found in the real tables
//! (accounts and their pictures, statuses and their files, follows, favourites, blocks) and any identity row of a foreign account
//! (users, tokens, codes, and the private lists, filters, followed tags and conversations).
//! It deliberately ignores the `foreign_items` table, which is the region's own claim about
//! what it keeps; the audit has to see what is actually there. Read-only.

use super::{backend, rows, SqliteStore};
use roost_core::store::{StoreError, StoreResult};
use roost_residency::audit::ForeignItem;
use roost_residency::DataClass;
use rusqlite::types::FromSql;
use rusqlite::Row;

/// What a region's storage holds that belongs to another region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Foreign user data, named like ledger objects (`status:123`, `follow:1:2`, ...).
    pub items: Vec<ForeignItem>,
    /// One line per identity row (user, token, authorization code) of a foreign account,
    /// and per row of its private data (scheduled posts, notes...). Neither ever leaves
    /// home, so each is a violation on its own.
    pub identity_abroad: Vec<String>,
    /// Foreign media files kept here: (ledger object `media:ID`, `avatar:ACCOUNT` or
    /// `header:ACCOUNT`; the file's SHA-256).
    pub media_files: Vec<(String, String)>,
}

/// Statuses: the class depends on what the row is, as the federation classes it on send.
pub(crate) fn status_class(visibility: &str, is_reblog: bool) -> DataClass {
    if is_reblog {
        DataClass::Engagement
    } else if matches!(visibility, "public" | "unlisted") {
        DataClass::PublicContent
    } else {
        // private, direct, or anything unexpected: treat as the stricter class.
        DataClass::PrivateContent
    }
}

/// Profile pictures kept of foreign accounts: (account, home, avatar file, header file).
pub(crate) const FOREIGN_PICTURES: &str =
    "SELECT id, home_region, avatar_file, header_file FROM accounts \
     WHERE home_region <> $1 \
       AND (avatar_file IS NOT NULL OR header_file IS NOT NULL) ORDER BY id";

/// Each kept picture is public content, its file named by its account and role as both
/// gates ledger it (`avatar:ID`, `header:ID`).
pub(crate) fn add_pictures(
    inv: &mut Inventory,
    holder: &str,
    pictures: Vec<(i64, String, Option<String>, Option<String>)>,
) {
    for (id, home, avatar, header) in pictures {
        for (role, file) in [("avatar", avatar), ("header", header)] {
            let Some(file) = file else { continue };
            let object = format!("{role}:{id}");
            inv.items.push(ForeignItem {
                holder: holder.to_string(),
                home: home.clone(),
                class: DataClass::PublicContent,
                subject: Some(id.to_string()),
                object: object.clone(),
            });
            // The name is `<sha256>.<ext>`; anything else matches no entry.
            let hash = file.split('.').next().unwrap_or_default().to_string();
            inv.media_files.push((object, hash));
        }
    }
}

/// Column `i` of a row.
fn col<T: FromSql>(r: &Row<'_>, i: usize) -> StoreResult<T> {
    r.get::<_, T>(i).map_err(backend)
}

impl SqliteStore {
    /// Scans the tables for data whose owner's home region is not `local_region`.
    pub async fn foreign_inventory(&self, local_region: &str) -> Result<Inventory, StoreError> {
        let local_region = local_region.to_owned();
        self.db
            .read(move |c| {
                let mut inv = Inventory::default();
                let item =
                    |home: String, class: DataClass, subject: i64, object: String| ForeignItem {
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
                )?;
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
                )?;
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
                )?;
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

                let pictures = rows(c, FOREIGN_PICTURES, &[&local_region], |r| {
                    Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?, col(r, 3)?))
                })?;
                add_pictures(&mut inv, &local_region, pictures);

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
                    })?;
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
                )?;
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
                )?;
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
                )?;
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
                    })?;
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
                    let found: Vec<(i64, String)> = rows(c, &sql, &[&local_region], |r| {
                        Ok((col(r, 0)?, col(r, 1)?))
                    })?;
                    for (account, home) in found {
                        inv.identity_abroad
                            .push(format!("{what} of account {account} from {home}"));
                    }
                }

                Ok(inv)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class("public", false), DataClass::PublicContent);
        assert_eq!(status_class("unlisted", false), DataClass::PublicContent);
        assert_eq!(status_class("private", false), DataClass::PrivateContent);
        assert_eq!(status_class("direct", false), DataClass::PrivateContent);
        assert_eq!(status_class("public", true), DataClass::Engagement);
    }
}
