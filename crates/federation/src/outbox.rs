//! The durable outbox worker. Deliveries are rows in the store: they survive restarts,
//! are retried with exponential backoff, and are given up (and kept, marked `expired`)
//! after a configurable time. Each attempt passes the gate, which writes the ledger entry
//! once, on the first attempt it allows.

use crate::gate::{GateError, Transfer};
use crate::service::Federation;
use jiff::{SignedDuration, Timestamp};
use roost_core::model::{OutboxItem, OutboxState};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct OutboxSettings {
    /// First retry delay; doubles per attempt up to `max_backoff`.
    pub retry_base: Duration,
    pub max_backoff: Duration,
    /// After this long undelivered, an item is given up.
    pub give_up_after: Duration,
    /// Items attempted at once.
    pub batch: u32,
    /// How long a claimed item is this worker's: longer than an attempt takes (the
    /// peer timeout), short enough that a crashed node's items are soon retried.
    pub lease: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            retry_base: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            give_up_after: Duration::from_secs(2 * 24 * 3600),
            batch: 64,
            lease: Duration::from_secs(120),
        }
    }
}

fn backoff(s: &OutboxSettings, attempts: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1).min(20))
        .unwrap_or(u32::MAX);
    s.retry_base.saturating_mul(factor).min(s.max_backoff)
}

impl Federation {
    /// Runs until `stop` fires: delivers due items, sleeps until the next is due or new
    /// ones are queued.
    pub async fn run_outbox(
        self: Arc<Self>,
        settings: OutboxSettings,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if *stop.borrow() {
                return;
            }
            let delivered_any = match self.deliver_due(&settings).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = %e, "outbox pass failed");
                    false
                }
            };
            if delivered_any {
                continue;
            }
            let wait = match self.store.next_outbox_due().await {
                Ok(Some(t)) => {
                    let ms = (t.as_millisecond() - Timestamp::now().as_millisecond()).max(0);
                    Duration::from_millis(ms as u64).min(Duration::from_secs(5))
                }
                _ => Duration::from_secs(5),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.outbox_wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One pass over the due items this worker claims; returns how many were attempted.
    pub async fn deliver_due(
        &self,
        settings: &OutboxSettings,
    ) -> Result<usize, roost_core::store::StoreError> {
        // Claimed, not just read: other nodes of the region work the same outbox.
        let now = Timestamp::now();
        let lease = SignedDuration::try_from(settings.lease).unwrap_or(SignedDuration::MAX);
        let until = now.checked_add(lease).unwrap_or(Timestamp::MAX);
        let due = self.store.claim_outbox(now, until, settings.batch).await?;
        let n = due.len();
        let attempts = due.into_iter().map(|item| self.attempt(item, settings));
        for r in futures::future::join_all(attempts).await {
            r?;
        }
        Ok(n)
    }

    async fn attempt(
        &self,
        mut item: OutboxItem,
        s: &OutboxSettings,
    ) -> Result<(), roost_core::store::StoreError> {
        let now = Timestamp::now();
        let age = now.duration_since(item.created_at);
        if age > SignedDuration::try_from(s.give_up_after).unwrap_or(SignedDuration::MAX) {
            item.state = OutboxState::Expired;
            tracing::warn!(id = %item.id, destination = item.destination, attempts = item.attempts, "outbox item given up");
            return self.store.update_outbox(&item).await;
        }
        let t = Transfer {
            counterpart: item.destination.clone(),
            class: item.class,
            subject: item.subject,
            object: item.object.clone(),
            purpose: item.purpose.clone(),
        };
        item.attempts += 1;
        if item.ledger_index.is_none() {
            // Recorded once, before the first send; kept with the item for retries.
            match self.gate.record_send(&t, item.body.as_bytes()).await {
                Ok(i) => item.ledger_index = Some(i),
                Err(GateError::Denied(d)) => {
                    item.state = OutboxState::Denied;
                    item.last_error = Some(format!("denied by policy: {}", d.rule()));
                    return self.store.update_outbox(&item).await;
                }
                Err(e @ GateError::Suspended(_)) => {
                    item.state = OutboxState::Denied;
                    item.last_error = Some(e.to_string());
                    return self.store.update_outbox(&item).await;
                }
                Err(e) => {
                    tracing::error!(error = %crate::chain(&e), "ledger write failed; delivery postponed");
                    item.attempts -= 1;
                    item.next_attempt_at =
                        now.checked_add(SignedDuration::from_secs(1)).unwrap_or(now);
                    return self.store.update_outbox(&item).await;
                }
            }
        }
        match self
            .gate
            .deliver(&t, "/ap/inbox", item.body.as_bytes(), item.ledger_index)
            .await
        {
            Ok(index) => {
                item.ledger_index = Some(index);
                item.state = OutboxState::Delivered;
                item.last_error = None;
            }
            Err(GateError::Denied(d)) => {
                item.state = OutboxState::Denied;
                item.last_error = Some(format!("denied by policy: {}", d.rule()));
            }
            Err(e @ GateError::Suspended(_)) => {
                item.state = OutboxState::Denied;
                item.last_error = Some(e.to_string());
            }
            Err(e) => {
                let wait = backoff(s, item.attempts);
                item.next_attempt_at = now
                    .checked_add(
                        SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_secs(600)),
                    )
                    .unwrap_or(now);
                item.last_error = Some(crate::chain(&e));
                tracing::debug!(id = %item.id, destination = item.destination, error = %crate::chain(&e), "delivery failed; will retry");
            }
        }
        self.store.update_outbox(&item).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let s = OutboxSettings {
            retry_base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        };
        assert_eq!(backoff(&s, 1), Duration::from_millis(100));
        assert_eq!(backoff(&s, 2), Duration::from_millis(200));
        assert_eq!(backoff(&s, 4), Duration::from_millis(800));
        assert_eq!(backoff(&s, 5), Duration::from_secs(1));
        assert_eq!(backoff(&s, 60), Duration::from_secs(1));
    }
}
