//! roost-server: wires a region together — config, storage, keys, the use cases and the
//! HTTP routes — and runs it. `main.rs` is the `roost` command line over this library;
//! integration tests start servers through [`start`] on port 0.

pub mod audit;
pub mod backup;
pub mod cluster_cmd;
pub mod config;
pub mod demo;
pub mod emoji_cmd;
pub mod keys;
pub mod keys_cmd;
mod nodes;
pub mod serve;

use config::Config;
use roost_api::AppState;
use roost_core::{IdGen, Roost, RoostConfig};
use roost_federation::{FedState, Federation, Gate, OutboxSettings};
use roost_residency::{Cluster, Ledger, PublicKey};
use roost_store::{PgOptions, PgStore, RegionStore, SqliteOptions, SqliteStore};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data dir {0}")]
    DataDir(std::path::PathBuf, #[source] std::io::Error),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("cannot open the database")]
    Store(#[from] roost_core::store::StoreError),
    #[error("cannot listen on {0}")]
    Listen(SocketAddr, #[source] std::io::Error),
    #[error("cannot open the transfer ledger")]
    Ledger(#[from] roost_residency::LedgerError),
    #[error("cannot reach the media bucket")]
    Media(#[source] roost_core::media::BlobError),
    #[error("this region's key ({key_id}) is not listed for region {region} in the cluster file")]
    KeyNotInCluster { region: String, key_id: String },
    #[error("all {0} node numbers of this region are held by running nodes")]
    NoNodeNumber(u16),
    #[error("cannot open the region's key-encryption key")]
    Kek(#[source] roost_residency::KeyError),
    #[error(transparent)]
    Lock(#[from] backup::LockError),
}

/// Opens the region's store: the SQLite file in its data dir (creating both on first
/// start), or the PostgreSQL database the config names. Either way migrations run first.
pub async fn open_store(cfg: &Config) -> Result<RegionStore, StartError> {
    keys::create_private_dir(&cfg.data_dir)
        .map_err(|e| StartError::DataDir(cfg.data_dir.clone(), e))?;
    let keyring = keys::keyring(cfg).map_err(StartError::Kek)?;
    open_store_with(cfg, keyring).await
}

/// [`open_store`] with a keyring the caller already opened.
pub async fn open_store_with(
    cfg: &Config,
    keyring: std::sync::Arc<roost_residency::Keyring>,
) -> Result<RegionStore, StartError> {
    keys::create_private_dir(&cfg.data_dir)
        .map_err(|e| StartError::DataDir(cfg.data_dir.clone(), e))?;
    let store = match &cfg.database {
        config::Database::Sqlite => {
            let opts = SqliteOptions {
                synchronous_full: cfg.sqlite_sync_full,
                keys: Some(keyring),
                ..SqliteOptions::default()
            };
            RegionStore::Sqlite(SqliteStore::open(&cfg.data_dir.join("roost.sqlite"), opts).await?)
        }
        config::Database::Postgres {
            url,
            max_connections,
        } => {
            let opts = PgOptions {
                max_connections: *max_connections,
                keys: Some(keyring),
            };
            RegionStore::Postgres(PgStore::connect(url, opts).await?)
        }
    };
    store.check_keys().await?;
    Ok(store)
}

/// The use-case settings, once the public address is known.
pub fn roost_config(cfg: &Config, bound: SocketAddr) -> RoostConfig {
    let domain = cfg.domain.clone().unwrap_or_else(|| bound.to_string());
    let base_url = cfg
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{domain}"));
    RoostConfig {
        region: cfg.region.clone(),
        region_number: cfg.region_number,
        domain,
        base_url,
        max_status_chars: cfg.max_status_chars,
        registrations_open: cfg.registrations_open,
        approval_required: cfg.registrations_approval,
        time_zone: cfg.time_zone.clone(),
        title: cfg.title.clone(),
        description: cfg.description.clone(),
        contact_email: cfg.contact_email.clone(),
        extended_description: cfg.extended_description.clone(),
        privacy_policy: cfg.privacy_policy.clone(),
        terms_of_service: cfg.terms_of_service.clone(),
        cluster: Arc::new(Cluster::default()),
        limits: cfg.limits,
        media_base_url: cfg.media_base_url.clone(),
        emojis: Default::default(),
    }
}

/// How often a server reads the custom emoji again from its store.
pub const EMOJI_RELOAD: Duration = Duration::from_secs(30);

/// The region's media processing and file storage (its directory or its S3 bucket).
pub async fn media_ports(
    cfg: &Config,
    keys: &keys::RegionKeys,
) -> Result<roost_core::usecase::MediaPorts, StartError> {
    let blobs: Arc<dyn roost_core::media::BlobStore> = match &cfg.media_s3 {
        Some(s3) => {
            let store = roost_media::S3BlobStore::new(s3).map_err(StartError::Media)?;
            store.create_bucket().await.map_err(StartError::Media)?;
            Arc::new(store)
        }
        None => Arc::new(roost_media::FsBlobStore::new(cfg.data_dir.join("media"))),
    };
    Ok(roost_core::usecase::MediaPorts {
        processor: Arc::new(roost_media::Pipeline::per_core()),
        blobs,
        signer: keys::media_url_signer(keys),
        limits: roost_core::media::MediaLimits::default(),
    })
}

/// A running region.
pub struct Running {
    pub addr: SocketAddr,
    pub base_url: String,
    pub roost: Arc<Roost>,
    pub fed: Arc<Federation>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, flushes view counts, closes the store.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds, starts serving in the background and returns at once.
/// Logs to stderr, filtered by `RUST_LOG` (default: info, with sqlx and request traces
/// quieted); for the binaries' `main`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")
            }),
        )
        .init();
}

pub async fn start(cfg: Config) -> Result<Running, StartError> {
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    start_on(cfg, listener).await
}

/// The region's federation for an offline command (`roost admin delete-account`): its
/// ledger and gate over the store, so that what the command queues waits in the durable
/// outbox for the running region's worker. Nothing is sent from here but a move's
/// transfer (`roost admin move-account`), which must be answered before the erasure.
pub async fn offline_federation(
    cfg: &Config,
    store: &RegionStore,
    cluster: Arc<Cluster>,
    number: Option<Arc<roost_core::id::NodeNumber>>,
) -> Result<Arc<Federation>, StartError> {
    let keys = keys::load_or_create(&cfg.data_dir)?;
    federation(cfg, store, cluster, &keys, number, None).await
}

/// The region's ledger, gate and federation over its store; outbox and activity IDs are
/// minted under the node's number when it has one.
async fn federation(
    cfg: &Config,
    store: &RegionStore,
    cluster: Arc<Cluster>,
    keys: &keys::RegionKeys,
    number: Option<Arc<roost_core::id::NodeNumber>>,
    inter_region_delay: Option<Duration>,
) -> Result<Arc<Federation>, StartError> {
    let ledger =
        Arc::new(Ledger::open(cfg.region.clone(), keys.signing.clone(), store.ledger()).await?);
    let gate = Arc::new(Gate::new(
        cfg.region.clone(),
        cluster,
        ledger,
        store.store(),
        keys.signing.clone(),
        cfg.peer_timeout,
        inter_region_delay,
    ));
    let ids = match number {
        Some(n) => IdGen::on_node(cfg.region_number, n),
        None => IdGen::new(cfg.region_number),
    };
    Ok(Arc::new(Federation::new(
        gate,
        store.store(),
        ids,
        keys.public_pem(),
        cfg.transit_cache,
    )))
}

/// A node number for an offline command on PostgreSQL, whose IDs must not meet those of
/// the running nodes: held under a holder of its own (not the data dir's node ID, which a
/// running node may hold) while the returned sender lives.
pub async fn offline_node_number(
    store: &RegionStore,
) -> Result<(Option<Arc<roost_core::id::NodeNumber>>, watch::Sender<bool>), StartError> {
    let (tx, rx) = watch::channel(false);
    let holder = format!("offline-{:016x}", rand::random::<u64>());
    Ok((nodes::take_node_number(store, &holder, rx).await?, tx))
}

/// Runs the request's handler in a task of its own, so that it ends even if the client
/// goes away: hyper drops a handler's future when the connection closes, and a use case
/// cut off between two writes would leave them apart (an inbound activity admitted and
/// marked handled but not applied, whose redelivery is then ignored; a post deleted here
/// but not queued to the regions that hold it). A panic goes on to the panic layer.
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled only when the runtime shuts down.
        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Like [`start`] on a listener bound by the caller (tests and `demo` bind every region's
/// port first, so that the cluster file can name them all).
pub async fn start_on(cfg: Config, listener: TcpListener) -> Result<Running, StartError> {
    let fd_limit = serve::raise_fd_limit();
    keys::create_private_dir(&cfg.data_dir)
        .map_err(|e| StartError::DataDir(cfg.data_dir.clone(), e))?;
    // Held until the store is closed: `roost restore` refuses while a region runs here.
    let data_dir_lock = backup::serve_lock(&cfg.data_dir)?;
    let keys = keys::load_or_create(&cfg.data_dir)?;
    let store = open_store(&cfg).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    let mut rcfg = roost_config(&cfg, addr);
    let public = PublicKey(keys.signing.verifying_key());
    let cluster = match &cfg.cluster {
        Some(c) => {
            let listed = c
                .region(&cfg.region)
                .is_some_and(|r| r.public_keys.contains(&public));
            if !listed {
                return Err(StartError::KeyNotInCluster {
                    region: cfg.region.clone(),
                    key_id: public.key_id(),
                });
            }
            c.clone()
        }
        None => Arc::new(Cluster::single(
            cfg.region.clone(),
            cfg.region_number,
            rcfg.base_url.clone(),
            cfg.time_zone.iana_name().unwrap_or("UTC").to_string(),
            public,
        )),
    };
    rcfg.cluster = cluster.clone();
    let base_url = rcfg.base_url.clone();
    let store_arc = store.store();
    let (tx, rx) = watch::channel(false);
    // Decided once, before the loops that use it start: two loops each making the file
    // could take different IDs.
    let node = node_id(&cfg.data_dir);
    let number = nodes::take_node_number(&store, &node, rx.clone()).await?;
    let fed = federation(
        &cfg,
        &store,
        cluster,
        &keys,
        number.clone(),
        cfg.inter_region_delay,
    )
    .await?;
    let media = media_ports(&cfg, &keys).await?;
    let roost = Roost::new(store_arc.clone(), rcfg, fed.clone()).with_media(media);
    let roost = Arc::new(nodes::join(roost, &store, &cfg, &keys, number, rx.clone()).await?);
    let blocks: std::sync::Weak<dyn roost_federation::gate::RegionBlocks> =
        Arc::downgrade(&roost) as _;
    fed.gate().watch_region_blocks(blocks);
    // Served from memory: loaded before the first request, then every EMOJI_RELOAD (an
    // admin command run in another process changes only the store).
    if let Err(e) = roost.reload_emojis().await {
        tracing::error!(error = %e, "custom emoji not loaded; retried on the next reload");
    }
    // The index is a copy of the store in the same data dir; one that cannot be opened
    // is rebuilt from the store (search is down meanwhile, posting is not).
    let index_queue = match roost_search::TantivyIndex::open(&cfg.data_dir.join("search")) {
        Ok((index, fresh)) => {
            if fresh {
                tracing::info!("search index created; it is built from the store");
            }
            roost.attach_search(Arc::new(index))
        }
        Err(e) => {
            tracing::error!(error = %e, "search index unavailable");
            None
        }
    };
    tracing::info!(region = %cfg.region, %addr, key_id = %public.key_id(), store = store.backend_name(), "region ready");

    let state = AppState {
        roost: roost.clone(),
        fed: fed.clone(),
        max_body_bytes: cfg.max_body_bytes,
        media_ready_wait: cfg.media_ready_wait,
    };
    let fed_routes = roost_federation::routes(FedState {
        roost: roost.clone(),
        fed: fed.clone(),
        max_skew_secs: cfg.signature_skew_secs,
    });
    let web = roost_web::router(roost_web::WebState::new(roost.clone(), fed.clone()));
    let mut api = roost_api::router(state);
    if cfg.bench_static_route {
        api = api.route("/health/static", axum::routing::get(bench_static));
    }
    let app = fed_routes
        .merge(api)
        .merge(web)
        .method_not_allowed_fallback(roost_web::error::method_not_allowed)
        .fallback(roost_web::error::fallback)
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        // After the panic handler, so that a panic on a page also becomes a page.
        .layer(axum::middleware::from_fn(roost_web::error::error_shape))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    // The path only: query strings carry secrets (stream tokens, and
                    // whatever a client wrongly puts there), which logs must not keep.
                    tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .layer(tower_http::cors::CorsLayer::permissive());
    // Trailing slashes are trimmed before routing, so `/api/v1/instance/` works too.
    let app = NormalizePathLayer::trim_trailing_slash().layer(app);

    let flusher = {
        let roost = roost.clone();
        let mut rx = rx.clone();
        let every = Duration::from_secs(cfg.view_flush_secs);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = rx.changed() => break,
                }
                if let Err(e) = roost.flush_views().await {
                    tracing::warn!(error = %e, "view flush failed; counts kept for the next try");
                }
            }
        })
    };
    // Scheduled posts and ended polls: at start (what fell due while down), then on a
    // timer. Both are exactly-once by their own writes, so a run cut short is redone.
    // Once per region: of the nodes on one database, the lease's holder runs them.
    let jobs = {
        let roost = roost.clone();
        let lease = JobLease::new("scheduled-and-polls", cfg.jobs_every, node.clone());
        lease.spawn(store_arc.clone(), rx.clone(), move || {
            let roost = roost.clone();
            async move {
                if let Err(e) = roost.publish_due_scheduled().await {
                    tracing::warn!(error = %e, "publishing scheduled posts failed; retried next run");
                }
                if let Err(e) = roost.finish_ended_polls().await {
                    tracing::warn!(error = %e, "announcing ended polls failed; retried next run");
                }
            }
        })
    };
    let emoji_reloader = {
        let roost = roost.clone();
        let mut rx = rx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(EMOJI_RELOAD) => {}
                    _ = rx.changed() => break,
                }
                if let Err(e) = roost.reload_emojis().await {
                    tracing::warn!(error = %e, "reloading custom emoji failed; the last set stays");
                }
            }
        })
    };
    let live = tokio::spawn(roost_core::live::run(roost.clone(), rx.clone()));
    let live_push = tokio::spawn(fed.clone().run_live_push(rx.clone()));
    let outbox = {
        let settings = OutboxSettings {
            retry_base: cfg.outbox_retry,
            give_up_after: cfg.outbox_give_up,
            ..OutboxSettings::default()
        };
        tokio::spawn(fed.clone().run_outbox(settings, rx.clone()))
    };
    let indexer = index_queue.map(|q| {
        tokio::spawn(
            roost
                .clone()
                .run_indexer(q, cfg.search_reconcile, rx.clone()),
        )
    });
    // This region as a witness of the others' ledgers: once per region, like the jobs.
    let witness = {
        let fed = fed.clone();
        let shutdown = rx.clone();
        let lease = JobLease::new("ledger-witness", cfg.witness_every, node.clone());
        lease.spawn(store_arc.clone(), rx.clone(), move || {
            let (fed, mut shutdown) = (fed.clone(), shutdown.clone());
            async move {
                // A round waits on other regions: shutdown does not.
                tokio::select! {
                    results = fed.witness_round() => {
                        for (region, r) in results {
                            log_witnessed(&region, r);
                        }
                    }
                    _ = shutdown.changed() => {}
                }
            }
        })
    };

    let purger = {
        let roost = roost.clone();
        let lease = JobLease::new("retention-purge", cfg.purge_every, node.clone());
        lease.spawn(store_arc.clone(), rx.clone(), move || {
            let roost = roost.clone();
            async move {
                match roost.purge_expired(jiff::Timestamp::now()).await {
                    Ok(p) if p.items == 0 => {}
                    Ok(p) => {
                        tracing::info!(items = p.items, "retention purge removed foreign items")
                    }
                    Err(e) => tracing::warn!(error = %e, "retention purge failed"),
                }
            }
        })
    };

    // Moves a stopped process left half done: the account is marked moving and its
    // writes are refused until the move is finished or abandoned.
    let mover = {
        let roost = roost.clone();
        let after = cfg.move_resume_after;
        let lease = JobLease::new("unfinished-moves", cfg.purge_every, node);
        lease.spawn(store_arc.clone(), rx.clone(), move || {
            let roost = roost.clone();
            async move {
                let before = jiff::Timestamp::now() - after;
                match roost.resume_unfinished_moves(before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(moves = n, "unfinished moves finished"),
                    Err(e) => tracing::warn!(error = %e, "finishing unfinished moves failed"),
                }
            }
        })
    };

    let limits = serve::Limits {
        max_connections: serve::connection_cap(cfg.max_connections, fd_limit),
        header_timeout: cfg.header_timeout,
        idle_timeout: cfg.idle_timeout,
    };
    let task = {
        let roost = roost.clone();
        tokio::spawn(async move {
            serve::serve(listener, app, limits, rx).await;
            let _ = flusher.await;
            let _ = jobs.await;
            let _ = emoji_reloader.await;
            let _ = live.await;
            let _ = live_push.await;
            let _ = purger.await;
            let _ = mover.await;
            let _ = witness.await;
            if let Some(i) = indexer {
                let _ = i.await;
            }
            // Last flush after the last request: no view of a clean shutdown is lost.
            // Views of foreign posts go to the outbox, which is durable.
            match roost.flush_views().await {
                Ok(n) => tracing::info!(rows = n, "view counts flushed"),
                Err(e) => tracing::error!(error = %e, "final view flush failed"),
            }
            let _ = outbox.await;
            store.close().await;
            drop(data_dir_lock);
        })
    };
    Ok(Running {
        addr,
        base_url,
        roost,
        fed,
        shutdown: tx,
        task,
    })
}

/// What one look at another region's ledger came to, in the log: a conflict loudly (the
/// evidence is kept and the audit reports it), an unreachable region quietly (it is looked
/// at again next round).
fn log_witnessed(
    region: &str,
    r: Result<roost_federation::witness::Witnessed, roost_federation::witness::WitnessError>,
) {
    use roost_federation::witness::Witnessed;
    match r {
        Ok(Witnessed::Cosigned(size)) => tracing::debug!(region, size, "cosigned ledger head"),
        Ok(Witnessed::Unchanged(_)) => {}
        Ok(Witnessed::Conflict { kind, recorded }) => tracing::error!(
            region,
            %kind,
            recorded,
            "ledger head conflicts with the one this region cosigned; kept as evidence"
        ),
        Ok(Witnessed::NotSigned(why)) => {
            tracing::warn!(region, %why, "served ledger head is not the region's; ignored")
        }
        Err(e) => {
            tracing::info!(region, error = %roost_core::error::chain(&e), "ledger head not witnessed this round")
        }
    }
}

/// This node's hold on one periodic job (`JobLeaseStore`). The lease outlasts a few
/// rounds, so the holder keeps it by renewing each round, and another node takes over
/// within those rounds if the holder stops.
struct JobLease {
    job: &'static str,
    /// How often a round runs.
    every: Duration,
    /// The node's ID, kept in its data dir: a node restarted after a crash is the same
    /// holder and goes on at once instead of waiting out its own lease.
    holder: String,
    length: Duration,
}

impl JobLease {
    fn new(job: &'static str, every: Duration, holder: String) -> JobLease {
        JobLease {
            job,
            every,
            holder,
            length: every.saturating_mul(3).max(Duration::from_secs(1)),
        }
    }

    /// Takes or renews the lease; false (this round is another node's) if it is held
    /// elsewhere or the store cannot say.
    async fn hold(&self, store: &dyn roost_core::store::Store) -> bool {
        let now = jiff::Timestamp::now();
        let until = jiff::SignedDuration::try_from(self.length)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(jiff::Timestamp::MAX);
        match store.take_lease(self.job, &self.holder, now, until).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(job = self.job, error = %e, "job lease not taken; skipping this round");
                false
            }
        }
    }

    /// Runs `round` every `every` while this node holds the lease, from now until
    /// shutdown, then lets the lease go.
    fn spawn<F, Fut>(
        self,
        store: Arc<dyn roost_core::store::Store>,
        mut shutdown: watch::Receiver<bool>,
        mut round: F,
    ) -> tokio::task::JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        tokio::spawn(async move {
            loop {
                if self.hold(store.as_ref()).await {
                    round().await;
                }
                tokio::select! {
                    _ = tokio::time::sleep(self.every) => {}
                    _ = shutdown.changed() => break,
                }
            }
            self.release(store.as_ref()).await;
        })
    }

    /// On shutdown: another node need not wait for the lease to run out.
    async fn release(&self, store: &dyn roost_core::store::Store) {
        if let Err(e) = store.release_lease(self.job, &self.holder).await {
            tracing::warn!(job = self.job, error = %e, "job lease not released; it runs out");
        }
    }
}

/// This node's ID among the region's nodes (`<data dir>/node-id`, made on first use).
/// Nodes sharing a database each have a data dir of their own, so each its own ID.
fn node_id(data_dir: &std::path::Path) -> String {
    use std::io::Write;
    let path = data_dir.join("node-id");
    let read = || {
        std::fs::read_to_string(&path)
            .ok()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
    };
    if let Some(id) = read() {
        return id;
    }
    let id = format!("{:016x}", rand::random::<u64>());
    // `create_new`: of two loops starting at once, the first one's ID is the node's.
    match std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| f.write_all(id.as_bytes()))
    {
        Ok(()) => id,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read().unwrap_or(id),
        Err(e) => {
            tracing::warn!(error = %e, "node ID not saved; this process's ID is used until restart");
            id
        }
    }
}

#[derive(serde::Deserialize)]
struct StaticBytes {
    #[serde(default)]
    bytes: usize,
}

/// A JSON body of about `bytes` bytes (at most 1 MiB), built per request as a handler
/// would, with no store behind it: the benchmark's "same bytes" ceiling.
async fn bench_static(
    axum::extract::Query(q): axum::extract::Query<StaticBytes>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let n = q.bytes.min(1 << 20);
    let body = format!("[\"{}\"]", "x".repeat(n.saturating_sub(4)));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("handler panicked");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({ "error": "Internal server error" })),
    )
        .into_response()
}
