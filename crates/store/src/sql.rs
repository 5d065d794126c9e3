//! SQL building blocks shared by the queries: a small builder for statements whose shape
//! depends on the input (ID lists, optional filters, pages), the visibility predicate and
//! the paging clause. Placeholders are numbered (`$1`, `$2`, ...) so that a statement can
//! use one parameter several times and reads the same in SQLite and PostgreSQL.

use roost_core::model::Page;
use roost_core::store::StoreResult;
use roost_core::Id;
use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, Row, ToSql};

/// A bound value, typed as SQLite types values (the PostgreSQL store converts it to the
/// type the server inferred for its placeholder: `postgres/db.rs`).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A NULL of no known type.
    Null,
    /// A NULL in place of text.
    NullText,
    Int(i64),
    OptInt(Option<i64>),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Null | Arg::NullText => Ok(ToSqlOutput::from(rusqlite::types::Null)),
            Arg::Int(v) => v.to_sql(),
            Arg::OptInt(v) => v.to_sql(),
            Arg::Float(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
            Arg::Bytes(v) => v.to_sql(),
        }
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<Id> for Arg {
    fn from(v: Id) -> Arg {
        Arg::Int(v.0)
    }
}
impl From<Option<Id>> for Arg {
    fn from(v: Option<Id>) -> Arg {
        Arg::OptInt(v.map(|i| i.0))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_owned())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}

/// A statement under construction with its arguments in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends raw SQL.
    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Registers an argument and returns its placeholder, to splice into SQL (possibly
    /// several times).
    pub fn arg(&mut self, a: impl Into<Arg>) -> String {
        self.args.push(a.into());
        format!("${}", self.args.len())
    }

    /// Appends a placeholder for a new argument.
    pub fn push_arg(&mut self, a: impl Into<Arg>) -> &mut Sql {
        let p = self.arg(a);
        self.text.push_str(&p);
        self
    }

    /// Appends `$a, $b, ...` for the IDs (callers guarantee a non-empty list).
    pub fn push_ids(&mut self, ids: &[Id]) -> &mut Sql {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_arg(*id);
        }
        self
    }

    /// Appends ` AND col < max AND col > lower ORDER BY col ... LIMIT n` for a page.
    /// Returns whether the rows come oldest first (a `min_id` page), which the caller
    /// undoes with [`newest_first`].
    pub fn push_page(&mut self, col: &str, page: &Page) -> bool {
        if let Some(max) = page.max_id {
            let p = self.arg(max);
            self.text.push_str(&format!(" AND {col} < {p}"));
        }
        let lower = match (page.since_id, page.min_id) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(lower) = lower {
            let p = self.arg(lower);
            self.text.push_str(&format!(" AND {col} > {p}"));
        }
        let ascending = page.min_id.is_some();
        let limit = self.arg(i64::from(page.limit));
        let dir = if ascending { "ASC" } else { "DESC" };
        self.text
            .push_str(&format!(" ORDER BY {col} {dir} LIMIT {limit}"));
        ascending
    }

    /// The arguments, in placeholder order.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    fn bound(&self) -> Vec<&dyn ToSql> {
        self.args.iter().map(|a| a as &dyn ToSql).collect()
    }

    /// Every row, decoded by `f`.
    pub fn rows<T>(
        &self,
        c: &Connection,
        f: impl FnMut(&Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        crate::sqlite::rows(c, &self.text, &self.bound(), f)
    }

    /// Runs a statement that returns no rows; the number of rows changed.
    pub fn exec(&self, c: &Connection) -> rusqlite::Result<usize> {
        crate::sqlite::exec(c, &self.text, &self.bound())
    }
}

/// Puts the rows of a page newest first.
pub(crate) fn newest_first<T>(mut rows: Vec<T>, ascending: bool) -> Vec<T> {
    if ascending {
        rows.reverse();
    }
    rows
}

/// How many IDs go into one `IN (...)` list; longer inputs are split.
pub(crate) const ID_CHUNK: usize = 500;

/// The visibility rule, written once: whether the status row `s` may be seen by the
/// account whose ID is bound at placeholder `viewer` (NULL for anonymous: every comparison
/// with NULL fails, leaving only public and unlisted).
///
/// public/unlisted: everyone; private: the author, accepted followers, mentioned accounts;
/// direct: the author and mentioned accounts. Never to an account the author blocks (as
/// Mastodon's status policy: the blocker's posts are gone for the blocked one).
pub(crate) fn visible(s: &str, viewer: &str) -> String {
    format!(
        "(NOT EXISTS (SELECT 1 FROM blocks vb \
                      WHERE vb.account_id = {s}.account_id AND vb.target_id = {viewer}) \
         AND ({s}.visibility IN ('public', 'unlisted') \
         OR {s}.account_id = {viewer} \
         OR EXISTS (SELECT 1 FROM status_mentions vm \
                    WHERE vm.status_id = {s}.id AND vm.account_id = {viewer}) \
         OR ({s}.visibility = 'private' AND EXISTS (SELECT 1 FROM follows vf \
                    WHERE vf.follower_id = {viewer} AND vf.target_id = {s}.account_id \
                    AND vf.accepted = 1))))"
    )
}

/// Whether `viewer` is kept from what `author` posts or does (both SQL expressions):
/// a block either way, a mute in effect (only those that hide notifications when
/// `notifications`), or a block of the author's region. `now` is a placeholder for the
/// current time in ms. Never true of one's own account.
pub(crate) fn shuns(viewer: &str, author: &str, now: &str, notifications: bool) -> String {
    let notif = if notifications {
        " AND sm.notifications = 1"
    } else {
        ""
    };
    format!(
        "({author} <> {viewer} AND (\
         EXISTS (SELECT 1 FROM blocks sb WHERE sb.account_id = {viewer} AND sb.target_id = {author}) \
         OR EXISTS (SELECT 1 FROM blocks sb WHERE sb.account_id = {author} AND sb.target_id = {viewer}) \
         OR EXISTS (SELECT 1 FROM mutes sm WHERE sm.account_id = {viewer} AND sm.target_id = {author} \
                    AND (sm.expires_at IS NULL OR sm.expires_at > {now}){notif}) \
         OR EXISTS (SELECT 1 FROM user_domain_blocks sd JOIN accounts sa ON sa.home_region = sd.region \
                    WHERE sd.account_id = {viewer} AND sa.id = {author})))"
    )
}

/// [`visible`] extended to reblogs: a reblog row is visible when it and the reblogged
/// status are.
pub(crate) fn visible_with_reblog(s: &str, viewer: &str) -> String {
    let own = visible(s, viewer);
    let target = visible("vt", viewer);
    format!(
        "({own} AND ({s}.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses vt \
         WHERE vt.id = {s}.reblog_of_id AND {target})))"
    )
}

/// The ledger's size: one past its last leaf's index (leaves are numbered from 0 with no
/// gaps), 0 when empty. Both backends' appends and size checks read it.
pub(crate) const LEDGER_SIZE: &str = "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves";
