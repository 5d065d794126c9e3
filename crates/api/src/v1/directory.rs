//! `/api/v1/directory`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DirectoryParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_string")]
    order: Option<String>,
    #[serde(default, deserialize_with = "de::bool")]
    local: bool,
}

/// Public, as Mastodon's (no token needed).
pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<DirectoryParams>,
) -> ApiResult<Json<Vec<wire::Account>>> {
    auth.viewer("read:accounts")?;
    let active = p.order.as_deref() != Some("new");
    let accounts = st
        .roost
        .directory(
            p.offset.unwrap_or(0),
            p.limit.unwrap_or(40),
            active,
            p.local,
        )
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).accounts(&accounts)))
}
