//! `/api/v1/announcements/...`: the region's announcements (admins write them with
//! `roost admin announce`), each reader's dismissals and reactions.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<wire::Announcement>>> {
    let me = auth.user("read")?;
    let items = st.roost.announcements(me).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(items.iter().map(|a| m.announcement(a)).collect()))
}

pub async fn dismiss(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:accounts")?;
    st.roost.dismiss_announcement(me, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}

pub async fn react(
    State(st): State<AppState>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:favourites")?;
    st.roost
        .react_to_announcement(me, path_id(&id)?, &name, true)
        .await?;
    Ok(Json(wire::Empty {}))
}

pub async fn unreact(
    State(st): State<AppState>,
    auth: Auth,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:favourites")?;
    st.roost
        .react_to_announcement(me, path_id(&id)?, &name, false)
        .await?;
    Ok(Json(wire::Empty {}))
}
