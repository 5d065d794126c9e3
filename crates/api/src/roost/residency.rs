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
    let here = roost_federation::holdings::report(&st.roost, st.fed.gate().ledger(), me.id).await?;
    let mut regions = vec![serde_json::to_value(&here).unwrap_or(Value::Null)];
    let others: Vec<String> = st
        .roost
        .cfg
        .cluster
        .regions
        .keys()
        .filter(|c| **c != st.roost.cfg.region)
        .cloned()
        .collect();
    let asks = others.iter().map(|r| st.fed.holdings_at(r, me.id));
    for (region, answer) in others.iter().zip(futures::future::join_all(asks).await) {
        regions.push(match answer {
            Ok(h) => serde_json::to_value(&h).unwrap_or(Value::Null),
            // A region that cannot answer is shown as such, not hidden.
            Err(e) => json!({ "region": region, "error": e.to_string() }),
        });
    }
    Ok(Json(json!({
        "account_id": me.id.to_string(),
        "home_region": me.home_region,
        "regions": regions,
    })))
}
