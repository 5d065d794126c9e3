//! `/api/v1/timelines/...`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{bounds_of, link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::Uri;
use roost_core::usecase::StatusView;
use serde::Deserialize;

fn paged(st: &AppState, uri: &Uri, views: &[StatusView]) -> Paged<Vec<wire::Status>> {
    Paged(
        Mapper::new(&st.roost.cfg).statuses(views),
        link(
            &st.roost.cfg.base_url,
            uri,
            bounds_of(views, |v| v.status.id),
        ),
    )
}

pub async fn home(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let me = auth.user("read:statuses")?;
    let views = st.roost.home_timeline(me.id, p.page()).await?;
    Ok(paged(&st, &uri, &views))
}

#[derive(Deserialize)]
pub struct PublicParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "de::bool")]
    local: bool,
    #[serde(default, deserialize_with = "de::bool")]
    remote: bool,
    #[serde(default, deserialize_with = "de::bool")]
    only_media: bool,
}

pub async fn public(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PublicParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    if p.only_media {
        // No media yet, so no status has any.
        return Ok(paged(&st, &uri, &[]));
    }
    let scope = st.roost.region_scope(p.local, p.remote);
    let views = st
        .roost
        .public_timeline(viewer, &scope, p.page.page())
        .await?;
    Ok(paged(&st, &uri, &views))
}

pub async fn tag(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(tag): Path<String>,
    Params(p): Params<PublicParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    if p.only_media {
        return Ok(paged(&st, &uri, &[]));
    }
    let scope = st.roost.region_scope(p.local, p.remote);
    let views = st
        .roost
        .tag_timeline(&tag, viewer, &scope, p.page.page())
        .await?;
    Ok(paged(&st, &uri, &views))
}

/// `GET /api/v1/timelines/list/:id`
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let me = auth.user("read:lists")?;
    let views = st
        .roost
        .list_timeline(me.id, crate::path_id(&id)?, p.page())
        .await?;
    Ok(paged(&st, &uri, &views))
}
