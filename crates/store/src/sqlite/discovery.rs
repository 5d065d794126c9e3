//! `DiscoveryStore`: the reads behind search, trends and suggestions, the `indexable`
//! opt-in and dismissed suggestions (migration `0007_search.sql`).

use super::{at, backend, exec, ms, opt_ts, per_chunk, scalar, SqliteStore};
use crate::sql::{shuns, visible, Sql};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::search::Scope;
use roost_core::store::{DiscoveryStore, StoreResult, SuggestionSource, TagUse};
use roost_core::Id;

pub(crate) const DAY_MS: i64 = 86_400_000;

/// `s` for a LIKE pattern, with its wildcards escaped (`ESCAPE '\'`).
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Accounts that may be suggested to `$1` at all (`now` is a placeholder).
pub(crate) fn suggestible(a: &str, now: &str) -> String {
    let shun = shuns("$1", &format!("{a}.id"), now, false);
    format!(
        "{a}.id <> $1 AND {a}.discoverable = 1 AND {a}.suspended_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM follows mf WHERE mf.follower_id = $1 AND mf.target_id = {a}.id) \
         AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d WHERE d.account_id = $1 AND d.target_id = {a}.id) \
         AND NOT EXISTS (SELECT 1 FROM users pu WHERE pu.account_id = {a}.id AND pu.approved = 0) \
         AND NOT {shun}"
    )
}

#[async_trait]
impl DiscoveryStore for SqliteStore {
    async fn index_states(
        &self,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<(Id, Option<Timestamp>)>> {
        self.db
            .read(move |c| {
                let q = Sql::new(
                    "SELECT id, edited_at FROM statuses \
                     WHERE id > $1 AND reblog_of_id IS NULL ORDER BY id LIMIT $2",
                );
                let mut q = q;
                q.arg(after);
                q.arg(i64::from(limit));
                q.rows(c, |r| Ok((Id(at(r, 0)?), opt_ts(at(r, 1)?)?)))
            })
            .await
    }

    async fn searchable(
        &self,
        viewer: Id,
        ids: &[Id],
        scope: Option<Scope>,
    ) -> StoreResult<Vec<Id>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let library = "(s.account_id = $1 \
                    OR EXISTS (SELECT 1 FROM favourites sf WHERE sf.status_id = s.id AND sf.account_id = $1) \
                    OR EXISTS (SELECT 1 FROM bookmarks sb WHERE sb.status_id = s.id AND sb.account_id = $1) \
                    OR EXISTS (SELECT 1 FROM status_mentions sm WHERE sm.status_id = s.id AND sm.account_id = $1))";
                let public = "(s.visibility = 'public' AND a.indexable = 1)";
                let rule = match scope {
                    Some(Scope::Library) => library.to_string(),
                    Some(Scope::Public) => public.to_string(),
                    None => format!("({library} OR {public})"),
                };
                let vis = visible("s", "$1");
                per_chunk(
                    c,
                    &ids,
                    |chunk| {
                        let mut q = Sql::new("");
                        q.arg(viewer);
                        q.push(&format!(
                            "SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id \
                             WHERE {vis} AND {rule} AND s.id IN ("
                        ));
                        q.push_ids(chunk).push(")");
                        q
                    },
                    |r| Ok(Id(at(r, 0)?)),
                )
            })
            .await
    }

    async fn set_indexable(&self, account: Id, indexable: bool) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "UPDATE accounts SET indexable = $2 WHERE id = $1",
                    &[&account.0, &indexable],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn indexable(&self, account: Id) -> StoreResult<bool> {
        self.db
            .read(move |c| {
                Ok(scalar::<bool>(
                    c,
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND indexable = 1)",
                    &[&account.0],
                )?
                .unwrap_or(false))
            })
            .await
    }

    async fn search_accounts(
        &self,
        q: &str,
        viewer: Option<Id>,
        following: bool,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Id>> {
        let key = q.trim().trim_start_matches('@').to_lowercase();
        if key.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.db
            .read(move |c| {
                let mut s = Sql::new("");
                let v = s.arg(viewer);
                let exact = s.arg(key.as_str());
                let prefix = s.arg(format!("{}%", like_escape(&key)));
                let inside = s.arg(format!("%{}%", like_escape(&key)));
                let now = s.arg(ms(Timestamp::now()));
                let shun = shuns(&v, "a.id", &now, false);
                s.push(&format!(
                    "SELECT a.id FROM accounts a \
                     WHERE a.suspended_at IS NULL \
                       AND (a.username_key LIKE {prefix} ESCAPE '\\' \
                            OR lower(a.display_name) LIKE {inside} ESCAPE '\\') \
                       AND NOT EXISTS (SELECT 1 FROM users pu WHERE pu.account_id = a.id AND pu.approved = 0) \
                       AND ({v} IS NULL OR NOT {shun})"
                ));
                if following {
                    s.push(&format!(
                        " AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = {v} \
                           AND f.target_id = a.id AND f.accepted = 1)"
                    ));
                }
                s.push(&format!(
                    " ORDER BY a.username_key = {exact} DESC, a.followers_count DESC, a.id LIMIT "
                ));
                s.push_arg(i64::from(limit)).push(" OFFSET ");
                s.push_arg(i64::from(offset));
                s.rows(c, |r| Ok(Id(at(r, 0)?)))
            })
            .await
    }

    async fn search_tags(&self, prefix: &str, limit: u32, offset: u32) -> StoreResult<Vec<String>> {
        let prefix = prefix.to_string();
        if prefix.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.db
            .read(move |c| {
                let mut s = Sql::new("SELECT tag FROM status_tags WHERE tag LIKE ");
                s.push_arg(format!("{}%", like_escape(&prefix)));
                s.push(" ESCAPE '\\' GROUP BY tag ORDER BY tag = ");
                s.push_arg(prefix.as_str());
                s.push(" DESC, COUNT(*) DESC, tag LIMIT ");
                s.push_arg(i64::from(limit)).push(" OFFSET ");
                s.push_arg(i64::from(offset));
                s.rows(c, |r| at(r, 0))
            })
            .await
    }

    async fn tag_uses(
        &self,
        since: Timestamp,
        tags: Option<&[String]>,
    ) -> StoreResult<Vec<TagUse>> {
        let tags = tags.map(|t| t.to_vec());
        if tags.as_ref().is_some_and(|t| t.is_empty()) {
            return Ok(Vec::new());
        }
        self.db
            .read(move |c| {
                let mut s = Sql::new("");
                let floor = s.arg(Id::floor_at(ms(since)));
                let day = s.arg(DAY_MS);
                s.push(&format!(
                    "SELECT t.tag, s.created_at / {day} AS day, COUNT(*), COUNT(DISTINCT s.account_id) \
                     FROM statuses s JOIN status_tags t ON t.status_id = s.id \
                     JOIN accounts a ON a.id = s.account_id \
                     WHERE s.id >= {floor} AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
                       AND a.suspended_at IS NULL AND a.silenced_at IS NULL"
                ));
                if let Some(tags) = &tags {
                    s.push(" AND t.tag IN (");
                    for (i, t) in tags.iter().enumerate() {
                        if i > 0 {
                            s.push(", ");
                        }
                        s.push_arg(t.as_str());
                    }
                    s.push(")");
                }
                s.push(" GROUP BY t.tag, day");
                s.rows(c, |r| {
                    Ok(TagUse {
                        tag: at(r, 0)?,
                        day: at(r, 1)?,
                        uses: at(r, 2)?,
                        accounts: at(r, 3)?,
                    })
                })
            })
            .await
    }

    async fn engaged_statuses(
        &self,
        since: Timestamp,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                let mut s = Sql::new("");
                let floor = s.arg(Id::floor_at(ms(since)));
                s.push(&format!(
                    "SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.id >= {floor} AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
                       AND s.in_reply_to_id IS NULL \
                       AND a.suspended_at IS NULL AND a.silenced_at IS NULL \
                       AND s.favourites_count + s.reblogs_count + s.replies_count + s.quotes_count > 0 \
                     ORDER BY s.favourites_count + 2 * (s.reblogs_count + s.quotes_count) + s.replies_count DESC, \
                              s.id DESC LIMIT "
                ));
                s.push_arg(i64::from(limit)).push(" OFFSET ");
                s.push_arg(i64::from(offset));
                s.rows(c, |r| Ok(Id(at(r, 0)?)))
            })
            .await
    }

    async fn suggestions(
        &self,
        account: Id,
        limit: u32,
    ) -> StoreResult<Vec<(Id, SuggestionSource)>> {
        self.db
            .read(move |c| {
                let mut fof = Sql::new("");
                fof.arg(account);
                let now = fof.arg(ms(Timestamp::now()));
                let lim = fof.arg(i64::from(limit));
                fof.push(&format!(
                    "SELECT f2.target_id FROM follows f1 \
                     JOIN follows f2 ON f2.follower_id = f1.target_id AND f2.accepted = 1 \
                     JOIN accounts a ON a.id = f2.target_id \
                     WHERE f1.follower_id = $1 AND f1.accepted = 1 AND {} \
                     GROUP BY f2.target_id ORDER BY COUNT(*) DESC, f2.target_id DESC LIMIT {lim}",
                    suggestible("a", &now)
                ));
                let mut out: Vec<(Id, SuggestionSource)> = fof
                    .rows(c, |r| Ok(Id(at(r, 0)?)))?
                    .into_iter()
                    .map(|id| (id, SuggestionSource::FriendsOfFriends))
                    .collect();
                if out.len() < limit as usize {
                    let mut pop = Sql::new("");
                    pop.arg(account);
                    let now = pop.arg(ms(Timestamp::now()));
                    let lim = pop.arg(i64::from(limit));
                    pop.push(&format!(
                        "SELECT a.id FROM accounts a JOIN users u ON u.account_id = a.id \
                         WHERE {} ORDER BY a.followers_count DESC, a.id DESC LIMIT {lim}",
                        suggestible("a", &now)
                    ));
                    for id in pop.rows(c, |r| Ok(Id(at(r, 0)?)))? {
                        if out.len() < limit as usize && !out.iter().any(|(o, _)| *o == id) {
                            out.push((id, SuggestionSource::Popular));
                        }
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn dismiss_suggestion(&self, account: Id, target: Id) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "INSERT OR IGNORE INTO suggestion_dismissals (account_id, target_id) VALUES ($1, $2)",
                    &[&account.0, &target.0],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }
}
