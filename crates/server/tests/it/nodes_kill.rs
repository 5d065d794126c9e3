//! Region `in` served by two `roost` binaries on one PostgreSQL database, beside region
//! `id` on SQLite (in process). A post made through node A reaches a follower reading
//! and streaming through node B, and the region abroad; a like through B counts on A.
//! A domain block made through A holds on B, and so does its lifting. Then node A is
//! killed with SIGKILL while it takes writes: node B goes on serving,
//! every write either node acknowledged is there, the two nodes showed one ledger, and
//! the audit of both regions is clean.
//!
//! Needs PostgreSQL whatever `ROOST_TEST_BACKEND` says (SKIPPED without one outside CI).

use crate::regions::kinds;
use crate::restart::{listening, roost_cmd};
use crate::streaming::{connect, events_until};
use crate::support::*;
use roost_residency::{merkle, SignedTreeHead};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One node of `in`: the real binary on the shared database, listening on `listen`.
async fn spawn_node(
    cluster: &Path,
    data: &Path,
    url: &str,
    listen: &str,
    log: &Path,
) -> tokio::process::Child {
    let log = std::fs::File::create(log).unwrap();
    let mut child = roost_cmd()
        .arg("serve")
        .arg("--cluster")
        .arg(cluster)
        .args(["--region", "in", "--listen", listen, "--database-url", url])
        .arg("--data-dir")
        .arg(data)
        .args(["--outbox-retry-ms", "100", "--view-flush-secs", "1"])
        .args(["--jobs-every-ms", "500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("roost binary starts");
    listening(&mut child).await;
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn head(s: &TestServer) -> SignedTreeHead {
    serde_json::from_value(s.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap()
}

/// Posts, and likes of what was acknowledged, through `base` until `stop`; every write
/// answered 2xx is recorded.
async fn write(
    http: reqwest::Client,
    base: String,
    token: String,
    acked: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let r = http
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&token)
            .json(&json!({"status": format!("under load {n}")}))
            .send()
            .await;
        let Ok(r) = r else { continue };
        if !r.status().is_success() {
            continue;
        }
        let Ok(v) = r.json::<Value>().await else {
            continue;
        };
        let id = id_of(&v);
        acked.lock().unwrap().push(("post".into(), id.clone()));
        let r = http
            .post(format!("{base}/api/v1/statuses/{id}/favourite"))
            .bearer_auth(&token)
            .send()
            .await;
        if r.is_ok_and(|r| r.status().is_success()) {
            acked.lock().unwrap().push(("like".into(), id));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_and_a_region_abroad_lose_nothing_when_one_node_is_killed() {
    let Some(url) = crate::backend::own_database().await else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    // Node B's address is the region's public one (the balancer's, in production);
    // node A serves on an address of its own and names the same base URL.
    let (port_a, port_b) = (free_port(), free_port());
    let id_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plans = [
        ("in", format!("http://127.0.0.1:{port_b}")),
        (
            "id",
            format!("http://{}", id_listener.local_addr().unwrap()),
        ),
    ]
    .map(|(code, base_url)| roost_server::cluster_cmd::RegionPlan {
        code: code.into(),
        name: code.to_uppercase(),
        jurisdiction: code.to_uppercase(),
        base_url,
        time_zone: "UTC".into(),
    });
    let mut cluster =
        roost_server::cluster_cmd::init(root.path(), &plans, &roost_residency::Policy::default())
            .unwrap();
    for (code, spec) in cluster.regions.iter_mut() {
        spec.policy = policy_all("store");
        spec.policy.to.remove(code.as_str());
    }
    let cluster_file = root.path().join("cluster.toml");
    std::fs::write(&cluster_file, cluster.to_toml()).unwrap();
    let cluster = Arc::new(roost_residency::Cluster::from_toml(&cluster.to_toml()).unwrap());

    let mut cfg =
        roost_server::config::Config::for_region(cluster.clone(), "id", &root.path().join("id"))
            .unwrap();
    cfg.outbox_retry = Duration::from_millis(100);
    cfg.transit_cache = Duration::from_millis(0);
    test_limits(&mut cfg);
    let abroad = TestServer::wrap(roost_server::start_on(cfg, id_listener).await.unwrap());

    // Both nodes hold the region's signing key and its KEK.
    let (dir_a, dir_b) = (root.path().join("in"), root.path().join("in-b"));
    roost_residency::keys::FileKek::create(&dir_a.join("keys").join("kek.key")).unwrap();
    std::fs::create_dir_all(dir_b.join("keys")).unwrap();
    for e in std::fs::read_dir(dir_a.join("keys")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir_b.join("keys").join(e.file_name())).unwrap();
    }
    let log_a = root.path().join("node-a.log");
    let mut node_a = spawn_node(
        &cluster_file,
        &dir_a,
        &url,
        &format!("127.0.0.1:{port_a}"),
        &log_a,
    )
    .await;
    let log_b = root.path().join("node-b.log");
    let node_b = spawn_node(
        &cluster_file,
        &dir_b,
        &url,
        &format!("127.0.0.1:{port_b}"),
        &log_b,
    )
    .await;
    let logs = || {
        format!(
            "node a:\n{}\nnode b:\n{}",
            std::fs::read_to_string(&log_a).unwrap_or_default(),
            std::fs::read_to_string(&log_b).unwrap_or_default()
        )
    };
    let a = TestServer::at(&format!("http://127.0.0.1:{port_a}"));
    let b = TestServer::at(&format!("http://127.0.0.1:{port_b}"));

    let asha = a.register("asha").await;
    let ravi = b.register("ravi").await;
    let budi = abroad.register("budi").await;
    b.follow(&ravi, &asha).await;
    let domain = cluster.region("in").unwrap().domain();
    let found = abroad.lookup(&budi, &format!("asha@{domain}")).await;
    assert_eq!(id_of(&found), asha.id);
    abroad
        .post(
            &format!("/api/v1/accounts/{}/follow", asha.id),
            Some(&budi.token),
            json!({}),
        )
        .await
        .ok();
    eventually(20, "budi's follow accepted", || async {
        let rel = abroad
            .get(
                &format!("/api/v1/accounts/relationships?id[]={}", asha.id),
                Some(&budi.token),
            )
            .await
            .ok();
        rel[0]["following"].as_bool().unwrap_or(false).then_some(())
    })
    .await;

    // A post through A: ravi streams it on B and reads it on B; budi gets it abroad.
    let mut ws = connect(&b, &format!("?access_token={}&stream=user", ravi.token)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let post = a
        .post_status(&asha, json!({"status": "made on node a"}))
        .await;
    let pid = id_of(&post);
    let frames = events_until(&mut ws, &pid).await;
    assert_eq!(frames.iter().filter(|f| f.event == "update").count(), 1);
    assert!(b.home_ids(&ravi).await.contains(&pid));
    eventually(20, "the post abroad", || async {
        abroad.home_ids(&budi).await.contains(&pid).then_some(())
    })
    .await;
    // A like through B counts on A.
    b.post(
        &format!("/api/v1/statuses/{pid}/favourite"),
        Some(&ravi.token),
        json!({}),
    )
    .await
    .ok();
    let seen = a.get(&format!("/api/v1/statuses/{pid}"), None).await.ok();
    assert_eq!(seen["favourites_count"], 1, "{seen}");
    // A domain block made through A holds on B: ravi follows budi, and once A's admin
    // suspends the region abroad, budi's post leaves ravi's home timeline on B too.
    let budi_here = b
        .lookup(
            &ravi,
            &format!("budi@{}", cluster.region("id").unwrap().domain()),
        )
        .await;
    b.post(
        &format!("/api/v1/accounts/{}/follow", id_of(&budi_here)),
        Some(&ravi.token),
        json!({}),
    )
    .await
    .ok();
    let from_id = abroad
        .post_status(&budi, json!({"status": "from jakarta"}))
        .await;
    let fid = id_of(&from_id);
    eventually(20, "budi's post in ravi's home on b", || async {
        b.home_ids(&ravi).await.contains(&fid).then_some(())
    })
    .await;
    let out = roost_cmd()
        .arg("admin")
        .arg("--cluster")
        .arg(&cluster_file)
        .args(["--region", "in", "--database-url", &url, "--data-dir"])
        .arg(&dir_a)
        .args(["set-role", "--username", "asha", "--role", "admin"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = crate::moderation::admin_token(&a, &asha).await;
    let block = a
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&admin),
            json!({"domain": cluster.region("id").unwrap().domain(), "severity": "suspend"}),
        )
        .await
        .ok();
    assert!(!a.home_ids(&ravi).await.contains(&fid), "hidden on a");
    eventually(10, "the block holds on b", || async {
        (!b.home_ids(&ravi).await.contains(&fid)).then_some(())
    })
    .await;
    // Lifted through A, on B too: the writes below reach the region abroad again.
    a.delete(
        &format!(
            "/api/v1/admin/domain_blocks/{}",
            block["id"].as_str().unwrap()
        ),
        Some(&admin),
    )
    .await
    .ok();
    eventually(10, "the block lifted on b", || async {
        b.home_ids(&ravi).await.contains(&fid).then_some(())
    })
    .await;

    let (ha, hb) = (head(&a).await, head(&b).await);
    assert_eq!(ha.head.tree_size, hb.head.tree_size, "one ledger");
    assert_eq!(ha.head.root_hash, hb.head.root_hash, "one ledger");

    // Writes on both nodes; A dies in the middle of them.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (i, base) in [&a.base, &a.base, &a.base, &b.base].into_iter().enumerate() {
        let who = if i % 2 == 0 { &asha } else { &ravi };
        writers.push(tokio::spawn(write(
            http.clone(),
            base.clone(),
            who.token.clone(),
            acked.clone(),
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    node_a.start_kill().expect("SIGKILL");
    node_a.wait().await.unwrap();
    // B keeps taking writes after A is gone.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let after_kill = b
        .post_status(&ravi, json!({"status": "node b after the kill"}))
        .await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let posts = acked.iter().filter(|(k, _)| k == "post").count();
    assert!(
        posts > 10 && acked.iter().any(|(k, _)| k == "like"),
        "writes were acknowledged under load: {posts}\n{}",
        logs()
    );

    eprintln!(
        "acknowledged: {posts} posts, {} likes; ledger {} -> {}",
        acked.len() - posts,
        ha.head.tree_size,
        head(&b).await.head.tree_size
    );
    // Every acknowledged write, read through B.
    let mut liked: Vec<&String> = acked
        .iter()
        .filter(|(k, _)| k == "like")
        .map(|(_, id)| id)
        .collect();
    liked.sort();
    liked.dedup();
    let last = id_of(&after_kill);
    let mut wanted: Vec<&String> = acked.iter().map(|(_, id)| id).collect();
    wanted.push(&last);
    wanted.sort();
    wanted.dedup();
    let mut found = std::collections::HashMap::new();
    for chunk in wanted.chunks(40) {
        let q: Vec<String> = chunk.iter().map(|id| format!("id[]={id}")).collect();
        let list = b
            .get(&format!("/api/v1/statuses?{}", q.join("&")), None)
            .await
            .ok();
        for v in list.as_array().unwrap() {
            found.insert(id_of(v), v["favourites_count"].as_i64().unwrap());
        }
    }
    for id in &wanted {
        assert!(found.contains_key(*id), "acknowledged post {id} lost");
    }
    for id in liked {
        assert!(found[id] >= 1, "acknowledged like of {id} lost");
    }

    // The ledger B serves extends the one both nodes showed before the kill.
    let later = head(&b).await;
    let c = b
        .get(
            &format!(
                "/api/roost/v1/ledger/consistency?first={}&second={}",
                ha.head.tree_size, later.head.tree_size
            ),
            None,
        )
        .await
        .ok();
    let proof = crate::regions::hexes(&c["consistency_proof"]);
    merkle::verify_consistency(
        ha.head.tree_size,
        later.head.tree_size,
        &ha.head.root_hash,
        &later.head.root_hash,
        &proof,
    )
    .expect("consistent ledger after the kill");

    // The audit of both regions: B's data dir holds the node's search index.
    let report = roost_server::audit::run(&roost_server::audit::AuditOptions {
        cluster: (*cluster).clone(),
        heads_file: root.path().join("audit-heads.json"),
        data_dirs: [
            ("in".to_string(), dir_b.clone()),
            ("id".into(), root.path().join("id")),
        ]
        .into(),
        media_s3: Default::default(),
        databases: [("in".to_string(), url.clone())].into(),
    })
    .await
    .expect("audit runs");
    assert!(
        report.is_clean(),
        "{:?}\n{}",
        kinds(&report),
        report.render()
    );
    drop(node_b);
}
