//! A region of several nodes on one PostgreSQL database: what each node must share with
//! the others besides the store (live events, cache changes, attempt limits), and the
//! number each node mints into its IDs.

use crate::config::{self, Config};
use crate::keys::RegionKeys;
use crate::StartError;
use roost_core::id::{NodeNumber, MAX_NODES};
use roost_core::store::Store;
use roost_core::Roost;
use roost_store::{PgNodes, RegionStore};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a node's hold on its number lasts without renewal, how often it renews, and
/// how much sooner than the lease's end the node itself stops minting under it (room for
/// clocks that disagree, and for a renewal that is slow to return).
const NUMBER_LEASE: Duration = Duration::from_secs(30);
const NUMBER_RENEW: Duration = Duration::from_secs(5);
const NUMBER_MARGIN: Duration = Duration::from_secs(10);

fn number_job(n: u16) -> String {
    format!("node-number-{n}")
}

/// On PostgreSQL: takes a free node number (a lease in the shared database) and keeps it
/// renewed until `stop`, so that no two running nodes mint the same ID. The numbers of
/// nodes that stopped free up when their leases run out; a node restarted with the same
/// data dir takes its own back at once. On SQLite there is one node and no number.
pub(crate) async fn take_node_number(
    store: &RegionStore,
    holder: &str,
    stop: watch::Receiver<bool>,
) -> Result<Option<Arc<NodeNumber>>, StartError> {
    let RegionStore::Postgres(_) = store else {
        return Ok(None);
    };
    let store = store.store();
    let number = NodeNumber::new();
    let Some(n) = take_any(store.as_ref(), holder, &number).await? else {
        return Err(StartError::NoNodeNumber(MAX_NODES));
    };
    tracing::info!(
        node_number = n,
        "this node's number among the region's nodes"
    );
    tokio::spawn(keep_number(
        store,
        holder.to_owned(),
        number.clone(),
        n,
        stop,
    ));
    Ok(Some(number))
}

/// Tries every number in turn; the first this node gets (or already held) is its own.
async fn take_any(
    store: &dyn Store,
    holder: &str,
    number: &NodeNumber,
) -> Result<Option<u16>, roost_core::store::StoreError> {
    for n in 0..MAX_NODES {
        if renew(store, holder, number, n).await? {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// Takes or renews number `n`; on success the node may mint under it until the fence.
async fn renew(
    store: &dyn Store,
    holder: &str,
    number: &NodeNumber,
    n: u16,
) -> Result<bool, roost_core::store::StoreError> {
    let now = jiff::Timestamp::now();
    let after = |d: Duration| {
        jiff::SignedDuration::try_from(d)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(now)
    };
    // The fence counts from before the round trip, so a slow answer only shortens it.
    let fence = after(NUMBER_LEASE - NUMBER_MARGIN);
    let held = store
        .take_lease(&number_job(n), holder, now, after(NUMBER_LEASE))
        .await?;
    if held {
        number.hold(n, fence.as_millisecond());
    }
    Ok(held)
}

/// Renews the number every few seconds. If it cannot (the database is away), minting
/// stops at the fence and resumes with the next renewal; if another node holds it now
/// (this one was stalled past its lease), this node takes another.
async fn keep_number(
    store: Arc<dyn Store>,
    holder: String,
    number: Arc<NodeNumber>,
    mut n: u16,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(NUMBER_RENEW) => {}
            _ = stop.changed() => break,
        }
        match renew(store.as_ref(), &holder, &number, n).await {
            Ok(true) => {}
            Ok(false) => {
                number.drop_number();
                tracing::error!(
                    node_number = n,
                    "another node holds this node's number; taking another"
                );
                match take_any(store.as_ref(), &holder, &number).await {
                    Ok(Some(m)) => n = m,
                    Ok(None) => tracing::error!("no node number is free; this node mints no IDs"),
                    Err(e) => tracing::warn!(error = %e, "node number not taken; retrying"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "node number not renewed; retrying"),
        }
    }
    // Not released: IDs minted ahead of the clock in a burst could still be met by a
    // node taking the number at once. The lease runs out instead.
}

/// On PostgreSQL, puts the use cases on the nodes' shared bus, invalidation and attempt
/// counters until `stop`; on SQLite (one node) leaves them in memory.
pub(crate) async fn join(
    roost: Roost,
    store: &RegionStore,
    cfg: &Config,
    keys: &RegionKeys,
    number: Option<Arc<NodeNumber>>,
    mut stop: watch::Receiver<bool>,
) -> Result<Roost, StartError> {
    let roost = match number {
        Some(n) => roost.with_node_number(n),
        None => roost,
    };
    let (RegionStore::Postgres(pg), config::Database::Postgres { url, .. }) =
        (store, &cfg.database)
    else {
        return Ok(roost);
    };
    let nodes = PgNodes::connect(url).await?;
    // A stopped node leaves no session on the database (a restore waits for none), even
    // while something of the server still holds the bus.
    {
        let nodes = nodes.clone();
        tokio::spawn(async move {
            let _ = stop.wait_for(|s| *s).await;
            nodes.stop();
        });
    }
    // Every node holds the same keys, so the counters' keys agree across them.
    let counter = pg
        .attempt_counter(cfg.limits, &keys.signing.to_bytes())
        .await?;
    tracing::info!("sharing live events, cache changes and attempt limits with the other nodes");
    Ok(roost
        .with_bus(nodes.bus())
        .with_invalidation(|caches| nodes.invalidation(caches))
        .with_attempt_counter(Arc::new(counter)))
}
