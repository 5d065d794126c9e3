//! `GET /api/roost/v1/residency/me`: where the signed-in user's data is. The home region
//! answers for itself and asks every other region (through the gate) what it holds of
//! the user, with ledger entries and inclusion proofs from each.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::Value;

pub async fn me(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let me = auth.user("read:accounts")?;
    Ok(Json(st.fed.residency_report(&st.roost, me).await?))
}
