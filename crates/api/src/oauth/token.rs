//! `POST /oauth/token`.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, ClientIp, Params};
use crate::oauth::basic_client;
use crate::wire::Token;
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use roost_core::usecase::{GrantRequest, IssuedToken};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TokenParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    grant_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    client_secret: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    code_verifier: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    refresh_token: Option<String>,
}

pub fn token(t: &IssuedToken) -> Token {
    Token {
        access_token: t.access_token.clone(),
        token_type: "Bearer",
        scope: t.scopes.as_string(),
        created_at: t.created_at.as_second(),
        refresh_token: t.refresh_token.clone(),
    }
}

pub async fn post(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Params(p): Params<TokenParams>,
) -> ApiResult<Json<Token>> {
    // Each password grant costs an argon2 run: limited per address and per login.
    if p.grant_type.as_deref() == Some("password") {
        st.roost
            .limits
            .sign_in(ip, p.username.as_deref().unwrap_or_default())
            .map_err(ApiError::TooManyRequests)?;
    }
    let (client_id, client_secret) = match basic_client(&headers) {
        Some(pair) => pair,
        None => (
            p.client_id.unwrap_or_default(),
            p.client_secret.unwrap_or_default(),
        ),
    };
    let issued = st
        .roost
        .grant(GrantRequest {
            grant_type: p.grant_type.unwrap_or_default(),
            client_id,
            client_secret,
            scope: p.scope,
            code: p.code,
            redirect_uri: p.redirect_uri,
            code_verifier: p.code_verifier,
            username: p.username,
            password: p.password,
            refresh_token: p.refresh_token,
        })
        .await??;
    Ok(Json(token(&issued)))
}
