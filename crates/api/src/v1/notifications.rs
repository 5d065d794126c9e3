//! `/api/v1/notifications/...`

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{bounds_of, link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use roost_core::model::{NotificationFilter, NotificationType};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "de::strings")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "de::strings")]
    exclude_types: Vec<String>,
}

/// Unknown types are ignored, as Mastodon does (clients send types newer servers know).
fn types(names: &[String]) -> Vec<NotificationType> {
    names
        .iter()
        .filter_map(|n| NotificationType::parse(n))
        .collect()
}

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<ListParams>,
) -> ApiResult<Paged<Vec<wire::Notification>>> {
    let me = auth.user("read:notifications")?;
    let wanted = types(&p.types);
    if !p.types.is_empty() && wanted.is_empty() {
        return Ok(Paged(Vec::new(), None));
    }
    let filter = NotificationFilter {
        types: wanted,
        exclude_types: types(&p.exclude_types),
    };
    let items = st
        .roost
        .notifications(me.id, &filter, p.page.page())
        .await?;
    let m = Mapper::new(&st.roost.cfg);
    let bounds = bounds_of(&items, |n| n.notification.id);
    Ok(Paged(
        items.iter().map(|n| m.notification(n)).collect(),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Notification>> {
    let me = auth.user("read:notifications")?;
    let n = st.roost.notification(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).notification(&n)))
}

pub async fn dismiss(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    st.roost.dismiss_notification(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

pub async fn clear(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    st.roost.clear_notifications(me.id).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct UnreadParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
}

pub async fn unread_count(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<UnreadParams>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("read:notifications")?;
    let limit = i64::from(p.limit.unwrap_or(100).clamp(1, 1000));
    let count = st.roost.unread_notifications(me.id).await?;
    Ok(Json(json!({ "count": count.min(limit) })))
}
