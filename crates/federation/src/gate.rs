//! The gate: the one place where user data leaves this region. It owns the only HTTP
//! client that can reach another region (the field is private and nothing else in the
//! workspace depends on an HTTP client; a test checks both), decides every transfer with
//! the cluster's residency policy, and appends each one to the transfer ledger before a
//! byte is sent. Responses served to other regions are built only from [`Released`],
//! which only [`Gate::release`] makes. Data arriving here is admitted by
//! [`Gate::admit`], which writes the `stored` entries. A region this one's administrators
//! suspend (a domain block, `suspend`) is sent nothing and has nothing admitted from it,
//! except what retracts data: deletions, undos and erasure answers still go, so an
//! erasure is finished everywhere (see [`Transfer::retracts`]).

use crate::httpsig;
use axum::response::{IntoResponse, Response};
use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use roost_core::model::ForeignRecord;
use roost_core::store::Store;
use roost_core::Id;
use roost_residency::{Cluster, DataClass, Decision, Direction, Ledger, LedgerEntry};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// Which regions this region's administrators suspend: the core's domain blocks, asked
/// of the running `Roost` (held weakly: it owns the federation that owns the gate).
#[async_trait::async_trait]
pub trait RegionBlocks: Send + Sync {
    async fn suspends(&self, region: &str) -> bool;
}

#[async_trait::async_trait]
impl RegionBlocks for roost_core::Roost {
    async fn suspends(&self, region: &str) -> bool {
        self.suspends_region(region).await
    }
}

/// One transfer as the gate sees it.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The other region.
    pub counterpart: String,
    pub class: DataClass,
    /// Whose data it is (None for aggregates).
    pub subject: Option<Id>,
    /// What moves, e.g. `status:123`.
    pub object: String,
    pub purpose: String,
}

impl Transfer {
    /// Whether it takes data back rather than giving any: a deletion, an undo, an
    /// erasure's acknowledgement, the answer to "where is my data". These still go to a
    /// suspended region, so that what it holds of this region's users can be removed.
    pub fn retracts(&self) -> bool {
        [
            "deliver Delete",
            "deliver Undo",
            "acknowledge erasure",
            "answer where-is-my-data",
        ]
        .iter()
        .any(|p| self.purpose.starts_with(p))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("not allowed by the residency policy ({0})")]
    Denied(Decision),
    #[error("unknown region {0}")]
    UnknownRegion(String),
    #[error("region {0} is suspended by this region's administrators")]
    Suspended(String),
    #[error("region {region} unreachable")]
    Unreachable {
        region: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("region {region} answered {status}: {body}")]
    Refused {
        region: String,
        status: u16,
        body: String,
    },
    #[error("ledger write failed")]
    Ledger(#[from] roost_residency::LedgerError),
    #[error("storage failed")]
    Store(#[from] roost_core::store::StoreError),
    #[error("cannot sign the request: {0}")]
    Sign(#[from] httpsig::SignError),
}

/// A response body cleared for another region: decided and recorded. Handlers serving
/// other regions can only answer with this (or an error without user data).
pub struct Released {
    body: Vec<u8>,
}

impl IntoResponse for Released {
    fn into_response(self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, crate::ap::CONTENT_TYPE)],
            self.body,
        )
            .into_response()
    }
}

pub struct Gate {
    region: String,
    cluster: Arc<Cluster>,
    ledger: Arc<Ledger>,
    store: Arc<dyn Store>,
    key: SigningKey,
    /// This region's base URL.
    base: String,
    key_id: String,
    client: reqwest::Client,
    /// Added before each request: lets the benchmark model distance between regions.
    delay: Option<Duration>,
    blocks: OnceLock<Weak<dyn RegionBlocks>>,
}

impl Gate {
    pub fn new(
        region: String,
        cluster: Arc<Cluster>,
        ledger: Arc<Ledger>,
        store: Arc<dyn Store>,
        key: SigningKey,
        timeout: Duration,
        delay: Option<Duration>,
    ) -> Gate {
        // The key ID names the region (by base URL) and which of its keys signed.
        let base = cluster
            .region(&region)
            .map(|r| r.base_url.clone())
            .unwrap_or_default();
        let key_id = format!(
            "{base}/ap/actor#{}",
            roost_residency::PublicKey(key.verifying_key()).key_id()
        );
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("roost/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Gate {
            region,
            cluster,
            ledger,
            store,
            key,
            base,
            key_id,
            client,
            delay,
            blocks: OnceLock::new(),
        }
    }

    /// Where the gate learns which regions are suspended (once, when the region starts;
    /// without it none is).
    pub fn watch_region_blocks(&self, blocks: Weak<dyn RegionBlocks>) {
        let _ = self.blocks.set(blocks);
    }

    async fn suspended(&self, region: &str) -> bool {
        match self.blocks.get().and_then(Weak::upgrade) {
            Some(b) => b.suspends(region).await,
            None => false,
        }
    }

    /// Refused when `t`'s other region is suspended here, unless `t` retracts data.
    async fn check_not_suspended(&self, t: &Transfer) -> Result<(), GateError> {
        if !t.retracts() && self.suspended(&t.counterpart).await {
            return Err(GateError::Suspended(t.counterpart.clone()));
        }
        Ok(())
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// What this region's policy says about sending `class` data to `destination`.
    pub fn decide(&self, destination: &str, class: DataClass) -> Decision {
        self.cluster.decide(&self.region, destination, class)
    }

    /// The region whose policy rules a transfer: its subject's home (this region, for
    /// local users; the home, for a foreign copy passing through or data going back home).
    fn home_of(&self, t: &Transfer) -> &str {
        t.subject
            .and_then(|s| self.cluster.region_by_number(s.region()))
            .map_or(&self.region, |r| &r.code)
    }

    /// Decides and, if allowed, records the transfers (one ledger batch). Every path out
    /// goes through here.
    async fn clear(&self, transfers: &[(Transfer, &[u8])]) -> Result<Option<u64>, GateError> {
        let now = Timestamp::now().as_millisecond();
        let mut entries = Vec::with_capacity(transfers.len());
        for (t, payload) in transfers {
            self.check_not_suspended(t).await?;
            let d = self
                .cluster
                .decide(self.home_of(t), &t.counterpart, t.class);
            if !d.allowed() {
                return Err(GateError::Denied(d));
            }
            entries.push(entry(
                t,
                now,
                Direction::Sent,
                &t.counterpart,
                payload,
                d.action.to_string(),
            ));
        }
        if entries.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.ledger.append(&entries).await?))
    }

    /// Decides and records one outgoing delivery; returns its ledger index.
    pub async fn record_send(&self, t: &Transfer, body: &[u8]) -> Result<u64, GateError> {
        Ok(self.clear(&[(t.clone(), body)]).await?.unwrap_or_default())
    }

    /// Delivers an activity: decides, records (once: pass the ledger index of an earlier
    /// attempt as `recorded`), signs, POSTs. Returns the ledger index.
    pub async fn deliver(
        &self,
        t: &Transfer,
        path: &str,
        body: &[u8],
        recorded: Option<u64>,
    ) -> Result<u64, GateError> {
        let index = match recorded {
            Some(i) => {
                // Re-check: the policy (or a suspension) may have changed since the
                // first attempt.
                self.check_not_suspended(t).await?;
                let d = self.decide(&t.counterpart, t.class);
                if !d.allowed() {
                    return Err(GateError::Denied(d));
                }
                i
            }
            None => self.clear(&[(t.clone(), body)]).await?.unwrap_or_default(),
        };
        self.send(&t.counterpart, reqwest::Method::POST, path, Some(body))
            .await?;
        Ok(index)
    }

    /// A signed request whose body carries local user data (e.g. which accounts a reader
    /// follows, to fetch their posts live): decided and recorded like a delivery.
    pub async fn query(&self, t: &Transfer, path: &str, body: &[u8]) -> Result<Vec<u8>, GateError> {
        self.clear(&[(t.clone(), body)]).await?;
        self.send(&t.counterpart, reqwest::Method::POST, path, Some(body))
            .await
    }

    /// A signed GET that carries no local user data (looking up a foreign account or
    /// status by its address): nothing to decide or record on the way out.
    pub async fn fetch(&self, region: &str, path: &str) -> Result<Vec<u8>, GateError> {
        self.send(region, reqwest::Method::GET, path, None).await
    }

    /// A file of another region (a post's attachment, an account's picture), from that
    /// region: its gate decides and records the transfer (its `sent` entry carries the
    /// file's SHA-256).
    pub async fn fetch_media(
        &self,
        region: &str,
        file: &crate::ap::RegionFile,
    ) -> Result<Vec<u8>, GateError> {
        self.send(region, reqwest::Method::GET, &file.path(), None)
            .await
    }

    /// Clears a response for a requesting region: each transfer it holds is decided and
    /// recorded. Denied if any of them is.
    pub async fn release(
        &self,
        transfers: &[Transfer],
        body: Vec<u8>,
    ) -> Result<Released, GateError> {
        let pairs: Vec<(Transfer, &[u8])> = transfers
            .iter()
            .map(|t| (t.clone(), body.as_slice()))
            .collect();
        self.clear(&pairs).await?;
        Ok(Released { body })
    }

    /// Data of another region's user arriving here: decides, with the home region's
    /// policy, whether it may be kept; if so writes the `stored` ledger entry and the
    /// inventory record (with its retention deadline) before the caller persists it.
    pub async fn admit(
        &self,
        origin: &str,
        t: &Transfer,
        payload: &[u8],
    ) -> Result<Decision, GateError> {
        if self.suspended(origin).await {
            return Err(GateError::Suspended(origin.to_string()));
        }
        let d = self.cluster.decide(origin, &self.region, t.class);
        if !d.persist() {
            return Ok(d);
        }
        let now = Timestamp::now();
        self.ledger
            .append(&[entry(
                t,
                now.as_millisecond(),
                Direction::Stored,
                origin,
                payload,
                d.action.to_string(),
            )])
            .await?;
        let expires_at = d.action.max_secs().map(|s| {
            now.checked_add(jiff::SignedDuration::from_secs(s as i64))
                .unwrap_or(now)
        });
        self.store
            .record_foreign(&ForeignRecord {
                object: t.object.clone(),
                home_region: origin.to_string(),
                class: t.class,
                subject: t.subject,
                stored_at: now,
                expires_at,
            })
            .await?;
        Ok(d)
    }

    /// What [`Gate::admit`] let in and was then not kept: a `dropped` entry (the ledger
    /// is append-only, so the `stored` one stays, and this one ends it) saying why, and
    /// the inventory record goes, so neither claims a row that is not there.
    pub async fn drop_admitted(
        &self,
        origin: &str,
        t: &Transfer,
        payload: &[u8],
        decision: &Decision,
        reason: &str,
    ) -> Result<u64, GateError> {
        let mut dropped = entry(
            t,
            Timestamp::now().as_millisecond(),
            Direction::Dropped,
            origin,
            payload,
            decision.action.to_string(),
        );
        dropped.purpose = format!("{}: {reason}", t.purpose);
        let index = self.ledger.append(&[dropped]).await?;
        self.store.remove_foreign(&t.object).await?;
        Ok(index)
    }

    /// Another region's signed answer about one of this region's users (an erasure's
    /// acknowledgement): a `stored` entry under the subject's home rule, so the audit can
    /// match it with that region's `sent` entry. Returns its ledger index.
    pub async fn record_receipt(&self, t: &Transfer, payload: &[u8]) -> Result<u64, GateError> {
        let d = self.cluster.decide(self.home_of(t), &self.region, t.class);
        if !d.persist() {
            return Err(GateError::Denied(d));
        }
        Ok(self
            .ledger
            .append(&[entry(
                t,
                Timestamp::now().as_millisecond(),
                Direction::Stored,
                &t.counterpart,
                payload,
                d.action.to_string(),
            )])
            .await?)
    }

    /// A move of a local account to `t.counterpart`, at its user's request: the one
    /// transfer that carries identity data, so the policy (which denies identity always)
    /// is not asked; it is recorded as a `move` (a `sent` entry), then POSTed signed.
    /// Returns the new home's answer.
    pub async fn carry_move(
        &self,
        t: &Transfer,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, GateError> {
        if self.cluster.region(&t.counterpart).is_none() || t.counterpart == self.region {
            return Err(GateError::UnknownRegion(t.counterpart.clone()));
        }
        self.record_move(Direction::Sent, t, body).await?;
        self.send(&t.counterpart, reqwest::Method::POST, path, Some(body))
            .await
    }

    /// The new home's answer to a move, cleared for the old home: recorded (`sent`) and
    /// signed with the region key, so the old home can keep it as proof.
    pub async fn release_move_ack(&self, t: &Transfer, ack: &[u8]) -> Result<Released, GateError> {
        use base64::Engine as _;
        use ed25519_dalek::Signer as _;
        let signature =
            base64::engine::general_purpose::STANDARD.encode(self.key.sign(ack).to_bytes());
        let body = serde_json::to_vec(&serde_json::json!({
            "ack": serde_json::from_slice::<serde_json::Value>(ack).unwrap_or_default(),
            "signature": signature,
        }))
        .unwrap_or_default();
        self.record_move(Direction::Sent, t, &body).await?;
        Ok(Released { body })
    }

    /// A file of an account moving to `t.counterpart`, cleared for it: recorded as part
    /// of the move (a `sent` entry whose payload hash is the file's SHA-256).
    pub async fn release_move(&self, t: &Transfer, body: Vec<u8>) -> Result<Released, GateError> {
        self.record_move(Direction::Sent, t, &body).await?;
        Ok(Released { body })
    }

    /// Whether `signature` (base64) over `bytes` is one of `region`'s keys'.
    pub fn verify_region_signature(&self, region: &str, bytes: &[u8], signature: &str) -> bool {
        use base64::Engine as _;
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(signature) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&raw) else {
            return false;
        };
        self.cluster.region(region).is_some_and(|r| {
            r.public_keys
                .iter()
                .any(|k| k.0.verify_strict(bytes, &sig).is_ok())
        })
    }

    /// One entry of a move (the account arriving, or either side's acknowledgement):
    /// decided by the user's request, not the policy; the decision reads `move`.
    pub async fn record_move(
        &self,
        direction: Direction,
        t: &Transfer,
        payload: &[u8],
    ) -> Result<u64, GateError> {
        Ok(self
            .ledger
            .append(&[entry(
                t,
                Timestamp::now().as_millisecond(),
                direction,
                &t.counterpart,
                payload,
                "move".into(),
            )])
            .await?)
    }

    async fn send(
        &self,
        region: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, GateError> {
        let spec = self
            .cluster
            .region(region)
            .ok_or_else(|| GateError::UnknownRegion(region.to_string()))?;
        let url = format!("{}{path}", spec.base_url);
        let host = spec.domain();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::HOST,
            http::HeaderValue::from_str(&host)
                .map_err(|_| GateError::UnknownRegion(host.clone()))?,
        );
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static(crate::ap::CONTENT_TYPE),
        );
        if body.is_some() {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(crate::ap::CONTENT_TYPE),
            );
        }
        httpsig::sign(&method, path, &mut headers, body, &self.key_id, &self.key)?;
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        let mut req = self.client.request(method, &url).headers(headers);
        if let Some(b) = body {
            req = req.body(b.to_vec());
        }
        let unreachable = |source| GateError::Unreachable {
            region: region.to_string(),
            source,
        };
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            return Err(GateError::Refused {
                region: region.to_string(),
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        Ok(bytes.to_vec())
    }

    /// Verifies a request from another region; returns that region's code. The key ID
    /// names the region by its base URL; any of its listed keys (rotation) may verify.
    /// The signed `Host` must be this region's: a request signed for another region and
    /// replayed here is refused (the signature also covers the request target).
    pub fn verify_request(
        &self,
        method: &http::Method,
        path_and_query: &str,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
        max_skew_secs: u64,
    ) -> Result<String, httpsig::VerifyError> {
        let opts = httpsig::VerifyOptions {
            max_skew_secs,
            ..Default::default()
        };
        let lookup = |key_id: &str| -> Vec<ed25519_dalek::VerifyingKey> {
            self.region_of_key(key_id)
                .map(|r| r.public_keys.iter().map(|k| k.0).collect())
                .unwrap_or_default()
        };
        let v = httpsig::verify(method, path_and_query, headers, body, lookup, &opts)?;
        // `verify` made sure the signature covers `host`.
        let own = self
            .cluster
            .region(&self.region)
            .map(|r| r.domain())
            .unwrap_or_default();
        let mut hosts = headers.get_all(http::header::HOST).iter();
        let host = hosts.next().and_then(|h| h.to_str().ok()).map(str::trim);
        if hosts.next().is_some() || !host.is_some_and(|h| h.eq_ignore_ascii_case(&own)) {
            return Err(httpsig::VerifyError::WrongHost);
        }
        self.region_of_key(&v.key_id)
            .map(|r| r.code.clone())
            .ok_or(httpsig::VerifyError::UnknownKey(v.key_id))
    }

    fn region_of_key(&self, key_id: &str) -> Option<&roost_residency::RegionSpec> {
        let base = key_id.split("/ap/actor#").next()?;
        let r = self.cluster.region_by_base_url(base)?;
        (r.code != self.region).then_some(r)
    }
}

/// The ledger entry of transfer `t`: `counterpart` is the region on the other side (the
/// destination of a `sent` entry, the origin of a `stored` or `dropped` one).
fn entry(
    t: &Transfer,
    time_ms: i64,
    direction: Direction,
    counterpart: &str,
    payload: &[u8],
    decision: String,
) -> LedgerEntry {
    LedgerEntry {
        time_ms,
        direction,
        class: t.class,
        subject: t.subject.map(|s| s.to_string()),
        object: t.object.clone(),
        counterpart: counterpart.to_string(),
        purpose: t.purpose.clone(),
        payload_sha256: roost_residency::ledger::sha256_hex(payload),
        decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purpose(p: &str) -> Transfer {
        Transfer {
            counterpart: "id".into(),
            class: DataClass::PublicContent,
            subject: None,
            object: "status:1".into(),
            purpose: p.into(),
        }
    }

    #[test]
    fn only_what_takes_data_back_retracts() {
        for p in [
            "deliver Delete",
            "deliver Delete Person",
            "deliver Undo Like",
            "deliver Undo Follow",
            "acknowledge erasure",
            "answer where-is-my-data",
        ] {
            assert!(purpose(p).retracts(), "{p}");
        }
        for p in [
            "deliver Create",
            "deliver Update Person",
            "deliver Like",
            "serve actor",
            "serve post live",
            "move account",
        ] {
            assert!(!purpose(p).retracts(), "{p}");
        }
    }
}
