//! `/api/v1/scheduled_statuses/...`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{bounds_of, link, PageParams, Paged};
use crate::v1::statuses::parse_time;
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::ScheduledStatus>>> {
    let me = auth.user("read:statuses")?;
    let items = st.roost.scheduled_statuses(me, p.page()).await?;
    let m = Mapper::new(&st.roost.cfg);
    let bounds = bounds_of(&items, |s| s.id);
    Ok(Paged(
        items.iter().map(|s| m.scheduled_status(s)).collect(),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::ScheduledStatus>> {
    let me = auth.user("read:statuses")?;
    let s = st.roost.scheduled_status(me, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).scheduled_status(&s)))
}

#[derive(Deserialize)]
pub struct PutParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    scheduled_at: Option<String>,
}

pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<PutParams>,
) -> ApiResult<Json<wire::ScheduledStatus>> {
    let me = auth.user("write:statuses")?;
    let id = path_id(&id)?;
    let s = match p.scheduled_at.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            let at = parse_time("Scheduled at", v)?;
            st.roost.reschedule(me, id, at).await?
        }
        None => st.roost.scheduled_status(me, id).await?,
    };
    Ok(Json(Mapper::new(&st.roost.cfg).scheduled_status(&s)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:statuses")?;
    st.roost.unschedule(me, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}
