//! [`Federation`]: the core's [`Remote`] port, and what every part of it shares (the gate,
//! the region, the ID minter). The work is in its own files: `destinations` (what goes
//! where), `activities` (how each activity is built and queued), `actors` (foreign
//! accounts fetched and kept), `transit` (posts fetched live, and their short cache) and
//! `holdings` ("where is my data").

use crate::ap;
use crate::gate::{Gate, GateError, Transfer};
use crate::transit::TransitCache;
use async_trait::async_trait;
use roost_core::model::*;
use roost_core::remote::{ForeignProfile, Outbound, Remote, TransitStatus};
use roost_core::store::Store;
use roost_core::{CoreError, CoreResult, Id, IdGen};
use roost_residency::DataClass;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub struct Federation {
    pub(crate) gate: Arc<Gate>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) region: String,
    pub(crate) base: String,
    pub(crate) public_key_pem: String,
    pub(crate) ids: IdGen,
    pub(crate) outbox_wake: Arc<Notify>,
    pub(crate) cache: Mutex<TransitCache>,
    pub(crate) transit_ttl: Duration,
    /// Whether any region lets us see its posts only in transit; if none does (one
    /// region, or `store` everywhere), home timelines skip the live-fetch path entirely.
    pub(crate) inbound_transit: bool,
    /// New posts to push for live display to regions that may show but not keep them
    /// (see `live_push.rs`); None when no region is such.
    pub(crate) live_push: Option<tokio::sync::mpsc::Sender<Id>>,
    pub(crate) live_push_rx: Mutex<Option<tokio::sync::mpsc::Receiver<Id>>>,
    /// Account archives written at once (each reads every row and file of an account);
    /// more wait their turn.
    pub(crate) exports: tokio::sync::Semaphore,
}

/// A failed cross-region request as the core reports it.
pub(crate) fn unavailable(e: GateError) -> CoreError {
    match e {
        GateError::Denied(d) => CoreError::PolicyDenied(format!(
            "Not allowed by the residency policy ({})",
            d.rule()
        )),
        GateError::Suspended(_) => CoreError::PolicyDenied(e.to_string()),
        GateError::Refused {
            status: 403, body, ..
        } => CoreError::PolicyDenied(error_text(&body)),
        GateError::Refused { status: 404, .. } => CoreError::NotFound("account"),
        e => {
            tracing::warn!(error = %crate::chain(&e), "cross-region request failed");
            CoreError::Unavailable(format!("{e}"))
        }
    }
}

/// The `error` of a `{"error": ...}` body, else the body.
fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or_else(|| body.to_string())
}

impl Federation {
    pub fn new(
        gate: Arc<Gate>,
        store: Arc<dyn Store>,
        ids: IdGen,
        public_key_pem: String,
        transit_ttl: Duration,
    ) -> Federation {
        let region = gate.region().to_string();
        let base = gate.base_url().to_string();
        let inbound_transit = gate
            .cluster()
            .regions
            .keys()
            .filter(|home| **home != region)
            .any(|home| crate::destinations::transit_from(gate.cluster(), home, &region));
        let outbound_transit = gate
            .cluster()
            .regions
            .keys()
            .filter(|reader| **reader != region)
            .any(|reader| crate::destinations::transit_from(gate.cluster(), &region, reader));
        let (live_push, live_push_rx) = if outbound_transit {
            let (tx, rx) = tokio::sync::mpsc::channel(crate::live_push::QUEUE);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        Federation {
            gate,
            store,
            region,
            base,
            public_key_pem,
            // Outbox and activity IDs are only unique among themselves.
            // Outbox and activity IDs are only unique among themselves (and, on a
            // region of several nodes, carry this node's number).
            ids,
            outbox_wake: Arc::new(Notify::new()),
            cache: Mutex::new(TransitCache::default()),
            transit_ttl,
            inbound_transit,
            live_push,
            live_push_rx: Mutex::new(live_push_rx),
            exports: tokio::sync::Semaphore::new(crate::archive::AT_ONCE),
        }
    }

    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    /// An ID for an outbox row or an activity; fails on a node holding no node number.
    pub(crate) fn mint(&self) -> CoreResult<Id> {
        self.ids
            .next()
            .map_err(|e| CoreError::NotNow(e.to_string()))
    }

    pub(crate) fn fresh_activity_id(&self) -> CoreResult<String> {
        Ok(ap::activity_uri(&self.base, self.mint()?))
    }

    pub(crate) async fn account(&self, id: Id) -> CoreResult<Account> {
        self.store
            .account(id)
            .await?
            .ok_or(CoreError::NotFound("account"))
    }
}

#[async_trait]
impl Remote for Federation {
    async fn erasure_regions(&self, account: Id) -> CoreResult<Vec<String>> {
        self.erasure_regions_of(account).await
    }

    async fn fetch_move_file(
        &self,
        region: &str,
        account: Id,
        media: Id,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        self.fetch_move_file_from(region, account, media, sha256)
            .await
    }

    async fn fetch_move_picture(
        &self,
        region: &str,
        account: Id,
        role: roost_core::media::MediaRole,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        self.fetch_move_picture_from(region, account, role, sha256)
            .await
    }

    async fn send_move(
        &self,
        region: &str,
        package: &roost_core::model::MovePackage,
    ) -> CoreResult<roost_core::model::MoveAck> {
        self.send_move_to(region, package).await
    }

    async fn tag_counts(&self, region: &str) -> CoreResult<Vec<roost_core::store::TagUse>> {
        let t = Transfer {
            counterpart: region.to_string(),
            class: DataClass::Aggregate,
            subject: None,
            object: "tag-counts-query".into(),
            purpose: "cluster trends".into(),
        };
        let bytes = self
            .gate
            .query(&t, "/ap/roost/tag_counts", b"{}")
            .await
            .map_err(unavailable)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            CoreError::Unavailable(format!("region {region} sent bad tag counts: {e}"))
        })
    }

    async fn resolve_account(&self, username: &str, region: &str) -> CoreResult<ForeignProfile> {
        self.resolve_account_at(username, region).await
    }

    async fn fetch_profile_picture(
        &self,
        account: Id,
        role: roost_core::media::MediaRole,
        hash: &str,
    ) -> CoreResult<Option<Vec<u8>>> {
        self.fetch_profile_picture_of(account, role, hash).await
    }

    async fn fetch_account(&self, id: Id) -> CoreResult<ForeignProfile> {
        self.fetch_actor(id).await
    }

    async fn publish(&self, event: Outbound) -> CoreResult<()> {
        if let Outbound::Created { status } = &event {
            self.queue_live_push(*status);
        }
        let items = self.items_for(event).await?;
        if !items.is_empty() {
            self.store.enqueue(&items).await?;
            self.outbox_wake.notify_one();
        }
        Ok(())
    }

    async fn transit_home(&self, viewer: Id, page: Page) -> CoreResult<Vec<TransitStatus>> {
        self.live_home(viewer, page).await
    }

    async fn transit_status(
        &self,
        viewer: Option<Id>,
        id: Id,
    ) -> CoreResult<Option<TransitStatus>> {
        self.live_status(viewer, id).await
    }
}
