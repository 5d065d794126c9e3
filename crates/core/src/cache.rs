//! In-memory caches of what nearly every request reads, and the one way to drop an entry
//! when the data behind it changes ([`Invalidation`]).
//!
//! On one node [`Caches`] is its own invalidation: a change made here drops the entry
//! here. The store's own caches of rows take the same [`Change`]s through the same trait
//! (the SQLite store feeds its cache from the writer's view of every changed row).
//! Several nodes in front of one database (PostgreSQL) swap in an implementation that
//! also tells the other nodes ([`Roost::with_invalidation`]); everything goes through
//! [`Invalidation::changed`], and a [`Change`] is serde so it can travel.

use crate::model::Token;
use crate::usecase::Roost;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What changed, in terms the caches understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A token stopped working (revoked, rotated, signed out).
    TokenRevoked { access_hash: String },
    /// A status row changed or went (its counters, text, mentions, tags, existence).
    Status(crate::id::Id),
    /// An account row changed or went.
    Account(crate::id::Id),
    /// An account's filters changed (created, edited, deleted).
    Filters(crate::id::Id),
    /// The region's domain blocks changed: each node reads them again.
    DomainBlocks,
}

/// Told of every change that may leave a cached entry wrong.
pub trait Invalidation: Send + Sync {
    fn changed(&self, change: &Change);
}

/// Bearer tokens kept at most; a token is a few hundred bytes.
const TOKEN_CAPACITY: usize = 50_000;

/// Accounts whose filters are kept; a viewer's filters are read by every page and every
/// live item they receive.
const FILTERS_CAPACITY: usize = 20_000;

/// The process's caches.
pub struct Caches {
    /// Account → its filters (all of them, expired ones too: expiry is checked per use).
    filters: quick_cache::sync::Cache<crate::id::Id, std::sync::Arc<Vec<crate::model::Filter>>>,
    /// Access-token hash → token row. Every authenticated request starts with this read.
    tokens: quick_cache::sync::Cache<String, Token>,
    /// Bumped before every invalidation, so that a read racing a revocation cannot put
    /// the revoked row back (see [`Caches::remember_token`]).
    epoch: AtomicU64,
    /// While set, nothing is served or kept: a node that cannot hear the other nodes'
    /// changes reads the store every time rather than trust what it holds.
    bypass: AtomicBool,
    /// The search index's queue: a status written on any node (told through
    /// [`Change::Status`]) is indexed on every node that hears of it.
    status_listener: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<crate::id::Id>>,
    /// Bumped by every [`Change::DomainBlocks`]; the domain blocks held in memory are
    /// read again when it moved since they were loaded.
    domain_blocks: AtomicU64,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            tokens: quick_cache::sync::Cache::new(TOKEN_CAPACITY),
            filters: quick_cache::sync::Cache::new(FILTERS_CAPACITY),
            epoch: AtomicU64::new(0),
            bypass: AtomicBool::new(false),
            status_listener: Default::default(),
            domain_blocks: AtomicU64::new(0),
        }
    }
}

impl Caches {
    /// How many times the domain blocks changed since start.
    pub fn domain_blocks_version(&self) -> u64 {
        self.domain_blocks.load(Ordering::SeqCst)
    }

    /// Sends the IDs of changed statuses to `tx` from now on. Once.
    pub fn listen_statuses(&self, tx: tokio::sync::mpsc::UnboundedSender<crate::id::Id>) {
        let _ = self.status_listener.set(tx);
    }

    /// Drops every entry, for when changes may have been missed (a node that lost its
    /// link to the others cannot know which entries went stale).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.tokens.clear();
        self.filters.clear();
    }

    /// Stops (true) or resumes serving and keeping entries. Set before [`Caches::clear`]
    /// when changes stop being heard; cleared once they are heard again.
    pub fn set_bypass(&self, on: bool) {
        self.bypass.store(on, Ordering::SeqCst);
    }

    fn bypassed(&self) -> bool {
        self.bypass.load(Ordering::SeqCst)
    }

    /// Call before reading the store; pass the value to [`Caches::remember_token`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn token(&self, access_hash: &str) -> Option<Token> {
        if self.bypassed() {
            return None;
        }
        self.tokens.get(access_hash)
    }

    /// Keeps a token read from the store at `epoch`. If anything was invalidated since
    /// (the row may already be revoked), the entry is dropped again: an invalidation
    /// bumps the epoch before it removes, so either it removes this entry or this check
    /// sees the bump.
    pub fn remember_token(&self, epoch: u64, token: Token) {
        if self.bypassed() {
            return;
        }
        let key = token.access_hash.clone();
        self.tokens.insert(key.clone(), token);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            self.tokens.remove(&key);
        }
    }
}

impl Caches {
    pub fn filters(
        &self,
        account: crate::id::Id,
    ) -> Option<std::sync::Arc<Vec<crate::model::Filter>>> {
        if self.bypassed() {
            return None;
        }
        self.filters.get(&account)
    }

    /// Keeps filters read at `epoch`, as [`Caches::remember_token`] keeps a token.
    pub fn remember_filters(
        &self,
        epoch: u64,
        account: crate::id::Id,
        filters: std::sync::Arc<Vec<crate::model::Filter>>,
    ) {
        if self.bypassed() {
            return;
        }
        self.filters.insert(account, filters);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            self.filters.remove(&account);
        }
    }
}

impl Invalidation for Caches {
    fn changed(&self, change: &Change) {
        if let Change::Status(id) = change {
            // Nothing cached here depends on a status: no epoch bump, which would make
            // every racing token read under a stream of posts go uncached.
            if let Some(tx) = self.status_listener.get() {
                let _ = tx.send(*id);
            }
            return;
        }
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match change {
            Change::TokenRevoked { access_hash } => {
                self.tokens.remove(access_hash);
            }
            // Rows are cached by the store, not here.
            Change::Filters(account) => {
                self.filters.remove(account);
            }
            Change::DomainBlocks => {
                self.domain_blocks.fetch_add(1, Ordering::SeqCst);
            }
            Change::Status(_) | Change::Account(_) => {}
        }
    }
}

impl Roost {
    /// Replaces the invalidation every change goes through; `wrap` gets this node's own
    /// caches, which the new one must still drop entries from.
    pub fn with_invalidation(
        mut self,
        wrap: impl FnOnce(Arc<Caches>) -> Arc<dyn Invalidation>,
    ) -> Roost {
        self.invalidation = wrap(self.caches.clone());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Id;

    fn token(hash: &str) -> Token {
        Token {
            id: Id(1),
            app_id: Id(2),
            account_id: Some(Id(3)),
            scopes: "read".into(),
            access_hash: hash.into(),
            refresh_hash: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            revoked: false,
            pending: false,
        }
    }

    #[test]
    fn a_revoked_token_is_dropped_and_a_racing_read_cannot_restore_it() {
        let c = Caches::default();
        let e = c.epoch();
        c.remember_token(e, token("a"));
        assert!(c.token("a").is_some());
        c.changed(&Change::TokenRevoked {
            access_hash: "a".into(),
        });
        assert!(c.token("a").is_none());

        // A read that began before a revocation finishes after it: not kept.
        let before = c.epoch();
        c.changed(&Change::TokenRevoked {
            access_hash: "b".into(),
        });
        c.remember_token(before, token("b"));
        assert!(c.token("b").is_none());
    }

    #[test]
    fn clear_drops_everything_and_a_racing_read_too() {
        let c = Caches::default();
        let e = c.epoch();
        c.remember_token(e, token("a"));
        let before = c.epoch();
        c.clear();
        assert!(c.token("a").is_none());
        c.remember_token(before, token("b"));
        assert!(c.token("b").is_none(), "read before the clear, not kept");

        c.set_bypass(true);
        c.remember_token(c.epoch(), token("c"));
        assert!(c.token("c").is_none(), "nothing kept while bypassed");
        c.set_bypass(false);
        c.remember_token(c.epoch(), token("c"));
        assert!(c.token("c").is_some());
        c.set_bypass(true);
        assert!(c.token("c").is_none(), "nothing served while bypassed");
    }

    #[test]
    fn a_change_survives_a_trip_through_json() {
        for ch in [
            Change::TokenRevoked {
                access_hash: "h".into(),
            },
            Change::Status(Id(5)),
            Change::Account(Id(6)),
            Change::Filters(Id(7)),
        ] {
            let back: Change = serde_json::from_str(&serde_json::to_string(&ch).unwrap()).unwrap();
            assert_eq!(back, ch);
        }
    }
}
