//! Attempt limits shared by the nodes of a region: one row per budget and key in an
//! UNLOGGED table (counters need no crash safety: a lost table only restarts budgets),
//! counted by the database's clock so nodes' clocks do not matter.
//!
//! Each row holds a generic cell rate's "theoretical arrival time": an attempt is allowed
//! when that time is at most the burst ahead of now, and moves it one interval on. The
//! update is one statement, so two nodes counting the same key cannot both take the last
//! attempt. A row whose time has passed counts as nothing left; such rows are deleted
//! now and then.
//!
//! Keys are client addresses and login names, which are identity data. They are never
//! written in the clear: the key is an HMAC under a secret of the region's (derived from
//! its keys, which the database does not hold), so the table reveals neither, nor can
//! a reader of it test guesses of an address without that secret. It stays in the region
//! like every other row, and a row lives no longer than its budget's minute.

use super::{backend, PgStore};
use hmac::{Hmac, Mac};
use roost_core::limits::{AttemptCounter, Budget, Limited, LimitsConfig, MemoryCounter};
use roost_core::store::StoreResult;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const SETUP: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7400002);
CREATE UNLOGGED TABLE IF NOT EXISTS attempt_counters (
    key BYTEA PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
COMMIT;";

/// Now, in the database's milliseconds (one value for the whole statement).
const NOW: &str = "(extract(epoch FROM statement_timestamp()) * 1000)::bigint";

/// Expired rows are deleted once every this many attempts.
const SWEEP_EVERY: u64 = 256;

/// The shared [`AttemptCounter`].
pub struct PgAttempts {
    store: PgStore,
    cfg: LimitsConfig,
    secret: Vec<u8>,
    /// Counts alone while the database does not answer: each node keeps a budget then,
    /// which is better than none.
    fallback: MemoryCounter,
    calls: AtomicU64,
}

impl std::fmt::Debug for PgAttempts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgAttempts").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Attempt counters in this database, keyed by HMAC under a key derived from `secret`
    /// (a region secret, the same on every node of the region).
    pub async fn attempt_counter(
        &self,
        cfg: LimitsConfig,
        secret: &[u8],
    ) -> StoreResult<PgAttempts> {
        self.conn()
            .await?
            .batch_execute(SETUP)
            .await
            .map_err(backend)?;
        Ok(PgAttempts {
            store: self.clone(),
            cfg,
            secret: {
                let mut h = Sha256::new();
                h.update(b"roost attempt counter key\0");
                h.update(secret);
                h.finalize().to_vec()
            },
            fallback: MemoryCounter::new(cfg),
            calls: AtomicU64::new(0),
        })
    }
}

impl PgAttempts {
    fn key(&self, budget: Budget, key: &str) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(budget.name().as_bytes());
        mac.update(&[0]);
        mac.update(key.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Ok(None) when allowed, Ok(Some(ms)) to wait.
    async fn count(&self, budget: Budget, key: &str) -> StoreResult<Option<i64>> {
        let n = budget.per_minute(&self.cfg);
        let interval = 60_000 / i64::from(n);
        // The whole minute's worth may come at once: n cells, the first at now.
        let burst = interval * (i64::from(n) - 1);
        let key = self.key(budget, key);
        let c = self.store.conn().await?;
        if self.calls.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            c.execute(
                &format!("DELETE FROM attempt_counters WHERE tat_ms < {NOW}"),
                &[],
            )
            .await
            .map_err(backend)?;
        }
        let allowed = c
            .query_opt(
                &format!(
                    "INSERT INTO attempt_counters AS a (key, tat_ms) VALUES ($1, {NOW} + $2)
                     ON CONFLICT (key) DO UPDATE SET tat_ms = GREATEST(a.tat_ms, {NOW}) + $2
                     WHERE GREATEST(a.tat_ms, {NOW}) - {NOW} <= $3
                     RETURNING tat_ms"
                ),
                &[&key, &interval, &burst],
            )
            .await
            .map_err(backend)?;
        if allowed.is_some() {
            return Ok(None);
        }
        let wait: i64 = c
            .query_opt(
                &format!(
                    "SELECT GREATEST(tat_ms - {NOW} - $2, 1) FROM attempt_counters WHERE key = $1"
                ),
                &[&key, &burst],
            )
            .await
            .map_err(backend)?
            .map_or(1, |r| r.get(0));
        Ok(Some(wait))
    }
}

#[async_trait::async_trait]
impl AttemptCounter for PgAttempts {
    async fn hit(&self, budget: Budget, key: &str) -> Result<(), Limited> {
        match self.count(budget, key).await {
            Ok(None) => Ok(()),
            Ok(Some(ms)) => Err(Limited {
                limit: budget.per_minute(&self.cfg),
                retry_after: Duration::from_millis(ms.max(1) as u64),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "shared attempt counter failed; counting on this node");
                self.fallback.hit_now(budget, key)
            }
        }
    }
}
