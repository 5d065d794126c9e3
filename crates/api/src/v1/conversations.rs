//! `/api/v1/conversations`: direct threads with their unread state.

use crate::error::ApiResult;
use crate::extract::{Auth, Params};
use crate::paging::{link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;

/// Paged by each conversation's newest status (as Mastodon pages them).
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Conversation>>> {
    let me = auth.user("read:statuses")?;
    let (items, bounds) = st.roost.conversations(me.id, p.page()).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Paged(
        items.iter().map(|c| m.conversation(c)).collect(),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

/// `POST /api/v1/conversations/:id/read`
pub async fn read(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Conversation>> {
    let me = auth.user("write:conversations")?;
    let c = st.roost.read_conversation(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).conversation(&c)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:conversations")?;
    st.roost.delete_conversation(me.id, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}
