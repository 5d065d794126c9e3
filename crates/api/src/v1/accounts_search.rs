//! `/api/v1/accounts/search`: accounts by name; `name@domain` of another region is
//! looked up there (through the gate) when `resolve`.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roost_core::usecase::{SearchKind, SearchRequest};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AccountSearchParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    q: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    resolve: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    following: Option<bool>,
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<AccountSearchParams>,
) -> ApiResult<Json<Vec<wire::Account>>> {
    auth.viewer("read:accounts")?;
    let viewer = auth
        .0
        .as_ref()
        .filter(|c| !c.token.pending)
        .and_then(|c| c.account.as_ref());
    let q =
        p.q.ok_or_else(|| ApiError::BadRequest("Missing parameter: q".into()))?;
    let resolve = p.resolve.unwrap_or(false) && viewer.is_some();
    let req = SearchRequest {
        q,
        kind: Some(SearchKind::Accounts),
        resolve,
        following: p.following.unwrap_or(false),
        limit: p.limit.unwrap_or(40).clamp(1, 80),
        offset: p.offset.unwrap_or(0),
        ..SearchRequest::default()
    };
    let found = st.roost.search(viewer, &req).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).accounts(&found.accounts)))
}
