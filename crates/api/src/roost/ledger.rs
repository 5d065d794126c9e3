//! `/api/roost/v1/ledger/...`: the region's signed tree head, an entry with its inclusion
//! proof, and consistency proofs, as RFC 6962 defines them; and, as a witness of another
//! region, the last head of it this region cosigned and any evidence against it. Public:
//! anyone may audit.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Params};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use roost_residency::witness::{Cosigned, Evidence};
use roost_residency::{LedgerError, SignedTreeHead};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

fn ledger_err(e: LedgerError) -> ApiError {
    match e {
        LedgerError::TreeSizeTooLarge { .. } | LedgerError::Proof(_) => {
            ApiError::Unprocessable(e.to_string())
        }
        e => ApiError::Core(roost_core::CoreError::Internal(e.to_string())),
    }
}

pub async fn head(State(st): State<AppState>) -> Json<SignedTreeHead> {
    Json(st.fed.gate().ledger().head().await)
}

#[derive(Deserialize)]
pub struct EntryParams {
    /// Prove against this size (default: the current head).
    #[serde(default, deserialize_with = "de::opt_u64")]
    tree_size: Option<u64>,
}

pub async fn entry(
    State(st): State<AppState>,
    Path(index): Path<String>,
    Params(p): Params<EntryParams>,
) -> ApiResult<Json<Value>> {
    let ledger = st.fed.gate().ledger();
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::NotFound("Record not found".into()))?;
    let head = ledger.head().await;
    let size = p.tree_size.unwrap_or(head.head.tree_size);
    if index >= size {
        return Err(ApiError::NotFound("Record not found".into()));
    }
    let entry = ledger
        .entry(index)
        .await
        .map_err(ledger_err)?
        .ok_or_else(|| ApiError::NotFound("Record not found".into()))?;
    let proof = ledger.inclusion(index, size).await.map_err(ledger_err)?;
    let root = ledger.root_at(size).await.map_err(ledger_err)?;
    Ok(Json(json!({
        "index": index,
        "tree_size": size,
        "root_hash": hex::encode(root),
        "entry": entry,
        "leaf_hash": hex::encode(entry.leaf_hash()),
        "inclusion_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        "head": head,
    })))
}

#[derive(Deserialize)]
pub struct ConsistencyParams {
    #[serde(default, deserialize_with = "de::opt_u64")]
    first: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_u64")]
    second: Option<u64>,
}

pub async fn consistency(
    State(st): State<AppState>,
    Params(p): Params<ConsistencyParams>,
) -> ApiResult<Json<Value>> {
    let ledger = st.fed.gate().ledger();
    let first = p
        .first
        .ok_or_else(|| ApiError::Unprocessable("first is required".into()))?;
    let second = match p.second {
        Some(s) => s,
        None => ledger.head().await.head.tree_size,
    };
    if first > second {
        return Err(ApiError::Unprocessable(
            "first must not be larger than second".into(),
        ));
    }
    let proof = ledger
        .consistency(first, second)
        .await
        .map_err(ledger_err)?;
    Ok(Json(json!({
        "first": first,
        "second": second,
        "first_root": hex::encode(ledger.root_at(first).await.map_err(ledger_err)?),
        "second_root": hex::encode(ledger.root_at(second).await.map_err(ledger_err)?),
        "consistency_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub struct WitnessParams {
    region: Option<String>,
}

#[derive(Serialize)]
pub struct WitnessView {
    /// This region, the witness.
    witness: String,
    /// The witnessed region.
    region: String,
    /// The last head of `region` this region cosigned; null before the first.
    cosigned: Option<Cosigned>,
    /// Heads `region` signed that conflict with one cosigned, oldest first.
    evidence: Vec<Evidence>,
}

pub async fn witnesses(
    State(st): State<AppState>,
    Params(p): Params<WitnessParams>,
) -> ApiResult<Json<WitnessView>> {
    let region = p
        .region
        .ok_or_else(|| ApiError::Unprocessable("region is required".into()))?;
    let gate = st.fed.gate();
    if gate.cluster().region(&region).is_none() {
        return Err(ApiError::NotFound("Record not found".into()));
    }
    if region == gate.region() {
        return Err(ApiError::Unprocessable(
            "a region does not witness its own ledger".into(),
        ));
    }
    let (cosigned, evidence) = st
        .fed
        .witnessed(&region)
        .await
        .map_err(|e| ApiError::Core(e.into()))?;
    Ok(Json(WitnessView {
        witness: gate.region().to_string(),
        region,
        cosigned,
        evidence,
    }))
}
