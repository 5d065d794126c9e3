//! `AccountStore`: accounts (public profile and counters) and their local-user rows.

use super::{backend, get, ms, opt_ts, ts, write_err, SqliteStore};
use crate::sql::{newest_first, Sql, ID_CHUNK};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, InstanceStats, NewAccount, Page, ProfileUpdate, User};
use roost_core::store::{AccountStore, StoreError, StoreResult};
use roost_core::Id;
use sqlx::sqlite::SqliteRow;

pub(crate) const ACCOUNT_COLS: &str = "a.id, a.username, a.home_region, a.display_name, \
    a.note_source, a.note_html, a.locked, a.bot, a.discoverable, a.created_at, \
    a.followers_count, a.following_count, a.statuses_count, a.last_status_at";

pub(crate) fn account_from_row(row: &SqliteRow) -> StoreResult<Account> {
    Ok(Account {
        id: Id(get(row, "id")?),
        username: get(row, "username")?,
        home_region: get(row, "home_region")?,
        display_name: get(row, "display_name")?,
        note_source: get(row, "note_source")?,
        note_html: get(row, "note_html")?,
        locked: get(row, "locked")?,
        bot: get(row, "bot")?,
        discoverable: get(row, "discoverable")?,
        created_at: ts(get(row, "created_at")?)?,
        followers_count: get(row, "followers_count")?,
        following_count: get(row, "following_count")?,
        statuses_count: get(row, "statuses_count")?,
        last_status_at: opt_ts(get(row, "last_status_at")?)?,
    })
}

/// The key under which usernames and e-mail addresses are unique and looked up.
pub(crate) fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

impl SqliteStore {
    async fn account_on(&self, pool_w: bool, id: Id) -> StoreResult<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id = $1");
        let q = sqlx::query(&sql).bind(id.0);
        let row = if pool_w {
            q.fetch_optional(&self.w).await
        } else {
            q.fetch_optional(&self.r).await
        };
        row.map_err(backend)?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(
        &self,
        account: &NewAccount,
        user: Option<&User>,
    ) -> StoreResult<Account> {
        let username_key = fold_case(&account.username);
        let mut tx = self.w.begin().await.map_err(backend)?;
        // All writes are serialised on one connection, so checking first is race-free and
        // tells which rule was hit.
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM accounts WHERE username_key = $1")
                .bind(&username_key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if taken.is_some() {
            return Err(StoreError::Conflict("username"));
        }
        if let Some(u) = user {
            let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE email_key = $1")
                .bind(fold_case(&u.email))
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if taken.is_some() {
                return Err(StoreError::Conflict("email"));
            }
        }
        sqlx::query(
            "INSERT INTO accounts (id, username, username_key, home_region, display_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account.id.0)
        .bind(&account.username)
        .bind(&username_key)
        .bind(&account.home_region)
        .bind(&account.display_name)
        .bind(ms(account.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| write_err(e, "username", "account"))?;
        if let Some(u) = user {
            sqlx::query(
                "INSERT INTO users (account_id, email, email_key, password_hash, locale, created_at, sign_up_ip) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(account.id.0)
            .bind(&u.email)
            .bind(fold_case(&u.email))
            .bind(&u.password_hash)
            .bind(&u.locale)
            .bind(ms(u.created_at))
            .bind(u.sign_up_ip.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(|e| write_err(e, "email", "account"))?;
        }
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id = $1");
        let row = sqlx::query(&sql)
            .bind(account.id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let created = account_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn account(&self, id: Id) -> StoreResult<Option<Account>> {
        self.account_on(false, id).await
    }

    async fn accounts(&self, ids: &[Id]) -> StoreResult<Vec<Account>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ID_CHUNK) {
            let mut q = Sql::new(&format!(
                "SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.id IN ("
            ));
            q.push_ids(chunk).push(")");
            for row in q.fetch_all(&self.r).await.map_err(backend)? {
                out.push(account_from_row(&row)?);
            }
        }
        Ok(out)
    }

    async fn account_by_username(&self, username: &str) -> StoreResult<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
        let row = sqlx::query(&sql)
            .bind(fold_case(username))
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn list_accounts(&self, page: Page) -> StoreResult<Vec<Account>> {
        let mut q = Sql::new(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts a WHERE 1 = 1"
        ));
        let asc = q.push_page("a.id", &page);
        let rows = q.fetch_all(&self.r).await.map_err(backend)?;
        let accounts = rows
            .iter()
            .map(account_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(newest_first(accounts, asc))
    }

    async fn update_profile(&self, id: Id, update: &ProfileUpdate) -> StoreResult<Account> {
        let n = sqlx::query(
            "UPDATE accounts SET \
               display_name = COALESCE($2, display_name), \
               note_source = COALESCE($3, note_source), \
               note_html = COALESCE($4, note_html), \
               locked = COALESCE($5, locked), \
               bot = COALESCE($6, bot), \
               discoverable = COALESCE($7, discoverable) \
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(update.display_name.as_deref())
        .bind(update.note_source.as_deref())
        .bind(update.note_html.as_deref())
        .bind(update.locked)
        .bind(update.bot)
        .bind(update.discoverable)
        .execute(&self.w)
        .await
        .map_err(backend)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Missing("account"));
        }
        // Read back on the writer: it has certainly seen its own write.
        self.account_on(true, id)
            .await?
            .ok_or(StoreError::Missing("account"))
    }

    async fn instance_stats(&self, since: Timestamp) -> StoreResult<InstanceStats> {
        // last_status_at is kept by create_status (and recomputed by delete_status), so
        // "posted since" needs no scan of statuses.
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM users) AS user_count, \
               (SELECT COUNT(*) FROM statuses WHERE reblog_of_id IS NULL) AS status_count, \
               (SELECT COUNT(*) FROM users u JOIN accounts a ON a.id = u.account_id \
                 WHERE a.last_status_at >= $1) AS active_month",
        )
        .bind(ms(since))
        .fetch_one(&self.r)
        .await
        .map_err(backend)?;
        Ok(InstanceStats {
            user_count: get(&row, "user_count")?,
            status_count: get(&row, "status_count")?,
            active_month: get(&row, "active_month")?,
        })
    }
}
