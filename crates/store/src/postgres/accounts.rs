//! `AccountStore`: accounts (public profile and counters) and their local-user rows.

use super::{at, backend, exec, get, ms, opt_ts, row, scalar, ts, write_err, PgStore};
use super::{no_row, pg_read, pg_write, Db};
use crate::sql::{newest_first, Sql, ID_CHUNK};
pub(crate) use crate::sqlite::accounts::{
    decode_fields, encode_sealed_fields, fold_case, ACCOUNT_COLS,
};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, InstanceStats, NewAccount, Page, ProfileUpdate, User};
use roost_core::store::{AccountStore, StoreError, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

/// Decodes by position, in [`ACCOUNT_COLS`] order (looking columns up by name cost a
/// tenth of a home page's CPU).
pub(crate) fn account_from_row(row: &Row) -> StoreResult<Account> {
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

/// One account by id, on whichever connection the caller is using.
async fn account_in(c: &impl Db, id: Id) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id = $1");
    super::keys::opened(c, row(c, &sql, &[&id.0], account_from_row).await?).await
}

/// The accounts with these ids (in no particular order; unknown ids are skipped).
pub(crate) async fn accounts_in(c: &impl Db, ids: &[Id]) -> StoreResult<Vec<Account>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = Sql::new(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id IN ("
        ));
        q.push_ids(chunk).push(")");
        out.extend(q.fetch(c, account_from_row).await?);
    }
    super::keys::opened_all(c, out).await
}

/// Creates an account (and its user row) in the caller's transaction: the body of
/// `create_account`, shared with writes that must do more in the same transaction.
pub(crate) async fn create_account_in(
    c: &impl Db,
    account: &NewAccount,
    user: Option<&User>,
) -> StoreResult<Account> {
    let username_key = fold_case(&account.username);
    // Checking first tells which rule was hit; a concurrent insert that slips past the
    // check still meets the unique index (mapped to the same conflicts below).
    let taken: Option<i64> = scalar(
        c,
        "SELECT 1 FROM accounts WHERE username_key = $1",
        &[&username_key],
    )
    .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict("username"));
    }
    // An erased account's handle stays taken (its tombstone keeps only the hash).
    let erased: Option<i64> = scalar(
        c,
        crate::sqlite::erasure::HANDLE_ERASED,
        &[&crate::sqlite::erasure::handle_hash(&username_key)],
    )
    .await?;
    if erased.is_some() {
        return Err(StoreError::Conflict("username"));
    }
    if let Some(u) = user {
        let taken: Option<i64> = scalar(
            c,
            "SELECT 1 FROM users WHERE email_key = $1",
            &[&fold_case(&u.email)],
        )
        .await?;
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
    .await
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
        ).await
        .map_err(|e| write_err(e, "email", "account"))?;
    }
    account_in(c, account.id).await?.ok_or_else(no_row)
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(
        &self,
        account: &NewAccount,
        user: Option<&User>,
    ) -> StoreResult<Account> {
        let account = account.clone();
        let user = user.cloned();
        pg_write!(self, c, create_account_in(c, &account, user.as_ref()).await)
    }

    async fn account(&self, id: Id) -> StoreResult<Option<Account>> {
        pg_read!(self, c, Ok(accounts_in(c, &[id]).await?.pop()))
    }

    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>> {
        let ids = ids.to_vec();
        pg_read!(self, c, accounts_in(c, &ids).await)
    }

    async fn account_by_username(&self, username: &str) -> StoreResult<Option<Account>> {
        let key = fold_case(username);
        pg_read!(self, c, {
            let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
            super::keys::opened(c, row(c, &sql, &[&key], account_from_row).await?).await
        })
    }

    async fn list_accounts(&self, page: Page) -> StoreResult<Vec<Account>> {
        let mut q = Sql::new(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a WHERE 1 = 1"
        ));
        let asc = q.push_page("a.id", &page);
        let accounts = pg_read!(self, c, {
            super::keys::opened_all(c, q.fetch(c, account_from_row).await?).await
        })?;
        Ok(newest_first(accounts, asc))
    }

    async fn update_profile(&self, id: Id, update: &ProfileUpdate) -> StoreResult<Account> {
        let update = update.clone();
        pg_write!(self, c, {
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
            .await
            .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::Missing("account"));
            }
            if update.note_source.is_some() || update.note_html.is_some() {
                // Sealed with the account's key, which needs the account row first.
                let key = super::keys::write_key(c, id).await?;
                let seal = |v: &Option<String>| v.as_deref().map(|t| key.seal(t));
                exec(
                    c,
                    crate::sealing::NOTE_UPDATE,
                    &[&id.0, &seal(&update.note_source), &seal(&update.note_html)],
                )
                .await
                .map_err(backend)?;
            }
            // Read back in the same transaction: it has certainly seen its own write.
            account_in(c, id)
                .await?
                .ok_or(StoreError::Missing("account"))
        })
    }

    async fn instance_stats(&self, since: Timestamp) -> StoreResult<InstanceStats> {
        // last_status_at is kept by create_status (and recomputed by delete_status), so
        // "posted since" needs no scan of statuses.
        let since = ms(since);
        pg_read!(self, c, {
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
            )
            .await?
            .ok_or_else(no_row)
        })
    }
}
