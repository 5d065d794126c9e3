//! roost-bench: builds a data set, starts a release roost and measures it over real HTTP
//! against the machine's own ceiling.
//!
//! `roost-bench --preset small` builds the data set into a fresh data dir, starts
//! `roost serve` on it in its own process, drives each scenario from this process with many
//! connections, and writes `results.md`, `results.json` and `results.svg` to the output
//! folder. `roost-bench serve ...` runs a region in this binary (same flags as
//! `roost serve`), so the smoke test needs no separately built `roost`.
//! `roost-bench fault [--quick]` runs the load-and-fault scenarios (see RELIABILITY.md).

mod cross;
mod dataset;
mod fault;
mod load;
mod report;
mod server;
mod streaming;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use load::{Job, MakeJob, Outcome};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use report::{mib, Fanout, OpenLoop, Report, Row, Target, Views};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "roost-bench", about = "Load benchmark of a roost region")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    opts: Options,
}

#[derive(Subcommand)]
// Parsed once at start: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Runs a region in this process, like `roost serve`.
    #[command(hide = true)]
    Serve(#[command(flatten)] roost_server::config::Settings),
    /// Load-and-fault scenarios (kill -9, a region down, floods, slow clients, bad input).
    Fault(fault::FaultOptions),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Preset {
    /// A few hundred accounts: a smoke test, not a measurement.
    Tiny,
    /// 10k accounts, 200k posts, 500k follows.
    Small,
    /// 100k accounts, 1M posts, 5M follows.
    Large,
}

#[derive(clap::Args, Clone, Debug)]
struct Options {
    #[arg(long, value_enum, default_value = "small")]
    preset: Preset,
    /// Output folder (default `bench-results/PRESET`); its `data` subfolder is replaced.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The `roost` binary to start (default: `roost` next to this executable).
    #[arg(long)]
    roost_bin: Option<PathBuf>,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Unmeasured seconds before each scenario.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Concurrent connections of the closed-loop runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Only these scenarios (comma-separated names as in the table); default all.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    #[arg(long)]
    skip_cross_region: bool,
    #[arg(long, default_value_t = 100)]
    inter_region_delay_ms: u64,
    /// Sequential home-timeline reads per cross-region setup.
    #[arg(long, default_value_t = 50)]
    cross_requests: usize,
    /// Extra flags for `roost serve`, e.g. `--server-arg=--sqlite-sync-full=false`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Idle WebSocket streams held open in the streaming scenario.
    #[arg(long, default_value_t = 10_000)]
    idle_sockets: usize,
    /// Followers connected to their user stream while their author posts.
    #[arg(long, default_value_t = 1_000)]
    stream_followers: usize,
    /// Posts timed in the streaming scenario.
    #[arg(long, default_value_t = 50)]
    stream_posts: usize,
    /// Runs the region on this PostgreSQL database instead of SQLite: the data set is
    /// built in SQLite, then copied in with `roost admin migrate-store` (so the database
    /// must be empty). The fan-out, view-count check and streaming scenarios read the
    /// SQLite file and are left out, and so are the cross-region setups.
    #[arg(long)]
    database: Option<String>,
    /// Nodes of the region on `--database` (each its own process and data dir); the load
    /// is spread over them at random, request by request.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
}

fn shape(p: Preset) -> dataset::Shape {
    let (accounts, posts, follows, fanned_out_posts) = match p {
        Preset::Tiny => (300, 3_000, 6_000, 3_000),
        Preset::Small => (10_000, 200_000, 500_000, 50_000),
        Preset::Large => (100_000, 1_000_000, 5_000_000, 100_000),
    };
    dataset::Shape {
        accounts,
        posts,
        follows,
        fanned_out_posts,
        zipf_s: 1.0,
        celebrity: true,
    }
}

fn main() -> anyhow::Result<()> {
    roost_server::init_logging();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Some(Command::Serve(settings)) => rt.block_on(serve(settings)),
        Some(Command::Fault(f)) => {
            let mut o = cli.opts;
            o.roost_bin = f.roost_bin.clone().or(o.roost_bin);
            let bin = roost_bin(&o)?;
            rt.block_on(fault::run(f, bin))
        }
        None => rt.block_on(bench(cli.opts)),
    }
}

async fn serve(settings: roost_server::config::Settings) -> anyhow::Result<()> {
    let cfg = roost_server::config::Config::load(None, settings)?;
    let running = roost_server::start(cfg).await.context("starting roost")?;
    println!("roost listening on {}", running.base_url);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    running.stop().await;
    Ok(())
}

fn roost_bin(o: &Options) -> anyhow::Result<PathBuf> {
    let bin = match &o.roost_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("executable has a folder")?
            .join("roost"),
    };
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release -p roost-server` \
             (same target dir), or pass --roost-bin",
            bin.display()
        );
    }
    Ok(bin)
}

/// Everything a scenario's requests are drawn from.
struct Ctx {
    /// One base URL per node.
    bases: Vec<String>,
    built: dataset::Built,
    /// Authors with about 100 followers.
    authors: Vec<usize>,
    /// Size of a home-timeline page as served, for the "same bytes" ceiling.
    home_bytes: usize,
}

impl Ctx {
    /// A node for the next request (draws nothing from `rng` with one node, so runs of
    /// one node repeat the same requests as before there could be several).
    fn base(&self, rng: &mut StdRng) -> &str {
        match self.bases.len() {
            1 => &self.bases[0],
            n => &self.bases[rng.gen_range(0..n)],
        }
    }
    fn token(&self, i: usize) -> &str {
        &self.built.tokens[i]
    }
    fn any_user(&self, rng: &mut StdRng) -> usize {
        rng.gen_range(0..self.built.accounts.len())
    }
    fn any_post(&self, rng: &mut StdRng) -> usize {
        rng.gen_range(0..self.built.posts.len())
    }
}

type Scenario = (&'static str, &'static str, MakeJob);

fn scenarios(ctx: &Arc<Ctx>) -> Vec<Scenario> {
    let make = |f: fn(&Ctx, &reqwest::Client, &mut StdRng) -> Job| -> MakeJob {
        let c = ctx.clone();
        Arc::new(move |h: &reqwest::Client, r: &mut StdRng| f(&c, h, r))
    };
    fn untagged(req: reqwest::RequestBuilder) -> Job {
        Job { req, tag: None }
    }
    let health = make(|c, h, r| untagged(h.get(format!("{}/health", c.base(r)))));
    let instance = make(|c, h, r| untagged(h.get(format!("{}/api/v1/instance", c.base(r)))));
    let same_bytes = make(|c, h, r| {
        untagged(h.get(format!(
            "{}/health/static?bytes={}",
            c.base(r),
            c.home_bytes
        )))
    });
    let home = make(|c, h, r| {
        untagged(
            h.get(format!("{}/api/v1/timelines/home?limit=20", c.base(r)))
                .bearer_auth(c.token(c.any_user(r))),
        )
    });
    let public =
        make(|c, h, r| untagged(h.get(format!("{}/api/v1/timelines/public?limit=20", c.base(r)))));
    let status = make(|c, h, r| {
        let p = c.any_post(r);
        Job {
            req: h.get(format!(
                "{}/api/v1/statuses/{}",
                c.base(r),
                c.built.posts[p]
            )),
            tag: Some(p as u32),
        }
    });
    let lookup = make(|c, h, r| {
        untagged(h.get(format!(
            "{}/api/v1/accounts/lookup?acct={}",
            c.base(r),
            c.built.usernames[c.any_user(r)]
        )))
    });
    let favourite = make(|c, h, r| {
        untagged(
            h.post(format!(
                "{}/api/v1/statuses/{}/favourite",
                c.base(r),
                c.built.posts[c.any_post(r)]
            ))
            .bearer_auth(c.token(c.any_user(r))),
        )
    });
    let reblog = make(|c, h, r| {
        untagged(
            h.post(format!(
                "{}/api/v1/statuses/{}/reblog",
                c.base(r),
                c.built.posts[c.any_post(r)]
            ))
            .bearer_auth(c.token(c.any_user(r))),
        )
    });
    let create = make(|c, h, r| {
        let a = c.authors[r.gen_range(0..c.authors.len())];
        let n: u64 = r.gen();
        untagged(
            h.post(format!("{}/api/v1/statuses", c.base(r)))
                .bearer_auth(c.token(a))
                .json(&serde_json::json!({ "status": format!("bench post {n:x}: hello from the load generator") })),
        )
    });
    // A third each: a word every post has, a post's own number, a tag of 1% of posts.
    let search = make(|c, h, r| {
        let q = match r.gen_range(0..3) {
            0 => "weather".to_string(),
            1 => format!("number {}", r.gen_range(0..c.built.posts.len())),
            _ => format!("%23topic{}", r.gen_range(0..100) * 10 + 1),
        };
        untagged(
            h.get(format!(
                "{}/api/v2/search?q={q}&type=statuses&limit=20",
                c.base(r)
            ))
            .bearer_auth(c.token(c.any_user(r))),
        )
    });
    vec![
        ("ceiling", "GET /health", health),
        (
            "same bytes as a home page",
            "GET /health/static?bytes=N",
            same_bytes,
        ),
        ("instance", "GET /api/v1/instance", instance),
        ("home timeline", "GET /api/v1/timelines/home?limit=20", home),
        (
            "public timeline",
            "GET /api/v1/timelines/public?limit=20",
            public,
        ),
        (
            "status fetch (counts a view)",
            "GET /api/v1/statuses/:id",
            status,
        ),
        (
            "account lookup",
            "GET /api/v1/accounts/lookup?acct=NAME",
            lookup,
        ),
        (
            "favourite",
            "POST /api/v1/statuses/:id/favourite",
            favourite,
        ),
        ("reblog", "POST /api/v1/statuses/:id/reblog", reblog),
        ("search", "GET /api/v2/search?q=...&type=statuses", search),
        (
            "create status (~100 followers)",
            "POST /api/v1/statuses",
            create,
        ),
    ]
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

async fn bench(mut o: Options) -> anyhow::Result<()> {
    let bin = roost_bin(&o)?;
    if o.nodes == 0 || (o.nodes > 1 && o.database.is_none()) {
        bail!("--nodes above 1 needs --database (nodes of one region share a PostgreSQL database)");
    }
    if o.database.is_some() {
        // These read the SQLite file or start regions of their own.
        o.only.retain(|n| n != "fan-out" && n != "streaming");
        o.skip_cross_region = true;
    }
    let preset = format!("{:?}", o.preset).to_lowercase();
    let out = o
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench-results").join(&preset));
    let data = out.join("data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let (cores, mem_kib) = server::machine();
    let mut rep = Report {
        command: std::env::args()
            .map(|a| {
                // Our own path is not part of the command worth recording.
                if a.contains('/') {
                    Path::new(&a)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or(a)
                } else {
                    a
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        preset: preset.clone(),
        cores,
        memory_gib: mem_kib as f64 / 1024.0 / 1024.0,
        load_average_before: server::load_average(),
        connections: o.connections,
        seconds_per_scenario: o.seconds,
        inter_region_delay_ms: o.inter_region_delay_ms,
        ..Report::default()
    };
    let sh = shape(o.preset);
    let db = data.join("roost.sqlite");
    let t = Instant::now();
    let built = dataset::build(&db, &sh, "local", 0, "u", o.seed).await?;
    rep.build_secs = t.elapsed().as_secs_f64();
    rep.home_timeline_rows = built.home_rows;
    rep.database_mib = mib(dir_size(&data) / 1024);
    rep.shape = Some(sh);
    eprintln!(
        "data set: {} accounts, {} posts, {} follows, {} home rows in {:.1} s",
        built.accounts.len(),
        built.posts.len(),
        built.follows,
        built.home_rows,
        rep.build_secs
    );

    // Every account opts in to search, so status searches return what they match.
    {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
        sqlx::query("UPDATE accounts SET indexable = 1")
            .execute(&pool)
            .await?;
        pool.close().await;
    }
    if let Some(url) = &o.database {
        let t = Instant::now();
        let out = std::process::Command::new(&bin)
            .arg("admin")
            .arg("--data-dir")
            .arg(&data)
            .args(["migrate-store", "--to", url])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "migrate-store: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "data set copied to PostgreSQL in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        // The rows are in the database now; the SQLite file must not be read again.
        std::fs::remove_file(&db)?;
    }
    let mut args: Vec<String> = vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--view-flush-secs".into(),
        "1".into(),
        "--bench-static-route=true".into(),
        // Room for the streaming scenario's idle sockets (the cap stays below the
        // open-files limit, whatever is asked for).
        "--max-connections".into(),
        (o.idle_sockets + 2 * o.connections + 1024).to_string(),
    ];
    if let Some(url) = &o.database {
        args.extend(["--database-url".into(), url.clone()]);
    }
    args.extend(o.server_args.iter().cloned());
    let node_args = |dir: &Path| {
        let mut a = vec!["--data-dir".to_string(), dir.to_string_lossy().into_owned()];
        a.extend(args.iter().cloned());
        a
    };
    let srv = server::Server::start(&bin, &node_args(&data), &out.join("server.log")).await?;
    // Further nodes: a data dir each, holding a copy of the region's keys.
    let mut others = Vec::new();
    for n in 2..=o.nodes {
        let dir = out.join(format!("data-node{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("keys"))?;
        for e in std::fs::read_dir(data.join("keys"))? {
            let e = e?;
            std::fs::copy(e.path(), dir.join("keys").join(e.file_name()))?;
        }
        let log = out.join(format!("server-node{n}.log"));
        others.push(server::Server::start(&bin, &node_args(&dir), &log).await?);
    }
    let sample = |srv: &server::Server, others: &[server::Server]| {
        server::Proc::sum(
            std::iter::once(srv)
                .chain(others)
                .map(|s| s.sample())
                .chain(o.database.as_ref().map(|_| server::Proc::postgres())),
        )
    };
    // Cold start: from spawning the process to the first answered home timeline (the
    // operating system's file cache is warm from building the data set).
    let first = reqwest::Client::new()
        .get(format!("{}/api/v1/timelines/home?limit=20", srv.base_url))
        .bearer_auth(&built.tokens[1])
        .send()
        .await?;
    anyhow::ensure!(
        first.status().is_success(),
        "first home timeline: {}",
        first.status()
    );
    first.bytes().await?;
    rep.cold_start_ms = srv.spawned.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "cold start: first home timeline answered {:.0} ms after spawn",
        rep.cold_start_ms
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    rep.server_rss_idle_mib = mib(srv.sample().rss_kib);
    // The search index is built from the store in the background at start: wait for it,
    // which gives the indexing rate. Always: measured while the index is being built, every
    // scenario's CPU per request included a share of the indexing (a fifth of the server's
    // CPU during the first scenarios on `small`).
    {
        // Pages of the store are indexed oldest first: once the newest post is found,
        // every post is.
        let last = built.posts.len() - 1;
        let deadline = Instant::now() + Duration::from_secs(3600);
        for base in std::iter::once(&srv).chain(&others).map(|s| &s.base_url) {
            let probe = format!("{base}/api/v2/search?q=number+{last}&type=statuses");
            loop {
                let r: serde_json::Value = reqwest::Client::new()
                    .get(&probe)
                    .bearer_auth(&built.tokens[0])
                    .send()
                    .await?
                    .json()
                    .await?;
                if r["statuses"].as_array().is_some_and(|a| !a.is_empty()) {
                    break;
                }
                anyhow::ensure!(Instant::now() < deadline, "the search index was not built");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let secs = srv.spawned.elapsed().as_secs_f64();
        let figures = report::SearchIndexFigures {
            posts: built.posts.len(),
            build_secs: secs,
            posts_per_sec: built.posts.len() as f64 / secs,
            index_mib: mib(dir_size(&data.join("search")) / 1024),
        };
        eprintln!(
            "search index: {} posts in {:.1} s ({:.0}/s), {:.1} MiB",
            figures.posts, figures.build_secs, figures.posts_per_sec, figures.index_mib
        );
        rep.search_index = Some(figures);
    }

    // Authors with about 100 followers (the account everyone follows is not one).
    let mut by_distance: Vec<usize> = (1..built.accounts.len()).collect();
    by_distance.sort_by_key(|i| (i64::from(built.followers[*i]) - 100).abs());
    let authors: Vec<usize> = by_distance.into_iter().take(200).collect();
    let a_f: Vec<u32> = authors.iter().map(|i| built.followers[*i]).collect();
    eprintln!(
        "status-creation authors: {} with {}..{} followers",
        authors.len(),
        a_f.iter().min().unwrap_or(&0),
        a_f.iter().max().unwrap_or(&0)
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.connections * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()?;
    // The "same bytes" ceiling serves as many bytes as one reader's home page, measured
    // once as served.
    let home_bytes = client
        .get(format!("{}/api/v1/timelines/home?limit=20", srv.base_url))
        .bearer_auth(built.tokens[1].as_str())
        .send()
        .await?
        .bytes()
        .await?
        .len();
    eprintln!("a home page is {home_bytes} bytes");
    let ctx = Arc::new(Ctx {
        bases: std::iter::once(&srv)
            .chain(&others)
            .map(|s| s.base_url.clone())
            .collect(),
        built,
        authors,
        home_bytes,
    });
    let warm = Duration::from_secs_f64(o.warmup);
    let dur = Duration::from_secs_f64(o.seconds);
    let wanted = |name: &str| o.only.is_empty() || o.only.iter().any(|x| x == name);
    let mut ceiling = 0.0;
    for (name, request, make) in scenarios(&ctx) {
        if !wanted(name) && name != "ceiling" {
            continue;
        }
        // Search is also run at 1 and 4 connections: unloaded latency apart from queueing.
        let conns: Vec<usize> = if name == "search" {
            let mut c = vec![1, 4, o.connections];
            c.dedup();
            c
        } else {
            vec![o.connections]
        };
        for conns in conns {
            let label = if conns == o.connections {
                name.to_string()
            } else {
                format!("{name} ({conns} conn)")
            };
            let before = sample(&srv, &others);
            let db_before = o.database.as_ref().map(|_| server::Proc::postgres());
            let res = load::closed_loop(&client, conns, warm, dur, make.clone(), o.seed).await;
            let after = sample(&srv, &others);
            let db_after = o.database.as_ref().map(|_| server::Proc::postgres());
            let rps = res.rate();
            if name == "ceiling" {
                ceiling = rps;
            }
            let answered = res.answered.max(1) as f64;
            let row = Row {
                scenario: label.clone(),
                request: request.into(),
                rps,
                p50_ms: res.ms(0.5),
                p99_ms: res.ms(0.99),
                p999_ms: res.ms(0.999),
                ok: res.ok,
                errors: res.errors,
                first_error: res.first_error.clone(),
                ratio_to_ceiling: if ceiling > 0.0 { rps / ceiling } else { 0.0 },
                server_rss_mib: mib(after.rss_kib),
                server_cpu_pct: before.cpu_percent_until(&after),
                server_cpu_us_per_req: before.cpu_us_until(&after) / answered,
                server_ctx_switches_per_req: after.ctx_switches.saturating_sub(before.ctx_switches)
                    as f64
                    / answered,
                server_write_kib_per_req: after.write_bytes.saturating_sub(before.write_bytes)
                    as f64
                    / 1024.0
                    / answered,
                database_cpu_us_per_req: db_before
                    .zip(db_after)
                    .map(|(b, a)| b.cpu_us_until(&a) / answered),
            };
            eprintln!(
            "{label:32} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  p99.9 {:>7.2} ms  cpu {:>5.0} us/req  ctx {:>5.1}/req  errors {}{}",
            row.rps,
            row.p50_ms,
            row.p99_ms,
            row.p999_ms,
            row.server_cpu_us_per_req,
            row.server_ctx_switches_per_req,
            row.errors,
            row.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
            if let Some(db) = row.database_cpu_us_per_req {
                eprintln!("{label:32} of which PostgreSQL {db:.0} us/req");
            }
            rep.rows.push(row);
            if conns != o.connections {
                continue;
            }
            if name == "status fetch (counts a view)" && o.database.is_none() {
                rep.views = Some(check_views(&client, &ctx, &db, &res).await?);
            }
            if name == "home timeline" && rps > 0.0 {
                // Latency at half of the peak rate, open loop.
                let rate = rps / 2.0;
                let r = load::open_loop(
                    &client,
                    rate,
                    warm,
                    dur,
                    4 * o.connections,
                    make.clone(),
                    o.seed + 1,
                )
                .await;
                let ol = OpenLoop {
                    scenario: name.into(),
                    rate,
                    achieved_rps: r.rate(),
                    p50_ms: r.ms(0.5),
                    p99_ms: r.ms(0.99),
                    p999_ms: r.ms(0.999),
                    errors: r.errors,
                };
                eprintln!(
                "home timeline open loop at {:.0} req/s: p50 {:.2} ms p99 {:.2} ms p99.9 {:.2} ms errors {}",
                ol.rate, ol.p50_ms, ol.p99_ms, ol.p999_ms, ol.errors
            );
                rep.open_loop.push(ol);
            }
        }
    }
    if wanted("fan-out") && o.database.is_none() {
        rep.fanout = Some(fanout(&client, &ctx, &db).await?);
    }
    if wanted("streaming") && o.database.is_none() {
        // This process holds one end of every socket too.
        rlimit::increase_nofile_limit(u64::MAX)?;
        let c = ctx.built.celebrity;
        rep.streaming = Some(
            streaming::run(
                &srv,
                &ctx.built.tokens,
                c,
                ctx.built.followers[c],
                o.idle_sockets,
                o.stream_followers.min(ctx.built.tokens.len() - 1),
                o.stream_posts,
            )
            .await?,
        );
    }
    rep.server_rss_peak_mib = mib(srv.sample().hwm_kib);
    srv.stop().await?;
    for s in others {
        s.stop().await?;
    }

    if !o.skip_cross_region {
        let co = cross::CrossOptions {
            bin: bin.clone(),
            root: out.join("regions"),
            delay_ms: o.inter_region_delay_ms,
            followed_per_region: 5,
            posts_each: 4,
            requests: o.cross_requests,
        };
        rep.cross_region = cross::run(&co).await?;
        for c in &rep.cross_region {
            eprintln!(
                "cross-region {:50} p50 {:>8.2} ms  p99 {:>8.2} ms  errors {}  regions {:?}",
                c.setup, c.p50_ms, c.p99_ms, c.errors, c.regions_seen
            );
        }
    }
    rep.load_average_after = server::load_average();
    rep.targets = targets(&rep);
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&rep)?,
    )?;
    std::fs::write(out.join("results.md"), rep.markdown())?;
    std::fs::write(out.join("results.svg"), rep.svg())?;
    println!("{}", rep.markdown());
    println!("written to {}", out.display());
    Ok(())
}

async fn read_db(db: &Path) -> anyhow::Result<sqlx::SqliteConnection> {
    use sqlx::Connection;
    // The running server writes (and checkpoints) the same file: a reader may briefly
    // meet its locks, so wait for them instead of failing with "database is locked".
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30));
    Ok(sqlx::SqliteConnection::connect_with(&opts).await?)
}

/// After a flush, every fetched status's stored total must equal its successful fetches.
async fn check_views(
    client: &reqwest::Client,
    ctx: &Ctx,
    db: &Path,
    res: &Outcome,
) -> anyhow::Result<Views> {
    // The server flushes every second; wait for two.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut conn = read_db(db).await?;
    let stored: Vec<(i64, i64)> = sqlx::query_as("SELECT status_id, total FROM status_views")
        .fetch_all(&mut conn)
        .await?;
    let stored: std::collections::HashMap<i64, i64> = stored.into_iter().collect();
    let mut exact = 0;
    let mut wrong = 0;
    for (p, n) in &res.tags {
        let id = ctx.built.posts[*p as usize].0;
        if stored.get(&id).copied().unwrap_or(0) == *n as i64 {
            exact += 1;
        } else {
            wrong += 1;
        }
    }
    // Stored counts for statuses never fetched would be wrong too.
    let fetched: std::collections::HashSet<i64> = res
        .tags
        .keys()
        .map(|p| ctx.built.posts[*p as usize].0)
        .collect();
    wrong += stored.keys().filter(|k| !fetched.contains(k)).count();
    let mut most: Vec<(&u32, &u64)> = res.tags.iter().collect();
    most.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut api_checked = 0;
    let mut api_exact = 0;
    for (p, n) in most.into_iter().take(20) {
        let v: serde_json::Value = client
            .get(format!(
                "{}/api/v1/statuses/{}",
                ctx.bases[0], ctx.built.posts[*p as usize]
            ))
            .send()
            .await?
            .json()
            .await?;
        api_checked += 1;
        // This read is a view too, shown in its own answer.
        if v["roost"]["views_total"].as_i64() == Some(*n as i64 + 1) {
            api_exact += 1;
        }
    }
    let v = Views {
        statuses_fetched: res.tags.len(),
        fetches: res.tags.values().sum(),
        exact_in_store: exact,
        mismatched_in_store: wrong,
        api_checked,
        api_exact,
    };
    eprintln!("views: {v:?}");
    Ok(v)
}

/// Posts by the account everyone follows; complete when the database holds a home-timeline
/// row for every follower and sampled followers read it over HTTP.
async fn fanout(client: &reqwest::Client, ctx: &Ctx, db: &Path) -> anyhow::Result<Fanout> {
    let b = &ctx.built;
    let author = b.celebrity;
    let followers = u64::from(b.followers[author]);
    let mut conn = read_db(db).await?;
    let mut f = Fanout {
        followers,
        post_ms: Vec::new(),
        complete_ms: Vec::new(),
        rows_found: Vec::new(),
    };
    let mut rng = StdRng::seed_from_u64(7);
    for n in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t0 = Instant::now();
        let v: serde_json::Value = client
            .post(format!("{}/api/v1/statuses", ctx.bases[0]))
            .bearer_auth(b.tokens[author].as_str())
            .json(&serde_json::json!({ "status": format!("fan-out test {n}") }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        f.post_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        let id = v["id"].as_str().context("status id")?.to_string();
        let id_num: i64 = id.parse()?;
        let sample: Vec<usize> = (0..20)
            .map(|_| rng.gen_range(1..b.accounts.len()))
            .collect();
        let until = t0 + Duration::from_secs(60);
        loop {
            let rows: i64 =
                sqlx::query_scalar("SELECT count(*) FROM home_timeline WHERE status_id = $1")
                    .bind(id_num)
                    .fetch_one(&mut conn)
                    .await?;
            let mut seen = 0;
            for u in &sample {
                let page: serde_json::Value = client
                    .get(format!("{}/api/v1/timelines/home?limit=1", ctx.bases[0]))
                    .bearer_auth(b.tokens[*u].as_str())
                    .send()
                    .await?
                    .json()
                    .await?;
                if page[0]["id"].as_str() == Some(id.as_str()) {
                    seen += 1;
                }
            }
            // Followers plus the author's own timeline.
            if rows as u64 == followers + 1 && seen == sample.len() {
                f.complete_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
                f.rows_found.push(rows as u64);
                break;
            }
            if Instant::now() > until {
                f.rows_found.push(rows as u64);
                bail!("fan-out incomplete after 60 s: {rows} rows, {seen} of 20 sampled");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    eprintln!("fan-out: {f:?}");
    Ok(f)
}

fn targets(r: &Report) -> Vec<Target> {
    let row = |n: &str| r.rows.iter().find(|x| x.scenario == n);
    let mut t = Vec::new();
    let pct = |v: f64| format!("{:.0}% of ceiling", 100.0 * v);
    if let Some(h) = row("home timeline") {
        t.push(Target {
            name: "home timeline throughput".into(),
            target: ">= 30% of ceiling".into(),
            measured: pct(h.ratio_to_ceiling),
            met: Some(h.ratio_to_ceiling >= 0.30),
        });
    }
    if let Some(o) = r.open_loop.first() {
        t.push(Target {
            name: "home timeline p99 at half peak".into(),
            target: "<= 20 ms".into(),
            measured: format!("{:.2} ms at {:.0} req/s", o.p99_ms, o.rate),
            met: Some(o.p99_ms <= 20.0 && o.errors == 0),
        });
    }
    if let Some(s) = row("status fetch (counts a view)") {
        t.push(Target {
            name: "status fetch with view counting".into(),
            target: ">= 50% of ceiling".into(),
            measured: pct(s.ratio_to_ceiling),
            met: Some(s.ratio_to_ceiling >= 0.50),
        });
    }
    if let Some(v) = &r.views {
        t.push(Target {
            name: "view counts exact after a flush".into(),
            target: "all equal".into(),
            measured: format!(
                "{} of {} exact in store, {}/{} over the API",
                v.exact_in_store,
                v.exact_in_store + v.mismatched_in_store,
                v.api_exact,
                v.api_checked
            ),
            met: Some(v.mismatched_in_store == 0 && v.api_exact == v.api_checked),
        });
    }
    if let Some(c) = row("create status (~100 followers)") {
        t.push(Target {
            name: "status creation, 100 followers each".into(),
            target: ">= 2000/s".into(),
            measured: format!("{:.0}/s", c.rps),
            met: Some(c.rps >= 2000.0),
        });
    }
    if let Some(f) = &r.fanout {
        let worst = f.complete_ms.iter().copied().fold(0.0, f64::max);
        t.push(Target {
            name: "fan-out to 100k followers".into(),
            target: "<= 2 s".into(),
            measured: format!("{:.0} ms to {} followers (worst of 3)", worst, f.followers),
            // Everyone else follows the author: 99,999 in the large preset.
            met: (f.followers >= 99_999).then_some(worst <= 2000.0),
        });
    }
    t.push(Target {
        name: "cold start to the first answered request".into(),
        target: "<= 2 s with the large preset".into(),
        measured: format!(
            "{:.0} ms (spawn to a home timeline answered) with preset {}",
            r.cold_start_ms, r.preset
        ),
        met: (r.preset == "large").then_some(r.cold_start_ms <= 2000.0),
    });
    t.push(Target {
        name: "server RSS with the large preset".into(),
        target: "<= 200 MB".into(),
        measured: format!(
            "peak {:.0} MiB ({:.0} MB) with preset {}",
            r.server_rss_peak_mib,
            r.server_rss_peak_mib * 1.048576,
            r.preset
        ),
        met: (r.preset == "large").then_some(r.server_rss_peak_mib * 1.048576 <= 200.0),
    });
    if let Some(st) = &r.streaming {
        let extra = st.rss_with_idle_mib - st.rss_before_mib;
        t.push(Target {
            name: "10k idle WebSockets".into(),
            target: "<= 100 MiB extra".into(),
            measured: format!(
                "{extra:.0} MiB extra for {} sockets ({:.1} KiB each)",
                st.idle_sockets,
                extra * 1024.0 / st.idle_sockets.max(1) as f64
            ),
            met: (st.idle_sockets >= 10_000).then_some(extra <= 100.0),
        });
        t.push(Target {
            name: "post to the last of 1,000 connected followers".into(),
            target: "p99 <= 100 ms".into(),
            measured: format!(
                "p50 {:.1} ms, p99 {:.1} ms over {} posts to {} followers ({} missing)",
                st.last_frame_p50_ms,
                st.last_frame_p99_ms,
                st.posts,
                st.followers_connected,
                st.missing
            ),
            met: (st.followers_connected >= 1_000)
                .then_some(st.last_frame_p99_ms <= 100.0 && st.missing == 0),
        });
    }
    let cross = |n: &str| r.cross_region.iter().find(|c| c.setup == n);
    if let (Some(l), Some(s)) = (cross("all local (one region)"), cross("3 regions, store")) {
        t.push(Target {
            name: "cross-region home timeline, store".into(),
            target: "<= 1.2x all-local".into(),
            measured: format!(
                "p50 {:.2} ms vs {:.2} ms ({:.2}x)",
                s.p50_ms,
                l.p50_ms,
                s.p50_ms / l.p50_ms.max(1e-9)
            ),
            met: Some(s.p50_ms <= 1.2 * l.p50_ms),
        });
    }
    if let (Some(l), Some(s)) = (cross("all local (one region)"), cross("3 regions, transit")) {
        let rtt = 2.0 * r.inter_region_delay_ms as f64;
        t.push(Target {
            name: "cross-region home timeline, transit".into(),
            target: format!("<= all-local + one round trip ({rtt:.0} ms)"),
            measured: format!(
                "p50 {:.2} ms vs {:.2} ms (+{:.2} ms)",
                s.p50_ms,
                l.p50_ms,
                s.p50_ms - l.p50_ms
            ),
            met: Some(s.p50_ms <= l.p50_ms + rtt),
        });
    }
    t
}
