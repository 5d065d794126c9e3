//! Viewer-independent rows kept in memory: statuses and accounts by ID, the records every
//! page of statuses reads.
//!
//! Invalidation does not depend on each write method remembering what it touched: the
//! writer connection's update hook reports every row changed in `statuses` and `accounts`
//! (cascades included), and the writer drops those entries after the commit, before it
//! answers anyone. So a caller that saw its write acknowledged never reads the old row,
//! and a deleted post disappears from the cache with its deletion.
//!
//! A read that raced a commit must not put the old row back: each entry's stripe has an
//! epoch, bumped before every removal; a reader notes the epoch before it reads the
//! database, inserts, then checks the epoch again and takes its entry out if it moved.

use roost_core::cache::{Change, Invalidation};
use roost_core::model::{Account, Status};
use roost_core::store::StoreResult;
use roost_core::Id;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries kept per table. A status is ~0.5 KiB, an account ~0.3 KiB: ~16 MiB together.
/// 50k each took the large benchmark's peak RSS from ~130 MiB to 198 MiB, past its
/// 200 MB target.
const STATUSES: usize = 20_000;
const ACCOUNTS: usize = 20_000;
/// Epoch stripes: a change invalidates in-flight fills of 1/4096 of the IDs, not all.
const STRIPE_BITS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Statuses,
    Accounts,
}

impl Table {
    /// The table an update-hook report is about, if it is cached.
    pub fn named(name: &str) -> Option<Table> {
        match name {
            "statuses" => Some(Table::Statuses),
            "accounts" => Some(Table::Accounts),
            _ => None,
        }
    }
}

/// A record type the cache holds.
pub(crate) trait Cached: Clone {
    const TABLE: Table;
    fn id(&self) -> i64;
    fn map(c: &RowCache) -> &quick_cache::sync::Cache<i64, Self>;
}

impl Cached for Status {
    const TABLE: Table = Table::Statuses;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn map(c: &RowCache) -> &quick_cache::sync::Cache<i64, Self> {
        &c.statuses
    }
}

/// A status's mentions and tags, in order: they change only with the status row (created,
/// edited, deleted), so the status's invalidation covers them.
#[derive(Debug, Clone)]
pub(crate) struct StatusParts {
    pub id: Id,
    pub mentions: Vec<Id>,
    pub tags: Vec<String>,
}

impl Cached for StatusParts {
    const TABLE: Table = Table::Statuses;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn map(c: &RowCache) -> &quick_cache::sync::Cache<i64, Self> {
        &c.parts
    }
}

impl Cached for Account {
    const TABLE: Table = Table::Accounts;
    fn id(&self) -> i64 {
        self.id.0
    }
    fn map(c: &RowCache) -> &quick_cache::sync::Cache<i64, Self> {
        &c.accounts
    }
}

pub(crate) struct RowCache {
    statuses: quick_cache::sync::Cache<i64, Status>,
    parts: quick_cache::sync::Cache<i64, StatusParts>,
    accounts: quick_cache::sync::Cache<i64, Account>,
    epochs: Box<[AtomicU64]>,
}

impl Default for RowCache {
    fn default() -> Self {
        RowCache {
            statuses: quick_cache::sync::Cache::new(STATUSES),
            parts: quick_cache::sync::Cache::new(STATUSES),
            accounts: quick_cache::sync::Cache::new(ACCOUNTS),
            epochs: (0..1usize << STRIPE_BITS)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }
}

impl RowCache {
    fn stripe(&self, t: Table, id: i64) -> &AtomicU64 {
        let k = (id as u64) ^ ((t as u64) << 63);
        let i = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - STRIPE_BITS);
        &self.epochs[i as usize]
    }

    /// Note this before reading the row from the database; pass it to `keep_*`.
    pub fn epoch(&self, t: Table, id: i64) -> u64 {
        self.stripe(t, id).load(Ordering::SeqCst)
    }

    /// The rows of `ids` (each once, in no particular order): from memory where
    /// present, the rest from `load` (one call), kept for next time.
    pub fn through<T: Cached>(
        &self,
        ids: &[Id],
        load: impl FnOnce(&[Id]) -> StoreResult<Vec<T>>,
    ) -> StoreResult<Vec<T>> {
        let map = T::map(self);
        let mut out = Vec::with_capacity(ids.len());
        let mut seen = HashSet::with_capacity(ids.len());
        let mut missing = Vec::new();
        let mut epochs = HashMap::new();
        for id in ids {
            if !seen.insert(id.0) {
                continue;
            }
            match map.get(&id.0) {
                Some(v) => out.push(v),
                None => {
                    epochs.insert(id.0, self.epoch(T::TABLE, id.0));
                    missing.push(*id);
                }
            }
        }
        if !missing.is_empty() {
            for v in load(&missing)? {
                if let Some(&e) = epochs.get(&v.id()) {
                    self.keep(e, v.clone());
                }
                out.push(v);
            }
        }
        Ok(out)
    }

    fn keep<T: Cached>(&self, epoch: u64, v: T) {
        let id = v.id();
        let map = T::map(self);
        map.insert(id, v);
        if self.epoch(T::TABLE, id) != epoch {
            map.remove(&id);
        }
    }

    /// The row changed (and the change is committed): drop it.
    fn drop_row(&self, t: Table, id: i64) {
        self.stripe(t, id).fetch_add(1, Ordering::SeqCst);
        match t {
            Table::Statuses => {
                self.statuses.remove(&id);
                self.parts.remove(&id);
            }
            Table::Accounts => {
                self.accounts.remove(&id);
            }
        }
    }
}

impl Invalidation for RowCache {
    fn changed(&self, change: &Change) {
        match change {
            Change::Status(id) => self.drop_row(Table::Statuses, id.0),
            Change::Account(id) => self.drop_row(Table::Accounts, id.0),
            Change::TokenRevoked { .. } | Change::Filters(_) | Change::DomainBlocks => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roost_core::model::Visibility;

    fn status(id: i64) -> Status {
        Status {
            id: Id(id),
            account_id: Id(1),
            text: String::new(),
            content_html: String::new(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            quote_of_id: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            edited_at: None,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            quotes_count: 0,
            pinned: false,
        }
    }

    #[test]
    fn a_fill_that_raced_a_change_is_not_kept() {
        let c = RowCache::default();
        let load = |ids: &[Id]| Ok(ids.iter().map(|i| status(i.0)).collect());
        let got = c.through(&[Id(7), Id(7)], load).unwrap();
        assert_eq!(got.len(), 1, "each ID once");
        let mut loads = 0;
        c.through(&[Id(7)], |ids: &[Id]| {
            loads += 1;
            load(ids)
        })
        .unwrap();
        assert_eq!(loads, 0, "served from memory");
        c.changed(&Change::Status(Id(7)));
        c.through(&[Id(7)], |ids: &[Id]| {
            loads += 1;
            load(ids)
        })
        .unwrap();
        assert_eq!(loads, 1, "dropped by the change");

        // Read before a change, kept after it: dropped at once.
        let before = c.epoch(Table::Statuses, 8);
        c.changed(&Change::Status(Id(8)));
        c.keep(before, status(8));
        assert!(c.statuses.get(&8).is_none());
        let e = c.epoch(Table::Statuses, 8);
        c.keep(e, status(8));
        assert!(c.statuses.get(&8).is_some());
        // The same ID in the other table is another key.
        assert!(c.accounts.get(&8).is_none());
    }
}
