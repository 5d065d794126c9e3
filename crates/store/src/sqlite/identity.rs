//! `IdentityStore`: users, OAuth apps, tokens and authorization codes.

use super::accounts::fold_case;
use super::{backend, get, ms, opt_id, ts, write_err, SqliteStore};
use async_trait::async_trait;
use roost_core::model::{App, AuthCode, Token, User};
use roost_core::store::{IdentityStore, StoreResult};
use roost_core::Id;
use sqlx::sqlite::SqliteRow;

const USER_COLS: &str =
    "u.account_id, u.email, u.password_hash, u.locale, u.created_at, u.sign_up_ip";
const APP_COLS: &str =
    "id, name, website, redirect_uris, scopes, client_id, client_secret, created_at";
const TOKEN_COLS: &str =
    "id, app_id, account_id, scopes, access_hash, refresh_hash, created_at, revoked";
const CODE_COLS: &str = "code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
    code_challenge_method, expires_at";

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        account_id: Id(get(row, "account_id")?),
        email: get(row, "email")?,
        password_hash: get(row, "password_hash")?,
        locale: get(row, "locale")?,
        created_at: ts(get(row, "created_at")?)?,
        sign_up_ip: get(row, "sign_up_ip")?,
    })
}

fn app_from_row(row: &SqliteRow) -> StoreResult<App> {
    let uris: String = get(row, "redirect_uris")?;
    Ok(App {
        id: Id(get(row, "id")?),
        name: get(row, "name")?,
        website: get(row, "website")?,
        redirect_uris: uris
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        scopes: get(row, "scopes")?,
        client_id: get(row, "client_id")?,
        client_secret: get(row, "client_secret")?,
        created_at: ts(get(row, "created_at")?)?,
    })
}

fn token_from_row(row: &SqliteRow) -> StoreResult<Token> {
    Ok(Token {
        id: Id(get(row, "id")?),
        app_id: Id(get(row, "app_id")?),
        account_id: opt_id(get(row, "account_id")?),
        scopes: get(row, "scopes")?,
        access_hash: get(row, "access_hash")?,
        refresh_hash: get(row, "refresh_hash")?,
        created_at: ts(get(row, "created_at")?)?,
        revoked: get(row, "revoked")?,
    })
}

fn code_from_row(row: &SqliteRow) -> StoreResult<AuthCode> {
    Ok(AuthCode {
        code_hash: get(row, "code_hash")?,
        app_id: Id(get(row, "app_id")?),
        account_id: Id(get(row, "account_id")?),
        redirect_uri: get(row, "redirect_uri")?,
        scopes: get(row, "scopes")?,
        code_challenge: get(row, "code_challenge")?,
        code_challenge_method: get(row, "code_challenge_method")?,
        expires_at: ts(get(row, "expires_at")?)?,
    })
}

impl SqliteStore {
    async fn token_where(&self, col: &str, hash: &str) -> StoreResult<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE {col} = $1 AND revoked = 0");
        let row = sqlx::query(&sql)
            .bind(hash)
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(token_from_row).transpose()
    }
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        // A username match wins over an e-mail match (usernames cannot contain '@', so
        // both matching different users should not happen anyway).
        let sql = format!(
            "SELECT {USER_COLS} FROM users u JOIN accounts a ON a.id = u.account_id \
             WHERE a.username_key = $1 OR u.email_key = $1 \
             ORDER BY CASE WHEN a.username_key = $1 THEN 0 ELSE 1 END LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(fold_case(login))
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user(&self, account_id: Id) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.account_id = $1");
        let row = sqlx::query(&sql)
            .bind(account_id.0)
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_app(&self, app: &App) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO apps ({APP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(app.id.0)
        .bind(&app.name)
        .bind(app.website.as_deref())
        .bind(app.redirect_uris.join("\n"))
        .bind(&app.scopes)
        .bind(&app.client_id)
        .bind(&app.client_secret)
        .bind(ms(app.created_at))
        .execute(&self.w)
        .await
        .map_err(|e| write_err(e, "app", "app"))?;
        Ok(())
    }

    async fn app(&self, id: Id) -> StoreResult<Option<App>> {
        let sql = format!("SELECT {APP_COLS} FROM apps WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>> {
        let sql = format!("SELECT {APP_COLS} FROM apps WHERE client_id = $1");
        let row = sqlx::query(&sql)
            .bind(client_id)
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn create_token(&self, token: &Token) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(token.id.0)
        .bind(token.app_id.0)
        .bind(token.account_id.map(|i| i.0))
        .bind(&token.scopes)
        .bind(&token.access_hash)
        .bind(token.refresh_hash.as_deref())
        .bind(ms(token.created_at))
        .bind(token.revoked)
        .execute(&self.w)
        .await
        .map_err(|e| write_err(e, "token", "app"))?;
        Ok(())
    }

    async fn token_by_access_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
        self.token_where("access_hash", hash).await
    }

    async fn token_by_refresh_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
        self.token_where("refresh_hash", hash).await
    }

    async fn revoke_token(&self, id: Id) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE tokens SET revoked = 1 WHERE id = $1 AND revoked = 0")
            .bind(id.0)
            .execute(&self.w)
            .await
            .map_err(backend)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn create_auth_code(&self, code: &AuthCode) -> StoreResult<()> {
        let mut tx = self.w.begin().await.map_err(backend)?;
        // Codes live minutes; drop the expired ones nobody redeemed while we are here.
        sqlx::query("DELETE FROM auth_codes WHERE expires_at < $1")
            .bind(jiff::Timestamp::now().as_millisecond())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(&format!(
            "INSERT INTO auth_codes ({CODE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&code.code_hash)
        .bind(code.app_id.0)
        .bind(code.account_id.0)
        .bind(&code.redirect_uri)
        .bind(&code.scopes)
        .bind(code.code_challenge.as_deref())
        .bind(code.code_challenge_method.as_deref())
        .bind(ms(code.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| write_err(e, "auth_code", "app"))?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn take_auth_code(&self, code_hash: &str) -> StoreResult<Option<AuthCode>> {
        // DELETE ... RETURNING on the single writer: two redemptions cannot both succeed.
        let sql = format!("DELETE FROM auth_codes WHERE code_hash = $1 RETURNING {CODE_COLS}");
        let row = sqlx::query(&sql)
            .bind(code_hash)
            .fetch_optional(&self.w)
            .await
            .map_err(backend)?;
        row.as_ref().map(code_from_row).transpose()
    }
}
