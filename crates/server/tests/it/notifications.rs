//! Notifications: every type with its account and status, filters, single reads,
//! dismissing, clearing, unread counts with markers, pagination and visibility.

use crate::support::*;
use serde_json::{json, Value};

async fn notifs(s: &TestServer, u: &User, query: &str) -> Vec<Value> {
    let v = s
        .get(&format!("/api/v1/notifications{query}"), Some(&u.token))
        .await
        .expect(200);
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .clone()
}

fn types(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect()
}

fn sid(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn unread(s: &TestServer, u: &User) -> i64 {
    s.get("/api/v1/notifications/unread_count", Some(&u.token))
        .await
        .expect(200)["count"]
        .as_i64()
        .unwrap()
}

/// The single notification of `kind`; fails if there are none or several.
fn only<'a>(list: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = list.iter().filter(|n| n["type"] == kind).collect();
    assert_eq!(found.len(), 1, "expected one {kind} in {:?}", types(list));
    found[0]
}

fn next_link(link: &str) -> Option<String> {
    if link.is_empty() {
        return None;
    }
    let first = link.split(',').next().unwrap();
    assert!(
        first.contains("rel=\"next\""),
        "next must come first: {link}"
    );
    Some(first[first.find('<').unwrap() + 1..first.find('>').unwrap()].to_string())
}

#[tokio::test]
async fn each_type_is_produced() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let post = s
        .post_status(&alice, json!({"status": "alice's post"}))
        .await;
    let post_id = sid(&post);

    // mention
    let mention = s
        .post_status(&bob, json!({"status": "hey @alice look"}))
        .await;
    let n = notifs(&s, &alice, "").await;
    let m = only(&n, "mention");
    assert_eq!(m["account"]["id"], bob.id.as_str());
    assert_eq!(m["status"]["id"], mention["id"]);
    assert_eq!(m["status"]["mentions"][0]["id"], alice.id.as_str());
    assert!(m["id"].is_string() && m["created_at"].is_string() && m["group_key"].is_string());

    // reblog: the status is alice's original
    s.post(
        &format!("/api/v1/statuses/{post_id}/reblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    let n = notifs(&s, &alice, "").await;
    let r = only(&n, "reblog");
    assert_eq!(r["account"]["id"], bob.id.as_str());
    assert_eq!(r["status"]["id"], post_id.as_str());

    // favourite
    s.post(
        &format!("/api/v1/statuses/{post_id}/favourite"),
        Some(&carol.token),
        json!({}),
    )
    .await
    .expect(200);
    // Favouriting again does not notify again.
    s.post(
        &format!("/api/v1/statuses/{post_id}/favourite"),
        Some(&carol.token),
        json!({}),
    )
    .await
    .expect(200);
    let n = notifs(&s, &alice, "").await;
    let f = only(&n, "favourite");
    assert_eq!(f["account"]["id"], carol.id.as_str());
    assert_eq!(f["status"]["id"], post_id.as_str());
    assert_eq!(f["status"]["favourites_count"], 1);

    // follow: no status
    s.follow(&carol, &alice).await;
    let n = notifs(&s, &alice, "").await;
    let fo = only(&n, "follow");
    assert_eq!(fo["account"]["id"], carol.id.as_str());
    assert!(fo["status"].is_null(), "{fo}");

    // quote: the status is the quoting one
    let quote = s
        .post_status(
            &bob,
            json!({"status": "quoting alice", "quoted_status_id": post_id}),
        )
        .await;
    let n = notifs(&s, &alice, "").await;
    let q = only(&n, "quote");
    assert_eq!(q["account"]["id"], bob.id.as_str());
    assert_eq!(q["status"]["id"], quote["id"]);
    assert_eq!(
        q["status"]["quote"]["quoted_status"]["id"],
        post_id.as_str()
    );

    // status: alice subscribes to bob's posts
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&alice.token),
            json!({"notify": true}),
        )
        .await
        .expect(200);
    assert_eq!(rel["notifying"], true);
    let bobs_new = s
        .post_status(&bob, json!({"status": "news from bob"}))
        .await;
    let n = notifs(&s, &alice, "").await;
    let st = only(&n, "status");
    assert_eq!(st["account"]["id"], bob.id.as_str());
    assert_eq!(st["status"]["id"], bobs_new["id"]);
    // A follower without notify gets nothing of the kind.
    s.follow(&carol, &bob).await;
    s.post_status(&bob, json!({"status": "more news"})).await;
    assert!(notifs(&s, &carol, "")
        .await
        .iter()
        .all(|n| n["type"] != "status"));
    assert_eq!(notifs(&s, &alice, "?types[]=status").await.len(), 2);

    // update: bob reblogged alice's post; alice edits it
    s.put(
        &format!("/api/v1/statuses/{post_id}"),
        Some(&alice.token),
        json!({"status": "alice's post, edited"}),
    )
    .await
    .expect(200);
    let n = notifs(&s, &bob, "").await;
    let u = only(&n, "update");
    assert_eq!(u["account"]["id"], alice.id.as_str());
    assert_eq!(u["status"]["id"], post_id.as_str());
    assert!(u["status"]["content"].as_str().unwrap().contains("edited"));
    assert!(u["status"]["edited_at"].is_string());
    // carol only favourited: no update for her.
    assert!(notifs(&s, &carol, "")
        .await
        .iter()
        .all(|n| n["type"] != "update"));

    // follow_request
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&carol.token),
        json!({"locked": true}),
    )
    .await
    .expect(200);
    s.follow(&bob, &carol).await;
    let n = notifs(&s, &carol, "").await;
    let fr = only(&n, "follow_request");
    assert_eq!(fr["account"]["id"], bob.id.as_str());
    assert!(fr["status"].is_null());

    // Newest first.
    let all = notifs(&s, &alice, "").await;
    let ids: Vec<u64> = all
        .iter()
        .map(|n| n["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(
        types(&all),
        [
            "status",
            "status",
            "quote",
            "follow",
            "favourite",
            "reblog",
            "mention"
        ]
    );
}

#[tokio::test]
async fn no_self_notifications() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let post = s
        .post_status(&alice, json!({"status": "talking to myself @alice"}))
        .await;
    let id = sid(&post);
    s.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/statuses/{id}/reblog"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .expect(200);
    s.post_status(
        &alice,
        json!({"status": "quoting myself", "quoted_status_id": id}),
    )
    .await;
    s.post_status(
        &alice,
        json!({"status": "replying to myself", "in_reply_to_id": id}),
    )
    .await;
    s.put(
        &format!("/api/v1/statuses/{id}"),
        Some(&alice.token),
        json!({"status": "edited @alice"}),
    )
    .await
    .expect(200);
    assert_eq!(notifs(&s, &alice, "").await, Vec::<Value>::new());
    assert_eq!(unread(&s, &alice).await, 0);
}

#[tokio::test]
async fn type_filters() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let post = s.post_status(&alice, json!({"status": "filter me"})).await;
    let id = sid(&post);
    s.post_status(&bob, json!({"status": "@alice ping"})).await;
    s.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    s.follow(&bob, &alice).await;

    assert_eq!(
        types(&notifs(&s, &alice, "").await),
        ["follow", "favourite", "mention"]
    );
    assert_eq!(
        types(&notifs(&s, &alice, "?types[]=mention").await),
        ["mention"]
    );
    assert_eq!(
        types(&notifs(&s, &alice, "?types[]=mention&types[]=follow").await),
        ["follow", "mention"]
    );
    assert_eq!(
        types(&notifs(&s, &alice, "?exclude_types[]=mention").await),
        ["follow", "favourite"]
    );
    assert_eq!(
        types(
            &notifs(
                &s,
                &alice,
                "?exclude_types[]=mention&exclude_types[]=follow"
            )
            .await
        ),
        ["favourite"]
    );
    assert_eq!(
        types(
            &notifs(
                &s,
                &alice,
                "?types[]=favourite&types[]=follow&exclude_types[]=follow"
            )
            .await
        ),
        ["favourite"]
    );
    assert_eq!(
        types(&notifs(&s, &alice, "?types[]=reblog").await),
        Vec::<String>::new()
    );
    // Unknown types are ignored in exclude_types; only-unknown types[] match nothing.
    assert_eq!(
        types(&notifs(&s, &alice, "?exclude_types[]=admin.sign_up").await).len(),
        3
    );
    assert_eq!(
        types(&notifs(&s, &alice, "?types[]=admin.sign_up").await),
        Vec::<String>::new()
    );
    // The same filters as a JSON-style single value.
    assert_eq!(
        types(&notifs(&s, &alice, "?types=favourite").await),
        ["favourite"]
    );
}

#[tokio::test]
async fn get_dismiss_clear() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.post_status(&bob, json!({"status": "@alice one"})).await;
    s.post_status(&bob, json!({"status": "@alice two"})).await;
    s.follow(&bob, &alice).await;
    s.post_status(&alice, json!({"status": "@carol hi"})).await;
    let list = notifs(&s, &alice, "").await;
    assert_eq!(list.len(), 3);
    let first = sid(&list[0]);
    let second = sid(&list[1]);

    let got = s
        .get(
            &format!("/api/v1/notifications/{first}"),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(got, list[0]);

    // Someone else's notification is invisible: 404, and the attempt changes nothing.
    s.get(
        &format!("/api/v1/notifications/{first}"),
        Some(&carol.token),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v1/notifications/{first}/dismiss"),
        Some(&carol.token),
        json!({}),
    )
    .await
    .error(404);
    s.get(
        &format!("/api/v1/notifications/{first}"),
        Some(&alice.token),
    )
    .await
    .expect(200);
    let carols = notifs(&s, &carol, "").await;
    assert_eq!(carols.len(), 1);
    s.get(
        &format!("/api/v1/notifications/{}", sid(&carols[0])),
        Some(&alice.token),
    )
    .await
    .error(404);
    s.get("/api/v1/notifications/999999", Some(&alice.token))
        .await
        .error(404);
    s.get("/api/v1/notifications/abc", Some(&alice.token))
        .await
        .error(404);
    s.get(&format!("/api/v1/notifications/{first}"), None)
        .await
        .error(401);

    let r = s
        .post(
            &format!("/api/v1/notifications/{first}/dismiss"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(r, json!({}));
    s.get(
        &format!("/api/v1/notifications/{first}"),
        Some(&alice.token),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v1/notifications/{first}/dismiss"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    let left = notifs(&s, &alice, "").await;
    assert_eq!(left.len(), 2);
    assert_eq!(sid(&left[0]), second);

    let r = s
        .post("/api/v1/notifications/clear", Some(&alice.token), json!({}))
        .await
        .expect(200);
    assert_eq!(r, json!({}));
    assert_eq!(notifs(&s, &alice, "").await, Vec::<Value>::new());
    assert_eq!(unread(&s, &alice).await, 0);
    // Clearing alice's did not touch carol's.
    assert_eq!(notifs(&s, &carol, "").await.len(), 1);
}

#[tokio::test]
async fn unread_count_follows_marker() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    assert_eq!(unread(&s, &alice).await, 0);
    for i in 0..3 {
        s.post_status(&bob, json!({"status": format!("@alice number {i}")}))
            .await;
    }
    assert_eq!(unread(&s, &alice).await, 3);
    let list = notifs(&s, &alice, "").await;
    // Mark the second newest as read: one stays unread.
    let marker = s
        .post_form(
            "/api/v1/markers",
            Some(&alice.token),
            &[("notifications[last_read_id]", &sid(&list[1]))],
        )
        .await
        .expect(200);
    assert_eq!(marker["notifications"]["last_read_id"], list[1]["id"]);
    assert_eq!(unread(&s, &alice).await, 1);
    let got = s
        .get(
            "/api/v1/markers?timeline[]=notifications",
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(got["notifications"]["last_read_id"], list[1]["id"]);
    // JSON body; all read.
    s.post(
        "/api/v1/markers",
        Some(&alice.token),
        json!({"notifications": {"last_read_id": sid(&list[0])}}),
    )
    .await
    .expect(200);
    assert_eq!(unread(&s, &alice).await, 0);
    // A new one counts again.
    s.post_status(&bob, json!({"status": "@alice again"})).await;
    assert_eq!(unread(&s, &alice).await, 1);
    // Bob's count is his own.
    assert_eq!(unread(&s, &bob).await, 0);
    s.get("/api/v1/notifications/unread_count", None)
        .await
        .error(401);
}

#[tokio::test]
async fn pagination_with_link_headers() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    for i in 0..5 {
        s.post_status(&bob, json!({"status": format!("@alice page {i}")}))
            .await;
    }
    let all = notifs(&s, &alice, "").await;
    assert_eq!(all.len(), 5);
    let all_ids: Vec<String> = all.iter().map(sid).collect();

    let mut seen = Vec::new();
    let mut url = "/api/v1/notifications?limit=2".to_string();
    for _ in 0..5 {
        let r = s.get(&url, Some(&alice.token)).await;
        let link = r.link();
        let page = r.expect(200);
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 2);
        if page_ids.is_empty() {
            break;
        }
        seen.extend(page_ids);
        match next_link(&link) {
            Some(next) => {
                assert!(next.contains("limit=2"), "{next}");
                assert!(next.contains("max_id="), "{next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(seen, all_ids);

    // prev with min_id gives what is newer.
    let r = s
        .get(
            &format!("/api/v1/notifications?max_id={}", all_ids[2]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&r.body), all_ids[3..].to_vec());
    let r = s
        .get(
            &format!("/api/v1/notifications?min_id={}&limit=1", all_ids[2]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        ids(&r.body),
        vec![all_ids[1].clone()],
        "min_id gives the oldest just above"
    );
    let r = s
        .get(
            &format!("/api/v1/notifications?since_id={}&limit=1", all_ids[2]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        ids(&r.body),
        vec![all_ids[0].clone()],
        "since_id gives the newest"
    );

    // Filters survive in the next link.
    s.follow(&bob, &alice).await;
    let r = s
        .get(
            "/api/v1/notifications?types[]=mention&limit=3",
            Some(&alice.token),
        )
        .await;
    let next = next_link(&r.link()).expect("next");
    assert!(
        next.contains("types%5B%5D=mention") || next.contains("types[]=mention"),
        "{next}"
    );
    let rest = s.get(&next, Some(&alice.token)).await.expect(200);
    assert_eq!(types(rest.as_array().unwrap()), ["mention", "mention"]);
    assert_eq!(ids(&rest), all_ids[3..].to_vec());
}

#[tokio::test]
async fn notification_about_deleted_status_disappears() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let m = s
        .post_status(&bob, json!({"status": "@alice soon gone"}))
        .await;
    s.post_status(&bob, json!({"status": "@alice stays"})).await;
    let post = s
        .post_status(&alice, json!({"status": "liked then gone"}))
        .await;
    s.post(
        &format!("/api/v1/statuses/{}/favourite", sid(&post)),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(notifs(&s, &alice, "").await.len(), 3);
    assert_eq!(unread(&s, &alice).await, 3);
    let gone = notifs(&s, &alice, "")
        .await
        .into_iter()
        .find(|n| n["status"]["id"] == m["id"])
        .unwrap();

    s.delete(&format!("/api/v1/statuses/{}", sid(&m)), Some(&bob.token))
        .await
        .expect(200);
    let left = notifs(&s, &alice, "").await;
    assert_eq!(types(&left), ["favourite", "mention"]);
    assert!(left.iter().all(|n| n["status"]["id"] != m["id"]));
    s.get(
        &format!("/api/v1/notifications/{}", sid(&gone)),
        Some(&alice.token),
    )
    .await
    .error(404);
    assert_eq!(unread(&s, &alice).await, 2);

    s.delete(
        &format!("/api/v1/statuses/{}", sid(&post)),
        Some(&alice.token),
    )
    .await
    .expect(200);
    assert_eq!(types(&notifs(&s, &alice, "").await), ["mention"]);
    assert_eq!(unread(&s, &alice).await, 1);
}

#[tokio::test]
async fn notifications_need_a_user_with_scope() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    s.get("/api/v1/notifications", None).await.error(401);
    s.post("/api/v1/notifications/clear", None, json!({}))
        .await
        .error(401);
    // An app-only token has no notifications.
    let (id, secret) = s.app().await;
    let app_tok = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
        )
        .await
        .expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    s.get("/api/v1/notifications", Some(&app_tok))
        .await
        .error(422);
    assert_eq!(notifs(&s, &alice, "").await, Vec::<Value>::new());
}

#[tokio::test]
async fn refollow_notifies_again() {
    // In Mastodon the follow notification belongs to the follow: it goes on unfollow,
    // and a new follow brings a new one.
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let first = notifs(&s, &alice, "?types[]=follow").await;
    assert_eq!(first.len(), 1);
    s.post(
        &format!("/api/v1/accounts/{}/unfollow", alice.id),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        notifs(&s, &alice, "?types[]=follow").await,
        Vec::<Value>::new()
    );
    s.follow(&bob, &alice).await;
    let again = notifs(&s, &alice, "?types[]=follow").await;
    assert_eq!(again.len(), 1, "a new follow notifies again");
    assert_eq!(again[0]["account"]["id"], bob.id.as_str());
    assert_ne!(again[0]["id"], first[0]["id"]);
}

#[tokio::test]
async fn undone_favourite_and_reblog_remove_their_notifications() {
    // Mastodon destroys the notification with the favourite or the reblog it is about.
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let post = s.post_status(&alice, json!({"status": "undo me"})).await;
    let other = s.post_status(&alice, json!({"status": "keep me"})).await;
    let id = sid(&post);
    s.post(
        &format!("/api/v1/statuses/{}/favourite", sid(&other)),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/statuses/{id}/reblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        types(&notifs(&s, &alice, "").await),
        ["reblog", "favourite", "favourite"]
    );
    s.post(
        &format!("/api/v1/statuses/{id}/unfavourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/statuses/{id}/unreblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    let left = notifs(&s, &alice, "").await;
    assert_eq!(
        types(&left),
        ["favourite"],
        "only the favourite of the other post stays"
    );
    assert_eq!(left[0]["status"]["id"], other["id"]);
}

#[tokio::test]
async fn mentions_in_limited_posts_and_edits() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    // alice subscribes to bob's posts.
    s.post(
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&alice.token),
        json!({"notify": true}),
    )
    .await
    .expect(200);

    // A followers-only post mentioning carol (not a follower) reaches carol.
    let private = s
        .post_status(
            &bob,
            json!({"status": "@carol psst", "visibility": "private"}),
        )
        .await;
    let n = notifs(&s, &carol, "").await;
    let m = only(&n, "mention");
    assert_eq!(m["status"]["id"], private["id"]);
    assert_eq!(m["status"]["visibility"], "private");
    // alice follows bob, so the subscription fires for it.
    assert_eq!(
        only(&notifs(&s, &alice, "").await, "status")["status"]["id"],
        private["id"]
    );

    // A direct message: the mentioned get it, subscribers do not.
    let dm = s
        .post_status(
            &bob,
            json!({"status": "@carol just you", "visibility": "direct"}),
        )
        .await;
    let n = notifs(&s, &carol, "?types[]=mention").await;
    assert_eq!(n.len(), 2);
    assert_eq!(n[0]["status"]["id"], dm["id"]);
    assert_eq!(
        notifs(&s, &alice, "?types[]=status").await.len(),
        1,
        "no status notification for a DM"
    );

    // Replies to someone else do not notify subscribers; the mentioned author is notified.
    let carols = s
        .post_status(&carol, json!({"status": "carol's thought"}))
        .await;
    s.post_status(
        &bob,
        json!({"status": "@carol agreed", "in_reply_to_id": carols["id"]}),
    )
    .await;
    assert_eq!(
        notifs(&s, &alice, "?types[]=status").await.len(),
        1,
        "no status notification for a reply to others"
    );
    assert_eq!(notifs(&s, &carol, "?types[]=mention").await.len(), 3);

    // Editing a post to add a mention notifies only the newly mentioned.
    let post = s.post_status(&bob, json!({"status": "hello @carol"})).await;
    assert_eq!(notifs(&s, &carol, "?types[]=mention").await.len(), 4);
    s.put(
        &format!("/api/v1/statuses/{}", sid(&post)),
        Some(&bob.token),
        json!({"status": "hello @carol and @alice"}),
    )
    .await
    .expect(200);
    assert_eq!(
        notifs(&s, &carol, "?types[]=mention").await.len(),
        4,
        "carol was already mentioned"
    );
    let am = notifs(&s, &alice, "?types[]=mention").await;
    assert_eq!(am.len(), 1);
    assert_eq!(am[0]["status"]["id"], post["id"]);
    assert!(am[0]["status"]["content"]
        .as_str()
        .unwrap()
        .contains("alice"));
}
