//! `/api/v1/blocks` and the block / unblock of an account.

use crate::error::ApiResult;
use crate::extract::{Auth, Params};
use crate::paging::{accounts_page, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;

/// The accounts the user blocks, newest block first, paged by the block.
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let me = auth.user("read:blocks")?;
    let page = st.roost.blocks(me.id, p.page()).await?;
    Ok(accounts_page(&st, &uri, page))
}

/// `POST /api/v1/accounts/:id/block`
pub async fn block(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:blocks")?;
    let target = path_id(&id)?;
    let rel = st.roost.block(me, target).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}

/// `POST /api/v1/accounts/:id/unblock`
pub async fn unblock(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:blocks")?;
    let target = path_id(&id)?;
    let rel = st.roost.unblock(me, target).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}
