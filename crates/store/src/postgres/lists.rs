//! `ListStore`: lists, their members (each resting on the owner's follow) and their
//! materialised timelines; the list part of the post fan-out.

use super::{backend, corrupt, exec, get, id_of, ms, per_chunk, row, rows, scalar, ts, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sql::Sql;
pub(crate) use crate::sqlite::lists::{shows_reply, BACKFILL, LIST_COLS};
use async_trait::async_trait;
use roost_core::model::{Cursored, List, NewStatus, Page, RepliesPolicy, Visibility};
use roost_core::store::{ListStore, StoreError, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

fn list_of(r: &Row) -> StoreResult<List> {
    let policy: String = get(r, "replies_policy")?;
    Ok(List {
        id: Id(get(r, "id")?),
        account_id: Id(get(r, "account_id")?),
        title: get(r, "title")?,
        replies_policy: RepliesPolicy::parse(&policy)
            .ok_or_else(|| corrupt(format!("replies_policy {policy:?}")))?,
        exclusive: get(r, "exclusive")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// The owners whose exclusive lists hold `author`: the home fan-out skips them.
pub(crate) async fn exclusive_owners(c: &impl Db, author: Id) -> StoreResult<Vec<Id>> {
    rows(
        c,
        "SELECT DISTINCT l.account_id AS id FROM list_accounts la JOIN lists l ON l.id = la.list_id \
         JOIN follows f ON f.id = la.follow_id AND f.accepted = 1 \
         WHERE la.account_id = $1 AND l.exclusive = 1",
        &[&author.0],
        id_of,
    ).await
}

/// The list part of the fan-out of a new status (one indexed probe when its author is in
/// no list).
pub(crate) async fn fan_out_in(c: &impl Db, new: &NewStatus) -> StoreResult<()> {
    if new.visibility == Visibility::Direct {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO list_timeline (list_id, status_id, account_id) \
         SELECT la.list_id, $1, $2 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
         JOIN follows f ON f.id = la.follow_id AND f.accepted = 1 \
         WHERE la.account_id = $2 AND {} ON CONFLICT DO NOTHING",
        shows_reply("$2", "$3")
    );
    exec(
        c,
        &sql,
        &[
            &new.id.0,
            &new.account_id.0,
            &new.in_reply_to_account_id.map(|i| i.0),
        ],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// A follow was accepted: as `sqlite::lists::joined_lists`.
pub(crate) async fn joined_lists(c: &impl Db, follower: Id, target: Id) -> StoreResult<()> {
    let lists: Vec<(i64, bool)> = rows(
        c,
        "SELECT l.id, l.exclusive FROM list_accounts la JOIN lists l ON l.id = la.list_id \
         JOIN follows f ON f.id = la.follow_id \
         WHERE f.follower_id = $1 AND f.target_id = $2",
        &[&follower.0, &target.0],
        |r| Ok((get(r, "id")?, get(r, "exclusive")?)),
    )
    .await?;
    for (list, exclusive) in lists {
        backfill(c, Id(list), target).await?;
        if exclusive {
            leave_home(c, follower, target).await?;
        }
    }
    Ok(())
}

async fn backfill(c: &impl Db, list: Id, member: Id) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO list_timeline (list_id, status_id, account_id) \
         SELECT l.id, s.id, s.account_id FROM statuses s JOIN lists l ON l.id = $1 \
         WHERE s.account_id = $2 AND s.visibility <> 'direct' AND {} \
         ORDER BY s.id DESC LIMIT $3 ON CONFLICT DO NOTHING",
        shows_reply("s.account_id", "s.in_reply_to_account_id")
    );
    exec(c, &sql, &[&list.0, &member.0, &BACKFILL])
        .await
        .map_err(backend)?;
    Ok(())
}

/// Takes `member`'s posts (and reblogs) out of `owner`'s home timeline; direct messages
/// to the owner stay (they came as mentions, not as follows).
async fn leave_home(c: &impl Db, owner: Id, member: Id) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM home_timeline WHERE account_id = $1 \
           AND status_id IN (SELECT id FROM statuses WHERE account_id = $2 \
                             AND visibility <> 'direct')",
        &[&owner.0, &member.0],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// Puts `member`'s recent posts back in `owner`'s home if no exclusive list of the owner
/// holds them any longer.
async fn rejoin_home(c: &impl Db, owner: Id, member: Id) -> StoreResult<()> {
    let still: Option<i64> = scalar(
        c,
        "SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id \
         WHERE la.account_id = $2 AND l.account_id = $1 AND l.exclusive = 1 LIMIT 1",
        &[&owner.0, &member.0],
    )
    .await?;
    if still.is_none() {
        super::follows::backfill(c, owner, member).await?;
    }
    Ok(())
}

async fn members_in(c: &impl Db, list: Id) -> StoreResult<Vec<Id>> {
    rows(
        c,
        "SELECT account_id AS id FROM list_accounts WHERE list_id = $1",
        &[&list.0],
        id_of,
    )
    .await
}

async fn list_in(c: &impl Db, owner: Id, id: Id) -> StoreResult<Option<List>> {
    let sql = format!("SELECT {LIST_COLS} FROM lists l WHERE l.id = $1 AND l.account_id = $2");
    row(c, &sql, &[&id.0, &owner.0], list_of).await
}

#[async_trait]
impl ListStore for PgStore {
    async fn create_list(&self, list: &List) -> StoreResult<()> {
        let l = list.clone();
        pg_write!(self, c, {
            exec(
                c,
                "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &l.id.0,
                    &l.account_id.0,
                    &l.title,
                    &l.replies_policy.as_str(),
                    &l.exclusive,
                    &ms(l.created_at),
                ],
            )
            .await
            .map_err(|e| super::write_err(e, "list", "account"))?;
            Ok(())
        })
    }

    async fn lists_of(&self, owner: Id) -> StoreResult<Vec<List>> {
        pg_read!(self, c, {
            let sql =
                format!("SELECT {LIST_COLS} FROM lists l WHERE l.account_id = $1 ORDER BY l.id");
            rows(c, &sql, &[&owner.0], list_of).await
        })
    }

    async fn list(&self, owner: Id, id: Id) -> StoreResult<Option<List>> {
        pg_read!(self, c, list_in(c, owner, id).await)
    }

    async fn update_list(&self, list: &List) -> StoreResult<bool> {
        let l = list.clone();
        pg_write!(self, c, {
            let Some(old) = list_in(c, l.account_id, l.id).await? else {
                return Ok(false);
            };
            exec(
                c,
                "UPDATE lists SET title = $3, replies_policy = $4, exclusive = $5 \
                     WHERE id = $1 AND account_id = $2",
                &[
                    &l.id.0,
                    &l.account_id.0,
                    &l.title,
                    &l.replies_policy.as_str(),
                    &l.exclusive,
                ],
            )
            .await
            .map_err(backend)?;
            if old.exclusive != l.exclusive {
                for m in members_in(c, l.id).await? {
                    if l.exclusive {
                        leave_home(c, l.account_id, m).await?;
                    } else {
                        rejoin_home(c, l.account_id, m).await?;
                    }
                }
            }
            Ok(true)
        })
    }

    async fn delete_list(&self, owner: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let Some(old) = list_in(c, owner, id).await? else {
                return Ok(false);
            };
            let members = members_in(c, id).await?;
            exec(c, "DELETE FROM lists WHERE id = $1", &[&id.0])
                .await
                .map_err(backend)?;
            if old.exclusive {
                for m in members {
                    rejoin_home(c, owner, m).await?;
                }
            }
            Ok(true)
        })
    }

    async fn add_list_members(&self, list: Id, members: &[(Id, Id)]) -> StoreResult<()> {
        let members = members.to_vec();
        pg_write!(self, c, {
            let l: Option<(i64, bool)> = row(
                c,
                "SELECT account_id, exclusive FROM lists WHERE id = $1",
                &[&list.0],
                |r| Ok((get(r, "account_id")?, get(r, "exclusive")?)),
            )
            .await?;
            let (owner, exclusive) = l.ok_or(StoreError::Missing("list"))?;
            for (entry, member) in &members {
                let follow: Option<(i64, bool)> = row(
                    c,
                    "SELECT id, accepted FROM follows WHERE follower_id = $1 AND target_id = $2",
                    &[&owner, &member.0],
                    |r| Ok((get(r, "id")?, get(r, "accepted")?)),
                )
                .await?;
                let (follow, accepted) = follow.ok_or(StoreError::Missing("follow"))?;
                exec(
                        c,
                        "INSERT INTO list_accounts (id, list_id, account_id, follow_id) VALUES ($1, $2, $3, $4)",
                        &[&entry.0, &list.0, &member.0, &follow],
                    ).await
                    .map_err(|e| super::write_err(e, "member", "list"))?;
                // A requested follow: the member's posts come once it is accepted.
                if accepted {
                    backfill(c, list, *member).await?;
                    if exclusive {
                        leave_home(c, Id(owner), *member).await?;
                    }
                }
            }
            Ok(())
        })
    }

    async fn remove_list_members(&self, list: Id, accounts: &[Id]) -> StoreResult<()> {
        let accounts = accounts.to_vec();
        pg_write!(self, c, {
            let l: Option<(i64, bool)> = row(
                c,
                "SELECT account_id, exclusive FROM lists WHERE id = $1",
                &[&list.0],
                |r| Ok((get(r, "account_id")?, get(r, "exclusive")?)),
            )
            .await?;
            let Some((owner, exclusive)) = l else {
                return Ok(());
            };
            for m in accounts {
                // The timeline entries go with the membership (foreign-key cascade).
                let n = exec(
                    c,
                    "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = $2",
                    &[&list.0, &m.0],
                )
                .await
                .map_err(backend)?;
                if n > 0 && exclusive {
                    rejoin_home(c, Id(owner), m).await?;
                }
            }
            Ok(())
        })
    }

    async fn list_members(&self, list: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(
            "SELECT la.id AS cursor, la.account_id AS item FROM list_accounts la WHERE la.list_id = ",
        );
        q.push_arg(list);
        self.read_cursored(q, "la.id", page).await
    }

    async fn lists_with_member(&self, owner: Id, member: Id) -> StoreResult<Vec<List>> {
        pg_read!(self, c, {
            let sql = format!(
                "SELECT {LIST_COLS} FROM lists l JOIN list_accounts la ON la.list_id = l.id \
                     WHERE l.account_id = $1 AND la.account_id = $2 ORDER BY l.id"
            );
            rows(c, &sql, &[&owner.0, &member.0], list_of).await
        })
    }

    async fn list_timeline(&self, list: Id, page: Page) -> StoreResult<Vec<Id>> {
        let mut q = Sql::new("SELECT t.status_id AS id FROM list_timeline t WHERE t.list_id = ");
        q.push_arg(list);
        pg_read!(self, c, {
            let asc = q.push_page("t.status_id", &page);
            Ok(crate::sql::newest_first(q.fetch(c, id_of).await?, asc))
        })
    }

    async fn list_holders(&self, status: Id, lists: Option<&[Id]>) -> StoreResult<Vec<Id>> {
        let lists = lists.map(<[Id]>::to_vec);
        pg_read!(self, c, {
            let Some(lists) = lists else {
                let mut q = Sql::new("SELECT list_id AS id FROM list_timeline WHERE status_id = ");
                q.push_arg(status);
                return q.fetch(c, id_of).await;
            };
            per_chunk(
                c,
                &lists,
                |chunk| {
                    let mut q =
                        Sql::new("SELECT list_id AS id FROM list_timeline WHERE status_id = ");
                    q.push_arg(status).push(" AND list_id IN (");
                    q.push_ids(chunk).push(")");
                    q
                },
                id_of,
            )
            .await
        })
    }
}
