//! `/api/v1/admin/domain_blocks`: this region's blocks of other regions' domains. A block
//! is a filter on what this region shows (`suspend`: nothing of that region; `silence`: not
//! in public timelines; `noop`: recorded only), not a stop on federation.

use super::staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{datetime, Empty};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use roost_core::model::{DomainBlock as DBlock, DomainSeverity, Role};
use roost_core::Id;
use serde::{Deserialize, Serialize};

const READ: &str = "admin:read:domain_blocks";
const WRITE: &str = "admin:write:domain_blocks";

/// Mastodon's Admin::DomainBlock entity.
#[derive(Serialize)]
pub struct DomainBlock {
    pub id: String,
    pub domain: String,
    pub digest: String,
    pub created_at: String,
    pub severity: &'static str,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

fn wire(b: &DBlock) -> DomainBlock {
    use sha2::Digest;
    DomainBlock {
        id: b.id.to_string(),
        domain: b.domain.clone(),
        digest: hex::encode(sha2::Sha256::digest(b.domain.as_bytes())),
        created_at: datetime(b.created_at),
        severity: b.severity.as_str(),
        reject_media: b.reject_media,
        reject_reports: b.reject_reports,
        private_comment: b.private_comment.clone(),
        public_comment: b.public_comment.clone(),
        obfuscate: b.obfuscate,
    }
}

pub async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<DomainBlock>>> {
    let me = staff(&st, &auth, READ, Role::Admin).await?;
    let blocks = st.roost.admin_domain_blocks(&me).await?;
    Ok(Json(blocks.iter().map(wire).collect()))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DomainBlock>> {
    let me = staff(&st, &auth, READ, Role::Admin).await?;
    Ok(Json(wire(
        &st.roost.admin_domain_block(&me, path_id(&id)?).await?,
    )))
}

#[derive(Deserialize)]
pub struct CreateParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    domain: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "de::bool")]
    reject_media: bool,
    #[serde(default, deserialize_with = "de::bool")]
    reject_reports: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    private_comment: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "de::bool")]
    obfuscate: bool,
}

pub async fn create(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<CreateParams>,
) -> ApiResult<Json<DomainBlock>> {
    let me = staff(&st, &auth, WRITE, Role::Admin).await?;
    let domain = p.domain.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
        ApiError::Unprocessable("Validation failed: Domain can't be blank".into())
    })?;
    let severity = match p.severity.as_deref().filter(|s| !s.is_empty()) {
        None => DomainSeverity::Silence,
        Some(s) => DomainSeverity::parse(s).ok_or_else(|| {
            ApiError::Unprocessable(
                "Validation failed: Severity is not included in the list".into(),
            )
        })?,
    };
    let block = st
        .roost
        .admin_block_domain(
            &me,
            DBlock {
                id: Id(0),
                domain,
                severity,
                reject_media: p.reject_media,
                reject_reports: p.reject_reports,
                private_comment: p.private_comment,
                public_comment: p.public_comment,
                obfuscate: p.obfuscate,
                created_at: jiff::Timestamp::UNIX_EPOCH,
            },
        )
        .await?;
    Ok(Json(wire(&block)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let me = staff(&st, &auth, WRITE, Role::Admin).await?;
    st.roost.admin_unblock_domain(&me, path_id(&id)?).await?;
    Ok(Json(Empty {}))
}
