//! Blocks, mutes, domain blocks and conversation mutes over real HTTP: the interaction
//! matrix (follow, reply, mention, quote, reblog, favourite, DM), the timelines, threads,
//! notifications, relationships and live streams, mute expiry, and a block across regions.

use crate::support::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn rel(s: &TestServer, viewer: &User, target: &str) -> Value {
    let v = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={target}"),
            Some(&viewer.token),
        )
        .await
        .ok();
    v[0].clone()
}

async fn act(s: &TestServer, user: &User, path: &str) -> Resp {
    s.post(path, Some(&user.token), json!({})).await
}

/// (type, from-account ID) of the user's notifications.
async fn notes(s: &TestServer, user: &User) -> Vec<(String, String)> {
    let n = s
        .get("/api/v1/notifications?limit=40", Some(&user.token))
        .await
        .ok();
    n.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["type"].as_str().unwrap().to_string(),
                x["account"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn from(notes: &[(String, String)], who: &User) -> usize {
    notes.iter().filter(|n| n.1 == who.id).count()
}

async fn tag_ids(s: &TestServer, tag: &str, user: Option<&User>) -> Vec<String> {
    ids(&s
        .get(
            &format!("/api/v1/timelines/tag/{tag}?limit=40"),
            user.map(|u| u.token.as_str()),
        )
        .await
        .ok())
}

async fn context_ids(s: &TestServer, id: &str, user: &User) -> Vec<String> {
    let c = s
        .get(&format!("/api/v1/statuses/{id}/context"), Some(&user.token))
        .await
        .ok();
    let mut out = ids(&c["ancestors"]);
    out.extend(ids(&c["descendants"]));
    out
}

#[tokio::test]
async fn a_block_cuts_every_interaction_both_ways() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;
    s.follow(&bob, &alice).await;
    s.follow(&alice, &carol).await;
    let p_a = id_of(
        &s.post_status(&alice, json!({"status": "alice #blocktag"}))
            .await,
    );
    let p_b = id_of(
        &s.post_status(&bob, json!({"status": "bob #blocktag"}))
            .await,
    );
    let p_c = id_of(&s.post_status(&carol, json!({"status": "carol root"})).await);
    let boost_b = id_of(
        &act(&s, &carol, &format!("/api/v1/statuses/{p_b}/reblog"))
            .await
            .ok(),
    );
    assert!(s.home_ids(&alice).await.contains(&boost_b));
    let bob_reply = id_of(
        &s.post_status(
            &bob,
            json!({"status": "bob replies", "in_reply_to_id": p_c}),
        )
        .await,
    );
    let alice_reply = id_of(
        &s.post_status(
            &alice,
            json!({"status": "alice replies", "in_reply_to_id": p_c}),
        )
        .await,
    );
    act(&s, &bob, &format!("/api/v1/statuses/{p_c}/favourite"))
        .await
        .ok();
    act(&s, &alice, &format!("/api/v1/statuses/{p_c}/favourite"))
        .await
        .ok();
    act(&s, &bob, &format!("/api/v1/statuses/{p_a}/favourite"))
        .await
        .ok();
    assert_eq!(
        from(&notes(&s, &alice).await, &bob),
        2,
        "follow and favourite"
    );
    assert!(s.home_ids(&alice).await.contains(&p_b));

    // The block, and the relationships on both sides.
    let r = act(&s, &alice, &format!("/api/v1/accounts/{}/block", bob.id))
        .await
        .ok();
    assert_eq!(r["id"], bob.id);
    assert_eq!(r["blocking"], true);
    assert_eq!(r["blocked_by"], false);
    assert_eq!(r["following"], false);
    assert_eq!(r["followed_by"], false);
    let back = rel(&s, &bob, &alice.id).await;
    assert_eq!(back["blocked_by"], true);
    assert_eq!(back["blocking"], false);
    assert_eq!(back["following"], false);
    let me = s
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await
        .ok();
    assert_eq!(me["followers_count"], 0);
    assert_eq!(me["following_count"], 1, "carol only");
    // The old notifications between them are gone.
    assert_eq!(from(&notes(&s, &alice).await, &bob), 0);

    // Follows refused either way (403, as Mastodon).
    for (who, whom) in [(&bob, &alice), (&alice, &bob)] {
        let e = act(&s, who, &format!("/api/v1/accounts/{}/follow", whom.id))
            .await
            .error(403);
        assert!(e.contains("not allowed"), "{e}");
    }
    // The blocked one cannot see the blocker's posts: 404 for each interaction.
    for path in ["reblog", "favourite"] {
        act(&s, &bob, &format!("/api/v1/statuses/{p_a}/{path}"))
            .await
            .error(404);
    }
    s.post_status_raw(&bob, json!({"status": "re", "in_reply_to_id": p_a}))
        .await
        .error(404);
    s.post_status_raw(&bob, json!({"status": "q", "quoted_status_id": p_a}))
        .await
        .error(404);
    s.get(&format!("/api/v1/statuses/{p_a}"), Some(&bob.token))
        .await
        .error(404);
    // The blocker sees the blocked one's posts but may not act on them: 403.
    s.get(&format!("/api/v1/statuses/{p_b}"), Some(&alice.token))
        .await
        .ok();
    for path in ["reblog", "favourite"] {
        act(&s, &alice, &format!("/api/v1/statuses/{p_b}/{path}"))
            .await
            .error(403);
    }
    s.post_status_raw(&alice, json!({"status": "re", "in_reply_to_id": p_b}))
        .await
        .error(403);
    s.post_status_raw(&alice, json!({"status": "q", "quoted_status_id": p_b}))
        .await
        .error(403);

    // Mentions and DMs either way notify no one and reach no timeline.
    let dm = id_of(
        &s.post_status(
            &bob,
            json!({"status": "@alice psst", "visibility": "direct"}),
        )
        .await,
    );
    let mention = id_of(&s.post_status(&bob, json!({"status": "hey @alice"})).await);
    s.post_status(&alice, json!({"status": "hey @bob"})).await;
    assert_eq!(from(&notes(&s, &alice).await, &bob), 0);
    assert_eq!(from(&notes(&s, &bob).await, &alice), 0);
    let home = s.home_ids(&alice).await;
    for hidden in [&p_b, &dm, &mention] {
        assert!(!home.contains(hidden), "{hidden} in alice's home");
    }
    // Carol's reblog of bob's post is gone from alice's home too; carol's own post stays.
    assert!(home.contains(&p_c));
    assert!(!home.contains(&boost_b));

    // Public and tag timelines: each hidden from the other, both shown to others.
    let public_alice = s.public_ids(Some(&alice)).await;
    assert!(!public_alice.contains(&p_b) && public_alice.contains(&p_a));
    let public_bob = s.public_ids(Some(&bob)).await;
    assert!(!public_bob.contains(&p_a) && public_bob.contains(&p_b));
    let public_anon = s.public_ids(None).await;
    assert!(public_anon.contains(&p_a) && public_anon.contains(&p_b));
    assert_eq!(
        tag_ids(&s, "blocktag", Some(&alice)).await,
        vec![p_a.clone()]
    );
    assert_eq!(tag_ids(&s, "blocktag", Some(&bob)).await, vec![p_b.clone()]);
    assert_eq!(tag_ids(&s, "blocktag", Some(&carol)).await.len(), 2);

    // Profiles: the blocked one sees the blocker's account but no statuses (Mastodon).
    s.get(&format!("/api/v1/accounts/{}", alice.id), Some(&bob.token))
        .await
        .ok();
    assert!(s.account_status_ids(&alice, Some(&bob)).await.is_empty());
    assert!(!s.account_status_ids(&alice, None).await.is_empty());
    assert!(s
        .account_status_ids(&bob, Some(&alice))
        .await
        .contains(&p_b));

    // Threads: each one's reply is left out for the other.
    let ctx_alice = context_ids(&s, &p_c, &alice).await;
    assert!(ctx_alice.contains(&alice_reply) && !ctx_alice.contains(&bob_reply));
    let ctx_bob = context_ids(&s, &p_c, &bob).await;
    assert!(ctx_bob.contains(&bob_reply) && !ctx_bob.contains(&alice_reply));
    assert_eq!(context_ids(&s, &p_c, &carol).await.len(), 2);

    // favourited_by: the other is left out.
    let favs = s
        .get(
            &format!("/api/v1/statuses/{p_c}/favourited_by"),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ids(&favs), vec![alice.id.clone()]);
    let favs = s
        .get(
            &format!("/api/v1/statuses/{p_c}/favourited_by"),
            Some(&carol.token),
        )
        .await
        .ok();
    assert_eq!(ids(&favs).len(), 2);

    // The list, and the end of the block.
    let list = s.get("/api/v1/blocks", Some(&alice.token)).await;
    assert!(list.link().contains("rel=\"next\""), "{}", list.link());
    assert_eq!(ids(&list.ok()), vec![bob.id.clone()]);
    assert!(ids(&s.get("/api/v1/blocks", Some(&bob.token)).await.ok()).is_empty());
    let r = act(&s, &alice, &format!("/api/v1/accounts/{}/unblock", bob.id))
        .await
        .ok();
    assert_eq!(r["blocking"], false);
    assert_eq!(rel(&s, &bob, &alice.id).await["blocked_by"], false);
    s.follow(&bob, &alice).await;
    assert_eq!(rel(&s, &alice, &bob.id).await["followed_by"], true);
    assert!(s.public_ids(Some(&alice)).await.contains(&p_b));
}

#[tokio::test]
async fn blocks_list_pages_with_link_headers() {
    let s = TestServer::start().await;
    let me = s.register("pager").await;
    let mut targets = Vec::new();
    for i in 0..3 {
        let t = s.register(&format!("target{i}")).await;
        act(&s, &me, &format!("/api/v1/accounts/{}/block", t.id))
            .await
            .ok();
        act(&s, &me, &format!("/api/v1/accounts/{}/mute", t.id))
            .await
            .ok();
        targets.push(t.id);
    }
    for list in ["blocks", "mutes"] {
        let first = s
            .get(&format!("/api/v1/{list}?limit=2"), Some(&me.token))
            .await;
        let next = link_rel(&first.link(), "next").expect("a next link");
        assert_eq!(
            ids(&first.ok()),
            vec![targets[2].clone(), targets[1].clone()]
        );
        let rest = s.get(&next, Some(&me.token)).await.ok();
        assert_eq!(ids(&rest), vec![targets[0].clone()]);
    }
    // Bad input is a client error, never a 500.
    act(&s, &me, "/api/v1/accounts/123456789/block")
        .await
        .error(404);
    act(&s, &me, "/api/v1/accounts/nope/mute").await.error(404);
    act(&s, &me, &format!("/api/v1/accounts/{}/block", me.id))
        .await
        .error(403);
    s.post(
        &format!("/api/v1/accounts/{}/mute", targets[0]),
        Some(&me.token),
        json!({"duration": "soon"}),
    )
    .await
    .error(422);
    // Scopes: a read-only token may list but not block.
    let read = s.scoped_token(&me, "read").await;
    s.get("/api/v1/blocks", Some(&read)).await.ok();
    s.post(
        &format!("/api/v1/accounts/{}/unblock", targets[0]),
        Some(&read),
        json!({}),
    )
    .await
    .error(403);
    s.get("/api/v1/blocks", None).await.error(401);
}

#[tokio::test]
async fn a_mute_hides_posts_and_notifications_and_expires() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let mia = s.register("mia").await;
    s.follow(&alice, &mia).await;
    let post = id_of(&s.post_status(&mia, json!({"status": "mia #mutetag"})).await);
    assert!(s.home_ids(&alice).await.contains(&post));

    // Without notifications: posts gone from home, public and tag; mentions still notify.
    let r = s
        .post(
            &format!("/api/v1/accounts/{}/mute", mia.id),
            Some(&alice.token),
            json!({"notifications": false}),
        )
        .await
        .ok();
    assert_eq!(r["muting"], true);
    assert_eq!(r["muting_notifications"], false);
    assert_eq!(r["following"], true, "a mute keeps the follow");
    assert_eq!(rel(&s, &mia, &alice.id).await["muting"], false);
    assert!(!s.home_ids(&alice).await.contains(&post));
    assert!(!s.public_ids(Some(&alice)).await.contains(&post));
    assert!(tag_ids(&s, "mutetag", Some(&alice)).await.is_empty());
    assert!(s.public_ids(Some(&mia)).await.contains(&post));
    // Her profile still shows them (as Mastodon).
    assert!(s
        .account_status_ids(&mia, Some(&alice))
        .await
        .contains(&post));
    s.post_status(&mia, json!({"status": "@alice one"})).await;
    assert_eq!(from(&notes(&s, &alice).await, &mia), 1);

    // With notifications (the default): her notifications go too.
    let r = act(&s, &alice, &format!("/api/v1/accounts/{}/mute", mia.id))
        .await
        .ok();
    assert_eq!(r["muting_notifications"], true);
    assert_eq!(from(&notes(&s, &alice).await, &mia), 0);
    s.post_status(&mia, json!({"status": "@alice two"})).await;
    assert_eq!(from(&notes(&s, &alice).await, &mia), 0);
    let mutes = s.get("/api/v1/mutes", Some(&alice.token)).await.ok();
    assert_eq!(ids(&mutes), vec![mia.id.clone()]);
    assert!(mutes[0]["mute_expires_at"].is_null());

    let r = act(&s, &alice, &format!("/api/v1/accounts/{}/unmute", mia.id))
        .await
        .ok();
    assert_eq!(r["muting"], false);
    assert!(s.home_ids(&alice).await.contains(&post));
    // What came while muted was never notified; the earlier one is back.
    assert_eq!(from(&notes(&s, &alice).await, &mia), 1);

    // A mute of one second is in effect, then is not.
    let r = s
        .post(
            &format!("/api/v1/accounts/{}/mute", mia.id),
            Some(&alice.token),
            json!({"duration": 1}),
        )
        .await
        .ok();
    assert_eq!(r["muting"], true);
    assert!(!s.home_ids(&alice).await.contains(&post));
    let mutes = s.get("/api/v1/mutes", Some(&alice.token)).await.ok();
    assert!(mutes[0]["mute_expires_at"].is_string());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(rel(&s, &alice, &mia.id).await["muting"], false);
    assert!(s.home_ids(&alice).await.contains(&post));
    assert!(ids(&s.get("/api/v1/mutes", Some(&alice.token)).await.ok()).is_empty());
    assert_eq!(from(&notes(&s, &alice).await, &mia), 1);
    s.post_status(&mia, json!({"status": "@alice three"})).await;
    assert_eq!(from(&notes(&s, &alice).await, &mia), 2);
}

#[tokio::test]
async fn domain_blocks_and_conversation_mutes() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;

    // Domain blocks: listed, removed, bad input refused.
    for d in ["far.example", "other.example"] {
        s.post_form(
            "/api/v1/domain_blocks",
            Some(&alice.token),
            &[("domain", d)],
        )
        .await
        .ok();
    }
    let list = s
        .get("/api/v1/domain_blocks", Some(&alice.token))
        .await
        .ok();
    assert_eq!(list, json!(["other.example", "far.example"]));
    s.req(
        reqwest::Method::DELETE,
        "/api/v1/domain_blocks?domain=far.example",
        Some(&alice.token),
        Body::None,
    )
    .await
    .ok();
    let list = s
        .get("/api/v1/domain_blocks", Some(&alice.token))
        .await
        .ok();
    assert_eq!(list, json!(["other.example"]));
    s.post("/api/v1/domain_blocks", Some(&alice.token), json!({}))
        .await
        .error(422);
    s.post(
        "/api/v1/domain_blocks",
        Some(&alice.token),
        json!({"domain": "bad domain/"}),
    )
    .await
    .error(422);

    // Conversation mutes: the thread stops notifying; the flag shows on its posts.
    let root = id_of(&s.post_status(&alice, json!({"status": "thread"})).await);
    let other = id_of(&s.post_status(&alice, json!({"status": "elsewhere"})).await);
    let first = id_of(
        &s.post_status(&bob, json!({"status": "@alice r1", "in_reply_to_id": root}))
            .await,
    );
    assert_eq!(from(&notes(&s, &alice).await, &bob), 1);
    let v = act(&s, &alice, &format!("/api/v1/statuses/{first}/mute"))
        .await
        .ok();
    assert_eq!(v["muted"], true);
    let v = s
        .get(&format!("/api/v1/statuses/{root}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(v["muted"], true, "the whole thread");
    let v = s
        .get(&format!("/api/v1/statuses/{other}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(v["muted"], false);
    s.post_status(
        &bob,
        json!({"status": "@alice r2", "in_reply_to_id": first}),
    )
    .await;
    act(&s, &bob, &format!("/api/v1/statuses/{root}/favourite"))
        .await
        .ok();
    assert_eq!(from(&notes(&s, &alice).await, &bob), 1, "nothing new");
    s.post_status(
        &bob,
        json!({"status": "@alice r3", "in_reply_to_id": other}),
    )
    .await;
    assert_eq!(from(&notes(&s, &alice).await, &bob), 2, "another thread");
    let v = act(&s, &alice, &format!("/api/v1/statuses/{root}/unmute"))
        .await
        .ok();
    assert_eq!(v["muted"], false);
    s.post_status(&bob, json!({"status": "@alice r4", "in_reply_to_id": root}))
        .await;
    assert_eq!(from(&notes(&s, &alice).await, &bob), 3);
    act(&s, &alice, "/api/v1/statuses/999999999/mute")
        .await
        .error(404);
}

// --- streams --------------------------------------------------------------------------

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &TestServer, query: &str) -> Ws {
    let url = format!(
        "{}/api/v1/streaming{query}",
        s.base.replacen("http", "ws", 1)
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket opens")
        .0
}

/// IDs of the `update`s received up to and including the one of `sentinel`.
async fn updates_until(ws: &mut Ws, sentinel: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        let Message::Text(t) = m else { continue };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["event"] != "update" {
            continue;
        }
        let p: Value = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
        let id = p["id"].as_str().unwrap().to_string();
        let done = id == sentinel;
        seen.push(id);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn streams_leave_out_blocked_and_muted_authors() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mia = s.register("mia").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &mia).await;
    s.follow(&alice, &carol).await;
    s.follow(&bob, &alice).await;
    act(&s, &alice, &format!("/api/v1/accounts/{}/block", bob.id))
        .await
        .ok();
    act(&s, &alice, &format!("/api/v1/accounts/{}/mute", mia.id))
        .await
        .ok();
    let mut user = connect(&s, &format!("?access_token={}&stream=user", alice.token)).await;
    let mut public = connect(&s, &format!("?access_token={}&stream=public", alice.token)).await;
    let mut bobs = connect(&s, &format!("?access_token={}&stream=public", bob.token)).await;
    let live = s.running.as_ref().unwrap().roost.live.clone();
    eventually(5, "connections registered", || async {
        (live.connections() >= 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let by_bob = id_of(&s.post_status(&bob, json!({"status": "bob speaks"})).await);
    let by_mia = id_of(&s.post_status(&mia, json!({"status": "mia speaks"})).await);
    let by_alice = id_of(
        &s.post_status(&alice, json!({"status": "alice speaks"}))
            .await,
    );
    let boost = id_of(
        &act(&s, &carol, &format!("/api/v1/statuses/{by_mia}/reblog"))
            .await
            .ok(),
    );
    let sentinel = id_of(
        &s.post_status(&carol, json!({"status": "carol speaks"}))
            .await,
    );

    let got = updates_until(&mut user, &sentinel).await;
    assert_eq!(
        got,
        vec![by_alice.clone(), sentinel.clone()],
        "no {by_mia}, {boost}"
    );
    let got = updates_until(&mut public, &sentinel).await;
    assert_eq!(
        got,
        vec![by_alice.clone(), sentinel.clone()],
        "no {by_bob}, {by_mia}"
    );
    // The blocked one's public stream has everyone's but the blocker's.
    let got = updates_until(&mut bobs, &sentinel).await;
    assert_eq!(got, vec![by_bob, by_mia, sentinel]);
}

// --- across regions -------------------------------------------------------------------

#[tokio::test]
async fn a_block_of_another_regions_user_holds_at_both_homes() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    // Budi follows Asha back, from his region.
    follow_across(&r, "id", &budi, "in", &asha).await;
    let post = id_of(
        &ids_
            .post_status(&budi, json!({"status": "from jakarta"}))
            .await,
    );
    eventually(10, "budi's post at in", || async {
        ins.home_ids(&asha).await.contains(&post).then_some(())
    })
    .await;

    let rl = act(ins, &asha, &format!("/api/v1/accounts/{}/block", budi.id))
        .await
        .ok();
    assert_eq!(rl["blocking"], true);
    assert_eq!(rl["following"], false);
    assert!(!ins.home_ids(&asha).await.contains(&post));
    // Budi's home hears of it: his follow of Asha ends there and he may not follow again.
    eventually(10, "the block at id", || async {
        let v = rel(ids_, &budi, &asha.id).await;
        (v["blocked_by"] == true && v["following"] == false).then_some(())
    })
    .await;
    act(ids_, &budi, &format!("/api/v1/accounts/{}/follow", asha.id))
        .await
        .error(403);
    // The kept block is Asha's social graph abroad: in the inventory, covered by the
    // ledgers (sent at `in`, stored at `id`), so the audit is clean.
    let rep = crate::regions::audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());
    let inv = ids_
        .running
        .as_ref()
        .unwrap()
        .roost
        .store()
        .foreign_records(None)
        .await
        .unwrap();
    let object = format!("block:{}:{}", asha.id, budi.id);
    assert!(inv.iter().any(|f| f.object == object), "{inv:?}");
    // The end of the block travels too.
    act(ins, &asha, &format!("/api/v1/accounts/{}/unblock", budi.id))
        .await
        .ok();
    eventually(10, "the unblock at id", || async {
        (rel(ids_, &budi, &asha.id).await["blocked_by"] == false).then_some(())
    })
    .await;
    let inv = ids_
        .running
        .as_ref()
        .unwrap()
        .roost
        .store()
        .foreign_records(None)
        .await
        .unwrap();
    assert!(inv.iter().all(|f| f.object != object), "forgotten: {inv:?}");
    act(ids_, &budi, &format!("/api/v1/accounts/{}/follow", asha.id))
        .await
        .ok();
}

#[tokio::test]
async fn under_deny_a_block_holds_locally_and_is_never_sent() {
    // `in` may send `id` everything but its users' social graph.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "in" {
            p.default.insert(
                roost_residency::DataClass::SocialGraph,
                roost_residency::Action::parse("deny").unwrap(),
            );
        }
        p
    })
    .await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let found = ins.lookup(&asha, &r.handle("id", "budi")).await;
    assert_eq!(found["id"], budi.id);
    let rl = act(ins, &asha, &format!("/api/v1/accounts/{}/block", budi.id))
        .await
        .ok();
    assert_eq!(rl["blocking"], true);
    assert_eq!(rel(ins, &asha, &budi.id).await["blocking"], true);
    let fed = &ins.running.as_ref().unwrap().roost;
    let out = fed.store().outbox_items(None).await.unwrap();
    assert!(
        out.iter().all(|i| !i.object.starts_with("block:")),
        "{out:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rel(ids_, &budi, &asha.id).await["blocked_by"], false);
}

#[tokio::test]
async fn the_blockers_region_refuses_what_the_blocked_users_region_sends() {
    // `in` may send its users' social graph to `id` only in transit: `id` cannot keep
    // Asha's block, so it lets Budi act, and `in` must refuse what arrives.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "in" {
            p.default.insert(
                roost_residency::DataClass::SocialGraph,
                roost_residency::Action::parse("transit").unwrap(),
            );
        }
        p
    })
    .await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let cita = ids_.register("cita").await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let post = id_of(
        &ins.post_status(&asha, json!({"status": "from mumbai"}))
            .await,
    );
    eventually(10, "asha's post at id", || async {
        ids_.home_ids(&budi).await.contains(&post).then_some(())
    })
    .await;

    act(ins, &asha, &format!("/api/v1/accounts/{}/block", budi.id))
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rel(ids_, &budi, &asha.id).await["blocked_by"],
        false,
        "id did not keep the block"
    );

    // Budi likes, replies, reblogs and quotes at his home, which lets him...
    act(ids_, &budi, &format!("/api/v1/statuses/{post}/favourite"))
        .await
        .ok();
    let reply = id_of(
        &ids_
            .post_status(
                &budi,
                json!({"status": format!("@{} no", r.handle("in", "asha")), "in_reply_to_id": post}),
            )
            .await,
    );
    let reblog = id_of(
        &act(ids_, &budi, &format!("/api/v1/statuses/{post}/reblog"))
            .await
            .ok(),
    );
    // ...and follows her again, from scratch.
    act(
        ids_,
        &budi,
        &format!("/api/v1/accounts/{}/unfollow", asha.id),
    )
    .await
    .ok();
    act(ids_, &budi, &format!("/api/v1/accounts/{}/follow", asha.id))
        .await
        .ok();
    // Cita's like, sent after his, says when they have all arrived at `in`.
    act(ids_, &cita, &format!("/api/v1/statuses/{post}/favourite"))
        .await
        .ok();
    let seen = |s: &'static str| {
        let token = asha.token.clone();
        let post = post.clone();
        async move {
            ins.get(&format!("/api/v1/statuses/{post}"), Some(&token))
                .await
                .ok()[s]
                .as_i64()
                .unwrap()
        }
    };
    eventually(10, "cita's like at in", || async {
        (seen("favourites_count").await >= 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // `in` refused all of Budi's: no count, no reply, no follow...
    assert_eq!(seen("favourites_count").await, 1, "only cita's like");
    assert_eq!(seen("replies_count").await, 0);
    assert_eq!(seen("reblogs_count").await, 0);
    assert_eq!(rel(ins, &asha, &budi.id).await["followed_by"], false);
    let followers = ins
        .get(
            &format!("/api/v1/accounts/{}/followers", asha.id),
            Some(&asha.token),
        )
        .await
        .ok();
    assert!(!ids(&followers).contains(&budi.id), "{followers}");
    // ...and does not say it keeps any of it: each is listed as not held, and why.
    let report = ids_
        .get("/api/roost/v1/residency/me", Some(&budi.token))
        .await
        .ok();
    let india = report["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["region"] == "in")
        .unwrap();
    for object in [
        format!("favourite:{}:{post}", budi.id),
        format!("follow:{}:{}", budi.id, asha.id),
        format!("status:{reply}"),
        format!("status:{reblog}"),
    ] {
        let has = |list: &str, why: Option<&str>| {
            india[list].as_array().unwrap().iter().any(|i| {
                i["object"] == object.as_str()
                    && why.is_none_or(|w| i["reason"].as_str().unwrap_or_default().contains(w))
            })
        };
        assert!(!has("items", None), "{object} listed as kept: {india}");
        assert!(
            has("not_held", Some("block")),
            "{object} not shown as dropped: {india}"
        );
    }
    // ...and no notification, even once the block is lifted (nothing was kept back).
    act(ins, &asha, &format!("/api/v1/accounts/{}/unblock", budi.id))
        .await
        .ok();
    let n = notes(ins, &asha).await;
    assert!(
        !n.iter()
            .any(|(kind, who)| who == &budi.id && kind != "follow"),
        "{n:?}"
    );
    assert!(n
        .iter()
        .any(|(kind, who)| who == &cita.id && kind == "favourite"));
}

#[tokio::test]
async fn a_domain_block_hides_a_whole_region() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let ravi = ins.register("ravi").await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    ins.follow(&asha, &ravi).await;
    let post = id_of(&ids_.post_status(&budi, json!({"status": "halo"})).await);
    eventually(10, "budi's post at in", || async {
        ins.home_ids(&asha).await.contains(&post).then_some(())
    })
    .await;

    let domain = r.cluster.region("id").unwrap().domain();
    ins.post(
        "/api/v1/domain_blocks",
        Some(&asha.token),
        json!({ "domain": domain }),
    )
    .await
    .ok();
    assert_eq!(
        ins.get("/api/v1/domain_blocks", Some(&asha.token))
            .await
            .ok(),
        json!([domain])
    );
    let rl = rel(ins, &asha, &budi.id).await;
    assert_eq!(rl["domain_blocking"], true);
    assert_eq!(rel(ins, &asha, &ravi.id).await["domain_blocking"], false);
    assert!(!ins.home_ids(&asha).await.contains(&post));
    let local = id_of(&ins.post_status(&ravi, json!({"status": "local"})).await);
    assert!(ins.home_ids(&asha).await.contains(&local));
    // His mention of both arrives: it notifies Ravi (in the same handling), not her.
    ids_.post_status(
        &budi,
        json!({"status": format!("@{} @{} hi", r.handle("in", "asha"), r.handle("in", "ravi"))}),
    )
    .await;
    eventually(10, "ravi notified at in", || async {
        (from(&notes(ins, &ravi).await, &budi) == 1).then_some(())
    })
    .await;
    assert_eq!(from(&notes(ins, &asha).await, &budi), 0);
    // Her own region's domain cannot be blocked.
    let own = r.cluster.region("in").unwrap().domain();
    ins.post(
        "/api/v1/domain_blocks",
        Some(&asha.token),
        json!({ "domain": own }),
    )
    .await
    .error(422);
    ins.req(
        reqwest::Method::DELETE,
        &format!("/api/v1/domain_blocks?domain={domain}"),
        Some(&asha.token),
        Body::None,
    )
    .await
    .ok();
    assert!(ins.home_ids(&asha).await.contains(&post));
    assert_eq!(rel(ins, &asha, &budi.id).await["domain_blocking"], false);
}

// --- web ------------------------------------------------------------------------------

/// Just enough of a browser: keeps cookies and the last page's CSRF token.
struct Pages {
    http: reqwest::Client,
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
    csrf: String,
}

impl Pages {
    fn new(base: &str) -> Pages {
        Pages {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: Default::default(),
            csrf: String::new(),
        }
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> (u16, String) {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let resp = rb.header("cookie", cookie.join("; ")).send().await.unwrap();
        let status = resp.status().as_u16();
        for sc in resp.headers().get_all("set-cookie") {
            let line = sc.to_str().unwrap();
            let pair = line.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_string(), v.to_string());
        }
        let body = resp.text().await.unwrap();
        if let Some(i) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
        (status, body)
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let rb = self.http.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut all = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("csrf", &csrf));
        let rb = self.http.post(format!("{}{path}", self.base)).form(&all);
        self.send(rb).await
    }

    async fn sign_up(&mut self, username: &str) {
        self.get("/signup").await;
        let email = format!("{username}@example.org");
        let (status, body) = self
            .submit(
                "/signup",
                &[
                    ("username", username),
                    ("email", &email),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{body}");
    }
}

#[tokio::test]
async fn block_and_mute_from_profile_pages_and_undo_from_settings() {
    let s = TestServer::start().await;
    let bob = s.register("bob").await;
    let mut web = Pages::new(&s.base);
    web.sign_up("webber").await;
    let me = s
        .get("/api/v1/accounts/lookup?acct=webber", None)
        .await
        .ok();
    let me = id_of(&me);

    let (_, page) = web.get("/@bob").await;
    assert!(page.contains("action=\"/@bob/block\""), "{page}");
    assert!(page.contains("action=\"/@bob/mute\""));
    let (status, _) = web.submit("/@bob/block", &[]).await;
    assert_eq!(status, 303);
    let (_, page) = web.get("/@bob").await;
    assert!(page.contains("Blocked."), "{page}");
    assert!(page.contains("action=\"/@bob/unblock\""));
    assert!(
        !page.contains("action=\"/@bob/follow\""),
        "no follow button"
    );
    web.submit("/@bob/mute", &[]).await;
    assert_eq!(rel(&s, &bob, &me).await["blocked_by"], true);

    // The settings page lists both, each with its undo.
    let (_, settings) = web.get("/settings/safety").await;
    assert!(settings.contains("Blocked accounts") && settings.contains("href=\"/@bob\""));
    assert!(settings.contains("action=\"/@bob/unblock\""));
    assert!(settings.contains("action=\"/@bob/unmute\""));
    let (status, _) = web
        .submit("/@bob/unblock", &[("back", "/settings/safety")])
        .await;
    assert_eq!(status, 303);
    web.get("/settings/safety").await;
    web.submit("/@bob/unmute", &[("back", "/settings/safety")])
        .await;
    let (_, settings) = web.get("/settings/safety").await;
    assert!(settings.contains("You block no one."), "{settings}");
    assert!(settings.contains("You mute no one."));
    let r = rel(&s, &bob, &me).await;
    assert_eq!(r["blocked_by"], false);
    // A form without the CSRF token changes nothing.
    let rb = web
        .http
        .post(format!("{}/@bob/block", s.base))
        .form(&[("x", "1")]);
    let (status, _) = web.send(rb).await;
    assert_eq!(status, 403);
    assert_eq!(rel(&s, &bob, &me).await["blocked_by"], false);
}

#[tokio::test]
async fn a_region_can_only_block_for_its_own_users() {
    let r = Regions::start(|_| policy_all("store")).await;
    let rogue = crate::rogue::Rogue::of(&r, "cn");
    let ids_ = r.get("id");
    let budi = ids_.register("budi").await;
    let asha = r.get("in").register("asha").await;
    let chen = r.get("cn").register("chen").await;
    let budi_uri = json!(format!(
        "{}/ap/users/{}",
        crate::rogue::base(&r, "id"),
        budi.id
    ));
    // `cn` claims Asha (of `in`) blocks Budi: refused, nothing kept.
    let forged = rogue.activity(&r, "Block", &asha.id, "asha", "in", budi_uri.clone());
    rogue.deliver(&r, "id", &forged).await.error(403);
    assert_eq!(rel(ids_, &budi, &asha.id).await["blocked_by"], false);
    // Its own user's block is kept: Budi may not follow Chen at home any more.
    let own = rogue.activity(&r, "Block", &chen.id, "chen", "cn", budi_uri);
    let resp = rogue.deliver(&r, "id", &own).await;
    assert!(resp.status.is_success(), "{}", resp.body);
    assert_eq!(rel(ids_, &budi, &chen.id).await["blocked_by"], true);
    act(ids_, &budi, &format!("/api/v1/accounts/{}/follow", chen.id))
        .await
        .error(403);
}
