//! Sealed fields: which columns hold an account's content sealed with its data key
//! (`roost_residency::keys`), and the store's keyring.
//!
//! Sealed: a status's text, HTML and content warning, every earlier version of them, the
//! bio (source and HTML), the profile fields, and media descriptions. Not sealed: what
//! queries must compare or search (usernames, display names, tags, visibility, IDs,
//! timestamps, counters). Each backend keeps the wrapped keys in `account_keys`
//! (`sqlite/keys.rs`, `postgres/keys.rs`); the account row's deletion cascades to its key.
//!
//! The keyring travels with the connection rather than through every function: on SQLite
//! each engine thread holds its store's keyring ([`set_thread_keyring`]); on PostgreSQL
//! `pg_read!`/`pg_write!` run their body inside [`KEYRING`]'s scope. [`keyring`] finds
//! either, so `status_in(c, id)` keeps its signature on both backends.

use roost_core::model::{Account, ProfileField, Status, StatusRevision};
use roost_core::store::{StoreError, StoreResult};
use roost_residency::keys::{is_sealed, DataKey, KeyError};
use roost_residency::Keyring;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    static THREAD_KEYRING: RefCell<Option<Arc<Keyring>>> = const { RefCell::new(None) };
}

tokio::task_local! {
    /// The keyring of the PostgreSQL store whose connection the current task uses.
    pub(crate) static KEYRING: Arc<Keyring>;
}

/// Called once by each SQLite engine thread as it starts.
pub(crate) fn set_thread_keyring(keys: Arc<Keyring>) {
    THREAD_KEYRING.with(|k| *k.borrow_mut() = Some(keys));
}

#[derive(Debug, thiserror::Error)]
#[error("no keyring for this connection (a store call outside the engine's threads or a pg_read!/pg_write! scope)")]
struct NoKeyring;

/// The keyring of the store whose connection this code runs on.
pub(crate) fn keyring() -> StoreResult<Arc<Keyring>> {
    if let Ok(k) = KEYRING.try_with(|k| k.clone()) {
        return Ok(k);
    }
    THREAD_KEYRING
        .with(|k| k.borrow().clone())
        .ok_or_else(|| StoreError::Backend(Box::new(NoKeyring)))
}

pub(crate) fn key_err(e: KeyError) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Opens one stored value. Without a key (the account was shredded while this row was
/// being read) a sealed value reads as empty: it is unreadable by design.
pub(crate) fn open(key: Option<&DataKey>, stored: String) -> StoreResult<String> {
    if !is_sealed(&stored) {
        return Ok(stored);
    }
    match key {
        Some(k) => k.open(&stored).map_err(key_err),
        None => Ok(String::new()),
    }
}

pub(crate) fn status_needs_key(s: &Status) -> bool {
    is_sealed(&s.text) || is_sealed(&s.content_html) || is_sealed(&s.spoiler_text)
}

pub(crate) fn open_status(key: Option<&DataKey>, s: &mut Status) -> StoreResult<()> {
    s.text = open(key, std::mem::take(&mut s.text))?;
    s.content_html = open(key, std::mem::take(&mut s.content_html))?;
    s.spoiler_text = open(key, std::mem::take(&mut s.spoiler_text))?;
    Ok(())
}

pub(crate) fn open_revision(key: Option<&DataKey>, r: &mut StatusRevision) -> StoreResult<()> {
    r.content_html = open(key, std::mem::take(&mut r.content_html))?;
    r.spoiler_text = open(key, std::mem::take(&mut r.spoiler_text))?;
    Ok(())
}

pub(crate) fn account_needs_key(a: &Account) -> bool {
    is_sealed(&a.note_source)
        || is_sealed(&a.note_html)
        || a.fields
            .iter()
            .any(|f| is_sealed(&f.name) || is_sealed(&f.value_source) || is_sealed(&f.value_html))
}

pub(crate) fn open_account(key: Option<&DataKey>, a: &mut Account) -> StoreResult<()> {
    a.note_source = open(key, std::mem::take(&mut a.note_source))?;
    a.note_html = open(key, std::mem::take(&mut a.note_html))?;
    for f in &mut a.fields {
        open_field(key, f)?;
    }
    Ok(())
}

fn open_field(key: Option<&DataKey>, f: &mut ProfileField) -> StoreResult<()> {
    f.name = open(key, std::mem::take(&mut f.name))?;
    f.value_source = open(key, std::mem::take(&mut f.value_source))?;
    f.value_html = open(key, std::mem::take(&mut f.value_html))?;
    Ok(())
}

/// A bio written apart from the rest of the profile: it is sealed with the account's key,
/// which can only be made once the account row exists.
pub(crate) const NOTE_UPDATE: &str =
    "UPDATE accounts SET note_source = COALESCE($2, note_source), \
     note_html = COALESCE($3, note_html) WHERE id = $1";

/// The statements on `account_keys`, for both backends.
pub(crate) const KEY_OF: &str = "SELECT kek_id, wrapped FROM account_keys WHERE account_id = $1";
pub(crate) const KEY_INSERT: &str =
    "INSERT INTO account_keys (account_id, kek_id, wrapped, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING";
pub(crate) const KEY_REWRAP: &str =
    "UPDATE account_keys SET kek_id = $3, wrapped = $4 WHERE account_id = $1 AND kek_id = $2";
pub(crate) const KEYS_AFTER: &str = "SELECT account_id, kek_id, wrapped FROM account_keys \
     WHERE account_id > $1 ORDER BY account_id LIMIT $2";
pub(crate) const KEKS_IN_USE: &str =
    "SELECT kek_id, COUNT(*) AS n FROM account_keys GROUP BY kek_id ORDER BY kek_id";

/// How many data keys each KEK wraps, and whether this keyring can unwrap each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekUse {
    pub kek_id: String,
    pub keys: i64,
}

/// Refuses a keyring that cannot unwrap every data key the store holds: better not to
/// start than to answer every read of those accounts with an error.
pub(crate) fn check_keks(keys: &Keyring, in_use: &[KekUse]) -> StoreResult<()> {
    let known = keys.kek_ids();
    for u in in_use {
        if !known.contains(&u.kek_id.as_str()) {
            return Err(key_err(KeyError::UnknownKek(u.kek_id.clone())));
        }
    }
    Ok(())
}
