//! Use cases: what a user or client can do, independent of HTTP. Each file groups the
//! use cases of one area; all of them are methods on [`Roost`].

mod account_extras;
mod accounts;
mod announcements;
mod auth;
mod conversations;
pub mod emoji;
mod erasure;
mod export;
pub(crate) mod filters;
mod followed_tags;
mod hydrate;
mod inbound;
mod lists;
mod media;
mod moderation;
mod move_home;
pub mod notification_groups;
mod notifications;
pub mod polls;
mod profile_pictures;
pub mod retention;
mod safety;
mod scheduled;
pub mod scopes;
pub mod search;
mod statuses;
mod timelines;
mod trends;
mod web;

pub use account_extras::{foreign_fields, MAX_FIELDS};
pub use accounts::{valid_username, AccountsPage, Registration};
pub use auth::{constant_eq, AuthContext, GrantRequest, IssuedToken, NewApp, OAuthError};
pub use conversations::ConversationView;
pub use emoji::{EmojiError, NewEmoji};
pub use erasure::MAX_ERASURES;
pub use filters::{FilterInput, KeywordChange};
pub use followed_tags::TagView;
pub use hydrate::{NotificationView, QuoteState, QuoteView, StatusView};
pub use inbound::Received;
pub use media::{FileKey, MediaPorts, MediaView, ServedFile, Upload};
pub use moderation::{AdminAction, AdminUndo, NewReport, ReportChange, Staff, NOT_ALLOWED};
pub use move_home::check_not_moving;
pub use polls::PollRequest;
pub use safety::{DomainBlocksPage, MutesPage};
pub use scheduled::Posted;
pub use search::{IndexQueue, SearchKind, SearchRequest, SearchResults, TagDay};
pub use statuses::{content_class, transit_view, EditStatus, PostStatus};
pub use trends::{LinkTrend, Suggestion};
pub use web::{Neighbours, WebSession};

use crate::id::{Id, IdGen};
use crate::model::{Account, Page};
use crate::remote::{Outbound, Remote};
use crate::store::Store;
use crate::views::ViewCounter;
use crate::{CoreError, CoreResult};
use roost_residency::{Cluster, DataClass};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;

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
    /// Sign-ups (when open) wait for a moderator's approval before they can sign in.
    pub approval_required: bool,
    /// "Today" for view counts rolls over at midnight here.
    pub time_zone: jiff::tz::TimeZone,
    pub title: String,
    pub description: String,
    pub contact_email: String,
    /// The instance documents' texts (HTML, from the config).
    pub extended_description: String,
    pub privacy_policy: String,
    pub terms_of_service: Option<String>,
    /// Every region of the deployment with its policy; a lone region is a cluster of one.
    pub cluster: Arc<Cluster>,
    /// Sign-in and sign-up attempts allowed per client address and per login.
    pub limits: crate::limits::LimitsConfig,
    /// Public media (public posts' attachments, profile pictures) are linked under this
    /// base (a CDN) instead of the region's own `/media`.
    pub media_base_url: Option<String>,
    /// The region's custom emoji, kept in memory and shared by every clone of the config
    /// (the API's mapper reads it for each local status and account without a query).
    pub emojis: crate::emoji::EmojiCatalog,
}

impl RoostConfig {
    /// Where public media files are linked.
    pub fn public_media_base(&self) -> String {
        match &self.media_base_url {
            Some(b) => b.trim_end_matches('/').to_string(),
            None => format!("{}/media", self.base_url),
        }
    }

    /// Where an emoji's picture is served (a public file: `/media/<sha256>.<ext>`).
    pub fn emoji_url(&self, e: &crate::emoji::CustomEmoji) -> String {
        format!(
            "{}/{}.{}",
            self.public_media_base(),
            e.file.hash,
            crate::media::extension(&e.file.mime)
        )
    }
}

/// A region's roost: the use cases over one store.
pub struct Roost {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) ids: IdGen,
    pub cfg: RoostConfig,
    pub views: ViewCounter,
    /// Other regions, reached only through the federation's gate.
    pub(crate) remote: Arc<dyn Remote>,
    /// Views of foreign statuses read here, sent to their home regions on flush.
    foreign_views: Mutex<HashMap<Id, i64>>,
    /// The built-in web app, looked up once (every page request needs its ID).
    web_app: tokio::sync::OnceCell<crate::model::App>,
    /// Attempt limits shared by the pages and the API.
    pub limits: crate::limits::Limits,
    stats: StatsCache,
    /// Token rows by access hash, and the invalidation every change goes through.
    pub(crate) caches: Arc<crate::cache::Caches>,
    pub(crate) invalidation: Arc<dyn crate::cache::Invalidation>,
    /// The streaming hub of this node and the bus it listens on.
    pub live: Arc<crate::live::Live>,
    /// The region's domain blocks, kept in memory.
    pub(crate) moderation: moderation::ModerationState,
    /// Processing and storage of uploads; None where media is not set up.
    pub(crate) media: Option<MediaPorts>,
    /// The full-text index and its worker's queue, once attached.
    pub(crate) search: search::SearchState,
}

/// Mastodon's limits on `limit`.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 40;

impl Roost {
    pub fn new(store: Arc<dyn Store>, cfg: RoostConfig, remote: Arc<dyn Remote>) -> Roost {
        let caches = Arc::new(crate::cache::Caches::default());
        Roost {
            invalidation: caches.clone(),
            caches,
            ids: IdGen::new(cfg.region_number),
            views: ViewCounter::new(cfg.time_zone.clone()),
            limits: crate::limits::Limits::new(cfg.limits),
            stats: StatsCache::default(),
            store,
            cfg,
            remote,
            foreign_views: Mutex::new(HashMap::new()),
            web_app: tokio::sync::OnceCell::new(),
            moderation: Default::default(),
            media: None,
            search: Default::default(),
            live: Arc::new(crate::live::Live::new(Arc::new(
                crate::live::LocalBus::new(),
            ))),
        }
    }

    /// Whether the ID was minted in another region (so its data's home is there).
    pub fn is_foreign_id(&self, id: Id) -> bool {
        id.region() != self.ids.region()
    }

    /// The home region code of an ID minted elsewhere, if the cluster knows it.
    pub fn region_of(&self, id: Id) -> Option<&str> {
        self.cfg
            .cluster
            .region_by_number(id.region())
            .map(|r| r.code.as_str())
    }

    pub fn is_local(&self, account: &Account) -> bool {
        account.home_region == self.cfg.region
    }

    /// Refuses, with the rule named, an action that would send `class` data of a local
    /// user to `destination` against this region's policy. The gate enforces the same
    /// rule when sending; this check lets the user see why at once.
    pub(crate) fn check_crossing(&self, destination: &str, class: DataClass) -> CoreResult<()> {
        self.check_policy(destination, class, false)
    }

    /// Like [`Roost::check_crossing`] for data the other region must keep to work at all
    /// (a follow is useless if the followed account's region may not remember it).
    pub(crate) fn check_crossing_kept(
        &self,
        destination: &str,
        class: DataClass,
    ) -> CoreResult<()> {
        self.check_policy(destination, class, true)
    }

    fn check_policy(&self, destination: &str, class: DataClass, kept: bool) -> CoreResult<()> {
        if destination == self.cfg.region {
            return Ok(());
        }
        let d = self
            .cfg
            .cluster
            .decide(&self.cfg.region, destination, class);
        if d.persist() || (d.allowed() && !kept) {
            Ok(())
        } else {
            Err(CoreError::PolicyDenied(format!(
                "Not allowed by the residency policy ({}): this would send your data to region {destination}",
                d.rule()
            )))
        }
    }

    /// Hands an event to the federation; a failure to queue is the caller's failure (the
    /// local write happened, but the user must know the crossing did not).
    pub(crate) async fn publish(&self, event: Outbound) -> CoreResult<()> {
        self.remote.publish(event).await
    }

    pub(crate) fn record_foreign_view(&self, status: Id) {
        let mut v = self.foreign_views.lock().unwrap_or_else(|p| p.into_inner());
        *v.entry(status).or_default() += 1;
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// One of several nodes of the region: IDs carry the node's number and are minted only
    /// while it holds one.
    pub fn with_node_number(mut self, node: Arc<crate::id::NodeNumber>) -> Roost {
        self.ids = IdGen::on_node(self.cfg.region_number, node);
        self
    }

    /// A fresh ID of this region; fails (503) on a node that holds no node number now.
    pub fn next_id(&self) -> CoreResult<Id> {
        self.ids
            .next()
            .map_err(|e| CoreError::NotNow(e.to_string()))
    }

    /// Writes buffered view counts, and sends views of foreign statuses to their home
    /// regions (anonymous counts: `aggregate` class); called periodically and at shutdown.
    pub async fn flush_views(&self) -> CoreResult<usize> {
        let local = self.views.flush(self.store.as_ref()).await?;
        let drained: Vec<(Id, i64)> = {
            let mut v = self.foreign_views.lock().unwrap_or_else(|p| p.into_inner());
            v.drain().collect()
        };
        let mut by_region: HashMap<String, Vec<(Id, i64)>> = HashMap::new();
        for (id, n) in drained {
            if let Some(r) = self.region_of(id) {
                by_region.entry(r.to_string()).or_default().push((id, n));
            }
        }
        for (region, counts) in by_region {
            self.publish(Outbound::Views { region, counts }).await?;
        }
        Ok(local)
    }

    /// Profile URL of an account, on its home region's site.
    pub fn account_url(&self, account: &Account) -> String {
        format!(
            "{}/@{}",
            self.base_url_of(&account.home_region),
            account.username
        )
    }

    /// Base URL of a region (this one's when unknown).
    pub fn base_url_of(&self, region: &str) -> &str {
        match self.cfg.cluster.region(region) {
            Some(r) if region != self.cfg.region => &r.base_url,
            _ => &self.cfg.base_url,
        }
    }

    /// `acct` as Mastodon shows it: bare username for local accounts, `name@domain` for
    /// accounts of other regions.
    pub fn acct(&self, account: &Account) -> String {
        if account.home_region == self.cfg.region {
            return account.username.clone();
        }
        match self.cfg.cluster.region(&account.home_region) {
            Some(r) => format!("{}@{}", account.username, r.domain()),
            None => format!("{}@{}", account.username, account.home_region),
        }
    }

    /// An account kept here, or one of another region fetched from its home region.
    pub(crate) async fn account_or_404(&self, id: Id) -> CoreResult<Account> {
        if let Some(a) = self.store.account(id).await? {
            return Ok(a);
        }
        if self.is_foreign_id(id) && self.region_of(id).is_some() {
            let p = self.remote.fetch_account(id).await?;
            return self.keep_foreign_profile(p).await;
        }
        Err(self.moved_or_404(id, "account").await)
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

/// How long instance counts are reused. Counting every post costs ~50 ms on 200k posts
/// and `/api/v1/instance` is the first request of every client; the figures are for
/// display, and Mastodon caches them too.
const INSTANCE_STATS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The last instance counts and when they were read.
#[derive(Default)]
pub(crate) struct StatsCache {
    last: tokio::sync::Mutex<Option<(std::time::Instant, crate::model::InstanceStats)>>,
}

impl Roost {
    /// Counts for the instance entities; active means posted in the last 30 days. Read
    /// at most every [`INSTANCE_STATS_TTL`]; while one request re-reads them, the
    /// others wait for that one answer instead of each counting again.
    pub async fn instance_stats(&self) -> CoreResult<crate::model::InstanceStats> {
        let mut last = self.stats.last.lock().await;
        if let Some((at, stats)) = last.as_ref() {
            if at.elapsed() < INSTANCE_STATS_TTL {
                return Ok(*stats);
            }
        }
        let since = now() - jiff::SignedDuration::from_hours(24 * 30);
        let stats = self.store.instance_stats(since).await?;
        *last = Some((std::time::Instant::now(), stats));
        Ok(stats)
    }
}
