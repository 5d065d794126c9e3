//! `StatusStore`: statuses, their mentions, tags and history, fan-out to home timelines,
//! timelines, favourites, bookmarks.

use super::accounts::accounts_in;
use super::cache::{RowCache, StatusParts};
use super::misc::views_in;
use super::notifications::notifications_into;
use super::safety::{blocked_between, hears_of};
use super::{
    at, backend, corrupt, exec, get, id_of, ms, opt_id, opt_ts, per_chunk, row, rows, scalar, ts,
    write_err, SqliteStore,
};
use crate::sql::{newest_first, visible, visible_with_reblog, Arg, Sql};
use async_trait::async_trait;
use roost_core::model::{
    AccountStatusFilter, Cursored, NewStatus, Notification, Page, RegionScope, Status, StatusEdit,
    StatusRevision, ViewerFlags, Visibility,
};
use roost_core::store::{
    bundle, BundleStore, Favourited, StatusBundle, StatusStore, StoreError, StoreResult,
};
use roost_core::Id;
use rusqlite::{Connection, Row};
use std::collections::HashMap;

pub(crate) const STATUS_COLS: &str = "s.id, s.account_id, s.text, s.content_html, s.spoiler_text, \
    s.visibility, s.sensitive, s.language, s.in_reply_to_id, s.in_reply_to_account_id, \
    s.reblog_of_id, s.quote_of_id, s.created_at, s.edited_at, s.replies_count, s.reblogs_count, \
    s.favourites_count, s.quotes_count, s.pinned";

/// How many of a thread's descendants are read before ordering them, at most.
pub(crate) const DESCENDANTS_SCAN_CAP: i64 = 4096;

/// Decodes by position, in [`STATUS_COLS`] order (looking columns up by name cost a
/// tenth of a home page's CPU).
pub(crate) fn status_from_row(row: &Row<'_>) -> StoreResult<Status> {
    let vis: String = at(row, 5)?;
    Ok(Status {
        id: Id(at(row, 0)?),
        account_id: Id(at(row, 1)?),
        text: at(row, 2)?,
        content_html: at(row, 3)?,
        spoiler_text: at(row, 4)?,
        visibility: Visibility::parse(&vis)
            .ok_or_else(|| corrupt(format!("visibility {vis:?}")))?,
        sensitive: at(row, 6)?,
        language: at(row, 7)?,
        in_reply_to_id: opt_id(at(row, 8)?),
        in_reply_to_account_id: opt_id(at(row, 9)?),
        reblog_of_id: opt_id(at(row, 10)?),
        quote_of_id: opt_id(at(row, 11)?),
        created_at: ts(at(row, 12)?)?,
        edited_at: opt_ts(at(row, 13)?)?,
        replies_count: at(row, 14)?,
        reblogs_count: at(row, 15)?,
        favourites_count: at(row, 16)?,
        quotes_count: at(row, 17)?,
        pinned: at(row, 18)?,
    })
}

pub(crate) fn status_in(c: &Connection, id: Id) -> StoreResult<Option<Status>> {
    let sql = format!("SELECT {STATUS_COLS} FROM statuses s WHERE s.id = $1");
    let mut found = row(c, &sql, &[&id.0], status_from_row)?;
    if let Some(s) = found.as_mut() {
        super::keys::open_statuses(c, std::slice::from_mut(s))?;
    }
    Ok(found)
}

/// The author of a status, if it exists.
fn author_of(c: &Connection, id: Id) -> StoreResult<Option<Id>> {
    Ok(scalar::<i64>(c, "SELECT account_id FROM statuses WHERE id = $1", &[&id.0])?.map(Id))
}

fn bump(c: &Connection, col: &str, id: Id, delta: i64) -> StoreResult<()> {
    // Counters never go below zero, whatever happened before.
    let sql = format!(
        "UPDATE statuses SET {col} = CASE WHEN {col} + $2 < 0 THEN 0 ELSE {col} + $2 END WHERE id = $1"
    );
    exec(c, &sql, &[&id.0, &delta]).map_err(backend)?;
    Ok(())
}

fn write_mentions_and_tags(
    c: &Connection,
    id: Id,
    mentions: &[Id],
    tags: &[String],
) -> StoreResult<()> {
    for (pos, account) in mentions.iter().enumerate() {
        exec(
            c,
            "INSERT INTO status_mentions (status_id, account_id, position) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&id.0, &account.0, &(pos as i64)],
        )
        .map_err(|e| write_err(e, "mention", "account"))?;
    }
    for (pos, tag) in tags.iter().enumerate() {
        exec(
            c,
            "INSERT INTO status_tags (status_id, tag, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id.0, tag, &(pos as i64)],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Orders a thread's replies depth first, each level by ID (thread order).
pub(crate) fn depth_first(root: Id, edges: &[(Id, Id)], limit: usize) -> Vec<Id> {
    let mut children: HashMap<Id, Vec<Id>> = HashMap::new();
    for &(id, parent) in edges {
        children.entry(parent).or_default().push(id);
    }
    for v in children.values_mut() {
        v.sort_unstable();
    }
    let mut out = Vec::new();
    let mut stack: Vec<Id> = children
        .get(&root)
        .map(|v| v.iter().rev().copied().collect())
        .unwrap_or_default();
    while let Some(id) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        out.push(id);
        if let Some(kids) = children.get(&id) {
            stack.extend(kids.iter().rev().copied());
        }
    }
    out
}

pub(crate) fn statuses_in(c: &Connection, ids: &[Id]) -> StoreResult<Vec<Status>> {
    let mut found = per_chunk(
        c,
        ids,
        |chunk| {
            let mut q = Sql::new(&format!(
                "SELECT {STATUS_COLS} FROM statuses s WHERE s.id IN ("
            ));
            q.push_ids(chunk).push(")");
            q
        },
        status_from_row,
    )?;
    super::keys::open_statuses(c, &mut found)?;
    Ok(found)
}

fn visible_in(c: &Connection, viewer: Option<Id>, ids: &[Id]) -> StoreResult<Vec<Id>> {
    per_chunk(
        c,
        ids,
        |chunk| {
            let mut q = Sql::new("SELECT s.id FROM statuses s WHERE ");
            let v = q.arg(viewer);
            q.push(&visible_with_reblog("s", &v)).push(" AND s.id IN (");
            q.push_ids(chunk).push(")");
            q
        },
        id_of,
    )
}

fn mentions_in(c: &Connection, ids: &[Id]) -> StoreResult<Vec<(Id, Id)>> {
    per_chunk(
        c,
        ids,
        |chunk| {
            let mut q =
                Sql::new("SELECT status_id, account_id FROM status_mentions WHERE status_id IN (");
            q.push_ids(chunk).push(") ORDER BY status_id, position");
            q
        },
        |row| Ok((Id(get(row, "status_id")?), Id(get(row, "account_id")?))),
    )
}

fn tags_in(c: &Connection, ids: &[Id]) -> StoreResult<Vec<(Id, String)>> {
    per_chunk(
        c,
        ids,
        |chunk| {
            let mut q = Sql::new("SELECT status_id, tag FROM status_tags WHERE status_id IN (");
            q.push_ids(chunk).push(") ORDER BY status_id, position");
            q
        },
        |row| Ok((Id(get(row, "status_id")?), get(row, "tag")?)),
    )
}

fn viewer_flags_in(c: &Connection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<(Id, ViewerFlags)>> {
    let mut flags = viewer_marks_in(c, viewer, ids)?;
    // Threads are walked only for a viewer who muted any.
    let muted: Option<i64> = scalar(
        c,
        "SELECT 1 FROM conversation_mutes WHERE account_id = $1 LIMIT 1",
        &[&viewer.0],
    )?;
    if muted.is_some() {
        for (id, f) in flags.iter_mut() {
            let root = super::safety::root_in(c, *id)?;
            f.muted = scalar::<i64>(
                c,
                "SELECT 1 FROM conversation_mutes WHERE account_id = $1 AND root_id = $2",
                &[&viewer.0, &root.0],
            )?
            .is_some();
        }
    }
    Ok(flags)
}

fn viewer_marks_in(c: &Connection, viewer: Id, ids: &[Id]) -> StoreResult<Vec<(Id, ViewerFlags)>> {
    per_chunk(
        c,
        ids,
        |chunk| {
            let mut q = Sql::new("SELECT s.id, ");
            let v = q.arg(viewer);
            q.push(&format!(
                "EXISTS (SELECT 1 FROM favourites f WHERE f.account_id = {v} AND f.status_id = s.id) AS fav, \
                 EXISTS (SELECT 1 FROM statuses r WHERE r.account_id = {v} AND r.reblog_of_id = s.id) AS reb, \
                 EXISTS (SELECT 1 FROM bookmarks b WHERE b.account_id = {v} AND b.status_id = s.id) AS bm \
                 FROM statuses s WHERE s.id IN ("
            ));
            q.push_ids(chunk).push(")");
            q
        },
        |row| {
            Ok((
                Id(get(row, "id")?),
                ViewerFlags {
                    favourited: get(row, "fav")?,
                    reblogged: get(row, "reb")?,
                    bookmarked: get(row, "bm")?,
                    muted: false,
                },
            ))
        },
    )
}

/// Runs a page query; IDs newest first.
fn paged_ids(c: &Connection, mut q: Sql, col: &str, page: &Page) -> StoreResult<Vec<Id>> {
    let asc = q.push_page(col, page);
    Ok(newest_first(q.rows(c, id_of)?, asc))
}

impl SqliteStore {
    async fn read_page(&self, q: Sql, col: &'static str, page: Page) -> StoreResult<Vec<Id>> {
        self.db.read(move |c| paged_ids(c, q, col, &page)).await
    }

    /// A bookmark: inserted once.
    async fn mark(
        &self,
        table: &'static str,
        id: Id,
        account: Id,
        status: Id,
    ) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let sql = format!(
                    "INSERT INTO {table} (id, account_id, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
                );
                let n = exec(c, &sql, &[&id.0, &account.0, &status.0])
                    .map_err(|e| write_err(e, "bookmark", "status"))?;
                Ok(n > 0)
            })
            .await
    }

    async fn unmark(&self, table: &'static str, account: Id, status: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let sql = format!("DELETE FROM {table} WHERE account_id = $1 AND status_id = $2");
                let n = exec(c, &sql, &[&account.0, &status.0]).map_err(backend)?;
                if n > 0 && table == "favourites" {
                    bump(c, "favourites_count", status, -1)?;
                }
                Ok(n > 0)
            })
            .await
    }

    async fn marked_by_account(
        &self,
        table: &str,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(&format!(
            "SELECT x.id AS cursor, x.status_id AS item FROM {table} x WHERE x.account_id = "
        ));
        q.push_arg(account);
        self.read_cursored(q, "x.id", page).await
    }
}

/// Adds the region-scope condition on the author (joined as `a`).
pub(crate) fn push_scope(q: &mut Sql, scope: &RegionScope) {
    match scope {
        RegionScope::All => {}
        RegionScope::Only(r) => {
            q.push(" AND a.home_region = ").push_arg(r.as_str());
        }
        RegionScope::Except(r) => {
            q.push(" AND a.home_region <> ").push_arg(r.as_str());
        }
    }
}

pub(super) fn create_status_in(c: &Connection, new: &NewStatus) -> StoreResult<Status> {
    // Referenced statuses must still exist.
    let reblogged_author = match new.reblog_of_id {
        Some(target) => {
            let author = author_of(c, target)?.ok_or(StoreError::Missing("status"))?;
            let already = scalar::<i64>(
                c,
                "SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id = $2",
                &[&new.account_id.0, &target.0],
            )?;
            if already.is_some() {
                return Err(StoreError::Conflict("reblog"));
            }
            Some(author)
        }
        None => None,
    };
    let parent_author = match new.in_reply_to_id {
        Some(parent) => {
            let author = author_of(c, parent)?.ok_or(StoreError::Missing("status"))?;
            Some(new.in_reply_to_account_id.unwrap_or(author))
        }
        None => None,
    };
    if let Some(quoted) = new.quote_of_id {
        author_of(c, quoted)?.ok_or(StoreError::Missing("status"))?;
    }
    if let Some(key) = &new.idempotency_key {
        let taken = scalar::<i64>(
            c,
            "SELECT id FROM statuses WHERE account_id = $1 AND idempotency_key = $2",
            &[&new.account_id.0, key],
        )?;
        if taken.is_some() {
            return Err(StoreError::Conflict("idempotency_key"));
        }
    }

    let key = super::keys::write_key(c, new.account_id)?;
    exec(
        c,
        "INSERT INTO statuses (id, account_id, text, content_html, spoiler_text, visibility, \
           sensitive, language, in_reply_to_id, in_reply_to_account_id, reblog_of_id, quote_of_id, \
           created_at, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &new.id.0,
            &new.account_id.0,
            &key.seal(&new.text),
            &key.seal(&new.content_html),
            &key.seal(&new.spoiler_text),
            &new.visibility.as_str(),
            &new.sensitive,
            &new.language,
            &new.in_reply_to_id.map(|i| i.0),
            &new.in_reply_to_account_id.map(|i| i.0),
            &new.reblog_of_id.map(|i| i.0),
            &new.quote_of_id.map(|i| i.0),
            &ms(new.created_at),
            &new.idempotency_key,
        ],
    )
    .map_err(|e| {
        write_err(
            e,
            if new.reblog_of_id.is_some() {
                "reblog"
            } else {
                "status"
            },
            "account",
        )
    })?;
    write_mentions_and_tags(c, new.id, &new.mentions, &new.tags)?;

    // Counters.
    exec(
        c,
        "UPDATE accounts SET statuses_count = statuses_count + 1, \
           last_status_at = CASE WHEN last_status_at IS NULL OR last_status_at < $2 \
                                 THEN $2 ELSE last_status_at END \
         WHERE id = $1",
        &[&new.account_id.0, &ms(new.created_at)],
    )
    .map_err(backend)?;
    // Only public and unlisted replies count, so the count never reveals hidden ones.
    if let (Some(parent), true) = (new.in_reply_to_id, new.visibility.is_public()) {
        bump(c, "replies_count", parent, 1)?;
    }
    if let Some(target) = new.reblog_of_id {
        bump(c, "reblogs_count", target, 1)?;
    }
    if let Some(quoted) = new.quote_of_id {
        bump(c, "quotes_count", quoted, 1)?;
    }

    // Fan-out, set-based: one INSERT ... SELECT whatever the number of followers.
    // Home timelines exist only for local accounts (those with a user row): a foreign
    // author's or follower's timeline lives in their own region.
    exec(
        c,
        "INSERT INTO home_timeline (account_id, status_id) SELECT $1, $2 \
         WHERE EXISTS (SELECT 1 FROM users u WHERE u.account_id = $1) ON CONFLICT DO NOTHING",
        &[&new.account_id.0, &new.id.0],
    )
    .map_err(backend)?;
    // Owners of exclusive lists holding the author read them there, not at home: one
    // indexed probe, empty for nearly every author.
    let exclusive = super::lists::exclusive_owners(c, new.account_id)?;
    let mut q = Sql::new("INSERT INTO home_timeline (account_id, status_id) ");
    let sid = q.arg(new.id);
    if new.visibility == Visibility::Direct {
        q.push(&format!(
            "SELECT m.account_id, {sid} FROM status_mentions m WHERE m.status_id = {sid} \
               AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = m.account_id)"
        ));
    } else {
        let author = q.arg(new.account_id);
        q.push(&format!(
            "SELECT f.follower_id, {sid} FROM follows f WHERE f.target_id = {author} AND f.accepted = 1 \
               AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = f.follower_id)"
        ));
        if let Some(orig) = reblogged_author {
            // Reblogs: not to the reblogged author, nor to followers who hide reblogs.
            let orig = q.arg(orig);
            q.push(&format!(" AND f.follower_id <> {orig} AND f.reblogs = 1"));
        }
        if !exclusive.is_empty() {
            q.push(" AND f.follower_id NOT IN (")
                .push_ids(&exclusive)
                .push(")");
        }
        if let Some(pa) = parent_author.filter(|pa| *pa != new.account_id) {
            // A reply to someone else: only followers who are, or follow, that someone.
            let pa = q.arg(pa);
            q.push(&format!(
                " AND (f.follower_id = {pa} OR EXISTS (SELECT 1 FROM follows g \
                   WHERE g.follower_id = f.follower_id AND g.target_id = {pa} AND g.accepted = 1))"
            ));
        }
    }
    q.push(" ON CONFLICT DO NOTHING");
    q.exec(c).map_err(backend)?;
    super::followed_tags::fan_out_in(c, new, &exclusive)?;
    super::lists::fan_out_in(c, new)?;
    super::conversations::fan_out_in(c, new)?;

    // Read back what was stored (e.g. timestamps at the stored precision).
    status_in(c, new.id)?.ok_or(StoreError::Missing("status"))
}

pub(crate) fn delete_status_in(c: &Connection, id: Id) -> StoreResult<Option<Status>> {
    let Some(status) = status_in(c, id)? else {
        return Ok(None);
    };
    // The reblogs go with the status (foreign-key cascade); first take them off their
    // authors' counts, and recompute those authors' last_status_at without them.
    exec(
        c,
        "UPDATE accounts SET \
           statuses_count = statuses_count - (SELECT COUNT(*) FROM statuses r \
               WHERE r.reblog_of_id = $1 AND r.account_id = accounts.id), \
           last_status_at = (SELECT o.created_at FROM statuses o \
               WHERE o.account_id = accounts.id AND o.id <> $1 \
                 AND (o.reblog_of_id IS NULL OR o.reblog_of_id <> $1) \
               ORDER BY o.id DESC LIMIT 1) \
         WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = $1)",
        &[&id.0],
    )
    .map_err(backend)?;
    if let (Some(parent), true) = (status.in_reply_to_id, status.visibility.is_public()) {
        bump(c, "replies_count", parent, -1)?;
    }
    if let Some(target) = status.reblog_of_id {
        bump(c, "reblogs_count", target, -1)?;
    }
    if let Some(quoted) = status.quote_of_id {
        bump(c, "quotes_count", quoted, -1)?;
    }
    if status.visibility == Visibility::Direct {
        super::conversations::before_delete_in(c, id)?;
    }
    // Cascades to reblogs, timeline entries, notifications, favourites, bookmarks,
    // mentions, tags, history and views.
    exec(c, "DELETE FROM statuses WHERE id = $1", &[&id.0]).map_err(backend)?;
    exec(c, OUTBOX_EMPTY_FOR_STATUS, &[&format!("status:{}", id.0)]).map_err(backend)?;
    exec(
        c,
        "UPDATE accounts SET \
           statuses_count = CASE WHEN statuses_count > 0 THEN statuses_count - 1 ELSE 0 END, \
           last_status_at = (SELECT o.created_at FROM statuses o WHERE o.account_id = $1 \
                             ORDER BY o.id DESC LIMIT 1) \
         WHERE id = $1",
        &[&status.account_id.0],
    )
    .map_err(backend)?;
    Ok(Some(status))
}

/// Activities that carried a deleted post (its Create, its Updates) keep its text in their
/// bodies: empty them. One still waiting for its destination is given up, as at expiry;
/// the Delete queued next makes it moot. `$1` is the outbox object, `status:ID`.
pub(crate) const OUTBOX_EMPTY_FOR_STATUS: &str = "UPDATE outbox SET body = '', \
       last_error = CASE WHEN state = 'pending' THEN 'the status was deleted' ELSE last_error END, \
       state = CASE WHEN state = 'pending' THEN 'expired' ELSE state END \
     WHERE object = $1";

fn edit_status_in(c: &Connection, id: Id, edit: &StatusEdit) -> StoreResult<Status> {
    super::engine::overwrote_text();
    let Some(old) = status_in(c, id)? else {
        return Err(StoreError::Missing("status"));
    };
    let key = super::keys::write_key(c, old.account_id)?;
    let next_seq = scalar::<i64>(
        c,
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM status_edits WHERE status_id = $1",
        &[&id.0],
    )?
    .unwrap_or(0);
    let insert = "INSERT INTO status_edits (status_id, seq, content_html, spoiler_text, sensitive, created_at) \
                  VALUES ($1, $2, $3, $4, $5, $6)";
    let mut seq = next_seq;
    if seq == 0 {
        // First edit: the original becomes version 0.
        exec(
            c,
            insert,
            &[
                &id.0,
                &0i64,
                &key.seal(&old.content_html),
                &key.seal(&old.spoiler_text),
                &old.sensitive,
                &ms(old.created_at),
            ],
        )
        .map_err(backend)?;
        seq = 1;
    }
    exec(
        c,
        insert,
        &[
            &id.0,
            &seq,
            &key.seal(&edit.content_html),
            &key.seal(&edit.spoiler_text),
            &edit.sensitive,
            &ms(edit.edited_at),
        ],
    )
    .map_err(backend)?;
    exec(
        c,
        "UPDATE statuses SET text = $2, content_html = $3, spoiler_text = $4, sensitive = $5, \
           language = $6, edited_at = $7 WHERE id = $1",
        &[
            &id.0,
            &key.seal(&edit.text),
            &key.seal(&edit.content_html),
            &key.seal(&edit.spoiler_text),
            &edit.sensitive,
            &edit.language,
            &ms(edit.edited_at),
        ],
    )
    .map_err(backend)?;
    exec(
        c,
        "DELETE FROM status_mentions WHERE status_id = $1",
        &[&id.0],
    )
    .map_err(backend)?;
    exec(c, "DELETE FROM status_tags WHERE status_id = $1", &[&id.0]).map_err(backend)?;
    write_mentions_and_tags(c, id, &edit.mentions, &edit.tags)?;
    status_in(c, id)?.ok_or(StoreError::Missing("status"))
}

fn related_in(c: &Connection, status: Id, viewer: Option<Id>, limit: u32) -> StoreResult<Vec<Id>> {
    // Candidates come from index range scans bounded per source (a popular tag must
    // not mean reading all its posts), are scored here, then filtered by visibility.
    const PER_SOURCE: i64 = 100;
    let Some(me) = status_in(c, status)? else {
        return Ok(Vec::new());
    };
    let mut score: HashMap<i64, i64> = HashMap::new();
    // (query for one source, its key, the weight of a match).
    let mut sources: Vec<(&str, Arg, i64)> = Vec::new();
    for (_, tag) in tags_in(c, &[status])? {
        let q = "SELECT status_id AS id FROM status_tags WHERE tag = $1 AND status_id != $2 \
                 ORDER BY status_id DESC LIMIT $3";
        sources.push((q, Arg::Text(tag), 4));
    }
    for (_, account) in mentions_in(c, &[status])? {
        let q = "SELECT status_id AS id FROM status_mentions WHERE account_id = $1 \
                 AND status_id != $2 ORDER BY status_id DESC LIMIT $3";
        sources.push((q, Arg::Int(account.0), 2));
    }
    let q = "SELECT id FROM statuses WHERE account_id = $1 AND id != $2 \
             AND reblog_of_id IS NULL ORDER BY id DESC LIMIT $3";
    sources.push((q, Arg::Int(me.account_id.0), 1));
    for (q, key, weight) in sources {
        for id in rows(c, q, &[&key, &status.0, &PER_SOURCE], id_of)? {
            *score.entry(id.0).or_default() += weight;
        }
    }
    if score.is_empty() {
        return Ok(Vec::new());
    }
    let candidates: Vec<Id> = score.keys().map(|i| Id(*i)).collect();
    let shown: std::collections::HashSet<Id> = per_chunk(
        c,
        &candidates,
        |chunk| {
            let mut q = Sql::new("SELECT s.id FROM statuses s WHERE s.reblog_of_id IS NULL AND ");
            let v = q.arg(viewer);
            q.push(&visible("s", &v)).push(" AND s.id IN (");
            q.push_ids(chunk).push(")");
            q
        },
        id_of,
    )?
    .into_iter()
    .collect();
    let mut ranked: Vec<(i64, i64)> = score
        .into_iter()
        .filter(|(id, _)| shown.contains(&Id(*id)))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    Ok(ranked
        .into_iter()
        .take(limit as usize)
        .map(|(id, _)| Id(id))
        .collect())
}

#[async_trait]
impl StatusStore for SqliteStore {
    async fn create_status(&self, new: &NewStatus) -> StoreResult<Status> {
        let new = new.clone();
        self.db.write(move |c| create_status_in(c, &new)).await
    }

    async fn status(&self, id: Id) -> StoreResult<Option<Status>> {
        let cache = self.db.cache.clone();
        self.db
            .read(move |c| Ok(cache.through(&[id], |ids| statuses_in(c, ids))?.pop()))
            .await
    }

    async fn statuses(&self, ids: &[Id]) -> StoreResult<Vec<Status>> {
        let ids = ids.to_vec();
        let cache = self.db.cache.clone();
        self.db
            .read(move |c| cache.through(&ids, |ids| statuses_in(c, ids)))
            .await
    }

    async fn visible_ids(&self, viewer: Option<Id>, ids: &[Id]) -> StoreResult<Vec<Id>> {
        let ids = ids.to_vec();
        self.db.read(move |c| visible_in(c, viewer, &ids)).await
    }

    async fn mentions(&self, ids: &[Id]) -> StoreResult<Vec<(Id, Id)>> {
        let ids = ids.to_vec();
        self.db.read(move |c| mentions_in(c, &ids)).await
    }

    async fn tags(&self, ids: &[Id]) -> StoreResult<Vec<(Id, String)>> {
        let ids = ids.to_vec();
        self.db.read(move |c| tags_in(c, &ids)).await
    }

    async fn viewer_flags(&self, viewer: Id, ids: &[Id]) -> StoreResult<Vec<(Id, ViewerFlags)>> {
        let ids = ids.to_vec();
        self.db
            .read(move |c| viewer_flags_in(c, viewer, &ids))
            .await
    }

    async fn find_reblog(&self, account: Id, status: Id) -> StoreResult<Option<Id>> {
        self.db
            .read(move |c| {
                Ok(scalar::<i64>(
                    c,
                    "SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id = $2",
                    &[&account.0, &status.0],
                )?
                .map(Id))
            })
            .await
    }

    async fn status_by_idempotency_key(&self, account: Id, key: &str) -> StoreResult<Option<Id>> {
        let key = key.to_owned();
        self.db
            .read(move |c| {
                Ok(scalar::<i64>(
                    c,
                    "SELECT id FROM statuses WHERE account_id = $1 AND idempotency_key = $2",
                    &[&account.0, &key],
                )?
                .map(Id))
            })
            .await
    }

    async fn delete_status(&self, id: Id) -> StoreResult<Option<Status>> {
        self.db.write(move |c| delete_status_in(c, id)).await
    }

    async fn edit_status(&self, id: Id, edit: &StatusEdit) -> StoreResult<Status> {
        let edit = edit.clone();
        self.db.write(move |c| edit_status_in(c, id, &edit)).await
    }

    async fn history(&self, id: Id) -> StoreResult<Vec<StatusRevision>> {
        self.db
            .read(move |c| {
                let mut versions = rows(
                    c,
                    "SELECT status_id, content_html, spoiler_text, sensitive, created_at FROM status_edits \
                     WHERE status_id = $1 ORDER BY seq",
                    &[&id.0],
                    |r| {
                        Ok(StatusRevision {
                            status_id: Id(get(r, "status_id")?),
                            content_html: get(r, "content_html")?,
                            spoiler_text: get(r, "spoiler_text")?,
                            sensitive: get(r, "sensitive")?,
                            created_at: ts(get(r, "created_at")?)?,
                        })
                    },
                )?;
                if let (Some(_), Some(author)) = (versions.first(), author_of(c, id)?) {
                    let key = super::keys::read_key(c, author)?;
                    for v in &mut versions {
                        crate::sealing::open_revision(key.as_deref(), v)?;
                    }
                }
                Ok(versions)
            })
            .await
    }

    async fn ancestors(&self, id: Id, limit: u32) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "WITH RECURSIVE chain (id, parent, depth) AS ( \
                       SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1 \
                       UNION ALL \
                       SELECT s.id, s.in_reply_to_id, c.depth + 1 FROM statuses s JOIN chain c ON s.id = c.parent \
                       WHERE c.depth < $2 \
                     ) SELECT id FROM chain WHERE depth > 0 ORDER BY depth DESC",
                    &[&id.0, &i64::from(limit)],
                    id_of,
                )
            })
            .await
    }

    async fn descendants(&self, id: Id, limit: u32) -> StoreResult<Vec<Id>> {
        // Read the tree (breadth first, capped) and order it here: depth-first order needs
        // a path sort key that SQL dialects spell differently.
        let edges = self
            .db
            .read(move |c| {
                rows(
                    c,
                    "WITH RECURSIVE tree (id, parent) AS ( \
                       SELECT id, in_reply_to_id FROM statuses WHERE in_reply_to_id = $1 \
                       UNION ALL \
                       SELECT s.id, s.in_reply_to_id FROM statuses s JOIN tree t ON s.in_reply_to_id = t.id \
                     ) SELECT id, parent FROM tree LIMIT $2",
                    &[&id.0, &DESCENDANTS_SCAN_CAP.max(i64::from(limit))],
                    |r| Ok((Id(get(r, "id")?), Id(get(r, "parent")?))),
                )
            })
            .await?;
        Ok(depth_first(id, &edges, limit as usize))
    }

    async fn account_statuses(
        &self,
        account: Id,
        viewer: Option<Id>,
        filter: &AccountStatusFilter,
        page: Page,
    ) -> StoreResult<Vec<Id>> {
        let mut q = Sql::new("SELECT s.id FROM statuses s WHERE s.account_id = ");
        q.push_arg(account);
        let v = q.arg(viewer);
        q.push(" AND ").push(&visible_with_reblog("s", &v));
        if filter.exclude_replies {
            // Replies to others go; the author's own threads stay (as in Mastodon).
            q.push(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
        }
        if filter.exclude_reblogs {
            q.push(" AND s.reblog_of_id IS NULL");
        }
        if filter.only_media {
            // A post's own files (a reblog has none), as Mastodon's media tab shows.
            q.push(" AND EXISTS (SELECT 1 FROM media m WHERE m.status_id = s.id)");
        }
        if filter.pinned {
            q.push(" AND s.pinned = 1");
        }
        if let Some(tag) = &filter.tagged {
            q.push(
                " AND EXISTS (SELECT 1 FROM status_tags t WHERE t.status_id = s.id AND t.tag = ",
            );
            q.push_arg(tag.trim_start_matches('#').to_lowercase())
                .push(")");
        }
        self.read_page(q, "s.id", page).await
    }

    async fn public_timeline(&self, scope: &RegionScope, page: Page) -> StoreResult<Vec<Id>> {
        // The literal terms match the partial index statuses_public.
        let mut q = Sql::new(
            "SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id \
             WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL \
               AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id)",
        );
        push_scope(&mut q, scope);
        self.read_page(q, "s.id", page).await
    }

    async fn tag_timeline(
        &self,
        tag: &str,
        scope: &RegionScope,
        page: Page,
    ) -> StoreResult<Vec<Id>> {
        let mut q = Sql::new(
            "SELECT s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND t.tag = ",
        );
        q.push_arg(tag.trim_start_matches('#').to_lowercase());
        push_scope(&mut q, scope);
        self.read_page(q, "t.status_id", page).await
    }

    async fn home_timeline(&self, account: Id, page: Page) -> StoreResult<Vec<Id>> {
        let mut q = Sql::new("SELECT h.status_id AS id FROM home_timeline h WHERE h.account_id = ");
        q.push_arg(account);
        self.read_page(q, "h.status_id", page).await
    }

    async fn home_holders(&self, status: Id, among: Option<&[Id]>) -> StoreResult<Vec<Id>> {
        let among = among.map(<[Id]>::to_vec);
        self.db
            .read(move |c| {
                let sql = "SELECT account_id AS id FROM home_timeline WHERE status_id = ";
                let Some(among) = among else {
                    let mut q = Sql::new(sql);
                    q.push_arg(status);
                    return q.rows(c, id_of);
                };
                per_chunk(
                    c,
                    &among,
                    |chunk| {
                        let mut q = Sql::new(sql);
                        q.push_arg(status).push(" AND account_id IN (");
                        q.push_ids(chunk).push(")");
                        q
                    },
                    id_of,
                )
            })
            .await
    }

    async fn favourite(
        &self,
        id: Id,
        account: Id,
        status: Id,
        notify: Option<&Notification>,
    ) -> StoreResult<Favourited> {
        let notify = notify.cloned();
        self.db
            .write(move |c| {
                let author = author_of(c, status)?.ok_or(StoreError::Missing("status"))?;
                if blocked_between(c, account, author)? {
                    return Err(StoreError::Blocked);
                }
                let n = exec(
                    c,
                    "INSERT INTO favourites (id, account_id, status_id) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[&id.0, &account.0, &status.0],
                )
                .map_err(|e| write_err(e, "favourite", "status"))?;
                if n == 0 {
                    return Ok(Favourited::Already);
                }
                bump(c, "favourites_count", status, 1)?;
                let mut notified = false;
                if let Some(note) = notify {
                    if hears_of(c, note.account_id, account, status)? {
                        notifications_into(c, std::slice::from_ref(&note))?;
                        notified = true;
                    }
                }
                Ok(Favourited::New { notified })
            })
            .await
    }

    async fn unfavourite(&self, account: Id, status: Id) -> StoreResult<bool> {
        self.unmark("favourites", account, status).await
    }

    async fn bookmark(&self, id: Id, account: Id, status: Id) -> StoreResult<bool> {
        self.mark("bookmarks", id, account, status).await
    }

    async fn unbookmark(&self, account: Id, status: Id) -> StoreResult<bool> {
        self.unmark("bookmarks", account, status).await
    }

    async fn set_pinned(&self, status: Id, pinned: bool) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "UPDATE statuses SET pinned = $2 WHERE id = $1 AND pinned <> $2",
                    &[&status.0, &pinned],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn favourites_of(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        self.marked_by_account("favourites", account, page).await
    }

    async fn bookmarks_of(&self, account: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        self.marked_by_account("bookmarks", account, page).await
    }

    async fn reblogged_by(&self, status: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(
            "SELECT s.id AS cursor, s.account_id AS item FROM statuses s WHERE s.reblog_of_id = ",
        );
        q.push_arg(status);
        self.read_cursored(q, "s.id", page).await
    }

    async fn favourited_by(&self, status: Id, page: Page) -> StoreResult<Vec<Cursored<Id>>> {
        let mut q = Sql::new(
            "SELECT f.id AS cursor, f.account_id AS item FROM favourites f WHERE f.status_id = ",
        );
        q.push_arg(status);
        self.read_cursored(q, "f.id", page).await
    }

    async fn quotes_of(&self, status: Id, viewer: Option<Id>, page: Page) -> StoreResult<Vec<Id>> {
        let mut q = Sql::new("SELECT s.id FROM statuses s WHERE s.quote_of_id = ");
        q.push_arg(status);
        let v = q.arg(viewer);
        q.push(" AND ").push(&visible("s", &v));
        self.read_page(q, "s.id", page).await
    }

    async fn quoters(&self, status: Id) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT DISTINCT account_id FROM statuses WHERE quote_of_id = $1",
                    &[&status.0],
                    |r| get::<i64>(r, "account_id").map(Id),
                )
            })
            .await
    }

    async fn rebloggers(&self, status: Id) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT DISTINCT account_id FROM statuses WHERE reblog_of_id = $1",
                    &[&status.0],
                    |r| get::<i64>(r, "account_id").map(Id),
                )
            })
            .await
    }

    async fn sharers(&self, status: Id) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT account_id FROM statuses WHERE reblog_of_id = $1 \
                     UNION SELECT account_id FROM statuses WHERE quote_of_id = $1",
                    &[&status.0],
                    |r| get::<i64>(r, "account_id").map(Id),
                )
            })
            .await
    }

    async fn related_statuses(
        &self,
        status: Id,
        viewer: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<Id>> {
        self.db
            .read(move |c| related_in(c, status, viewer, limit))
            .await
    }
}

/// Mentions and tags of `ids`, one entry per ID (empty ones too, so they are kept).
fn parts_in(c: &Connection, ids: &[Id]) -> StoreResult<Vec<StatusParts>> {
    let mut by_id: HashMap<Id, StatusParts> = ids
        .iter()
        .map(|id| {
            let p = StatusParts {
                id: *id,
                mentions: Vec::new(),
                tags: Vec::new(),
            };
            (*id, p)
        })
        .collect();
    for (s, a) in mentions_in(c, ids)? {
        if let Some(p) = by_id.get_mut(&s) {
            p.mentions.push(a);
        }
    }
    for (s, t) in tags_in(c, ids)? {
        if let Some(p) = by_id.get_mut(&s) {
            p.tags.push(t);
        }
    }
    Ok(by_id.into_values().collect())
}

/// The whole bundle in one trip to a reader: the same levels as the trait's default
/// body, each a statement or two on the same connection.
fn bundle_in(
    c: &Connection,
    cache: &RowCache,
    ids: &[Id],
    viewer: Option<Id>,
    day: i32,
) -> StoreResult<StatusBundle> {
    let load = |ids: &[Id]| cache.through(ids, |ids| statuses_in(c, ids));
    let mut statuses = load(ids)?;
    let reblogged = bundle::reblogged(&statuses);
    if !reblogged.is_empty() {
        statuses.extend(load(&reblogged)?);
    }
    let quoted = bundle::quoted(&statuses);
    if !quoted.is_empty() {
        statuses.extend(load(&quoted)?);
    }
    let all_quoted = bundle::all_quoted(&statuses);
    let visible_quotes = if all_quoted.is_empty() {
        Vec::new()
    } else {
        visible_in(c, viewer, &all_quoted)?
    };
    let all = bundle::ids(&statuses);
    let (mut mentions, mut tags) = (Vec::new(), Vec::new());
    for p in cache.through(&all, |ids| parts_in(c, ids))? {
        mentions.extend(p.mentions.iter().map(|a| (p.id, *a)));
        tags.extend(p.tags.into_iter().map(|t| (p.id, t)));
    }
    let accounts = cache.through(&bundle::accounts(&statuses, &mentions), |ids| {
        accounts_in(c, ids)
    })?;
    let flags = match viewer {
        Some(v) => viewer_flags_in(c, v, &all)?,
        None => Vec::new(),
    };
    let views = views_in(c, &all, day)?;
    let polls = super::polls::polls_in(c, &all, viewer)?;
    let media = super::media::status_media_in(c, &all)?;
    Ok(StatusBundle {
        media,
        statuses,
        accounts,
        mentions,
        tags,
        flags,
        visible_quotes,
        views,
        polls,
    })
}

#[async_trait]
impl BundleStore for SqliteStore {
    async fn status_bundle(
        &self,
        ids: &[Id],
        viewer: Option<Id>,
        day: i32,
    ) -> StoreResult<StatusBundle> {
        let ids = ids.to_vec();
        let cache = self.db.cache.clone();
        self.db
            .read(move |c| bundle_in(c, &cache, &ids, viewer, day))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_first_orders_threads() {
        // 1 <- 2 <- 4, 1 <- 3, 2 <- 5
        let edges = [
            (Id(2), Id(1)),
            (Id(3), Id(1)),
            (Id(4), Id(2)),
            (Id(5), Id(2)),
        ];
        assert_eq!(
            depth_first(Id(1), &edges, 10),
            vec![Id(2), Id(4), Id(5), Id(3)]
        );
        assert_eq!(depth_first(Id(1), &edges, 2), vec![Id(2), Id(4)]);
    }
}
