//! `/api/v1/polls/...`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Poll>> {
    let viewer = auth.viewer("read:statuses")?;
    let poll = st.roost.poll(path_id(&id)?, viewer).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).poll(&poll)))
}

#[derive(Deserialize)]
pub struct VoteParams {
    #[serde(default, deserialize_with = "de::strings")]
    choices: Vec<String>,
}

pub async fn votes(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<VoteParams>,
) -> ApiResult<Json<wire::Poll>> {
    let me = auth.user("write:statuses")?;
    let id = path_id(&id)?;
    // An index that is no number is as unknown as one past the end.
    let choices: Vec<u32> = p
        .choices
        .iter()
        .map(|c| c.trim().parse::<u32>().unwrap_or(u32::MAX))
        .collect();
    let poll = st.roost.vote(id, me, &choices).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).poll(&poll)))
}
