//! `AccountStore`: accounts (public profile and counters) and their local-user rows.

use super::{at, backend, exec, get, ms, opt_ts, row, scalar, ts, write_err, SqliteStore};
use crate::sql::{newest_first, Sql, ID_CHUNK};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, InstanceStats, NewAccount, Page, ProfileUpdate, User};
use roost_core::store::{AccountStore, StoreError, StoreResult};
use roost_core::Id;
use rusqlite::Connection;

pub(crate) const ACCOUNT_COLS: &str = "a.id, a.username, a.home_region, a.display_name, \
    a.note_source, a.note_html, a.locked, a.bot, a.discoverable, a.created_at, \
    a.followers_count, a.following_count, a.statuses_count, a.last_status_at, \
    a.suspended_at IS NOT NULL, a.silenced_at IS NOT NULL, a.fields, a.avatar_file, a.header_file, \
    a.moving_since IS NOT NULL";

/// Decodes by position, in [`ACCOUNT_COLS`] order (looking columns up by name cost a
/// tenth of a home page's CPU).
pub(crate) fn account_from_row(row: &rusqlite::Row<'_>) -> StoreResult<Account> {
    Ok(Account {
        id: Id(at(row, 0)?),
        username: at(row, 1)?,
        home_region: at(row, 2)?,
        display_name: at(row, 3)?,
        note_source: at(row, 4)?,
        note_html: at(row, 5)?,
        locked: at(row, 6)?,
        bot: at(row, 7)?,
        discoverable: at(row, 8)?,
        created_at: ts(at(row, 9)?)?,
        followers_count: at(row, 10)?,
        following_count: at(row, 11)?,
        statuses_count: at(row, 12)?,
        last_status_at: opt_ts(at(row, 13)?)?,
        suspended: at(row, 14)?,
        silenced: at(row, 15)?,
        fields: decode_fields(&at::<String>(row, 16)?),
        avatar: at(row, 17)?,
        header: at(row, 18)?,
        moving: at(row, 19)?,
    })
}

pub(crate) const FIELD_SEP: char = '\u{1f}';
pub(crate) const ROW_SEP: char = '\u{1e}';

/// Profile fields as stored: the separators taken out of each part, each part sealed with
/// the account's data key.
pub(crate) fn encode_sealed_fields(
    key: &roost_residency::keys::DataKey,
    fields: &[roost_core::model::ProfileField],
) -> String {
    let clean = |s: &str| key.seal(&s.replace([FIELD_SEP, ROW_SEP], ""));
    fields
        .iter()
        .map(|f| {
            format!(
                "{}{FIELD_SEP}{}{FIELD_SEP}{}",
                clean(&f.name),
                clean(&f.value_source),
                clean(&f.value_html)
            )
        })
        .collect::<Vec<_>>()
        .join(&ROW_SEP.to_string())
}

pub(crate) fn decode_fields(s: &str) -> Vec<roost_core::model::ProfileField> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(ROW_SEP)
        .map(|f| {
            let mut parts = f.split(FIELD_SEP);
            let mut next = || parts.next().unwrap_or_default().to_string();
            roost_core::model::ProfileField {
                name: next(),
                value_source: next(),
                value_html: next(),
            }
        })
        .collect()
}

/// The key under which usernames and e-mail addresses are unique and looked up.
pub(crate) fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// Writes a new bio, sealed with the account's key (which needs the account row first).
fn seal_note(c: &Connection, id: Id, update: &ProfileUpdate) -> StoreResult<()> {
    if update.note_source.is_none() && update.note_html.is_none() {
        return Ok(());
    }
    let key = super::keys::write_key(c, id)?;
    let seal = |v: &Option<String>| v.as_deref().map(|t| key.seal(t));
    exec(
        c,
        crate::sealing::NOTE_UPDATE,
        &[&id.0, &seal(&update.note_source), &seal(&update.note_html)],
    )
    .map_err(backend)?;
    Ok(())
}

/// One account by id, on whichever connection the caller is using.
fn account_in(c: &Connection, id: Id) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id = $1");
    super::keys::opened(c, row(c, &sql, &[&id.0], account_from_row)?)
}

/// The accounts with these ids (in no particular order; unknown ids are skipped).
pub(crate) fn accounts_in(c: &Connection, ids: &[Id]) -> StoreResult<Vec<Account>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = Sql::new(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id IN ("
        ));
        q.push_ids(chunk).push(")");
        out.extend(q.rows(c, account_from_row)?);
    }
    super::keys::opened_all(c, out)
}

/// Creates an account (and its user row) on the writer's connection: the body of
/// `create_account`, shared with writes that must do more in the same transaction.
pub(crate) fn create_account_in(
    c: &Connection,
    account: &NewAccount,
    user: Option<&User>,
) -> StoreResult<Account> {
    let username_key = fold_case(&account.username);
    // All writes are serialised on one connection, so checking first is
    // race-free and tells which rule was hit.
    let taken: Option<i64> = scalar(
        c,
        "SELECT 1 FROM accounts WHERE username_key = $1",
        &[&username_key],
    )?;
    if taken.is_some() {
        return Err(StoreError::Conflict("username"));
    }
    // An erased account's handle stays taken (its tombstone keeps only the hash).
    let erased: Option<i64> = scalar(
        c,
        crate::sqlite::erasure::HANDLE_ERASED,
        &[&crate::sqlite::erasure::handle_hash(&username_key)],
    )?;
    if erased.is_some() {
        return Err(StoreError::Conflict("username"));
    }
    if let Some(u) = user {
        let taken: Option<i64> = scalar(
            c,
            "SELECT 1 FROM users WHERE email_key = $1",
            &[&fold_case(&u.email)],
        )?;
        if taken.is_some() {
            return Err(StoreError::Conflict("email"));
        }
    }
    exec(
        c,
        "INSERT INTO accounts (id, username, username_key, home_region, display_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &account.id.0,
            &account.username,
            &username_key,
            &account.home_region,
            &account.display_name,
            &ms(account.created_at),
        ],
    )
    .map_err(|e| write_err(e, "username", "account"))?;
    if let Some(u) = user {
        exec(
            c,
            "INSERT INTO users (account_id, email, email_key, password_hash, locale, created_at, sign_up_ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &account.id.0,
                &u.email,
                &fold_case(&u.email),
                &u.password_hash,
                &u.locale,
                &ms(u.created_at),
                &u.sign_up_ip.as_deref(),
            ],
        )
        .map_err(|e| write_err(e, "email", "account"))?;
    }
    account_in(c, account.id)?.ok_or_else(|| backend(rusqlite::Error::QueryReturnedNoRows))
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(
        &self,
        account: &NewAccount,
        user: Option<&User>,
    ) -> StoreResult<Account> {
        let account = account.clone();
        let user = user.cloned();
        self.db
            .write(move |c| create_account_in(c, &account, user.as_ref()))
            .await
    }

    async fn account(&self, id: Id) -> StoreResult<Option<Account>> {
        let cache = self.db.cache.clone();
        self.db
            .read(move |c| Ok(cache.through(&[id], |ids| accounts_in(c, ids))?.pop()))
            .await
    }

    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>> {
        let ids = ids.to_vec();
        let cache = self.db.cache.clone();
        self.db
            .read(move |c| cache.through(&ids, |ids| accounts_in(c, ids)))
            .await
    }

    async fn account_by_username(&self, username: &str) -> StoreResult<Option<Account>> {
        let key = fold_case(username);
        self.db
            .read(move |c| {
                let sql =
                    format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
                super::keys::opened(c, row(c, &sql, &[&key], account_from_row)?)
            })
            .await
    }

    async fn list_accounts(&self, page: Page) -> StoreResult<Vec<Account>> {
        let mut q = Sql::new(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a WHERE 1 = 1"
        ));
        let asc = q.push_page("a.id", &page);
        let accounts = self
            .db
            .read(move |c| super::keys::opened_all(c, q.rows(c, account_from_row)?))
            .await?;
        Ok(newest_first(accounts, asc))
    }

    async fn update_profile(&self, id: Id, update: &ProfileUpdate) -> StoreResult<Account> {
        let update = update.clone();
        self.db
            .write(move |c| {
                super::engine::overwrote_text();
                let n = exec(
                    c,
                    "UPDATE accounts SET \
                       display_name = COALESCE($2, display_name), \
                       locked = COALESCE($3, locked), \
                       bot = COALESCE($4, bot), \
                       discoverable = COALESCE($5, discoverable) \
                     WHERE id = $1",
                    &[
                        &id.0,
                        &update.display_name.as_deref(),
                        &update.locked,
                        &update.bot,
                        &update.discoverable,
                    ],
                )
                .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::Missing("account"));
                }
                seal_note(c, id, &update)?;
                // Read back on the writer: it has certainly seen its own write.
                account_in(c, id)?.ok_or(StoreError::Missing("account"))
            })
            .await
    }

    async fn instance_stats(&self, since: Timestamp) -> StoreResult<InstanceStats> {
        // last_status_at is kept by create_status (and recomputed by delete_status), so
        // "posted since" needs no scan of statuses.
        let since = ms(since);
        self.db
            .read(move |c| {
                row(
                    c,
                    "SELECT \
                       (SELECT COUNT(*) FROM users) AS user_count, \
                       (SELECT COUNT(*) FROM statuses WHERE reblog_of_id IS NULL) AS status_count, \
                       (SELECT COUNT(*) FROM users u JOIN accounts a ON a.id = u.account_id \
                         WHERE a.last_status_at >= $1) AS active_month",
                    &[&since],
                    |r| {
                        Ok(InstanceStats {
                            user_count: get(r, "user_count")?,
                            status_count: get(r, "status_count")?,
                            active_month: get(r, "active_month")?,
                        })
                    },
                )?
                .ok_or_else(|| backend(rusqlite::Error::QueryReturnedNoRows))
            })
            .await
    }
}
