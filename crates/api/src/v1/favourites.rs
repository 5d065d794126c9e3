//! `/api/v1/favourites`: paged by the favourite, not the status.

use crate::error::ApiResult;
use crate::extract::{Auth, Params};
use crate::paging::{link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::http::Uri;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let me = auth.user("read:favourites")?;
    let (views, bounds) = st.roost.favourites(me.id, p.page()).await?;
    Ok(Paged(
        Mapper::new(&st.roost.cfg).statuses(&views),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}
