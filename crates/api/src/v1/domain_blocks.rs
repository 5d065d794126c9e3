//! `/api/v1/domain_blocks`: a user hides a whole region (by its domain).

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::paging::{link, PageParams, Paged};
use crate::AppState;
use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<String>>> {
    let me = auth.user("read:blocks")?;
    let page = st.roost.domain_blocks(me.id, p.page()).await?;
    Ok(Paged(
        page.domains,
        link(&st.roost.cfg.base_url, &uri, page.bounds),
    ))
}

#[derive(Deserialize)]
pub struct DomainParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    domain: Option<String>,
}

fn domain(p: DomainParams) -> ApiResult<String> {
    p.domain
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: domain is missing".into()))
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<DomainParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:blocks")?;
    st.roost.block_domain(me, &domain(p)?).await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<DomainParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:blocks")?;
    st.roost.unblock_domain(me, &domain(p)?).await?;
    Ok(Json(serde_json::json!({})))
}
