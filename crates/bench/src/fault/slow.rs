//! Slow and idle clients: connections that send half a request header and stall, and
//! more idle ones than the server has descriptors; does a new client still get
//! `/health`, and how long does the server keep the others open?

use super::launch::Launch;
use super::probe::secs;
use super::{Env, Figures};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Half of a request: the header never ends.
const HALF: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

/// When the server closed one of our connections, from when it was opened, and whether
/// it said anything first (e.g. a 408).
#[derive(Clone, Copy)]
struct Closed {
    after: Duration,
    answered: bool,
}

type Closes = Arc<Mutex<Vec<Closed>>>;

pub async fn run(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    let o = &env.opts;
    let mut launch = Launch::local(&env.bin, &env.dir.join("data"), env.dir.join("server.log"));
    launch.nofile = (o.server_nofile > 0).then_some(o.server_nofile);
    launch.nofile_hard = o.server_nofile_hard;
    let srv = launch.start().await?;
    let addr: SocketAddr = launch.base.trim_start_matches("http://").parse()?;
    let wait = env.plan.new_client_timeout;
    figs.add(
        "server descriptors",
        format!(
            "started with soft RLIMIT_NOFILE {}{}; its limit once serving {} (soft/hard); {} open when idle",
            launch
                .nofile
                .map(|n| n.to_string())
                .unwrap_or_else(|| "inherited".into()),
            launch
                .nofile_hard
                .map(|h| format!(", hard capped at {h}"))
                .unwrap_or_default(),
            srv.nofile_limit(),
            srv.open_fds()
        ),
        "1,024 limit",
    );
    let before = new_clients(&launch.base, 3, wait).await;

    let (stop, stopped) = watch::channel(false);
    let half_closes: Closes = Arc::default();
    let idle_closes: Closes = Arc::default();
    let mut watchers = Vec::new();
    let t_open = Instant::now();
    // The half-sent ones first, so the server has accepted them before it runs out.
    let mut half_ok = 0;
    for _ in 0..o.half_conns {
        if let Ok(mut s) = connect(addr).await {
            if s.write_all(HALF).await.is_ok() {
                half_ok += 1;
                watchers.push(tokio::spawn(watch_close(
                    s,
                    stopped.clone(),
                    half_closes.clone(),
                )));
            }
        }
    }
    let mut idle_ok = 0;
    let mut idle_failed = 0;
    let mut left = o.idle_conns;
    while left > 0 {
        let batch: Vec<_> = (0..left.min(100))
            .map(|_| tokio::spawn(connect(addr)))
            .collect();
        left -= batch.len();
        for c in batch {
            match c.await? {
                Ok(s) => {
                    idle_ok += 1;
                    watchers.push(tokio::spawn(watch_close(
                        s,
                        stopped.clone(),
                        idle_closes.clone(),
                    )));
                }
                Err(_) => idle_failed += 1,
            }
        }
    }
    let opened_in = t_open.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fds_loaded = srv.open_fds();
    let during = new_clients(&launch.base, 5, wait).await;

    // Watch whether the server lets go of them.
    let opened = half_ok + idle_ok;
    while t_open.elapsed() < env.plan.hold {
        let closed = half_closes.lock().expect("no panics").len()
            + idle_closes.lock().expect("no panics").len();
        if closed >= opened {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let held = t_open.elapsed();
    let fds_end = srv.open_fds();
    let at_end = new_clients(&launch.base, 3, wait).await;
    let _ = stop.send(true);
    for w in watchers {
        let _ = w.await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = new_clients(&launch.base, 3, Duration::from_secs(10)).await;
    srv.term().await?;

    figs.add(
        "connections opened",
        format!(
            "{half_ok} half-sent header + {idle_ok} idle ({idle_failed} idle connects failed or timed out after 3 s) in {}; server then had {fds_loaded} fds open",
            secs(opened_in)
        ),
        "",
    );
    figs.add("new client GET /health before", answers(&before, wait), "");
    figs.add(
        "new client GET /health with them open",
        answers(&during, wait),
        "timed out after the 1,024-fd limit",
    );
    figs.add(
        &format!("new client GET /health after {}", secs(held)),
        format!("{} (server had {fds_end} fds open)", answers(&at_end, wait)),
        "",
    );
    figs.add(
        "new client GET /health after we closed them",
        answers(&after, Duration::from_secs(10)),
        "",
    );
    figs.add(
        "half-sent headers closed by the server",
        closes(&half_closes, half_ok, held),
        "stayed open ≥ 100 s",
    );
    figs.add(
        "idle connections closed by the server",
        closes(&idle_closes, idle_ok, held),
        "",
    );
    Ok(())
}

async fn connect(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    Ok(tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr)).await??)
}

/// Holds `s` until the server closes it (recorded) or `stop` fires.
async fn watch_close(mut s: TcpStream, mut stop: watch::Receiver<bool>, out: Closes) {
    let t = Instant::now();
    let mut buf = [0u8; 1024];
    let mut answered = false;
    loop {
        tokio::select! {
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => {
                    out.lock().expect("no panics").push(Closed { after: t.elapsed(), answered });
                    return;
                }
                Ok(_) => answered = true,
            },
            _ = stop.changed() => return,
        }
    }
}

/// `n` new clients one after another, each on a new connection: latency or None.
async fn new_clients(base: &str, n: usize, timeout: Duration) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .build()
            .expect("client");
        let t = Instant::now();
        let ok = match http.get(format!("{base}/health")).send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        out.push(ok.then(|| t.elapsed().as_secs_f64() * 1000.0));
    }
    out
}

fn answers(r: &[Option<f64>], timeout: Duration) -> String {
    let ok: Vec<String> = r.iter().flatten().map(|ms| format!("{ms:.1}")).collect();
    let failed = r.len() - ok.len();
    let mut s = format!("{} of {} answered", ok.len(), r.len());
    if !ok.is_empty() {
        s.push_str(&format!(" ({} ms)", ok.join(", ")));
    }
    if failed > 0 {
        s.push_str(&format!(
            "; {failed} failed or timed out after {}",
            secs(timeout)
        ));
    }
    s
}

fn closes(c: &Closes, opened: usize, held: Duration) -> String {
    let mut c: Vec<Closed> = c.lock().expect("no panics").clone();
    if c.is_empty() {
        return format!("0 of {opened} within {}", secs(held));
    }
    c.sort_by_key(|x| x.after);
    let answered = c.iter().filter(|x| x.answered).count();
    format!(
        "{} of {opened} within {}: first after {}, median {}, last {}; {answered} got an answer before the close",
        c.len(),
        secs(held),
        secs(c[0].after),
        secs(c[c.len() / 2].after),
        secs(c[c.len() - 1].after)
    )
}
