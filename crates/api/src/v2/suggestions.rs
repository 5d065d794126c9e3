//! `/api/v2/suggestions`: whom to follow, from the region's follow graph.

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
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
) -> ApiResult<Json<Vec<wire::Suggestion>>> {
    let me = auth.user("read")?;
    let found = st
        .roost
        .suggestions(me.id, p.limit.unwrap_or(40).clamp(1, 80))
        .await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(found.iter().map(|s| m.suggestion(s)).collect()))
}
