//! `/api/v1/featured_tags/...`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<wire::FeaturedTag>>> {
    let me = auth.user("read:accounts")?;
    let tags = st.roost.featured_tags(me.id).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(tags.iter().map(|t| m.featured_tag(t, me)).collect()))
}

#[derive(Deserialize)]
pub struct PostParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    name: Option<String>,
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<PostParams>,
) -> ApiResult<Json<wire::FeaturedTag>> {
    let me = auth.user("write:accounts")?;
    let tag = st
        .roost
        .feature_tag(me, p.name.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).featured_tag(&tag, me)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:accounts")?;
    st.roost.unfeature_tag(me, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}

pub async fn suggestions(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<wire::TagEntity>>> {
    let me = auth.user("read:accounts")?;
    let tags = st.roost.featured_tag_suggestions(me).await?;
    let m = Mapper::new(&st.roost.cfg);
    // Suggestions are tags the caller uses but does not feature yet.
    Ok(Json(
        tags.iter()
            .map(|t| wire::TagEntity {
                featuring: Some(false),
                ..m.tag(t)
            })
            .collect(),
    ))
}
