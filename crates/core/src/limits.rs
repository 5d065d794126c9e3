//! Limits on attempts that cost a password hash or create an account: per client address,
//! and per login name whatever the address (spreading guesses over many addresses does
//! not help). One set per process, shared by the web pages and the API, so alternating
//! between them does not double anyone's budget. Kept in memory only: client addresses
//! are identity data and are never written.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
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

/// The process's attempt limits.
pub struct Limits {
    sign_in_ip: Limiter<IpAddr>,
    sign_in_login: Limiter<String>,
    sign_up_ip: Limiter<IpAddr>,
}

impl Limits {
    pub fn new(cfg: LimitsConfig) -> Limits {
        Limits {
            sign_in_ip: Limiter::new(cfg.sign_in_per_ip),
            sign_in_login: Limiter::new(cfg.sign_in_per_login),
            sign_up_ip: Limiter::new(cfg.sign_up_per_ip),
        }
    }

    /// Counts one sign-in attempt for `login` from `ip` (None when the address is not
    /// known, as for in-process callers).
    pub fn sign_in(&self, ip: Option<IpAddr>, login: &str) -> Result<(), Limited> {
        if let Some(ip) = ip {
            self.sign_in_ip.check(&ip)?;
        }
        self.sign_in_login.check(&login.trim().to_lowercase())
    }

    /// Counts one sign-up from `ip`.
    pub fn sign_up(&self, ip: Option<IpAddr>) -> Result<(), Limited> {
        match ip {
            Some(ip) => self.sign_up_ip.check(&ip),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_per_login() {
        let l = Limits::new(LimitsConfig {
            sign_in_per_ip: 3,
            sign_in_per_login: 2,
            sign_up_per_ip: 1,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.sign_in(Some(a), "alice").is_ok());
        assert!(l.sign_in(Some(b), "Alice ").is_ok());
        // A third guess at alice fails whatever the address.
        let over = l.sign_in(Some(b), "alice").unwrap_err();
        assert_eq!(over.limit, 2);
        assert!(over.retry_after > Duration::ZERO);
        // a has used 1 of 3; bob is fresh.
        assert!(l.sign_in(Some(a), "bob").is_ok());
        assert!(l.sign_in(Some(a), "carol").is_ok());
        assert!(l.sign_in(Some(a), "dave").is_err());
        assert!(l.sign_up(Some(a)).is_ok());
        assert!(l.sign_up(Some(a)).is_err());
        assert!(l.sign_up(Some(b)).is_ok());
    }
}
