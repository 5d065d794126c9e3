//! `FollowStore`: follows and follow requests, their counters, and the home-timeline
//! backfill and clean-up they cause.

use super::{backend, exec, get, id_of, per_chunk, rows, scalar, write_err, SqliteStore};
use crate::sql::{Sql, ID_CHUNK};
use async_trait::async_trait;
use roost_core::model::{Cursored, FollowState, Page, Relationship};
use roost_core::store::{FollowStore, StoreResult};
use roost_core::Id;
use rusqlite::Connection;
use std::collections::HashMap;

/// How many of the target's recent statuses a new follow copies into the follower's home.
pub(crate) const BACKFILL: i64 = 40;

/// Counts an accepted follow (delta 1) or its end (delta -1).
pub(crate) fn count_follow(
    c: &Connection,
    follower: Id,
    target: Id,
    delta: i64,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE accounts SET following_count = CASE WHEN following_count + $2 < 0 THEN 0 \
           ELSE following_count + $2 END WHERE id = $1",
        &[&follower.0, &delta],
    )
    .map_err(backend)?;
    exec(
        c,
        "UPDATE accounts SET followers_count = CASE WHEN followers_count + $2 < 0 THEN 0 \
           ELSE followers_count + $2 END WHERE id = $1",
        &[&target.0, &delta],
    )
    .map_err(backend)?;
    Ok(())
}

/// Copies the target's latest statuses the follower may now see into the follower's home,
/// by the same rules as fan-out: no direct statuses, no replies to accounts the follower
/// neither is nor follows, no reblogs of the follower's own statuses, and no reblogs at all
/// if the follower hides the target's reblogs.
pub(crate) fn backfill(c: &Connection, follower: Id, target: Id) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO home_timeline (account_id, status_id) \
         SELECT $1, s.id FROM statuses s \
         WHERE s.account_id = $2 AND s.visibility IN ('public', 'unlisted', 'private') \
           AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = $1) \
           AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
                OR s.in_reply_to_account_id = $1 \
                OR EXISTS (SELECT 1 FROM follows g WHERE g.follower_id = $1 \
                           AND g.target_id = s.in_reply_to_account_id AND g.accepted = 1)) \
           AND (s.reblog_of_id IS NULL OR ( \
                EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.target_id = $2 \
                        AND f.reblogs = 1) \
                AND NOT EXISTS (SELECT 1 FROM statuses t WHERE t.id = s.reblog_of_id \
                                AND t.account_id = $1))) \
         ORDER BY s.id DESC LIMIT $3 \
         ON CONFLICT DO NOTHING",
        &[&follower.0, &target.0, &BACKFILL],
    )
    .map_err(backend)?;
    Ok(())
}

impl SqliteStore {
    /// The IDs among `among` that one accepted-follow query (`head` account `tail` list)
    /// finds.
    async fn follows_among(
        &self,
        head: &'static str,
        account: Id,
        tail: &'static str,
        among: &[Id],
    ) -> StoreResult<Vec<Id>> {
        if among.is_empty() {
            return Ok(Vec::new());
        }
        let among = among.to_vec();
        self.db
            .read(move |c| {
                per_chunk(
                    c,
                    &among,
                    |chunk| {
                        let mut q = Sql::new(head);
                        q.push_arg(account).push(tail);
                        q.push_ids(chunk).push(")");
                        q
                    },
                    id_of,
                )
            })
            .await
    }

    async fn follow_list(
        &self,
        sql: &str,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(sql);
        q.push_arg(account);
        self.read_cursored(q, "f.id", page).await
    }
}

#[async_trait]
impl FollowStore for SqliteStore {
    async fn follow(
        &self,
        id: Id,
        follower: Id,
        target: Id,
        state: FollowState,
        notify: bool,
        reblogs: bool,
    ) -> StoreResult<FollowState> {
        self.db
            .write(move |c| {
                let existing: Option<bool> = scalar(
                    c,
                    "SELECT accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
                    &[&follower.0, &target.0],
                )?;
                if let Some(accepted) = existing {
                    exec(
                        c,
                        "UPDATE follows SET notify = $3, reblogs = $4 WHERE follower_id = $1 AND target_id = $2",
                        &[&follower.0, &target.0, &notify, &reblogs],
                    )
                    .map_err(backend)?;
                    return Ok(if accepted {
                        FollowState::Accepted
                    } else {
                        FollowState::Requested
                    });
                }
                let accepted = state == FollowState::Accepted;
                exec(
                    c,
                    "INSERT INTO follows (id, follower_id, target_id, accepted, notify, reblogs) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&id.0, &follower.0, &target.0, &accepted, &notify, &reblogs],
                )
                .map_err(|e| write_err(e, "follow", "account"))?;
                if accepted {
                    count_follow(c, follower, target, 1)?;
                    backfill(c, follower, target)?;
                }
                Ok(state)
            })
            .await
    }

    async fn unfollow(&self, follower: Id, target: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let existing: Option<bool> = scalar(
                    c,
                    "SELECT accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
                    &[&follower.0, &target.0],
                )?;
                let Some(accepted) = existing else {
                    return Ok(false);
                };
                exec(
                    c,
                    "DELETE FROM follows WHERE follower_id = $1 AND target_id = $2",
                    &[&follower.0, &target.0],
                )
                .map_err(backend)?;
                if accepted {
                    count_follow(c, follower, target, -1)?;
                    // The target's posts and reblogs leave the follower's home. Direct statuses
                    // stay: they were delivered by mention, not by the follow.
                    exec(
                        c,
                        "DELETE FROM home_timeline WHERE account_id = $1 AND status_id IN \
                           (SELECT s.id FROM statuses s WHERE s.account_id = $2 AND s.visibility <> 'direct')",
                        &[&follower.0, &target.0],
                    )
                    .map_err(backend)?;
                }
                Ok(true)
            })
            .await
    }

    async fn authorize_request(&self, target: Id, follower: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "UPDATE follows SET accepted = 1 WHERE follower_id = $1 AND target_id = $2 AND accepted = 0",
                    &[&follower.0, &target.0],
                )
                .map_err(backend)?;
                if n > 0 {
                    count_follow(c, follower, target, 1)?;
                    backfill(c, follower, target)?;
                    super::lists::joined_lists(c, follower, target)?;
                }
                Ok(n > 0)
            })
            .await
    }

    async fn reject_request(&self, target: Id, follower: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "DELETE FROM follows WHERE follower_id = $1 AND target_id = $2 AND accepted = 0",
                    &[&follower.0, &target.0],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn relationships(&self, viewer: Id, targets: &[Id]) -> StoreResult<Vec<Relationship>> {
        let targets = targets.to_vec();
        self.db
            .read(move |c| {
                // (follower, target) -> (accepted, notify, reblogs)
                let mut edges: HashMap<(Id, Id), (bool, bool, bool)> = HashMap::new();
                for chunk in targets.chunks(ID_CHUNK) {
                    let mut q = Sql::new(
                        "SELECT follower_id, target_id, accepted, notify, reblogs FROM follows WHERE ",
                    );
                    let v = q.arg(viewer);
                    q.push(&format!("(follower_id = {v} AND target_id IN ("));
                    q.push_ids(chunk);
                    q.push(&format!(")) OR (target_id = {v} AND follower_id IN ("));
                    q.push_ids(chunk);
                    q.push("))");
                    for (k, e) in q.rows(c, |r| {
                        Ok((
                            (Id(get(r, "follower_id")?), Id(get(r, "target_id")?)),
                            (get(r, "accepted")?, get(r, "notify")?, get(r, "reblogs")?),
                        ))
                    })? {
                        edges.insert(k, e);
                    }
                }
                let safety = super::safety::relations_in(c, viewer, &targets)?;
                Ok(targets
                    .iter()
                    .map(|&t| {
                        let out = edges.get(&(viewer, t)).copied();
                        let inc = edges.get(&(t, viewer)).copied();
                        let sr = safety.get(&t).copied().unwrap_or_default();
                        Relationship {
                            blocking: sr.blocking,
                            blocked_by: sr.blocked_by,
                            muting: sr.muting,
                            muting_notifications: sr.muting_notifications,
                            domain_blocking: sr.domain_blocking,
                            following: matches!(out, Some((true, _, _))),
                            followed_by: matches!(inc, Some((true, _, _))),
                            requested: matches!(out, Some((false, _, _))),
                            requested_by: matches!(inc, Some((false, _, _))),
                            notifying: matches!(out, Some((_, true, _))),
                            showing_reblogs: matches!(out, Some((_, _, true))),
                        }
                    })
                    .collect())
            })
            .await
    }

    async fn followers(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        self.follow_list(
            "SELECT f.id AS cursor, f.follower_id AS item FROM follows f WHERE f.accepted = 1 AND f.target_id = ",
            account,
            page,
        )
        .await
    }

    async fn following(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        self.follow_list(
            "SELECT f.id AS cursor, f.target_id AS item FROM follows f WHERE f.accepted = 1 AND f.follower_id = ",
            account,
            page,
        )
        .await
    }

    async fn follow_requests(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        self.follow_list(
            "SELECT f.id AS cursor, f.follower_id AS item FROM follows f WHERE f.accepted = 0 AND f.target_id = ",
            account,
            page,
        )
        .await
    }

    async fn count_follow_requests(&self, account: Id) -> StoreResult<i64> {
        self.db
            .read(move |c| {
                scalar::<i64>(
                    c,
                    "SELECT COUNT(*) FROM follows WHERE target_id = $1 AND accepted = 0",
                    &[&account.0],
                )
                .map(|n| n.unwrap_or(0))
            })
            .await
    }

    async fn notifying_followers(&self, account: Id) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT follower_id FROM follows WHERE target_id = $1 AND accepted = 1 AND notify = 1",
                    &[&account.0],
                    |r| Ok(Id(r.get::<_, i64>(0).map_err(backend)?)),
                )
            })
            .await
    }

    async fn followers_among(&self, target: Id, among: &[Id]) -> StoreResult<Vec<Id>> {
        self.follows_among(
            "SELECT follower_id AS id FROM follows WHERE accepted = 1 AND target_id = ",
            target,
            " AND follower_id IN (",
            among,
        )
        .await
    }

    async fn followed_among(&self, follower: Id, among: &[Id]) -> StoreResult<Vec<Id>> {
        self.follows_among(
            "SELECT target_id AS id FROM follows WHERE accepted = 1 AND follower_id = ",
            follower,
            " AND target_id IN (",
            among,
        )
        .await
    }
}
