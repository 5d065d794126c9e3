//! Use cases: what a user or client can do, independent of HTTP. Each file groups the
//! use cases of one area; all of them are methods on [`Roost`].

mod accounts;
mod auth;
mod hydrate;
mod notifications;
pub mod scopes;
mod statuses;
mod timelines;

pub use accounts::{AccountsPage, Registration};
pub use auth::{AuthContext, GrantRequest, IssuedToken, NewApp, OAuthError};
pub use hydrate::{NotificationView, QuoteState, QuoteView, StatusView};
pub use statuses::{EditStatus, PostStatus};

use crate::id::{Id, IdGen};
use crate::model::{Account, Page};
use crate::store::Store;
use crate::views::ViewCounter;
use crate::{CoreError, CoreResult};
use std::sync::Arc;

/// The settings the use cases need; built by the server from its one config.
#[derive(Debug, Clone)]
pub struct RoostConfig {
    /// Short region code, e.g. `in`; every account created here has it as home region.
    pub region: String,
    /// Number minted into IDs (0..=1023) so an ID names its region.
    pub region_number: u16,
    /// Public host name, e.g. `in.roost.example`; local handles are `name@domain`.
    pub domain: String,
    /// Public base URL without trailing slash, e.g. `https://in.roost.example`.
    pub base_url: String,
    pub max_status_chars: usize,
    pub registrations_open: bool,
    /// "Today" for view counts rolls over at midnight here.
    pub time_zone: jiff::tz::TimeZone,
    pub title: String,
    pub description: String,
    pub contact_email: String,
}

/// A region's roost: the use cases over one store.
pub struct Roost {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) ids: IdGen,
    pub cfg: RoostConfig,
    pub views: ViewCounter,
}

/// Mastodon's limits on `limit`.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 40;

impl Roost {
    pub fn new(store: Arc<dyn Store>, cfg: RoostConfig) -> Roost {
        Roost {
            ids: IdGen::new(cfg.region_number),
            views: ViewCounter::new(cfg.time_zone.clone()),
            store,
            cfg,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn next_id(&self) -> Id {
        self.ids.next()
    }

    /// Writes buffered view counts; called periodically and at shutdown.
    pub async fn flush_views(&self) -> CoreResult<usize> {
        Ok(self.views.flush(self.store.as_ref()).await?)
    }

    /// Profile URL of a local account.
    pub fn account_url(&self, account: &Account) -> String {
        format!("{}/@{}", self.cfg.base_url, account.username)
    }

    /// `acct` as Mastodon shows it: bare username for local accounts.
    pub fn acct(&self, account: &Account) -> String {
        if account.home_region == self.cfg.region {
            account.username.clone()
        } else {
            format!("{}@{}", account.username, account.home_region)
        }
    }

    pub(crate) async fn account_or_404(&self, id: Id) -> CoreResult<Account> {
        self.store
            .account(id)
            .await?
            .ok_or(CoreError::NotFound("account"))
    }
}

/// Clamps a client page to Mastodon's limits.
pub fn clamp_page(mut page: Page) -> Page {
    if page.limit == 0 {
        page.limit = DEFAULT_LIMIT;
    }
    page.limit = page.limit.min(MAX_LIMIT);
    page
}

pub(crate) fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

impl Roost {
    /// Counts for the instance entities; active means posted in the last 30 days.
    pub async fn instance_stats(&self) -> CoreResult<crate::model::InstanceStats> {
        let since = now() - jiff::SignedDuration::from_hours(24 * 30);
        Ok(self.store.instance_stats(since).await?)
    }
}
