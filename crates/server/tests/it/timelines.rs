//! `/api/v1/timelines/...`: fan-out to home timelines, public and hashtag timelines, and
//! Mastodon pagination (`max_id`, `since_id`, `min_id`, `limit`, the `Link` header).

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn home_has_own_and_followed_posts_not_strangers() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;

    let own = id_of(&s.post_status(&alice, json!({"status": "mine"})).await);
    let followed = id_of(&s.post_status(&bob, json!({"status": "bob's"})).await);
    let followed_unlisted = id_of(
        &s.post_status(
            &bob,
            json!({"status": "bob quiet", "visibility": "unlisted"}),
        )
        .await,
    );
    let stranger = id_of(&s.post_status(&carol, json!({"status": "carol's"})).await);

    let home = s.home_ids(&alice).await;
    assert_eq!(
        home,
        vec![followed_unlisted.clone(), followed.clone(), own.clone()],
        "newest first"
    );
    assert!(!home.contains(&stranger));
    // Bob does not follow alice: only his own posts.
    assert_eq!(
        s.home_ids(&bob).await,
        vec![followed_unlisted.clone(), followed.clone()]
    );
    assert_eq!(s.home_ids(&carol).await, vec![stranger.clone()]);

    // After unfollowing, bob's posts leave alice's home.
    s.post(
        &format!("/api/v1/accounts/{}/unfollow", bob.id),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(s.home_ids(&alice).await, vec![own.clone()]);

    // Following again brings them back (backfill), and new posts arrive.
    s.follow(&alice, &bob).await;
    let later = id_of(&s.post_status(&bob, json!({"status": "bob again"})).await);
    let home = s.home_ids(&alice).await;
    assert_eq!(home.first(), Some(&later));
    assert!(home.contains(&own));

    s.get("/api/v1/timelines/home", None).await.error(401);
}

#[tokio::test]
async fn public_and_local_timelines() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let p1 = id_of(&s.post_status(&alice, json!({"status": "public one"})).await);
    let _u = id_of(
        &s.post_status(
            &alice,
            json!({"status": "unlisted", "visibility": "unlisted"}),
        )
        .await,
    );
    let _f = id_of(
        &s.post_status(
            &alice,
            json!({"status": "followers", "visibility": "private"}),
        )
        .await,
    );
    let _d = id_of(
        &s.post_status(
            &alice,
            json!({"status": "@bob direct", "visibility": "direct"}),
        )
        .await,
    );
    let p2 = id_of(&s.post_status(&bob, json!({"status": "public two"})).await);
    // A reblog is not shown again on the public timeline.
    s.post(
        &format!("/api/v1/statuses/{p1}/reblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();

    let want = vec![p2.clone(), p1.clone()];
    assert_eq!(s.public_ids(None).await, want);
    assert_eq!(s.public_ids(Some(&bob)).await, want);
    let local = ids(&s
        .get("/api/v1/timelines/public?local=true", None)
        .await
        .ok());
    assert_eq!(local, want);
    let remote = ids(&s
        .get("/api/v1/timelines/public?remote=true", None)
        .await
        .ok());
    assert_eq!(remote, Vec::<String>::new(), "all accounts are local");
}

#[tokio::test]
async fn tag_timelines() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let a = id_of(
        &s.post_status(&alice, json!({"status": "phones #小米"}))
            .await,
    );
    let b = id_of(
        &s.post_status(&alice, json!({"status": "I like #Rust"}))
            .await,
    );
    let c = id_of(
        &s.post_status(&alice, json!({"status": "more #rust and #小米"}))
            .await,
    );
    let _quiet = s
        .post_status(
            &alice,
            json!({"status": "#rust unlisted", "visibility": "unlisted"}),
        )
        .await;
    let _private = s
        .post_status(
            &alice,
            json!({"status": "#rust private", "visibility": "private"}),
        )
        .await;

    let xiaomi = ids(&s
        .get("/api/v1/timelines/tag/%E5%B0%8F%E7%B1%B3", None)
        .await
        .ok());
    assert_eq!(xiaomi, vec![c.clone(), a.clone()]);
    let rust_upper = ids(&s.get("/api/v1/timelines/tag/RUST", None).await.ok());
    assert_eq!(rust_upper, vec![c.clone(), b.clone()]);
    let rust = ids(&s
        .get("/api/v1/timelines/tag/rust", Some(&alice.token))
        .await
        .ok());
    assert_eq!(rust, vec![c.clone(), b.clone()]);
    let none = ids(&s.get("/api/v1/timelines/tag/nothinghere", None).await.ok());
    assert!(none.is_empty());
    // Tag timelines paginate like the others.
    let r = s.get("/api/v1/timelines/tag/rust?limit=1", None).await;
    let link = r.link();
    assert_eq!(ids(&r.ok()), vec![c.clone()]);
    let next = link_rel(&link, "next").expect("next link");
    assert_eq!(ids(&s.get(&next, None).await.ok()), vec![b]);
}

#[tokio::test]
async fn pagination_walk_since_and_min_id() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let mut posted = Vec::new();
    for i in 0..7 {
        posted.push(id_of(
            &s.post_status(&alice, json!({"status": format!("number {i}")}))
                .await,
        ));
    }
    let mut newest_first = posted.clone();
    newest_first.reverse();

    for (timeline, token) in [
        ("/api/v1/timelines/public", None),
        ("/api/v1/timelines/home", Some(alice.token.as_str())),
    ] {
        let mut url = format!("{timeline}?limit=3");
        let mut seen: Vec<String> = Vec::new();
        let mut pages = Vec::new();
        loop {
            let r = s.get(&url, token).await;
            let link = r.link();
            let page = ids(&r.ok());
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 3);
            pages.push(page.len());
            seen.extend(page);
            let next_at = link
                .find("rel=\"next\"")
                .unwrap_or_else(|| panic!("no next in {link:?}"));
            let prev_at = link
                .find("rel=\"prev\"")
                .unwrap_or_else(|| panic!("no prev in {link:?}"));
            assert!(next_at < prev_at, "next must come before prev: {link}");
            assert!(link.starts_with('<'), "{link}");
            // The limit is kept in the links.
            assert!(
                link_rel(&link, "next").unwrap().contains("limit=3"),
                "{link}"
            );
            url = link_rel(&link, "next").unwrap();
            assert!(pages.len() < 10, "pagination does not end");
        }
        assert_eq!(pages, vec![3, 3, 1], "{timeline}");
        assert_eq!(
            seen, newest_first,
            "{timeline}: newest first, no duplicates, all seen"
        );

        // since_id: the newest ones above the bound.
        let since = ids(&s
            .get(&format!("{timeline}?since_id={}&limit=2", posted[2]), token)
            .await
            .ok());
        assert_eq!(
            since,
            vec![posted[6].clone(), posted[5].clone()],
            "{timeline} since_id"
        );
        // min_id: the ones right after the bound, still newest first.
        let min = ids(&s
            .get(&format!("{timeline}?min_id={}&limit=2", posted[2]), token)
            .await
            .ok());
        assert_eq!(
            min,
            vec![posted[4].clone(), posted[3].clone()],
            "{timeline} min_id"
        );
        // max_id and since_id together.
        let window = ids(&s
            .get(
                &format!("{timeline}?max_id={}&since_id={}", posted[5], posted[1]),
                token,
            )
            .await
            .ok());
        assert_eq!(
            window,
            vec![posted[4].clone(), posted[3].clone(), posted[2].clone()],
            "{timeline} window"
        );
        // The prev link of the first page leads to nothing newer.
        let r = s.get(&format!("{timeline}?limit=3"), token).await;
        let prev = link_rel(&r.link(), "prev").unwrap();
        assert!(prev.contains(&format!("min_id={}", posted[6])), "{prev}");
        assert_eq!(ids(&s.get(&prev, token).await.ok()), Vec::<String>::new());
    }
}

#[tokio::test]
async fn empty_page_has_no_link_and_bad_cursors_are_rejected() {
    let s = TestServer::start().await;
    let r = s.get("/api/v1/timelines/public", None).await;
    assert!(r.link().is_empty(), "{}", r.link());
    assert_eq!(r.ok(), json!([]));
    let r = s.get("/api/v1/timelines/public?max_id=abc", None).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body["error"].is_string(), "{}", r.body);
}

#[tokio::test]
async fn limit_is_clamped_to_40() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    for i in 0..45 {
        s.post_status(&alice, json!({"status": format!("p{i}")}))
            .await;
    }
    assert_eq!(
        ids(&s.get("/api/v1/timelines/public?limit=100", None).await.ok()).len(),
        40
    );
    assert_eq!(
        ids(&s.get("/api/v1/timelines/public", None).await.ok()).len(),
        20,
        "default limit"
    );
    assert_eq!(
        ids(&s
            .get("/api/v1/timelines/home?limit=41", Some(&alice.token))
            .await
            .ok())
        .len(),
        40
    );
    assert_eq!(s.account_status_ids(&alice, None).await.len(), 40);
    let r = s
        .get(
            &format!("/api/v1/accounts/{}/statuses?limit=1000", alice.id),
            None,
        )
        .await
        .ok();
    assert_eq!(ids(&r).len(), 40);
}

#[tokio::test]
async fn links_keep_other_parameters() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    for i in 0..3 {
        s.post_status(&alice, json!({"status": format!("#tagged {i}")}))
            .await;
    }
    let r = s
        .get("/api/v1/timelines/public?local=true&limit=2", None)
        .await;
    let next = link_rel(&r.link(), "next").expect("next");
    assert!(
        next.contains("local=true") && next.contains("limit=2"),
        "{next}"
    );
    assert!(
        next.starts_with(&s.base),
        "absolute URL on this server: {next}"
    );
    assert_eq!(ids(&s.get(&next, None).await.ok()).len(), 1);
    let r = s
        .get(
            &format!(
                "/api/v1/accounts/{}/statuses?limit=2&exclude_replies=true",
                alice.id
            ),
            None,
        )
        .await;
    let next = link_rel(&r.link(), "next").expect("next");
    assert!(next.contains("exclude_replies=true"), "{next}");
    assert!(
        next.contains(&format!("/api/v1/accounts/{}/statuses", alice.id)),
        "{next}"
    );
    let media = s
        .get("/api/v1/timelines/public?only_media=true", None)
        .await
        .ok();
    assert_eq!(media, json!([]));
}
