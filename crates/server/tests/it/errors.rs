//! Error answers: the right status for each kind of failure, always a JSON `{"error": ...}`
//! body, never a 500; and paths with a trailing slash.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

/// Asserts a Mastodon-style JSON error with this status.
#[track_caller]
fn json_error(r: Resp, status: u16) -> String {
    let ctype = r
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        ctype.starts_with("application/json"),
        "content-type {ctype:?} for {}: {}",
        r.status,
        r.body
    );
    r.error(status)
}

#[tokio::test]
async fn malformed_and_mistyped_bodies() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let t = Some(alice.token.as_str());

    json_error(
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "application/json",
            "{\"status\": \"oops\"",
        )
        .await,
        400,
    );
    json_error(
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "application/json",
            "[1, 2]",
        )
        .await,
        400,
    );
    json_error(
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "application/json",
            "not json at all",
        )
        .await,
        400,
    );
    json_error(
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "application/json; charset=utf-8",
            "{\"status\": ",
        )
        .await,
        400,
    );

    json_error(
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "sensitive": {}}),
        )
        .await,
        422,
    );
    json_error(
        s.post("/api/v1/statuses", t, json!({"status": {"nested": 1}}))
            .await,
        422,
    );
    json_error(
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "in_reply_to_id": [1]}),
        )
        .await,
        422,
    );
    json_error(
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "visibility": "everyone"}),
        )
        .await,
        422,
    );
    json_error(
        s.post_form(
            "/api/v1/statuses",
            t,
            &[("status", "x"), ("sensitive", "maybe")],
        )
        .await,
        422,
    );
    json_error(
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "media_ids": ["1"]}),
        )
        .await,
        422,
    );

    // None of these posted anything.
    assert_eq!(
        s.account_status_ids(&alice, None).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn unknown_and_non_numeric_ids() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let t = Some(alice.token.as_str());
    json_error(s.get("/api/v1/statuses/987654321", None).await, 404);
    json_error(s.get("/api/v1/statuses/not-a-number", None).await, 404);
    json_error(s.get("/api/v1/statuses/-5", None).await, 404);
    json_error(
        s.get("/api/v1/statuses/99999999999999999999999", None)
            .await,
        404,
    );
    json_error(s.delete("/api/v1/statuses/987654321", t).await, 404);
    json_error(
        s.put("/api/v1/statuses/abc", t, json!({"status": "x"}))
            .await,
        404,
    );
    json_error(
        s.post("/api/v1/statuses/abc/favourite", t, json!({})).await,
        404,
    );
    json_error(
        s.post("/api/v1/statuses/987654321/reblog", t, json!({}))
            .await,
        404,
    );
    json_error(s.get("/api/v1/statuses/987654321/context", None).await, 404);
    json_error(s.get("/api/v1/accounts/987654321", None).await, 404);
    json_error(s.get("/api/v1/accounts/abc/statuses", None).await, 404);
    json_error(
        s.post("/api/v1/accounts/987654321/follow", t, json!({}))
            .await,
        404,
    );
    json_error(
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "in_reply_to_id": "987654321"}),
        )
        .await,
        404,
    );
}

#[tokio::test]
async fn body_too_large_is_413() {
    let s = TestServer::start_with(|c| c.max_body_bytes = 1024).await;
    let alice = s.register("alice").await;
    let t = Some(alice.token.as_str());
    let big = "x".repeat(4096);
    json_error(
        s.post("/api/v1/statuses", t, json!({ "status": big }))
            .await,
        413,
    );
    json_error(
        s.post_form("/api/v1/statuses", t, &[("status", big.as_str())])
            .await,
        413,
    );
    json_error(
        s.post_multipart("/api/v1/statuses", t, &[("status", big.as_str())])
            .await,
        413,
    );
    // A small one still works.
    s.post_status(&alice, json!({"status": "small"})).await;
    assert_eq!(s.account_status_ids(&alice, None).await.len(), 1);
}

#[tokio::test]
async fn unsupported_content_type_is_415() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statuses",
            Some(&alice.token),
            "text/plain",
            "status=hello",
        )
        .await;
    json_error(r, 415);
    let r = s
        .raw(
            Method::POST,
            "/api/v1/statuses",
            Some(&alice.token),
            "application/xml",
            "<status>hi</status>",
        )
        .await;
    json_error(r, 415);
    assert_eq!(
        s.account_status_ids(&alice, None).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn authentication_and_scopes() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s.post_status(&alice, json!({"status": "hello"})).await;
    let id = id_of(&st);

    // Missing token.
    let r = s
        .post("/api/v1/statuses", None, json!({"status": "anon"}))
        .await;
    assert!(
        r.headers.get("www-authenticate").is_some(),
        "401 without WWW-Authenticate"
    );
    json_error(r, 401);
    json_error(s.get("/api/v1/timelines/home", None).await, 401);
    json_error(
        s.post(&format!("/api/v1/statuses/{id}/favourite"), None, json!({}))
            .await,
        401,
    );
    json_error(s.delete(&format!("/api/v1/statuses/{id}"), None).await, 401);

    // Invalid token, even on endpoints open to anonymous readers.
    json_error(
        s.post(
            "/api/v1/statuses",
            Some("not-a-token"),
            json!({"status": "x"}),
        )
        .await,
        401,
    );
    json_error(
        s.get("/api/v1/timelines/public", Some("not-a-token")).await,
        401,
    );
    json_error(
        s.get(&format!("/api/v1/statuses/{id}"), Some("bogus"))
            .await,
        401,
    );
    let r = s
        .send(
            s.http
                .get(s.url("/api/v1/timelines/home"))
                .header("authorization", "Basic Zm9vOmJhcg=="),
        )
        .await;
    json_error(r, 401);

    // Insufficient scope.
    let read_only = s.scoped_token(&alice, "read").await;
    json_error(
        s.post("/api/v1/statuses", Some(&read_only), json!({"status": "x"}))
            .await,
        403,
    );
    json_error(
        s.post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&read_only),
            json!({}),
        )
        .await,
        403,
    );
    json_error(
        s.delete(&format!("/api/v1/statuses/{id}"), Some(&read_only))
            .await,
        403,
    );
    // ...but reading works with it.
    s.get("/api/v1/timelines/home", Some(&read_only)).await.ok();
    let favs_only = s.scoped_token(&alice, "write:favourites").await;
    s.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        Some(&favs_only),
        json!({}),
    )
    .await
    .ok();
    json_error(
        s.post("/api/v1/statuses", Some(&favs_only), json!({"status": "x"}))
            .await,
        403,
    );
    json_error(s.get("/api/v1/timelines/home", Some(&favs_only)).await, 403);
    assert_eq!(
        s.account_status_ids(&alice, None).await,
        vec![id],
        "nothing posted with bad tokens"
    );
}

#[tokio::test]
async fn forbidden_and_invisible_actions() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let private = id_of(
        &s.post_status(
            &alice,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await,
    );
    let public = id_of(&s.post_status(&alice, json!({"status": "public"})).await);

    // Acting on what you may not see: 404, as if it did not exist.
    json_error(
        s.post(
            &format!("/api/v1/statuses/{private}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await,
        404,
    );
    json_error(
        s.delete(&format!("/api/v1/statuses/{private}"), Some(&bob.token))
            .await,
        404,
    );

    // Deleting, editing or pinning someone else's visible status: 404 as in Mastodon,
    // and it still exists unchanged.
    json_error(
        s.delete(&format!("/api/v1/statuses/{public}"), Some(&bob.token))
            .await,
        404,
    );
    json_error(
        s.put(
            &format!("/api/v1/statuses/{public}"),
            Some(&bob.token),
            json!({"status": "mine now"}),
        )
        .await,
        404,
    );
    let still = s
        .get(&format!("/api/v1/statuses/{public}"), None)
        .await
        .ok();
    assert!(still["content"].as_str().unwrap().contains("public"));
    json_error(
        s.post(
            &format!("/api/v1/statuses/{public}/pin"),
            Some(&bob.token),
            json!({}),
        )
        .await,
        404,
    );
    // Unpinning someone else's post is a 200 no-op; its source is readable (200).
    let unpinned = s
        .post(
            &format!("/api/v1/statuses/{public}/unpin"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(unpinned["id"], public.as_str());
    let src = s
        .get(
            &format!("/api/v1/statuses/{public}/source"),
            Some(&bob.token),
        )
        .await
        .ok();
    assert_eq!(src["id"], public.as_str());
    // A post Bob cannot see has no source for him either.
    json_error(
        s.get(
            &format!("/api/v1/statuses/{private}/source"),
            Some(&bob.token),
        )
        .await,
        404,
    );
    // Following oneself is refused.
    let r = s
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body["error"].is_string());
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let s = TestServer::start().await;
    json_error(s.get("/api/v1/nothing-here", None).await, 404);
    json_error(s.get("/api/v9/instance", None).await, 404);
    // Outside the API an unknown path is the web's page, still a 404.
    let r = s.get("/no/such/page", None).await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    json_error(s.post("/api/v1/nope", None, json!({})).await, 404);
    // A known path with a method it does not serve.
    let r = s
        .req(
            Method::PATCH,
            "/api/v1/statuses",
            None,
            Body::Json(json!({})),
        )
        .await;
    let allow = r
        .headers
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        allow.contains("GET") && allow.contains("POST"),
        "Allow header: {allow:?}"
    );
    json_error(r, 405);
}

#[tokio::test]
async fn trailing_slashes_are_accepted() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = s.post_status(&alice, json!({"status": "slash"})).await;
    let v1 = s.get("/api/v1/instance/", None).await.ok();
    assert!(v1["version"].as_str().unwrap().starts_with("4."), "{v1}");
    let v2 = s.get("/api/v2/instance/", None).await.ok();
    assert!(v2["version"].is_string(), "{v2}");
    assert!(v2["api_versions"]["mastodon"].is_number(), "{v2}");
    assert_eq!(
        ids(&s.get("/api/v1/timelines/public/", None).await.ok()),
        vec![id_of(&st)]
    );
    assert_eq!(
        ids(&s.get("/api/v1/timelines/public/?limit=5", None).await.ok()),
        vec![id_of(&st)]
    );
    s.get(&format!("/api/v1/statuses/{}/", id_of(&st)), None)
        .await
        .ok();
    s.post(
        "/api/v1/statuses/",
        Some(&alice.token),
        json!({"status": "with slash"}),
    )
    .await
    .ok();
    s.get("/api/v1/accounts/verify_credentials/", Some(&alice.token))
        .await
        .ok();
}

/// A sweep of odd requests: whatever happens, never a 500 and always an `error` string.
#[tokio::test]
async fn no_request_gets_a_500() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let st = id_of(&s.post_status(&alice, json!({"status": "target"})).await);
    let t = Some(alice.token.as_str());
    let cases: Vec<Resp> = vec![
        s.get("/api/v1/timelines/public?limit=-1", None).await,
        s.get("/api/v1/timelines/public?limit=abc", None).await,
        s.get("/api/v1/timelines/public?max_id=-1", None).await,
        s.get("/api/v1/timelines/tag/%20", None).await,
        s.get("/api/v1/timelines/tag/%23%23%23", None).await,
        s.get(&format!("/api/v1/statuses?id[]={st}&id[]=x"), None)
            .await,
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "in_reply_to_id": "-3"}),
        )
        .await,
        s.post(
            "/api/v1/statuses",
            t,
            json!({"status": "x", "quoted_status_id": "abc"}),
        )
        .await,
        s.post("/api/v1/statuses", t, json!({"status": 12345}))
            .await,
        s.post("/api/v1/statuses", t, json!({"status": "\u{0}nul"}))
            .await,
        s.post(
            &format!("/api/v1/statuses/{st}/reblog"),
            t,
            json!({"visibility": "direct"}),
        )
        .await,
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "multipart/form-data; boundary=zzz",
            "garbage",
        )
        .await,
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "application/x-www-form-urlencoded",
            vec![0xffu8, 0xfe, 0x3d],
        )
        .await,
        s.raw(
            Method::POST,
            "/api/v1/statuses",
            t,
            "multipart/form-data",
            "no boundary",
        )
        .await,
        s.put(&format!("/api/v1/statuses/{st}"), t, json!({"status": ""}))
            .await,
        s.get("/api/v1/notifications/abc", t).await,
        s.get("/api/v1/favourites?limit=0", t).await,
    ];
    for r in cases {
        assert!(r.status.as_u16() < 500, "got {}: {}", r.status, r.body);
        if !r.status.is_success() {
            assert!(
                r.body["error"].is_string(),
                "no error string in {}: {}",
                r.status,
                r.body
            );
        }
    }
}

#[tokio::test]
async fn a_body_far_over_the_limit_gets_a_413_not_a_reset() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    // 4 MB against the default 1 MiB limit.
    let big = "y".repeat(4 << 20);
    json_error(
        s.post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({ "status": big }),
        )
        .await,
        413,
    );
}

#[tokio::test]
async fn empty_or_malformed_authorization_headers() {
    let s = TestServer::start().await;
    for value in ["Bearer ", "Bearer", "bearer    ", "Token abc", "abc"] {
        let r = s
            .send(
                s.http
                    .get(s.url("/api/v1/timelines/home"))
                    .header("authorization", value),
            )
            .await;
        json_error(r, 401);
    }
    let alice = s.register("alice").await;
    let lower = format!("bearer {}", alice.token);
    let r = s
        .send(
            s.http
                .get(s.url("/api/v1/timelines/home"))
                .header("authorization", lower),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn app_only_token_cannot_post() {
    let s = TestServer::start().await;
    let app_token = s.app_token("read write").await;
    let r = s
        .post(
            "/api/v1/statuses",
            Some(&app_token),
            json!({"status": "from no one"}),
        )
        .await;
    assert!(
        r.status == 422 || r.status == 403 || r.status == 401,
        "{}: {}",
        r.status,
        r.body
    );
    assert!(r.body["error"].is_string());
    json_error(s.get("/api/v1/timelines/home", Some(&app_token)).await, 422);
    // Reading public things with it is fine.
    s.get("/api/v1/timelines/public", Some(&app_token))
        .await
        .ok();
}
