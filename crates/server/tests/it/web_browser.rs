//! Runs the browser tests in `tests/web` (Node, playwright-core, Debian's Chromium) against
//! a real roost: `e2e.mjs`, `discover.mjs` and `safety.mjs` (with a moderator) against one
//! region, `regions.mjs` against two.
//!
//! `node_modules` is installed with `npm ci` when missing. Without `node`, `npm` or
//! `/usr/bin/chromium` the tests say so and pass, unless `CI` is set, where they fail.
//! Screenshots land in `target/screenshots/`.

use crate::support::{policy_all, Regions, TestServer};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn runs(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The `tests/web` dir, ready to run; None (after saying why) when the tools are missing.
fn web_tests() -> Option<PathBuf> {
    let missing: Vec<&str> = [
        (!runs("node")).then_some("node"),
        (!runs("npm")).then_some("npm"),
        (!Path::new(CHROMIUM).exists()).then_some(CHROMIUM),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser tests need {} in CI",
            missing.join(", ")
        );
        eprintln!(
            "SKIPPED: no {}; the browser tests did not run",
            missing.join(", ")
        );
        return None;
    }
    let dir = repo_root().join("tests/web");
    if !dir.join("node_modules/playwright-core").exists() {
        // Two tests may get here at once; npm ci into the same dir would race.
        static NPM: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = NPM.lock().unwrap_or_else(|e| e.into_inner());
        if !dir.join("node_modules/playwright-core").exists() {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("npm runs");
            assert!(out.status.success(), "npm ci failed:\n{}", text(&out));
        }
    }
    Some(dir)
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs one test file with node and the given environment; fails with its output.
async fn node(dir: PathBuf, file: &'static str, envs: Vec<(&'static str, String)>) {
    // One browser at a time: two cores, and the other integration tests run alongside.
    static BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let out = tokio::task::spawn_blocking(move || {
        let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
        Command::new("node")
            .args(["--test-reporter=spec", file])
            .current_dir(&dir)
            .envs(envs)
            .env("ROOST_CHROMIUM", CHROMIUM)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "browser tests {file} failed:\n{all}");
    // node's runner exits 0 when a file defines no test at all.
    assert!(
        all.contains("pass ") && all.contains("fail 0"),
        "no browser test ran in {file}:\n{all}"
    );
    println!("{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_pages_in_a_real_browser() {
    let Some(dir) = tokio::task::spawn_blocking(web_tests).await.unwrap() else {
        return;
    };
    let s = TestServer::start().await;
    node(dir, "e2e.mjs", vec![("ROOST_WEB_URL", s.base.clone())]).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_search_trends_and_related_posts_in_a_real_browser() {
    let Some(dir) = tokio::task::spawn_blocking(web_tests).await.unwrap() else {
        return;
    };
    let s = TestServer::start().await;
    node(dir, "discover.mjs", vec![("ROOST_WEB_URL", s.base.clone())]).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_safety_and_moderation_in_a_real_browser() {
    let Some(dir) = tokio::task::spawn_blocking(web_tests).await.unwrap() else {
        return;
    };
    let s = TestServer::start().await;
    // The moderator is made as `roost admin set-role` makes one; the pages sign them in.
    let m = s.register("moderator").await;
    s.running
        .as_ref()
        .expect("running")
        .roost
        .admin_set_role(&m.username, roost_core::model::Role::Moderator)
        .await
        .expect("role set");
    let envs = vec![
        ("ROOST_WEB_URL", s.base.clone()),
        ("ROOST_MOD_LOGIN", m.username.clone()),
        ("ROOST_MOD_PASSWORD", "correct horse battery".to_string()),
    ];
    node(dir, "safety.mjs", envs).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_follow_across_regions_in_a_real_browser() {
    let Some(dir) = tokio::task::spawn_blocking(web_tests).await.unwrap() else {
        return;
    };
    let r = Regions::start_with(|_| policy_all("store"), |cfg| cfg.registrations_open = true).await;
    let envs = vec![
        ("ROOST_WEB_URL_A", r.get("in").base.clone()),
        ("ROOST_WEB_URL_B", r.get("id").base.clone()),
        (
            "ROOST_WEB_DOMAIN_B",
            r.cluster.region("id").unwrap().domain(),
        ),
    ];
    node(dir, "regions.mjs", envs).await;
    r.stop_all().await;
}
