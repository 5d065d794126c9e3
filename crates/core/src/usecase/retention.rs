//! Retention: foreign items kept under `store` for at most N days are deleted when their
//! time is up, their files and inventory records with them. A use case of its own, run
//! by the server's purge job: the rows are the domain's, whatever sent them.

use super::Roost;
use crate::id::Id;
use crate::media::{BlobStore, MediaAttachment, MediaRole};
use crate::store::{Store, StoreError, StoreResult};
use crate::CoreResult;

/// What a purge removed.
#[derive(Debug, Default)]
pub struct Purged {
    /// Inventory records handled.
    pub items: usize,
    /// Statuses deleted (already dropped from the search index).
    pub statuses: Vec<Id>,
}

impl Roost {
    /// Deletes every foreign item whose time is up at `now`.
    pub async fn purge_expired(&self, now: jiff::Timestamp) -> CoreResult<Purged> {
        let blobs = self.media.as_ref().map(|m| m.blobs.as_ref());
        let done = purge(self.store.as_ref(), blobs, now).await?;
        self.search_forget(&done.statuses);
        Ok(done)
    }
}

/// Removes the files of deleted media rows that nothing names any more.
async fn drop_files(
    store: &dyn Store,
    blobs: Option<&dyn BlobStore>,
    gone: &[MediaAttachment],
) -> StoreResult<()> {
    let Some(blobs) = blobs else { return Ok(()) };
    for m in gone {
        for b in [&m.file, &m.preview].into_iter().flatten() {
            if !store.blob_in_use(&b.hash).await? {
                blobs
                    .delete(&b.hash)
                    .await
                    .map_err(|e| StoreError::Backend(Box::new(e)))?;
            }
        }
    }
    Ok(())
}

/// Clears a foreign account's kept picture and removes its file once no row names it.
async fn drop_picture(
    store: &dyn Store,
    blobs: Option<&dyn BlobStore>,
    account: Id,
    role: MediaRole,
) -> StoreResult<()> {
    let old = match store.set_profile_file(account, role, None).await {
        Err(StoreError::Missing(_)) => return Ok(()),
        r => r?,
    };
    let hash = old.as_deref().and_then(|f| f.split('.').next());
    if let (Some(blobs), Some(hash)) = (blobs, hash) {
        if crate::media::is_hash(hash) && !store.blob_in_use(hash).await? {
            blobs
                .delete(hash)
                .await
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
        }
    }
    Ok(())
}

/// Deletes expired foreign items, and the kept copies of their files and pictures.
async fn purge(
    store: &dyn Store,
    blobs: Option<&dyn BlobStore>,
    now: jiff::Timestamp,
) -> StoreResult<Purged> {
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
                    let media = store.status_media(&[*id]).await?;
                    store.delete_status(*id).await?;
                    drop_files(store, blobs, &media).await?;
                    done.statuses.push(*id);
                }
                ("media", [id]) => {
                    if let Some(m) = store.delete_media(*id).await? {
                        drop_files(store, blobs, &[m]).await?;
                    }
                }
                ("account", [id]) => {
                    // The profile goes, fields and pictures with it; the address stays,
                    // as follows still refer to it.
                    if let Some(mut a) = store.account(*id).await? {
                        a.display_name.clear();
                        a.note_source.clear();
                        a.note_html.clear();
                        store.upsert_remote_account(&a).await?;
                        store.set_profile_fields(*id, &[]).await?;
                        for role in [MediaRole::Avatar, MediaRole::Header] {
                            drop_picture(store, blobs, *id, role).await?;
                        }
                    }
                }
                (kind @ ("avatar" | "header"), [id]) => {
                    if let Some(role) = MediaRole::parse(kind) {
                        drop_picture(store, blobs, *id, role).await?;
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
