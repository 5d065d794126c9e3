//! Runs `tests/clients/masto/stream.mjs` (node:test + masto.js 8's WebSocket streaming
//! client) against a real roost: the user stream's updates, mention notifications, edits
//! and deletes, a hashtag stream, and the public stream's visibility rule.
//!
//! masto.js 8 needs Node 22, newer than some machines have, so the Node that runs it is
//! the npm package `node`, pinned in `tests/clients/masto/package.json`; the system's
//! `npm` only installs it. `node_modules` is installed with `npm ci` when missing.
//! Without `npm` the test says so and passes, unless `CI` is set, where it fails.

use crate::support::{follow_across, policy_all, Regions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The package's Node, when it is installed and runs: its version (`v22.…`).
fn node_version(node: &Path) -> Option<String> {
    let out = Command::new(node).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The `tests/clients/masto` dir, installed; None (after saying why) without npm.
fn masto_tests() -> Option<PathBuf> {
    let npm = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm {
        assert!(
            std::env::var_os("CI").is_none(),
            "the masto.js test needs npm in CI"
        );
        eprintln!("SKIPPED: no npm; the masto.js streaming test did not run");
        return None;
    }
    let dir = repo_root().join("tests/clients/masto");
    let installed = |dir: &Path| {
        dir.join("node_modules/masto/package.json").exists()
            && node_version(&dir.join("node_modules/.bin/node")).is_some()
    };
    if !installed(&dir) {
        // Tests run in parallel; two npm ci into the same dir would race.
        static NPM: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = NPM.lock().unwrap_or_else(|e| e.into_inner());
        if !installed(&dir) {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("npm runs");
            assert!(out.status.success(), "npm ci failed:\n{}", text(&out));
        }
    }
    let node = dir.join("node_modules/.bin/node");
    let version = node_version(&node).unwrap_or_else(|| {
        panic!(
            "{} does not run: the node package's install script did not fetch the binary",
            node.display()
        )
    });
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 22,
        "masto.js 8 needs Node 22 or newer; got {version}"
    );
    Some(dir)
}

/// Runs one masto.js test file with the package's Node (masto.js 8 needs Node 22, not the
/// system's) and asserts it passed with `passes` in its summary: node's runner exits 0 when
/// a file defines no test at all. `timeout_ms` bounds the whole file. Returns the output.
async fn run_masto(
    dir: PathBuf,
    file: &'static str,
    timeout_ms: u32,
    envs: Vec<(&'static str, String)>,
    passes: &str,
) -> String {
    let out = tokio::task::spawn_blocking(move || {
        Command::new(dir.join("node_modules/.bin/node"))
            .args([
                "--test-reporter=spec",
                &format!("--test-timeout={timeout_ms}"),
                file,
            ])
            .current_dir(&dir)
            .envs(envs)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "masto.js {file} failed:\n{all}");
    assert!(
        all.contains(passes) && all.contains("fail 0"),
        "the masto.js tests of {file} did not all run:\n{all}"
    );
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masto_js_streams_from_roost() {
    let Some(dir) = tokio::task::spawn_blocking(masto_tests).await.unwrap() else {
        return;
    };
    // Two regions: alice and bob in one, budi (whom alice follows too) in the other.
    let r = Regions::start(|_| policy_all("store")).await;
    let s = r.get("in");
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&alice, &bob).await;
    let budi = r.get("id").register("budi").await;
    follow_across(&r, "in", &alice, "id", &budi).await;
    let envs = vec![
        ("ROOST_URL", s.base.clone()),
        ("ALICE_TOKEN", alice.token.clone()),
        ("BOB_TOKEN", bob.token.clone()),
        ("REMOTE_URL", r.get("id").base.clone()),
        ("REMOTE_TOKEN", budi.token.clone()),
        ("REMOTE_ACCT", r.handle("id", "budi")),
    ];
    let all = run_masto(dir, "stream.mjs", 120000, envs, "pass ").await;
    println!("{all}");
    r.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masto_js_lists_and_filters() {
    let Some(dir) = tokio::task::spawn_blocking(masto_tests).await.unwrap() else {
        return;
    };
    let s = crate::support::TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;
    let envs = vec![
        ("ROOST_URL", s.base.clone()),
        ("ALICE_TOKEN", alice.token.clone()),
        ("BOB_TOKEN", bob.token.clone()),
        ("CAROL_TOKEN", carol.token.clone()),
    ];
    run_masto(dir, "lists.mjs", 120000, envs, "pass 2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masto_js_polls() {
    let Some(dir) = tokio::task::spawn_blocking(masto_tests).await.unwrap() else {
        return;
    };
    let s = crate::support::TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let envs = vec![
        ("ROOST_URL", s.base.clone()),
        ("ALICE_TOKEN", alice.token.clone()),
        ("BOB_TOKEN", bob.token.clone()),
    ];
    run_masto(dir, "polls.mjs", 60000, envs, "pass 2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masto_js_uploads_media() {
    let Some(dir) = tokio::task::spawn_blocking(masto_tests).await.unwrap() else {
        return;
    };
    let s = crate::support::TestServer::start().await;
    let alice = s.register("alice").await;
    let envs = vec![
        ("ROOST_URL", s.base.clone()),
        ("ALICE_TOKEN", alice.token.clone()),
    ];
    run_masto(dir, "media.mjs", 60000, envs, "pass 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masto_js_conversations() {
    let Some(dir) = tokio::task::spawn_blocking(masto_tests).await.unwrap() else {
        return;
    };
    let s = crate::support::TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let envs = vec![
        ("ROOST_URL", s.base.clone()),
        ("ALICE_TOKEN", alice.token.clone()),
        ("BOB_TOKEN", bob.token.clone()),
        ("CAROL_TOKEN", carol.token.clone()),
    ];
    run_masto(dir, "conversations.mjs", 60000, envs, "pass 1").await;
}
