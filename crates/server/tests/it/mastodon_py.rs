//! Runs `tests/clients/test_mastodon_py.py` (pytest + Mastodon.py) against a real roost.
//!
//! Python comes from `ROOST_TEST_PYTHON` (set by `.ci/run`) or a venv this test creates in
//! `target/pyenv` from `tests/clients/requirements.txt`. Without any python3 on the
//! machine the test says so and passes, unless `CI` is set, where it fails.

use crate::support::TestServer;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ROOST_TEST_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let root = repo_root();
    let venv = root.join("target/pyenv");
    let py = venv.join("bin/python");
    let ready = venv.join(".installed");
    if !ready.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        if !matches!(made, Ok(s) if s.success()) {
            return None;
        }
        let pip = Command::new(&py)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("tests/clients/requirements.txt"))
            .status()
            .expect("pip runs");
        assert!(pip.success(), "installing the Python test clients failed");
        std::fs::write(&ready, b"").unwrap();
    }
    Some(py)
}

/// The Python to run pytest with, or None after saying SKIPPED (outside CI only).
pub(crate) fn python_or_skip(what: &str) -> Option<PathBuf> {
    let py = python();
    if py.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py tests"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py {what} did not run");
    }
    py
}

/// Runs one pytest file of `tests/clients` with `envs`; fails with its output unless it
/// passed and its summary holds `expect` (e.g. "2 passed") and nothing was skipped.
pub(crate) async fn pytest(
    py: PathBuf,
    file: &str,
    envs: Vec<(&'static str, String)>,
    expect: &str,
) {
    let path = repo_root().join("tests/clients").join(file);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(path)
            .envs(envs)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Mastodon.py tests in {file} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(expect) && !stdout.contains("skipped"),
        "{file}: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_drives_roost() {
    let Some(py) = python_or_skip("test") else {
        return;
    };
    let s = TestServer::start().await;
    pytest(
        py,
        "test_mastodon_py.py",
        vec![("ROOST_URL", s.base.clone())],
        "passed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_two_regions() {
    let Some(py) = python_or_skip("two-region test") else {
        return;
    };
    let r = crate::support::Regions::start(|_| crate::support::policy_all("store")).await;
    let envs = vec![
        ("ROOST_URL_A", r.get("in").base.clone()),
        ("ROOST_URL_B", r.get("id").base.clone()),
        ("ROOST_DOMAIN_A", r.cluster.region("in").unwrap().domain()),
        ("ROOST_DOMAIN_B", r.cluster.region("id").unwrap().domain()),
    ];
    pytest(py, "test_mastodon_py_regions.py", envs, "1 passed").await;
    r.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_streams() {
    let Some(py) = python_or_skip("streaming test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_streaming.py", envs, "2 passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_admin() {
    let Some(py) = python_or_skip("admin test") else {
        return;
    };
    let s = TestServer::start().await;
    let roost = s.running.as_ref().unwrap().roost.clone();
    roost
        .admin_create_account("modpy", "modpy@example.org", "correct horse battery")
        .await
        .unwrap();
    let moderator = crate::support::User {
        id: String::new(),
        username: "modpy".into(),
        token: String::new(),
    };
    // Mastodon.py no longer signs in with a password: the token comes from here.
    let token =
        crate::moderation::staff_token(&s, &moderator, roost_core::model::Role::Moderator).await;
    let envs = vec![("ROOST_URL", s.base.clone()), ("MODERATOR_TOKEN", token)];
    pytest(py, "test_mastodon_py_admin.py", envs, "1 passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_safety() {
    let Some(py) = python_or_skip("safety test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_safety.py", envs, "2 passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_lists() {
    let Some(py) = python_or_skip("lists test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_lists.py", envs, "3 passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_polls() {
    let Some(py) = python_or_skip("polls test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_polls.py", envs, "3 passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_media() {
    let Some(py) = python_or_skip("media test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_media.py", envs, "1 passed").await;
}

#[tokio::test]
async fn mastodon_py_search() {
    let Some(py) = python_or_skip("search test") else {
        return;
    };
    let s = TestServer::start().await;
    let envs = vec![("ROOST_URL", s.base.clone())];
    pytest(py, "test_mastodon_py_search.py", envs, "1 passed").await;
}

/// `toot`, the command-line client, signed in as alice with her password in a config
/// folder of its own.
struct Toot {
    exe: std::path::PathBuf,
    home: tempfile::TempDir,
}

impl Toot {
    async fn login(py: &std::path::Path, s: &TestServer) -> Toot {
        let t = Toot {
            exe: py.parent().unwrap().join("toot"),
            home: tempfile::tempdir().unwrap(),
        };
        t.run(&[
            "login_cli",
            "-i",
            &s.base,
            "-e",
            "alice@example.org",
            "-p",
            "correct horse battery",
        ])
        .await;
        t
    }

    /// Runs one command; it must succeed. Async, so that the server on the test's runtime
    /// keeps serving while toot waits for it.
    async fn run(&self, args: &[&str]) -> String {
        let out = tokio::process::Command::new(&self.exe)
            .args(args)
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("HOME", self.home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("toot runs");
        assert!(
            out.status.success(),
            "toot {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `toot search` finds a Chinese post by a word inside it, and accounts by name.
#[tokio::test]
async fn toot_searches() {
    let Some(py) = python_or_skip("toot test") else {
        return;
    };
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let post = s
        .post_status(
            &alice,
            serde_json::json!({"status": "toot 搜索引擎 findme"}),
        )
        .await;
    let toot = Toot::login(&py, &s).await;
    let mut found = String::new();
    for _ in 0..50 {
        found = toot.run(&["search", "--json", "搜索"]).await;
        if found.contains(post["id"].as_str().unwrap()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found.contains(post["id"].as_str().unwrap()), "{found}");
    let accounts = toot.run(&["search", "alice"]).await;
    assert!(accounts.contains("alice"), "{accounts}");
}

/// `toot post --media`: toot uploads the file (v2, polling while it is processed), posts
/// with its ID and the alt text; the post carries the processed picture.
#[tokio::test]
async fn toot_posts_a_picture_with_alt_text() {
    let Some(py) = python_or_skip("toot media test") else {
        return;
    };
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let toot = Toot::login(&py, &s).await;
    let file = toot.home.path().join("sunset.png");
    std::fs::write(&file, crate::media::png(320, 200)).unwrap();
    let out = toot
        .run(&[
            "post",
            "--json",
            "sunset from toot",
            "--media",
            file.to_str().unwrap(),
            "--description",
            "orange sky over the sea",
        ])
        .await;
    let posted: serde_json::Value = serde_json::from_str(&out).expect("toot prints the status");
    let id = posted["id"].as_str().expect("a status ID");
    // What the server keeps, read back through the API.
    let st = s
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(st["content"], "<p>sunset from toot</p>");
    let media = st["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{st}");
    assert_eq!(media[0]["type"], "image");
    assert_eq!(media[0]["description"], "orange sky over the sea");
    assert_eq!(media[0]["meta"]["original"]["width"], 320);
    assert_eq!(media[0]["meta"]["original"]["height"], 200);
    let url = media[0]["url"].as_str().unwrap();
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let bytes = r.bytes().await.unwrap();
    let decoded = image::load_from_memory(&bytes).expect("the served file is a picture");
    assert_eq!((decoded.width(), decoded.height()), (320, 200));
}
