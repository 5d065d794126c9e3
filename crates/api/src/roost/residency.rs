//! `GET /api/roost/v1/residency/me`: where the signed-in user's data is. The home region
//! answers for itself and asks every other region (through the gate) what it holds of
//! the user, with ledger entries and inclusion proofs from each.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

pub async fn me(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let me = auth.user("read:accounts")?;
    let regions: Vec<Value> = st
        .fed
        .holdings_everywhere(&st.roost, me.id)
        .await?
        .into_iter()
        .map(|(region, answer)| match answer {
            Ok(h) => serde_json::to_value(&h).unwrap_or(Value::Null),
            // A region that cannot answer is shown as such, not hidden.
            Err(e) => json!({ "region": region, "error": e.to_string() }),
        })
        .collect();
    Ok(Json(json!({
        "account_id": me.id.to_string(),
        "home_region": me.home_region,
        "regions": regions,
    })))
}
