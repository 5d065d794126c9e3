//! `SafetyStore`: blocks (and what they end), mutes with their expiry, user-level
//! region blocks and conversation mutes, and the questions the filters ask of them.

use super::follows::count_follow;
use super::{backend, exec, get, id_of, ms, opt_ts, per_chunk, scalar, SqliteStore};
use crate::sql::{newest_first, shuns, Sql, ID_CHUNK};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Cursored, Mute, Page, SafetyRelation, Shun};
use roost_core::store::{SafetyStore, StoreResult};
use roost_core::Id;
use rusqlite::Connection;

/// How far up a thread [`root_in`] walks.
pub(crate) const MAX_DEPTH: usize = 256;

/// The store's clock for mute expiry.
pub(crate) fn now_ms() -> i64 {
    ms(Timestamp::now())
}

/// The root of `status`'s thread (see `SafetyStore::thread_root`).
pub(crate) fn root_in(c: &Connection, status: Id) -> StoreResult<Id> {
    let mut cur = status;
    for _ in 0..MAX_DEPTH {
        let parent: Option<Option<i64>> = scalar(
            c,
            "SELECT in_reply_to_id FROM statuses WHERE id = $1",
            &[&cur.0],
        )?;
        match parent {
            Some(Some(p)) => cur = Id(p),
            _ => break,
        }
    }
    Ok(cur)
}

/// Whether `a` and `b` block each other, either way (never true of one account).
pub(crate) fn blocked_between(c: &Connection, a: Id, b: Id) -> StoreResult<bool> {
    if a == b {
        return Ok(false);
    }
    let hit: Option<i64> = scalar(
        c,
        "SELECT 1 FROM blocks WHERE (account_id = $1 AND target_id = $2) \
         OR (account_id = $2 AND target_id = $1) LIMIT 1",
        &[&a.0, &b.0],
    )?;
    Ok(hit.is_some())
}

/// Whether `recipient` is to hear of `from`'s act about `status`: what
/// `Roost::notifiable` decides from `shunning` and `conversation_muters`, in one
/// connection's statements (the writer's, when a like writes its notification).
pub(crate) fn hears_of(c: &Connection, recipient: Id, from: Id, status: Id) -> StoreResult<bool> {
    static SHUNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SHUNS.get_or_init(|| format!("SELECT {}", shuns("$1", "$2", "$3", true)));
    let shunned: Option<bool> = scalar(c, sql, &[&recipient.0, &from.0, &now_ms()])?;
    if shunned.unwrap_or(false) {
        return Ok(false);
    }
    // Most accounts mute no thread: the root is looked for only when this one does.
    let mutes_threads: Option<i64> = scalar(
        c,
        "SELECT 1 FROM conversation_mutes WHERE account_id = $1 LIMIT 1",
        &[&recipient.0],
    )?;
    if mutes_threads.is_none() {
        return Ok(true);
    }
    let root = root_in(c, status)?;
    let muted: Option<i64> = scalar(
        c,
        "SELECT 1 FROM conversation_mutes WHERE account_id = $1 AND root_id = $2",
        &[&recipient.0, &root.0],
    )?;
    Ok(muted.is_none())
}

/// Ends the follow (or request) of `follower` to `target`, if any, keeping counters exact.
fn end_follow(c: &Connection, follower: Id, target: Id) -> StoreResult<()> {
    let accepted: Option<bool> = scalar(
        c,
        "SELECT accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
        &[&follower.0, &target.0],
    )?;
    if let Some(accepted) = accepted {
        exec(
            c,
            "DELETE FROM follows WHERE follower_id = $1 AND target_id = $2",
            &[&follower.0, &target.0],
        )
        .map_err(backend)?;
        if accepted {
            count_follow(c, follower, target, -1)?;
        }
    }
    Ok(())
}

/// Removes `author`'s statuses (posts, reblogs, direct ones too) from `holder`'s home,
/// and the reblogs of `author`'s posts.
fn clear_home(c: &Connection, holder: Id, author: Id) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM home_timeline WHERE account_id = $1 AND status_id IN \
           (SELECT s.id FROM statuses s WHERE s.account_id = $2 \
            UNION SELECT r.id FROM statuses r JOIN statuses o ON o.id = r.reblog_of_id \
                  WHERE o.account_id = $2)",
        &[&holder.0, &author.0],
    )
    .map_err(backend)?;
    Ok(())
}

fn block_in(c: &Connection, id: Id, account: Id, target: Id, at: Timestamp) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO blocks (id, account_id, target_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
        &[&id.0, &account.0, &target.0, &ms(at)],
    )
    .map_err(|e| super::write_err(e, "block", "account"))?;
    end_follow(c, account, target)?;
    end_follow(c, target, account)?;
    clear_home(c, account, target)?;
    clear_home(c, target, account)?;
    exec(
        c,
        "DELETE FROM notifications WHERE (account_id = $1 AND from_account_id = $2) \
           OR (account_id = $2 AND from_account_id = $1)",
        &[&account.0, &target.0],
    )
    .map_err(backend)?;
    Ok(n > 0)
}

#[async_trait]
impl SafetyStore for SqliteStore {
    async fn block(&self, id: Id, account: Id, target: Id, at: Timestamp) -> StoreResult<bool> {
        self.db
            .write(move |c| block_in(c, id, account, target, at))
            .await
    }

    async fn unblock(&self, account: Id, target: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "DELETE FROM blocks WHERE account_id = $1 AND target_id = $2",
                    &[&account.0, &target.0],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn blocks(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(
            "SELECT x.id AS cursor, x.target_id AS item FROM blocks x WHERE x.account_id = ",
        );
        q.push_arg(account);
        self.read_cursored(q, "x.id", page).await
    }

    async fn mute(
        &self,
        id: Id,
        account: Id,
        target: Id,
        notifications: bool,
        expires_at: Option<Timestamp>,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "INSERT INTO mutes (id, account_id, target_id, notifications, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (account_id, target_id) DO UPDATE SET \
                       notifications = excluded.notifications, expires_at = excluded.expires_at",
                    &[
                        &id.0,
                        &account.0,
                        &target.0,
                        &notifications,
                        &expires_at.map(ms),
                        &ms(at),
                    ],
                )
                .map_err(|e| super::write_err(e, "mute", "account"))?;
                Ok(())
            })
            .await
    }

    async fn unmute(&self, account: Id, target: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "DELETE FROM mutes WHERE account_id = $1 AND target_id = $2",
                    &[&account.0, &target.0],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn mutes(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Mute>>> {
        let mut q = Sql::new(
            "SELECT x.id, x.target_id, x.notifications, x.expires_at FROM mutes x WHERE x.account_id = ",
        );
        q.push_arg(account);
        q.push(" AND (x.expires_at IS NULL OR x.expires_at > ")
            .push_arg(now_ms())
            .push(")");
        let asc = q.push_page("x.id", &page);
        let items = self
            .db
            .read(move |c| {
                q.rows(c, |r| {
                    Ok(Cursored {
                        cursor: Id(get(r, "id")?),
                        item: Mute {
                            target: Id(get(r, "target_id")?),
                            notifications: get(r, "notifications")?,
                            expires_at: opt_ts(get(r, "expires_at")?)?,
                        },
                    })
                })
            })
            .await?;
        Ok(newest_first(items, asc))
    }

    async fn block_domain(
        &self,
        id: Id,
        account: Id,
        domain: &str,
        region: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let (domain, region) = (domain.to_owned(), region.map(str::to_owned));
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "INSERT INTO user_domain_blocks (id, account_id, domain, region, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[&id.0, &account.0, &domain, &region, &ms(at)],
                )
                .map_err(|e| super::write_err(e, "domain_block", "account"))?;
                Ok(n > 0)
            })
            .await
    }

    async fn unblock_domain(&self, account: Id, domain: &str) -> StoreResult<bool> {
        let domain = domain.to_owned();
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "DELETE FROM user_domain_blocks WHERE account_id = $1 AND domain = $2",
                    &[&account.0, &domain],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn user_domain_blocks(
        &self,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<Cursored<String>>> {
        let mut q = Sql::new(
            "SELECT x.id AS cursor, x.domain AS item FROM user_domain_blocks x WHERE x.account_id = ",
        );
        q.push_arg(account);
        let asc = q.push_page("x.id", &page);
        let items = self
            .db
            .read(move |c| {
                q.rows(c, |r| {
                    Ok(Cursored {
                        cursor: Id(get(r, "cursor")?),
                        item: get(r, "item")?,
                    })
                })
            })
            .await?;
        Ok(newest_first(items, asc))
    }

    async fn thread_root(&self, status: Id) -> StoreResult<Id> {
        self.db.read(move |c| root_in(c, status)).await
    }

    async fn mute_conversation(&self, account: Id, root: Id) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "INSERT INTO conversation_mutes (account_id, root_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&account.0, &root.0],
                )
                .map_err(|e| super::write_err(e, "conversation_mute", "account"))?;
                Ok(())
            })
            .await
    }

    async fn unmute_conversation(&self, account: Id, root: Id) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "DELETE FROM conversation_mutes WHERE account_id = $1 AND root_id = $2",
                    &[&account.0, &root.0],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn conversation_muters(&self, root: Id, among: &[Id]) -> StoreResult<Vec<Id>> {
        let among = among.to_vec();
        self.db
            .read(move |c| {
                per_chunk(
                    c,
                    &among,
                    |chunk| {
                        let mut q = Sql::new(
                            "SELECT account_id AS id FROM conversation_mutes WHERE root_id = ",
                        );
                        q.push_arg(root).push(" AND account_id IN (");
                        q.push_ids(chunk).push(")");
                        q
                    },
                    id_of,
                )
            })
            .await
    }

    async fn shunning(&self, authors: &[Id], among: &[Id], shun: Shun) -> StoreResult<Vec<Id>> {
        if authors.is_empty() || among.is_empty() {
            return Ok(Vec::new());
        }
        let (authors, among) = (authors.to_vec(), among.to_vec());
        self.db
            .read(move |c| {
                // Few recipients: the query is restricted to them. Many (every connected
                // stream): the author's blockers and muters are read by the author's side
                // of the indexes and intersected here; one query whatever the audience.
                let restricted = among.len() <= ID_CHUNK;
                let mut q = Sql::new("");
                let ids = |q: &mut Sql, col: &str, ids: &[Id]| {
                    q.push(&format!(" AND {col} IN ("));
                    q.push_ids(ids);
                    q.push(")");
                };
                let to = |q: &mut Sql, col: &str| {
                    if restricted {
                        ids(q, col, &among);
                    }
                };
                q.push("SELECT account_id AS id FROM blocks WHERE 1 = 1");
                ids(&mut q, "target_id", &authors);
                to(&mut q, "account_id");
                q.push(" UNION SELECT target_id AS id FROM blocks WHERE 1 = 1");
                ids(&mut q, "account_id", &authors);
                to(&mut q, "target_id");
                if shun != Shun::Blocks {
                    q.push(" UNION SELECT account_id AS id FROM mutes WHERE 1 = 1");
                    ids(&mut q, "target_id", &authors);
                    to(&mut q, "account_id");
                    q.push(" AND (expires_at IS NULL OR expires_at > ")
                        .push_arg(now_ms())
                        .push(")");
                    if shun == Shun::Notifications {
                        q.push(" AND notifications = 1");
                    }
                    q.push(
                        " UNION SELECT d.account_id AS id FROM user_domain_blocks d \
                         JOIN accounts a ON a.home_region = d.region WHERE 1 = 1",
                    );
                    ids(&mut q, "a.id", &authors);
                    to(&mut q, "d.account_id");
                }
                let mut out = q.rows(c, |r| Ok(Id(get(r, "id")?)))?;
                if !restricted {
                    let wanted: std::collections::HashSet<Id> = among.iter().copied().collect();
                    out.retain(|a| wanted.contains(a));
                }
                // An author is never kept from their own acts.
                out.retain(|a| !authors.contains(a));
                out.sort_unstable();
                out.dedup();
                Ok(out)
            })
            .await
    }

    async fn hidden_statuses(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<Id>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let now = now_ms();
                per_chunk(
                    c,
                    &ids,
                    |chunk| {
                        let mut q = Sql::new(
                            "SELECT s.id FROM statuses s \
                             LEFT JOIN statuses r ON r.id = s.reblog_of_id WHERE s.id IN (",
                        );
                        q.push_ids(chunk).push(")");
                        let v = q.arg(viewer);
                        let now = q.arg(now);
                        q.push(&format!(
                            " AND ({} OR (r.id IS NOT NULL AND {}))",
                            shuns(&v, "s.account_id", &now, false),
                            shuns(&v, "r.account_id", &now, false)
                        ));
                        q
                    },
                    id_of,
                )
            })
            .await
    }
}

/// Blocks, mutes in effect and region blocks between `viewer` and each of `targets`, for
/// relationships (targets without any are absent).
pub(crate) fn relations_in(
    c: &Connection,
    viewer: Id,
    targets: &[Id],
) -> StoreResult<std::collections::HashMap<Id, SafetyRelation>> {
    let mut out: std::collections::HashMap<Id, SafetyRelation> = Default::default();
    let now = now_ms();
    for chunk in targets.chunks(ID_CHUNK) {
        let mut q = Sql::new(
            "SELECT 'blocking' AS k, target_id AS t, 0 AS n FROM blocks WHERE account_id = ",
        );
        let v = q.arg(viewer);
        q.push(&v).push(" AND target_id IN (");
        q.push_ids(chunk);
        q.push(&format!(
            ") UNION ALL SELECT 'blocked_by', account_id, 0 FROM blocks WHERE target_id = {v} AND account_id IN ("
        ));
        q.push_ids(chunk);
        q.push(&format!(
            ") UNION ALL SELECT 'muting', target_id, notifications FROM mutes WHERE account_id = {v} \
             AND (expires_at IS NULL OR expires_at > "
        ));
        q.push_arg(now).push(") AND target_id IN (");
        q.push_ids(chunk);
        q.push(&format!(
            ") UNION ALL SELECT 'domain', a.id, 0 FROM accounts a JOIN user_domain_blocks d \
             ON d.region = a.home_region WHERE d.account_id = {v} AND a.id IN ("
        ));
        q.push_ids(chunk).push(")");
        for (k, t, n) in q.rows(c, |r| {
            Ok((
                get::<String>(r, "k")?,
                Id(get(r, "t")?),
                get::<bool>(r, "n")?,
            ))
        })? {
            let e = out.entry(t).or_default();
            match k.as_str() {
                "blocking" => e.blocking = true,
                "blocked_by" => e.blocked_by = true,
                "muting" => {
                    e.muting = true;
                    e.muting_notifications = n;
                }
                _ => e.domain_blocking = true,
            }
        }
    }
    Ok(out)
}
