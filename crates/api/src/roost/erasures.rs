//! `GET /api/roost/v1/admin/erasures` and `/api/roost/v1/admin/erasures/:id`: the
//! region's erasure records, for its admins: which accounts were erased, when, which
//! regions were told and which have acknowledged (no personal data is left to show).

use crate::admin::staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::wire::datetime;
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use roost_core::model::{Erasure, Role};
use serde::Serialize;

const READ: &str = "admin:read:accounts";

#[derive(Serialize)]
pub struct ErasureView {
    pub account_id: String,
    pub erased_at: String,
    /// Whether every region told has acknowledged.
    pub complete: bool,
    pub regions: Vec<ErasureRegionView>,
}

#[derive(Serialize)]
pub struct ErasureRegionView {
    pub region: String,
    pub acknowledged_at: Option<String>,
    /// The home ledger's entry of the acknowledgement.
    pub ledger_index: Option<u64>,
}

impl ErasureView {
    pub fn of(e: &Erasure) -> ErasureView {
        ErasureView {
            account_id: e.account_id.to_string(),
            erased_at: datetime(e.erased_at),
            complete: e.complete(),
            regions: e
                .regions
                .iter()
                .map(|r| ErasureRegionView {
                    region: r.region.clone(),
                    acknowledged_at: r.acknowledged_at.map(datetime),
                    ledger_index: r.ledger_index,
                })
                .collect(),
        }
    }
}

pub async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ErasureView>>> {
    staff(&st, &auth, READ, Role::Admin).await?;
    let all = st.roost.erasures(roost_core::usecase::MAX_ERASURES).await?;
    Ok(Json(all.iter().map(ErasureView::of).collect()))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ErasureView>> {
    staff(&st, &auth, READ, Role::Admin).await?;
    let e = st
        .roost
        .erasure(path_id(&id)?)
        .await?
        .ok_or_else(|| ApiError::NotFound("Record not found".into()))?;
    Ok(Json(ErasureView::of(&e)))
}
