//! Durability: view counts (buffered in memory) and all data survive a stop and restart,
//! both through the library and through the real `roost` binary with SIGTERM; and the
//! `roost admin` commands.

use crate::support::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Views of a status without counting one (the batch endpoint counts none).
async fn views(s: &TestServer, id: &str, token: Option<&str>) -> (i64, i64) {
    let list = s
        .get(&format!("/api/v1/statuses?id[]={id}"), token)
        .await
        .ok();
    let v = &list[0]["roost"];
    (
        v["views_total"].as_i64().unwrap(),
        v["views_today"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn views_are_counted_at_once_and_survive_a_restart() {
    // A long flush interval: counts must be exact from memory before any flush.
    let s = TestServer::start_with(|c| c.view_flush_secs = 3600).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let st = s
        .post_status(&alice, json!({"status": "count me @bob"}))
        .await;
    let id = id_of(&st);
    assert_eq!(st["roost"]["views_total"], 0);
    s.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    let private = id_of(
        &s.post_status(
            &alice,
            json!({"status": "for bob's eyes", "visibility": "private"}),
        )
        .await,
    );

    let mut last = Value::Null;
    for n in 1..=3 {
        last = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
        assert_eq!(
            last["roost"]["views_total"], n,
            "view {n} shows at once: {last}"
        );
    }
    assert_eq!(last["roost"]["views_today"], 3);
    assert_eq!(views(&s, &id, None).await, (3, 3));
    // A reblog shows the views of the original.
    let rb = s
        .post(
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(rb["roost"]["views_total"], 3, "{rb}");
    assert_eq!(rb["reblog"]["roost"]["views_total"], 3, "{rb}");
    // A 404 is not a view.
    s.get(&format!("/api/v1/statuses/{private}"), None)
        .await
        .error(404);
    assert_eq!(views(&s, &private, Some(&alice.token)).await, (0, 0));

    let dir = s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;

    // Tokens, accounts, statuses, follows, favourites, reblogs and notifications survived.
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(me["statuses_count"], 2);
    assert_eq!(me["followers_count"], 1);
    let got = s
        .get(&format!("/api/v1/statuses/{id}"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(got["content"], st["content"]);
    assert_eq!(got["favourited"], true);
    assert_eq!(got["reblogged"], true);
    assert_eq!(
        got["roost"]["views_total"], 4,
        "3 before the restart + this one: {got}"
    );
    assert_eq!(got["roost"]["views_today"], 4);
    assert_eq!(views(&s, &id, None).await, (4, 4));
    let rel = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
            Some(&bob.token),
        )
        .await
        .ok();
    assert_eq!(rel[0]["following"], true, "{rel}");
    s.get(&format!("/api/v1/statuses/{private}"), Some(&bob.token))
        .await
        .ok();
    assert!(s.home_ids(&bob).await.contains(&private));
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    let kinds: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    for k in ["follow", "favourite", "reblog"] {
        assert!(kinds.contains(&k), "{k} missing after restart: {kinds:?}");
    }
    let notes = s.get("/api/v1/notifications", Some(&bob.token)).await.ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notes}"
    );

    // And a second restart keeps the count that was made after the first.
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    assert_eq!(views(&s, &id, None).await, (4, 4));
    // New IDs after a restart still sort after old ones.
    let newer = s
        .post_status(&alice, json!({"status": "after restart"}))
        .await;
    assert!(id_of(&newer).parse::<u64>().unwrap() > id.parse::<u64>().unwrap());
    assert_eq!(s.home_ids(&alice).await.first(), Some(&id_of(&newer)));
}

#[tokio::test]
async fn periodic_flush_persists_views_without_a_clean_stop() {
    // Views are flushed every second: after a pause, the store has them, so a second
    // server on a copy of the files would see them. Here: the count stays exact across a
    // flush (no double count, no dip).
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let id = id_of(&s.post_status(&alice, json!({"status": "flushed"})).await);
    s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(views(&s, &id, None).await, (2, 2));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(views(&s, &id, None).await, (2, 2), "after a flush");
    s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(views(&s, &id, None).await, (3, 3));
}

/// The real binary, serving on a free port.
struct Binary {
    child: tokio::process::Child,
    base: String,
}

pub(crate) fn roost_cmd() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_roost"));
    // Keep the environment from changing the settings under test.
    for (k, _) in std::env::vars() {
        if k.starts_with("ROOST_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

async fn spawn_binary(data_dir: &Path, log: &Path) -> Binary {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = roost_cmd()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        // Flushes only at shutdown, so the test proves the final flush.
        .args(["--view-flush-secs", "3600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("roost binary starts");
    let base = listening(&mut child).await;
    Binary { child, base }
}

/// The base URL a spawned `roost serve` (stdout piped) prints once it listens; its stdout
/// is drained from then on, so the child never blocks on a full pipe.
pub(crate) async fn listening(child: &mut tokio::process::Child) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("roost listening on ") {
                return url.trim().to_string();
            }
        }
        panic!("roost exited before listening");
    })
    .await
    .expect("roost prints its address");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    base
}

async fn sigterm_and_wait(mut b: Binary) {
    let pid = b.child.id().expect("running");
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = tokio::time::timeout(Duration::from_secs(30), b.child.wait())
        .await
        .expect("roost stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "roost exited with {status}");
}

/// A [`TestServer`]-like client for a server we did not start in-process.
fn client_for(base: &str, dir: tempfile::TempDir) -> TestServer {
    TestServer {
        running: None,
        base: base.to_string(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        dir,
    }
}

#[tokio::test]
async fn binary_flushes_views_on_sigterm_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("roost.log");

    let b = spawn_binary(&data, &log).await;
    let s = client_for(&b.base, tempfile::tempdir().unwrap());
    s.get("/health", None).await.ok();
    let alice = s.register("alice").await;
    let st = s
        .post_status(&alice, json!({"status": "from the binary #bin"}))
        .await;
    let id = id_of(&st);
    s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    let second = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(second["roost"]["views_total"], 2);
    sigterm_and_wait(b).await;

    let b = spawn_binary(&data, &log).await;
    let s = client_for(&b.base, tempfile::tempdir().unwrap());
    let (total, today) = views(&s, &id, None).await;
    assert_eq!(
        (total, today),
        (2, 2),
        "views flushed on clean shutdown; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["statuses_count"], 1);
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/bin", None).await.ok()),
        vec![id.clone()]
    );
    let got = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(got["roost"]["views_total"], 3);
    sigterm_and_wait(b).await;
}

/// Runs `roost admin ...`: with `flags_last`, `--data-dir` goes after the task's own
/// arguments (as operators type it), otherwise right after `admin`.
async fn admin(data: &Path, flags_last: bool, task: &[&str]) -> std::process::Output {
    let mut c = roost_cmd();
    c.arg("admin");
    if flags_last {
        c.args(task).arg("--data-dir").arg(data);
    } else {
        c.arg("--data-dir").arg(data).args(task);
    }
    c.output().await.unwrap()
}

fn create_args<'a>(username: &'a str, email: &'a str) -> [&'a str; 7] {
    [
        "create-account",
        "--username",
        username,
        "--email",
        email,
        "--password",
        "a long enough password",
    ]
}

#[tokio::test]
async fn admin_commands_create_and_list_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = admin(&data, false, &create_args("xavier", "xavier@example.org")).await;
    assert!(
        out.status.success(),
        "create-account failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("xavier"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The same username again is refused.
    let again = admin(&data, false, &create_args("xavier", "other@example.org")).await;
    assert!(!again.status.success(), "duplicate username accepted");

    let out = admin(&data, false, &["list-accounts"]).await;
    assert!(
        out.status.success(),
        "list-accounts failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let rows: Vec<&str> = listing.lines().filter(|l| l.contains("xavier")).collect();
    assert_eq!(rows.len(), 1, "{listing}");

    // The account can sign in on a server over the same data.
    let s = TestServer::start_in(dir, |_| {}).await;
    let (cid, secret) = s.app().await;
    let tok = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": cid, "client_secret": secret, "username": "xavier@example.org",
                   "password": "a long enough password", "scope": "read write"}),
        )
        .await
        .ok();
    let token = tok["access_token"].as_str().unwrap();
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await
        .ok();
    assert_eq!(me["username"], "xavier");
    assert!(rows[0].starts_with(me["id"].as_str().unwrap()), "{listing}");
}

/// `roost admin` while a restore holds the data dir (its exclusive lock, held here as
/// `roost restore` holds it) is refused and writes nothing: the restore would swap the
/// database under it and lose the write. Once the lock is gone it runs.
#[tokio::test]
async fn admin_commands_wait_for_a_restore_of_their_data_dir() {
    use fs4::fs_std::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = admin(&data, false, &create_args("zola", "zola@example.org")).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data.join("roost.lock"))
        .expect("the data dir's lock file");
    assert!(
        FileExt::try_lock_exclusive(&lock).unwrap(),
        "no one else holds it"
    );
    let refused = admin(&data, false, &create_args("zena", "zena@example.org")).await;
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "ran during a restore: {err}");
    assert!(err.contains("a restore is running"), "{err}");
    FileExt::unlock(&lock).unwrap();
    let out = admin(&data, false, &["list-accounts"]).await;
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("zola") && !listing.contains("zena"),
        "{listing}"
    );
}

/// `roost admin create-account --username x ... --data-dir D`: the settings flags are
/// accepted after the task, where operators (and the docs) put them.
#[tokio::test]
async fn admin_settings_flags_after_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = admin(&data, true, &create_args("yolanda", "yolanda@example.org")).await;
    assert!(
        out.status.success(),
        "create-account failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&data, true, &["list-accounts"]).await;
    assert!(
        out.status.success(),
        "list-accounts failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("yolanda"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Posts and likes a writer saw answered 2xx.
#[derive(Default)]
struct Acked {
    /// (writer, status id).
    posts: Vec<(usize, String)>,
    likes: std::collections::HashSet<(usize, String)>,
}

/// One writer until `stop`: a post, then a like of a random acknowledged post, again.
async fn write_until_killed(
    http: reqwest::Client,
    base: String,
    me: usize,
    token: String,
    acked: std::sync::Arc<std::sync::Mutex<Acked>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use rand::Rng;
    use std::sync::atomic::Ordering;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let r = http
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&token)
            .json(&json!({"status": format!("writer {me} post {n} #kill")}))
            .send()
            .await;
        let Ok(r) = r else { continue };
        if r.status().is_success() {
            // The answer was sent: this post is acknowledged, whether or not the body
            // arrives before the kill.
            let Ok(v) = r.json::<Value>().await else {
                continue;
            };
            acked.lock().unwrap().posts.push((me, id_of(&v)));
        }
        let target = {
            let a = acked.lock().unwrap();
            if a.posts.is_empty() {
                continue;
            }
            a.posts[rand::thread_rng().gen_range(0..a.posts.len())]
                .1
                .clone()
        };
        let r = http
            .post(format!("{base}/api/v1/statuses/{target}/favourite"))
            .bearer_auth(&token)
            .send()
            .await;
        if r.is_ok_and(|r| r.status().is_success()) {
            acked.lock().unwrap().likes.insert((me, target));
        }
    }
}

/// SIGKILL under concurrent writes, several times on the same data: every post and like
/// answered 2xx before a kill is there after the restart. `ROOST_KILL_ROUNDS` sets the
/// number of kills (default 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_write_is_lost_to_sigkill() {
    use rand::Rng;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let rounds: usize = std::env::var("ROOST_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    const WRITERS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("roost.log");
    let mut b = spawn_binary(&data, &log).await;
    let s = client_for(&b.base, tempfile::tempdir().unwrap());
    let mut tokens = Vec::new();
    for i in 0..4 {
        tokens.push(s.register(&format!("writer{i}")).await.token);
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acked = Arc::new(Mutex::new(Acked::default()));
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let before = {
            let a = acked.lock().unwrap();
            (a.posts.len(), a.likes.len())
        };
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(write_until_killed(
                    http.clone(),
                    b.base.clone(),
                    w,
                    tokens[w % tokens.len()].clone(),
                    acked.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        let ms = rand::thread_rng().gen_range(400..900);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        b.child.start_kill().expect("SIGKILL");
        b.child.wait().await.unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        b = spawn_binary(&data, &log).await;
        let a = acked.lock().unwrap();
        assert!(
            a.posts.len() > before.0 && a.likes.len() > before.1,
            "round {round}: writes were acknowledged before the kill ({} posts, {} likes)",
            a.posts.len() - before.0,
            a.likes.len() - before.1
        );
        eprintln!(
            "kill {}: after {ms} ms; {} posts and {} likes acknowledged so far",
            round + 1,
            a.posts.len(),
            a.likes.len()
        );
    }

    // Every acknowledged write, as each writer sees it after the last restart.
    let s = client_for(&b.base, tempfile::tempdir().unwrap());
    let a = std::mem::take(&mut *acked.lock().unwrap());
    let liked: std::collections::HashSet<(usize, String)> = a
        .likes
        .iter()
        .map(|(w, id)| (w % tokens.len(), id.clone()))
        .collect();
    let mut wanted: Vec<String> = a.posts.iter().map(|p| p.1.clone()).collect();
    wanted.extend(liked.iter().map(|l| l.1.clone()));
    wanted.sort();
    wanted.dedup();
    for (t, token) in tokens.iter().enumerate() {
        let mut found = std::collections::HashMap::new();
        for chunk in wanted.chunks(40) {
            let q: Vec<String> = chunk.iter().map(|id| format!("id[]={id}")).collect();
            let list = s
                .get(&format!("/api/v1/statuses?{}", q.join("&")), Some(token))
                .await
                .ok();
            for v in list.as_array().unwrap() {
                found.insert(id_of(v), v["favourited"].as_bool().unwrap());
            }
        }
        for (_, id) in a.posts.iter().filter(|p| p.0 % tokens.len() == t) {
            assert!(found.contains_key(id), "acknowledged post {id} lost");
        }
        for (_, id) in liked.iter().filter(|l| l.0 == t) {
            assert_eq!(
                found.get(id),
                Some(&true),
                "acknowledged like of {id} by writer {t} lost"
            );
        }
    }
    sigterm_and_wait(b).await;
}
