//! New posts pushed for live display where they may be shown but not kept.
//!
//! Under `transit` a reader's region may show a user's posts but keep none, so it learns
//! of a new one only when someone reads a page. For the streaming API the post's home
//! pushes each new post, through the gate (a `transit` ledger entry, as for a live
//! read), to the regions of its audience that have it only in transit; they stream it to
//! the followers connected there and write nothing. Best effort: a push that fails is
//! not retried, since the post is fetched live on the next read anyway.

use crate::ap::Actor;
use crate::gate::Transfer;
use crate::service::Federation;
use crate::transit::{TransitItem, TransitItems};
use roost_core::usecase::content_class;
use roost_core::{CoreResult, Id};
use std::sync::Arc;

/// Posts waiting to be pushed; beyond this, new ones are not pushed (the queue holds
/// seconds of posts; a region that cannot keep up is not allowed to grow memory).
pub(crate) const QUEUE: usize = 1024;

impl Federation {
    /// Queues a new local post to be pushed to its transit-only audiences, if any.
    pub(crate) fn queue_live_push(&self, status: Id) {
        if let Some(tx) = &self.live_push {
            if tx.try_send(status).is_err() {
                tracing::debug!(%status, "live push queue full; the post is read live instead");
            }
        }
    }

    /// Runs until `stop` fires, pushing each queued post.
    pub async fn run_live_push(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let rx = self
            .live_push_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(mut rx) = rx else { return };
        loop {
            let id = tokio::select! {
                id = rx.recv() => id,
                _ = stop.changed() => return,
            };
            let Some(id) = id else { return };
            if let Err(e) = self.push_live(id).await {
                tracing::warn!(status = %id, error = %e, "live push failed");
            }
        }
    }

    async fn push_live(&self, id: Id) -> CoreResult<()> {
        let Some(s) = self.store.status(id).await? else {
            return Ok(());
        };
        // Reblogs and quotes of foreign posts are not pushed: their home is elsewhere.
        if s.reblog_of_id.is_some() {
            return Ok(());
        }
        let class = content_class(s.visibility);
        let mentions = self.mentioned_in(s.id).await?;
        let transit: Vec<String> = self
            .status_destinations(&s, &mentions)
            .await?
            .into_iter()
            .filter(|d| {
                let decision = self.gate.decide(d, class);
                decision.allowed() && !decision.persist()
            })
            .collect();
        if transit.is_empty() {
            return Ok(());
        }
        let author = self.account(s.account_id).await?;
        let note = self.note_for(&s, &author, None).await?;
        let body = serde_json::to_vec(&TransitItems {
            items: vec![TransitItem {
                note,
                actor: Actor::from_account(&author, &self.base, &self.public_key_pem),
            }],
        })
        .unwrap_or_default();
        for region in transit {
            let t = Transfer {
                counterpart: region.clone(),
                class,
                subject: Some(author.id),
                object: format!("status:{}", s.id),
                purpose: "push post for live display (transit)".into(),
            };
            if let Err(e) = self.gate.query(&t, "/ap/roost/live", &body).await {
                tracing::info!(region, error = %crate::chain(&e), "live push not delivered");
            }
        }
        Ok(())
    }
}
