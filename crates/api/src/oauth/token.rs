//! `POST /oauth/token`.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, ClientIp, Params};
use crate::oauth::basic_client;
use crate::wire::Token;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::Json;
use roost_core::usecase::{GrantRequest, IssuedToken, OAuthError};
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

/// Parameters that are secrets: RFC 6749 keeps them out of the request URI (§2.3.1,
/// §3.2), where proxies, browsers' histories and access logs would keep them.
const SECRETS: [&str; 5] = [
    "password",
    "client_secret",
    "refresh_token",
    "code",
    "code_verifier",
];

pub async fn post(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    uri: Uri,
    Params(p): Params<TokenParams>,
) -> ApiResult<Json<Token>> {
    if let Some(q) = uri.query() {
        let named =
            url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| SECRETS.contains(&k.as_ref()));
        if let Some((k, _)) = named {
            return Err(ApiError::OAuth(OAuthError {
                error: "invalid_request",
                description: format!("{k} must be sent in the request body, not in the URL"),
            }));
        }
    }
    // Each password grant costs an argon2 run: limited per address and per login.
    if p.grant_type.as_deref() == Some("password") {
        st.roost
            .limits
            .sign_in(ip, p.username.as_deref().unwrap_or_default())
            .await
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
