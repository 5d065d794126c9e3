//! `/api/v1/mutes`, the mute / unmute of an account and of a conversation.

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;

/// The muted accounts, each with Mastodon's `mute_expires_at` (null for ever).
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<serde_json::Value>>> {
    let me = auth.user("read:mutes")?;
    let page = st.roost.mutes(me.id, p.page()).await?;
    let m = Mapper::new(&st.roost.cfg);
    let items = page
        .accounts
        .accounts
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(m.account(a)).unwrap_or_default();
            let expires = page
                .mutes
                .iter()
                .find(|x| x.target == a.id)
                .and_then(|x| x.expires_at)
                .map(wire::datetime);
            if let Some(o) = v.as_object_mut() {
                o.insert("mute_expires_at".into(), expires.into());
            }
            v
        })
        .collect();
    Ok(Paged(
        items,
        link(&st.roost.cfg.base_url, &uri, page.accounts.bounds),
    ))
}

#[derive(Deserialize)]
pub struct MuteParams {
    /// Mute their notifications too (Mastodon's default: true).
    #[serde(default, deserialize_with = "de::opt_bool")]
    notifications: Option<bool>,
    /// Seconds; 0 or absent: for ever.
    #[serde(default, deserialize_with = "de::opt_u64")]
    duration: Option<u64>,
}

/// `POST /api/v1/accounts/:id/mute`
pub async fn mute(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<MuteParams>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:mutes")?;
    let target = path_id(&id)?;
    let rel = st
        .roost
        .mute(me, target, p.notifications.unwrap_or(true), p.duration)
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}

/// `POST /api/v1/accounts/:id/unmute`
pub async fn unmute(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:mutes")?;
    let target = path_id(&id)?;
    let rel = st.roost.unmute(me, target).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).relationship(target, &rel)))
}

/// `POST /api/v1/statuses/:id/mute`
pub async fn mute_conversation(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:mutes")?;
    let view = st.roost.mute_conversation(me, path_id(&id)?, true).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

/// `POST /api/v1/statuses/:id/unmute`
pub async fn unmute_conversation(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:mutes")?;
    let view = st.roost.mute_conversation(me, path_id(&id)?, false).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}
