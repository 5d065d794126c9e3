//! `/api/v1/suggestions`: the accounts of v2's suggestions, and dismissing one.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LimitParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
}

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<LimitParams>,
) -> ApiResult<Json<Vec<wire::Account>>> {
    let me = auth.user("read")?;
    let found = st
        .roost
        .suggestions(me.id, p.limit.unwrap_or(40).clamp(1, 80))
        .await?;
    let accounts: Vec<_> = found.into_iter().map(|s| s.account).collect();
    Ok(Json(Mapper::new(&st.roost.cfg).accounts(&accounts)))
}

pub async fn dismiss(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("read")?;
    let target = id
        .parse()
        .map_err(|_| ApiError::NotFound("Record not found".into()))?;
    st.roost.dismiss_suggestion(me.id, target).await?;
    Ok(Json(serde_json::json!({})))
}
