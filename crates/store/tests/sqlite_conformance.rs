//! The conformance suite against SQLite (a fresh database file per test), plus checks that
//! only make sense for the SQLite store: reopening, concurrent writers.

use roost_core::model::{FollowState, NewAccount, NewStatus, Page, Visibility};
use roost_core::store::{AccountStore, FollowStore, StatusStore};
use roost_core::IdGen;
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
        id: g.next(),
        username: name.into(),
        home_region: "in".into(),
        display_name: name.into(),
        created_at: jiff::Timestamp::now(),
    }
}

fn status(g: &IdGen, author: roost_core::Id) -> NewStatus {
    NewStatus {
        id: g.next(),
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
                .follow(g.next(), me, star, FollowState::Accepted, false, true)
                .await
                .unwrap();
            store.favourite(g.next(), me, post).await.unwrap();
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
