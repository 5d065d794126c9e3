//! Limits on attempts that cost a password hash or create an account: per client address,
//! and per login name whatever the address (spreading guesses over many addresses does
//! not help). One set per region, shared by the web pages and the API, so alternating
//! between them does not double anyone's budget. The counting is a port
//! ([`AttemptCounter`]): in memory on one node ([`MemoryCounter`], addresses never
//! written), in the shared database where several nodes serve a region, so that each
//! node does not add a budget of its own.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per minute; the whole minute's worth may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Sign-in attempts (password grant, the sign-in forms) per client address.
    pub sign_in_per_ip: u32,
    /// Sign-in attempts per login name (username or e-mail).
    pub sign_in_per_login: u32,
    /// New accounts per client address.
    pub sign_up_per_ip: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            sign_in_per_ip: 30,
            sign_in_per_login: 10,
            sign_up_per_ip: 10,
        }
    }
}

/// Over a limit: what Mastodon's `X-RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub limit: u32,
    /// Until one more attempt is allowed.
    pub retry_after: Duration,
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

struct Limiter<K: Hash + Eq + Clone> {
    inner: Keyed<K>,
    per_minute: u32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).expect("at least 1"));
        Limiter {
            inner: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            per_minute,
        }
    }

    fn check(&self, key: &K) -> Result<(), Limited> {
        // Keys of clients that stopped coming are dropped now and then, so a flood of
        // addresses cannot grow the map for good.
        if self.inner.len() > 100_000 {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(key)
            .map(|_| ())
            .map_err(|not_until| Limited {
                limit: self.per_minute,
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }
}

/// Which budget an attempt counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    SignInIp,
    SignInLogin,
    SignUpIp,
}

impl Budget {
    /// Its name, for keys kept outside the process.
    pub fn name(self) -> &'static str {
        match self {
            Budget::SignInIp => "sign_in_ip",
            Budget::SignInLogin => "sign_in_login",
            Budget::SignUpIp => "sign_up_ip",
        }
    }

    /// Attempts per minute under `cfg` (at least 1).
    pub fn per_minute(self, cfg: &LimitsConfig) -> u32 {
        match self {
            Budget::SignInIp => cfg.sign_in_per_ip,
            Budget::SignInLogin => cfg.sign_in_per_login,
            Budget::SignUpIp => cfg.sign_up_per_ip,
        }
        .max(1)
    }
}

/// Counts attempts: each budget allows its per-minute number at once, then one more
/// every minute / that number (a generic cell rate, as governor's).
#[async_trait::async_trait]
pub trait AttemptCounter: Send + Sync {
    /// Counts one attempt of `key` against `budget`, or says how long until one is allowed.
    async fn hit(&self, budget: Budget, key: &str) -> Result<(), Limited>;
}

/// The counters of one process, in memory.
pub struct MemoryCounter {
    sign_in_ip: Limiter<String>,
    sign_in_login: Limiter<String>,
    sign_up_ip: Limiter<String>,
}

impl MemoryCounter {
    pub fn new(cfg: LimitsConfig) -> MemoryCounter {
        MemoryCounter {
            sign_in_ip: Limiter::new(cfg.sign_in_per_ip),
            sign_in_login: Limiter::new(cfg.sign_in_per_login),
            sign_up_ip: Limiter::new(cfg.sign_up_per_ip),
        }
    }

    /// [`AttemptCounter::hit`] without awaiting (nothing here waits).
    pub fn hit_now(&self, budget: Budget, key: &str) -> Result<(), Limited> {
        let key = key.to_owned();
        match budget {
            Budget::SignInIp => self.sign_in_ip.check(&key),
            Budget::SignInLogin => self.sign_in_login.check(&key),
            Budget::SignUpIp => self.sign_up_ip.check(&key),
        }
    }
}

#[async_trait::async_trait]
impl AttemptCounter for MemoryCounter {
    async fn hit(&self, budget: Budget, key: &str) -> Result<(), Limited> {
        self.hit_now(budget, key)
    }
}

/// The region's attempt limits.
pub struct Limits {
    counter: Arc<dyn AttemptCounter>,
}

impl Limits {
    /// Counted in this process's memory.
    pub fn new(cfg: LimitsConfig) -> Limits {
        Limits::counted_by(Arc::new(MemoryCounter::new(cfg)))
    }

    /// Counted by `counter` (the shared one of a region of several nodes).
    pub fn counted_by(counter: Arc<dyn AttemptCounter>) -> Limits {
        Limits { counter }
    }

    /// Counts one sign-in attempt for `login` from `ip` (None when the address is not
    /// known, as for in-process callers).
    pub async fn sign_in(&self, ip: Option<IpAddr>, login: &str) -> Result<(), Limited> {
        if let Some(ip) = ip {
            self.counter.hit(Budget::SignInIp, &ip.to_string()).await?;
        }
        self.counter
            .hit(Budget::SignInLogin, &login.trim().to_lowercase())
            .await
    }

    /// Counts one sign-up from `ip`.
    pub async fn sign_up(&self, ip: Option<IpAddr>) -> Result<(), Limited> {
        match ip {
            Some(ip) => self.counter.hit(Budget::SignUpIp, &ip.to_string()).await,
            None => Ok(()),
        }
    }
}

impl crate::usecase::Roost {
    /// Counts attempts with `counter` instead of this process's memory.
    pub fn with_attempt_counter(mut self, counter: Arc<dyn AttemptCounter>) -> Self {
        self.limits = Limits::counted_by(counter);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_per_address_and_per_login() {
        let l = Limits::new(LimitsConfig {
            sign_in_per_ip: 3,
            sign_in_per_login: 2,
            sign_up_per_ip: 1,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.sign_in(Some(a), "alice").await.is_ok());
        assert!(l.sign_in(Some(b), "Alice ").await.is_ok());
        // A third guess at alice fails whatever the address.
        let over = l.sign_in(Some(b), "alice").await.unwrap_err();
        assert_eq!(over.limit, 2);
        assert!(over.retry_after > Duration::ZERO);
        // a has used 1 of 3; bob is fresh.
        assert!(l.sign_in(Some(a), "bob").await.is_ok());
        assert!(l.sign_in(Some(a), "carol").await.is_ok());
        assert!(l.sign_in(Some(a), "dave").await.is_err());
        assert!(l.sign_up(Some(a)).await.is_ok());
        assert!(l.sign_up(Some(a)).await.is_err());
        assert!(l.sign_up(Some(b)).await.is_ok());
    }
}
