//! `FollowStore`: follows and follow requests, their counters, and the home-timeline
//! backfill and clean-up they cause.

use super::{backend, get, write_err, SqliteStore};
use crate::sql::{newest_first, Sql, ID_CHUNK};
use async_trait::async_trait;
use roost_core::model::{Cursored, FollowState, Page, Relationship};
use roost_core::store::{FollowStore, StoreResult};
use roost_core::Id;
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// How many of the target's recent statuses a new follow copies into the follower's home.
const BACKFILL: i64 = 40;

/// Counts an accepted follow (delta 1) or its end (delta -1).
async fn count_follow(
    conn: &mut SqliteConnection,
    follower: Id,
    target: Id,
    delta: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET following_count = CASE WHEN following_count + $2 < 0 THEN 0 \
           ELSE following_count + $2 END WHERE id = $1",
    )
    .bind(follower.0)
    .bind(delta)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(
        "UPDATE accounts SET followers_count = CASE WHEN followers_count + $2 < 0 THEN 0 \
           ELSE followers_count + $2 END WHERE id = $1",
    )
    .bind(target.0)
    .bind(delta)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Copies the target's latest statuses the follower may now see into the follower's home,
/// by the same rules as fan-out: no direct statuses, no replies to accounts the follower
/// neither is nor follows, no reblogs of the follower's own statuses, and no reblogs at all
/// if the follower hides the target's reblogs.
async fn backfill(conn: &mut SqliteConnection, follower: Id, target: Id) -> StoreResult<()> {
    sqlx::query(
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
    )
    .bind(follower.0)
    .bind(target.0)
    .bind(BACKFILL)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

impl SqliteStore {
    async fn follow_list(
        &self,
        sql: &str,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(sql);
        q.push_arg(account);
        let asc = q.push_page("f.id", &page);
        let rows = q.fetch_all(&self.r).await.map_err(backend)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Cursored {
                    cursor: Id(get(r, "cursor")?),
                    item: Id(get(r, "item")?),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(newest_first(items, asc))
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
        let mut tx = self.w.begin().await.map_err(backend)?;
        let existing: Option<bool> = sqlx::query_scalar(
            "SELECT accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
        )
        .bind(follower.0)
        .bind(target.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(accepted) = existing {
            sqlx::query("UPDATE follows SET notify = $3, reblogs = $4 WHERE follower_id = $1 AND target_id = $2")
                .bind(follower.0)
                .bind(target.0)
                .bind(notify)
                .bind(reblogs)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            return Ok(if accepted {
                FollowState::Accepted
            } else {
                FollowState::Requested
            });
        }
        let accepted = state == FollowState::Accepted;
        sqlx::query(
            "INSERT INTO follows (id, follower_id, target_id, accepted, notify, reblogs) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(follower.0)
        .bind(target.0)
        .bind(accepted)
        .bind(notify)
        .bind(reblogs)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_err(e, "follow", "account"))?;
        if accepted {
            count_follow(&mut tx, follower, target, 1).await?;
            backfill(&mut tx, follower, target).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(state)
    }

    async fn unfollow(&self, follower: Id, target: Id) -> StoreResult<bool> {
        let mut tx = self.w.begin().await.map_err(backend)?;
        let existing: Option<bool> = sqlx::query_scalar(
            "SELECT accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
        )
        .bind(follower.0)
        .bind(target.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(accepted) = existing else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND target_id = $2")
            .bind(follower.0)
            .bind(target.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if accepted {
            count_follow(&mut tx, follower, target, -1).await?;
            // The target's posts and reblogs leave the follower's home. Direct statuses
            // stay: they were delivered by mention, not by the follow.
            sqlx::query(
                "DELETE FROM home_timeline WHERE account_id = $1 AND status_id IN \
                   (SELECT s.id FROM statuses s WHERE s.account_id = $2 AND s.visibility <> 'direct')",
            )
            .bind(follower.0)
            .bind(target.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn authorize_request(&self, target: Id, follower: Id) -> StoreResult<bool> {
        let mut tx = self.w.begin().await.map_err(backend)?;
        let n = sqlx::query("UPDATE follows SET accepted = 1 WHERE follower_id = $1 AND target_id = $2 AND accepted = 0")
            .bind(follower.0)
            .bind(target.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if n > 0 {
            count_follow(&mut tx, follower, target, 1).await?;
            backfill(&mut tx, follower, target).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn reject_request(&self, target: Id, follower: Id) -> StoreResult<bool> {
        let n = sqlx::query(
            "DELETE FROM follows WHERE follower_id = $1 AND target_id = $2 AND accepted = 0",
        )
        .bind(follower.0)
        .bind(target.0)
        .execute(&self.w)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn relationships(&self, viewer: Id, targets: &[Id]) -> StoreResult<Vec<Relationship>> {
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
            for r in q.fetch_all(&self.r).await.map_err(backend)? {
                edges.insert(
                    (Id(get(&r, "follower_id")?), Id(get(&r, "target_id")?)),
                    (
                        get(&r, "accepted")?,
                        get(&r, "notify")?,
                        get(&r, "reblogs")?,
                    ),
                );
            }
        }
        Ok(targets
            .iter()
            .map(|&t| {
                let out = edges.get(&(viewer, t)).copied();
                let inc = edges.get(&(t, viewer)).copied();
                Relationship {
                    following: matches!(out, Some((true, _, _))),
                    followed_by: matches!(inc, Some((true, _, _))),
                    requested: matches!(out, Some((false, _, _))),
                    requested_by: matches!(inc, Some((false, _, _))),
                    notifying: matches!(out, Some((_, true, _))),
                    showing_reblogs: matches!(out, Some((_, _, true))),
                }
            })
            .collect())
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
        sqlx::query_scalar("SELECT COUNT(*) FROM follows WHERE target_id = $1 AND accepted = 0")
            .bind(account.0)
            .fetch_one(&self.r)
            .await
            .map_err(backend)
    }

    async fn notifying_followers(&self, account: Id) -> StoreResult<Vec<Id>> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT follower_id FROM follows WHERE target_id = $1 AND accepted = 1 AND notify = 1",
        )
        .bind(account.0)
        .fetch_all(&self.r)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(Id).collect())
    }
}
