//! `GET /api/v1/followed_tags`: paged by the follow, newest first.

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
) -> ApiResult<Paged<Vec<wire::TagEntity>>> {
    let me = auth.user("read:follows")?;
    let (tags, bounds) = st.roost.followed_tags(me.id, p.page()).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Paged(
        tags.iter().map(|t| m.tag(t)).collect(),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}
