//! `/api/v1/follow_requests/...`

use crate::error::ApiResult;
use crate::extract::{Auth, Params};
use crate::paging::{accounts_page, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let me = auth.user("read:follows")?;
    let page = st.roost.follow_requests(me.id, p.page()).await?;
    Ok(accounts_page(&st, &uri, page))
}

pub async fn authorize(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:follows")?;
    let requester = path_id(&id)?;
    let rel = st.roost.authorize_follow_request(me, requester).await?;
    Ok(Json(
        Mapper::new(&st.roost.cfg).relationship(requester, &rel),
    ))
}

pub async fn reject(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:follows")?;
    let requester = path_id(&id)?;
    let rel = st.roost.reject_follow_request(me, requester).await?;
    Ok(Json(
        Mapper::new(&st.roost.cfg).relationship(requester, &rel),
    ))
}
