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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_drives_roost() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py test"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py test did not run");
        return;
    };
    let s = TestServer::start().await;
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(repo_root().join("tests/clients/test_mastodon_py.py"))
            .env("ROOST_URL", base)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Mastodon.py tests failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_two_regions() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py test"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py test did not run");
        return;
    };
    let r = crate::support::Regions::start(|_| crate::support::policy_all("store")).await;
    let envs = [
        ("ROOST_URL_A", r.get("in").base.clone()),
        ("ROOST_URL_B", r.get("id").base.clone()),
        ("ROOST_DOMAIN_A", r.cluster.region("in").unwrap().domain()),
        ("ROOST_DOMAIN_B", r.cluster.region("id").unwrap().domain()),
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(repo_root().join("tests/clients/test_mastodon_py_regions.py"))
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
        "Mastodon.py two-region test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    r.stop_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_streams() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py test"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py streaming test did not run");
        return;
    };
    let s = TestServer::start().await;
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(repo_root().join("tests/clients/test_mastodon_py_streaming.py"))
            .env("ROOST_URL", base)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Mastodon.py streaming tests failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("2 passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_admin() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py test"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py admin test did not run");
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
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(repo_root().join("tests/clients/test_mastodon_py_admin.py"))
            .env("ROOST_URL", base)
            .env("MODERATOR_TOKEN", token)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Mastodon.py admin tests failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_safety() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI for the Mastodon.py test"
        );
        eprintln!("SKIPPED: no python3 found; the Mastodon.py safety test did not run");
        return;
    };
    let s = TestServer::start().await;
    let base = s.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(repo_root().join("tests/clients/test_mastodon_py_safety.py"))
            .env("ROOST_URL", base)
            .output()
            .expect("pytest runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Mastodon.py safety tests failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("2 passed"), "{stdout}");
}
