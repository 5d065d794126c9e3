//! Live events: what the streaming API and the live web pages are told as it happens.
//!
//! Use cases publish [`Event`]s on an [`EventBus`]. Events carry IDs only, so a bus
//! between nodes can carry them as they are. Each node's [`Live`] hub takes events off
//! the bus ([`run`]) and decides who may receive each one, by the same rules as the
//! timelines: a user stream gets what the fan-out put in that user's home timeline. It
//! hydrates each event once and hands it to the connections subscribed to the matching
//! streams. A connection that does not keep up is dropped; its queue is never allowed
//! to grow.

use crate::id::Id;
use crate::model::{Shun, Status, Visibility};
use crate::remote::TransitStatus;
use crate::usecase::{NotificationView, Roost, StatusView};
use crate::CoreResult;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::{broadcast, mpsc, watch};

/// Something that happened, as it travels on the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A status entered this region's timelines: posted here or arrived from elsewhere.
    Status {
        id: Id,
    },
    Edited {
        id: Id,
    },
    Deleted(Deleted),
    Notification {
        account: Id,
        id: Id,
    },
    /// Sockets opened with this token close at once.
    TokenRevoked {
        token: Id,
    },
    /// Every socket of this account closes at once (it was suspended; its tokens are
    /// kept, refused while it is).
    AccountClosed {
        account: Id,
    },
    /// A post of another region that may be shown here but not kept (`transit`),
    /// pushed by its home for the followers connected now. It is the one event that
    /// carries content, so it never leaves the process: a bus between nodes skips it
    /// (each node is pushed to on its own).
    #[serde(skip)]
    Transit(Arc<TransitStatus>),
}

/// A deleted status, with what deciding its audience needs (the row is gone by the
/// time the hub sees this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub id: Id,
    /// On the public and hashtag streams (public, not a reblog).
    pub public: bool,
    pub local: bool,
    pub tags: Vec<String>,
    pub in_reply_to: Option<Id>,
    /// Connected accounts whose home timeline held it, read before the deletion.
    pub holders: Vec<Id>,
    /// Subscribed lists that held it, read before the deletion.
    #[serde(default)]
    pub lists: Vec<Id>,
}

/// Carries events from the use cases to every node's hub.
pub trait EventBus: Send + Sync {
    fn publish(&self, event: Event);
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
    /// Whether other nodes' hubs hear what is published here. Then an event cannot be
    /// cut to the connections of this node (a deletion names every holder, not only
    /// those connected here).
    fn spans_nodes(&self) -> bool {
        false
    }
}

/// Events of up to this many use cases may wait for the hub before it loses some.
const BUS_CAPACITY: usize = 4096;

/// The bus of one process.
pub struct LocalBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    pub fn new() -> LocalBus {
        LocalBus {
            tx: broadcast::channel(BUS_CAPACITY).0,
        }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        LocalBus::new()
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        // No receiver (no hub running, e.g. in a command-line tool) is not an error.
        let _ = self.tx.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

/// A stream a connection can subscribe to. Names are Mastodon's, plus `Replies` for the
/// web post page ("new comments").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stream {
    User,
    UserNotification,
    Public,
    PublicLocal,
    PublicRemote,
    Hashtag(String),
    HashtagLocal(String),
    Direct,
    /// Public and unlisted replies to one status.
    Replies(Id),
    /// Mastodon's `list`: the list's timeline (the API checks the subscriber owns it).
    List(Id),
}

impl Stream {
    /// Mastodon's stream name (`public:local`) with its tag, if it takes one. The tag is
    /// kept as the client spelled it (clients match frames by it); posts are matched by
    /// its normalised form.
    pub fn parse(name: &str, tag: Option<&str>) -> Result<Stream, StreamError> {
        let tag = || {
            tag.map(|t| t.trim().trim_start_matches('#').to_string())
                .filter(|t| !normalise_tag(t).is_empty())
                .ok_or(StreamError::MissingTag)
        };
        Ok(match name {
            "user" => Stream::User,
            "user:notification" => Stream::UserNotification,
            "public" => Stream::Public,
            "public:local" => Stream::PublicLocal,
            "public:remote" => Stream::PublicRemote,
            "hashtag" => Stream::Hashtag(tag()?),
            "hashtag:local" => Stream::HashtagLocal(tag()?),
            "direct" => Stream::Direct,
            _ => return Err(StreamError::Unknown),
        })
    }

    /// Mastodon's name of the stream.
    pub fn name(&self) -> &'static str {
        match self {
            Stream::User => "user",
            Stream::UserNotification => "user:notification",
            Stream::Public => "public",
            Stream::PublicLocal => "public:local",
            Stream::PublicRemote => "public:remote",
            Stream::Hashtag(_) => "hashtag",
            Stream::HashtagLocal(_) => "hashtag:local",
            Stream::Direct => "direct",
            Stream::Replies(_) => "replies",
            Stream::List(_) => "list",
        }
    }

    /// The tag of a hashtag stream.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Stream::Hashtag(t) | Stream::HashtagLocal(t) => Some(t),
            _ => None,
        }
    }

    /// Streams of one user's own data need a signed-in connection.
    pub fn needs_user(&self) -> bool {
        matches!(
            self,
            Stream::User | Stream::UserNotification | Stream::Direct | Stream::List(_)
        )
    }

    fn key(&self, account: Option<Id>) -> Option<Key> {
        Some(match self {
            Stream::User => Key::User(account?),
            Stream::UserNotification => Key::Notification(account?),
            Stream::Direct => Key::Direct(account?),
            Stream::Public => Key::Public,
            Stream::PublicLocal => Key::PublicLocal,
            Stream::PublicRemote => Key::PublicRemote,
            Stream::Hashtag(t) => Key::Tag(normalise_tag(t)),
            Stream::HashtagLocal(t) => Key::TagLocal(normalise_tag(t)),
            Stream::Replies(id) => Key::Replies(*id),
            Stream::List(id) => {
                account?;
                Key::List(*id)
            }
        })
    }
}

/// Tags as the store keeps them: no `#`, compatibility forms folded, lower case.
fn normalise_tag(t: &str) -> String {
    crate::text::normalize_tag(t.trim().trim_start_matches('#'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("Unknown stream type")]
    Unknown,
    #[error("No tag for hashtag stream provided")]
    MissingTag,
    #[error("Missing access token")]
    NeedsUser,
}

/// What a connection receives: an item, and which of its streams it came by.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub stream: Stream,
    pub item: Arc<Item>,
}

/// One hydrated event, shared by every connection it goes to.
#[derive(Debug)]
pub struct Item {
    pub kind: ItemKind,
    /// The item in the transport's wire form, filled by the first connection that sends
    /// it, so a post to 1,000 followers is serialised once, not 1,000 times.
    pub encoded: OnceLock<Arc<str>>,
}

// Items live once behind an `Arc`, whatever the size of the variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ItemKind {
    /// Mastodon's `update`: a new status, rendered for no viewer in particular.
    Update(StatusView),
    /// `status.update`: an edit.
    StatusUpdate(StatusView),
    /// `delete`.
    Delete(Id),
    /// `notification`, for its one recipient.
    Notification(NotificationView),
    /// `conversation`: a direct thread's Conversation entity, for one participant.
    Conversation {
        viewer: Id,
        conversation: crate::usecase::ConversationView,
    },
}

impl ItemKind {
    /// Mastodon's event name.
    pub fn event(&self) -> &'static str {
        match self {
            ItemKind::Update(_) => "update",
            ItemKind::StatusUpdate(_) => "status.update",
            ItemKind::Delete(_) => "delete",
            ItemKind::Notification(_) => "notification",
            ItemKind::Conversation { .. } => "conversation",
        }
    }
}

fn item(kind: ItemKind) -> Arc<Item> {
    Arc::new(Item {
        kind,
        encoded: OnceLock::new(),
    })
}

/// How many deliveries wait for one connection before it counts as too slow and is
/// dropped (a client that reads nothing must not hold memory).
pub const CONNECTION_QUEUE: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(Id),
    Notification(Id),
    Direct(Id),
    Public,
    PublicLocal,
    PublicRemote,
    Tag(String),
    TagLocal(String),
    Replies(Id),
    List(Id),
}

struct Conn {
    tx: mpsc::Sender<Delivery>,
    /// Why the hub closed it, for the connection to tell its client.
    reason: Arc<OnceLock<Closed>>,
    account: Option<Id>,
    token: Option<Id>,
    streams: HashSet<Stream>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<u64, Conn>,
    index: HashMap<Key, HashSet<u64>>,
    /// Accounts with at least one `user` subscription, and how many.
    online: HashMap<Id, usize>,
}

impl Registry {
    fn remove(&mut self, id: u64) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        let keys: HashSet<Key> = conn
            .streams
            .iter()
            .filter_map(|s| s.key(conn.account))
            .collect();
        for key in keys {
            self.unindex(id, key);
        }
    }

    /// Takes connection `id` off `key`'s list (and off the online list for a user key).
    fn unindex(&mut self, id: u64, key: Key) {
        if let Some(set) = self.index.get_mut(&key) {
            set.remove(&id);
            if set.is_empty() {
                self.index.remove(&key);
            }
        }
        if let Key::User(a) = key {
            if let Some(n) = self.online.get_mut(&a) {
                *n -= 1;
                if *n == 0 {
                    self.online.remove(&a);
                }
            }
        }
    }
}

/// Why the hub ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Its queue filled up: the client did not read fast enough.
    TooSlow,
    /// The token it was opened with was revoked.
    Revoked,
    /// Its account was suspended.
    AccountClosed,
    /// The server is shutting down.
    ShuttingDown,
}

/// One node's hub: the connections, their subscriptions, and the bus.
pub struct Live {
    bus: Arc<dyn EventBus>,
    reg: Mutex<Registry>,
    next: AtomicU64,
    dropped_slow: AtomicU64,
}

impl Live {
    pub fn new(bus: Arc<dyn EventBus>) -> Live {
        Live {
            bus,
            reg: Mutex::new(Registry::default()),
            next: AtomicU64::new(1),
            dropped_slow: AtomicU64::new(0),
        }
    }

    pub fn publish(&self, event: Event) {
        self.bus.publish(event);
    }

    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a connection for a viewer (None: anonymous, public streams only). `token`
    /// is the access token it was opened with, so revoking it closes the connection.
    pub fn connect(self: &Arc<Self>, account: Option<Id>, token: Option<Id>) -> Connection {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
        let reason = Arc::new(OnceLock::new());
        self.reg().conns.insert(
            id,
            Conn {
                tx,
                reason: reason.clone(),
                account,
                token,
                streams: HashSet::new(),
            },
        );
        Connection {
            id,
            live: self.clone(),
            rx,
            reason,
        }
    }

    /// Open connections (for the benchmark and the tests).
    pub fn connections(&self) -> usize {
        self.reg().conns.len()
    }

    /// Connections dropped for not keeping up, since start.
    pub fn dropped_slow(&self) -> u64 {
        self.dropped_slow.load(Ordering::Relaxed)
    }

    /// Accounts with a `user` stream open here.
    pub fn online(&self) -> Vec<Id> {
        self.reg().online.keys().copied().collect()
    }

    /// The accounts of every signed-in connection, whatever they subscribed to.
    fn signed_in(&self) -> Vec<Id> {
        let mut v: Vec<Id> = self
            .reg()
            .conns
            .values()
            .filter_map(|c| c.account)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn has_connections(&self) -> bool {
        !self.reg().conns.is_empty()
    }

    /// The lists some connection here streams.
    fn streamed_lists(&self) -> Vec<Id> {
        self.reg()
            .index
            .keys()
            .filter_map(|k| match k {
                Key::List(l) => Some(*l),
                _ => None,
            })
            .collect()
    }

    /// Hands `item` to every connection subscribed under one of `keys`. A connection
    /// whose queue is full is dropped.
    fn deliver(&self, keys: &[Key], item: &Arc<Item>) {
        self.deliver_except(keys, item, &HashSet::new());
    }

    /// [`Live::deliver`] to every connection but those of the `except` accounts (who
    /// block, are blocked by or mute the author of what is sent).
    fn deliver_except(&self, keys: &[Key], item: &Arc<Item>, except: &HashSet<Id>) {
        let mut reg = self.reg();
        let mut slow = Vec::new();
        let mut sent: Vec<(u64, &Key)> = Vec::new();
        for key in keys {
            if let Some(set) = reg.index.get(key) {
                sent.extend(set.iter().map(|c| (*c, key)));
            }
        }
        for (cid, key) in sent {
            let Some(conn) = reg.conns.get(&cid) else {
                continue;
            };
            if conn.account.is_some_and(|a| except.contains(&a)) {
                continue;
            }
            let Some(stream) = conn
                .streams
                .iter()
                .find(|s| s.key(conn.account).as_ref() == Some(key))
            else {
                continue;
            };
            let d = Delivery {
                stream: stream.clone(),
                item: item.clone(),
            };
            match conn.tx.try_send(d) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => slow.push(cid),
                Err(mpsc::error::TrySendError::Closed(_)) => slow.push(cid),
            }
        }
        for cid in slow {
            if let Some(c) = reg.conns.get(&cid).filter(|c| !c.tx.is_closed()) {
                let _ = c.reason.set(Closed::TooSlow);
                self.dropped_slow.fetch_add(1, Ordering::Relaxed);
                tracing::info!(connection = cid, "streaming connection dropped: too slow");
            }
            reg.remove(cid);
        }
    }

    /// Ends every connection (at shutdown, so open streams do not hold it up).
    pub fn close_all(&self) {
        let mut reg = self.reg();
        for c in reg.conns.values() {
            let _ = c.reason.set(Closed::ShuttingDown);
        }
        *reg = Registry::default();
    }

    fn close_token(&self, token: Id) {
        self.close_where(Closed::Revoked, |c| c.token == Some(token));
    }

    fn close_account(&self, account: Id) {
        self.close_where(Closed::AccountClosed, |c| c.account == Some(account));
    }

    fn close_where(&self, reason: Closed, which: impl Fn(&Conn) -> bool) {
        let mut reg = self.reg();
        let gone: Vec<u64> = reg
            .conns
            .iter()
            .filter(|(_, c)| which(c))
            .map(|(id, c)| {
                let _ = c.reason.set(reason);
                *id
            })
            .collect();
        for id in gone {
            reg.remove(id);
        }
    }
}

/// A client's connection to the hub; dropping it unsubscribes everything.
pub struct Connection {
    id: u64,
    live: Arc<Live>,
    rx: mpsc::Receiver<Delivery>,
    reason: Arc<OnceLock<Closed>>,
}

impl Connection {
    pub fn subscribe(&self, stream: Stream) -> Result<(), StreamError> {
        let mut reg = self.live.reg();
        let Some(conn) = reg.conns.get_mut(&self.id) else {
            return Ok(()); // already closed; the next recv ends it
        };
        let account = conn.account;
        let key = stream.key(account).ok_or(StreamError::NeedsUser)?;
        // `#Rust` and `#rust` are two names of one key: index the key once.
        let keyed = conn
            .streams
            .iter()
            .any(|s| s.key(account).as_ref() == Some(&key));
        if !conn.streams.insert(stream) || keyed {
            return Ok(());
        }
        reg.index.entry(key.clone()).or_default().insert(self.id);
        if let Key::User(a) = key {
            *reg.online.entry(a).or_default() += 1;
        }
        Ok(())
    }

    pub fn unsubscribe(&self, stream: &Stream) {
        let mut reg = self.live.reg();
        let Some(conn) = reg.conns.get_mut(&self.id) else {
            return;
        };
        let account = conn.account;
        if !conn.streams.remove(stream) {
            return;
        }
        let Some(key) = stream.key(account) else {
            return;
        };
        if !conn
            .streams
            .iter()
            .any(|s| s.key(account).as_ref() == Some(&key))
        {
            reg.unindex(self.id, key);
        }
    }

    /// The next delivery; None once the hub dropped this connection (too slow, or its
    /// token was revoked).
    pub async fn recv(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// Why the hub ended this connection, once `recv` returned None.
    pub fn closed(&self) -> Option<Closed> {
        self.reason.get().copied()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.live.reg().remove(self.id);
    }
}

/// Runs the hub of `roost` until `stop` turns true: takes events off the bus, hydrates
/// each one once and delivers it.
pub async fn run(roost: Arc<Roost>, mut stop: watch::Receiver<bool>) {
    let mut rx = roost.live.bus.subscribe();
    loop {
        let event = tokio::select! {
            e = rx.recv() => e,
            _ = stop.changed() => {
                roost.live.close_all();
                return;
            }
        };
        match event {
            Ok(e) => {
                if let Err(err) = roost.dispatch(&e).await {
                    tracing::warn!(error = %err, event = ?e, "live event not delivered");
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(events = n, "live hub fell behind; events skipped");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The keys of the public streams a status appears on (the public timeline's rules:
/// public, not a reblog, not a reply to someone else; hashtags without the last rule).
fn public_keys(public: bool, reply_to_other: bool, local: bool, tags: &[String]) -> Vec<Key> {
    let mut keys = Vec::new();
    if !public {
        return keys;
    }
    if !reply_to_other {
        keys.push(Key::Public);
        keys.push(if local {
            Key::PublicLocal
        } else {
            Key::PublicRemote
        });
    }
    for t in tags {
        keys.push(Key::Tag(t.clone()));
        if local {
            keys.push(Key::TagLocal(t.clone()));
        }
    }
    keys
}

fn on_public_streams(s: &Status) -> bool {
    s.visibility == Visibility::Public && s.reblog_of_id.is_none()
}

fn replies_to_other(s: &Status) -> bool {
    s.in_reply_to_account_id.is_some_and(|a| a != s.account_id)
}

impl Roost {
    /// Puts this node's hub on `bus` (one between nodes, where several share a database).
    pub fn with_bus(mut self, bus: Arc<dyn EventBus>) -> Roost {
        self.live = Arc::new(Live::new(bus));
        self
    }

    /// Publishes an event for the live hubs.
    pub(crate) fn live_event(&self, event: Event) {
        self.live.publish(event);
    }

    /// The `delete` event of a status about to be deleted: who held it is read now,
    /// while the home-timeline rows still exist.
    pub(crate) async fn deletion_event(&self, s: &Status) -> CoreResult<Event> {
        let online = self.live.online();
        let holders = if self.live.bus.spans_nodes() {
            // Who is connected to the other nodes is not known here.
            self.store.home_holders(s.id, None).await?
        } else if online.is_empty() {
            Vec::new()
        } else {
            self.home_holders(s, &online).await?
        };
        let tags = if on_public_streams(s) {
            self.store
                .tags(&[s.id])
                .await?
                .into_iter()
                .map(|(_, t)| t)
                .collect()
        } else {
            Vec::new()
        };
        let local = !self.is_foreign_id(s.account_id);
        let streamed = self.live.streamed_lists();
        let lists = if self.live.bus.spans_nodes() {
            // Which lists the other nodes stream is not known here either.
            self.store.list_holders(s.id, None).await?
        } else if streamed.is_empty() {
            Vec::new()
        } else {
            self.store.list_holders(s.id, Some(&streamed)).await?
        };
        Ok(Event::Deleted(Deleted {
            id: s.id,
            public: on_public_streams(s) && !replies_to_other(s),
            local,
            tags,
            in_reply_to: s.in_reply_to_id.filter(|_| s.visibility.is_public()),
            holders,
            lists,
        }))
    }

    /// Which of the `online` accounts have the status in their home timeline. With
    /// fewer followers than connected users, all holders are read (by the status's
    /// index) and intersected; otherwise each connected user is looked up.
    async fn home_holders(&self, s: &Status, online: &[Id]) -> CoreResult<Vec<Id>> {
        let followers = self
            .store
            .account(s.account_id)
            .await?
            .map_or(i64::MAX, |a| a.followers_count);
        if followers.saturating_add(1) < online.len() as i64 {
            let all = self.store.home_holders(s.id, None).await?;
            let wanted: HashSet<Id> = online.iter().copied().collect();
            Ok(all.into_iter().filter(|a| wanted.contains(a)).collect())
        } else {
            Ok(self.store.home_holders(s.id, Some(online)).await?)
        }
    }

    async fn dispatch(&self, event: &Event) -> CoreResult<()> {
        if !self.live.has_connections() {
            return Ok(());
        }
        match event {
            Event::Status { id } => self.dispatch_status(*id, false).await,
            Event::Edited { id } => self.dispatch_status(*id, true).await,
            Event::Deleted(d) => {
                let mut keys: Vec<Key> = d.holders.iter().map(|a| Key::User(*a)).collect();
                keys.extend(public_keys(d.public, false, d.local, &d.tags));
                keys.extend(d.in_reply_to.map(Key::Replies));
                keys.extend(d.lists.iter().map(|l| Key::List(*l)));
                self.live.deliver(&keys, &item(ItemKind::Delete(d.id)));
                Ok(())
            }
            Event::Notification { account, id } => {
                let view = match self.notification(*account, *id).await {
                    Ok(v) => v,
                    // Dismissed, or a duplicate the store skipped: nothing to tell.
                    Err(crate::CoreError::NotFound(_)) => return Ok(()),
                    Err(e) => return Err(e),
                };
                let keys = [Key::User(*account), Key::Notification(*account)];
                self.live
                    .deliver(&keys, &item(ItemKind::Notification(view)));
                Ok(())
            }
            Event::TokenRevoked { token } => {
                self.live.close_token(*token);
                Ok(())
            }
            Event::AccountClosed { account } => {
                self.live.close_account(*account);
                Ok(())
            }
            Event::Transit(t) => self.dispatch_transit(t).await,
        }
    }

    /// A transit post goes to the user streams of the connected accounts that follow
    /// its author (of a direct one: that it mentions), and nowhere else: it is in no
    /// timeline here.
    async fn dispatch_transit(&self, t: &TransitStatus) -> CoreResult<()> {
        let online = self.live.online();
        if online.is_empty() {
            return Ok(());
        }
        let mut to: Vec<Id> = t
            .mentions
            .iter()
            .map(|a| a.id)
            .filter(|a| online.contains(a))
            .collect();
        if t.status.visibility != Visibility::Direct {
            to.extend(
                self.store
                    .followers_among(t.status.account_id, &online)
                    .await?,
            );
        }
        to.sort();
        to.dedup();
        let shunning: HashSet<Id> = self
            .store
            .shunning(&[t.status.account_id], &to, Shun::Posts)
            .await?
            .into_iter()
            .collect();
        to.retain(|a| !shunning.contains(a));
        let keys: Vec<Key> = to.into_iter().map(Key::User).collect();
        let view = crate::usecase::transit_view(t.clone(), false);
        self.live.deliver(&keys, &item(ItemKind::Update(view)));
        Ok(())
    }

    async fn dispatch_status(&self, id: Id, edited: bool) -> CoreResult<()> {
        let Some(view) = self.hydrate_one(id, None).await? else {
            return Ok(());
        };
        let s = &view.status;
        let local = !self.is_foreign_id(s.account_id);
        let online = self.live.online();
        // One query for every connected account: who is kept from this author's posts
        // (or, for a reblog, from the reblogged author's).
        let mut authors = vec![s.account_id];
        authors.extend(view.reblog.as_ref().map(|r| r.account.id));
        let except: HashSet<Id> = self
            .store
            .shunning(&authors, &self.live.signed_in(), Shun::Posts)
            .await?
            .into_iter()
            .collect();
        let mut keys: Vec<Key> = if online.is_empty() {
            Vec::new()
        } else {
            self.home_holders(s, &online)
                .await?
                .into_iter()
                .map(Key::User)
                .collect()
        };
        let tags: &[String] = if on_public_streams(s) {
            &view.tags
        } else {
            &[]
        };
        keys.extend(public_keys(
            on_public_streams(s),
            replies_to_other(s),
            local,
            tags,
        ));
        if let Some(parent) = s.in_reply_to_id.filter(|_| s.visibility.is_public()) {
            keys.push(Key::Replies(parent));
        }
        let streamed = self.live.streamed_lists();
        if !streamed.is_empty() {
            keys.extend(
                self.store
                    .list_holders(s.id, Some(&streamed))
                    .await?
                    .into_iter()
                    .map(Key::List),
            );
        }
        let direct: Vec<Id> = if s.visibility == Visibility::Direct && !edited {
            let signed_in: HashSet<Id> = self.live.signed_in().into_iter().collect();
            std::iter::once(s.account_id)
                .chain(view.mentions.iter().map(|a| a.id))
                .filter(|a| signed_in.contains(a))
                .collect()
        } else {
            Vec::new()
        };
        if !direct.is_empty() {
            // The participants' own Conversation entities (their IDs, their unread state).
            let rows = self.store.conversations_of_status(s.id, &direct).await?;
            for row in rows {
                let viewer = row.account_id;
                let Some(conversation) = self.conversation_views(viewer, vec![row]).await?.pop()
                else {
                    continue;
                };
                let conv = item(ItemKind::Conversation {
                    viewer,
                    conversation,
                });
                self.live
                    .deliver_except(&[Key::Direct(viewer)], &conv, &except);
            }
        }
        let kind = if edited {
            ItemKind::StatusUpdate(view)
        } else {
            ItemKind::Update(view)
        };
        self.live.deliver_except(&keys, &item(kind), &except);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_parse_as_mastodon_spells_them() {
        assert_eq!(Stream::parse("user", None), Ok(Stream::User));
        assert_eq!(Stream::parse("public:local", None), Ok(Stream::PublicLocal));
        assert_eq!(
            Stream::parse("hashtag", Some("#Rust")),
            Ok(Stream::Hashtag("Rust".into()))
        );
        assert_eq!(
            Stream::parse("hashtag", Some("#")),
            Err(StreamError::MissingTag)
        );
        assert_eq!(Stream::parse("hashtag", None), Err(StreamError::MissingTag));
        assert_eq!(Stream::parse("nonsense", None), Err(StreamError::Unknown));
    }

    #[tokio::test]
    async fn a_connection_that_does_not_read_is_dropped_not_buffered() {
        let live = Arc::new(Live::new(Arc::new(LocalBus::new())));
        let mut c = live.connect(None, None);
        c.subscribe(Stream::Public).unwrap();
        let it = item(ItemKind::Delete(Id(1)));
        for _ in 0..CONNECTION_QUEUE {
            live.deliver(&[Key::Public], &it);
        }
        assert_eq!(live.connections(), 1);
        live.deliver(&[Key::Public], &it);
        assert_eq!(live.connections(), 0, "the full queue dropped it");
        assert_eq!(live.dropped_slow(), 1);
        // What was queued can still be read, then the connection ends.
        let mut n = 0;
        while c.recv().await.is_some() {
            n += 1;
        }
        assert_eq!(n, CONNECTION_QUEUE);
        assert_eq!(c.closed(), Some(Closed::TooSlow));
    }

    #[tokio::test]
    async fn user_streams_need_an_account_and_count_as_online() {
        let live = Arc::new(Live::new(Arc::new(LocalBus::new())));
        let anon = live.connect(None, None);
        assert_eq!(anon.subscribe(Stream::User), Err(StreamError::NeedsUser));
        let a = live.connect(Some(Id(7)), Some(Id(70)));
        let b = live.connect(Some(Id(7)), Some(Id(71)));
        a.subscribe(Stream::User).unwrap();
        b.subscribe(Stream::User).unwrap();
        assert_eq!(live.online(), vec![Id(7)]);
        drop(a);
        assert_eq!(live.online(), vec![Id(7)]);
        live.close_token(Id(71));
        assert!(live.online().is_empty());
        assert_eq!(b.closed(), Some(Closed::Revoked));
        assert_eq!(live.connections(), 1, "only the anonymous one is left");
        drop(b);
        drop(anon);
        assert_eq!(live.connections(), 0);
    }

    #[tokio::test]
    async fn closing_an_account_closes_each_of_its_connections() {
        let live = Arc::new(Live::new(Arc::new(LocalBus::new())));
        let a = live.connect(Some(Id(7)), Some(Id(70)));
        let b = live.connect(Some(Id(7)), Some(Id(71)));
        let other = live.connect(Some(Id(8)), Some(Id(80)));
        a.subscribe(Stream::User).unwrap();
        other.subscribe(Stream::User).unwrap();
        live.close_account(Id(7));
        assert_eq!(a.closed(), Some(Closed::AccountClosed));
        assert_eq!(b.closed(), Some(Closed::AccountClosed));
        assert_eq!(other.closed(), None);
        assert_eq!(live.online(), vec![Id(8)]);
        assert_eq!(live.connections(), 1);
    }

    #[tokio::test]
    async fn two_spellings_of_a_tag_share_one_subscription() {
        let live = Arc::new(Live::new(Arc::new(LocalBus::new())));
        let mut c = live.connect(None, None);
        c.subscribe(Stream::Hashtag("Rust".into())).unwrap();
        c.subscribe(Stream::Hashtag("rust".into())).unwrap();
        c.unsubscribe(&Stream::Hashtag("rust".into()));
        live.deliver(&[Key::Tag("rust".into())], &item(ItemKind::Delete(Id(9))));
        let d = c.recv().await.unwrap();
        assert_eq!(
            d.stream,
            Stream::Hashtag("Rust".into()),
            "named as subscribed"
        );
        c.unsubscribe(&Stream::Hashtag("Rust".into()));
        assert!(live.reg().index.is_empty());
    }
}
