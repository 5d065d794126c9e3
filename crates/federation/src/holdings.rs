//! "Where is my data": what one region holds of a user, with the ledger entries about
//! them and inclusion proofs a user (or their client) can check against the signed head.

use roost_core::{CoreError, CoreResult, Id, Roost};
use roost_residency::{Ledger, LedgerEntry, SignedTreeHead};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeldItem {
    pub object: String,
    pub class: String,
    pub stored_at: String,
    pub expires_at: Option<String>,
}

/// Something that reached the region and was recorded as stored, then not kept (a reply
/// to a post it does not hold...): its `dropped` ledger entry says why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotHeld {
    pub object: String,
    pub class: String,
    /// The `dropped` entry's purpose: what arrived, and why it was not kept.
    pub reason: String,
    /// Its index in `entries`' ledger.
    pub index: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvenEntry {
    pub index: u64,
    pub entry: LedgerEntry,
    /// Audit path (hex), RFC 6962, against `head`.
    pub inclusion_proof: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holdings {
    pub region: String,
    /// Whether this is the user's home region (which holds everything about them).
    pub home: bool,
    /// Classes of the user's data held here.
    pub classes: Vec<String>,
    pub items: Vec<HeldItem>,
    /// What arrived and was not kept, as the ledger's last word on it says.
    #[serde(default)]
    pub not_held: Vec<NotHeld>,
    pub head: SignedTreeHead,
    /// Ledger entries about the user (newest 100), provable against `head`.
    pub entries: Vec<ProvenEntry>,
}

const MAX_ENTRIES: usize = 100;

pub async fn report(roost: &Roost, ledger: &Ledger, subject: Id) -> CoreResult<Holdings> {
    let store = roost.store();
    let records = store.foreign_records(Some(subject)).await?;
    let home = !roost.is_foreign_id(subject);
    let head = ledger.head().await;
    let size = head.head.tree_size;
    let mut indices = store.ledger_indices_about(subject).await?;
    indices.retain(|i| *i < size);
    if indices.len() > MAX_ENTRIES {
        indices.drain(..indices.len() - MAX_ENTRIES);
    }
    let internal = |e: roost_residency::LedgerError| CoreError::Internal(e.to_string());
    let mut entries = Vec::with_capacity(indices.len());
    for index in indices {
        let Some(entry) = ledger.entry(index).await.map_err(internal)? else {
            continue;
        };
        let proof = ledger.inclusion(index, size).await.map_err(internal)?;
        entries.push(ProvenEntry {
            index,
            entry,
            inclusion_proof: proof.iter().map(hex::encode).collect(),
        });
    }
    let mut classes: Vec<String> = if home {
        roost_residency::DataClass::ALL
            .iter()
            .map(|c| c.to_string())
            .collect()
    } else {
        records.iter().map(|r| r.class.to_string()).collect()
    };
    classes.sort();
    classes.dedup();
    let held: std::collections::HashSet<&str> = records.iter().map(|r| r.object.as_str()).collect();
    let not_held = not_held(&entries, &held);
    Ok(Holdings {
        region: roost.cfg.region.clone(),
        home,
        classes,
        items: records
            .into_iter()
            .map(|r| HeldItem {
                object: r.object,
                class: r.class.to_string(),
                stored_at: r.stored_at.to_string(),
                expires_at: r.expires_at.map(|t| t.to_string()),
            })
            .collect(),
        not_held,
        head,
        entries,
    })
}

/// Objects whose last stored-or-dropped entry is a `dropped` one, unless the inventory
/// holds them again.
fn not_held(entries: &[ProvenEntry], held: &std::collections::HashSet<&str>) -> Vec<NotHeld> {
    use roost_residency::Direction;
    let mut last: std::collections::BTreeMap<&str, &ProvenEntry> = Default::default();
    for p in entries {
        if matches!(p.entry.direction, Direction::Stored | Direction::Dropped) {
            last.insert(p.entry.object.as_str(), p);
        }
    }
    last.into_values()
        .filter(|p| p.entry.direction == Direction::Dropped)
        .filter(|p| !held.contains(p.entry.object.as_str()))
        .map(|p| NotHeld {
            object: p.entry.object.clone(),
            class: p.entry.class.to_string(),
            reason: p.entry.purpose.clone(),
            index: p.index,
        })
        .collect()
}

impl crate::Federation {
    /// "Where is my data" for a local account, as `/api/roost/v1/residency/me` and the
    /// archive's `residency.json` give it: this region's holdings and every other
    /// region's answer (a region that cannot answer is shown as such, not hidden).
    pub async fn residency_report(
        &self,
        roost: &Roost,
        account: &roost_core::model::Account,
    ) -> CoreResult<serde_json::Value> {
        let regions: Vec<serde_json::Value> = self
            .holdings_everywhere(roost, account.id)
            .await?
            .into_iter()
            .map(|(region, answer)| match answer {
                Ok(h) => serde_json::to_value(&h).unwrap_or_default(),
                Err(e) => serde_json::json!({ "region": region, "error": e.to_string() }),
            })
            .collect();
        Ok(serde_json::json!({
            "account_id": account.id.to_string(),
            "home_region": account.home_region,
            "regions": regions,
        }))
    }
}

impl crate::service::Federation {
    /// What `region` holds of a local user ("where is my data").
    pub async fn holdings_at(
        &self,
        region: &str,
        subject: Id,
    ) -> CoreResult<crate::holdings::Holdings> {
        let bytes = self
            .gate
            .fetch(region, &format!("/ap/roost/holdings/{subject}"))
            .await
            .map_err(crate::service::unavailable)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::Unavailable(format!("region {region} sent a bad answer: {e}")))
    }

    /// What every region holds of a local user: this region's own report first, then each
    /// other region's answer (asked at once), failures included rather than hidden.
    pub async fn holdings_everywhere(
        &self,
        roost: &roost_core::Roost,
        subject: Id,
    ) -> CoreResult<Vec<(String, CoreResult<crate::holdings::Holdings>)>> {
        let here = crate::holdings::report(roost, self.gate.ledger(), subject).await?;
        let others: Vec<String> = roost
            .cfg
            .cluster
            .regions
            .keys()
            .filter(|c| **c != roost.cfg.region)
            .cloned()
            .collect();
        let asks = others.iter().map(|r| self.holdings_at(r, subject));
        let answers = futures::future::join_all(asks).await;
        let mut out = vec![(roost.cfg.region.clone(), Ok(here))];
        out.extend(others.into_iter().zip(answers));
        Ok(out)
    }
}
