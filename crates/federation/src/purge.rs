//! Retention: foreign items kept under `store` for at most N days are deleted when their
//! time is up, and their inventory records with them.

use roost_core::store::{Store, StoreResult};
use roost_core::Id;

/// What a purge removed.
#[derive(Debug, Default)]
pub struct Purged {
    /// Inventory records handled.
    pub items: usize,
    /// Statuses deleted, for the search index to drop.
    pub statuses: Vec<Id>,
}

/// Deletes expired foreign items.
pub async fn purge_expired(store: &dyn Store, now: jiff::Timestamp) -> StoreResult<Purged> {
    let mut done = Purged::default();
    loop {
        let batch = store.expired_foreign(now, 200).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for r in &batch {
            let mut parts = r.object.split(':');
            let kind = parts.next().unwrap_or_default();
            let ids: Vec<Id> = parts.filter_map(|p| p.parse().ok()).collect();
            match (kind, ids.as_slice()) {
                ("status", [id]) => {
                    store.delete_status(*id).await?;
                    done.statuses.push(*id);
                }
                ("account", [id]) => {
                    // The profile goes; the address stays, as follows still refer to it.
                    if let Some(mut a) = store.account(*id).await? {
                        a.display_name.clear();
                        a.note_source.clear();
                        a.note_html.clear();
                        store.upsert_remote_account(&a).await?;
                    }
                }
                ("follow", [follower, target]) => {
                    store.unfollow(*follower, *target).await?;
                }
                ("favourite", [account, status]) => {
                    store.unfavourite(*account, *status).await?;
                }
                ("block", [account, target]) => {
                    store.unblock(*account, *target).await?;
                }
                _ => tracing::warn!(
                    object = r.object,
                    "unknown foreign item kind; record dropped"
                ),
            }
            store.remove_foreign(&r.object).await?;
            done.items += 1;
        }
    }
}
