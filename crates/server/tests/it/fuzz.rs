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

mod cases;
mod report;
mod server;
mod shapes;

use cases::*;
use report::*;
use server::*;
use shapes::*;

/// Every route of the server, as (method, pattern) exactly as the routers write them.
/// `every_route_in_the_code_is_in_the_fuzz_table` keeps this in step with the code.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/static/avatar.png"),
    ("GET", "/static/header.png"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/nodeinfo"),
    ("GET", "/nodeinfo/2.0"),
    ("GET", "/nodeinfo/2.1"),
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
    ("POST", "/api/v1/accounts/{id}/block"),
    ("POST", "/api/v1/accounts/{id}/unblock"),
    ("POST", "/api/v1/accounts/{id}/mute"),
    ("POST", "/api/v1/accounts/{id}/unmute"),
    ("GET", "/api/v1/blocks"),
    ("GET", "/api/v1/mutes"),
    ("GET", "/api/v1/domain_blocks"),
    ("POST", "/api/v1/domain_blocks"),
    ("DELETE", "/api/v1/domain_blocks"),
    ("POST", "/api/v1/statuses/{id}/mute"),
    ("POST", "/api/v1/statuses/{id}/unmute"),
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
    ("GET", "/api/v1/streaming"),
    ("GET", "/api/v1/streaming/health"),
    ("GET", "/api/v1/streaming/user"),
    ("GET", "/api/v1/streaming/user/notification"),
    ("GET", "/api/v1/streaming/public"),
    ("GET", "/api/v1/streaming/public/local"),
    ("GET", "/api/v1/streaming/public/remote"),
    ("GET", "/api/v1/streaming/hashtag"),
    ("GET", "/api/v1/streaming/hashtag/local"),
    ("GET", "/api/v1/streaming/direct"),
    ("GET", "/api/v1/lists"),
    ("POST", "/api/v1/lists"),
    ("GET", "/api/v1/lists/{id}"),
    ("PUT", "/api/v1/lists/{id}"),
    ("DELETE", "/api/v1/lists/{id}"),
    ("GET", "/api/v1/lists/{id}/accounts"),
    ("POST", "/api/v1/lists/{id}/accounts"),
    ("DELETE", "/api/v1/lists/{id}/accounts"),
    ("GET", "/api/v1/accounts/{id}/lists"),
    ("GET", "/api/v1/timelines/list/{id}"),
    ("GET", "/api/v1/streaming/list"),
    ("GET", "/api/v1/filters"),
    ("POST", "/api/v1/filters"),
    ("GET", "/api/v1/filters/{id}"),
    ("PUT", "/api/v1/filters/{id}"),
    ("DELETE", "/api/v1/filters/{id}"),
    ("GET", "/api/v1/conversations"),
    ("DELETE", "/api/v1/conversations/{id}"),
    ("POST", "/api/v1/conversations/{id}/read"),
    ("GET", "/api/v1/tags/{name}"),
    ("POST", "/api/v1/tags/{name}/follow"),
    ("POST", "/api/v1/tags/{name}/unfollow"),
    ("GET", "/api/v1/followed_tags"),
    ("GET", "/api/v2/filters"),
    ("POST", "/api/v2/filters"),
    ("GET", "/api/v2/filters/{id}"),
    ("PUT", "/api/v2/filters/{id}"),
    ("DELETE", "/api/v2/filters/{id}"),
    ("GET", "/api/v2/filters/{id}/keywords"),
    ("POST", "/api/v2/filters/{id}/keywords"),
    ("GET", "/api/v2/filter_keywords/{id}"),
    ("PUT", "/api/v2/filter_keywords/{id}"),
    ("DELETE", "/api/v2/filter_keywords/{id}"),
    ("GET", "/api/v2/filters/{id}/statuses"),
    ("POST", "/api/v2/filters/{id}/statuses"),
    ("GET", "/api/v2/filter_statuses/{id}"),
    ("GET", "/api/v2/filters/keywords/{id}"),
    ("PUT", "/api/v2/filters/keywords/{id}"),
    ("DELETE", "/api/v2/filters/keywords/{id}"),
    ("GET", "/api/v2/filters/statuses/{id}"),
    ("DELETE", "/api/v2/filters/statuses/{id}"),
    ("DELETE", "/api/v2/filter_statuses/{id}"),
    ("GET", "/api/v1/statuses/{id}/quotes"),
    ("GET", "/api/v1/polls/{id}"),
    ("POST", "/api/v1/polls/{id}/votes"),
    ("GET", "/api/v1/scheduled_statuses"),
    ("GET", "/api/v1/scheduled_statuses/{id}"),
    ("PUT", "/api/v1/scheduled_statuses/{id}"),
    ("DELETE", "/api/v1/scheduled_statuses/{id}"),
    ("GET", "/api/v1/featured_tags"),
    ("POST", "/api/v1/featured_tags"),
    ("GET", "/api/v1/featured_tags/suggestions"),
    ("DELETE", "/api/v1/featured_tags/{id}"),
    ("GET", "/api/v1/endorsements"),
    ("POST", "/api/v1/accounts/{id}/pin"),
    ("POST", "/api/v1/accounts/{id}/unpin"),
    ("POST", "/api/v1/accounts/{id}/note"),
    ("GET", "/api/v1/accounts/{id}/featured_tags"),
    ("GET", "/api/v1/accounts/familiar_followers"),
    ("GET", "/api/v1/directory"),
    ("GET", "/api/v1/preferences"),
    ("GET", "/api/v1/announcements"),
    ("POST", "/api/v1/announcements/{id}/dismiss"),
    ("PUT", "/api/v1/announcements/{id}/reactions/{name}"),
    ("DELETE", "/api/v1/announcements/{id}/reactions/{name}"),
    ("GET", "/api/v1/instance/extended_description"),
    ("GET", "/api/v1/instance/privacy_policy"),
    ("GET", "/api/v1/instance/terms_of_service"),
    ("GET", "/api/v1/instance/activity"),
    ("GET", "/api/v1/instance/languages"),
    ("GET", "/api/v1/instance/translation_languages"),
    ("GET", "/api/v1/accounts/search"),
    ("GET", "/api/v1/trends"),
    ("GET", "/api/v1/trends/tags"),
    ("GET", "/api/v1/trends/statuses"),
    ("GET", "/api/v1/trends/links"),
    ("GET", "/api/v1/suggestions"),
    ("DELETE", "/api/v1/suggestions/{account_id}"),
    ("GET", "/api/v2/instance"),
    ("GET", "/api/v2/notifications"),
    ("GET", "/api/v2/notifications/unread_count"),
    ("GET", "/api/v2/notifications/{group_key}"),
    ("GET", "/api/v2/notifications/{group_key}/accounts"),
    ("POST", "/api/v2/notifications/{group_key}/dismiss"),
    ("GET", "/api/v2/search"),
    ("GET", "/api/v2/suggestions"),
    ("GET", "/api/roost/v1/ledger/head"),
    ("GET", "/api/roost/v1/ledger/entries/{index}"),
    ("GET", "/api/roost/v1/ledger/consistency"),
    ("GET", "/api/roost/v1/ledger/witnesses"),
    ("GET", "/api/roost/v1/statuses/{id}/related"),
    ("GET", "/api/roost/v1/trends/tags"),
    ("GET", "/api/roost/v1/residency/me"),
    ("POST", "/api/roost/v1/accounts/delete"),
    ("POST", "/api/roost/v1/accounts/move"),
    ("GET", "/api/roost/v1/accounts/export"),
    ("GET", "/api/roost/v1/admin/erasures"),
    ("GET", "/api/roost/v1/admin/erasures/{id}"),
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/admin/accounts"),
    ("GET", "/api/v2/admin/accounts"),
    ("GET", "/api/v1/admin/accounts/{id}"),
    ("POST", "/api/v1/admin/accounts/{id}/approve"),
    ("POST", "/api/v1/admin/accounts/{id}/reject"),
    ("POST", "/api/v1/admin/accounts/{id}/action"),
    ("POST", "/api/v1/admin/accounts/{id}/enable"),
    ("POST", "/api/v1/admin/accounts/{id}/unsilence"),
    ("POST", "/api/v1/admin/accounts/{id}/unsuspend"),
    ("POST", "/api/v1/admin/accounts/{id}/unsensitive"),
    ("GET", "/api/v1/admin/reports"),
    ("GET", "/api/v1/admin/reports/{id}"),
    ("POST", "/api/v1/admin/reports/{id}/assign_to_self"),
    ("POST", "/api/v1/admin/reports/{id}/unassign"),
    ("POST", "/api/v1/admin/reports/{id}/resolve"),
    ("POST", "/api/v1/admin/reports/{id}/reopen"),
    ("GET", "/api/v1/admin/domain_blocks"),
    ("POST", "/api/v1/admin/domain_blocks"),
    ("GET", "/api/v1/admin/domain_blocks/{id}"),
    ("DELETE", "/api/v1/admin/domain_blocks/{id}"),
    ("GET", "/"),
    ("GET", "/signup"),
    ("POST", "/signup"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/home"),
    ("GET", "/home/live"),
    ("GET", "/live/replies/{id}"),
    ("GET", "/public"),
    ("GET", "/public/local"),
    ("GET", "/tags/{name}"),
    ("GET", "/search"),
    ("GET", "/notifications"),
    ("GET", "/your-data"),
    ("GET", "/settings/profile"),
    ("POST", "/settings/profile"),
    ("POST", "/settings/delete"),
    ("GET", "/settings/export"),
    ("GET", "/admin/reports"),
    ("POST", "/admin/reports/{id}/{action}"),
    ("GET", "/admin/accounts"),
    ("POST", "/admin/accounts/{id}/{action}"),
    ("GET", "/report/{id}"),
    ("POST", "/report/{id}"),
    ("GET", "/settings/safety"),
    ("GET", "/lists"),
    ("POST", "/lists"),
    ("GET", "/lists/{id}"),
    ("POST", "/lists/{id}/{action}"),
    ("GET", "/filters"),
    ("POST", "/filters"),
    ("GET", "/filters/{id}"),
    ("POST", "/filters/{id}/{action}"),
    ("GET", "/conversations"),
    ("POST", "/conversations/{id}/read"),
    ("POST", "/statuses"),
    ("GET", "/statuses/{id}"),
    ("POST", "/statuses/{id}/vote"),
    ("POST", "/statuses/{id}/{action}"),
    ("GET", "/{handle}"),
    ("POST", "/{handle}/follow"),
    ("POST", "/{handle}/block"),
    ("POST", "/{handle}/unblock"),
    ("POST", "/{handle}/mute"),
    ("POST", "/{handle}/unmute"),
    ("POST", "/{handle}/unfollow"),
    ("GET", "/{handle}/{id}"),
    ("GET", "/static/{file}"),
    ("GET", "/.well-known/webfinger"),
    ("GET", "/ap/users/{id}"),
    ("POST", "/ap/inbox"),
    ("POST", "/ap/users/{id}/inbox"),
    ("POST", "/ap/roost/timeline"),
    ("POST", "/ap/roost/status"),
    ("POST", "/ap/roost/live"),
    ("GET", "/ap/roost/holdings/{id}"),
    ("GET", "/ap/roost/media/{id}"),
    ("GET", "/ap/roost/media/{id}/{role}"),
    ("GET", "/media/{file}"),
    ("GET", "/media/p/{media}/{variant}/{viewer}/{expires}/{sig}"),
    ("GET", "/media/t/{media}/{viewer}/{expires}/{sig}"),
    ("GET", "/media/t/profile/{account}/{role}/{file}"),
    ("POST", "/api/v1/media"),
    ("GET", "/api/v1/media/{id}"),
    ("PUT", "/api/v1/media/{id}"),
    ("DELETE", "/api/v1/media/{id}"),
    ("POST", "/api/v2/media"),
    ("POST", "/ap/roost/tag_counts"),
    ("POST", "/ap/roost/move"),
    ("GET", "/ap/roost/move/media/{id}"),
    ("GET", "/ap/roost/move/media/{id}/{role}"),
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
    assert!(
        found.len() > 50,
        "found only {} routes: {found:?}",
        found.len()
    );
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

/// The reader itself: chained methods, multi-line calls, handler names that look like
/// methods, and a call it cannot read.
#[test]
fn the_route_reader_reads_chains_and_flags_what_it_cannot() {
    let src = r#"
        Router::new()
            .route("/a/{id}", get(a::get).post(a::post))
            .route(
                "/b",
                get(b::get)
                    .delete(b::delete)
                    .put(b::put),
            )
            .route("/c", on(MethodFilter::GET, c::get))
            .route(PATH, get(d))
    "#;
    let got = routes_in(src);
    let want = [
        ("GET", "/a/{id}"),
        ("POST", "/a/{id}"),
        ("GET", "/b"),
        ("DELETE", "/b"),
        ("PUT", "/b"),
        ("?", "/c"),
    ];
    for (m, p) in want {
        assert!(
            got.contains(&(m.to_string(), p.to_string())),
            "{m} {p} in {got:?}"
        );
    }
    assert_eq!(got.len(), 7, "{got:?}");
    assert!(got
        .iter()
        .any(|(m, p)| m == "?" && p.starts_with("non-literal")));
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
        let bytes = &rest.as_bytes()[end + 1..];
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

    timings.sort_by_key(|t| std::cmp::Reverse(t.0));
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
    const JSON: [&str; 6] = [
        "/api/",
        "/oauth/",
        "/ap/",
        "/.well-known/",
        "/nodeinfo",
        "/health",
    ];
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
