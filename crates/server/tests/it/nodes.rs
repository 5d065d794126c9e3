//! One region served by two nodes on one PostgreSQL database: two servers started with
//! the same database URL, each with its own data dir holding the same copied keys. A
//! post on one streams to a follower connected to the other, and so does its deletion;
//! a token revoked through one stops working on the other; both count one budget of
//! password guesses.
//!
//! These tests need PostgreSQL whatever `ROOST_TEST_BACKEND` says: `ROOST_TEST_POSTGRES`
//! names the server; without one they say SKIPPED, except under CI, where they fail.

use crate::streaming::{connect, events_until, next_event, settle};
use crate::support::*;
use roost_server::config::Database;
use serde_json::json;

/// Two nodes of one region, or None (said SKIPPED) without PostgreSQL outside CI.
async fn two_nodes(tweak: impl Fn(&mut roost_server::config::Config)) -> Option<[TestServer; 2]> {
    let url = crate::backend::own_database().await?;
    let database = Database::Postgres {
        url,
        max_connections: 4,
    };
    let a = TestServer::start_with(|c| {
        c.database = database.clone();
        tweak(c);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &a.dir.path().join("data/keys"),
        &dir.path().join("data/keys"),
    );
    let b = TestServer::start_in(dir, |c| {
        c.database = database.clone();
        tweak(c);
    })
    .await;
    Some([a, b])
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[tokio::test]
async fn a_post_and_its_deletion_stream_to_a_follower_on_the_other_node() {
    let Some([a, b]) = two_nodes(|_| {}).await else {
        return;
    };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    b.follow(&bob, &alice).await;

    let mut ws = connect(&b, &format!("?access_token={}&stream=user", bob.token)).await;
    settle(&b, 1).await;
    let post = a
        .post_status(&alice, json!({"status": "from node a"}))
        .await;
    let frames = events_until(&mut ws, post["id"].as_str().unwrap()).await;
    assert_eq!(
        frames.iter().filter(|f| f.event == "update").count(),
        1,
        "once: {frames:?}"
    );

    a.delete(
        &format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()),
        Some(&alice.token),
    )
    .await
    .ok();
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "delete", "{f:?}");
    assert_eq!(f.payload.to_string(), id_of(&post), "the post's ID");
}

#[tokio::test]
async fn a_token_revoked_on_one_node_stops_working_on_the_other() {
    let Some([a, b]) = two_nodes(|_| {}).await else {
        return;
    };
    a.register("bob").await;
    let (id, secret) = a.app().await;
    let token = a
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": id, "client_secret": secret,
                   "username": "bob@example.org", "password": "correct horse battery", "scope": "read"}),
        )
        .await
        .ok()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Node b reads the token once and keeps it in its cache.
    for _ in 0..2 {
        b.get("/api/v1/accounts/verify_credentials", Some(&token))
            .await
            .ok();
    }
    a.post(
        "/oauth/revoke",
        None,
        json!({"client_id": id, "client_secret": secret, "token": token}),
    )
    .await
    .ok();
    a.get("/api/v1/accounts/verify_credentials", Some(&token))
        .await
        .error(401);
    // Within the notification's latency.
    eventually(10, "node b refuses the revoked token", || async {
        let r = b
            .get("/api/v1/accounts/verify_credentials", Some(&token))
            .await;
        (r.status.as_u16() == 401).then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_nodes_count_one_budget_of_password_guesses() {
    let Some([a, b]) = two_nodes(|c| c.limits.sign_in_per_login = 3).await else {
        return;
    };
    a.register("alice").await;
    let (id, secret) = a.app().await;
    let grant = json!({"grant_type": "password", "client_id": id, "client_secret": secret,
                       "username": "alice@example.org", "password": "wrong", "scope": "read"});
    a.post("/oauth/token", None, grant.clone()).await.error(400);
    b.post("/oauth/token", None, grant.clone()).await.error(400);
    a.post("/oauth/token", None, grant.clone()).await.error(400);
    let r = b.post("/oauth/token", None, grant.clone()).await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.body);
    assert_eq!(r.headers["x-ratelimit-limit"], "3");
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    let reset = r.headers["x-ratelimit-reset"].to_str().unwrap();
    assert!(reset.parse::<jiff::Timestamp>().is_ok(), "{reset}");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one attempt back within 20 s: {retry}"
    );
    assert!(r.body["error"].is_string());
    a.post("/oauth/token", None, grant).await.error(429);
}

/// The node number in an ID: the top bits of its 12-bit sequence (`roost_core::id`).
fn node_bits(id: &str) -> i64 {
    let id: i64 = id.parse().unwrap();
    (id >> (12 - roost_core::id::NODE_BITS)) & (i64::from(roost_core::id::MAX_NODES) - 1)
}

#[tokio::test]
async fn nodes_mint_ids_under_numbers_of_their_own() {
    let Some([a, b]) = two_nodes(|_| {}).await else {
        return;
    };
    let alice = a.register("alice").await;
    let on_a = a.post_status(&alice, json!({"status": "on a"})).await;
    let on_b = b.post_status(&alice, json!({"status": "on b"})).await;
    // Without numbers both sequences start at 0 each millisecond, and two posts made in
    // the same one would get one ID.
    assert_ne!(node_bits(&id_of(&on_a)), node_bits(&id_of(&on_b)));
    // Outbox rows and activities are minted under the number too; and both posts are there.
    let ids = a.account_status_ids(&alice, None).await;
    assert!(
        ids.contains(&id_of(&on_a)) && ids.contains(&id_of(&on_b)),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_node_does_not_start_when_every_number_is_held() {
    let Some(url) = crate::backend::own_database().await else {
        return;
    };
    let database = Database::Postgres {
        url: url.clone(),
        max_connections: 4,
    };
    // A first node makes the schema; then sixteen running nodes hold every number.
    let a = TestServer::start_with(|c| c.database = database.clone()).await;
    let alice = a.register("alice").await;
    let raw = crate::backend::RawDb::open(&a.dir.path().join("data"), Some(&url)).await;
    let until = jiff::Timestamp::now().as_millisecond() + 3_600_000;
    raw.exec("DELETE FROM job_leases WHERE job LIKE 'node-number-%'", &[])
        .await;
    for n in 0..roost_core::id::MAX_NODES {
        raw.exec(
            "INSERT INTO job_leases (job, holder, held_until) VALUES ($1, $2, $3)",
            &[
                crate::backend::Val::T(format!("node-number-{n}")),
                crate::backend::Val::T(format!("other-{n}")),
                crate::backend::Val::I(until),
            ],
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = roost_server::config::Config::for_data_dir(&dir.path().join("data"));
    cfg.database = database.clone();
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    let err = roost_server::start(cfg).await.err().expect("no 17th node");
    assert!(
        matches!(err, roost_server::StartError::NoNodeNumber(16)),
        "{err}"
    );
    // The running node mints no IDs once its own number is another's: it answers 503
    // rather than risk an ID the other could make too.
    eventually(20, "the node stops minting", || async {
        let r = a
            .post_status_raw(&alice, json!({"status": "after losing the number"}))
            .await;
        (r.status.as_u16() == 503).then_some(r)
    })
    .await;
    raw.close().await;
}

#[tokio::test]
async fn a_post_made_on_one_node_is_found_by_search_on_the_other() {
    // Reconciling the index would find it too, but not for an hour.
    let Some([a, b]) =
        two_nodes(|c| c.search_reconcile = std::time::Duration::from_secs(3600)).await
    else {
        return;
    };
    let alice = a.register("alice").await;
    crate::search::opt_in(&a, &alice).await;
    let bob = b.register("bob").await;
    let post = a
        .post_status(&alice, json!({"status": "quokkas on the other node"}))
        .await;
    let found = eventually(10, "node b's index has the post", || async {
        let r = b
            .get(
                "/api/v2/search?q=quokkas&type=statuses&resolve=false",
                Some(&bob.token),
            )
            .await
            .ok();
        (!r["statuses"].as_array().unwrap().is_empty()).then_some(r)
    })
    .await;
    assert_eq!(ids(&found["statuses"]), vec![id_of(&post)]);
    // And a deletion leaves both indexes.
    a.delete(
        &format!("/api/v1/statuses/{}", id_of(&post)),
        Some(&alice.token),
    )
    .await
    .ok();
    eventually(10, "node b's index forgets it", || async {
        let r = b
            .get("/api/v2/search?q=quokkas&type=statuses", Some(&bob.token))
            .await
            .ok();
        r["statuses"].as_array().unwrap().is_empty().then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_deletion_reaches_a_list_streamed_on_the_other_node() {
    let Some([a, b]) = two_nodes(|_| {}).await else {
        return;
    };
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    b.follow(&bob, &alice).await;
    let list = b
        .post(
            "/api/v1/lists",
            Some(&bob.token),
            json!({"title": "friends"}),
        )
        .await
        .ok();
    let list = id_of(&list);
    b.post(
        &format!("/api/v1/lists/{list}/accounts"),
        Some(&bob.token),
        json!({"account_ids": [alice.id]}),
    )
    .await
    .ok();
    let mut ws = connect(
        &b,
        &format!("?access_token={}&stream=list&list={list}", bob.token),
    )
    .await;
    settle(&b, 1).await;
    let post = a
        .post_status(&alice, json!({"status": "for the list"}))
        .await;
    let frames = events_until(&mut ws, &id_of(&post)).await;
    assert!(
        frames.iter().all(|f| f.stream == ["list", list.as_str()]),
        "{frames:?}"
    );
    a.delete(
        &format!("/api/v1/statuses/{}", id_of(&post)),
        Some(&alice.token),
    )
    .await
    .ok();
    // The deleting node streams no list: who holds the post is read from the store.
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "delete", "{f:?}");
    assert_eq!(f.payload.to_string(), id_of(&post));
}
