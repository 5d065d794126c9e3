//! Accounts: registration, profiles, lookups, counters, account timelines, follows,
//! follow requests and relationships.

use crate::support::*;
use reqwest::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// An app-only token allowed to register accounts.
async fn app_token(s: &TestServer) -> String {
    let (id, secret) = s.app().await;
    s.post("/oauth/token", None, json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": "read write follow push"}))
        .await
        .expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn signup(username: &str, email: &str, password: &str, agreement: Value) -> Value {
    json!({"username": username, "email": email, "password": password, "agreement": agreement, "locale": "en"})
}

async fn account(s: &TestServer, id: &str) -> Value {
    s.get(&format!("/api/v1/accounts/{id}"), None)
        .await
        .expect(200)
}

async fn me(s: &TestServer, u: &User) -> Value {
    s.get("/api/v1/accounts/verify_credentials", Some(&u.token))
        .await
        .expect(200)
}

async fn lookup_status(s: &TestServer, acct: &str) -> u16 {
    s.get(&format!("/api/v1/accounts/lookup?acct={}", enc(acct)), None)
        .await
        .status
        .as_u16()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn domain(s: &TestServer) -> String {
    s.base
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string()
}

async fn patch_form(s: &TestServer, u: &User, pairs: &[(&str, &str)]) -> Resp {
    let pairs = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.req(
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&u.token),
        Body::Form(pairs),
    )
    .await
}

/// `rel="next"` URL of a Link header; asserts `next` comes first.
fn next_link(link: &str) -> Option<String> {
    if link.is_empty() {
        return None;
    }
    let first = link.split(',').next().unwrap();
    assert!(
        first.contains("rel=\"next\""),
        "next must come first: {link}"
    );
    let start = first.find('<').unwrap() + 1;
    let end = first.find('>').unwrap();
    Some(first[start..end].to_string())
}

#[tokio::test]
async fn registration_rules() {
    let s = TestServer::start().await;
    let tok = app_token(&s).await;
    let ok = s
        .post(
            "/api/v1/accounts",
            Some(&tok),
            signup("alice", "alice@example.org", PASSWORD, json!(true)),
        )
        .await
        .expect(200);
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["scope"], "read write follow push");
    let alice_tok = ok["access_token"].as_str().unwrap();
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(alice_tok))
        .await
        .expect(200);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["acct"], "alice");

    let bad = [
        // Taken, whatever the case.
        signup("alice", "other1@example.org", PASSWORD, json!(true)),
        signup("ALICE", "other2@example.org", PASSWORD, json!(true)),
        signup("Alice", "other3@example.org", PASSWORD, json!(true)),
        // E-mail taken (also in another case).
        signup("bob", "alice@example.org", PASSWORD, json!(true)),
        signup("bob", "ALICE@example.org", PASSWORD, json!(true)),
        // Bad e-mail.
        signup("bob", "not-an-email", PASSWORD, json!(true)),
        signup("bob", "bob@localhost", PASSWORD, json!(true)),
        signup("bob", "", PASSWORD, json!(true)),
        // Short password.
        signup("bob", "bob@example.org", "short", json!(true)),
        signup("bob", "bob@example.org", "", json!(true)),
        // Agreement not given.
        signup("bob", "bob@example.org", PASSWORD, json!(false)),
        signup("bob", "bob@example.org", PASSWORD, json!("0")),
        json!({"username": "bob", "email": "bob@example.org", "password": PASSWORD}),
        // Bad usernames.
        signup("bo b", "bob@example.org", PASSWORD, json!(true)),
        signup("", "bob@example.org", PASSWORD, json!(true)),
        signup("bob!", "bob@example.org", PASSWORD, json!(true)),
        signup(&"b".repeat(31), "bob@example.org", PASSWORD, json!(true)),
    ];
    for body in bad {
        let r = s.post("/api/v1/accounts", Some(&tok), body.clone()).await;
        assert_eq!(r.status.as_u16(), 422, "{body} -> {}", r.body);
        assert!(
            r.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}",
            r.body
        );
    }
    // Nothing was created by the failed attempts.
    assert_eq!(lookup_status(&s, "bob").await, 404);
    assert_eq!(lookup_status(&s, "bo_b").await, 404);
    let nodeinfo = s.get("/nodeinfo/2.0", None).await.expect(200);
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1, "{nodeinfo}");
    // Alice's account is untouched: her password still works.
    let (id, secret) = s.app().await;
    s.post(
        "/oauth/token",
        None,
        json!({"grant_type": "password", "client_id": id, "client_secret": secret, "username": "alice", "password": PASSWORD}),
    )
    .await
    .expect(200);

    // Form-encoded registration with agreement=1 works.
    let ok = s
        .post_form(
            "/api/v1/accounts",
            Some(&tok),
            &[
                ("username", "bob"),
                ("email", "bob@example.org"),
                ("password", PASSWORD),
                ("agreement", "1"),
                ("locale", "de"),
            ],
        )
        .await
        .expect(200);
    let bob = s
        .get(
            "/api/v1/accounts/verify_credentials",
            ok["access_token"].as_str(),
        )
        .await
        .expect(200);
    assert_eq!(bob["username"], "bob");
    assert_eq!(bob["source"]["language"], "de");

    // Registration needs an app token with write:accounts.
    s.post(
        "/api/v1/accounts",
        None,
        signup("carol", "carol@example.org", PASSWORD, json!(true)),
    )
    .await
    .error(401);
    let (id, secret) = s.app().await;
    let read_only = s
        .post("/oauth/token", None, json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": "read"}))
        .await
        .expect(200);
    s.post(
        "/api/v1/accounts",
        read_only["access_token"].as_str(),
        signup("carol", "carol@example.org", PASSWORD, json!(true)),
    )
    .await
    .error(403);
    assert_eq!(lookup_status(&s, "carol").await, 404);
}

#[tokio::test]
async fn registrations_closed() {
    let s = TestServer::start_with(|c| c.registrations_open = false).await;
    let tok = app_token(&s).await;
    let err = s
        .post(
            "/api/v1/accounts",
            Some(&tok),
            signup("alice", "alice@example.org", PASSWORD, json!(true)),
        )
        .await
        .error(403);
    assert!(!err.is_empty());
    assert_eq!(lookup_status(&s, "alice").await, 404);
    let inst = s.get("/api/v1/instance", None).await.expect(200);
    assert_eq!(inst["registrations"], false, "{inst}");
}

#[tokio::test]
async fn verify_credentials_and_update() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let v = me(&s, &alice).await;
    assert_eq!(v["id"], alice.id.as_str());
    assert_eq!(v["display_name"], "");
    assert_eq!(v["locked"], false);
    assert_eq!(v["source"]["note"], "");
    assert_eq!(v["source"]["privacy"], "public");
    assert_eq!(v["source"]["follow_requests_count"], 0);
    assert!(v["last_status_at"].is_null(), "{v}");
    assert_eq!(v["url"], format!("{}/@alice", s.base));
    // Other people's view of an account has no source.
    assert!(account(&s, &alice.id).await.get("source").is_none());

    // JSON update.
    let note = "Hello <script>alert(1)</script> & welcome";
    let up = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"display_name": "Alice A.", "note": note, "bot": true}),
        )
        .await
        .expect(200);
    assert_eq!(up["display_name"], "Alice A.");
    assert_eq!(up["bot"], true);
    assert_eq!(up["source"]["note"], note);
    let html = up["note"].as_str().unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let v = me(&s, &alice).await;
    assert_eq!(v["display_name"], "Alice A.");
    assert_eq!(v["source"]["note"], note);
    assert_eq!(account(&s, &alice.id).await["note"], up["note"]);

    // Form update (booleans as 1/0); unspecified fields stay.
    let up = patch_form(&s, &alice, &[("locked", "1")]).await.expect(200);
    assert_eq!(up["locked"], true);
    assert_eq!(up["display_name"], "Alice A.");
    assert_eq!(up["source"]["note"], note);
    assert_eq!(account(&s, &alice.id).await["locked"], true);
    let up = patch_form(&s, &alice, &[("locked", "0"), ("display_name", "Al")])
        .await
        .expect(200);
    assert_eq!(up["locked"], false);
    assert_eq!(up["display_name"], "Al");

    // Too long: 422, and nothing changes (not even the valid fields of the same request).
    let r = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"display_name": "x".repeat(31), "note": "changed", "locked": true}),
        )
        .await;
    r.error(422);
    let v = me(&s, &alice).await;
    assert_eq!(v["display_name"], "Al");
    assert_eq!(v["source"]["note"], note);
    assert_eq!(v["locked"], false);
    let r = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"note": "n".repeat(501), "display_name": "Changed"}),
        )
        .await;
    r.error(422);
    let v = me(&s, &alice).await;
    assert_eq!(v["display_name"], "Al");
    assert_eq!(v["source"]["note"], note);
    // Exactly at the limit is fine.
    let up = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"display_name": "y".repeat(30)}),
        )
        .await
        .expect(200);
    assert_eq!(up["display_name"], "y".repeat(30));

    // Needs a user token.
    s.patch(
        "/api/v1/accounts/update_credentials",
        None,
        json!({"display_name": "anon"}),
    )
    .await
    .error(401);
}

#[tokio::test]
async fn get_account_and_lookup() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let a = account(&s, &alice.id).await;
    assert_eq!(a["id"], alice.id.as_str());
    assert_eq!(a["username"], "alice");
    assert_eq!(a["acct"], "alice");
    assert_eq!(a["statuses_count"], 0);
    assert!(a["created_at"]
        .as_str()
        .unwrap()
        .ends_with("T00:00:00.000Z"));
    // Signed in works as well.
    assert_eq!(
        s.get(
            &format!("/api/v1/accounts/{}", alice.id),
            Some(&alice.token)
        )
        .await
        .expect(200)["id"],
        alice.id.as_str()
    );

    assert_eq!(
        s.get("/api/v1/accounts/123456789", None).await.error(404),
        "Record not found"
    );
    s.get("/api/v1/accounts/abc", None).await.error(404);
    s.get("/api/v1/accounts/-5", None).await.error(404);
    s.get("/api/v1/accounts/99999999999999999999999", None)
        .await
        .error(404);

    for acct in ["alice", "@alice", &format!("alice@{}", domain(&s)), "ALICE"] {
        let r = s
            .get(&format!("/api/v1/accounts/lookup?acct={}", enc(acct)), None)
            .await;
        assert_eq!(r.status.as_u16(), 200, "{acct}: {}", r.body);
        assert_eq!(r.body["id"], alice.id.as_str(), "{acct}");
    }
    for acct in [
        "nobody",
        "alice@elsewhere.example",
        "bad name",
        "nobody@localhost",
    ] {
        let r = s
            .get(&format!("/api/v1/accounts/lookup?acct={}", enc(acct)), None)
            .await;
        assert_eq!(r.status.as_u16(), 404, "{acct}: {}", r.body);
        assert!(r.body["error"].is_string());
    }

    // Many at once, in the order asked; unknown ones are skipped.
    let bob = s.register("bob").await;
    let many = s
        .get(
            &format!(
                "/api/v1/accounts?id[]={}&id[]=12345&id[]={}",
                bob.id, alice.id
            ),
            None,
        )
        .await
        .expect(200);
    assert_eq!(ids(&many), vec![bob.id.clone(), alice.id.clone()]);
    let one = s
        .get(&format!("/api/v1/accounts?id={}", alice.id), None)
        .await
        .expect(200);
    assert_eq!(ids(&one), vec![alice.id.clone()]);
    let none = s.get("/api/v1/accounts", None).await.expect(200);
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn last_status_at_is_a_date_and_counters_follow_activity() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    assert!(account(&s, &alice.id).await["last_status_at"].is_null());

    let st = s.post_status(&alice, json!({"status": "first"})).await;
    let a = account(&s, &alice.id).await;
    let date = a["last_status_at"]
        .as_str()
        .unwrap_or_else(|| panic!("last_status_at: {a}"));
    assert_eq!(date.len(), 10, "{date}");
    assert!(
        date.chars().enumerate().all(|(i, c)| if i == 4 || i == 7 {
            c == '-'
        } else {
            c.is_ascii_digit()
        }),
        "{date}"
    );
    assert!(
        st["created_at"].as_str().unwrap().starts_with(date),
        "{date} vs {}",
        st["created_at"]
    );
    assert_eq!(a["statuses_count"], 1);

    let st2 = s.post_status(&alice, json!({"status": "second"})).await;
    assert_eq!(account(&s, &alice.id).await["statuses_count"], 2);
    s.delete(
        &format!("/api/v1/statuses/{}", st2["id"].as_str().unwrap()),
        Some(&alice.token),
    )
    .await
    .expect(200);
    assert_eq!(account(&s, &alice.id).await["statuses_count"], 1);
    // Deleting someone else's status: 404 (Mastodon's answer), the count stays.
    s.delete(
        &format!("/api/v1/statuses/{}", st["id"].as_str().unwrap()),
        Some(&bob.token),
    )
    .await
    .error(404);
    assert_eq!(account(&s, &alice.id).await["statuses_count"], 1);

    s.follow(&bob, &alice).await;
    let (a, b) = (account(&s, &alice.id).await, account(&s, &bob.id).await);
    assert_eq!(
        (a["followers_count"].as_i64(), a["following_count"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (b["followers_count"].as_i64(), b["following_count"].as_i64()),
        (Some(0), Some(1))
    );
    // Following twice does not count twice.
    s.follow(&bob, &alice).await;
    assert_eq!(account(&s, &alice.id).await["followers_count"], 1);
    assert_eq!(account(&s, &bob.id).await["following_count"], 1);

    s.post(
        &format!("/api/v1/accounts/{}/unfollow", alice.id),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(account(&s, &alice.id).await["followers_count"], 0);
    assert_eq!(account(&s, &bob.id).await["following_count"], 0);
    // Unfollowing again changes nothing.
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/unfollow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["following"], false);
    assert_eq!(account(&s, &alice.id).await["followers_count"], 0);
}

#[tokio::test]
async fn account_statuses_filters() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let bobs = s.post_status(&bob, json!({"status": "bob's post"})).await;
    let bobs_id = bobs["id"].as_str().unwrap();

    let tagged = s
        .post_status(&alice, json!({"status": "about #Rust"}))
        .await;
    let thread = s
        .post_status(
            &alice,
            json!({"status": "a thread, part 2", "in_reply_to_id": tagged["id"]}),
        )
        .await;
    let reply = s
        .post_status(
            &alice,
            json!({"status": "@bob hi", "in_reply_to_id": bobs_id}),
        )
        .await;
    let reblog = s
        .post(
            &format!("/api/v1/statuses/{bobs_id}/reblog"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .expect(200);
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let path = |q: &str| format!("/api/v1/accounts/{}/statuses{q}", alice.id);

    let all = s.get(&path(""), None).await.expect(200);
    assert_eq!(
        ids(&all),
        vec![id(&reblog), id(&reply), id(&thread), id(&tagged)]
    );
    assert_eq!(all[0]["reblog"]["id"], bobs_id);

    let no_replies = s
        .get(&path("?exclude_replies=true"), None)
        .await
        .expect(200);
    assert_eq!(
        ids(&no_replies),
        vec![id(&reblog), id(&thread), id(&tagged)],
        "own threads stay"
    );
    let no_reblogs = s.get(&path("?exclude_reblogs=1"), None).await.expect(200);
    assert_eq!(ids(&no_reblogs), vec![id(&reply), id(&thread), id(&tagged)]);
    let both = s
        .get(&path("?exclude_replies=1&exclude_reblogs=1"), None)
        .await
        .expect(200);
    assert_eq!(ids(&both), vec![id(&thread), id(&tagged)]);

    for t in ["rust", "Rust", "%23rust"] {
        let got = s
            .get(&path(&format!("?tagged={t}")), None)
            .await
            .expect(200);
        assert_eq!(ids(&got), vec![id(&tagged)], "tagged={t}");
    }
    assert_eq!(
        s.get(&path("?tagged=python"), None).await.expect(200),
        json!([])
    );

    // Pinned: none, then one.
    assert_eq!(
        s.get(&path("?pinned=true"), None).await.expect(200),
        json!([])
    );
    let pinned = s
        .post(
            &format!("/api/v1/statuses/{}/pin", id(&thread)),
            Some(&alice.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(pinned["pinned"], true);
    assert_eq!(
        ids(&s.get(&path("?pinned=true"), None).await.expect(200)),
        vec![id(&thread)]
    );
    // Someone else's status cannot be pinned (404, as Mastodon answers); a reblog
    // cannot be pinned.
    s.post(
        &format!("/api/v1/statuses/{bobs_id}/pin"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v1/statuses/{}/pin", id(&reblog)),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(422);
    assert_eq!(
        ids(&s.get(&path("?pinned=true"), None).await.expect(200)),
        vec![id(&thread)]
    );
    s.post(
        &format!("/api/v1/statuses/{}/unpin", id(&thread)),
        Some(&alice.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        s.get(&path("?pinned=true"), None).await.expect(200),
        json!([])
    );

    // Paging with limit and the Link header.
    let r = s.get(&path("?limit=2"), None).await;
    let link = r.link();
    let first = r.expect(200);
    assert_eq!(ids(&first), vec![id(&reblog), id(&reply)]);
    let next = next_link(&link).expect("next link");
    assert!(next.contains(&format!("max_id={}", id(&reply))), "{next}");
    assert!(next.contains("limit=2"), "{next}");
    let second = s.get(&next, None).await.expect(200);
    assert_eq!(ids(&second), vec![id(&thread), id(&tagged)]);

    s.get("/api/v1/accounts/424242/statuses", None)
        .await
        .error(404);
    s.get("/api/v1/accounts/xyz/statuses", None)
        .await
        .error(404);
}

#[tokio::test]
async fn followers_and_following_paginate() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let mut fans = Vec::new();
    for name in ["f1", "f2", "f3"] {
        let u = s.register(name).await;
        s.follow(&u, &alice).await;
        s.follow(&alice, &u).await;
        fans.push(u);
    }
    // Newest follow first.
    let expected: Vec<String> = fans.iter().rev().map(|u| u.id.clone()).collect();
    for list in ["followers", "following"] {
        let r = s
            .get(
                &format!("/api/v1/accounts/{}/{list}?limit=2", alice.id),
                None,
            )
            .await;
        let link = r.link();
        let page1 = r.expect(200);
        assert_eq!(ids(&page1), expected[..2].to_vec(), "{list}");
        let next = next_link(&link).unwrap_or_else(|| panic!("{list}: no next link"));
        assert!(next.starts_with(&s.base), "{next}");
        assert!(next.contains("max_id="), "{next}");
        assert!(
            link.contains("rel=\"prev\"") && link.contains("min_id="),
            "{link}"
        );
        let page2 = s.get(&next, None).await.expect(200);
        assert_eq!(ids(&page2), expected[2..].to_vec(), "{list}");
        let all = s
            .get(&format!("/api/v1/accounts/{}/{list}", alice.id), None)
            .await
            .expect(200);
        assert_eq!(ids(&all), expected, "{list}");
    }
    assert_eq!(
        s.get(&format!("/api/v1/accounts/{}/following", fans[0].id), None)
            .await
            .expect(200)[0]["id"],
        alice.id.as_str()
    );
    s.get("/api/v1/accounts/31337/followers", None)
        .await
        .error(404);
}

#[tokio::test]
async fn follow_unfollow_and_relationships() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;

    let rel = s.follow(&alice, &bob).await;
    assert_eq!(rel["id"], bob.id.as_str());
    assert_eq!(rel["following"], true);
    assert_eq!(rel["requested"], false);
    assert_eq!(rel["showing_reblogs"], true);
    assert_eq!(rel["notifying"], false);
    assert_eq!(rel["followed_by"], false);

    // Following again with options updates them.
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&alice.token),
            json!({"notify": true, "reblogs": false}),
        )
        .await
        .expect(200);
    assert_eq!(rel["following"], true);
    assert_eq!(rel["notifying"], true);
    assert_eq!(rel["showing_reblogs"], false);

    s.follow(&carol, &alice).await;

    let err = s
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&alice.token),
            json!({}),
        )
        .await
        .error(403);
    assert!(!err.is_empty());
    assert_eq!(account(&s, &alice.id).await["following_count"], 1);
    s.post(
        "/api/v1/accounts/777777/follow",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    s.post(
        "/api/v1/accounts/nope/follow",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);

    let rels = s
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}",
                carol.id, bob.id
            ),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&rels), vec![carol.id.clone(), bob.id.clone()]);
    assert_eq!(rels[0]["following"], false);
    assert_eq!(rels[0]["followed_by"], true);
    assert_eq!(rels[1]["following"], true);
    assert_eq!(rels[1]["followed_by"], false);
    let rels = s
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}",
                bob.id, carol.id
            ),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&rels), vec![bob.id.clone(), carol.id.clone()]);
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id={}", bob.id),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(ids(&rels), vec![bob.id.clone()]);
    s.get(
        &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
        None,
    )
    .await
    .error(401);

    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["id"], bob.id.as_str());
    assert_eq!(rel["following"], false);
    assert_eq!(rel["notifying"], false);
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(rels[0]["following"], false);
}

#[tokio::test]
async fn locked_account_follow_requests() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&bob.token),
        json!({"locked": true}),
    )
    .await
    .expect(200);

    let rel = s.follow(&alice, &bob).await;
    assert_eq!(rel["following"], false);
    assert_eq!(rel["requested"], true);
    let rel = s.follow(&carol, &bob).await;
    assert_eq!(rel["requested"], true);
    let b = account(&s, &bob.id).await;
    assert_eq!(b["followers_count"], 0);
    assert_eq!(account(&s, &alice.id).await["following_count"], 0);
    assert_eq!(me(&s, &bob).await["source"]["follow_requests_count"], 2);

    let reqs = s
        .get("/api/v1/follow_requests", Some(&bob.token))
        .await
        .expect(200);
    assert_eq!(ids(&reqs), vec![carol.id.clone(), alice.id.clone()]);
    assert_eq!(
        s.get("/api/v1/follow_requests", Some(&alice.token))
            .await
            .expect(200),
        json!([])
    );
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
            Some(&bob.token),
        )
        .await
        .expect(200);
    assert_eq!(rels[0]["requested_by"], true);
    assert_eq!(rels[0]["followed_by"], false);

    // The follow_request notification is there.
    let notifs = s
        .get("/api/v1/notifications", Some(&bob.token))
        .await
        .expect(200);
    let fr: Vec<&Value> = notifs
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "follow_request")
        .collect();
    assert_eq!(fr.len(), 2, "{notifs}");
    assert!(fr.iter().any(|n| n["account"]["id"] == alice.id.as_str()));
    assert!(
        notifs
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "follow"),
        "{notifs}"
    );

    // Authorize alice.
    let rel = s
        .post(
            &format!("/api/v1/follow_requests/{}/authorize", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["id"], alice.id.as_str());
    assert_eq!(rel["followed_by"], true);
    assert_eq!(rel["requested_by"], false);
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[0]["requested"], false);
    assert_eq!(account(&s, &bob.id).await["followers_count"], 1);
    assert_eq!(account(&s, &alice.id).await["following_count"], 1);
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/accounts/{}/followers", bob.id), None)
            .await
            .expect(200)),
        vec![alice.id.clone()]
    );
    assert_eq!(
        ids(&s
            .get("/api/v1/follow_requests", Some(&bob.token))
            .await
            .expect(200)),
        vec![carol.id.clone()]
    );
    let notifs = s
        .get("/api/v1/notifications", Some(&bob.token))
        .await
        .expect(200);
    assert!(
        !notifs
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "follow_request" && n["account"]["id"] == alice.id.as_str()),
        "authorized request's notification must go: {notifs}"
    );

    // Reject carol.
    let rel = s
        .post(
            &format!("/api/v1/follow_requests/{}/reject", carol.id),
            Some(&bob.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["followed_by"], false);
    assert_eq!(rel["requested_by"], false);
    assert_eq!(
        s.get("/api/v1/follow_requests", Some(&bob.token))
            .await
            .expect(200),
        json!([])
    );
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
            Some(&carol.token),
        )
        .await
        .expect(200);
    assert_eq!(rels[0]["following"], false);
    assert_eq!(rels[0]["requested"], false);
    assert_eq!(account(&s, &bob.id).await["followers_count"], 1);
    let notifs = s
        .get(
            "/api/v1/notifications?types[]=follow_request",
            Some(&bob.token),
        )
        .await
        .expect(200);
    assert_eq!(notifs, json!([]));
    assert_eq!(me(&s, &bob).await["source"]["follow_requests_count"], 0);

    // No pending request: 404.
    s.post(
        &format!("/api/v1/follow_requests/{}/authorize", carol.id),
        Some(&bob.token),
        json!({}),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v1/follow_requests/{}/reject", carol.id),
        Some(&bob.token),
        json!({}),
    )
    .await
    .error(404);
    s.post(
        "/api/v1/follow_requests/8888/authorize",
        Some(&bob.token),
        json!({}),
    )
    .await
    .error(404);
    assert_eq!(account(&s, &bob.id).await["followers_count"], 1);

    // A withdrawn request disappears with its notification.
    s.follow(&carol, &bob).await;
    assert_eq!(
        ids(&s
            .get("/api/v1/follow_requests", Some(&bob.token))
            .await
            .expect(200)),
        vec![carol.id.clone()]
    );
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&carol.token),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["requested"], false);
    assert_eq!(
        s.get("/api/v1/follow_requests", Some(&bob.token))
            .await
            .expect(200),
        json!([])
    );
    assert_eq!(
        s.get(
            "/api/v1/notifications?types[]=follow_request",
            Some(&bob.token)
        )
        .await
        .expect(200),
        json!([])
    );
}

#[tokio::test]
async fn follow_requests_paginate() {
    let s = TestServer::start().await;
    let bob = s.register("bob").await;
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&bob.token),
        json!({"locked": true}),
    )
    .await
    .expect(200);
    let mut reqs = Vec::new();
    for name in ["r1", "r2", "r3"] {
        let u = s.register(name).await;
        s.follow(&u, &bob).await;
        reqs.push(u.id);
    }
    reqs.reverse();
    let r = s
        .get("/api/v1/follow_requests?limit=2", Some(&bob.token))
        .await;
    let link = r.link();
    assert_eq!(ids(&r.expect(200)), reqs[..2].to_vec());
    let next = next_link(&link).expect("next");
    assert_eq!(
        ids(&s.get(&next, Some(&bob.token)).await.expect(200)),
        reqs[2..].to_vec()
    );
}

#[tokio::test]
async fn unlocking_accepts_pending_requests() {
    // Mastodon's UpdateAccountService authorizes all follow requests when an account unlocks.
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&bob.token),
        json!({"locked": true}),
    )
    .await
    .expect(200);
    assert_eq!(s.follow(&alice, &bob).await["requested"], true);
    let up = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&bob.token),
            json!({"locked": false}),
        )
        .await
        .expect(200);
    assert_eq!(up["locked"], false);
    assert_eq!(up["followers_count"], 1, "{up}");
    assert_eq!(
        s.get("/api/v1/follow_requests", Some(&bob.token))
            .await
            .expect(200),
        json!([])
    );
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
            Some(&alice.token),
        )
        .await
        .expect(200);
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[0]["requested"], false);
    assert_eq!(account(&s, &alice.id).await["following_count"], 1);
    let n = s
        .get(
            "/api/v1/notifications?types[]=follow_request",
            Some(&bob.token),
        )
        .await
        .expect(200);
    assert_eq!(n, json!([]));
}

#[tokio::test]
async fn update_credentials_multipart() {
    // Web and mobile clients send profile updates as multipart (they may carry images).
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let form = reqwest::multipart::Form::new()
        .text("display_name", "Multi Part")
        .text("note", "from a form")
        .text("locked", "true");
    let r = s
        .http
        .patch(s.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["display_name"], "Multi Part");
    assert_eq!(v["source"]["note"], "from a form");
    assert_eq!(v["locked"], true);
}

#[tokio::test]
async fn account_statuses_respect_visibility() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let public = s
        .post_status(&bob, json!({"status": "for all", "visibility": "public"}))
        .await;
    let unlisted = s
        .post_status(&bob, json!({"status": "quietly", "visibility": "unlisted"}))
        .await;
    let private = s
        .post_status(
            &bob,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await;
    let direct = s
        .post_status(
            &bob,
            json!({"status": "@carol only you", "visibility": "direct"}),
        )
        .await;
    let path = format!("/api/v1/accounts/{}/statuses", bob.id);
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();

    assert_eq!(
        ids(&s.get(&path, None).await.expect(200)),
        vec![id(&unlisted), id(&public)]
    );
    assert_eq!(
        ids(&s.get(&path, Some(&alice.token)).await.expect(200)),
        vec![id(&unlisted), id(&public)]
    );
    s.follow(&alice, &bob).await;
    assert_eq!(
        ids(&s.get(&path, Some(&alice.token)).await.expect(200)),
        vec![id(&private), id(&unlisted), id(&public)]
    );
    // carol is mentioned in the DM; she does not follow bob.
    assert_eq!(
        ids(&s.get(&path, Some(&carol.token)).await.expect(200)),
        vec![id(&direct), id(&unlisted), id(&public)]
    );
    assert_eq!(
        ids(&s.get(&path, Some(&bob.token)).await.expect(200)),
        vec![id(&direct), id(&private), id(&unlisted), id(&public)]
    );
    // Counters count everything the author posted.
    assert_eq!(account(&s, &bob.id).await["statuses_count"], 4);
}

#[tokio::test]
async fn write_only_token_cannot_read_private_data() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let (id, secret) = s.app().await;
    let tok = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": id, "client_secret": secret, "username": "alice", "password": PASSWORD, "scope": "write"}),
        )
        .await
        .expect(200);
    let t = tok["access_token"].as_str().unwrap();
    s.get("/api/v1/timelines/home", Some(t)).await.error(403);
    s.get("/api/v1/accounts/verify_credentials", Some(t))
        .await
        .error(403);
    s.get("/api/v1/follow_requests", Some(t)).await.error(403);
    // But it can write.
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(t),
        json!({"display_name": "W"}),
    )
    .await
    .expect(200);
    s.post(
        "/api/v1/statuses",
        Some(t),
        json!({"status": "write-only post"}),
    )
    .await
    .expect(200);
}
