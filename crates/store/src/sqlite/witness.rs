//! `WitnessStore`: the last head of each other region this region cosigned, and the
//! evidence of heads that conflicted with it. Kept as JSON: the signed fields must come
//! back exactly as signed, and nothing queries inside them.

use super::{at, backend, corrupt, exec, row, rows, SqliteStore};
use async_trait::async_trait;
use roost_core::store::{StoreResult, WitnessStore};
use roost_residency::witness::{Cosigned, Evidence};

pub(crate) const COSIGNED: &str = "SELECT cosigned FROM witness_cosigned WHERE region = $1";
/// Replaces the kept head only with a larger one: a witness never goes back, even if two
/// rounds race.
pub(crate) const SAVE_COSIGNED: &str = "INSERT INTO witness_cosigned (region, tree_size, cosigned) VALUES ($1, $2, $3) \
     ON CONFLICT (region) DO UPDATE SET tree_size = excluded.tree_size, cosigned = excluded.cosigned \
     WHERE excluded.tree_size > witness_cosigned.tree_size";
pub(crate) const RECORD_EVIDENCE: &str =
    "INSERT INTO witness_evidence (region, tree_size, root_hash, seen_at, evidence) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
pub(crate) const EVIDENCE: &str = "SELECT evidence FROM witness_evidence WHERE region = $1 \
     ORDER BY seen_at, tree_size, root_hash";

pub(crate) fn to_json(v: &impl serde::Serialize) -> StoreResult<String> {
    serde_json::to_string(v).map_err(backend)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

/// The key and values of an evidence row.
pub(crate) fn evidence_row(e: &Evidence) -> StoreResult<(String, i64, String, i64, String)> {
    let h = &e.conflicting.head;
    Ok((
        e.region.clone(),
        i64::try_from(h.tree_size).map_err(backend)?,
        hex::encode(h.root_hash),
        e.seen_ms,
        to_json(e)?,
    ))
}

#[async_trait]
impl WitnessStore for SqliteStore {
    async fn cosigned(&self, region: &str) -> StoreResult<Option<Cosigned>> {
        let region = region.to_string();
        let text: Option<String> = self
            .db
            .read(move |c| row(c, COSIGNED, &[&region], |r| at(r, 0)))
            .await?;
        text.map(|t| from_json("witness_cosigned row", &t))
            .transpose()
    }

    async fn save_cosigned(&self, cs: &Cosigned) -> StoreResult<bool> {
        let region = cs.cosignature.region.clone();
        let size = i64::try_from(cs.cosignature.tree_size).map_err(backend)?;
        let json = to_json(cs)?;
        self.db
            .write(move |c| {
                let n = exec(c, SAVE_COSIGNED, &[&region, &size, &json]).map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn record_evidence(&self, e: &Evidence) -> StoreResult<bool> {
        let (region, size, root, seen, json) = evidence_row(e)?;
        self.db
            .write(move |c| {
                let n = exec(c, RECORD_EVIDENCE, &[&region, &size, &root, &seen, &json])
                    .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn evidence(&self, region: &str) -> StoreResult<Vec<Evidence>> {
        let region = region.to_string();
        let texts: Vec<String> = self
            .db
            .read(move |c| rows(c, EVIDENCE, &[&region], |r| at(r, 0)))
            .await?;
        texts
            .iter()
            .map(|t| from_json("witness_evidence row", t))
            .collect()
    }
}
