//! `FilterStore`: filters with their keywords and statuses, read whole (a viewer's
//! filters are read once and kept by the use cases' cache).

use super::{backend, corrupt, exec, get, ms, opt_ts, rows, scalar, ts, write_err, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sqlite::filters::contexts;
use async_trait::async_trait;
use roost_core::model::{Filter, FilterAction, FilterKeyword, FilterPart, FilterStatus};
use roost_core::store::{FilterStore, StoreError, StoreResult};
use roost_core::Id;

/// The filters matching `cond` (on `f`, with `$1` the owner), keywords and statuses
/// included: three statements whatever the number of filters.
async fn filters_in(
    c: &impl Db,
    cond: &str,
    args: &[&dyn super::db::Bind],
) -> StoreResult<Vec<Filter>> {
    let sql = format!(
        "SELECT f.id, f.account_id, f.title, f.context, f.action, f.expires_at, f.created_at \
         FROM filters f WHERE {cond} ORDER BY f.id"
    );
    let mut filters = rows(c, &sql, args, |r| {
        let action: String = get(r, "action")?;
        Ok(Filter {
            id: Id(get(r, "id")?),
            account_id: Id(get(r, "account_id")?),
            title: get(r, "title")?,
            context: contexts(&get::<String>(r, "context")?)?,
            action: FilterAction::parse(&action)
                .ok_or_else(|| corrupt(format!("filter action {action:?}")))?,
            expires_at: opt_ts(get(r, "expires_at")?)?,
            created_at: ts(get(r, "created_at")?)?,
            keywords: Vec::new(),
            statuses: Vec::new(),
        })
    })
    .await?;
    if filters.is_empty() {
        return Ok(filters);
    }
    let sql = format!(
        "SELECT k.filter_id, k.id, k.keyword, k.whole_word FROM filter_keywords k \
         JOIN filters f ON f.id = k.filter_id WHERE {cond} ORDER BY k.id"
    );
    let keywords = rows(c, &sql, args, |r| {
        Ok((
            Id(get(r, "filter_id")?),
            FilterKeyword {
                id: Id(get(r, "id")?),
                keyword: get(r, "keyword")?,
                whole_word: get(r, "whole_word")?,
            },
        ))
    })
    .await?;
    let sql = format!(
        "SELECT s.filter_id, s.id, s.status_id FROM filter_statuses s \
         JOIN filters f ON f.id = s.filter_id WHERE {cond} ORDER BY s.id"
    );
    let statuses = rows(c, &sql, args, |r| {
        Ok((
            Id(get(r, "filter_id")?),
            FilterStatus {
                id: Id(get(r, "id")?),
                status_id: Id(get(r, "status_id")?),
            },
        ))
    })
    .await?;
    for f in filters.iter_mut() {
        f.keywords = keywords
            .iter()
            .filter(|k| k.0 == f.id)
            .map(|k| k.1.clone())
            .collect();
        f.statuses = statuses
            .iter()
            .filter(|s| s.0 == f.id)
            .map(|s| s.1.clone())
            .collect();
    }
    Ok(filters)
}

async fn save_in(c: &impl Db, f: &Filter) -> StoreResult<()> {
    let owner: Option<i64> = scalar(
        c,
        "SELECT account_id FROM filters WHERE id = $1",
        &[&f.id.0],
    )
    .await?;
    if owner.is_some_and(|o| o != f.account_id.0) {
        return Err(StoreError::Conflict("filter"));
    }
    let context: Vec<&str> = f.context.iter().map(|c| c.as_str()).collect();
    exec(
        c,
        "INSERT INTO filters (id, account_id, title, context, action, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, context = excluded.context, \
           action = excluded.action, expires_at = excluded.expires_at",
        &[
            &f.id.0,
            &f.account_id.0,
            &f.title,
            &context.join(","),
            &f.action.as_str(),
            &f.expires_at.map(ms),
            &ms(f.created_at),
        ],
    )
    .await
    .map_err(|e| write_err(e, "filter", "account"))?;
    // Parts not named any more go; named ones are written as given.
    exec(
        c,
        "DELETE FROM filter_keywords WHERE filter_id = $1",
        &[&f.id.0],
    )
    .await
    .map_err(backend)?;
    for k in &f.keywords {
        exec(
            c,
            "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES ($1, $2, $3, $4)",
            &[&k.id.0, &f.id.0, &k.keyword, &k.whole_word],
        ).await
        .map_err(|e| write_err(e, "filter_keyword", "filter"))?;
    }
    exec(
        c,
        "DELETE FROM filter_statuses WHERE filter_id = $1",
        &[&f.id.0],
    )
    .await
    .map_err(backend)?;
    for s in &f.statuses {
        exec(
            c,
            "INSERT INTO filter_statuses (id, filter_id, status_id) VALUES ($1, $2, $3)",
            &[&s.id.0, &f.id.0, &s.status_id.0],
        )
        .await
        .map_err(|e| write_err(e, "filter_status", "status"))?;
    }
    Ok(())
}

#[async_trait]
impl FilterStore for PgStore {
    async fn filters_of(&self, owner: Id) -> StoreResult<Vec<Filter>> {
        pg_read!(
            self,
            c,
            filters_in(c, "f.account_id = $1", &[&owner.0]).await
        )
    }

    async fn filter(&self, owner: Id, id: Id) -> StoreResult<Option<Filter>> {
        pg_read!(self, c, {
            Ok(
                filters_in(c, "f.account_id = $1 AND f.id = $2", &[&owner.0, &id.0])
                    .await?
                    .pop(),
            )
        })
    }

    async fn filter_holding(&self, owner: Id, part: FilterPart) -> StoreResult<Option<Filter>> {
        pg_read!(self, c, {
            let (sql, id) = match part {
                FilterPart::Keyword(id) => {
                    ("SELECT filter_id FROM filter_keywords WHERE id = $1", id)
                }
                FilterPart::Status(id) => {
                    ("SELECT filter_id FROM filter_statuses WHERE id = $1", id)
                }
            };
            let Some(filter) = scalar::<i64>(c, sql, &[&id.0]).await? else {
                return Ok(None);
            };
            Ok(
                filters_in(c, "f.account_id = $1 AND f.id = $2", &[&owner.0, &filter])
                    .await?
                    .pop(),
            )
        })
    }

    async fn save_filter(&self, filter: &Filter) -> StoreResult<()> {
        let f = filter.clone();
        pg_write!(self, c, save_in(c, &f).await)
    }

    async fn delete_filter(&self, owner: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM filters WHERE id = $1 AND account_id = $2",
                &[&id.0, &owner.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }
}
