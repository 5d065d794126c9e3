//! Several nodes on one PostgreSQL database: two `PgNodes` (or two `PgStore`s) opened on
//! one throwaway database stand for two nodes. Live events cross once each way, big ones
//! whole, transit posts never; a cache change made on one node drops the entry on the
//! other; a terminated listener reconnects; the attempt limits are one budget.
//!
//! Ordering is what makes "once" checkable without waiting: one node's messages arrive
//! in the order it sent them, so a marker sent after an event, received next, shows
//! nothing came twice or was left out in between.

use roost_core::cache::{Caches, Change};
use roost_core::id::Id;
use roost_core::limits::{Limits, LimitsConfig};
use roost_core::live::{Deleted, Event};
use roost_core::model::{Account, Status, Token, Visibility};
use roost_core::remote::TransitStatus;
use roost_store::PgNodes;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

mod pg_support;
use pg_support::TestDb;

/// Longest wait for a message before the test fails (a failure, never a pass).
const PATIENCE: Duration = Duration::from_secs(20);

async fn next(rx: &mut broadcast::Receiver<Arc<Event>>) -> Arc<Event> {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("an event within the patience")
        .expect("bus open")
}

/// The ID of a `Status` event (the tests' markers), or panics naming what came.
fn status_id(e: &Arc<Event>) -> i64 {
    match &**e {
        Event::Status { id } => id.0,
        other => panic!("expected a Status event, got {other:?}"),
    }
}

async fn two_nodes(db: &TestDb) -> (Arc<PgNodes>, Arc<PgNodes>) {
    let a = PgNodes::connect(&db.url).await.expect("node a");
    let b = PgNodes::connect(&db.url).await.expect("node b");
    (a, b)
}

#[tokio::test]
async fn an_event_published_on_one_node_reaches_both_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = two_nodes(&db).await;
    let (bus_a, bus_b) = (a.bus(), b.bus());
    assert!(bus_a.spans_nodes());
    let (mut on_a, mut on_b) = (bus_a.subscribe(), bus_b.subscribe());

    bus_a.publish(Event::Status { id: Id(1) });
    bus_a.publish(Event::Status { id: Id(2) });
    bus_b.publish(Event::Status { id: Id(3) });
    bus_a.publish(Event::Status { id: Id(4) });

    // Each node's hub: its own events at once, the other's in their order.
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    for _ in 0..4 {
        seen_a.push(status_id(&next(&mut on_a).await));
        seen_b.push(status_id(&next(&mut on_b).await));
    }
    seen_a.sort();
    seen_b.sort();
    assert_eq!(seen_a, [1, 2, 3, 4], "node a hears every event once");
    assert_eq!(seen_b, [1, 2, 3, 4], "node b hears every event once");

    // Nothing else is on the way: a last marker from each side is the next thing heard.
    bus_a.publish(Event::Status { id: Id(5) });
    assert_eq!(status_id(&next(&mut on_b).await), 5);
    assert_eq!(status_id(&next(&mut on_a).await), 5);
    bus_b.publish(Event::Status { id: Id(6) });
    assert_eq!(status_id(&next(&mut on_a).await), 6);
    assert_eq!(status_id(&next(&mut on_b).await), 6);
}

#[tokio::test]
async fn a_deletion_too_big_for_a_notification_arrives_whole() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = two_nodes(&db).await;
    let mut on_b = b.bus().subscribe();
    // 20,000 holders and 3,000 lists: far over NOTIFY's 8000 bytes.
    let big = Deleted {
        id: Id(77),
        public: true,
        local: true,
        tags: vec!["rust".into(), "तमिल".into()],
        in_reply_to: Some(Id(76)),
        holders: (0..20_000).map(|i| Id(1_000_000_000_000 + i)).collect(),
        lists: (0..3_000).map(|i| Id(2_000_000_000_000 + i)).collect(),
    };
    a.bus().publish(Event::Deleted(big.clone()));
    a.bus().publish(Event::Status { id: Id(78) });
    match &*next(&mut on_b).await {
        Event::Deleted(d) => assert_eq!(d, &big, "every holder and list, in order"),
        other => panic!("expected the deletion, got {other:?}"),
    }
    assert_eq!(status_id(&next(&mut on_b).await), 78);

    // It went through the payload table, which holds it until it is old.
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let stored: i64 = client
        .query_one("SELECT count(*) FROM node_payloads", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the big one stored, the marker inline");
}

fn transit() -> TransitStatus {
    let now = jiff::Timestamp::now();
    TransitStatus {
        status: Status {
            id: Id(90),
            account_id: Id(91),
            text: "secret words".into(),
            content_html: "<p>secret words</p>".into(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            quote_of_id: None,
            created_at: now,
            edited_at: None,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            quotes_count: 0,
            pinned: false,
        },
        author: Account {
            id: Id(91),
            username: "far".into(),
            home_region: "tw".into(),
            display_name: "Far".into(),
            note_source: String::new(),
            note_html: String::new(),
            locked: false,
            bot: false,
            discoverable: true,
            created_at: now,
            followers_count: 0,
            following_count: 0,
            statuses_count: 1,
            last_status_at: None,
            suspended: false,
            silenced: false,
            moving: false,
            avatar: None,
            header: None,
            fields: Vec::new(),
        },
        mentions: Vec::new(),
        tags: Vec::new(),
        views: Default::default(),
        media: Vec::new(),
        poll: None,
    }
}

#[tokio::test]
async fn a_transit_post_stays_on_its_node() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = two_nodes(&db).await;
    let (bus_a, mut on_a, mut on_b) = (a.bus(), a.bus().subscribe(), b.bus().subscribe());
    bus_a.publish(Event::Transit(Arc::new(transit())));
    bus_a.publish(Event::Status { id: Id(5) });
    assert!(matches!(&*next(&mut on_a).await, Event::Transit(_)));
    assert_eq!(status_id(&next(&mut on_a).await), 5);
    assert_eq!(
        status_id(&next(&mut on_b).await),
        5,
        "the other node gets the marker, and nothing before it"
    );
}

fn token(hash: &str) -> Token {
    Token {
        id: Id(1),
        app_id: Id(2),
        account_id: Some(Id(3)),
        scopes: "read".into(),
        access_hash: hash.into(),
        refresh_hash: None,
        created_at: jiff::Timestamp::now(),
        revoked: false,
        pending: false,
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_dropped_from_the_others_cache() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = two_nodes(&db).await;
    let (caches_a, caches_b) = (Arc::new(Caches::default()), Arc::new(Caches::default()));
    let inv_a = a.invalidation(caches_a.clone());
    let _inv_b = b.invalidation(caches_b.clone());
    for c in [&caches_a, &caches_b] {
        c.remember_token(c.epoch(), token("revoked"));
        c.remember_token(c.epoch(), token("kept"));
    }
    let mut on_b = b.bus().subscribe();

    inv_a.changed(&Change::TokenRevoked {
        access_hash: "revoked".into(),
    });
    assert!(caches_a.token("revoked").is_none(), "dropped here at once");
    // The change went before the marker, so it has been applied on b once the marker is in.
    a.bus().publish(Event::Status { id: Id(1) });
    assert_eq!(status_id(&next(&mut on_b).await), 1);
    assert!(
        caches_b.token("revoked").is_none(),
        "dropped on the other node"
    );
    assert!(caches_b.token("kept").is_some(), "only that one");
}

#[tokio::test]
async fn the_listener_reconnects_after_its_connection_is_terminated() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b) = two_nodes(&db).await;
    let caches_b = Arc::new(Caches::default());
    let _inv_b = b.invalidation(caches_b.clone());
    caches_b.remember_token(caches_b.epoch(), token("t"));
    let mut on_b = b.bus().subscribe();
    let before = b.listening_count();
    let pid = b.listener_pid();

    let (admin, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let ended: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(ended, "the listener's backend was there to end");
    tokio::time::timeout(PATIENCE, b.listening_after(before))
        .await
        .expect("listening again");
    assert_ne!(b.listener_pid(), pid, "on a new connection");
    assert!(
        caches_b.token("t").is_none(),
        "changes may have been missed meanwhile: the cache was emptied"
    );

    a.bus().publish(Event::Status { id: Id(9) });
    assert_eq!(status_id(&next(&mut on_b).await), 9, "heard again");
}

#[tokio::test]
async fn the_shared_limiter_gives_two_nodes_one_budget() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let cfg = LimitsConfig {
        sign_in_per_ip: 3,
        sign_in_per_login: 2,
        sign_up_per_ip: 2,
    };
    let (store_a, store_b) = (db.open().await, db.open().await);
    let secret = b"the region's secret";
    let node_a = Limits::counted_by(Arc::new(
        store_a.attempt_counter(cfg, secret).await.unwrap(),
    ));
    let node_b = Limits::counted_by(Arc::new(
        store_b.attempt_counter(cfg, secret).await.unwrap(),
    ));
    let ip: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    let other: std::net::IpAddr = "198.51.100.8".parse().unwrap();

    // Two guesses at alice, one on each node from two addresses: the third fails.
    assert!(node_a.sign_in(Some(ip), "alice").await.is_ok());
    assert!(node_b.sign_in(Some(other), "Alice ").await.is_ok());
    let over = node_b.sign_in(Some(ip), "alice").await.unwrap_err();
    assert_eq!(over.limit, 2);
    assert!(over.retry_after > Duration::ZERO);
    assert!(
        over.retry_after <= Duration::from_secs(30),
        "one cell is 30 s"
    );

    // The failed one counted its address first (as in memory): ip has used 2 of 3.
    assert!(node_a.sign_in(Some(ip), "bob").await.is_ok());
    let over_ip = node_b.sign_in(Some(ip), "carol").await.unwrap_err();
    assert_eq!(over_ip.limit, 3);

    assert!(node_a.sign_up(Some(ip)).await.is_ok());
    assert!(node_b.sign_up(Some(ip)).await.is_ok());
    assert!(node_a.sign_up(Some(ip)).await.is_err());
    assert!(node_b.sign_up(Some(other)).await.is_ok());

    // Neither addresses nor names are written.
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let keys: Vec<Vec<u8>> = client
        .query("SELECT key FROM attempt_counters", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Sign-in: ip, other, alice, bob (carol's attempt stopped at its address); sign-up:
    // ip, other.
    assert_eq!(keys.len(), 6, "one row per budget and key");
    for k in &keys {
        assert_eq!(k.len(), 32);
        for clear in ["198.51.100.7", "198.51.100.8", "alice", "bob"] {
            assert!(
                !k.windows(clear.len()).any(|w| w == clear.as_bytes()),
                "{clear} written in the clear"
            );
        }
    }
}
