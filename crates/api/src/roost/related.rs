//! `/api/roost/v1/statuses/:id/related`: posts like this one (similar words and tags, from
//! the search index), as the post page shows them.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RelatedParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<RelatedParams>,
) -> ApiResult<Json<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    let id = id
        .parse()
        .map_err(|_| ApiError::NotFound("Record not found".into()))?;
    // 404 for what the viewer may not see, as for the status itself.
    st.roost.visible_status(id, viewer).await?;
    let views = st
        .roost
        .related(id, viewer, p.limit.unwrap_or(5).clamp(1, 20))
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).statuses(&views)))
}
