//! `AnnouncementStore`: the region's announcements, dismissals and reactions.

use super::{backend, exec, get, ms, opt_ts, rows, scalar, ts, write_err, PgStore};
use super::{pg_read, pg_write, Db};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::Announcement;
use roost_core::store::{AnnouncementStore, StoreResult};
use roost_core::Id;

/// The announcement is there and not ended.
async fn running(c: &impl Db, id: Id) -> StoreResult<bool> {
    Ok(scalar::<i64>(
        c,
        "SELECT 1 FROM announcements WHERE id = $1 AND ended_at IS NULL",
        &[&id.0],
    )
    .await?
    .is_some())
}

#[async_trait]
impl AnnouncementStore for PgStore {
    async fn create_announcement(&self, a: &Announcement) -> StoreResult<()> {
        let a = a.clone();
        pg_write!(self, c, {
            exec(
                    c,
                    "INSERT INTO announcements (id, text, content_html, starts_at, ends_at, all_day, published_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &a.id.0,
                        &a.text,
                        &a.content_html,
                        &a.starts_at.map(ms),
                        &a.ends_at.map(ms),
                        &a.all_day,
                        &ms(a.published_at),
                        &ms(a.updated_at),
                    ],
                ).await
                .map_err(|e| write_err(e, "announcement", "announcement"))?;
            Ok(())
        })
    }

    async fn end_announcement(&self, id: Id, at: Timestamp) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE announcements SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
                &[&id.0, &ms(at)],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn announcements(&self, viewer: Id, now: Timestamp) -> StoreResult<Vec<Announcement>> {
        pg_read!(self, c, {
            let mut out = rows(
                    c,
                    "SELECT a.id, a.text, a.content_html, a.starts_at, a.ends_at, a.all_day, a.published_at, a.updated_at, \
                     EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.account_id = $1) AS read \
                     FROM announcements a WHERE a.ended_at IS NULL AND (a.ends_at IS NULL OR a.ends_at > $2) \
                     ORDER BY a.id DESC",
                    &[&viewer.0, &ms(now)],
                    |r| {
                        Ok(Announcement {
                            id: Id(get(r, "id")?),
                            text: get(r, "text")?,
                            content_html: get(r, "content_html")?,
                            starts_at: opt_ts(get(r, "starts_at")?)?,
                            ends_at: opt_ts(get(r, "ends_at")?)?,
                            all_day: get(r, "all_day")?,
                            published_at: ts(get(r, "published_at")?)?,
                            updated_at: ts(get(r, "updated_at")?)?,
                            read: get(r, "read")?,
                            reactions: Vec::new(),
                        })
                    },
                ).await?;
            for a in &mut out {
                a.reactions = rows(
                        c,
                        "SELECT name, COUNT(*) AS n, bool_or(account_id = $2) AS me, MIN(seq) AS first \
                         FROM announcement_reactions WHERE announcement_id = $1 \
                         GROUP BY name ORDER BY first",
                        &[&a.id.0, &viewer.0],
                        |r| Ok((get(r, "name")?, get(r, "n")?, get(r, "me")?)),
                    ).await?;
            }
            Ok(out)
        })
    }

    async fn dismiss_announcement(&self, id: Id, account: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            if !running(c, id).await? {
                return Ok(false);
            }
            exec(
                    c,
                    "INSERT INTO announcement_reads (announcement_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&id.0, &account.0],
                ).await
                .map_err(|e| write_err(e, "announcement_read", "account"))?;
            Ok(true)
        })
    }

    async fn react_to_announcement(
        &self,
        id: Id,
        account: Id,
        name: &str,
        on: bool,
    ) -> StoreResult<bool> {
        let name = name.to_owned();
        pg_write!(self, c, {
            if !running(c, id).await? {
                return Ok(false);
            }
            let sql = if on {
                "INSERT INTO announcement_reactions (announcement_id, account_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM announcement_reactions WHERE announcement_id = $1 AND account_id = $2 AND name = $3"
            };
            exec(c, sql, &[&id.0, &account.0, &name])
                .await
                .map_err(|e| write_err(e, "announcement_reaction", "account"))?;
            Ok(true)
        })
    }
}
