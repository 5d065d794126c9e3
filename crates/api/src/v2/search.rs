//! `/api/v2/search`: accounts, hashtags and statuses; a URL or handle of any region is
//! looked up (through the gate when `resolve`).

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roost_core::usecase::{SearchKind, SearchRequest};
use roost_core::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    q: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "de::opt_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    resolve: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    following: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_id")]
    account_id: Option<Id>,
    /// Leaves out hashtags no moderator reviewed: all but the exact match here.
    #[serde(default, deserialize_with = "de::opt_bool")]
    exclude_unreviewed: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_id")]
    min_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_id")]
    max_id: Option<Id>,
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> ApiResult<Json<wire::Search>> {
    auth.viewer("read:search")?;
    let viewer = auth
        .0
        .as_ref()
        .filter(|c| !c.token.pending)
        .and_then(|c| c.account.as_ref());
    let q =
        p.q.ok_or_else(|| ApiError::BadRequest("Missing parameter: q".into()))?;
    let resolve = p.resolve.unwrap_or(false);
    // Mastodon's rules for anonymous searches.
    if viewer.is_none() && p.offset.is_some_and(|o| o > 0) {
        return Err(ApiError::Unauthorized(
            "Search queries pagination is not supported without authentication".into(),
        ));
    }
    if viewer.is_none() && resolve {
        return Err(ApiError::Unauthorized(
            "Search queries that resolve remote resources are not supported without authentication"
                .into(),
        ));
    }
    let kind = match p.kind.as_deref() {
        None | Some("") => None,
        Some("accounts") => Some(SearchKind::Accounts),
        Some("hashtags") => Some(SearchKind::Hashtags),
        Some("statuses") => Some(SearchKind::Statuses),
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "Validation failed: type must be accounts, hashtags or statuses".into(),
            ))
        }
    };
    let req = SearchRequest {
        q,
        kind,
        resolve,
        following: p.following.unwrap_or(false),
        account_id: p.account_id,
        limit: p.limit.unwrap_or(20),
        offset: p.offset.unwrap_or(0),
        min_id: p.min_id,
        max_id: p.max_id,
        exclude_unreviewed: p.exclude_unreviewed.unwrap_or(false),
    };
    let found = st.roost.search(viewer, &req).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).search(&found)))
}
