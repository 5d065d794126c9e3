//! `AccountExtrasStore`: posting defaults, private notes, endorsements, featured tags, and
//! the directory and familiar-followers lists.

use super::{backend, exec, get, ms, opt_ts, per_chunk, rows, ts, write_err, PgStore};
use super::{no_row, pg_read, pg_write, Db};
use crate::sql::Sql;
use crate::sqlite::extras::FEATURED_COLS;
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{
    Account, Cursored, FeaturedTag, Page, PostingDefaults, ProfileField, Visibility,
};
use roost_core::store::{AccountExtrasStore, StoreError, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

fn featured_from_row(r: &Row) -> StoreResult<FeaturedTag> {
    Ok(FeaturedTag {
        id: Id(get(r, "id")?),
        account_id: Id(get(r, "account_id")?),
        name: get(r, "name")?,
        created_at: ts(get(r, "created_at")?)?,
        statuses_count: get(r, "statuses_count")?,
        last_status_at: opt_ts(get(r, "last_status_at")?)?,
    })
}

async fn featured_in(c: &impl Db, account: Id) -> StoreResult<Vec<FeaturedTag>> {
    let sql = format!(
        "SELECT {FEATURED_COLS} FROM featured_tags f WHERE f.account_id = $1 ORDER BY f.id"
    );
    rows(c, &sql, &[&account.0], featured_from_row).await
}

#[async_trait]
impl AccountExtrasStore for PgStore {
    async fn set_profile_fields(
        &self,
        account: Id,
        fields: &[ProfileField],
    ) -> StoreResult<Account> {
        let fields = fields.to_vec();
        pg_write!(self, c, {
            // A missing account fails here with `Missing("account")` (see the SQLite store).
            let key = super::keys::write_key(c, account).await?;
            let encoded = super::accounts::encode_sealed_fields(&key, &fields);
            let n = exec(
                c,
                "UPDATE accounts SET fields = $2 WHERE id = $1",
                &[&account.0, &encoded],
            )
            .await
            .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::Missing("account"));
            }
            let sql = format!(
                "SELECT {} FROM accounts a WHERE a.id = $1",
                super::accounts::ACCOUNT_COLS
            );
            super::keys::opened(
                c,
                super::row(c, &sql, &[&account.0], super::accounts::account_from_row).await?,
            )
            .await?
            .ok_or(StoreError::Missing("account"))
        })
    }

    async fn posting_defaults(&self, account: Id) -> StoreResult<PostingDefaults> {
        pg_read!(self, c, {
            let found = rows(
                    c,
                    "SELECT visibility, sensitive, language FROM posting_defaults WHERE account_id = $1",
                    &[&account.0],
                    |r| {
                        let v: String = get(r, "visibility")?;
                        Ok(PostingDefaults {
                            visibility: Visibility::parse(&v)
                                .ok_or_else(|| super::corrupt(format!("visibility {v}")))?,
                            sensitive: get(r, "sensitive")?,
                            language: get(r, "language")?,
                        })
                    },
                ).await?;
            Ok(found.into_iter().next().unwrap_or_default())
        })
    }

    async fn set_posting_defaults(&self, account: Id, d: &PostingDefaults) -> StoreResult<()> {
        let d = d.clone();
        pg_write!(self, c, {
            exec(
                    c,
                    "INSERT INTO posting_defaults (account_id, visibility, sensitive, language) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id) DO UPDATE SET visibility = excluded.visibility, \
                     sensitive = excluded.sensitive, language = excluded.language",
                    &[&account.0, &d.visibility.as_str(), &d.sensitive, &d.language],
                ).await
                .map_err(|e| write_err(e, "posting_defaults", "account"))?;
            Ok(())
        })
    }

    async fn set_note(&self, account: Id, target: Id, comment: &str) -> StoreResult<()> {
        let comment = comment.to_owned();
        pg_write!(self, c, {
            if comment.is_empty() {
                exec(
                    c,
                    "DELETE FROM account_notes WHERE account_id = $1 AND target_id = $2",
                    &[&account.0, &target.0],
                )
                .await
                .map_err(backend)?;
            } else {
                exec(
                        c,
                        "INSERT INTO account_notes (account_id, target_id, comment) VALUES ($1, $2, $3) \
                         ON CONFLICT (account_id, target_id) DO UPDATE SET comment = excluded.comment",
                        &[&account.0, &target.0, &comment],
                    ).await
                    .map_err(|e| write_err(e, "note", "account"))?;
            }
            Ok(())
        })
    }

    async fn notes(&self, account: Id, targets: &[Id]) -> StoreResult<Vec<(Id, String)>> {
        let targets = targets.to_vec();
        pg_read!(self, c, {
            per_chunk(
                c,
                &targets,
                |chunk| {
                    let mut q = Sql::new(
                        "SELECT target_id, comment FROM account_notes WHERE account_id = ",
                    );
                    q.push_arg(account).push(" AND target_id IN (");
                    q.push_ids(chunk).push(")");
                    q
                },
                |r| Ok((Id(get(r, "target_id")?), get(r, "comment")?)),
            )
            .await
        })
    }

    async fn endorse(&self, id: Id, account: Id, target: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                    c,
                    "INSERT INTO endorsements (id, account_id, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&id.0, &account.0, &target.0],
                ).await
                .map_err(|e| write_err(e, "endorsement", "account"))?;
            Ok(n > 0)
        })
    }

    async fn unendorse(&self, account: Id, target: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM endorsements WHERE account_id = $1 AND target_id = $2",
                &[&account.0, &target.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn endorsed_among(&self, account: Id, targets: &[Id]) -> StoreResult<Vec<Id>> {
        let targets = targets.to_vec();
        pg_read!(self, c, {
            per_chunk(
                c,
                &targets,
                |chunk| {
                    let mut q = Sql::new("SELECT target_id FROM endorsements WHERE account_id = ");
                    q.push_arg(account).push(" AND target_id IN (");
                    q.push_ids(chunk).push(")");
                    q
                },
                |r| Ok(Id(get(r, "target_id")?)),
            )
            .await
        })
    }

    async fn endorsements(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(
            "SELECT id AS cursor, target_id AS item FROM endorsements WHERE account_id = ",
        );
        q.push_arg(account);
        self.read_cursored(q, "id", page).await
    }

    async fn feature_tag(
        &self,
        id: Id,
        account: Id,
        name: &str,
        at: Timestamp,
    ) -> StoreResult<FeaturedTag> {
        let name = name.to_owned();
        pg_write!(self, c, {
            exec(
                    c,
                    "INSERT INTO featured_tags (id, account_id, name, created_at) VALUES ($1, $2, $3, $4)",
                    &[&id.0, &account.0, &name, &ms(at)],
                ).await
                .map_err(|e| write_err(e, "featured_tag", "account"))?;
            featured_in(c, account)
                .await?
                .into_iter()
                .find(|t| t.id == id)
                .ok_or_else(no_row)
        })
    }

    async fn featured_tags(&self, account: Id) -> StoreResult<Vec<FeaturedTag>> {
        pg_read!(self, c, featured_in(c, account).await)
    }

    async fn unfeature_tag(&self, account: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM featured_tags WHERE id = $1 AND account_id = $2",
                &[&id.0, &account.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn tag_suggestions(&self, account: Id, limit: u32) -> StoreResult<Vec<String>> {
        pg_read!(self, c, {
            // The last 200 posts are enough to know what someone writes about.
            rows(
                c,
                "SELECT t.tag, COUNT(*) AS n FROM status_tags t \
                     JOIN (SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id IS NULL \
                           ORDER BY id DESC LIMIT 200) s ON s.id = t.status_id \
                     WHERE t.tag NOT IN (SELECT name FROM featured_tags WHERE account_id = $1) \
                     GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT $2",
                &[&account.0, &i64::from(limit)],
                |r| get(r, "tag"),
            )
            .await
        })
    }

    async fn familiar_followers(&self, viewer: Id, target: Id, limit: u32) -> StoreResult<Vec<Id>> {
        pg_read!(self, c, {
            rows(
                c,
                "SELECT mine.target_id AS id FROM follows mine \
                     JOIN follows theirs ON theirs.follower_id = mine.target_id \
                     WHERE mine.follower_id = $1 AND mine.accepted = 1 \
                       AND theirs.target_id = $2 AND theirs.accepted = 1 AND mine.target_id <> $2 \
                     ORDER BY mine.id DESC LIMIT $3",
                &[&viewer.0, &target.0, &i64::from(limit)],
                |r| Ok(Id(get(r, "id")?)),
            )
            .await
        })
    }

    async fn directory(
        &self,
        offset: u32,
        limit: u32,
        active: bool,
        local_region: Option<&str>,
    ) -> StoreResult<Vec<Id>> {
        let local_region = local_region.map(String::from);
        pg_read!(self, c, {
            let mut q =
                Sql::new("SELECT id FROM accounts WHERE discoverable = 1 AND suspended_at IS NULL");
            if let Some(r) = local_region {
                q.push(" AND home_region = ").push_arg(r);
            }
            q.push(if active {
                " ORDER BY last_status_at IS NULL, last_status_at DESC, id DESC"
            } else {
                " ORDER BY id DESC"
            });
            q.push(" LIMIT ").push_arg(i64::from(limit));
            q.push(" OFFSET ").push_arg(i64::from(offset));
            q.fetch(c, |r| Ok(Id(get(r, "id")?))).await
        })
    }

    async fn weekly_activity(
        &self,
        weeks: &[(Timestamp, Timestamp)],
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        let weeks = weeks.to_vec();
        pg_read!(self, c, {
            let mut out = Vec::with_capacity(weeks.len());
            for (start, end) in weeks {
                let (start, end) = (ms(start), ms(end));
                let mut counts = [0i64; 3];
                for (n, sql) in counts.iter_mut().zip([
                    "SELECT COUNT(*) FROM statuses s JOIN users u ON u.account_id = s.account_id \
                         WHERE s.created_at >= $1 AND s.created_at < $2",
                    "SELECT COUNT(DISTINCT account_id) FROM tokens \
                         WHERE account_id IS NOT NULL AND created_at >= $1 AND created_at < $2",
                    "SELECT COUNT(*) FROM users WHERE created_at >= $1 AND created_at < $2",
                ]) {
                    *n = super::scalar::<i64>(c, sql, &[&start, &end])
                        .await?
                        .unwrap_or(0);
                }
                out.push((counts[0], counts[1], counts[2]));
            }
            Ok(out)
        })
    }
}
