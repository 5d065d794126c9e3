//! In-memory caches of what nearly every request reads, and the one way to drop an entry
//! when the data behind it changes ([`Invalidation`]).
//!
//! Today one process serves a region, so [`Caches`] is its own invalidation: a change
//! made here drops the entry here. The store's own caches of rows take the same
//! [`Change`]s through the same trait (the SQLite store feeds its cache from the writer's
//! view of every changed row). Several nodes in front of one database (PostgreSQL) will
//! need an implementation that also tells the other nodes; everything goes through
//! [`Invalidation::changed`], so that is the one thing to swap.

use crate::model::Token;
use std::sync::atomic::{AtomicU64, Ordering};

/// What changed, in terms the caches understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A token stopped working (revoked, rotated, signed out).
    TokenRevoked { access_hash: String },
    /// A status row changed or went (its counters, text, mentions, tags, existence).
    Status(crate::id::Id),
    /// An account row changed or went.
    Account(crate::id::Id),
    /// An account's filters changed (created, edited, deleted).
    Filters(crate::id::Id),
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
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            tokens: quick_cache::sync::Cache::new(TOKEN_CAPACITY),
            filters: quick_cache::sync::Cache::new(FILTERS_CAPACITY),
            epoch: AtomicU64::new(0),
        }
    }
}

impl Caches {
    /// Call before reading the store; pass the value to [`Caches::remember_token`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn token(&self, access_hash: &str) -> Option<Token> {
        self.tokens.get(access_hash)
    }

    /// Keeps a token read from the store at `epoch`. If anything was invalidated since
    /// (the row may already be revoked), the entry is dropped again: an invalidation
    /// bumps the epoch before it removes, so either it removes this entry or this check
    /// sees the bump.
    pub fn remember_token(&self, epoch: u64, token: Token) {
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
        self.filters.get(&account)
    }

    /// Keeps filters read at `epoch`, as [`Caches::remember_token`] keeps a token.
    pub fn remember_filters(
        &self,
        epoch: u64,
        account: crate::id::Id,
        filters: std::sync::Arc<Vec<crate::model::Filter>>,
    ) {
        self.filters.insert(account, filters);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            self.filters.remove(&account);
        }
    }
}

impl Invalidation for Caches {
    fn changed(&self, change: &Change) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match change {
            Change::TokenRevoked { access_hash } => {
                self.tokens.remove(access_hash);
            }
            // Rows are cached by the store, not here.
            Change::Filters(account) => {
                self.filters.remove(account);
            }
            Change::Status(_) | Change::Account(_) => {}
        }
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
}
