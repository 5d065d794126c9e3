//! `/api/v1/statuses/...`: posting in every body format, text rendering, idempotency,
//! reading, deleting, editing, threads, reblogs, favourites, bookmarks, quotes and limits.

use crate::support::*;
use serde_json::json;

fn status_path(id: &str) -> String {
    format!("/api/v1/statuses/{id}")
}

async fn statuses_count(s: &TestServer, user: &User) -> i64 {
    s.get(&format!("/api/v1/accounts/{}", user.id), None)
        .await
        .ok()["statuses_count"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn post_with_json_form_and_multipart_bodies() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;

    let st = s
        .post_status(
            &alice,
            json!({"status": "from json", "visibility": "private", "sensitive": true}),
        )
        .await;
    assert_eq!(st["visibility"], "private");
    assert_eq!(st["sensitive"], true);
    assert!(
        st["content"].as_str().unwrap().contains("from json"),
        "{st}"
    );

    let st = s
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[
                ("status", "from a form"),
                ("sensitive", "1"),
                ("visibility", "unlisted"),
            ],
        )
        .await
        .ok();
    assert_eq!(st["visibility"], "unlisted");
    assert_eq!(st["sensitive"], true);
    assert!(
        st["content"].as_str().unwrap().contains("from a form"),
        "{st}"
    );

    let st = s
        .post_multipart(
            "/api/v1/statuses",
            Some(&alice.token),
            &[
                ("status", "from multipart"),
                ("visibility", "unlisted"),
                ("sensitive", "true"),
                ("language", "en"),
            ],
        )
        .await
        .ok();
    assert_eq!(st["visibility"], "unlisted");
    assert_eq!(st["sensitive"], true);
    assert_eq!(st["language"], "en");
    assert!(
        st["content"].as_str().unwrap().contains("from multipart"),
        "{st}"
    );

    // Form with sensitive=0 and no visibility: defaults.
    let st = s
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[("status", "plain"), ("sensitive", "0")],
        )
        .await
        .ok();
    assert_eq!(st["visibility"], "public");
    assert_eq!(st["sensitive"], false);

    assert_eq!(statuses_count(&s, &alice).await, 4);
}

#[tokio::test]
async fn mentions_hashtags_and_links_are_rendered() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;

    let st = s
        .post_status(&alice, json!({"status": "hi @bob, see https://example.org/page about #小米 and #Rust", "language": "zh-TW"}))
        .await;
    let content = st["content"].as_str().unwrap();

    let mentions = st["mentions"].as_array().unwrap();
    assert_eq!(mentions.len(), 1, "{st}");
    assert_eq!(mentions[0]["id"], bob.id.as_str());
    assert_eq!(mentions[0]["username"], "bob");
    assert_eq!(mentions[0]["acct"], "bob");
    let bob_url = format!("{}/@bob", s.base);
    assert_eq!(mentions[0]["url"], bob_url.as_str());
    assert!(
        content.contains(&format!("href=\"{bob_url}\"")),
        "mention not linked: {content}"
    );
    assert!(content.contains("mention"), "{content}");

    let mut tags: Vec<String> = st["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    tags.sort();
    assert_eq!(tags, vec!["rust".to_string(), "小米".to_string()], "{st}");
    assert!(content.contains("rel=\"tag\""), "{content}");

    assert!(
        content.contains("<a href=\"https://example.org/page\""),
        "link not rendered: {content}"
    );
    assert_eq!(st["language"], "zh-TW");
    // The plain text is not echoed on ordinary reads.
    assert!(st.get("text").is_none() || st["text"].is_null(), "{st}");

    // A mention of an unknown user is left as text, not linked, and not in mentions[].
    let st = s
        .post_status(&alice, json!({"status": "hello @nobody_here"}))
        .await;
    assert_eq!(st["mentions"].as_array().unwrap().len(), 0, "{st}");
    assert!(
        st["content"].as_str().unwrap().contains("@nobody_here"),
        "{st}"
    );

    // Bob was notified of the mention.
    let notes = s.get("/api/v1/notifications", Some(&bob.token)).await.ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notes}"
    );
}

#[tokio::test]
async fn spoiler_text_makes_a_status_sensitive() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s
        .post_status(
            &alice,
            json!({"status": "the butler did it", "spoiler_text": "film spoilers"}),
        )
        .await;
    assert_eq!(st["spoiler_text"], "film spoilers");
    assert_eq!(st["sensitive"], true);
    let st = s
        .post_status(
            &alice,
            json!({"status": "nothing to hide", "sensitive": false}),
        )
        .await;
    assert_eq!(st["sensitive"], false);
    assert_eq!(st["spoiler_text"], "");
}

#[tokio::test]
async fn language_is_kept_and_validated() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s
        .post_status(&alice, json!({"status": "bonjour", "language": "fr"}))
        .await;
    assert_eq!(st["language"], "fr");
    s.post(
        "/api/v1/statuses",
        Some(&alice.token),
        json!({"status": "x", "language": "not a language"}),
    )
    .await
    .error(422);
}

#[tokio::test]
async fn idempotency_key_returns_the_same_status() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let key = [("Idempotency-Key", "abc-123")];
    let first = s
        .post_with_headers(
            "/api/v1/statuses",
            Some(&alice.token),
            &key,
            json!({"status": "once"}),
        )
        .await
        .ok();
    let second = s
        .post_with_headers(
            "/api/v1/statuses",
            Some(&alice.token),
            &key,
            json!({"status": "once"}),
        )
        .await
        .ok();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        s.account_status_ids(&alice, None).await,
        vec![id_of(&first)]
    );
    assert_eq!(statuses_count(&s, &alice).await, 1);

    // Another key makes another status; the same key for another user is independent.
    let other = s
        .post_with_headers(
            "/api/v1/statuses",
            Some(&alice.token),
            &[("Idempotency-Key", "xyz")],
            json!({"status": "once"}),
        )
        .await
        .ok();
    assert_ne!(other["id"], first["id"]);
    let bobs = s
        .post_with_headers(
            "/api/v1/statuses",
            Some(&bob.token),
            &key,
            json!({"status": "once"}),
        )
        .await
        .ok();
    assert_ne!(bobs["id"], first["id"]);
    assert_eq!(bobs["account"]["id"], bob.id.as_str());
    assert_eq!(statuses_count(&s, &alice).await, 2);
}

#[tokio::test]
async fn get_and_delete_a_status() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let st = s
        .post_status(&alice, json!({"status": "short-lived #gone"}))
        .await;
    let id = id_of(&st);
    let before = statuses_count(&s, &alice).await;
    assert_eq!(before, 1);

    let got = s.get(&status_path(&id), Some(&bob.token)).await.ok();
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["account"]["id"], alice.id.as_str());
    assert_eq!(got["content"], st["content"]);
    assert!(s.home_ids(&bob).await.contains(&id));
    assert!(s.home_ids(&alice).await.contains(&id));

    let deleted = s.delete(&status_path(&id), Some(&alice.token)).await.ok();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(
        deleted["text"], "short-lived #gone",
        "DELETE returns the source text: {deleted}"
    );

    s.get(&status_path(&id), Some(&alice.token))
        .await
        .error(404);
    s.get(&status_path(&id), None).await.error(404);
    assert!(!s.home_ids(&bob).await.contains(&id));
    assert!(!s.home_ids(&alice).await.contains(&id));
    assert!(!s.public_ids(None).await.contains(&id));
    assert_eq!(statuses_count(&s, &alice).await, before - 1);
    // Deleting again: it is gone.
    s.delete(&status_path(&id), Some(&alice.token))
        .await
        .error(404);
}

#[tokio::test]
async fn edit_history_and_source() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s
        .post_status(&alice, json!({"status": "first draft"}))
        .await;
    let id = id_of(&st);
    assert!(st["edited_at"].is_null(), "{st}");

    // Before any edit the history has one version.
    let hist = s
        .get(&format!("/api/v1/statuses/{id}/history"), None)
        .await
        .ok();
    assert_eq!(hist.as_array().unwrap().len(), 1, "{hist}");

    let edited = s
        .put(
            &status_path(&id),
            Some(&alice.token),
            json!({"status": "second draft #edited"}),
        )
        .await
        .ok();
    assert_eq!(edited["id"], id.as_str());
    assert!(
        edited["content"].as_str().unwrap().contains("second draft"),
        "{edited}"
    );
    assert!(
        !edited["content"].as_str().unwrap().contains("first draft"),
        "{edited}"
    );
    assert!(
        edited["edited_at"].is_string(),
        "edited_at not set: {edited}"
    );
    assert_eq!(edited["tags"][0]["name"], "edited");

    let got = s.get(&status_path(&id), None).await.ok();
    assert!(
        got["content"].as_str().unwrap().contains("second draft"),
        "{got}"
    );
    assert!(got["edited_at"].is_string());

    let hist = s
        .get(&format!("/api/v1/statuses/{id}/history"), None)
        .await
        .ok();
    let versions = hist.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{hist}");
    assert!(
        versions[0]["content"]
            .as_str()
            .unwrap()
            .contains("first draft"),
        "oldest first: {hist}"
    );
    assert!(
        versions[1]["content"]
            .as_str()
            .unwrap()
            .contains("second draft"),
        "{hist}"
    );
    assert_eq!(versions[0]["account"]["id"], alice.id.as_str());

    let src = s
        .get(&format!("/api/v1/statuses/{id}/source"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(src["id"], id.as_str());
    assert_eq!(src["text"], "second draft #edited");
    assert_eq!(src["spoiler_text"], "");

    // Someone else may not edit it (404, as Mastodon answers) but may read the source
    // of a post they can see.
    let bob = s.register("bob").await;
    s.put(
        &status_path(&id),
        Some(&bob.token),
        json!({"status": "hijack"}),
    )
    .await
    .error(404);
    let src = s
        .get(&format!("/api/v1/statuses/{id}/source"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(src["text"], "second draft #edited");
    // Editing to an empty text is refused.
    s.put(
        &status_path(&id),
        Some(&alice.token),
        json!({"status": "  "}),
    )
    .await
    .error(422);
}

#[tokio::test]
async fn context_of_a_three_level_thread() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let a = s.post_status(&alice, json!({"status": "root"})).await;
    let b = s
        .post_status(
            &bob,
            json!({"status": "@alice reply", "in_reply_to_id": a["id"]}),
        )
        .await;
    let c = s
        .post_status(
            &alice,
            json!({"status": "@bob reply to reply", "in_reply_to_id": b["id"]}),
        )
        .await;
    let (a, b, c) = (id_of(&a), id_of(&b), id_of(&c));

    let got_b = s.get(&status_path(&b), None).await.ok();
    assert_eq!(got_b["in_reply_to_id"], a.as_str());
    assert_eq!(got_b["in_reply_to_account_id"], alice.id.as_str());
    let got_a = s.get(&status_path(&a), None).await.ok();
    assert_eq!(got_a["replies_count"], 1);

    let ctx = s
        .get(&format!("/api/v1/statuses/{a}/context"), None)
        .await
        .ok();
    assert_eq!(ids(&ctx["ancestors"]), Vec::<String>::new());
    assert_eq!(ids(&ctx["descendants"]), vec![b.clone(), c.clone()]);

    let ctx = s
        .get(&format!("/api/v1/statuses/{b}/context"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&ctx["ancestors"]), vec![a.clone()]);
    assert_eq!(ids(&ctx["descendants"]), vec![c.clone()]);

    let ctx = s
        .get(&format!("/api/v1/statuses/{c}/context"), None)
        .await
        .ok();
    assert_eq!(
        ids(&ctx["ancestors"]),
        vec![a.clone(), b.clone()],
        "oldest first"
    );
    assert_eq!(ids(&ctx["descendants"]), Vec::<String>::new());

    s.get("/api/v1/statuses/123456789/context", None)
        .await
        .error(404);
}

#[tokio::test]
async fn reblog_and_unreblog() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&carol, &bob).await;
    let orig = s
        .post_status(&alice, json!({"status": "worth sharing"}))
        .await;
    let oid = id_of(&orig);

    let rb = s
        .post(
            &format!("/api/v1/statuses/{oid}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_ne!(rb["id"], oid.as_str());
    assert_eq!(rb["account"]["id"], bob.id.as_str());
    assert_eq!(rb["reblog"]["id"], oid.as_str(), "{rb}");
    assert_eq!(rb["reblog"]["reblogged"], true, "{rb}");
    assert_eq!(rb["reblog"]["reblogs_count"], 1, "{rb}");

    // Twice: the same reblog, no double count.
    let again = s
        .post(
            &format!("/api/v1/statuses/{oid}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(again["id"], rb["id"]);
    let got = s.get(&status_path(&oid), Some(&bob.token)).await.ok();
    assert_eq!(got["reblogs_count"], 1);
    assert_eq!(got["reblogged"], true);
    let got = s.get(&status_path(&oid), Some(&carol.token)).await.ok();
    assert_eq!(got["reblogged"], false);

    // The reblog reaches bob's followers; the author is notified.
    assert!(s.home_ids(&carol).await.contains(&id_of(&rb)));
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "reblog" && n["account"]["id"] == bob.id.as_str()),
        "{notes}"
    );

    let by = s
        .get(&format!("/api/v1/statuses/{oid}/reblogged_by"), None)
        .await
        .ok();
    assert_eq!(ids(&by), vec![bob.id.clone()]);

    let un = s
        .post(
            &format!("/api/v1/statuses/{oid}/unreblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(un["id"], oid.as_str(), "unreblog answers with the original");
    assert_eq!(un["reblogged"], false);
    assert_eq!(un["reblogs_count"], 0);
    s.get(&status_path(&id_of(&rb)), None).await.error(404);
    assert!(!s.home_ids(&carol).await.contains(&id_of(&rb)));
    let by = s
        .get(&format!("/api/v1/statuses/{oid}/reblogged_by"), None)
        .await
        .ok();
    assert_eq!(ids(&by), Vec::<String>::new());
    // Unreblogging again is harmless.
    s.post(
        &format!("/api/v1/statuses/{oid}/unreblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn favourite_and_bookmark() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let st = s.post_status(&alice, json!({"status": "like me"})).await;
    let id = id_of(&st);

    let f = s
        .post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(f["favourited"], true);
    assert_eq!(f["favourites_count"], 1);
    // Idempotent.
    let f = s
        .post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(f["favourites_count"], 1);
    let got = s.get(&status_path(&id), Some(&alice.token)).await.ok();
    assert_eq!(got["favourites_count"], 1);
    assert_eq!(got["favourited"], false, "alice did not favourite it");

    let by = s
        .get(&format!("/api/v1/statuses/{id}/favourited_by"), None)
        .await
        .ok();
    assert_eq!(ids(&by), vec![bob.id.clone()]);
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "favourite"),
        "{notes}"
    );

    let u = s
        .post(
            &format!("/api/v1/statuses/{id}/unfavourite"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(u["favourited"], false);
    assert_eq!(u["favourites_count"], 0);
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/statuses/{id}/favourited_by"), None)
            .await
            .ok()),
        Vec::<String>::new()
    );

    let b = s
        .post(
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(b["bookmarked"], true);
    assert_eq!(
        ids(&s.get("/api/v1/bookmarks", Some(&bob.token)).await.ok()),
        vec![id.clone()]
    );
    assert_eq!(
        ids(&s.get("/api/v1/bookmarks", Some(&alice.token)).await.ok()),
        Vec::<String>::new()
    );
    let b = s
        .post(
            &format!("/api/v1/statuses/{id}/unbookmark"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(b["bookmarked"], false);
    assert_eq!(
        ids(&s.get("/api/v1/bookmarks", Some(&bob.token)).await.ok()),
        Vec::<String>::new()
    );
}

/// Walks a list endpoint with `limit` following `rel="next"`; returns the IDs in order.
async fn walk(s: &TestServer, token: &str, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = first.to_string();
    for _ in 0..20 {
        let r = s.get(&url, Some(token)).await;
        let link = r.link();
        let page = ids(&r.ok());
        if page.is_empty() {
            return seen;
        }
        seen.extend(page);
        url = link_rel(&link, "next").unwrap_or_else(|| panic!("no next link in {link:?}"));
    }
    panic!("pagination did not end: {seen:?}");
}

#[tokio::test]
async fn favourites_and_bookmarks_lists_paginate() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(id_of(
            &s.post_status(&alice, json!({"status": format!("post {i}")}))
                .await,
        ));
    }
    // Favourite in an order different from posting: lists are ordered by when it was
    // favourited, newest first.
    let order = [
        posted[2].clone(),
        posted[0].clone(),
        posted[4].clone(),
        posted[1].clone(),
        posted[3].clone(),
    ];
    for id in &order {
        s.post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
        s.post(
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    }
    let mut expected: Vec<String> = order.to_vec();
    expected.reverse();

    for list in ["/api/v1/favourites", "/api/v1/bookmarks"] {
        let r = s.get(&format!("{list}?limit=2"), Some(&bob.token)).await;
        let link = r.link();
        assert_eq!(ids(&r.ok()), expected[..2].to_vec(), "{list}");
        assert!(link_rel(&link, "next").is_some(), "{list}: {link}");
        assert!(link_rel(&link, "prev").is_some(), "{list}: {link}");
        let all = walk(&s, &bob.token, &format!("{list}?limit=2")).await;
        assert_eq!(all, expected, "{list}");
    }
    // Anonymous may not list favourites.
    s.get("/api/v1/favourites", None).await.error(401);
}

#[tokio::test]
async fn quotes() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let orig = s.post_status(&alice, json!({"status": "quotable"})).await;
    let oid = id_of(&orig);

    let q = s
        .post_status(
            &bob,
            json!({"status": "my words on it", "quoted_status_id": oid}),
        )
        .await;
    assert_eq!(q["quote"]["state"], "accepted", "{q}");
    assert_eq!(q["quote"]["quoted_status"]["id"], oid.as_str(), "{q}");
    let qid = id_of(&q);
    let got = s.get(&status_path(&oid), None).await.ok();
    assert_eq!(got["quotes_count"], 1);
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "quote"),
        "{notes}"
    );

    // A followers-only post of someone else cannot be quoted, even by a follower.
    let private = s
        .post_status(
            &alice,
            json!({"status": "for followers", "visibility": "private"}),
        )
        .await;
    let before = s.account_status_ids(&bob, Some(&bob)).await;
    s.post(
        "/api/v1/statuses",
        Some(&bob.token),
        json!({"status": "leak", "quoted_status_id": private["id"]}),
    )
    .await
    .error(422);
    assert_eq!(
        s.account_status_ids(&bob, Some(&bob)).await,
        before,
        "nothing posted"
    );
    // One's own followers-only post may be quoted.
    let own = s.post_status(&alice, json!({"status": "quoting myself", "quoted_status_id": private["id"], "visibility": "private"})).await;
    assert_eq!(own["quote"]["state"], "accepted", "{own}");

    // The quoted status is deleted: the quote says so.
    s.delete(&status_path(&oid), Some(&alice.token)).await.ok();
    let got = s.get(&status_path(&qid), None).await.ok();
    assert_eq!(got["quote"]["state"], "deleted", "{got}");
    assert!(got["quote"]["quoted_status"].is_null(), "{got}");
    // Quoting an unknown status: 404.
    s.post(
        "/api/v1/statuses",
        Some(&bob.token),
        json!({"status": "x", "quoted_status_id": "999999999"}),
    )
    .await
    .error(404);
}

#[tokio::test]
async fn text_limits() {
    let s = TestServer::start_with(|c| c.max_status_chars = 50).await;
    let alice = s.register("alice").await;

    let too_long = "a".repeat(51);
    let e = s
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": too_long}),
        )
        .await
        .error(422);
    assert!(e.contains("50"), "{e}");
    assert_eq!(
        s.account_status_ids(&alice, None).await,
        Vec::<String>::new(),
        "nothing posted"
    );

    // Characters, not bytes: 50 CJK characters fit.
    let cjk = "小".repeat(50);
    s.post_status(&alice, json!({"status": cjk})).await;
    let exact = "b".repeat(50);
    let st = s.post_status(&alice, json!({"status": exact})).await;
    assert!(st["content"].as_str().unwrap().contains(&exact));

    // The spoiler counts too.
    s.post(
        "/api/v1/statuses",
        Some(&alice.token),
        json!({"status": "c".repeat(45), "spoiler_text": "123456"}),
    )
    .await
    .error(422);

    for blank in [
        json!({"status": ""}),
        json!({"status": "   \n "}),
        json!({}),
    ] {
        s.post("/api/v1/statuses", Some(&alice.token), blank)
            .await
            .error(422);
    }
    s.post_form("/api/v1/statuses", Some(&alice.token), &[("status", "")])
        .await
        .error(422);
    assert_eq!(s.account_status_ids(&alice, None).await.len(), 2);
    assert_eq!(statuses_count(&s, &alice).await, 2);
}

#[tokio::test]
async fn get_many_statuses_skips_invisible_and_counts_no_view() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let a = id_of(&s.post_status(&alice, json!({"status": "one"})).await);
    let b = id_of(
        &s.post_status(&alice, json!({"status": "two", "visibility": "private"}))
            .await,
    );
    let r = s
        .get(
            &format!("/api/v1/statuses?id[]={a}&id[]={b}&id[]=77777"),
            None,
        )
        .await
        .ok();
    assert_eq!(ids(&r), vec![a.clone()]);
    assert_eq!(r[0]["roost"]["views_total"], 0);
    let r = s
        .get(
            &format!("/api/v1/statuses?id[]={b}&id[]={a}"),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ids(&r), vec![b, a]);
}

#[tokio::test]
async fn reply_to_a_direct_message_stays_direct() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let dm = s
        .post_status(
            &alice,
            json!({"status": "@bob psst", "visibility": "direct"}),
        )
        .await;
    let reply = s
        .post_status(
            &bob,
            json!({"status": "@alice ok", "in_reply_to_id": dm["id"]}),
        )
        .await;
    assert_eq!(reply["visibility"], "direct");
}

#[tokio::test]
async fn edits_update_tags_mentions_and_history() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let _bob = s.register("bob").await; // mentioned in v1
    let carol = s.register("carol").await;
    let st = s
        .post_status(&alice, json!({"status": "v1 #before @bob"}))
        .await;
    let id = id_of(&st);
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/before", None).await.ok()),
        vec![id.clone()]
    );

    let e = s
        .put(
            &status_path(&id),
            Some(&alice.token),
            json!({"status": "v2 #after @carol", "spoiler_text": "cw"}),
        )
        .await
        .ok();
    assert_eq!(
        e["sensitive"], true,
        "spoiler on edit makes it sensitive: {e}"
    );
    assert_eq!(e["spoiler_text"], "cw");
    let mentioned: Vec<&str> = e["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(mentioned, vec!["carol"], "{e}");
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/before", None).await.ok()),
        Vec::<String>::new(),
        "old tag dropped"
    );
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/after", None).await.ok()),
        vec![id.clone()],
        "new tag indexed"
    );
    // The newly mentioned account is notified.
    let notes = s
        .get("/api/v1/notifications", Some(&carol.token))
        .await
        .ok();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention" && n["status"]["id"] == id.as_str()),
        "{notes}"
    );

    s.put(
        &status_path(&id),
        Some(&alice.token),
        json!({"status": "v3"}),
    )
    .await
    .ok();
    let hist = s
        .get(&format!("/api/v1/statuses/{id}/history"), None)
        .await
        .ok();
    let contents: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 3, "{hist}");
    assert!(
        contents[0].contains("v1") && contents[1].contains("v2") && contents[2].contains("v3"),
        "{contents:?}"
    );
    let times: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[tokio::test]
async fn edit_notifies_those_who_shared() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let id = id_of(&s.post_status(&alice, json!({"status": "original"})).await);
    s.post(
        &format!("/api/v1/statuses/{id}/reblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    s.put(
        &status_path(&id),
        Some(&alice.token),
        json!({"status": "changed"}),
    )
    .await
    .ok();
    let notes = s
        .get("/api/v1/notifications?types[]=update", Some(&bob.token))
        .await
        .ok();
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    assert!(notes[0]["status"]["content"]
        .as_str()
        .unwrap()
        .contains("changed"));
}

#[tokio::test]
async fn interactions_on_a_reblog_act_on_the_original() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let oid = id_of(&s.post_status(&alice, json!({"status": "original"})).await);
    let rb = id_of(
        &s.post(
            &format!("/api/v1/statuses/{oid}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok(),
    );

    // Reblogging the reblog reblogs the original.
    let rb2 = s
        .post(
            &format!("/api/v1/statuses/{rb}/reblog"),
            Some(&carol.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(rb2["reblog"]["id"], oid.as_str(), "{rb2}");
    assert_eq!(rb2["reblog"]["reblogs_count"], 2);
    // Favouriting the reblog favourites the original.
    let f = s
        .post(
            &format!("/api/v1/statuses/{rb}/favourite"),
            Some(&carol.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(f["id"], oid.as_str(), "{f}");
    assert_eq!(f["favourites_count"], 1);
    // Viewing the reblog counts a view of the original.
    s.get(&status_path(&rb), None).await.ok();
    let orig = s.get(&status_path(&oid), None).await.ok();
    assert_eq!(orig["roost"]["views_total"], 2, "{orig}");
    // Replying to a reblog is refused; quoting one too.
    s.post(
        "/api/v1/statuses",
        Some(&carol.token),
        json!({"status": "hm", "in_reply_to_id": rb}),
    )
    .await
    .error(422);
    s.post(
        "/api/v1/statuses",
        Some(&carol.token),
        json!({"status": "hm", "quoted_status_id": rb}),
    )
    .await
    .error(422);
    // A reblog cannot be edited or pinned.
    s.put(
        &status_path(&rb),
        Some(&bob.token),
        json!({"status": "edit"}),
    )
    .await
    .error(422);

    // Deleting the reblog directly undoes it: counts drop.
    let bob_before = statuses_count(&s, &bob).await;
    s.delete(&status_path(&rb), Some(&bob.token)).await.ok();
    assert_eq!(statuses_count(&s, &bob).await, bob_before - 1);
    let orig = s.get(&status_path(&oid), Some(&bob.token)).await.ok();
    assert_eq!(orig["reblogs_count"], 1, "{orig}");
    assert_eq!(orig["reblogged"], false);
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/statuses/{oid}/reblogged_by"), None)
            .await
            .ok()),
        vec![carol.id.clone()]
    );
}

#[tokio::test]
async fn reblog_visibility_parameter() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let stranger = s.register("stranger").await;
    let oid = id_of(&s.post_status(&alice, json!({"status": "original"})).await);
    let rb = s
        .post(
            &format!("/api/v1/statuses/{oid}/reblog"),
            Some(&bob.token),
            json!({"visibility": "private"}),
        )
        .await
        .ok();
    assert_eq!(rb["visibility"], "private");
    // A followers-only reblog is not shown to those who do not follow the reblogger.
    s.get(&status_path(&id_of(&rb)), Some(&stranger.token))
        .await
        .error(404);
    assert!(!s
        .account_status_ids(&bob, Some(&stranger))
        .await
        .contains(&id_of(&rb)));
    s.post(
        &format!("/api/v1/statuses/{oid}/reblog"),
        Some(&stranger.token),
        json!({"visibility": "direct"}),
    )
    .await
    .error(422);
}

#[tokio::test]
async fn a_quote_does_not_leak_what_the_viewer_may_not_see() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let stranger = s.register("stranger").await;
    s.follow(&bob, &alice).await;
    let secret = s
        .post_status(
            &alice,
            json!({"status": "the secret sauce", "visibility": "private"}),
        )
        .await;
    // Alice may quote her own followers-only post in a public one.
    let q = s
        .post_status(
            &alice,
            json!({"status": "look at this", "quoted_status_id": secret["id"]}),
        )
        .await;
    let qid = id_of(&q);
    assert_eq!(q["quote"]["state"], "accepted");

    for viewer in [Some(&stranger), None] {
        let got = s
            .get(&status_path(&qid), viewer.map(|u| u.token.as_str()))
            .await
            .ok();
        assert_eq!(got["quote"]["state"], "unauthorized", "{got}");
        assert!(got["quote"]["quoted_status"].is_null(), "{got}");
        assert!(!got.to_string().contains("secret sauce"), "leaked: {got}");
        let public = s
            .get("/api/v1/timelines/public", viewer.map(|u| u.token.as_str()))
            .await
            .ok();
        assert!(
            !public.to_string().contains("secret sauce"),
            "leaked in the public timeline: {public}"
        );
    }
    let got = s.get(&status_path(&qid), Some(&bob.token)).await.ok();
    assert_eq!(got["quote"]["state"], "accepted");
    assert_eq!(got["quote"]["quoted_status"]["id"], secret["id"]);

    // A reblog of the quote, seen by a stranger: still no leak.
    let rb = s
        .post(
            &format!("/api/v1/statuses/{qid}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    let got = s
        .get(&status_path(&id_of(&rb)), Some(&stranger.token))
        .await
        .ok();
    assert!(
        !got.to_string().contains("secret sauce"),
        "leaked through a reblog: {got}"
    );
    // A quote of the quote, seen by a stranger: the inner quote is shallow, no leak.
    let qq = s
        .post_status(&bob, json!({"status": "meta", "quoted_status_id": qid}))
        .await;
    let got = s
        .get(&status_path(&id_of(&qq)), Some(&stranger.token))
        .await
        .ok();
    assert_eq!(got["quote"]["state"], "accepted");
    assert!(
        !got.to_string().contains("secret sauce"),
        "leaked through a nested quote: {got}"
    );
}

#[tokio::test]
async fn urls_count_as_23_characters() {
    let s = TestServer::start_with(|c| c.max_status_chars = 50).await;
    let alice = s.register("alice").await;
    let long_url = format!("https://example.org/{}", "p".repeat(80));
    // 23 for the URL + 1 space + 26 letters = 50.
    let text = format!("{long_url} {}", "z".repeat(26));
    s.post_status(&alice, json!({"status": text})).await;
    let text = format!("{long_url} {}", "z".repeat(27));
    s.post(
        "/api/v1/statuses",
        Some(&alice.token),
        json!({"status": text}),
    )
    .await
    .error(422);
}

#[tokio::test]
async fn descendants_are_depth_first() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let a = id_of(&s.post_status(&alice, json!({"status": "a"})).await);
    let b = id_of(
        &s.post_status(&alice, json!({"status": "b", "in_reply_to_id": a}))
            .await,
    );
    let c = id_of(
        &s.post_status(&alice, json!({"status": "c", "in_reply_to_id": a}))
            .await,
    );
    let d = id_of(
        &s.post_status(&alice, json!({"status": "d", "in_reply_to_id": b}))
            .await,
    );
    let ctx = s
        .get(&format!("/api/v1/statuses/{a}/context"), None)
        .await
        .ok();
    assert_eq!(ids(&ctx["descendants"]), vec![b, d.clone(), c]);
    let ctx = s
        .get(&format!("/api/v1/statuses/{d}/context"), None)
        .await
        .ok();
    assert_eq!(ids(&ctx["ancestors"]).len(), 2);
    assert_eq!(s.get(&status_path(&a), None).await.ok()["replies_count"], 2);
}

#[tokio::test]
async fn concurrent_requests_keep_counts_exact() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let mut fans = Vec::new();
    for i in 0..8 {
        fans.push(s.register(&format!("fan{i}")).await);
    }
    let id = id_of(&s.post_status(&alice, json!({"status": "popular"})).await);

    // Same Idempotency-Key five times at once: one status.
    let posts = (0..5).map(|_| {
        s.post_with_headers(
            "/api/v1/statuses",
            Some(&alice.token),
            &[("Idempotency-Key", "race")],
            json!({"status": "raced"}),
        )
    });
    let results = futures_join_all(posts).await;
    let got: Vec<String> = results.into_iter().map(|r| id_of(&r.ok())).collect();
    assert!(got.iter().all(|g| g == &got[0]), "{got:?}");
    assert_eq!(statuses_count(&s, &alice).await, 2);

    // Everyone favourites and reblogs at once, each twice.
    let fav_path = format!("/api/v1/statuses/{id}/favourite");
    let reblog_path = format!("/api/v1/statuses/{id}/reblog");
    let mut reqs = Vec::new();
    for f in &fans {
        for _ in 0..2 {
            reqs.push(s.post(&fav_path, Some(&f.token), json!({})));
            reqs.push(s.post(&reblog_path, Some(&f.token), json!({})));
        }
    }
    for r in futures_join_all(reqs).await {
        r.ok();
    }
    let st = s.get(&status_path(&id), None).await.ok();
    assert_eq!(st["favourites_count"], 8, "{st}");
    assert_eq!(st["reblogs_count"], 8, "{st}");
    assert_eq!(
        ids(&s
            .get(
                &format!("/api/v1/statuses/{id}/favourited_by?limit=40"),
                None
            )
            .await
            .ok())
        .len(),
        8
    );
    assert_eq!(
        ids(&s
            .get(
                &format!("/api/v1/statuses/{id}/reblogged_by?limit=40"),
                None
            )
            .await
            .ok())
        .len(),
        8
    );
    for f in &fans {
        assert_eq!(statuses_count(&s, f).await, 1, "one reblog each");
    }
}

/// Runs futures concurrently on this task (no extra crate needed).
async fn futures_join_all<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let futs: Vec<std::pin::Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut outs: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let mut futs: Vec<Option<std::pin::Pin<Box<F>>>> = futs.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futs.iter_mut().zip(outs.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outs.into_iter().map(|o| o.unwrap()).collect()
}

#[tokio::test]
async fn lists_of_accounts_paginate_with_links() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let id = id_of(&s.post_status(&alice, json!({"status": "fav me"})).await);
    let mut fans = Vec::new();
    for i in 0..5 {
        let f = s.register(&format!("fan{i}")).await;
        s.post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&f.token),
            json!({}),
        )
        .await
        .ok();
        fans.push(f.id);
    }
    fans.reverse();
    let all = walk(
        &s,
        &alice.token,
        &format!("/api/v1/statuses/{id}/favourited_by?limit=2"),
    )
    .await;
    assert_eq!(all, fans, "newest favourite first");
}

#[tokio::test]
async fn text_is_escaped_and_not_over_linked() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let _bob = s.register("bob").await;
    let st = s
        .post_status(
            &alice,
            json!({"status": "<script>alert(1)</script> & <b>bold</b> mail x@bob.example see https://example.org/#anchor", "spoiler_text": "<i>cw</i>"}),
        )
        .await;
    let content = st["content"].as_str().unwrap();
    assert!(!content.contains("<script"), "{content}");
    assert!(!content.contains("<b>"), "{content}");
    assert!(content.contains("&lt;script&gt;"), "{content}");
    assert!(content.contains("&amp;"), "{content}");
    assert_eq!(
        st["mentions"].as_array().unwrap().len(),
        0,
        "an e-mail address is not a mention: {st}"
    );
    assert_eq!(
        st["tags"].as_array().unwrap().len(),
        0,
        "a URL fragment is not a hashtag: {st}"
    );
    assert!(
        content.contains("href=\"https://example.org/#anchor\""),
        "{content}"
    );
    // The spoiler is plain text in the API (clients escape it).
    assert_eq!(st["spoiler_text"], "<i>cw</i>");
    let src = s
        .get(
            &format!("/api/v1/statuses/{}/source", id_of(&st)),
            Some(&alice.token),
        )
        .await
        .ok();
    assert!(
        src["text"].as_str().unwrap().starts_with("<script>"),
        "source is the raw text: {src}"
    );
}

#[tokio::test]
async fn actions_with_an_empty_body_and_no_content_type() {
    // toot and others POST actions with no body at all.
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let id = id_of(&s.post_status(&alice, json!({"status": "bare"})).await);
    for action in [
        "favourite",
        "bookmark",
        "reblog",
        "unreblog",
        "unbookmark",
        "unfavourite",
    ] {
        let r = s
            .req(
                reqwest::Method::POST,
                &format!("/api/v1/statuses/{id}/{action}"),
                Some(&bob.token),
                Body::None,
            )
            .await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
    }
    let r = s
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tagged = s.post_status(&alice, json!({"status": "#Rust"})).await;
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/%23rust", None).await.ok()),
        vec![id_of(&tagged)]
    );
}
