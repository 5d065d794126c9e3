//! `WitnessStore`: the last head of each other region this region cosigned, and the
//! evidence of heads that conflicted with it (as in `sqlite/witness.rs`, whose SQL it
//! shares).

use super::{at, backend, exec, row, rows, PgStore};
use super::{pg_read, pg_write};
use crate::sqlite::witness::{
    evidence_row, from_json, to_json, COSIGNED, EVIDENCE, RECORD_EVIDENCE, SAVE_COSIGNED,
};
use async_trait::async_trait;
use roost_core::store::{StoreResult, WitnessStore};
use roost_residency::witness::{Cosigned, Evidence};

#[async_trait]
impl WitnessStore for PgStore {
    async fn cosigned(&self, region: &str) -> StoreResult<Option<Cosigned>> {
        let region = region.to_string();
        let text: Option<String> =
            pg_read!(self, c, row(c, COSIGNED, &[&region], |r| at(r, 0)).await)?;
        text.map(|t| from_json("witness_cosigned row", &t))
            .transpose()
    }

    async fn save_cosigned(&self, cs: &Cosigned) -> StoreResult<bool> {
        let region = cs.cosignature.region.clone();
        let size = i64::try_from(cs.cosignature.tree_size).map_err(backend)?;
        let json = to_json(cs)?;
        pg_write!(self, c, {
            let n = exec(c, SAVE_COSIGNED, &[&region, &size, &json])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn record_evidence(&self, e: &Evidence) -> StoreResult<bool> {
        let (region, size, root, seen, json) = evidence_row(e)?;
        pg_write!(self, c, {
            let n = exec(c, RECORD_EVIDENCE, &[&region, &size, &root, &seen, &json])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn evidence(&self, region: &str) -> StoreResult<Vec<Evidence>> {
        let region = region.to_string();
        let texts: Vec<String> =
            pg_read!(self, c, rows(c, EVIDENCE, &[&region], |r| at(r, 0)).await)?;
        texts
            .iter()
            .map(|t| from_json("witness_evidence row", t))
            .collect()
    }
}
