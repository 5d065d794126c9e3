//! Data keys on PostgreSQL: each account's key, wrapped, in `account_keys`; unwrapped keys
//! are cached by the store's keyring (`crate::sealing`), which `pg_read!`/`pg_write!`
//! put in scope.

use super::{backend, exec, get, ms, rows, write_err, Db, PgStore};
use crate::sealing::{
    self, key_err, KekUse, KEKS_IN_USE, KEYS_AFTER, KEY_INSERT, KEY_OF, KEY_REWRAP,
};
use roost_core::media::MediaAttachment;
use roost_core::model::{Account, OutboxItem, Status};
use roost_core::store::StoreResult;
use roost_core::Id;
use roost_residency::keys::{DataKey, WrappedKey};
use std::collections::HashMap;
use std::sync::Arc;

async fn stored_key(c: &impl Db, owner: Id) -> StoreResult<Option<WrappedKey>> {
    let found = rows(c, KEY_OF, &[&owner.0], |r| {
        Ok(WrappedKey {
            kek_id: get(r, "kek_id")?,
            bytes: get(r, "wrapped")?,
        })
    })
    .await?;
    Ok(found.into_iter().next())
}

/// `owner`'s data key, if they have one.
pub(crate) async fn read_key(c: &impl Db, owner: Id) -> StoreResult<Option<Arc<DataKey>>> {
    let keys = sealing::keyring()?;
    if let Some(k) = keys.cached(owner.0) {
        return Ok(Some(k));
    }
    match stored_key(c, owner).await? {
        Some(w) => Ok(Some(keys.unwrap(owner.0, &w).map_err(key_err)?)),
        None => Ok(None),
    }
}

/// `owner`'s data key for a write, made and stored now if they have none. The row is read
/// every time: a key cached by a transaction that rolled back must not seal anything, and
/// when two nodes make one at once, the row that was stored first wins.
pub(crate) async fn write_key(c: &impl Db, owner: Id) -> StoreResult<Arc<DataKey>> {
    let keys = sealing::keyring()?;
    if let Some(w) = stored_key(c, owner).await? {
        return match keys.cached(owner.0) {
            Some(k) => Ok(k),
            None => keys.unwrap(owner.0, &w).map_err(key_err),
        };
    }
    keys.forget(owner.0);
    let (key, wrapped) = keys.new_key(owner.0).map_err(key_err)?;
    let n = exec(
        c,
        KEY_INSERT,
        &[
            &owner.0,
            &wrapped.kek_id,
            &wrapped.bytes,
            &ms(jiff::Timestamp::now()),
        ],
    )
    .await
    .map_err(|e| write_err(e, "account key", "account"))?;
    if n == 1 {
        return Ok(key);
    }
    keys.forget(owner.0);
    let w = stored_key(c, owner)
        .await?
        .ok_or(roost_core::store::StoreError::Missing("account key"))?;
    keys.unwrap(owner.0, &w).map_err(key_err)
}

/// The keys of these owners, each read once.
async fn keys_of(
    c: &impl Db,
    owners: impl Iterator<Item = Id>,
) -> StoreResult<HashMap<Id, Option<Arc<DataKey>>>> {
    let mut keys = HashMap::new();
    for owner in owners {
        if let std::collections::hash_map::Entry::Vacant(e) = keys.entry(owner) {
            e.insert(read_key(c, owner).await?);
        }
    }
    Ok(keys)
}

pub(crate) async fn open_statuses(c: &impl Db, statuses: &mut [Status]) -> StoreResult<()> {
    let owners = statuses
        .iter()
        .filter(|s| sealing::status_needs_key(s))
        .map(|s| s.account_id)
        .collect::<Vec<_>>();
    let keys = keys_of(c, owners.into_iter()).await?;
    for s in statuses.iter_mut() {
        if let Some(k) = keys.get(&s.account_id) {
            sealing::open_status(k.as_deref(), s)?;
        }
    }
    Ok(())
}

pub(crate) async fn opened(c: &impl Db, found: Option<Account>) -> StoreResult<Option<Account>> {
    let mut found = found;
    if let Some(a) = found.as_mut() {
        if sealing::account_needs_key(a) {
            let key = read_key(c, a.id).await?;
            sealing::open_account(key.as_deref(), a)?;
        }
    }
    Ok(found)
}

pub(crate) async fn opened_all(c: &impl Db, mut found: Vec<Account>) -> StoreResult<Vec<Account>> {
    for a in found.iter_mut() {
        if sealing::account_needs_key(a) {
            let key = read_key(c, a.id).await?;
            sealing::open_account(key.as_deref(), a)?;
        }
    }
    Ok(found)
}

pub(crate) async fn open_media(c: &impl Db, media: &mut [MediaAttachment]) -> StoreResult<()> {
    for m in media.iter_mut() {
        if roost_residency::keys::is_sealed(&m.description) {
            let key = read_key(c, m.account_id).await?;
            m.description = sealing::open(key.as_deref(), std::mem::take(&mut m.description))?;
        }
    }
    Ok(())
}

impl PgStore {
    /// How many data keys each KEK wraps.
    pub async fn keks_in_use(&self) -> StoreResult<Vec<KekUse>> {
        let c = self.conn().await?;
        rows(&c, KEKS_IN_USE, &[], |r| {
            Ok(KekUse {
                kek_id: get(r, "kek_id")?,
                keys: get(r, "n")?,
            })
        })
        .await
    }

    /// Re-wraps every data key not wrapped by the current KEK, `batch` keys per
    /// transaction; the content they seal is not touched. Returns how many were re-wrapped.
    pub async fn rewrap_keys(&self, batch: i64) -> StoreResult<u64> {
        let keys = self.keys.clone();
        let mut after = i64::MIN;
        let mut done = 0;
        loop {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(backend)?;
            let page = rows(&tx, KEYS_AFTER, &[&after, &batch], |r| {
                Ok((
                    get::<i64>(r, "account_id")?,
                    WrappedKey {
                        kek_id: get(r, "kek_id")?,
                        bytes: get(r, "wrapped")?,
                    },
                ))
            })
            .await?;
            let Some(last) = page.last().map(|(id, _)| *id) else {
                return Ok(done);
            };
            after = last;
            for (owner, w) in &page {
                if let Some(new) = keys.rewrap(*owner, w).map_err(key_err)? {
                    done += exec(
                        &tx,
                        KEY_REWRAP,
                        &[owner, &w.kek_id, &new.kek_id, &new.bytes],
                    )
                    .await
                    .map_err(backend)? as u64;
                }
            }
            tx.commit().await.map_err(backend)?;
        }
    }
}

/// Outbox rows with their bodies opened.
pub(crate) async fn open_outbox(
    c: &impl Db,
    mut items: Vec<OutboxItem>,
) -> StoreResult<Vec<OutboxItem>> {
    for i in items.iter_mut() {
        if let (Some(subject), true) = (i.subject, roost_residency::keys::is_sealed(&i.body)) {
            let key = read_key(c, subject).await?;
            i.body = sealing::open(key.as_deref(), std::mem::take(&mut i.body))?;
        }
    }
    Ok(items)
}

/// An activity's body as the outbox keeps it (see the SQLite store).
pub(crate) async fn seal_outbox_body(
    c: &impl Db,
    subject: Option<Id>,
    body: &str,
) -> StoreResult<String> {
    let Some(subject) = subject else {
        return Ok(body.to_owned());
    };
    if rows(
        c,
        "SELECT id FROM accounts WHERE id = $1",
        &[&subject.0],
        |r| get::<i64>(r, "id"),
    )
    .await?
    .is_empty()
    {
        return Ok(body.to_owned());
    }
    Ok(write_key(c, subject).await?.seal(body))
}
