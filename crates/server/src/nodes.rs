//! A region of several nodes on one PostgreSQL database: what each node must share with
//! the others besides the store (live events, cache changes, attempt limits).

use crate::config::{self, Config};
use crate::keys::RegionKeys;
use crate::StartError;
use roost_core::Roost;
use roost_store::{PgNodes, RegionStore};
use std::sync::Arc;

/// On PostgreSQL, puts the use cases on the nodes' shared bus, invalidation and attempt
/// counters; on SQLite (one node) leaves them in memory.
pub(crate) async fn join(
    roost: Roost,
    store: &RegionStore,
    cfg: &Config,
    keys: &RegionKeys,
) -> Result<Roost, StartError> {
    let (RegionStore::Postgres(pg), config::Database::Postgres { url, .. }) =
        (store, &cfg.database)
    else {
        return Ok(roost);
    };
    let nodes = PgNodes::connect(url).await?;
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
