//! Route-level fuzzing: every route the server exposes gets a bounded number of generated
//! odd requests (deep and numerous form keys, huge values, invalid UTF-8, control
//! characters, wrong content types, JSON of the wrong shape or depth, multipart garbage,
//! extreme numbers and IDs, junk path parameters, odd headers, wrong methods, and for
//! `/ap/` requests signed as a peer region), anonymous, with bearer tokens and with a web
//! session. Every answer must be non-5xx, come within [`REQUEST_BOUND`] and have its
//! path's error shape; the server must still answer `/health` after each route's batch.
//!
//! The server is the real `roost` binary in a child process (a two-region cluster file
//! whose second region only lends its key), so a stack overflow or abort is seen as a
//! dead child, attributed to the request that killed it, and the run goes on after a
//! restart: one run reports every failure. See FUZZING.md for the knobs.

use crate::support::{TestServer, User};
use ed25519_dalek::SigningKey;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Every route of the server, as (method, pattern) exactly as the routers write them.
/// `every_route_in_the_code_is_in_the_fuzz_table` keeps this in step with the code.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/static/avatar.png"),
    ("GET", "/static/header.png"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/nodeinfo"),
    ("GET", "/nodeinfo/2.0"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/authorize"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("GET", "/api/v1/instance"),
    ("GET", "/api/v1/instance/peers"),
    ("GET", "/api/v1/instance/rules"),
    ("GET", "/api/v1/custom_emojis"),
    ("POST", "/api/v1/apps"),
    ("GET", "/api/v1/apps/verify_credentials"),
    ("POST", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts/verify_credentials"),
    ("PATCH", "/api/v1/accounts/update_credentials"),
    ("GET", "/api/v1/accounts/relationships"),
    ("GET", "/api/v1/accounts/lookup"),
    ("GET", "/api/v1/accounts/{id}"),
    ("GET", "/api/v1/accounts/{id}/statuses"),
    ("GET", "/api/v1/accounts/{id}/followers"),
    ("GET", "/api/v1/accounts/{id}/following"),
    ("POST", "/api/v1/accounts/{id}/follow"),
    ("POST", "/api/v1/accounts/{id}/unfollow"),
    ("GET", "/api/v1/follow_requests"),
    ("POST", "/api/v1/follow_requests/{id}/authorize"),
    ("POST", "/api/v1/follow_requests/{id}/reject"),
    ("POST", "/api/v1/statuses"),
    ("GET", "/api/v1/statuses"),
    ("GET", "/api/v1/statuses/{id}"),
    ("DELETE", "/api/v1/statuses/{id}"),
    ("PUT", "/api/v1/statuses/{id}"),
    ("GET", "/api/v1/statuses/{id}/context"),
    ("GET", "/api/v1/statuses/{id}/history"),
    ("GET", "/api/v1/statuses/{id}/source"),
    ("GET", "/api/v1/statuses/{id}/reblogged_by"),
    ("GET", "/api/v1/statuses/{id}/favourited_by"),
    ("POST", "/api/v1/statuses/{id}/reblog"),
    ("POST", "/api/v1/statuses/{id}/unreblog"),
    ("POST", "/api/v1/statuses/{id}/favourite"),
    ("POST", "/api/v1/statuses/{id}/unfavourite"),
    ("POST", "/api/v1/statuses/{id}/bookmark"),
    ("POST", "/api/v1/statuses/{id}/unbookmark"),
    ("POST", "/api/v1/statuses/{id}/pin"),
    ("POST", "/api/v1/statuses/{id}/unpin"),
    ("GET", "/api/v1/favourites"),
    ("GET", "/api/v1/bookmarks"),
    ("GET", "/api/v1/timelines/home"),
    ("GET", "/api/v1/timelines/public"),
    ("GET", "/api/v1/timelines/tag/{hashtag}"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/clear"),
    ("GET", "/api/v1/notifications/unread_count"),
    ("GET", "/api/v1/notifications/{id}"),
    ("POST", "/api/v1/notifications/{id}/dismiss"),
    ("GET", "/api/v1/markers"),
    ("POST", "/api/v1/markers"),
    ("GET", "/api/v2/instance"),
    ("GET", "/api/roost/v1/ledger/head"),
    ("GET", "/api/roost/v1/ledger/entries/{index}"),
    ("GET", "/api/roost/v1/ledger/consistency"),
    ("GET", "/api/roost/v1/residency/me"),
    ("GET", "/"),
    ("GET", "/signup"),
    ("POST", "/signup"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/home"),
    ("GET", "/public"),
    ("GET", "/public/local"),
    ("GET", "/tags/{name}"),
    ("GET", "/notifications"),
    ("GET", "/your-data"),
    ("GET", "/settings/profile"),
    ("POST", "/settings/profile"),
    ("POST", "/statuses"),
    ("GET", "/statuses/{id}"),
    ("POST", "/statuses/{id}/{action}"),
    ("GET", "/{handle}"),
    ("POST", "/{handle}/follow"),
    ("POST", "/{handle}/unfollow"),
    ("GET", "/{handle}/{id}"),
    ("GET", "/static/{file}"),
    ("GET", "/.well-known/webfinger"),
    ("GET", "/ap/users/{id}"),
    ("POST", "/ap/inbox"),
    ("POST", "/ap/users/{id}/inbox"),
    ("POST", "/ap/roost/timeline"),
    ("POST", "/ap/roost/status"),
    ("GET", "/ap/roost/holdings/{id}"),
];

/// Every answer must come within this; generous, so only a hang or a blow-up trips it.
const REQUEST_BOUND: Duration = Duration::from_secs(5);
/// Longest query we send: the HTTP client refuses URIs of 64 KiB and more.
const QUERY_BUDGET: usize = 58_000;
/// Client-side cap, so a hung request cannot stall the run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);
const DEFAULT_SEED: u64 = 0x5EED_F00D;
/// Three of each shape per route: about 5,000 requests, well under a minute on two cores.
const DEFAULT_CASES: usize = 54;
const PASSWORD: &str = "correct horse battery";
/// The server's default `max_body_bytes`.
const MAX_BODY: usize = 1 << 20;

// ---------------------------------------------------------------------------
// The route table against the code
// ---------------------------------------------------------------------------

#[test]
fn every_route_in_the_code_is_in_the_fuzz_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = BTreeSet::new();
    let mut unsupported = Vec::new();
    for krate in ["api", "web", "federation"] {
        for file in rs_files(&root.join("crates").join(krate).join("src")) {
            let src = std::fs::read_to_string(&file).unwrap();
            // Routers built by unit tests are not the server's.
            let src = src.split("#[cfg(test)]").next().unwrap_or("");
            for call in [".nest(", ".nest_service(", ".route_service("] {
                if src.contains(call) {
                    unsupported.push(format!("{}: {call}", file.display()));
                }
            }
            for (m, p) in routes_in(src) {
                found.insert((m, p));
            }
        }
    }
    assert!(
        unsupported.is_empty(),
        "routes this test cannot read; list their paths in ROUTES and teach routes_in: {unsupported:?}"
    );
    assert!(found.len() > 50, "found only {} routes: {found:?}", found.len());
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = found.difference(&table).collect();
    let stale: Vec<_> = table.difference(&found).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "fuzz table out of step with the routers.\n  add to ROUTES in tests/it/fuzz.rs: {missing:?}\n  no longer routed: {stale:?}"
    );
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// (METHOD, pattern) of each `.route("pattern", get(..).post(..))` in `src`. A route
/// whose methods cannot be read comes out as method `?`, so the table check names it.
fn routes_in(src: &str) -> Vec<(String, String)> {
    const METHODS: [&str; 9] = [
        "get", "post", "put", "patch", "delete", "head", "options", "trace", "any",
    ];
    let mut out = Vec::new();
    for (at, _) in src.match_indices(".route(") {
        let rest = src[at + ".route(".len()..].trim_start();
        let Some(rest) = rest.strip_prefix('"') else {
            out.push(("?".into(), format!("non-literal path at byte {at}")));
            continue;
        };
        let end = rest.find('"').unwrap();
        let pattern = rest[..end].to_string();
        let bytes = rest[end + 1..].as_bytes();
        let (mut depth, mut i, mut methods) = (1usize, 0usize, Vec::new());
        while i < bytes.len() && depth > 0 {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += 1;
                    }
                }
                c if c.is_ascii_alphabetic() => {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap();
                    let before = start.checked_sub(1).map(|b| bytes[b]);
                    let called = bytes.get(i) == Some(&b'(');
                    if called && before != Some(b':') && METHODS.contains(&word) {
                        methods.push(word.to_ascii_uppercase());
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        if methods.is_empty() {
            methods.push("?".into());
        }
        for m in methods {
            out.push((m, pattern.clone()));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The fuzz run
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_odd_requests() {
    let seed = env_num("ROOST_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_num("ROOST_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let only = std::env::var("ROOST_FUZZ_ROUTE").ok();
    let started = Instant::now();
    let mut region = Region::start().await;
    let mut fx = Fixtures::create(&region).await;
    let mut report = Report::new(seed);
    let mut timings: Vec<(Duration, String)> = Vec::new();
    let mut sent = 0usize;
    let mut skipped = 0usize;

    for &(method, pattern) in ROUTES {
        let route = Route {
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            pattern,
        };
        let key = format!("{method} {pattern}");
        if only.as_deref().is_some_and(|o| !key.contains(o)) {
            continue;
        }
        let mut rng = StdRng::seed_from_u64(seed ^ fnv(&key));
        let offset = rng.gen_range(0..SHAPES.len());
        for n in 0..cases {
            let (kind, shape) = SHAPES[(offset + n) % SHAPES.len()];
            let mut case = build_case(&route, shape, n, &fx, &region, &mut rng);
            case.kind = kind;
            let outcome = region.send(&case).await;
            sent += 1;
            timings.push((outcome.elapsed, format!("{key} [{}]", case.shape)));
            if unjudged(&case, &outcome) {
                skipped += 1;
                continue;
            }
            if let Some((kind, details)) = check(&case, &outcome) {
                report.add(&key, &case, kind, details, &region, &fx);
            }
            if outcome.died.is_some() {
                region.restart().await;
                fx.refresh(&region).await;
            }
        }
        if let Err(why) = region.healthy().await {
            let last = format!("after the batch of {key}");
            report.add_crash(&key, &last, &why);
            region.restart().await;
        }
        fx.refresh(&region).await;
    }

    timings.sort_by(|a, b| b.0.cmp(&a.0));
    eprintln!(
        "fuzz: seed {seed:#x}, {cases} cases per route, {sent} requests in {:.1?} \
         ({skipped} not judged: answered before the client finished sending); slowest:",
        started.elapsed()
    );
    for (t, what) in timings.iter().take(5) {
        eprintln!("  {t:>10.1?}  {what}");
    }
    region.stop().await;
    report.finish(cases);
}

fn env_num(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// FNV-1a: a stable per-route seed, so one route can be re-run alone.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Route {
    method: Method,
    pattern: &'static str,
}

impl Route {
    fn is_ap(&self) -> bool {
        self.pattern.starts_with("/ap/")
    }
    fn takes_body(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD)
    }
}

/// Which error shape a path promises.
#[derive(Debug, PartialEq)]
enum Face {
    Json,
    Html,
    /// The consent page: an HTML page or a JSON error are both fine.
    Either,
}

/// `/health` counts as API: the server's own table (`roost_web::error`) says so. The
/// consent page is a browser page both ways: its form's POST shows the page again with
/// the error (wrong password, too many attempts), which a browser needs as HTML.
fn face(method: &Method, path: &str) -> Face {
    const JSON: [&str; 6] = ["/api/", "/oauth/", "/ap/", "/.well-known/", "/nodeinfo", "/health"];
    // The server trims trailing slashes before routing.
    let routed = path.trim_end_matches('/');
    if routed == "/oauth/authorize" && (*method == Method::GET || *method == Method::POST) {
        Face::Either
    } else if JSON.iter().any(|p| routed.starts_with(p)) {
        Face::Json
    } else {
        Face::Html
    }
}

// ---------------------------------------------------------------------------
// The server under test: the real binary in a child process
// ---------------------------------------------------------------------------

struct Region {
    root: tempfile::TempDir,
    port: u16,
    child: Option<tokio::process::Child>,
    log: PathBuf,
    /// Length of the log when the current child started, to show only its own lines.
    log_from: u64,
    client: TestServer,
    /// The second region of the cluster: not running, but its key signs `/ap/` requests.
    peer_key: SigningKey,
    peer_key_id: String,
    peer_base: String,
}

struct Outcome {
    elapsed: Duration,
    status: Option<u16>,
    content_type: String,
    body: Vec<u8>,
    transport: Option<String>,
    /// How the child ended, when this request killed it.
    died: Option<String>,
}

impl Region {
    async fn start() -> Region {
        let root = tempfile::tempdir().unwrap();
        let ours = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let theirs = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = ours.local_addr().unwrap().port();
        let peer_base = format!("http://{}", theirs.local_addr().unwrap());
        let plan = |code: &str, base: String| roost_server::cluster_cmd::RegionPlan {
            code: code.into(),
            name: code.to_uppercase(),
            jurisdiction: code.to_uppercase(),
            base_url: base,
            time_zone: "UTC".into(),
        };
        let plans = [
            plan("in", format!("http://127.0.0.1:{port}")),
            plan("id", peer_base.clone()),
        ];
        let cluster = roost_server::cluster_cmd::init(
            root.path(),
            &plans,
            &roost_server::cluster_cmd::default_policy(),
        )
        .unwrap();
        std::fs::write(root.path().join("cluster.toml"), cluster.to_toml()).unwrap();
        drop((ours, theirs));
        let peer = roost_server::keys::load_or_create(&root.path().join("id")).unwrap();
        let peer_key_id = format!(
            "{peer_base}/ap/actor#{}",
            roost_residency::PublicKey(peer.signing.verifying_key()).key_id()
        );
        let log = root.path().join("roost.log");
        let mut r = Region {
            client: TestServer {
                running: None,
                base: format!("http://127.0.0.1:{port}"),
                // A fresh connection per request: a connection the server closed after
                // one case must not fail the next.
                http: reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap(),
                dir: tempfile::tempdir().unwrap(),
            },
            root,
            port,
            child: None,
            log,
            log_from: 0,
            peer_key: peer.signing,
            peer_key_id,
            peer_base,
        };
        r.spawn().await;
        r
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        self.log_from = log.metadata().unwrap().len();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_roost"));
        for (k, _) in std::env::vars() {
            if k.starts_with("ROOST_") {
                cmd.env_remove(k);
            }
        }
        let root = self.root.path();
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .arg("serve")
            .arg("--cluster")
            .arg(root.join("cluster.toml"))
            .args(["--region", "in", "--data-dir"])
            .arg(root.join("in"))
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--peer-timeout-ms", "500"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("roost binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("roost listening on ") {
                    return;
                }
            }
            panic!("roost exited before listening:\n{}", self.log_tail());
        })
        .await
        .expect("roost prints its address");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    async fn restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
        self.spawn().await;
    }

    async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// How the child ended, if it has (polled briefly: an abort takes a moment).
    async fn exit(&mut self, wait: Duration) -> Option<String> {
        let until = Instant::now() + wait;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                use std::os::unix::process::ExitStatusExt;
                let how = match status.signal() {
                    Some(6) => "killed by SIGABRT".to_string(),
                    Some(11) => "killed by SIGSEGV".to_string(),
                    Some(s) => format!("killed by signal {s}"),
                    None => format!("exited with {status}"),
                };
                return Some(format!("{how}; its log ends:\n{}", self.log_tail()));
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// After a failed request: dead (how), or alive as `/health` shows.
    async fn died_yet(&mut self) -> Option<String> {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Some(how) = self.exit(Duration::ZERO).await {
                return Some(how);
            }
            let health = self.client.http.get(self.client.url("/health"));
            let up = health.timeout(Duration::from_millis(500)).send().await;
            if up.is_ok_and(|r| r.status() == 200) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.exit(Duration::ZERO).await
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let from = (self.log_from as usize).min(text.len());
        let text = String::from_utf8_lossy(&text[from..]);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..]
            .iter()
            .map(|l| format!("      | {}", clip(l, 300)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Alive and answering `/health` with 200 in time.
    async fn healthy(&mut self) -> Result<(), String> {
        if let Some(how) = self.exit(Duration::ZERO).await {
            return Err(how);
        }
        let r = self
            .client
            .http
            .get(self.client.url("/health"))
            .timeout(REQUEST_BOUND)
            .send()
            .await;
        match r {
            Ok(r) if r.status() == 200 => Ok(()),
            Ok(r) => Err(format!("/health answered {}", r.status())),
            Err(e) => Err(self
                .exit(Duration::from_secs(1))
                .await
                .unwrap_or_else(|| format!("/health failed: {e}"))),
        }
    }

    fn url(&self, case: &Case) -> reqwest::Url {
        let mut s = format!("{}{}", self.client.base, case.path);
        if let Some(q) = &case.query {
            s.push('?');
            s.push_str(q);
        }
        reqwest::Url::parse(&s).unwrap_or_else(|e| panic!("bad url {s:?}: {e}"))
    }

    async fn send(&mut self, case: &Case) -> Outcome {
        let mut rb = self
            .client
            .http
            .request(case.method.clone(), self.url(case))
            .timeout(CLIENT_TIMEOUT);
        let mut headers = HeaderMap::new();
        for (k, v) in &case.headers {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        rb = rb.headers(headers);
        if !case.body.is_empty() {
            rb = rb.body(case.body.clone());
        }
        let t = Instant::now();
        let r = rb.send().await;
        let (status, content_type, body, transport) = match r {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get("content-type")
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
                    .unwrap_or_default();
                match resp.bytes().await {
                    Ok(b) => (Some(status), ct, b.to_vec(), None),
                    Err(e) => (Some(status), ct, Vec::new(), Some(error_chain(&e))),
                }
            }
            Err(e) => (None, String::new(), Vec::new(), Some(error_chain(&e))),
        };
        let elapsed = t.elapsed();
        let died = if transport.is_some() {
            self.died_yet().await
        } else {
            None
        };
        Outcome {
            elapsed,
            status,
            content_type,
            body,
            transport,
            died,
        }
    }

    fn sign(&self, case: &mut Case) {
        let url = self.url(case);
        let mut pq = url.path().to_string();
        if let Some(q) = url.query() {
            pq.push('?');
            pq.push_str(q);
        }
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_str(&format!("127.0.0.1:{}", self.port)).unwrap(),
        );
        let body = case.method.ne(&Method::GET).then_some(case.body.as_slice());
        if body.is_some() {
            if !case.headers.iter().any(|(k, _)| k == "content-type") {
                case.headers
                    .push(("content-type".into(), b"application/activity+json".to_vec()));
            }
            for (k, v) in &case.headers {
                if k == "content-type" {
                    h.append("content-type", HeaderValue::from_bytes(v).unwrap());
                }
            }
        }
        let signed = roost_federation::httpsig::sign(
            &case.method,
            &pq,
            &mut h,
            body,
            &self.peer_key_id,
            &self.peer_key,
        );
        if signed.is_err() {
            return;
        }
        for name in ["date", "digest", "signature"] {
            if let Some(v) = h.get(name) {
                case.headers.retain(|(k, _)| k != name);
                case.headers.push((name.into(), v.as_bytes().to_vec()));
            }
        }
        case.shape.push_str(" (signed by the peer region)");
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

// ---------------------------------------------------------------------------
// Fixtures: users, tokens, a session and records to point paths at
// ---------------------------------------------------------------------------

struct Fixtures {
    alice: User,
    bob: User,
    /// A token of an app without a user.
    app_token: String,
    /// Alice's token limited to `read`.
    read_token: String,
    status: String,
    bob_status: String,
    notification: String,
    /// Alice's web session cookie and the CSRF token derived from it.
    session: Option<(String, String)>,
}

impl Fixtures {
    async fn create(r: &Region) -> Fixtures {
        let s = &r.client;
        let alice = s.register("alice").await;
        let bob = s.register("bob").await;
        let (id, secret) = s.app().await;
        let app_token = s
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
            )
            .await
            .ok()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let read_token = s.scoped_token(&alice, "read").await;
        s.follow(&bob, &alice).await;
        let mut fx = Fixtures {
            alice,
            bob,
            app_token,
            read_token,
            status: String::new(),
            bob_status: String::new(),
            notification: String::new(),
            session: None,
        };
        fx.refresh(r).await;
        assert!(fx.session.is_some(), "the web session could not be opened");
        fx
    }

    /// Puts back whatever a fuzz case deleted or revoked.
    async fn refresh(&mut self, r: &Region) {
        let s = &r.client;
        if s.get("/api/v1/accounts/verify_credentials", Some(&self.alice.token))
            .await
            .status
            != 200
        {
            self.alice.token = s
                .scoped_token(&self.alice, "read write follow push")
                .await;
        }
        if s.get("/api/v1/accounts/verify_credentials", Some(&self.bob.token))
            .await
            .status
            != 200
        {
            self.bob.token = s.scoped_token(&self.bob, "read write follow push").await;
        }
        for (who, slot) in [(&self.alice, &mut self.status), (&self.bob, &mut self.bob_status)] {
            let gone = slot.is_empty()
                || s.get(&format!("/api/v1/statuses/{slot}"), Some(&who.token))
                    .await
                    .status
                    != 200;
            if gone {
                let st = s
                    .post_status(who, json!({"status": "fixture #rust @alice @bob https://x.org/a"}))
                    .await;
                *slot = st["id"].as_str().unwrap().to_string();
            }
        }
        if self.notification.is_empty() {
            let n = s
                .get("/api/v1/notifications", Some(&self.alice.token))
                .await
                .body;
            self.notification = n[0]["id"].as_str().unwrap_or("1").to_string();
        }
        let alive = match &self.session {
            Some((cookie, _)) => {
                let r = s
                    .http
                    .get(s.url("/home"))
                    .header("cookie", format!("roost_session={cookie}"))
                    .send()
                    .await;
                r.is_ok_and(|r| r.status() == 200)
            }
            None => false,
        };
        if !alive {
            self.session = web_sign_in(s, &self.alice.username).await;
        }
    }
}

/// Signs in on the login page: the pre-session CSRF cookie, the form, the session cookie,
/// then the session's own CSRF token from a signed-in page.
async fn web_sign_in(s: &TestServer, login: &str) -> Option<(String, String)> {
    let page = s.http.get(s.url("/login")).send().await.ok()?;
    let pre = cookie_of(page.headers(), "roost_csrf")?;
    let csrf = csrf_in(&page.text().await.ok()?)?;
    let resp = s
        .http
        .post(s.url("/login"))
        .header("cookie", format!("roost_csrf={pre}"))
        .form(&[("login", login), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .ok()?;
    let session = cookie_of(resp.headers(), "roost_session")?;
    let home = s
        .http
        .get(s.url("/home"))
        .header("cookie", format!("roost_session={session}"))
        .send()
        .await
        .ok()?;
    let csrf = csrf_in(&home.text().await.ok()?)?;
    Some((session, csrf))
}

fn cookie_of(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let pair = v.split(';').next()?;
        let (k, val) = pair.split_once('=')?;
        (k.trim() == name && !val.is_empty()).then(|| val.to_string())
    })
}

fn csrf_in(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let rest = &body[i..];
    Some(rest[..rest.find('"')?].to_string())
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

/// One request, exactly as sent: everything needed to replay it.
struct Case {
    /// Name of the shape that made it (see [`SHAPES`]).
    kind: &'static str,
    shape: String,
    method: Method,
    /// Already percent-encoded.
    path: String,
    /// The path as the client sent it (after URL normalisation, e.g. of `%2e%2e`).
    sent_path: String,
    query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

type Pair = (Vec<u8>, Vec<u8>);

/// Where generated parameters go.
#[derive(Clone, Copy, Debug)]
enum Loc {
    Query,
    Form,
    Json,
    Multipart,
}

/// A case under construction: parameters are encoded once auth is decided (a web form
/// with a session gets its CSRF field).
struct Draft {
    shape: String,
    method: Method,
    path: String,
    query: Vec<Pair>,
    raw_query: Option<String>,
    params: Vec<Pair>,
    loc: Loc,
    /// A body that is sent as is (instead of `params`), with its content type.
    raw: Option<(Option<Vec<u8>>, Vec<u8>)>,
    headers: Vec<(String, Vec<u8>)>,
    /// False when the shape sets its own Authorization / Cookie headers.
    decorate: bool,
    sign: bool,
}

type Shape = fn(&Route, &Ctx, &mut StdRng) -> Draft;

/// Each shape once per route before any repeats (see `every_route_survives_odd_requests`).
const SHAPES: &[(&str, Shape)] = &[
    ("deep-keys", deep_keys),
    ("many-keys", many_keys),
    ("huge-value", huge_value),
    ("over-the-limit", over_the_limit),
    ("invalid-utf8", invalid_utf8),
    ("control-chars", control_chars),
    ("wrong-content-type", wrong_content_type),
    ("json-of-the-wrong-shape", json_of_the_wrong_shape),
    ("deep-json", deep_json),
    ("multipart-garbage", multipart_garbage),
    ("extreme-numbers", extreme_numbers),
    ("junk-path-params", junk_path_params),
    ("huge-ids", huge_ids),
    ("random-params", random_params),
    ("odd-headers", odd_headers),
    ("wrong-method", wrong_method),
    ("random-bytes", random_bytes),
    ("activity-bodies", activity_bodies),
];

struct Ctx<'a> {
    fx: &'a Fixtures,
    local_base: String,
    peer_base: String,
}

fn build_case(
    route: &Route,
    shape: Shape,
    n: usize,
    fx: &Fixtures,
    region: &Region,
    rng: &mut StdRng,
) -> Case {
    let ctx = Ctx {
        fx,
        local_base: region.client.base.clone(),
        peer_base: region.peer_base.clone(),
    };
    let mut d = shape(route, &ctx, rng);
    // Half of the `/ap/` cases are signed, so they get past the signature check.
    if route.is_ap() && n % 2 == 1 {
        d.sign = true;
    }
    let sent = reqwest::Url::parse(&format!("{}{}", ctx.local_base, d.path))
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let web = face(&d.method, &sent) != Face::Json;
    if d.decorate {
        decorate(&mut d, web, route.pattern == "/logout", fx, rng);
    }
    let sign = d.sign;
    let mut case = finish(d.method.clone(), d, rng);
    case.sent_path = region.url(&case).path().to_string();
    if sign {
        region.sign(&mut case);
    }
    case
}

/// Adds a bearer token or a web session, each chosen at random.
fn decorate(d: &mut Draft, web: bool, logout: bool, fx: &Fixtures, rng: &mut StdRng) {
    let token = match rng.gen_range(0..10) {
        0..=2 => Some(fx.alice.token.clone()),
        3 => Some(fx.bob.token.clone()),
        4 => Some(fx.app_token.clone()),
        5 => Some(fx.read_token.clone()),
        6 => Some("not-a-token".to_string()),
        _ => None,
    };
    if let Some(t) = token {
        d.headers
            .push(("authorization".into(), format!("Bearer {t}").into_bytes()));
    }
    if web && rng.gen_bool(0.6) {
        if let Some((cookie, csrf)) = &fx.session {
            d.headers
                .push(("cookie".into(), format!("roost_session={cookie}").into_bytes()));
            // Signing out for real would end the session the other cases use.
            if !logout && rng.gen_bool(0.8) {
                d.params.push((b"csrf".to_vec(), csrf.as_bytes().to_vec()));
            }
        }
    }
}

fn finish(method: Method, d: Draft, rng: &mut StdRng) -> Case {
    let mut headers = d.headers;
    let mut query_pairs = d.query;
    let mut body = Vec::new();
    if let Some((ct, b)) = d.raw {
        if let Some(ct) = ct {
            headers.push(("content-type".into(), ct));
        }
        body = b;
        query_pairs.extend(d.params);
    } else {
        match d.loc {
            Loc::Query => query_pairs.extend(d.params),
            Loc::Form => {
                headers.push((
                    "content-type".into(),
                    b"application/x-www-form-urlencoded".to_vec(),
                ));
                body = encode_pairs(&d.params).into_bytes();
            }
            Loc::Json => {
                headers.push(("content-type".into(), b"application/json".to_vec()));
                let mut m = Map::new();
                for (k, v) in &d.params {
                    m.insert(lossy(k), Value::String(lossy(v)));
                }
                body = Value::Object(m).to_string().into_bytes();
            }
            Loc::Multipart => {
                let boundary = format!("fuzz{:08x}", rng.gen::<u32>());
                headers.push((
                    "content-type".into(),
                    format!("multipart/form-data; boundary={boundary}").into_bytes(),
                ));
                body = multipart(&boundary, &d.params);
            }
        }
    }
    let mut shape = d.shape;
    // The longest pairs go until the query fits what the client can send.
    while encode_pairs(&query_pairs).len() > QUERY_BUDGET {
        let longest = (0..query_pairs.len())
            .max_by_key(|&i| query_pairs[i].0.len() + query_pairs[i].1.len())
            .unwrap();
        query_pairs.remove(longest);
        if !shape.ends_with("(cut to fit)") {
            shape.push_str(" (cut to fit)");
        }
    }
    let mut query = encode_pairs(&query_pairs);
    if let Some(raw) = d.raw_query {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&raw);
    }
    Case {
        kind: "",
        shape,
        method,
        sent_path: String::new(),
        path: d.path,
        query: (!query.is_empty()).then_some(query),
        headers,
        body,
    }
}

/// Percent-encodes all but unreserved characters and brackets (kept for readable keys).
fn enc(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_alphanumeric() || b"-._~[]".contains(&c) {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    s
}

fn encode_pairs(pairs: &[Pair]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    parts.join("&")
}

fn multipart(boundary: &str, pairs: &[Pair]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in pairs {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"").as_bytes());
        b.extend_from_slice(k);
        b.extend_from_slice(b"\"\r\n\r\n");
        b.extend_from_slice(v);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---- building blocks of shapes ----

/// Parameter names Mastodon clients and our forms use: where handlers look.
const PARAMS: &[&str] = &[
    "status", "visibility", "spoiler_text", "sensitive", "language", "in_reply_to_id",
    "quote_id", "media_ids[]", "poll[options][]", "poll[expires_in]", "scheduled_at", "limit",
    "max_id", "min_id", "since_id", "offset", "local", "remote", "only_media",
    "exclude_replies", "exclude_reblogs", "pinned", "tagged", "types[]", "exclude_types[]",
    "account_id", "id", "id[]", "acct", "q", "resolve", "username", "email", "password",
    "agreement", "locale", "reason", "client_name", "redirect_uris", "scopes", "website",
    "grant_type", "client_id", "client_secret", "code", "redirect_uri", "refresh_token", "scope",
    "token", "code_verifier", "display_name", "note", "locked", "bot", "discoverable",
    "fields_attributes[0][name]", "fields_attributes[0][value]", "source[privacy]",
    "source[language]", "home[last_read_id]", "notifications[last_read_id]", "timeline[]",
    "response_type", "state", "code_challenge", "code_challenge_method", "decision", "login",
    "next", "text", "back", "first", "second", "tree_size", "index", "resource", "reblogs",
    "notify", "viewer", "authors[]",
];

/// Numbers at and past every edge a parser might have.
const NUMBERS: &[&str] = &[
    "-1", "0", "-0", "1", "40", "41", "2147483647", "2147483648", "4294967296",
    "-9223372036854775808", "9223372036854775807", "9223372036854775808",
    "18446744073709551615", "18446744073709551616", "999999999999999999999999999999999999",
    "1e308", "1e309", "-1e309", "0.5", "1.0", "NaN", "Infinity", "0x10", "+1", " 1", "1 ",
    "1_000", "０", "١",
];

fn odd_value(ctx: &Ctx, rng: &mut StdRng) -> Vec<u8> {
    let fixed: &[&[u8]] = &[
        b"", b" ", b"true", b"false", b"null", b"[]", b"{}", b"\0", b"\r\n", b"\x1b[31m",
        "\u{202e}".as_bytes(), "\u{feff}".as_bytes(), "😀".as_bytes(), "我喜欢#小米".as_bytes(),
        b"<script>alert(1)</script>", b"'\"><img src=x onerror=alert(1)>",
        b"javascript:alert(1)", b"../../etc/passwd", b"%", b"%zz", b"\xff\xfe", b"\xc0\xaf",
        b"\xed\xa0\x80", b"public", b"private", b"direct", b"unlisted", b"en", b"zz-ZZ",
        b"read write follow push", b"admin:write", b"urn:ietf:wg:oauth:2.0:oob",
        b"authorization_code", b"password", b"client_credentials", b"refresh_token", b"S256",
        b"plain", b"code", b"deny", b"https://evil.example/cb", b"//evil.example",
        b"acct:alice@127.0.0.1", b"@alice", b"alice@evil.example",
    ];
    match rng.gen_range(0..10) {
        0..=4 => fixed.choose(rng).unwrap().to_vec(),
        5 | 6 => NUMBERS.choose(rng).unwrap().as_bytes().to_vec(),
        7 => [&ctx.fx.status, &ctx.fx.alice.id, &ctx.fx.bob.id, &ctx.fx.notification]
            .choose(rng)
            .unwrap()
            .as_bytes()
            .to_vec(),
        8 => {
            let unit = ["a", ")", "@", "#", "我", "https://x.org/", "\u{301}"]
                .choose(rng)
                .unwrap();
            unit.repeat(rng.gen_range(100..3000)).into_bytes()
        }
        _ => (0..rng.gen_range(1..40)).map(|_| rng.gen()).collect(),
    }
}

fn some_param(rng: &mut StdRng) -> Vec<u8> {
    PARAMS.choose(rng).unwrap().as_bytes().to_vec()
}

/// Where a shape's parameters go: bodies for routes that take one (now and then the
/// query anyway), the query for the others.
fn loc_for(route: &Route, rng: &mut StdRng) -> Loc {
    if route.takes_body() {
        *[Loc::Form, Loc::Json, Loc::Multipart, Loc::Query, Loc::Form]
            .choose(rng)
            .unwrap()
    } else {
        Loc::Query
    }
}

/// A path for `route` with each `{param}` a real record (or, with `junk`, that string).
fn fill(route: &Route, ctx: &Ctx, rng: &mut StdRng, junk: Option<fn(&mut StdRng) -> String>) -> String {
    let p = route.pattern;
    let mut out = String::new();
    for seg in p.split('/').skip(1) {
        out.push('/');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => match junk {
                Some(j) => out.push_str(&j(rng)),
                None => out.push_str(&real_param(p, name, ctx, rng)),
            },
            None => out.push_str(seg),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn real_param(pattern: &str, name: &str, ctx: &Ctx, rng: &mut StdRng) -> String {
    let fx = ctx.fx;
    let pick = |rng: &mut StdRng, xs: &[&str]| xs.choose(rng).unwrap().to_string();
    match name {
        "id" if pattern.starts_with("/api/v1/accounts") || pattern.starts_with("/ap/") => {
            pick(rng, &[&fx.alice.id, &fx.bob.id])
        }
        "id" if pattern.starts_with("/api/v1/follow_requests") => fx.bob.id.clone(),
        "id" if pattern.starts_with("/api/v1/notifications") => fx.notification.clone(),
        "id" => pick(rng, &[&fx.status, &fx.bob_status]),
        "index" => pick(rng, &["0", "1", "2"]),
        "hashtag" | "name" => pick(rng, &["rust", "RUST", "%E5%B0%8F%E7%B1%B3"]),
        "action" => pick(
            rng,
            &["like", "unlike", "reblog", "unreblog", "bookmark", "unbookmark", "delete"],
        ),
        "handle" => pick(rng, &["@alice", "@bob", "@alice.rss", "@bob.atom", "@nobody"]),
        "file" => pick(rng, &["roost.css", "roost.js", "roost.svg", "nope.css"]),
        _ => "1".into(),
    }
}

/// Junk for a path segment, already URL-safe.
fn junk_segment(rng: &mut StdRng) -> String {
    let fixed = [
        "%00", "%FF", "%FF%FE", "%C0%AF", "%ED%A0%80", "%2F", "a%2Fb", "%2e%2e", "%20", "%0D%0A",
        "%E2%80%AE", "%F0%9F%98%80", "-1", "0", "1.5", "1e10", "0x1f", "+1", "NaN", "null", "%",
        "%%25", "%zz", "@", "@@", "@%00", "@a@b@c", "@alice%40evil.example", "%23x", "%3F",
        "a;b=c", ".rss", "@.atom", "%3Cscript%3E", "%27%22",
    ];
    match rng.gen_range(0..6) {
        0..=2 => fixed.choose(rng).unwrap().to_string(),
        3 => NUMBERS.choose(rng).unwrap().replace(' ', "%20").replace('+', "%2B"),
        4 => "9".repeat(rng.gen_range(20..5000)),
        _ => enc(&(0..rng.gen_range(1..24)).map(|_| rng.gen()).collect::<Vec<u8>>()),
    }
}

fn draft(route: &Route, ctx: &Ctx, rng: &mut StdRng, shape: String) -> Draft {
    Draft {
        shape,
        method: route.method.clone(),
        path: fill(route, ctx, rng, None),
        query: Vec::new(),
        raw_query: None,
        params: Vec::new(),
        loc: loc_for(route, rng),
        raw: None,
        headers: Vec::new(),
        decorate: true,
        sign: false,
    }
}

// ---- the shapes ----

fn deep_keys(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let name = *["a", "status", "source", "poll"].choose(rng).unwrap();
    let unit = *["[b]", "[b]", "[]", "[b][]", "["].choose(rng).unwrap();
    let mut d = draft(route, ctx, rng, String::new());
    let mut depth = *[500, 4_500, 10_000, 20_000].choose(rng).unwrap();
    if matches!(d.loc, Loc::Query) {
        depth = depth.min(QUERY_BUDGET / unit.len());
    }
    d.shape = format!("deep key {name}{unit}x{depth} in {:?}", d.loc);
    d.params
        .push((format!("{name}{}", unit.repeat(depth)).into_bytes(), b"1".to_vec()));
    d
}

fn many_keys(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let n = 10_000;
    let kind = rng.gen_range(0..3);
    let mut d = draft(route, ctx, rng, String::new());
    d.shape = format!(
        "{n} {} in {:?}",
        ["distinct keys", "items of id[]", "nested keys a[kN]"][kind],
        d.loc
    );
    let mut len = 0;
    for i in 0..n {
        let k = match kind {
            0 => format!("k{i}"),
            1 => "id[]".to_string(),
            _ => format!("a[k{i}]"),
        };
        len += k.len() + i.to_string().len() + 2;
        if matches!(d.loc, Loc::Query) && len > QUERY_BUDGET {
            d.shape = format!("{i} {}", d.shape.split_once(' ').unwrap().1);
            break;
        }
        d.params.push((k.into_bytes(), i.to_string().into_bytes()));
    }
    d
}

fn huge_value(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let key = some_param(rng);
    let unit = *["A", "@a ", "#t ", "https://x.org/ ", "我"].choose(rng).unwrap();
    let size = match d.loc {
        // Measured encoded, as the query carries it.
        Loc::Query => QUERY_BUDGET / enc(unit.as_bytes()).len() * unit.len(),
        _ => MAX_BODY - 4_096,
    };
    d.shape = format!("{} = {unit:?} x ~{size} bytes in {:?}", lossy(&key), d.loc);
    d.params
        .push((key, unit.repeat(size / unit.len()).into_bytes()));
    d
}

fn over_the_limit(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct = *[
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/activity+json",
        "text/plain",
    ]
    .choose(rng)
    .unwrap();
    let mut body = b"status=".to_vec();
    body.resize(MAX_BODY + 1 + rng.gen_range(0..64 * 1024), b'a');
    d.shape = format!("{} byte body as {ct}", body.len());
    d.raw = Some((Some(ct.as_bytes().to_vec()), body));
    d
}

fn invalid_utf8(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let bad: &[u8] = [b"\xff\xfe".as_slice(), b"\xc0\xaf", b"\xed\xa0\x80", b"a\x80b"]
        .choose(rng)
        .unwrap();
    match rng.gen_range(0..3) {
        0 => {
            d.shape = format!("invalid UTF-8 {bad:?} in values and keys, {:?}", d.loc);
            d.params.push((some_param(rng), bad.to_vec()));
            d.params.push(([b"k".as_slice(), bad].concat(), b"1".to_vec()));
        }
        1 => {
            d.shape = format!("invalid UTF-8 {bad:?} inside a JSON string");
            let mut body = b"{\"status\":\"".to_vec();
            body.extend_from_slice(bad);
            body.extend_from_slice(b"\",\"limit\":\"");
            body.extend_from_slice(bad);
            body.extend_from_slice(b"\"}");
            d.raw = Some((Some(b"application/json".to_vec()), body));
        }
        _ => {
            d.shape = format!("invalid UTF-8 {bad:?} in a raw form body");
            let mut body = b"status=".to_vec();
            body.extend_from_slice(bad);
            body.extend_from_slice(b"&");
            body.extend_from_slice(bad);
            body.extend_from_slice(b"=1");
            d.raw = Some((Some(b"application/x-www-form-urlencoded".to_vec()), body));
        }
    }
    d
}

fn control_chars(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.shape = format!("control characters in values, {:?}", d.loc);
    for _ in 0..rng.gen_range(1..5) {
        let c = *["\0", "\r\n", "\u{7}", "\u{1b}[2J", "\u{202e}", "\u{200b}", "\u{fffe}", "\u{85}"]
            .choose(rng)
            .unwrap();
        d.params
            .push((some_param(rng), format!("a{c}b{c}").repeat(3).into_bytes()));
    }
    d.raw_query = Some("x=%00%0A%0D".into());
    d
}

fn wrong_content_type(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct: &[u8] = [
        b"text/plain".as_slice(),
        b"application/xml",
        b"application/json; charset=utf-16",
        b"multipart/form-data",
        b"multipart/form-data; boundary=",
        b"multipart/form-data; boundary=\"unterminated",
        b"application/x-www-form-urlencoded; charset=latin1",
        b"application/activity+json",
        b"application/ld+json; profile=\"x\"",
        b"*/*",
        b"",
        b"\xff\xfe/\xfd",
        b"image/png",
        b"application/json, text/plain",
    ]
    .choose(rng)
    .unwrap();
    let body: Vec<u8> = match rng.gen_range(0..3) {
        0 => br#"{"status":"hi","limit":"5"}"#.to_vec(),
        1 => b"status=hi&limit=5".to_vec(),
        _ => (0..rng.gen_range(1..200)).map(|_| rng.gen()).collect(),
    };
    d.shape = format!(
        "content type {:?} with body {:?}",
        lossy(ct),
        clip(&lossy(&body), 40)
    );
    d.raw = Some((Some(ct.to_vec()), body));
    d
}

fn json_of_the_wrong_shape(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let v = if rng.gen_bool(0.3) {
        [json!([]), json!("status"), json!(1), json!(null), json!(true), json!([{"status": "x"}])]
            .choose(rng)
            .unwrap()
            .clone()
    } else {
        let mut m = Map::new();
        for _ in 0..rng.gen_range(1..8) {
            m.insert(lossy(&some_param(rng)), random_json(rng, 3));
        }
        Value::Object(m)
    };
    let body = v.to_string();
    d.shape = format!("JSON {}", clip(&body, 80));
    d.raw = Some((Some(b"application/json".to_vec()), body.into_bytes()));
    d
}

fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    let pick = if depth == 0 {
        rng.gen_range(0..6)
    } else {
        rng.gen_range(0..8)
    };
    match pick {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>() * 1e300),
        4 => serde_json::from_str(NUMBERS.choose(rng).unwrap()).unwrap_or(json!(-1)),
        5 => json!(["", "x", "我", "\u{0}", "https://x.org/"].choose(rng).unwrap()),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..rng.gen_range(0..4) {
                m.insert(lossy(&some_param(rng)), random_json(rng, depth - 1));
            }
            Value::Object(m)
        }
    }
}

fn deep_json(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let n = *[100, 127, 129, 5_000, 100_000].choose(rng).unwrap();
    let (open, close, name) = *[
        ("[", "]", "arrays"),
        ("{\"a\":", "}", "objects"),
        ("{\"status\":", "}", "objects under status"),
    ]
    .choose(rng)
    .unwrap();
    let inner = format!("{}1{}", open.repeat(n), close.repeat(n));
    let body = if rng.gen_bool(0.5) {
        format!("{{\"status\":\"x\",\"poll\":{inner}}}")
    } else {
        inner
    };
    d.shape = format!("JSON nested {n} deep ({name})");
    let ct = if route.is_ap() {
        "application/activity+json"
    } else {
        "application/json"
    };
    d.raw = Some((Some(ct.as_bytes().to_vec()), body.into_bytes()));
    d
}

fn multipart_garbage(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let b = "XyZ";
    let ct = format!("multipart/form-data; boundary={b}").into_bytes();
    let kind = rng.gen_range(0..7);
    let body: Vec<u8> = match kind {
        0 => (0..rng.gen_range(1..2000)).map(|_| rng.gen()).collect(),
        1 => format!("--{b}\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nunterminated").into_bytes(),
        2 => format!("--{b}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--{b}--\r\n").into_bytes(),
        3 => {
            let mut s = String::new();
            for i in 0..5_000 {
                s.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"k{i}\"\r\n\r\nv\r\n"));
            }
            s.push_str(&format!("--{b}--\r\n"));
            s.into_bytes()
        }
        4 => {
            let mut v = format!("--{b}\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\n").into_bytes();
            v.extend_from_slice(b"\xff\xfe\x00binary");
            v.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            v
        }
        5 => format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x.png\"\r\nContent-Type: image/png\r\n\r\nPNG\0\r\n--{b}--\r\n").into_bytes(),
        _ => format!("--other\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nx\r\n--other--\r\n--{b}\r\nno headers at all\r\n").into_bytes(),
    };
    d.shape = format!(
        "multipart garbage: {}",
        [
            "random bytes",
            "unterminated part",
            "part without a name",
            "5000 parts",
            "binary part",
            "file part",
            "wrong boundary"
        ][kind]
    );
    d.raw = Some((Some(ct), body));
    d
}

fn extreme_numbers(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let names = [
        "limit", "max_id", "min_id", "since_id", "offset", "first", "second", "tree_size",
        "index", "poll[expires_in]", "id", "in_reply_to_id", "account_id", "count",
    ];
    let mut shown = Vec::new();
    for _ in 0..rng.gen_range(1..5) {
        let k = *names.choose(rng).unwrap();
        let v = *NUMBERS.choose(rng).unwrap();
        shown.push(format!("{k}={v}"));
        d.params.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
    }
    d.shape = format!("numbers {} in {:?}", shown.join(" "), d.loc);
    d
}

fn junk_path_params(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    if route.pattern.contains('{') {
        d.path = fill(route, ctx, rng, Some(junk_segment));
    } else {
        let j = junk_segment(rng);
        d.path = match rng.gen_range(0..4) {
            0 => format!("{}/{j}", d.path.trim_end_matches('/')),
            1 => format!("{}{j}", d.path),
            2 => format!("/{}", d.path.trim_start_matches('/').to_ascii_uppercase()),
            _ => format!("{}//", d.path.trim_end_matches('/')),
        };
    }
    d.shape = format!("junk path {}", clip(&d.path, 80));
    d
}

fn huge_ids(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    fn huge(rng: &mut StdRng) -> String {
        [
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "-9223372036854775808",
            "0",
            "-1",
            "00000000000000000000000000000000001",
        ]
        .choose(rng)
        .unwrap()
        .to_string()
    }
    let mut d = draft(route, ctx, rng, String::new());
    if route.pattern.contains('{') {
        d.path = fill(route, ctx, rng, Some(huge));
    }
    for k in ["id[]", "in_reply_to_id", "max_id", "account_id", "quote_id"] {
        if rng.gen_bool(0.4) {
            d.params.push((k.as_bytes().to_vec(), huge(rng).into_bytes()));
        }
    }
    d.shape = format!("huge IDs: {} with {:?}", clip(&d.path, 60), d.loc);
    d
}

fn random_params(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let mut shown = Vec::new();
    for _ in 0..rng.gen_range(1..10) {
        let k = some_param(rng);
        let v = odd_value(ctx, rng);
        shown.push(format!("{}={}", lossy(&k), clip(&lossy(&v), 20)));
        d.params.push((k, v));
    }
    d.shape = format!("params {} in {:?}", clip(&shown.join(" "), 120), d.loc);
    d
}

fn odd_headers(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.decorate = false;
    let auth: Vec<u8> = match rng.gen_range(0..10) {
        0 => b"Bearer".to_vec(),
        1 => b"Bearer ".to_vec(),
        2 => b"bearer   x  ".to_vec(),
        3 => b"Basic !!!".to_vec(),
        4 => b"Basic YTpi".to_vec(),
        5 => b"Bearer \xff\xfe".to_vec(),
        6 => format!("Bearer {}", "a".repeat(8_000)).into_bytes(),
        7 => format!("Bearer {} {}", ctx.fx.alice.token, ctx.fx.alice.token).into_bytes(),
        8 => b"Token x".to_vec(),
        _ => format!("Bearer {}", ctx.fx.alice.token).into_bytes(),
    };
    let cookie: Vec<u8> = match rng.gen_range(0..6) {
        0 => b"roost_session=garbage".to_vec(),
        1 => format!("roost_csrf={}; roost_session=", "x".repeat(32)).into_bytes(),
        2 => b"roost_flash=%FF%FE; roost_flash=\xff".to_vec(),
        3 => format!("roost_session={}", "a".repeat(4_000)).into_bytes(),
        4 => b";;;=;==; roost_session".to_vec(),
        _ => b"roost_flash=eyJlcnJvciI6dHJ1ZSwidGV4dCI6Ilx1MDAwMCJ9".to_vec(),
    };
    let mut shown = vec![format!("authorization: {:?}", clip(&lossy(&auth), 40))];
    d.headers.push(("authorization".into(), auth));
    if rng.gen_bool(0.7) {
        shown.push(format!("cookie: {:?}", clip(&lossy(&cookie), 40)));
        d.headers.push(("cookie".into(), cookie));
    }
    let extra: &[(&str, &[u8])] = &[
        ("accept", b"application/json;q=nan, */*;q=-1"),
        ("accept-language", b"\xff, zz;q=2"),
        ("x-forwarded-for", b"999.999.999.999, ::::"),
        ("idempotency-key", b"\xffkey"),
        ("origin", b"null"),
        ("sec-websocket-protocol", b"a, , b"),
        ("if-none-match", b"\"\\\""),
        ("content-encoding", b"gzip"),
        ("transfer-encoding-x", b"chunked"),
    ];
    for _ in 0..rng.gen_range(0..3) {
        let (k, v) = extra.choose(rng).unwrap();
        shown.push(format!("{k}: {:?}", lossy(v)));
        d.headers.push((k.to_string(), v.to_vec()));
    }
    d.params.push((some_param(rng), odd_value(ctx, rng)));
    d.shape = format!("headers {}", shown.join(", "));
    d
}

fn wrong_method(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let others: Vec<Method> = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::from_bytes(b"PROPFIND").unwrap(),
    ]
    .into_iter()
    .filter(|m| *m != route.method)
    .collect();
    d.method = others.choose(rng).unwrap().clone();
    d.params.push((some_param(rng), odd_value(ctx, rng)));
    d.shape = format!("method {} on a {} route", d.method, route.method);
    d
}

fn random_bytes(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct = *[
        "application/json",
        "application/x-www-form-urlencoded",
        "application/activity+json",
        "multipart/form-data; boundary=a",
    ]
    .choose(rng)
    .unwrap();
    let body: Vec<u8> = (0..rng.gen_range(1..4096)).map(|_| rng.gen()).collect();
    d.shape = format!("{} random bytes as {ct}", body.len());
    d.raw = Some((Some(ct.as_bytes().to_vec()), body));
    d
}

/// Activity-shaped bodies (and inter-region queries), always signed by the peer region.
fn activity_bodies(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.sign = true;
    d.decorate = false;
    let fx = ctx.fx;
    let (local, peer) = (&ctx.local_base, &ctx.peer_base);
    let now = jiff::Timestamp::now().as_millisecond();
    let peer_id = |rng: &mut StdRng| roost_core::Id::from_parts(now, 2, rng.gen_range(0..4096)).0;
    let actor = match rng.gen_range(0..4) {
        0 => json!(format!("{local}/ap/users/{}", fx.alice.id)),
        1 => json!(format!("{peer}/ap/users/9223372036854775807")),
        2 => random_json(rng, 1),
        _ => json!(format!("{peer}/ap/users/{}", peer_id(rng))),
    };
    let published = *["2025-01-01T00:00:00Z", "", "99999-99-99", "1970"]
        .choose(rng)
        .unwrap();
    let note = json!({
        "id": format!("{peer}/ap/statuses/{}", peer_id(rng)),
        "type": "Note",
        "attributedTo": actor,
        "content": "<p>x</p><script>alert(1)</script>",
        "roost:source": "x @alice #rust",
        "published": published,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{local}/ap/users/{}", fx.alice.id)],
        "tag": [{"type": "Hashtag", "name": "#".repeat(rng.gen_range(1..300))}],
        "url": format!("{peer}/@budi/1"),
        "inReplyTo": format!("{local}/ap/statuses/{}", fx.status),
        "roost:views": {"total": NUMBERS.choose(rng).unwrap(), "today": -1},
        "roost:mentions": [{"id": format!("{local}/ap/users/{}", fx.alice.id), "preferredUsername": "alice", "roost:homeRegion": "in"}],
    });
    let object = match rng.gen_range(0..6) {
        0 => note,
        1 => json!(format!("{local}/ap/statuses/{}", fx.status)),
        2 => json!(format!("{local}/ap/users/{}", fx.alice.id)),
        3 => json!({"type": "Follow", "id": format!("{peer}/ap/activities/{}", peer_id(rng)), "actor": actor, "object": format!("{local}/ap/users/{}", fx.alice.id)}),
        4 => random_json(rng, 3),
        _ => json!(format!("{local}/ap/statuses/18446744073709551616")),
    };
    let kind = *[
        "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce",
        "roost:Views", "Block", "Flag", "", "create",
    ]
    .choose(rng)
    .unwrap();
    let mut v = match route.pattern {
        "/ap/roost/timeline" => json!({
            "authors": [fx.alice.id, NUMBERS.choose(rng).unwrap(), peer_id(rng)],
            "viewer": random_json(rng, 1),
            "limit": serde_json::from_str::<Value>(NUMBERS.choose(rng).unwrap()).unwrap_or(json!(0)),
            "max_id": random_json(rng, 0),
        }),
        "/ap/roost/status" => {
            let id = [json!(fx.status), random_json(rng, 1)]
                .choose(rng)
                .unwrap()
                .clone();
            json!({"id": id, "viewer": random_json(rng, 1)})
        }
        _ => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{peer}/ap/activities/{}", peer_id(rng)),
            "type": kind,
            "actor": actor,
            "object": object,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "roost:actor": {"id": actor, "preferredUsername": "budi", "roost:homeRegion": "id"},
        }),
    };
    // A few fields replaced by anything at all.
    if let Value::Object(m) = &mut v {
        let keys: Vec<String> = m.keys().cloned().collect();
        for _ in 0..rng.gen_range(0..3) {
            let k = keys.choose(rng).unwrap().clone();
            m.insert(k, random_json(rng, 2));
        }
    }
    let body = v.to_string();
    d.shape = format!("activity {}", clip(&body, 100));
    if route.takes_body() {
        d.raw = Some((Some(b"application/activity+json".to_vec()), body.into_bytes()));
    }
    d
}

// ---------------------------------------------------------------------------
// Checks and the report
// ---------------------------------------------------------------------------

/// A big body cut off because the server answered (and closed) before reading it all:
/// normal HTTP, but the client sees only the broken pipe, not the answer.
fn unjudged(case: &Case, o: &Outcome) -> bool {
    o.died.is_none()
        && case.body.len() > 64 * 1024
        && o.transport
            .as_deref()
            .is_some_and(|e| e.contains("error writing a body") || e.contains("Connection reset"))
}

/// What is wrong with an answer, if anything: (kind, details).
fn check(case: &Case, o: &Outcome) -> Option<(String, String)> {
    if let Some(how) = &o.died {
        return Some(("server died".into(), how.clone()));
    }
    if let Some(e) = &o.transport {
        return Some(if o.elapsed >= CLIENT_TIMEOUT {
            (format!("no answer within {CLIENT_TIMEOUT:?}"), e.clone())
        } else {
            ("connection failed, server alive".into(), e.clone())
        });
    }
    let status = o.status?;
    let snippet = clip(&String::from_utf8_lossy(&o.body), 160);
    let answer = format!("content-type {:?}, body {snippet:?}", o.content_type);
    if status >= 500 {
        return Some((format!("{status}"), answer));
    }
    if o.elapsed > REQUEST_BOUND {
        return Some((format!("slow ({status} after {:.1?})", o.elapsed), answer));
    }
    if status < 400 || case.method == Method::HEAD {
        return None;
    }
    let json_error = o.content_type.contains("json")
        && serde_json::from_slice::<Value>(&o.body)
            .ok()
            .is_some_and(|v| v.get("error").is_some_and(Value::is_string));
    let html = o.content_type.starts_with("text/html");
    let (ok, want) = match face(&case.method, &case.sent_path) {
        Face::Json => (json_error, "a JSON {\"error\": ...} body"),
        Face::Html => (html, "an HTML page"),
        Face::Either => (json_error || html, "a page or a JSON error"),
    };
    (!ok).then(|| (format!("{status} without {want}"), answer))
}

struct Failure {
    route: String,
    case_kind: &'static str,
    shape: String,
    kind: String,
    details: String,
    repro: String,
}

struct Report {
    seed: u64,
    dir: PathBuf,
    failures: Vec<Failure>,
}

impl Report {
    fn new(seed: u64) -> Report {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("roost-fuzz")
            .join(format!("seed-{seed:x}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Report {
            seed,
            dir,
            failures: Vec::new(),
        }
    }

    fn add(
        &mut self,
        route: &str,
        case: &Case,
        kind: String,
        details: String,
        region: &Region,
        fx: &Fixtures,
    ) {
        let n = self.failures.len();
        let repro = curl(case, region, fx, &self.dir, n);
        self.failures.push(Failure {
            route: route.into(),
            case_kind: case.kind,
            shape: case.shape.clone(),
            kind,
            details,
            repro,
        });
    }

    fn add_crash(&mut self, route: &str, when: &str, why: &str) {
        self.failures.push(Failure {
            route: route.into(),
            case_kind: "batch",
            shape: when.into(),
            kind: "/health failed after the batch".into(),
            details: why.into(),
            repro: String::new(),
        });
    }

    fn finish(self, cases: usize) {
        if self.failures.is_empty() {
            return;
        }
        let mut script = String::from(
            "#!/bin/sh\n# Replays of failing fuzz cases. Set ROOST (base URL) and the tokens.\n",
        );
        // One entry per (route, kind of problem): the first case, and how many there were.
        let mut groups: BTreeMap<(String, String), Vec<&Failure>> = BTreeMap::new();
        for f in &self.failures {
            script.push_str(&format!(
                "\n# {} [{}]: {} ({})\n{}\n",
                f.route,
                f.shape,
                f.kind,
                clip(&f.details, 200),
                f.repro
            ));
            groups
                .entry((f.route.clone(), f.kind.clone()))
                .or_default()
                .push(f);
        }
        let path = self.dir.join("repro.sh");
        std::fs::write(&path, script).unwrap();
        let mut msg = format!(
            "{} failing fuzz cases in {} groups (seed {:#x}, {cases} cases per route).\n\
             Re-run: ROOST_FUZZ_SEED={:#x} ROOST_FUZZ_CASES={cases} ROOST_FUZZ_ROUTE='<METHOD pattern>' \
             cargo test -p roost-server --test it fuzz -- --nocapture\n\
             Every failing request, replayable: {}\n",
            self.failures.len(),
            groups.len(),
            self.seed,
            self.seed,
            path.display()
        );
        for ((route, kind), fs) in &groups {
            let f = fs[0];
            let others: BTreeSet<&str> = fs[1..].iter().map(|g| g.case_kind).collect();
            msg.push_str(&format!(
                "\n* {route} — {kind} (x{})\n    {}\n    shape: {}: {}\n    {}\n",
                fs.len(),
                clip(&f.details, 600),
                f.case_kind,
                clip(&f.shape, 200),
                clip(&f.repro, 400)
            ));
            if !others.is_empty() {
                msg.push_str(&format!("    also with shapes: {others:?}\n"));
            }
        }
        panic!("{msg}");
    }
}

/// A curl line for the case, tokens as shell variables; long or binary bodies go to files.
fn curl(case: &Case, region: &Region, fx: &Fixtures, dir: &Path, n: usize) -> String {
    let mut secrets: Vec<(String, &str)> = vec![
        (fx.alice.token.clone(), "$ALICE_TOKEN"),
        (fx.bob.token.clone(), "$BOB_TOKEN"),
        (fx.app_token.clone(), "$APP_TOKEN"),
        (fx.read_token.clone(), "$READ_TOKEN"),
        (region.client.base.clone(), "$ROOST"),
    ];
    if let Some((cookie, csrf)) = &fx.session {
        secrets.push((cookie.clone(), "$SESSION"));
        secrets.push((csrf.clone(), "$CSRF"));
    }
    // Quoted first (which escapes any `$` of the case), then the secrets become variables.
    let q = |b: &[u8]| {
        secrets
            .iter()
            .filter(|(v, _)| !v.is_empty())
            .fold(sh_quote(b), |s, (v, var)| s.replace(v.as_str(), var))
    };
    let mut line = format!(
        "curl -sS -i -X {} {}",
        case.method,
        q(region.url(case).as_str().as_bytes())
    );
    for (k, v) in &case.headers {
        line.push_str(&format!(" -H {}", q(&[k.as_bytes(), b": ", v].concat())));
    }
    if !case.body.is_empty() {
        let printable = case.body.iter().all(|b| (0x20..0x7f).contains(b));
        if printable && case.body.len() <= 300 {
            line.push_str(&format!(" --data-binary {}", q(&case.body)));
        } else {
            let file = dir.join(format!("case-{n}.body"));
            std::fs::write(&file, &case.body).unwrap();
            line.push_str(&format!(" --data-binary @{}", file.display()));
        }
    }
    if case.headers.iter().any(|(k, _)| k == "signature") {
        line.push_str("  # signed: Date and Signature hold for 5 minutes");
    }
    line
}

/// Double-quoted for sh; bytes outside printable ASCII as `$(printf '\NNN')`.
fn sh_quote(v: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in v {
        match b {
            b'"' | b'\\' | b'`' | b'$' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("$(printf '\\{b:03o}')")),
        }
    }
    out.push('"');
    out
}

fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push_str(&format!("…({} chars)", s.chars().count()));
    }
    out
}
