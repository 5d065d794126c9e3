//! `IdentityStore`: users, OAuth apps, tokens and authorization codes.

use super::accounts::fold_case;
use super::{backend, exec, get, ms, opt_id, row, ts, write_err, SqliteStore};
use async_trait::async_trait;
use roost_core::model::{App, AuthCode, Token, User};
use roost_core::store::{IdentityStore, StoreResult};
use roost_core::Id;
use rusqlite::Connection;

pub(crate) const USER_COLS: &str =
    "u.account_id, u.email, u.password_hash, u.locale, u.created_at, u.sign_up_ip";
pub(crate) const APP_COLS: &str =
    "id, name, website, redirect_uris, scopes, client_id, client_secret, created_at";
pub(crate) const TOKEN_COLS: &str =
    "id, app_id, account_id, scopes, access_hash, refresh_hash, created_at, revoked";
/// Whether the token's user awaits approval (NULL for an app's own token).
pub(crate) const TOKEN_PENDING: &str =
    "(SELECT u.approved = 0 FROM users u WHERE u.account_id = tokens.account_id) AS pending";
pub(crate) const CODE_COLS: &str =
    "code_hash, app_id, account_id, redirect_uri, scopes, code_challenge, \
    code_challenge_method, expires_at";

fn user_from_row(row: &rusqlite::Row<'_>) -> StoreResult<User> {
    Ok(User {
        account_id: Id(get(row, "account_id")?),
        email: get(row, "email")?,
        password_hash: get(row, "password_hash")?,
        locale: get(row, "locale")?,
        created_at: ts(get(row, "created_at")?)?,
        sign_up_ip: get(row, "sign_up_ip")?,
    })
}

fn app_from_row(row: &rusqlite::Row<'_>) -> StoreResult<App> {
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

pub(super) fn token_from_row(row: &rusqlite::Row<'_>) -> StoreResult<Token> {
    Ok(Token {
        id: Id(get(row, "id")?),
        app_id: Id(get(row, "app_id")?),
        account_id: opt_id(get(row, "account_id")?),
        scopes: get(row, "scopes")?,
        access_hash: get(row, "access_hash")?,
        refresh_hash: get(row, "refresh_hash")?,
        created_at: ts(get(row, "created_at")?)?,
        revoked: get(row, "revoked")?,
        pending: get::<Option<bool>>(row, "pending")?.unwrap_or(false),
    })
}

fn code_from_row(row: &rusqlite::Row<'_>) -> StoreResult<AuthCode> {
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

/// The live (not revoked) token whose `col` is `hash`.
fn token_where(c: &Connection, col: &str, hash: &str) -> StoreResult<Option<Token>> {
    let sql = format!(
        "SELECT {TOKEN_COLS}, {TOKEN_PENDING} FROM tokens WHERE {col} = $1 AND revoked = 0"
    );
    row(c, &sql, &[&hash], token_from_row)
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        // A username match wins over an e-mail match (usernames cannot contain '@', so
        // both matching different users should not happen anyway).
        let key = fold_case(login);
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {USER_COLS} FROM users u JOIN accounts a ON a.id = u.account_id \
                     WHERE a.username_key = $1 OR u.email_key = $1 \
                     ORDER BY CASE WHEN a.username_key = $1 THEN 0 ELSE 1 END LIMIT 1"
                );
                row(c, &sql, &[&key], user_from_row)
            })
            .await
    }

    async fn user(&self, account_id: Id) -> StoreResult<Option<User>> {
        self.db
            .read(move |c| {
                let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.account_id = $1");
                row(c, &sql, &[&account_id.0], user_from_row)
            })
            .await
    }

    async fn create_app(&self, app: &App) -> StoreResult<()> {
        let app = app.clone();
        self.db
            .write(move |c| {
                exec(
                    c,
                    &format!(
                        "INSERT INTO apps ({APP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[
                        &app.id.0,
                        &app.name,
                        &app.website.as_deref(),
                        &app.redirect_uris.join("\n"),
                        &app.scopes,
                        &app.client_id,
                        &app.client_secret,
                        &ms(app.created_at),
                    ],
                )
                .map_err(|e| write_err(e, "app", "app"))?;
                Ok(())
            })
            .await
    }

    async fn app(&self, id: Id) -> StoreResult<Option<App>> {
        self.db
            .read(move |c| {
                let sql = format!("SELECT {APP_COLS} FROM apps WHERE id = $1");
                row(c, &sql, &[&id.0], app_from_row)
            })
            .await
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>> {
        let client_id = client_id.to_owned();
        self.db
            .read(move |c| {
                let sql = format!("SELECT {APP_COLS} FROM apps WHERE client_id = $1");
                row(c, &sql, &[&client_id], app_from_row)
            })
            .await
    }

    async fn create_token(&self, token: &Token) -> StoreResult<()> {
        let token = token.clone();
        self.db
            .write(move |c| {
                exec(
                    c,
                    &format!(
                        "INSERT INTO tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[
                        &token.id.0,
                        &token.app_id.0,
                        &token.account_id.map(|i| i.0),
                        &token.scopes,
                        &token.access_hash,
                        &token.refresh_hash.as_deref(),
                        &ms(token.created_at),
                        &token.revoked,
                    ],
                )
                .map_err(|e| write_err(e, "token", "app"))?;
                Ok(())
            })
            .await
    }

    async fn token_by_access_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
        let hash = hash.to_owned();
        self.db
            .read(move |c| token_where(c, "access_hash", &hash))
            .await
    }

    async fn token_by_refresh_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
        let hash = hash.to_owned();
        self.db
            .read(move |c| token_where(c, "refresh_hash", &hash))
            .await
    }

    async fn revoke_token(&self, id: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "UPDATE tokens SET revoked = 1 WHERE id = $1 AND revoked = 0",
                    &[&id.0],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn create_auth_code(&self, code: &AuthCode) -> StoreResult<()> {
        let code = code.clone();
        self.db
            .write(move |c| {
                // Codes live minutes; drop the expired ones nobody redeemed while we are here.
                exec(
                    c,
                    "DELETE FROM auth_codes WHERE expires_at < $1",
                    &[&jiff::Timestamp::now().as_millisecond()],
                )
                .map_err(backend)?;
                exec(
                    c,
                    &format!(
                        "INSERT INTO auth_codes ({CODE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[
                        &code.code_hash,
                        &code.app_id.0,
                        &code.account_id.0,
                        &code.redirect_uri,
                        &code.scopes,
                        &code.code_challenge.as_deref(),
                        &code.code_challenge_method.as_deref(),
                        &ms(code.expires_at),
                    ],
                )
                .map_err(|e| write_err(e, "auth_code", "app"))?;
                Ok(())
            })
            .await
    }

    async fn take_auth_code(&self, code_hash: &str) -> StoreResult<Option<AuthCode>> {
        // DELETE ... RETURNING on the single writer: two redemptions cannot both succeed.
        let code_hash = code_hash.to_owned();
        self.db
            .write(move |c| {
                let sql =
                    format!("DELETE FROM auth_codes WHERE code_hash = $1 RETURNING {CODE_COLS}");
                row(c, &sql, &[&code_hash], code_from_row)
            })
            .await
    }
}
