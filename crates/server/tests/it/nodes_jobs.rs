//! Two nodes of one region on one PostgreSQL database (each its own data dir holding the
//! region's key): each periodic job runs on one node at a time, a due scheduled post is
//! published once, and when the holder stops the other node takes its jobs over.

use crate::backend;
use crate::support::*;
use roost_server::config::{Config, Database};
use serde_json::json;
use std::time::{Duration, Instant};

const JOBS: [&str; 4] = [
    "ledger-witness",
    "retention-purge",
    "scheduled-and-polls",
    "unfinished-moves",
];

fn on(url: &str) -> impl FnOnce(&mut Config) + '_ {
    move |cfg| {
        cfg.database = Database::Postgres {
            url: url.to_owned(),
            max_connections: 4,
        };
        cfg.jobs_every = Duration::from_millis(200);
        cfg.purge_every = Duration::from_millis(200);
        cfg.witness_every = Duration::from_millis(200);
    }
}

async fn db(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the nodes' database");
    tokio::spawn(conn);
    c
}

/// (job, holder, held until) for every job's lease.
async fn leases(c: &tokio_postgres::Client) -> Vec<(String, String, i64)> {
    c.query(
        // Node numbers are leases too, but not jobs.
        "SELECT job, holder, held_until FROM job_leases WHERE job NOT LIKE 'node-number-%' ORDER BY job",
        &[],
    )
    .await
    .expect("read the leases")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// Asks `check` until it gives `Some`, or fails after 30 s.
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    check: impl Fn() -> F,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ID the node's job loops keep in its data dir (written when they first run).
async fn node_id(s: &TestServer) -> String {
    let path = s.dir.path().join("data/node-id");
    until("the node's ID written", || {
        let path = &path;
        async move {
            std::fs::read_to_string(path)
                .ok()
                .filter(|id| !id.is_empty())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_jobs_run_on_one_node_and_move_when_it_stops() {
    let Some(url) = backend::own_database().await else {
        return;
    };
    let a = TestServer::start_with(on(&url)).await;
    let dir_b = tempfile::tempdir().unwrap();
    let keys = dir_b.path().join("data/keys");
    std::fs::create_dir_all(&keys).unwrap();
    // The region's signing key and its KEK: every node of a region holds both.
    for f in ["region.ed25519.pem", "kek.key"] {
        std::fs::copy(a.dir.path().join("data/keys").join(f), keys.join(f)).unwrap();
    }
    let b = TestServer::start_in(dir_b, on(&url)).await;
    let (id_a, id_b) = (node_id(&a).await, node_id(&b).await);
    assert_ne!(id_a, id_b, "each node its own ID");
    let c = &db(&url).await;

    // Both nodes run their loops; each job has one holder, one of the two.
    let first = until("both jobs leased", || async move {
        let l = leases(c).await;
        (l.len() == JOBS.len()).then_some(l)
    })
    .await;
    for (job, holder, _) in &first {
        assert!(JOBS.contains(&job.as_str()), "{job}");
        assert!(*holder == id_a || *holder == id_b, "{holder}");
    }
    // Each round of the holder pushes its lease on; the other node's rounds are refused.
    // A lease changes hands only when its holder missed a whole lease (three rounds), which
    // a loaded test machine can make happen; so hands are followed, not forbidden, and
    // each job must see three renewals by one holder.
    let start = Instant::now();
    let mut seen = first.clone();
    let mut renewals = [0; JOBS.len()];
    while renewals.iter().any(|&n| n < 3) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "leases not renewed: {renewals:?}"
        );
        let now = leases(c).await;
        assert_eq!(now.len(), JOBS.len());
        for (k, (was, is)) in seen.iter().zip(&now).enumerate() {
            assert_eq!(was.0, is.0);
            if was.1 != is.1 {
                renewals[k] = 0;
            } else if is.2 > was.2 {
                renewals[k] += 1;
            }
        }
        seen = now;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A scheduled post that falls due is published once, by whichever node holds the job.
    let user = b.register("planner").await;
    let in_an_hour = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600)).to_string();
    let sched = b
        .post_status_raw(
            &user,
            json!({"status": "due now", "scheduled_at": in_an_hour}),
        )
        .await
        .ok();
    let sched_id: i64 = sched["id"].as_str().unwrap().parse().unwrap();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let moved = c
        .execute(
            "UPDATE scheduled_statuses SET scheduled_at = $1 WHERE id = $2",
            &[&now_ms, &sched_id],
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let user = &user;
    let published = until("the scheduled post published", || {
        let a = &a;
        async move {
            let ids = a.account_status_ids(user, None).await;
            (!ids.is_empty()).then_some(ids)
        }
    })
    .await;
    assert_eq!(published.len(), 1, "{published:?}");
    for s in [&a, &b] {
        assert_eq!(s.account_status_ids(user, None).await, published);
        let left = s
            .get("/api/v1/scheduled_statuses", Some(&user.token))
            .await
            .ok();
        assert_eq!(left.as_array().map(Vec::len), Some(0), "{left}");
    }

    // The holder stops (and gives its leases up): the other node takes every job.
    let holder = leases(c).await[0].1.clone();
    let (stopped, running, other) = if holder == id_a {
        (a, b, id_b)
    } else {
        (b, a, id_a)
    };
    let other = &other;
    let _dir = stopped.stop().await;
    until("the other node holds every job", || async move {
        let l = leases(c).await;
        (l.len() == JOBS.len() && l.iter().all(|(_, h, _)| h == other)).then_some(())
    })
    .await;
    running.stop().await;
}
