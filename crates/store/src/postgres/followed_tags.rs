//! `FollowedTagStore`: hashtags an account follows, and the tag part of the post fan-out.

use super::{backend, exec, get, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sql::{newest_first, Sql};
use async_trait::async_trait;
use roost_core::model::{Cursored, NewStatus, Page, Visibility};
use roost_core::store::{FollowedTagStore, StoreResult};
use roost_core::Id;

/// A public post with hashtags joins the home timeline of every local account following
/// one of them (as Mastodon: public, not a reblog), except the owners in `skip`.
pub(crate) async fn fan_out_in(c: &impl Db, new: &NewStatus, skip: &[Id]) -> StoreResult<()> {
    if new.visibility != Visibility::Public || new.reblog_of_id.is_some() || new.tags.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO home_timeline (account_id, status_id) SELECT DISTINCT ft.account_id, ",
    );
    q.push_arg(new.id);
    q.push(" FROM followed_tags ft WHERE ft.tag IN (");
    for (i, t) in new.tags.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_arg(t.as_str());
    }
    q.push(") AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = ft.account_id)");
    if !skip.is_empty() {
        q.push(" AND ft.account_id NOT IN (")
            .push_ids(skip)
            .push(")");
    }
    q.push(" ON CONFLICT DO NOTHING");
    q.run(c).await.map_err(backend)?;
    Ok(())
}

#[async_trait]
impl FollowedTagStore for PgStore {
    async fn follow_tag(&self, id: Id, account: Id, tag: &str) -> StoreResult<bool> {
        let tag = tag.to_owned();
        pg_write!(self, c, {
            let n = exec(
                    c,
                    "INSERT INTO followed_tags (id, account_id, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&id.0, &account.0, &tag],
                ).await
                .map_err(|e| super::write_err(e, "followed_tag", "account"))?;
            Ok(n > 0)
        })
    }

    async fn unfollow_tag(&self, account: Id, tag: &str) -> StoreResult<bool> {
        let tag = tag.to_owned();
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM followed_tags WHERE account_id = $1 AND tag = $2",
                &[&account.0, &tag],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn followed_tags(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<String>>> {
        pg_read!(self, c, {
            let mut q =
                Sql::new("SELECT ft.id, ft.tag FROM followed_tags ft WHERE ft.account_id = ");
            q.push_arg(account);
            let asc = q.push_page("ft.id", &page);
            let rows = q
                .fetch(c, |r| {
                    Ok(Cursored {
                        cursor: Id(get(r, "id")?),
                        item: get::<String>(r, "tag")?,
                    })
                })
                .await?;
            Ok(newest_first(rows, asc))
        })
    }

    async fn following_tags(&self, account: Id, tags: &[String]) -> StoreResult<Vec<String>> {
        let tags = tags.to_vec();
        pg_read!(self, c, {
            let mut out = Vec::new();
            for chunk in tags.chunks(crate::sql::ID_CHUNK) {
                let mut q = Sql::new("SELECT tag FROM followed_tags WHERE account_id = ");
                q.push_arg(account).push(" AND tag IN (");
                for (i, t) in chunk.iter().enumerate() {
                    if i > 0 {
                        q.push(", ");
                    }
                    q.push_arg(t.as_str());
                }
                q.push(")");
                out.extend(q.fetch(c, |r| get::<String>(r, "tag")).await?);
            }
            Ok(out)
        })
    }
}
