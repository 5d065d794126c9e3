//! What the nodes of one region tell each other through their shared database: live
//! events (an [`EventBus`]) and cache changes (an [`Invalidation`]), over PostgreSQL's
//! `LISTEN`/`NOTIFY` on one channel.
//!
//! Each node listens on a connection of its own, outside the pool: a pooled connection
//! is handed to other work and its `LISTEN` would go with it. A second dedicated
//! connection sends, from one task, so one node's messages arrive in the order they were
//! published. What a node publishes reaches its own hub at once, in memory; its own
//! notifications are recognised by the node number and skipped, so every hub sees each
//! event once.
//!
//! A notification carries at most 8000 bytes. A bigger message (a deletion naming every
//! holder of an executive's post) is written to `node_payloads` and the notification
//! names the row; the rows are deleted once older than [`KEEP_PAYLOADS`]. Nothing is
//! truncated.
//!
//! When the listening connection drops, the node reconnects (with backoff). What other
//! nodes published meanwhile is not replayed: their live events are missed by this
//! node's streams. Cache changes may be missed too, so from the drop until it listens
//! again the node's caches serve nothing (every token is read from the store), and
//! they are emptied when it is back.

use super::backend;
use futures::StreamExt;
use roost_core::cache::{Caches, Change, Invalidation};
use roost_core::live::{Event, EventBus};
use roost_core::store::StoreResult;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

const CHANNEL: &str = "roost_nodes";

/// Messages longer than this go through `node_payloads` (NOTIFY refuses 8000 bytes and
/// more; the margin is for the channel name and framing).
const INLINE_MAX: usize = 7900;

/// How long a stored payload waits for the listeners to read it.
const KEEP_PAYLOADS: Duration = Duration::from_secs(600);

/// Events waiting for the local hub, as `LocalBus` keeps them.
const LOCAL_CAPACITY: usize = 4096;

/// Messages waiting to be sent; beyond this they are dropped (and logged) rather than
/// held, as the local bus drops for a hub that lags.
const OUT_CAPACITY: usize = 4096;

/// The longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

const SETUP: &str = "
SELECT pg_advisory_xact_lock(7400001);
CREATE UNLOGGED TABLE IF NOT EXISTS node_payloads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);";

/// What travels between nodes.
#[derive(Debug, Serialize, Deserialize)]
enum Body {
    Event(Event),
    Change(Change),
    /// The message is in `node_payloads` under this ID.
    Stored(i64),
}

#[derive(Debug, Deserialize)]
struct Note {
    /// The sending node, so it can skip its own.
    node: u64,
    body: Body,
}

/// A [`Note`] as written.
#[derive(Serialize)]
struct NoteOut<'a> {
    node: u64,
    body: &'a Body,
}

#[derive(Debug, thiserror::Error)]
enum NodesError {
    #[error("PostgreSQL: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("message not encoded: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the listening connection ended")]
    Ended,
    #[error("stored message already deleted")]
    Gone,
}

/// What the listener hands on to this node.
struct Shared {
    node: u64,
    local: broadcast::Sender<Arc<Event>>,
    /// This node's caches, once the use cases exist (see [`PgNodes::invalidation`]).
    caches: std::sync::OnceLock<Arc<Caches>>,
    /// Bumped each time the listener is (again) listening.
    listening: watch::Sender<u64>,
    /// The listening connection's server process (tests end it to see a reconnect).
    listener_pid: AtomicI32,
}

impl Shared {
    /// Changes stopped being heard: the caches serve nothing until they are again.
    fn distrust_caches(&self) {
        if let Some(c) = self.caches.get() {
            c.set_bypass(true);
            c.clear();
        }
    }

    /// Changes are heard again; whatever was cached before may have missed some.
    fn trust_caches(&self) {
        if let Some(c) = self.caches.get() {
            c.clear();
            c.set_bypass(false);
        }
    }

    fn apply(&self, body: Body) {
        match body {
            Body::Event(e) => {
                let _ = self.local.send(Arc::new(e));
            }
            Body::Change(c) => {
                if let Some(caches) = self.caches.get() {
                    caches.changed(&c);
                }
            }
            Body::Stored(_) => tracing::warn!("a stored payload named another; ignored"),
        }
    }
}

/// One node's link to the others. Dropping the last handle (the bus and the
/// invalidation hold one each) stops its tasks.
pub struct PgNodes {
    shared: Arc<Shared>,
    out: mpsc::Sender<Body>,
    stopper: watch::Sender<bool>,
}

impl std::fmt::Debug for PgNodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNodes")
            .field("node", &self.shared.node)
            .finish_non_exhaustive()
    }
}

impl PgNodes {
    /// Connects to the region's database (`url`, as for [`super::PgStore::connect`]),
    /// and returns once this node is listening.
    pub async fn connect(url: &str) -> StoreResult<Arc<PgNodes>> {
        let config: Config = url.parse().map_err(backend)?;
        let sender = connect(&config).await.map_err(backend)?;
        sender
            .batch_execute(&format!("BEGIN;{SETUP}COMMIT;"))
            .await
            .map_err(backend)?;
        let (stop_tx, stop) = watch::channel(false);
        let shared = Arc::new(Shared {
            node: rand::random(),
            local: broadcast::channel(LOCAL_CAPACITY).0,
            caches: std::sync::OnceLock::new(),
            listening: watch::channel(0).0,
            listener_pid: AtomicI32::new(0),
        });
        let (out, rx) = mpsc::channel(OUT_CAPACITY);
        let mut listening = shared.listening.subscribe();
        tokio::spawn(send_loop(
            shared.node,
            config.clone(),
            sender,
            rx,
            stop.clone(),
        ));
        tokio::spawn(listen_loop(shared.clone(), config, stop));
        // The first attempt's failure is retried like a drop; the caller waits for it.
        listening
            .wait_for(|n| *n > 0)
            .await
            .map_err(|_| backend(NodesError::Ended))?;
        Ok(Arc::new(PgNodes {
            shared,
            out,
            stopper: stop_tx,
        }))
    }

    /// Stops its tasks now (their connections close), whoever still holds a handle:
    /// what is sent afterwards is dropped, as when the last handle goes.
    pub fn stop(&self) {
        let _ = self.stopper.send(true);
    }

    /// This node's event bus.
    pub fn bus(self: &Arc<Self>) -> Arc<dyn EventBus> {
        Arc::new(PgBus(self.clone()))
    }

    /// The invalidation for this node's use cases: drops from `caches` and tells the
    /// other nodes, whose listeners drop from theirs.
    pub fn invalidation(self: &Arc<Self>, caches: Arc<Caches>) -> Arc<dyn Invalidation> {
        if self.shared.caches.set(caches.clone()).is_err() {
            tracing::warn!("node link already feeds other caches; these are fed locally only");
        }
        Arc::new(PgInvalidation {
            nodes: self.clone(),
            caches,
        })
    }

    /// How many times the listener has started listening (1 after connecting).
    pub fn listening_count(&self) -> u64 {
        *self.shared.listening.borrow()
    }

    /// Waits until the listener has started listening more than `count` times.
    pub async fn listening_after(&self, count: u64) {
        let mut rx = self.shared.listening.subscribe();
        let _ = rx.wait_for(|n| *n > count).await;
    }

    /// The server process of the listening connection.
    pub fn listener_pid(&self) -> i32 {
        self.shared.listener_pid.load(Ordering::SeqCst)
    }

    fn send(&self, body: Body) {
        if let Err(e) = self.out.try_send(body) {
            tracing::warn!(error = %e, "message for the other nodes dropped: sender behind");
        }
    }
}

/// [`PgNodes`] as the hub's bus.
struct PgBus(Arc<PgNodes>);

impl EventBus for PgBus {
    fn publish(&self, event: Event) {
        // Content must not leave the process: each node is pushed transit posts itself.
        if !matches!(event, Event::Transit(_)) {
            self.0.send(Body::Event(event.clone()));
        }
        let _ = self.0.shared.local.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.0.shared.local.subscribe()
    }

    fn spans_nodes(&self) -> bool {
        true
    }
}

/// [`PgNodes`] as the use cases' invalidation.
struct PgInvalidation {
    nodes: Arc<PgNodes>,
    caches: Arc<Caches>,
}

impl Invalidation for PgInvalidation {
    fn changed(&self, change: &Change) {
        self.caches.changed(change);
        self.nodes.send(Body::Change(change.clone()));
    }
}

async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "node sender connection ended");
        }
    });
    Ok(client)
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Sends each message in order; on failure the message is lost (logged) and the next
/// one reconnects.
async fn send_loop(
    node: u64,
    config: Config,
    client: Client,
    mut rx: mpsc::Receiver<Body>,
    mut stop: watch::Receiver<bool>,
) {
    let mut client = Some(client);
    loop {
        let body = tokio::select! {
            b = rx.recv() => match b {
                Some(b) => b,
                None => return,
            },
            _ = stop.changed() => return,
        };
        if client.as_ref().is_none_or(|c| c.is_closed()) {
            client = match connect(&config).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "node sender cannot connect; message lost");
                    continue;
                }
            };
        }
        let Some(c) = client.as_mut() else { continue };
        if let Err(e) = send_one(c, node, body).await {
            tracing::warn!(error = %e, "message for the other nodes not sent; lost");
        }
    }
}

async fn send_one(c: &mut Client, node: u64, body: Body) -> Result<(), NodesError> {
    let note = serde_json::to_string(&NoteOut { node, body: &body })?;
    if note.len() <= INLINE_MAX {
        c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &note])
            .await?;
        return Ok(());
    }
    // The notification is delivered at commit, when the row is visible to the readers.
    let stored = serde_json::to_string(&body)?;
    let tx = c.transaction().await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO node_payloads (body, created_ms) VALUES ($1, $2) RETURNING id",
            &[&stored, &now_ms()],
        )
        .await?
        .get(0);
    let small = serde_json::to_string(&NoteOut {
        node,
        body: &Body::Stored(id),
    })?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &small])
        .await?;
    let old = now_ms() - KEEP_PAYLOADS.as_millis() as i64;
    tx.execute("DELETE FROM node_payloads WHERE created_ms < $1", &[&old])
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Listens until stopped, reconnecting whenever the connection drops.
async fn listen_loop(shared: Arc<Shared>, config: Config, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match listen(&shared, &config, &mut stop, &mut backoff).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "node listener lost its connection; reconnecting (other nodes' live events \
                     meanwhile are missed; caches are bypassed until it listens again)"
                );
                shared.distrust_caches();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One listening connection's life: Ok when stopped, an error when it ended.
async fn listen(
    shared: &Shared,
    config: &Config,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Duration,
) -> Result<(), NodesError> {
    let (client, mut conn) = config.connect(NoTls).await?;
    let (ntx, mut nrx) = mpsc::unbounded_channel();
    // The connection yields notifications only when polled for messages.
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if ntx.send(n).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "node listener connection failed");
                    return;
                }
            }
        }
    });
    let result = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await?
            .get(0);
        shared.listener_pid.store(pid, Ordering::SeqCst);
        // Whatever changed while this node was not listening went unheard.
        shared.trust_caches();
        shared.listening.send_modify(|n| *n += 1);
        *backoff = Duration::from_millis(50);
        loop {
            let n = tokio::select! {
                n = nrx.recv() => n.ok_or(NodesError::Ended)?,
                _ = stop.changed() => return Ok(()),
            };
            receive(shared, &client, n.payload()).await;
        }
    }
    .await;
    driver.abort();
    result
}

async fn receive(shared: &Shared, client: &Client, payload: &str) {
    let note: Note = match serde_json::from_str(payload) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable message from another node; skipped");
            return;
        }
    };
    if note.node == shared.node {
        return;
    }
    let body = match note.body {
        Body::Stored(id) => match fetch(client, id).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, id, "stored message from another node lost");
                return;
            }
        },
        b => b,
    };
    shared.apply(body);
}

async fn fetch(client: &Client, id: i64) -> Result<Body, NodesError> {
    let row = client
        .query_opt("SELECT body FROM node_payloads WHERE id = $1", &[&id])
        .await?
        .ok_or(NodesError::Gone)?;
    Ok(serde_json::from_str(row.get::<_, &str>(0))?)
}
