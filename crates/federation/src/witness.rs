//! This region as a witness of the other regions' ledgers. Each round it fetches every
//! other region's signed head and, when the tree grew, the region's consistency proof from
//! the last head it cosigned; a head that passes `witness::check_new_head` is cosigned with
//! this region's ledger key and kept, one that conflicts is kept as evidence. Both are
//! served at `/api/roost/v1/ledger/witnesses` for the audit.
//!
//! Pull, not push: the witness decides when to look and what to ask, so a region cannot
//! escape being witnessed by not sending its heads, and no new inbound route has to be
//! guarded. The requests go through the gate like every request to another region; they
//! read public ledger endpoints and carry no user data, so nothing is recorded.

use crate::gate::GateError;
use crate::service::Federation;
use roost_core::store::StoreError;
use roost_residency::witness::{self, ConflictKind, Cosigned, Evidence, Refusal};
use roost_residency::{Hash, SignedTreeHead};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Evidence kept per region at most: one item proves the point, and a region that goes on
/// appending after a fork would otherwise add a row every round.
pub const MAX_EVIDENCE: usize = 32;

const HEAD: &str = "/api/roost/v1/ledger/head";

/// What one look at a region came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Witnessed {
    /// A new head of this many entries was cosigned.
    Cosigned(u64),
    /// The head is the one cosigned last.
    Unchanged(u64),
    /// The head conflicts with the one cosigned; evidence was kept (false: it was kept
    /// already, or enough is).
    Conflict { kind: ConflictKind, recorded: bool },
    /// The served head is not the region's (signature, region name): ignored.
    NotSigned(String),
}

#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("region {0} is not in the cluster file")]
    UnknownRegion(String),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("unreadable answer from {region} to {path}: {why}")]
    Unreadable {
        region: String,
        path: String,
        why: String,
    },
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// The consistency endpoint's answer; only the proof is used (the roots it must lead to
/// are the signed ones).
#[derive(Deserialize)]
struct ConsistencyWire {
    first: u64,
    second: u64,
    consistency_proof: Vec<String>,
}

impl Federation {
    /// One round over every other region, each on its own (one down does not stop the
    /// others).
    pub async fn witness_round(&self) -> Vec<(String, Result<Witnessed, WitnessError>)> {
        let others: Vec<String> = self
            .gate
            .cluster()
            .regions
            .keys()
            .filter(|c| **c != self.region)
            .cloned()
            .collect();
        let mut out = Vec::with_capacity(others.len());
        for region in others {
            let r = self.witness(&region).await;
            out.push((region, r));
        }
        out
    }

    /// Looks at `region`'s head once: cosigns it, or keeps the conflict as evidence.
    pub async fn witness(&self, region: &str) -> Result<Witnessed, WitnessError> {
        let keys = self
            .gate
            .cluster()
            .region(region)
            .map(|r| r.public_keys.clone())
            .ok_or_else(|| WitnessError::UnknownRegion(region.to_string()))?;
        let head: SignedTreeHead = self.fetch_json(region, HEAD).await?;
        // Checked before asking for a proof: a head that is not the region's proves nothing.
        if let Err(r) = witness::verify_head(&keys, region, &head) {
            return Ok(Witnessed::NotSigned(r.to_string()));
        }
        let last = self.store.cosigned(region).await?;
        let last_head = last.as_ref().map(|c| &c.head);
        let (m, n) = (
            last_head.map_or(0, |l| l.head.tree_size),
            head.head.tree_size,
        );
        // A proof is needed only to go from a non-empty cosigned tree to a larger one.
        let proof = if last.is_some() && 0 < m && m < n {
            self.consistency(region, m, n).await?
        } else {
            Vec::new()
        };
        match witness::check_new_head(&keys, region, last_head, &head, &proof) {
            Ok(()) if last.is_some() && m == n => Ok(Witnessed::Unchanged(n)),
            Ok(()) => {
                let cosigned = Cosigned {
                    cosignature: self.gate.ledger().cosign(&head.head),
                    head,
                };
                self.store.save_cosigned(&cosigned).await?;
                Ok(Witnessed::Cosigned(n))
            }
            Err(Refusal::NotSigned { why, .. }) => Ok(Witnessed::NotSigned(why)),
            Err(Refusal::Conflict(conflict)) => {
                let kind = conflict.kind;
                let recorded = match last {
                    Some(last) => {
                        self.keep_evidence(region, last.head, head, conflict)
                            .await?
                    }
                    None => false,
                };
                Ok(Witnessed::Conflict { kind, recorded })
            }
        }
    }

    async fn keep_evidence(
        &self,
        region: &str,
        cosigned: SignedTreeHead,
        conflicting: SignedTreeHead,
        conflict: witness::Conflict,
    ) -> Result<bool, WitnessError> {
        if self.store.evidence(region).await?.len() >= MAX_EVIDENCE {
            return Ok(false);
        }
        let e = Evidence {
            witness: self.region.clone(),
            region: region.to_string(),
            kind: conflict.kind,
            detail: conflict.detail,
            cosigned,
            conflicting,
            seen_ms: jiff::Timestamp::now().as_millisecond(),
        };
        Ok(self.store.record_evidence(&e).await?)
    }

    /// What this region holds as witness of `region`: the last head it cosigned and the
    /// evidence it kept.
    pub async fn witnessed(
        &self,
        region: &str,
    ) -> Result<(Option<Cosigned>, Vec<Evidence>), StoreError> {
        Ok((
            self.store.cosigned(region).await?,
            self.store.evidence(region).await?,
        ))
    }

    /// The region's consistency proof from `first` to `second` entries.
    async fn consistency(
        &self,
        region: &str,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, WitnessError> {
        let path = format!("/api/roost/v1/ledger/consistency?first={first}&second={second}");
        let wire: ConsistencyWire = self.fetch_json(region, &path).await?;
        let unreadable = |why: String| WitnessError::Unreadable {
            region: region.to_string(),
            path: path.clone(),
            why,
        };
        if (wire.first, wire.second) != (first, second) {
            return Err(unreadable(format!(
                "a proof from {} to {} entries",
                wire.first, wire.second
            )));
        }
        wire.consistency_proof
            .iter()
            .map(|h| {
                hex::decode(h)
                    .ok()
                    .and_then(|b| Hash::try_from(b).ok())
                    .ok_or_else(|| unreadable(format!("{h:?} is not a 32-byte hex hash")))
            })
            .collect()
    }

    async fn fetch_json<T: DeserializeOwned>(
        &self,
        region: &str,
        path: &str,
    ) -> Result<T, WitnessError> {
        let bytes = self.gate.fetch(region, path).await?;
        serde_json::from_slice(&bytes).map_err(|e| WitnessError::Unreadable {
            region: region.to_string(),
            path: path.to_string(),
            why: e.to_string(),
        })
    }
}
