//! `/api/v1/bookmarks`: paged by the bookmark, not the status.

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
    let me = auth.user("read:bookmarks")?;
    let (views, bounds) = st.roost.bookmarks(me.id, p.page()).await?;
    Ok(Paged(
        Mapper::new(&st.roost.cfg).statuses(&views),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}
