//! Conformance: several nodes of one region on one database (`Fixture::other_node`).
//! Outbox rows claimed once, whichever node asks; one ledger whichever node appends;
//! a periodic job's lease held by one node; view counts that add up.

use super::{at, ledger_entry, ledger_key, Fixture, Leaves, T0, W};
use roost_core::model::{OutboxItem, OutboxState, ViewCount, Visibility};
use roost_core::store::Store;
use roost_core::Id;
use roost_residency::merkle::{self, verify_consistency, verify_inclusion};
use roost_residency::{Ledger, LedgerEntry};
use std::collections::HashSet;
use std::sync::Arc;

fn ids(items: &[OutboxItem], mine: &HashSet<Id>) -> Vec<Id> {
    let mut v: Vec<Id> = items
        .iter()
        .map(|i| i.id)
        .filter(|i| mine.contains(i))
        .collect();
    v.sort();
    v
}

pub async fn outbox_claims_once_across_nodes(f: &dyn Fixture) {
    let a = f.shared();
    let b = f.other_node().await;
    let w = W::new(a.as_ref());
    let before = a.next_outbox_due().await.unwrap();
    let items: Vec<OutboxItem> = (0..60).map(|i| w.outbox_item("f1", T0 + i)).collect();
    a.enqueue(&items).await.unwrap();
    let mine: HashSet<Id> = items.iter().map(|i| i.id).collect();
    let mut all: Vec<Id> = mine.iter().copied().collect();
    all.sort();
    let now = T0 + 1_000;
    let lease = now + 60_000;

    // Three workers on each node claim small batches at once until none is left.
    let mut workers = tokio::task::JoinSet::new();
    for k in 0..6 {
        let s: Arc<dyn Store> = if k % 2 == 0 { a.clone() } else { b.clone() };
        workers.spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = s.claim_outbox(at(now), at(lease), 4).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                assert!(batch.len() <= 4, "at most the limit");
                assert!(
                    batch
                        .windows(2)
                        .all(|p| (p[0].next_attempt_at, p[0].id) <= (p[1].next_attempt_at, p[1].id)),
                    "oldest first"
                );
                assert!(batch.iter().all(|i| i.state == OutboxState::Pending));
                got.extend(batch);
                tokio::task::yield_now().await;
            }
        });
    }
    let mut claimed = Vec::new();
    while let Some(r) = workers.join_next().await {
        claimed.extend(r.unwrap());
    }
    assert_eq!(
        ids(&claimed, &mine),
        all,
        "every row claimed, none by two workers"
    );
    assert_eq!(claimed.len(), all.len());

    // Leased: invisible to claims and to the due list on both nodes until the lease ends,
    // and the next due time is the lease's end.
    for s in [&a, &b] {
        assert!(ids(
            &s.claim_outbox(at(lease - 1), at(lease + 5), 100)
                .await
                .unwrap(),
            &mine
        )
        .is_empty());
        assert!(ids(&s.due_outbox(at(lease - 1), 100).await.unwrap(), &mine).is_empty());
    }
    let expect_next = |t: i64| Some(before.map_or(at(t), |b| b.min(at(t))));
    assert_eq!(a.next_outbox_due().await.unwrap(), expect_next(lease));

    // The claimer "crashed": once the lease has ended, the other node gets every row.
    let lease2 = lease + 60_000;
    let retaken = b.claim_outbox(at(lease), at(lease2), 100).await.unwrap();
    assert_eq!(
        ids(&retaken, &mine),
        all,
        "an expired lease is claimable again"
    );
    assert!(ids(
        &a.claim_outbox(at(lease), at(lease2), 100).await.unwrap(),
        &mine
    )
    .is_empty());

    // Writing a row back (a failed attempt, due again at once) ends its lease...
    let mut retried = retaken[0].clone();
    retried.attempts = 1;
    retried.last_error = Some("timeout".into());
    retried.next_attempt_at = at(lease + 1);
    b.update_outbox(&retried).await.unwrap();
    let again = a
        .claim_outbox(at(lease + 1), at(lease2), 100)
        .await
        .unwrap();
    assert_eq!(ids(&again, &mine), vec![retried.id]);
    assert_eq!(
        again.iter().find(|i| i.id == retried.id),
        Some(&retried),
        "the claimed row is the row as written"
    );
    // ...and a finished one is never claimed again, leased or not.
    let done = OutboxItem {
        state: OutboxState::Delivered,
        attempts: 2,
        last_error: None,
        ledger_index: Some(3),
        ..retried
    };
    a.update_outbox(&done).await.unwrap();
    let after = b
        .claim_outbox(at(lease2), at(lease2 + 10), 100)
        .await
        .unwrap();
    let mut rest: Vec<Id> = all.iter().copied().filter(|i| *i != done.id).collect();
    rest.sort();
    assert_eq!(ids(&after, &mine), rest);
}

/// Two nodes, each with its own `Ledger` (its own tree in memory) over its own store on
/// the same database, appending in turn and at once: one ledger, whichever node answers.
pub async fn ledger_agrees_across_nodes(f: &dyn Fixture) {
    let (sa, sb) = (f.shared(), f.other_node().await);
    let w = W::new(sa.as_ref());
    let region = w.region();
    let open = |s: Arc<dyn Store>| {
        let region = region.clone();
        async move {
            Arc::new(
                Ledger::open(region, ledger_key(), Arc::new(Leaves(s)))
                    .await
                    .expect("open ledger"),
            )
        }
    };
    let (a, b) = (open(sa.clone()).await, open(sb.clone()).await);
    let base = a.size().await;
    assert_eq!(b.size().await, base);

    // In turn: what one node appended, the other's size, head and next index know.
    let mut appended: Vec<(u64, Vec<LedgerEntry>)> = Vec::new();
    let first = a
        .append(&[ledger_entry(1, None), ledger_entry(2, None)])
        .await
        .unwrap();
    appended.push((first, vec![ledger_entry(1, None), ledger_entry(2, None)]));
    assert_eq!(b.size().await, base + 2, "b sees a's leaves");
    let hb = b.head().await;
    assert_eq!(hb.head.tree_size, base + 2);
    assert_eq!(hb.head.root_hash, a.head().await.head.root_hash);
    let first = b.append(&[ledger_entry(3, None)]).await.unwrap();
    assert_eq!(first, base + 2, "b's leaf goes after a's");
    appended.push((first, vec![ledger_entry(3, None)]));
    assert_eq!(a.append(&[]).await.unwrap(), base + 3);

    // At once: two tasks per node, batches of one to three.
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..4u64 {
        let ledger = if k % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move {
            let mut mine = Vec::new();
            for i in 0..8u64 {
                let n = 100 + k * 100 + i * 10;
                let batch: Vec<LedgerEntry> =
                    (0..=(i % 3)).map(|j| ledger_entry(n + j, None)).collect();
                mine.push((ledger.append(&batch).await.unwrap(), batch));
                tokio::task::yield_now().await;
            }
            mine
        });
    }
    while let Some(r) = tasks.join_next().await {
        appended.extend(r.unwrap());
    }
    appended.sort_by_key(|(first, _)| *first);
    let mut all: Vec<LedgerEntry> = Vec::new();
    for (first, batch) in &appended {
        assert_eq!(
            *first,
            base + all.len() as u64,
            "no index used twice, no gap"
        );
        all.extend(batch.iter().cloned());
    }
    let size = base + all.len() as u64;
    for (i, e) in all.iter().enumerate() {
        assert_eq!(
            sa.leaf(base + i as u64).await.unwrap(),
            Some(e.leaf_bytes())
        );
    }

    // Both nodes sign the same tree: the one the store holds.
    let stored = sb.leaf_hashes().await.unwrap();
    assert_eq!(stored.len() as u64, size);
    let (ha, hb) = (a.head().await, b.head().await);
    for (l, h) in [(&a, &ha), (&b, &hb)] {
        assert_eq!(l.size().await, size);
        assert_eq!(h.head.tree_size, size);
        assert_eq!(h.head.root_hash, merkle::root(&stored));
        h.verify(&[l.public_key()]).unwrap();
    }

    // Proofs from either node verify against the other's heads.
    let mid = base + 3;
    let old_root = merkle::root(&stored[..mid as usize]);
    for (prover, head) in [(&a, &hb), (&b, &ha)] {
        for index in [base, base + 2, mid, size - 1] {
            let leaf = all[(index - base) as usize].leaf_hash();
            let proof = prover.inclusion(index, size).await.unwrap();
            verify_inclusion(&leaf, index, size, &proof, &head.head.root_hash).unwrap();
        }
        let proof = prover.consistency(mid, size).await.unwrap();
        verify_consistency(mid, size, &old_root, &head.head.root_hash, &proof).unwrap();
        assert_eq!(prover.root_at(mid).await.unwrap(), old_root);
    }
    let listed: Vec<LedgerEntry> = b
        .entries(base, size)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(listed, all);

    // A size only the other node has seen yet is caught up to, not refused.
    let n = a.append(&[ledger_entry(9_999, None)]).await.unwrap();
    assert_eq!(n, size);
    let proof = b.inclusion(size, size + 1).await.unwrap();
    let head = a.head().await;
    verify_inclusion(
        &ledger_entry(9_999, None).leaf_hash(),
        size,
        size + 1,
        &proof,
        &head.head.root_hash,
    )
    .unwrap();
}

pub async fn job_lease_held_by_one_node(f: &dyn Fixture) {
    let (a, b) = (f.shared(), f.other_node().await);
    let w = W::new(a.as_ref());
    let job = w.name("jobs");
    let (na, nb) = (w.name("node-a"), w.name("node-b"));
    let t = |ms: i64| at(T0 + ms);

    // Both ask at once: exactly one gets it.
    let (ga, gb) = tokio::join!(
        a.take_lease(&job, &na, t(0), t(1_000)),
        b.take_lease(&job, &nb, t(0), t(1_000))
    );
    let (ga, gb) = (ga.unwrap(), gb.unwrap());
    assert!(ga != gb, "one holder, not {ga} and {gb}");
    let (holder, hs, other, os) = if ga {
        (&na, &a, &nb, &b)
    } else {
        (&nb, &b, &na, &a)
    };

    // The other is refused until the lease ends; the holder renews it.
    assert!(!os.take_lease(&job, other, t(999), t(2_000)).await.unwrap());
    assert!(
        hs.take_lease(&job, holder, t(500), t(3_000)).await.unwrap(),
        "renewed"
    );
    assert!(
        !os.take_lease(&job, other, t(2_999), t(4_000))
            .await
            .unwrap(),
        "renewal counts"
    );
    // Another job is another lease.
    assert!(os
        .take_lease(&w.name("purge"), other, t(0), t(1_000))
        .await
        .unwrap());

    // Expired: the other node takes over, and the old holder is refused.
    assert!(os
        .take_lease(&job, other, t(3_000), t(4_000))
        .await
        .unwrap());
    assert!(!hs
        .take_lease(&job, holder, t(3_001), t(5_000))
        .await
        .unwrap());

    // Released: free at once; a release by a non-holder changes nothing.
    hs.release_lease(&job, holder).await.unwrap();
    assert!(!hs
        .take_lease(&job, holder, t(3_002), t(5_000))
        .await
        .unwrap());
    os.release_lease(&job, other).await.unwrap();
    assert!(hs
        .take_lease(&job, holder, t(3_003), t(5_000))
        .await
        .unwrap());
}

/// Each node counts visits in memory and flushes its own batches: the stored counts are
/// the sums, whichever node flushed first and in whatever order, at once.
pub async fn views_from_two_nodes_add_up(f: &dyn Fixture) {
    let (a, b) = (f.shared(), f.other_node().await);
    let w = W::new(a.as_ref());
    let author = w.account("viewed").await;
    let mut posts = Vec::new();
    for _ in 0..5 {
        posts.push(w.post(author, Visibility::Public).await);
    }
    let day = 200;
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..4usize {
        let s = if k % 2 == 0 { a.clone() } else { b.clone() };
        let mut order = posts.clone();
        if k % 2 == 1 {
            // The other node's batches name the rows in the opposite order.
            order.reverse();
        }
        tasks.spawn(async move {
            for round in 0..10i64 {
                let batch: Vec<(Id, i32, i64)> = order
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (*p, day, 1 + i as i64 + round))
                    .collect();
                s.add_views(&batch).await.unwrap();
                tokio::task::yield_now().await;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    // Per post: 4 flushers x 10 rounds; position i in a batch adds 1 + i + round.
    let mut expect = Vec::new();
    for (pi, p) in posts.iter().enumerate() {
        let mut total = 0;
        for k in 0..4usize {
            let i = if k % 2 == 1 { posts.len() - 1 - pi } else { pi } as i64;
            total += (0..10i64).map(|round| 1 + i + round).sum::<i64>();
        }
        expect.push((
            *p,
            ViewCount {
                total,
                today: total,
            },
        ));
    }
    for s in [&a, &b] {
        let mut got = s.views(&posts, day).await.unwrap();
        got.sort_by_key(|e| e.0);
        let mut want = expect.clone();
        want.sort_by_key(|e| e.0);
        assert_eq!(got, want);
    }
}
