//! `/api/v1/tags/:name` (the Tag entity with `following`), `/follow`, `/unfollow`.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<wire::TagEntity>> {
    let viewer = auth.viewer("read:follows")?;
    let t = st.roost.tag(viewer, &name).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).tag(&t)))
}

pub async fn follow(
    State(st): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<wire::TagEntity>> {
    let me = auth.user("write:follows")?;
    let t = st.roost.follow_tag(me.id, &name).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).tag(&t)))
}

pub async fn unfollow(
    State(st): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<wire::TagEntity>> {
    let me = auth.user("write:follows")?;
    let t = st.roost.unfollow_tag(me.id, &name).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).tag(&t)))
}
