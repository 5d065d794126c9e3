//! Honest records: what a region says it holds (its ledger, its inventory, "where is my
//! data") agrees with its tables. A reply or quote whose parent the receiving region does
//! not hold is not kept there, and is not reported as kept: its `stored` entry is
//! followed by a `dropped` one that says why, and the item is listed as not held.

use crate::regions::{audit, db};
use crate::support::{eventually, follow_across, id_of, policy_all, Regions};
use serde_json::{json, Value};

/// The answer of `region` inside a residency report.
fn at<'a>(report: &'a Value, region: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["region"] == region)
        .unwrap_or_else(|| panic!("no answer of {region} in {report}"))
}

/// `(direction, purpose)` of each of `region`'s ledger entries about `object`.
fn entries_about(h: &Value, object: &str) -> Vec<(String, String)> {
    h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entry"]["object"] == object)
        .map(|e| {
            (
                e["entry"]["direction"].as_str().unwrap().to_string(),
                e["entry"]["purpose"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_reply_or_quote_to_a_post_the_region_does_not_hold_is_not_reported_as_stored() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids, cns) = (r.get("in"), r.get("id"), r.get("cn"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = cns.register("chen").await;
    // Budi reads Chen; Asha reads Budi, not Chen: India never gets Chen's post.
    follow_across(&r, "id", &budi, "cn", &chen).await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let parent = id_of(
        &cns.post_status(&chen, json!({"status": "from China"}))
            .await,
    );
    eventually(10, "Chen's post kept at Indonesia", || async {
        ids.home_ids(&budi).await.contains(&parent).then_some(())
    })
    .await;
    let reply = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "a reply", "in_reply_to_id": parent}),
        )
        .await,
    );
    let quote = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "a quote", "quoted_status_id": parent}),
        )
        .await,
    );
    let plain = id_of(&ids.post_status(&budi, json!({"status": "plain"})).await);
    eventually(10, "the plain post at India", || async {
        ins.home_ids(&asha).await.contains(&plain).then_some(())
    })
    .await;

    let report = ids
        .get("/api/roost/v1/residency/me", Some(&budi.token))
        .await
        .ok();
    let india = at(&report, "in");
    let items: Vec<&str> = india["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["object"].as_str().unwrap())
        .collect();
    assert!(
        items.contains(&format!("status:{plain}").as_str()),
        "{india}"
    );
    let raw = db(&r, "in").await;
    for (id, why) in [(&reply, "replies to"), (&quote, "quotes")] {
        let object = format!("status:{id}");
        // India's tables do not hold it (the API would show it live from its home)...
        let rows = raw
            .i64(
                "SELECT count(*) FROM statuses WHERE id = $1",
                &[crate::backend::Val::I(id.parse().unwrap())],
            )
            .await;
        assert_eq!(rows, 0, "{object} is in India's statuses table");
        // ...and neither its inventory nor "where is my data" says it does.
        assert!(
            !items.contains(&object.as_str()),
            "{object} listed: {india}"
        );
        let records = raw
            .i64(
                &format!("SELECT count(*) FROM foreign_items WHERE object = '{object}'"),
                &[],
            )
            .await;
        assert_eq!(records, 0, "{object} in India's inventory");
        // The ledger says what happened: stored on arrival, then dropped, and why.
        let seen = entries_about(india, &object);
        assert!(
            seen.iter().any(|(d, _)| d == "stored"),
            "{object}: {seen:?}"
        );
        assert!(
            seen.iter()
                .any(|(d, p)| d == "dropped" && p.contains(why) && p.contains("not held")),
            "{object}: {seen:?}"
        );
        let not_held = india["not_held"].as_array().expect("not_held listed");
        assert!(
            not_held
                .iter()
                .any(|n| n["object"] == object && n["reason"].as_str().unwrap().contains(why)),
            "{object} not shown as not held: {india}"
        );
    }
    raw.close().await;
    // Where the parent is held (Chen's home) both are kept.
    for id in [&reply, &quote] {
        eventually(10, "the reply and the quote at China", || async {
            cns.get(&format!("/api/v1/statuses/{id}"), Some(&chen.token))
                .await
                .status
                .is_success()
                .then_some(())
        })
        .await;
    }

    // A foreign like goes with the post it likes (a cascade the federation never hears
    // of): the inventory forgets it in the same write.
    follow_across(&r, "id", &budi, "in", &asha).await;
    let mine = id_of(&ins.post_status(&asha, json!({"status": "like me"})).await);
    eventually(10, "Asha's post kept at Indonesia", || async {
        ids.home_ids(&budi).await.contains(&mine).then_some(())
    })
    .await;
    ids.post(
        &format!("/api/v1/statuses/{mine}/favourite"),
        Some(&budi.token),
        json!({}),
    )
    .await
    .ok();
    let like = format!("favourite:{}:{mine}", budi.id);
    let listed = |report: &Value| {
        at(report, "in")["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["object"] == like.as_str())
    };
    eventually(10, "the like kept at India", || async {
        let report = ids
            .get("/api/roost/v1/residency/me", Some(&budi.token))
            .await
            .ok();
        listed(&report).then_some(())
    })
    .await;
    ins.delete(&format!("/api/v1/statuses/{mine}"), Some(&asha.token))
        .await
        .ok();
    let report = ids
        .get("/api/roost/v1/residency/me", Some(&budi.token))
        .await
        .ok();
    assert!(
        !listed(&report),
        "{like} listed after its post went: {report}"
    );

    // Clean, once Indonesia has heard of the deletion and its index has caught up.
    let mut rep = audit(&r).await;
    for _ in 0..40 {
        if rep.is_clean() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        rep = audit(&r).await;
    }
    assert!(rep.is_clean(), "{}", rep.render());

    // Plants, each caught: inventory records of a post and a like India does not hold
    // (an over-report), and a bookmark naming a post it does not hold (the row scan, on
    // either backend).
    let fake = roost_core::Id::from_parts(
        jiff::Timestamp::now().as_millisecond(),
        r.cluster.region("cn").unwrap().number,
        9,
    )
    .0;
    let raw = db(&r, "in").await;
    for (object, class) in [
        (format!("status:{fake}"), "public_content"),
        (format!("favourite:{}:{plain}", chen.id), "engagement"),
    ] {
        raw.exec(
            &format!(
                "INSERT INTO foreign_items (object, home_region, class, subject, stored_at) \
                 VALUES ('{object}', 'cn', '{class}', {}, 0)",
                chen.id
            ),
            &[],
        )
        .await;
    }
    let bookmark = format!(
        "INSERT INTO bookmarks (id, account_id, status_id) VALUES (4243, {}, {fake})",
        asha.id
    );
    if crate::backend::postgres() {
        // As an intruder would: without the foreign-key checks.
        raw.exec("SET session_replication_role = replica", &[])
            .await;
        raw.exec(&bookmark, &[]).await;
    } else {
        let pool = crate::audit_references::raw_sqlite(&r, "in").await;
        sqlx::query(&bookmark).execute(&pool).await.unwrap();
        pool.close().await;
    }
    raw.close().await;
    let rep = audit(&r).await;
    let text = rep.render();
    use roost_residency::audit::ViolationKind;
    for object in [
        format!("status:{fake}"),
        format!("favourite:{}:{plain}", chen.id),
    ] {
        assert!(
            rep.violations.iter().any(|v| v.region == "in"
                && v.kind == ViolationKind::OverReported
                && v.detail.contains(&object)),
            "{object} not reported:\n{text}"
        );
    }
    assert!(
        rep.violations.iter().any(|v| v.region == "in"
            && v.kind == ViolationKind::UncoveredForeignItem
            && v.detail.starts_with("bookmarks row")
            && v.detail.contains(&format!("status:{fake}"))),
        "the bookmark not reported:\n{text}"
    );
    r.stop_all().await;
}

/// A delivery in flight is claimed in the inventory a moment before its row is written
/// (or dropped): the audit of a region taking deliveries must not call that an
/// over-report. Here a claim with no row comes and goes every 100 ms, one always present,
/// for as long as the audit runs; then one claim stays, and is reported.
#[tokio::test]
async fn claims_in_flight_during_the_audit_are_not_over_reports_but_one_that_stays_is() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, _budi) = r.asha_and_budi().await;
    let cn = r.cluster.region("cn").unwrap().number;
    let fake =
        move |n: u16| roost_core::Id::from_parts(jiff::Timestamp::now().as_millisecond(), cn, n).0;
    let asha_id = asha.id;
    let claim = move |id: i64| {
        format!(
            "INSERT INTO foreign_items (object, home_region, class, subject, stored_at) \
             VALUES ('status:{id}', 'cn', 'public_content', {}, 0)",
            asha_id
        )
    };
    let raw = db(&r, "in").await;
    let first = fake(1);
    raw.exec(&claim(first), &[]).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flight = {
        let stop = stop.clone();
        let claim = claim.clone();
        tokio::spawn(async move {
            let mut n = 1;
            let mut last = Some(first);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let id = fake(n);
                raw.exec(&claim(id), &[]).await;
                if let Some(old) = last.replace(id) {
                    raw.exec(
                        &format!("DELETE FROM foreign_items WHERE object = 'status:{old}'"),
                        &[],
                    )
                    .await;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if let Some(old) = last {
                raw.exec(
                    &format!("DELETE FROM foreign_items WHERE object = 'status:{old}'"),
                    &[],
                )
                .await;
            }
            raw.close().await;
            n
        })
    };
    let rep = audit(&r).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let claimed = flight.await.unwrap();
    assert!(rep.is_clean(), "{}", rep.render());
    assert!(
        claimed > 3,
        "claims came and went during the audit: {claimed}"
    );

    let raw = db(&r, "in").await;
    let stays = fake(0);
    raw.exec(&claim(stays), &[]).await;
    raw.close().await;
    let rep = audit(&r).await;
    use roost_residency::audit::ViolationKind;
    assert!(
        rep.violations.iter().any(|v| v.region == "in"
            && v.kind == ViolationKind::OverReported
            && v.detail.contains(&format!("status:{stays}"))),
        "the claim that stayed is not reported:\n{}",
        rep.render()
    );
    r.stop_all().await;
}

/// An inbound activity whose handling began but never ended (the process stopped
/// half-way: its mark is there, unapplied) is applied when it comes again, rather than
/// ignored as a replay and lost; one being applied right now is answered 503 (the
/// sender asks again later), and one applied is a replay (202, nothing twice).
#[tokio::test]
async fn an_activity_left_half_applied_by_a_stop_is_applied_when_it_comes_again() {
    use crate::backend::Val;
    use crate::rogue::{mint, Rogue};
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let home = Rogue::of(&r, "id");
    let create = |text: &str| {
        let id = mint(&r, "id").to_string();
        let note = home.note(&id, &budi.id, text, &format!("<p>{text}</p>"));
        (
            id,
            home.activity(&r, "Create", &budi.id, "budi", "id", note),
        )
    };
    let (left, left_act) = create("left half-applied");
    let (busy, busy_act) = create("being applied");
    let db = crate::regions::db(&r, "in").await;
    let now = jiff::Timestamp::now().as_millisecond();
    for (act, at) in [(&left_act, now - 3_600_000), (&busy_act, now)] {
        db.exec(
            "INSERT INTO inbox_seen (activity_id, received_at, applied) VALUES ($1, $2, 0)",
            &[Val::T(act["id"].as_str().unwrap().into()), Val::I(at)],
        )
        .await;
    }
    db.close().await;
    let ins = r.get("in");
    home.deliver(&r, "in", &left_act).await.expect(202);
    assert!(
        ins.home_ids(&asha).await.contains(&left),
        "taken over and applied"
    );
    let e = home.deliver(&r, "in", &busy_act).await.error(503);
    assert!(e.contains("being applied"), "{e}");
    assert!(!ins.home_ids(&asha).await.contains(&busy));
    // Applied now: a replay changes nothing.
    home.deliver(&r, "in", &left_act).await.expect(202);
    let ids = ins.home_ids(&asha).await;
    assert_eq!(ids.iter().filter(|i| **i == left).count(), 1, "{ids:?}");
    r.stop_all().await;
}
