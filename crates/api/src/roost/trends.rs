//! `/api/roost/v1/trends/tags?scope=region|cluster`: the region's trending tags, or the
//! cluster's, built only from other regions' tag counts (`aggregate` class).

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ScopeParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    offset: Option<u32>,
}

pub async fn tags(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<ScopeParams>,
) -> ApiResult<Json<Vec<wire::TagStats>>> {
    auth.viewer("read")?;
    let (limit, offset) = (p.limit.unwrap_or(10).clamp(1, 20), p.offset.unwrap_or(0));
    let tags = match p.scope.as_deref() {
        None | Some("region") => st.roost.trending_tags(limit, offset).await?,
        Some("cluster") => st.roost.cluster_trending_tags(limit, offset).await?,
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "Validation failed: scope must be region or cluster".into(),
            ))
        }
    };
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(tags.iter().map(|t| m.tag_stats(t)).collect()))
}
