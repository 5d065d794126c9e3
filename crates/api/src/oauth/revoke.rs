//! `POST /oauth/revoke` (RFC 7009).

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Params};
use crate::oauth::basic_client;
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct RevokeParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    client_secret: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    token: Option<String>,
}

pub async fn post(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(p): Params<RevokeParams>,
) -> ApiResult<Json<Value>> {
    let (client_id, client_secret) = match basic_client(&headers) {
        Some(pair) => pair,
        None => (
            p.client_id.unwrap_or_default(),
            p.client_secret.unwrap_or_default(),
        ),
    };
    let token = p.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::OAuth(roost_core::usecase::OAuthError {
            error: "invalid_request",
            description: "token is required.".into(),
        })
    })?;
    st.roost
        .revoke(&client_id, &client_secret, &token)
        .await??;
    Ok(Json(json!({})))
}
