//! `/api/v1/trends/...`: the region's trending tags, posts and links (`/api/v1/trends`
//! is the old name of the tags).

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TrendParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    offset: Option<u32>,
}

impl TrendParams {
    fn limit(&self, default: u32, max: u32) -> u32 {
        self.limit.unwrap_or(default).clamp(1, max)
    }
}

pub async fn tags(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<TrendParams>,
) -> ApiResult<Json<Vec<wire::TagStats>>> {
    auth.viewer("read")?;
    let tags = st
        .roost
        .trending_tags(p.limit(10, 20), p.offset.unwrap_or(0))
        .await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(tags.iter().map(|t| m.tag_stats(t)).collect()))
}

pub async fn statuses(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<TrendParams>,
) -> ApiResult<Json<Vec<wire::Status>>> {
    let viewer = auth.viewer("read")?;
    let views = st
        .roost
        .trending_statuses(viewer, p.limit(20, 40), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).statuses(&views)))
}

pub async fn links(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<TrendParams>,
) -> ApiResult<Json<Vec<wire::PreviewCard>>> {
    auth.viewer("read")?;
    let links = st
        .roost
        .trending_links(p.limit(10, 20), p.offset.unwrap_or(0))
        .await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(links.iter().map(|l| m.link_card(l)).collect()))
}
