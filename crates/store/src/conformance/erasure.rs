//! Conformance: `ErasureStore` (an account erased in one write with every other count
//! kept exact, the tombstone that keeps its handle taken, acknowledgements, the record
//! abroad of an erasure the region was told of).

use super::{T0, W};
use roost_core::media::{Blob, MediaAttachment, MediaKind, MediaRole};
use roost_core::model::*;
use roost_core::store::{Store, StoreError};
use roost_residency::DataClass;

pub async fn erasure_removes_the_account_and_keeps_other_counts(s: &dyn Store) {
    let w = W::new(s);
    let gone = w.account("gone").await;
    let fan = w.account("fan").await;
    let friend = w.account("friend").await;
    w.follow(fan, gone).await;
    w.follow(gone, friend).await;
    let p = w.post(gone, Visibility::Public).await;
    let q = w.post(friend, Visibility::Public).await;
    w.reply(gone, q, Visibility::Public).await;
    w.reblog(gone, q).await;
    s.favourite(w.id(), gone, q, None).await.unwrap();
    s.favourite(w.id(), fan, p, None).await.unwrap();
    s.bookmark(w.id(), fan, p).await.unwrap();
    let fans_reply = w.reply(fan, p, Visibility::Public).await;
    let q_before = w.status(q).await;
    assert_eq!(
        (
            q_before.replies_count,
            q_before.reblogs_count,
            q_before.favourites_count
        ),
        (1, 1, 1)
    );
    let file = "ab".repeat(32);
    let m = MediaAttachment {
        id: w.id(),
        account_id: gone,
        status_id: None,
        role: MediaRole::Attachment,
        kind: MediaKind::Image,
        file: None,
        preview: None,
        size: None,
        small: None,
        blurhash: None,
        description: "described".into(),
        focus: (0.0, 0.0),
        position: 0,
        created_at: super::at(T0),
    };
    s.create_media(&m).await.unwrap();
    s.finish_media(&MediaAttachment {
        file: Some(Blob {
            hash: file.clone(),
            mime: "image/png".into(),
            size: 10,
        }),
        ..m
    })
    .await
    .unwrap();
    let avatar = "cd".repeat(32);
    s.set_profile_file(gone, MediaRole::Avatar, Some(&format!("{avatar}.png")))
        .await
        .unwrap();
    let mut queued = w.outbox_item("far", T0);
    queued.subject = Some(gone);
    queued.body = "about them".into();
    s.enqueue(std::slice::from_ref(&queued)).await.unwrap();
    s.record_foreign(&ForeignRecord {
        object: format!("follow:{gone}:{friend}"),
        home_region: "far".into(),
        class: DataClass::SocialGraph,
        subject: Some(gone),
        stored_at: super::at(T0),
        expires_at: None,
    })
    .await
    .unwrap();
    let username = w.acct(gone).await.username;

    let record = Erasure {
        account_id: gone,
        erased_at: super::at(T0),
        regions: ["far", "near"]
            .iter()
            .map(|r| ErasureRegion {
                region: r.to_string(),
                acknowledged_at: None,
                ledger_index: None,
            })
            .collect(),
    };
    let rows = s
        .erase_account(gone, Some(&record))
        .await
        .unwrap()
        .expect("erased");
    assert_eq!(rows.statuses.len(), 3, "post, reply and reblog");
    assert!(rows.statuses.contains(&p));
    let mut blobs = vec![file, avatar];
    blobs.sort();
    assert_eq!(rows.blobs, blobs);

    assert!(s.account(gone).await.unwrap().is_none());
    assert!(s.status(p).await.unwrap().is_none());
    let q_after = w.status(q).await;
    assert_eq!(
        (
            q_after.replies_count,
            q_after.reblogs_count,
            q_after.favourites_count
        ),
        (0, 0, 0)
    );
    assert_eq!(w.acct(fan).await.following_count, 0);
    assert_eq!(w.acct(friend).await.followers_count, 0);
    assert!(s
        .bookmarks_of(fan, super::page(10))
        .await
        .unwrap()
        .is_empty());
    // The fan's own reply stays theirs.
    assert!(s.status(fans_reply).await.unwrap().is_some());
    assert!(!s.blob_in_use(&blobs[0]).await.unwrap());
    assert!(!s.blob_in_use(&blobs[1]).await.unwrap());
    assert!(s.foreign_records(Some(gone)).await.unwrap().is_empty());
    let left = s.outbox_items(None).await.unwrap();
    let item = left.iter().find(|i| i.id == queued.id).expect("kept");
    assert_eq!(item.body, "");
    assert_eq!(item.state, OutboxState::Expired);

    // The tombstone: the record, and the handle stays taken.
    assert_eq!(s.erasure(gone).await.unwrap().as_ref(), Some(&record));
    let mut again = w.new_account("x", &w.region());
    again.username = username.to_uppercase();
    assert!(matches!(
        s.create_account(&again, None).await,
        Err(StoreError::Conflict("username"))
    ));
    assert!(s.erase_account(gone, None).await.unwrap().is_none());
}

pub async fn erasure_acknowledgements_count_once_per_told_region(s: &dyn Store) {
    let w = W::new(s);
    let gone = w.account("gone").await;
    let record = Erasure {
        account_id: gone,
        erased_at: super::at(T0 + 5),
        regions: vec![ErasureRegion {
            region: "far".into(),
            acknowledged_at: None,
            ledger_index: None,
        }],
    };
    s.erase_account(gone, Some(&record)).await.unwrap().unwrap();
    assert!(!s.erasure(gone).await.unwrap().unwrap().complete());
    assert!(!s
        .acknowledge_erasure(gone, "elsewhere", super::at(T0 + 6), 3)
        .await
        .unwrap());
    assert!(s
        .acknowledge_erasure(gone, "far", super::at(T0 + 7), 4)
        .await
        .unwrap());
    assert!(!s
        .acknowledge_erasure(gone, "far", super::at(T0 + 8), 5)
        .await
        .unwrap());
    let done = s.erasure(gone).await.unwrap().unwrap();
    assert!(done.complete());
    assert_eq!(done.regions[0].acknowledged_at, Some(super::at(T0 + 7)));
    assert_eq!(done.regions[0].ledger_index, Some(4));
    assert!(s
        .erasures(1000)
        .await
        .unwrap()
        .iter()
        .any(|e| e.account_id == gone));
    assert!(s.erasure(w.id()).await.unwrap().is_none());
}

pub async fn erasures_abroad_are_recorded_in_the_same_write(s: &dyn Store) {
    let w = W::new(s);
    let gone = w.remote("gone", "far").await;
    let fan = w.account("fan").await;
    w.follow(fan, gone).await;
    w.follow(gone, fan).await;
    let q = w.post(fan, Visibility::Public).await;
    s.favourite(w.id(), gone, q, None).await.unwrap();
    assert!(s.foreign_erasure(gone).await.unwrap().is_none());

    let record = ForeignErasure {
        account_id: gone,
        home_region: "far".into(),
        erased_at: super::at(T0),
    };
    s.erase_foreign_account(&record)
        .await
        .unwrap()
        .expect("erased");
    assert!(s.account(gone).await.unwrap().is_none());
    assert_eq!(w.acct(fan).await.followers_count, 0);
    assert_eq!(w.acct(fan).await.following_count, 0);
    assert_eq!(w.status(q).await.favourites_count, 0);
    assert_eq!(s.foreign_erasure(gone).await.unwrap(), Some(record.clone()));
    // Not the home's record: no handle is kept, and no region was told from here.
    assert!(s.erasure(gone).await.unwrap().is_none());

    // Told again (a redelivered Delete): nothing to erase, the first record stands.
    let again = ForeignErasure {
        erased_at: super::at(T0 + 9),
        ..record.clone()
    };
    assert!(s.erase_foreign_account(&again).await.unwrap().is_none());
    assert_eq!(s.foreign_erasure(gone).await.unwrap(), Some(record));

    // Told of an account none of whose rows are here: recorded all the same, since an
    // older backup may hold some.
    let unknown = ForeignErasure {
        account_id: w.id(),
        home_region: "near".into(),
        erased_at: super::at(T0 + 1),
    };
    assert!(s.erase_foreign_account(&unknown).await.unwrap().is_none());
    assert_eq!(
        s.foreign_erasure(unknown.account_id).await.unwrap(),
        Some(unknown)
    );
    assert!(s.foreign_erasure(fan).await.unwrap().is_none());
}

pub async fn moves_run_one_at_a_time_and_forward_their_ids(s: &dyn Store) {
    let w = W::new(s);
    let mover = w.account("mover").await;
    let p = w.post(mover, Visibility::Public).await;
    let (new_account, new_post) = (w.id(), w.id());
    assert!(s.begin_move(mover, "far", super::at(T0)).await.unwrap());
    assert!(!s
        .begin_move(mover, "near", super::at(T0 + 1))
        .await
        .unwrap());
    assert_eq!(s.running_move(mover).await.unwrap().as_deref(), Some("far"));
    // Nothing forwards while the move runs; an abandoned one leaves nothing behind.
    assert!(s.forward(mover).await.unwrap().is_none());
    s.abandon_move(mover).await.unwrap();
    assert!(s.running_move(mover).await.unwrap().is_none());
    assert!(s.begin_move(mover, "far", super::at(T0 + 2)).await.unwrap());
    s.finish_move(mover, new_account, &[(p, new_post)], super::at(T0 + 3))
        .await
        .unwrap();
    assert!(s.running_move(mover).await.unwrap().is_none());
    let f = s.forward(mover).await.unwrap().unwrap();
    assert_eq!(
        (f.region.as_str(), f.new_id, f.status),
        ("far", new_account, false)
    );
    let f = s.forward(p).await.unwrap().unwrap();
    assert_eq!(
        (f.region.as_str(), f.new_id, f.status),
        ("far", new_post, true)
    );
    // A finished move is not abandoned, and the account cannot move again from here.
    s.abandon_move(mover).await.unwrap();
    assert!(s.forward(mover).await.unwrap().is_some());
    assert!(!s
        .begin_move(mover, "near", super::at(T0 + 4))
        .await
        .unwrap());
    assert!(s.forward(w.id()).await.unwrap().is_none());
}

pub async fn moves_mark_the_account_while_they_run(s: &dyn Store) {
    let w = W::new(s);
    let mover = w.account("marked").await;
    assert!(!s.account(mover).await.unwrap().unwrap().moving);
    assert!(s.begin_move(mover, "far", super::at(T0)).await.unwrap());
    assert!(s.account(mover).await.unwrap().unwrap().moving);
    // Every read of the account says so (the many-accounts read too).
    assert!(s.accounts(&[mover]).await.unwrap()[0].moving);
    s.abandon_move(mover).await.unwrap();
    assert!(!s.account(mover).await.unwrap().unwrap().moving);
    // A refused second move leaves the running one's mark alone.
    assert!(s.begin_move(mover, "far", super::at(T0 + 1)).await.unwrap());
    assert!(!s
        .begin_move(mover, "near", super::at(T0 + 2))
        .await
        .unwrap());
    assert!(s.account(mover).await.unwrap().unwrap().moving);
}

pub async fn unfinished_moves_are_the_old_ones_whose_account_is_here(s: &dyn Store) {
    let w = W::new(s);
    let (asked, answered, done, fresh) = (
        w.account("asked").await,
        w.account("answered").await,
        w.account("done").await,
        w.account("fresh").await,
    );
    let new_id = w.id();
    assert!(s.begin_move(asked, "far", super::at(T0)).await.unwrap());
    assert!(s
        .begin_move(answered, "near", super::at(T0 + 1))
        .await
        .unwrap());
    s.finish_move(answered, new_id, &[], super::at(T0 + 2))
        .await
        .unwrap();
    assert!(s.begin_move(done, "far", super::at(T0 + 3)).await.unwrap());
    s.finish_move(done, w.id(), &[], super::at(T0 + 4))
        .await
        .unwrap();
    s.erase_account(done, None).await.unwrap().unwrap();
    assert!(s
        .begin_move(fresh, "far", super::at(T0 + 10))
        .await
        .unwrap());
    let mine = |all: Vec<UnfinishedMove>| -> Vec<UnfinishedMove> {
        all.into_iter()
            .filter(|m| [asked, answered, done, fresh].contains(&m.account))
            .collect()
    };
    let found = mine(s.unfinished_moves(super::at(T0 + 10)).await.unwrap());
    assert_eq!(
        found,
        vec![
            UnfinishedMove {
                account: asked,
                region: "far".into(),
                new_id: None
            },
            UnfinishedMove {
                account: answered,
                region: "near".into(),
                new_id: Some(new_id)
            },
        ]
    );
    // One begun at the time asked is not yet old enough.
    assert_eq!(
        mine(s.unfinished_moves(super::at(T0 + 11)).await.unwrap()).len(),
        3
    );
    s.abandon_move(asked).await.unwrap();
    let found = mine(s.unfinished_moves(super::at(T0 + 10)).await.unwrap());
    assert_eq!(found.len(), 1, "{found:?}");
}

pub async fn moved_in_accounts_are_found_again_and_keep_their_posts_ids(s: &dyn Store) {
    let w = W::new(s);
    let (old_id, old_post, older_post) = (w.id(), w.id(), w.id());
    assert!(s.moved_in(old_id).await.unwrap().is_none());
    let na = w.new_account("arrived", "in");
    let user = w.user_for(&na);
    let made = s
        .create_moved_account(&na, &user, "far", old_id, super::at(T0))
        .await
        .unwrap();
    assert_eq!(made.id, na.id);
    assert!(s.user(na.id).await.unwrap().is_some());
    // Its posts' IDs here are kept once: asked again, the first one stands.
    let (first, second) = (w.id(), w.id());
    assert_eq!(
        s.keep_moved_status(old_id, old_post, first).await.unwrap(),
        first
    );
    assert_eq!(
        s.keep_moved_status(old_id, old_post, second).await.unwrap(),
        first
    );
    let third = w.id();
    assert_eq!(
        s.keep_moved_status(old_id, older_post, third)
            .await
            .unwrap(),
        third
    );
    let m = s.moved_in(old_id).await.unwrap().unwrap();
    assert_eq!((m.origin.as_str(), m.account_id), ("far", na.id));
    let mut want = vec![(old_post, first), (older_post, third)];
    want.sort();
    assert_eq!(m.statuses, want);
    // Another account of the same name is refused, and records nothing.
    let mut other = w.new_account("x", "in");
    other.username = na.username.clone();
    let other_user = User {
        email: format!("moved_other_{}@example.com", w.tag),
        ..w.user_for(&other)
    };
    let other_old = w.id();
    assert!(matches!(
        s.create_moved_account(&other, &other_user, "far", other_old, super::at(T0 + 1))
            .await,
        Err(StoreError::Conflict("username"))
    ));
    assert!(s.moved_in(other_old).await.unwrap().is_none());
    // The account erased here takes its record along.
    s.erase_account(na.id, None).await.unwrap();
    assert!(s.moved_in(old_id).await.unwrap().is_none());
}
