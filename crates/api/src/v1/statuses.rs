//! `/api/v1/statuses/...`

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::paging::{accounts_page, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use roost_core::model::Visibility;
use roost_core::usecase::{EditStatus, PollRequest, PostStatus, Posted};
use roost_core::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PostParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    in_reply_to_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_id")]
    quoted_status_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_string")]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    language: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    media_ids: Vec<String>,
    #[serde(default)]
    poll: Option<PollParams>,
    #[serde(default, deserialize_with = "de::opt_string")]
    scheduled_at: Option<String>,
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]`.
#[derive(Deserialize, Default)]
pub struct PollParams {
    #[serde(default, deserialize_with = "de::strings")]
    options: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "de::bool")]
    multiple: bool,
    #[serde(default, deserialize_with = "de::bool")]
    hide_totals: bool,
}

impl PollParams {
    fn request(self) -> Option<PollRequest> {
        // Some clients send an empty `poll` object with a post that has none.
        if self.options.is_empty() && self.expires_in.is_none() {
            return None;
        }
        Some(PollRequest {
            options: self.options,
            expires_in: self.expires_in.map(|n| n.min(i64::MAX as u64) as i64),
            multiple: self.multiple,
            hide_totals: self.hide_totals,
        })
    }
}

/// An ISO 8601 time with an offset, as Mastodon's `scheduled_at`.
pub(crate) fn parse_time(field: &str, v: &str) -> ApiResult<jiff::Timestamp> {
    v.trim().parse::<jiff::Timestamp>().map_err(|_| {
        ApiError::Unprocessable(format!("Validation failed: {field} is not a valid time"))
    })
}

/// Unknown IDs are the use case's 422 ("media not found"), not a 404.
fn media_ids(ids: &[String]) -> ApiResult<Vec<Id>> {
    ids.iter()
        .map(|s| {
            s.trim()
                .parse::<Id>()
                .map_err(|_| ApiError::Unprocessable("Validation failed: media not found".into()))
        })
        .collect()
}

fn visibility(v: Option<&str>) -> ApiResult<Option<Visibility>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Visibility::parse(v).map(Some).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "Validation failed: Visibility {v} is not a valid visibility"
            ))
        }),
    }
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Params(p): Params<PostParams>,
) -> ApiResult<Response> {
    let me = auth.user("write:statuses")?;
    let media_ids = media_ids(&p.media_ids)?;
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(String::from))
        .transpose()
        .map_err(|_| ApiError::BadRequest("Idempotency-Key must be text".into()))?;
    let scheduled_at = p
        .scheduled_at
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_time("Scheduled at", v))
        .transpose()?;
    let posted = st
        .roost
        .post_or_schedule(
            me,
            PostStatus {
                text: p.status.unwrap_or_default(),
                in_reply_to_id: p.in_reply_to_id,
                quoted_status_id: p.quoted_status_id,
                visibility: visibility(p.visibility.as_deref())?,
                spoiler_text: p.spoiler_text,
                sensitive: p.sensitive,
                language: p.language,
                idempotency_key,
                poll: p.poll.and_then(PollParams::request),
                scheduled_at,
                media_ids,
            },
        )
        .await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(match posted {
        Posted::Now(view) => Json(m.status(&view)).into_response(),
        Posted::Scheduled(s) => Json(m.scheduled_status(&s)).into_response(),
    })
}

/// A single status: this counts as a view.
pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let viewer = auth.viewer("read:statuses")?;
    let view = st.roost.view_status(path_id(&id)?, viewer).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

#[derive(Deserialize)]
pub struct IdsParams {
    #[serde(default, deserialize_with = "de::ids")]
    id: Vec<Id>,
}

/// `GET /api/v1/statuses?id[]=...` (Mastodon 4.3); no view is counted for a list.
pub async fn get_many(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> ApiResult<Json<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    if p.id.len() > 40 {
        return Err(ApiError::Unprocessable(
            "Validation failed: at most 40 ids".into(),
        ));
    }
    let views = st.roost.statuses(&p.id, viewer).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).statuses(&views)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:statuses")?;
    let view = st.roost.delete_status(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status_with_source(&view)))
}

#[derive(Deserialize)]
pub struct EditParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    language: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    media_ids: Vec<String>,
    #[serde(default)]
    poll: Option<PollParams>,
    #[serde(default)]
    media_attributes: Vec<MediaAttribute>,
}

/// `media_attributes[]`: a new description or focus for one of the post's attachments.
#[derive(Deserialize)]
pub struct MediaAttribute {
    id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    focus: Option<String>,
}

pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<EditParams>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:statuses")?;
    // Attachments stay as posted: `media_ids` of an edit is not read (only their
    // descriptions and focus change, through `media_attributes`).
    let _ = &p.media_ids;
    let media_attributes = p
        .media_attributes
        .into_iter()
        .map(|a| Ok((media_ids(&[a.id])?[0], a.description, a.focus)))
        .collect::<ApiResult<Vec<_>>>()?;
    let view = st
        .roost
        .edit_status(
            path_id(&id)?,
            me,
            EditStatus {
                text: p.status.unwrap_or_default(),
                spoiler_text: p.spoiler_text,
                sensitive: p.sensitive,
                language: p.language,
                poll: p.poll.and_then(PollParams::request),
                media_attributes,
            },
        )
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn context(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Context>> {
    let viewer = auth.viewer("read:statuses")?;
    let (ancestors, descendants) = st.roost.context(path_id(&id)?, viewer).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(wire::Context {
        ancestors: m.statuses(&ancestors),
        descendants: m.statuses(&descendants),
    }))
}

pub async fn history(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<wire::StatusEdit>>> {
    let viewer = auth.viewer("read:statuses")?;
    let (view, revisions) = st.roost.status_history(path_id(&id)?, viewer).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(
        revisions
            .iter()
            .map(|r| m.edit(&view.account, r, &view.media))
            .collect(),
    ))
}

pub async fn source(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::StatusSource>> {
    let me = auth.user("read:statuses")?;
    // Any post the caller can see (Mastodon's rule), not only the caller's own.
    let view = st.roost.status(path_id(&id)?, Some(me.id)).await?;
    Ok(Json(wire::StatusSource {
        id: view.status.id.to_string(),
        text: view.status.text,
        spoiler_text: view.status.spoiler_text,
    }))
}

pub async fn quotes(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Status>>> {
    let viewer = auth.viewer("read:statuses")?;
    let views = st.roost.quotes(path_id(&id)?, viewer, p.page()).await?;
    let bounds = crate::paging::bounds_of(&views, |v| v.status.id);
    Ok(Paged(
        Mapper::new(&st.roost.cfg).statuses(&views),
        crate::paging::link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

pub async fn reblogged_by(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let viewer = auth.viewer("read:accounts")?;
    let page = st
        .roost
        .reblogged_by(path_id(&id)?, viewer, p.page())
        .await?;
    Ok(accounts_page(&st, &uri, page))
}

pub async fn favourited_by(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let viewer = auth.viewer("read:accounts")?;
    let page = st
        .roost
        .favourited_by(path_id(&id)?, viewer, p.page())
        .await?;
    Ok(accounts_page(&st, &uri, page))
}

#[derive(Deserialize)]
pub struct ReblogParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    visibility: Option<String>,
}

pub async fn reblog(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<ReblogParams>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:statuses")?;
    let view = st
        .roost
        .reblog(path_id(&id)?, me, visibility(p.visibility.as_deref())?)
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn unreblog(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:statuses")?;
    let view = st.roost.unreblog(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn favourite(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:favourites")?;
    let view = st.roost.favourite(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn unfavourite(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:favourites")?;
    let view = st.roost.unfavourite(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn bookmark(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:bookmarks")?;
    let view = st.roost.bookmark(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn unbookmark(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:bookmarks")?;
    let view = st.roost.unbookmark(path_id(&id)?, me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn pin(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:accounts")?;
    let view = st.roost.set_pinned(path_id(&id)?, me, true).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}

pub async fn unpin(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Status>> {
    let me = auth.user("write:accounts")?;
    let view = st.roost.set_pinned(path_id(&id)?, me, false).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).status(&view)))
}
