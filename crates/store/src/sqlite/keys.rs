//! Data keys on SQLite: each account's key, wrapped, in `account_keys`; unwrapped keys are
//! cached by the store's keyring (`crate::sealing`).

use super::{backend, exec, ms, rows, SqliteStore};
use crate::sealing::{
    self, key_err, KekUse, KEKS_IN_USE, KEYS_AFTER, KEY_INSERT, KEY_OF, KEY_REWRAP,
};
use roost_core::media::MediaAttachment;
use roost_core::model::OutboxItem;
use roost_core::model::{Account, Status};
use roost_core::store::StoreResult;
use roost_core::Id;
use roost_residency::keys::{DataKey, WrappedKey};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::sync::Arc;

fn stored_key(c: &Connection, owner: Id) -> StoreResult<Option<WrappedKey>> {
    let mut st = c.prepare_cached(KEY_OF).map_err(backend)?;
    st.query_row([owner.0], |r| {
        Ok(WrappedKey {
            kek_id: r.get(0)?,
            bytes: r.get(1)?,
        })
    })
    .optional()
    .map_err(backend)
}

/// `owner`'s data key, if they have one.
pub(crate) fn read_key(c: &Connection, owner: Id) -> StoreResult<Option<Arc<DataKey>>> {
    let keys = sealing::keyring()?;
    if let Some(k) = keys.cached(owner.0) {
        return Ok(Some(k));
    }
    match stored_key(c, owner)? {
        Some(w) => Ok(Some(keys.unwrap(owner.0, &w).map_err(key_err)?)),
        None => Ok(None),
    }
}

/// `owner`'s data key for a write job, made and stored now if they have none. The row is
/// read every time: a key cached by a job that was rolled back must not seal anything.
pub(crate) fn write_key(c: &Connection, owner: Id) -> StoreResult<Arc<DataKey>> {
    let keys = sealing::keyring()?;
    if let Some(w) = stored_key(c, owner)? {
        return match keys.cached(owner.0) {
            Some(k) => Ok(k),
            None => keys.unwrap(owner.0, &w).map_err(key_err),
        };
    }
    keys.forget(owner.0);
    let (key, wrapped) = keys.new_key(owner.0).map_err(key_err)?;
    exec(
        c,
        KEY_INSERT,
        &[
            &owner.0,
            &wrapped.kek_id,
            &wrapped.bytes,
            &ms(jiff::Timestamp::now()),
        ],
    )
    .map_err(|e| super::write_err(e, "account key", "account"))?;
    Ok(key)
}

/// Opens the sealed fields of `statuses` in place.
pub(crate) fn open_statuses(c: &Connection, statuses: &mut [Status]) -> StoreResult<()> {
    let mut keys: HashMap<Id, Option<Arc<DataKey>>> = HashMap::new();
    for s in statuses.iter_mut() {
        if !sealing::status_needs_key(s) {
            continue;
        }
        let key = match keys.get(&s.account_id) {
            Some(k) => k.clone(),
            None => {
                let k = read_key(c, s.account_id)?;
                keys.insert(s.account_id, k.clone());
                k
            }
        };
        sealing::open_status(key.as_deref(), s)?;
    }
    Ok(())
}

pub(crate) fn open_accounts(c: &Connection, accounts: &mut [Account]) -> StoreResult<()> {
    for a in accounts.iter_mut() {
        if sealing::account_needs_key(a) {
            let key = read_key(c, a.id)?;
            sealing::open_account(key.as_deref(), a)?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// How many data keys each KEK wraps.
    pub async fn keks_in_use(&self) -> StoreResult<Vec<KekUse>> {
        self.db
            .read(|c| {
                rows(c, KEKS_IN_USE, &[], |r| {
                    Ok(KekUse {
                        kek_id: super::get(r, "kek_id")?,
                        keys: super::get(r, "n")?,
                    })
                })
            })
            .await
    }

    /// Re-wraps every data key not wrapped by the current KEK, `batch` keys per write;
    /// the content they seal is not touched. Returns how many were re-wrapped.
    pub async fn rewrap_keys(&self, batch: i64) -> StoreResult<u64> {
        let mut after = i64::MIN;
        let mut done = 0;
        loop {
            let page = self
                .db
                .read(move |c| {
                    rows(c, KEYS_AFTER, &[&after, &batch], |r| {
                        Ok((
                            super::get::<i64>(r, "account_id")?,
                            WrappedKey {
                                kek_id: super::get(r, "kek_id")?,
                                bytes: super::get(r, "wrapped")?,
                            },
                        ))
                    })
                })
                .await?;
            let Some(last) = page.last().map(|(id, _)| *id) else {
                return Ok(done);
            };
            after = last;
            done += self
                .db
                .write(move |c| {
                    let keys = sealing::keyring()?;
                    let mut n = 0;
                    for (owner, w) in &page {
                        if let Some(new) = keys.rewrap(*owner, w).map_err(key_err)? {
                            n += exec(c, KEY_REWRAP, &[owner, &w.kek_id, &new.kek_id, &new.bytes])
                                .map_err(backend)? as u64;
                        }
                    }
                    Ok(n)
                })
                .await?;
        }
    }
}

/// An account read by `account_from_row`, its sealed fields opened.
pub(crate) fn opened(c: &Connection, found: Option<Account>) -> StoreResult<Option<Account>> {
    let mut found = found;
    if let Some(a) = found.as_mut() {
        open_accounts(c, std::slice::from_mut(a))?;
    }
    Ok(found)
}

pub(crate) fn opened_all(c: &Connection, mut found: Vec<Account>) -> StoreResult<Vec<Account>> {
    open_accounts(c, &mut found)?;
    Ok(found)
}

/// Opens the descriptions of `media` in place.
pub(crate) fn open_media(c: &Connection, media: &mut [MediaAttachment]) -> StoreResult<()> {
    for m in media.iter_mut() {
        if roost_residency::keys::is_sealed(&m.description) {
            let key = read_key(c, m.account_id)?;
            m.description = sealing::open(key.as_deref(), std::mem::take(&mut m.description))?;
        }
    }
    Ok(())
}

/// Outbox rows with their bodies opened.
pub(crate) fn open_outbox(
    c: &Connection,
    mut items: Vec<OutboxItem>,
) -> StoreResult<Vec<OutboxItem>> {
    for i in items.iter_mut() {
        if let (Some(subject), true) = (i.subject, roost_residency::keys::is_sealed(&i.body)) {
            let key = read_key(c, subject)?;
            i.body = sealing::open(key.as_deref(), std::mem::take(&mut i.body))?;
        }
    }
    Ok(items)
}

/// An activity's body as the outbox keeps it: sealed with its subject's key when the
/// subject is an account here (an activity about no one, or about an account this region
/// does not hold, holds no one's sealed data).
pub(crate) fn seal_outbox_body(
    c: &Connection,
    subject: Option<Id>,
    body: &str,
) -> StoreResult<String> {
    let Some(subject) = subject else {
        return Ok(body.to_owned());
    };
    match write_key(c, subject) {
        Ok(key) => Ok(key.seal(body)),
        Err(roost_core::store::StoreError::Missing(_)) => Ok(body.to_owned()),
        Err(e) => Err(e),
    }
}
