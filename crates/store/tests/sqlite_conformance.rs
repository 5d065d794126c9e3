//! The conformance suite against SQLite (a fresh database file per test), plus checks that
//! only make sense for the SQLite store: reopening, concurrent writers, the audit's
//! inventory scan.

use roost_core::model::{
    FollowState, ForeignRecord, NewAccount, NewStatus, OutboxItem, OutboxState, Page, Visibility,
};
use roost_core::store::{AccountStore, FederationStore, FollowStore, StatusStore};
use roost_core::IdGen;
use roost_residency::ledger_log::LedgerStore;
use roost_residency::{DataClass, Direction, Ledger, LedgerEntry};
use roost_store::{SqliteOptions, SqliteStore};
use std::sync::Arc;

/// A store on a new file in a new temporary directory. NORMAL sync: the suite creates tens
/// of thousands of rows and durability on power loss is not what it tests.
async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = SqliteOptions {
        synchronous_full: false,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(&dir.path().join("roost.db"), opts)
        .await
        .expect("open store");
    (dir, store)
}

roost_store::conformance_suite!(fresh());

fn account(g: &IdGen, name: &str) -> NewAccount {
    NewAccount {
        id: g.next().unwrap(),
        username: name.into(),
        home_region: "in".into(),
        display_name: name.into(),
        created_at: jiff::Timestamp::now(),
    }
}

fn status(g: &IdGen, author: roost_core::Id) -> NewStatus {
    NewStatus {
        id: g.next().unwrap(),
        account_id: author,
        text: "hello".into(),
        content_html: "<p>hello</p>".into(),
        spoiler_text: String::new(),
        visibility: Visibility::Public,
        sensitive: false,
        language: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        quote_of_id: None,
        created_at: jiff::Timestamp::now(),
        mentions: vec![],
        tags: vec![],
        idempotency_key: None,
    }
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roost.db");
    let g = IdGen::new(1);
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    let a = store
        .create_account(&account(&g, "keeper"), None)
        .await
        .unwrap();
    let st = store.create_status(&status(&g, a.id)).await.unwrap();
    store.close().await;

    // Migrations are applied once; reopening finds everything.
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store
            .account_by_username("KEEPER")
            .await
            .unwrap()
            .unwrap()
            .statuses_count,
        1
    );
    assert_eq!(store.status(st.id).await.unwrap().unwrap(), st);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_readers_do_not_fail() {
    let (_dir, store) = fresh().await;
    let store = Arc::new(store);
    let g = Arc::new(IdGen::new(1));
    let star = store
        .create_account(&account(&g, "star"), None)
        .await
        .unwrap()
        .id;
    let post = store.create_status(&status(&g, star)).await.unwrap().id;

    let mut tasks = Vec::new();
    for i in 0..32 {
        let (store, g) = (store.clone(), g.clone());
        tasks.push(tokio::spawn(async move {
            let me = store
                .create_account(&account(&g, &format!("fan{i}")), None)
                .await
                .unwrap()
                .id;
            store
                .follow(
                    g.next().unwrap(),
                    me,
                    star,
                    FollowState::Accepted,
                    false,
                    true,
                )
                .await
                .unwrap();
            store
                .favourite(g.next().unwrap(), me, post, None)
                .await
                .unwrap();
            let mine = store.create_status(&status(&g, me)).await.unwrap().id;
            store.home_timeline(me, Page::default()).await.unwrap();
            store.visible_ids(Some(me), &[post, mine]).await.unwrap();
            store.account(star).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let star_acct = store.account(star).await.unwrap().unwrap();
    assert_eq!(star_acct.followers_count, 32);
    assert_eq!(
        store.status(post).await.unwrap().unwrap().favourites_count,
        32
    );
    store.close().await;
}

fn at(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

/// The key type is whatever `Ledger::open` takes (this crate does not name ed25519-dalek).
fn ledger_key<K: From<[u8; 32]>>() -> K {
    K::from([3; 32])
}

fn outbox_item(g: &IdGen, due_ms: i64) -> OutboxItem {
    let id = g.next().unwrap();
    OutboxItem {
        id,
        destination: "id".into(),
        class: DataClass::PublicContent,
        subject: None,
        object: format!("status:{id}"),
        purpose: "deliver Create".into(),
        body: format!("{{\"id\":\"{id}\"}}"),
        created_at: at(due_ms),
        next_attempt_at: at(due_ms),
        attempts: 0,
        state: OutboxState::Pending,
        last_error: None,
        ledger_index: None,
    }
}

fn ledger_entry(n: u64) -> LedgerEntry {
    LedgerEntry {
        time_ms: 1_000_000_000_000 + n as i64,
        direction: Direction::Sent,
        class: DataClass::PublicContent,
        subject: Some("45".into()),
        object: format!("status:{n}"),
        counterpart: "id".into(),
        purpose: "deliver Create".into(),
        payload_sha256: roost_residency::ledger::sha256_hex(&n.to_be_bytes()),
        decision: "store".into(),
    }
}

/// A restart: what the outbox worker, the inbox guard, the purge and the ledger rely on
/// is still there when the file is opened again.
#[tokio::test]
async fn federation_state_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roost.db");
    let g = IdGen::new(1);
    let t0 = 1_000_000_000_000;
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    let retried = OutboxItem {
        attempts: 2,
        last_error: Some("timeout".into()),
        ledger_index: Some(0),
        next_attempt_at: at(t0 + 8_000),
        ..outbox_item(&g, t0)
    };
    let delivered = OutboxItem {
        state: OutboxState::Delivered,
        attempts: 1,
        ledger_index: Some(1),
        ..outbox_item(&g, t0 + 10)
    };
    let fresh_item = outbox_item(&g, t0 + 20);
    store
        .enqueue(&[retried.clone(), delivered.clone(), fresh_item.clone()])
        .await
        .unwrap();
    assert_eq!(
        store
            .mark_activity_seen("https://id.example/a/1", at(t0), at(t0))
            .await
            .unwrap(),
        roost_core::store::Seen::New
    );
    store
        .finish_activity("https://id.example/a/1")
        .await
        .unwrap();
    let record = ForeignRecord {
        object: "status:77".into(),
        home_region: "id".into(),
        class: DataClass::PublicContent,
        subject: Some(roost_core::Id(45)),
        stored_at: at(t0),
        expires_at: Some(at(t0 + 86_400_000)),
    };
    store.record_foreign(&record).await.unwrap();
    let ledger = Ledger::open("in".into(), ledger_key(), Arc::new(store.clone()))
        .await
        .unwrap();
    let entries = [ledger_entry(1), ledger_entry(2), ledger_entry(3)];
    ledger.append(&entries).await.unwrap();
    let root = ledger.head().await.head.root_hash;
    drop(ledger);
    store.close().await;

    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store.outbox_items(None).await.unwrap(),
        vec![retried.clone(), delivered, fresh_item.clone()]
    );
    assert_eq!(
        store.due_outbox(at(t0 + 60_000), 10).await.unwrap(),
        vec![fresh_item.clone(), retried.clone()],
        "by next attempt"
    );
    assert_eq!(
        store.next_outbox_due().await.unwrap(),
        Some(fresh_item.next_attempt_at)
    );
    assert_eq!(
        store
            .mark_activity_seen("https://id.example/a/1", at(t0 + 1), at(t0 + 1))
            .await
            .unwrap(),
        roost_core::store::Seen::Applied
    );
    assert_eq!(
        store.foreign_records(None).await.unwrap(),
        vec![record.clone()]
    );
    assert_eq!(
        store
            .expired_foreign(at(t0 + 86_400_000), 10)
            .await
            .unwrap(),
        vec![record]
    );
    let ledger = Ledger::open("in".into(), ledger_key(), Arc::new(store.clone()))
        .await
        .unwrap();
    assert_eq!(ledger.size().await, 3);
    assert_eq!(ledger.head().await.head.root_hash, root);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(store.leaf(i as u64).await.unwrap(), Some(e.leaf_bytes()));
    }
    assert_eq!(
        store
            .ledger_indices_about(roost_core::Id(45))
            .await
            .unwrap(),
        vec![0, 1, 2]
    );
    drop(ledger);
    store.close().await;
}

/// The audit's scan reads the real tables, whatever `foreign_items` claims.
#[tokio::test]
async fn inventory_scan_finds_foreign_rows() {
    let (_dir, store) = fresh().await;
    roost_store::conformance::inventory_scan_finds_foreign_rows(&store).await;
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roost.db");
    let junk = b"this is not an SQLite database, and it is longer than a header".repeat(100);
    std::fs::write(&path, &junk).unwrap();
    let opened = SqliteStore::open(&path, SqliteOptions::default()).await;
    assert!(
        opened.is_err(),
        "opening junk must fail, not panic or overwrite"
    );
    assert_eq!(std::fs::read(&path).unwrap(), junk, "the file is unchanged");
}

/// Lists, filters and followed tags are their owner's private data: one owned by an
/// account of another region is flagged like identity abroad (the use cases only ever
/// write them for local users; a direct status opens conversations for local users only).
#[tokio::test]
async fn inventory_flags_private_organising_rows_of_foreign_owners() {
    let (_dir, store) = fresh().await;
    roost_store::conformance::inventory_flags_private_organising_rows_of_foreign_owners(&store)
        .await;
}
