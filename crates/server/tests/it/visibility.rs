//! Who sees what: author, follower, mentioned non-follower, stranger and anonymous against
//! public, unlisted, followers-only and direct statuses, on every read path.

use crate::support::*;
use serde_json::json;

const VISIBILITIES: [&str; 4] = ["public", "unlisted", "private", "direct"];

struct Cast {
    author: User,
    follower: User,
    mentioned: User,
    stranger: User,
}

async fn cast(s: &TestServer) -> Cast {
    let author = s.register("author").await;
    let follower = s.register("follower").await;
    let mentioned = s.register("mentioned").await;
    let stranger = s.register("stranger").await;
    s.follow(&follower, &author).await;
    Cast {
        author,
        follower,
        mentioned,
        stranger,
    }
}

/// Posts one status per visibility, each mentioning `@mentioned`; returns their IDs.
async fn post_all(s: &TestServer, c: &Cast) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for v in VISIBILITIES {
        let st = s
            .post_status(
                &c.author,
                json!({"status": format!("{v} post for @mentioned #matrix"), "visibility": v}),
            )
            .await;
        assert_eq!(st["visibility"], v);
        out.push((v, id_of(&st)));
    }
    out
}

#[tokio::test]
async fn single_status_visibility_matrix() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    let posts = post_all(&s, &c).await;
    let viewers: [(&str, Option<&User>); 5] = [
        ("author", Some(&c.author)),
        ("follower", Some(&c.follower)),
        ("mentioned", Some(&c.mentioned)),
        ("stranger", Some(&c.stranger)),
        ("anonymous", None),
    ];
    for (vis, id) in &posts {
        for (who, viewer) in &viewers {
            let expect_visible = matches!(
                (*vis, *who),
                ("public" | "unlisted", _)
                    | ("private", "author" | "follower" | "mentioned")
                    | ("direct", "author" | "mentioned")
            );
            let r = s
                .get(
                    &format!("/api/v1/statuses/{id}"),
                    viewer.map(|u| u.token.as_str()),
                )
                .await;
            if expect_visible {
                assert_eq!(r.status, 200, "{who} should see {vis}: {}", r.body);
                assert_eq!(r.body["id"], id.as_str());
            } else {
                assert_eq!(r.status, 404, "{who} must not see {vis}: {}", r.body);
                assert!(r.body["error"].is_string());
            }
            // The other read paths answer alike.
            for sub in ["context", "history", "favourited_by", "reblogged_by"] {
                let r = s
                    .get(
                        &format!("/api/v1/statuses/{id}/{sub}"),
                        viewer.map(|u| u.token.as_str()),
                    )
                    .await;
                let want = if expect_visible { 200 } else { 404 };
                assert_eq!(r.status, want, "{who} {sub} of {vis}: {}", r.body);
            }
            // Batch fetch silently drops what the viewer may not see.
            let got = ids(&s
                .get(
                    &format!("/api/v1/statuses?id[]={id}"),
                    viewer.map(|u| u.token.as_str()),
                )
                .await
                .ok());
            assert_eq!(!got.is_empty(), expect_visible, "{who} batch {vis}");
        }
    }
}

#[tokio::test]
async fn timeline_and_list_visibility_matrix() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    let posts = post_all(&s, &c).await;
    let id = |v: &str| posts.iter().find(|(k, _)| *k == v).unwrap().1.clone();
    let set = |vs: &[&str]| {
        let mut out: Vec<String> = vs.iter().map(|v| id(v)).collect();
        out.reverse(); // newest first: posted in VISIBILITIES order
        out
    };

    // Home timelines (fan-out): followers get all but direct; a direct message goes to
    // those it mentions; a mentioned non-follower does not get the others in home.
    assert_eq!(
        s.home_ids(&c.author).await,
        set(&["public", "unlisted", "private", "direct"])
    );
    assert_eq!(
        s.home_ids(&c.follower).await,
        set(&["public", "unlisted", "private"])
    );
    assert_eq!(s.home_ids(&c.mentioned).await, set(&["direct"]));
    assert_eq!(s.home_ids(&c.stranger).await, Vec::<String>::new());

    // Public and hashtag timelines: public only, whoever asks.
    for viewer in [
        Some(&c.author),
        Some(&c.follower),
        Some(&c.mentioned),
        Some(&c.stranger),
        None,
    ] {
        assert_eq!(s.public_ids(viewer).await, set(&["public"]));
        let tag = ids(&s
            .get(
                "/api/v1/timelines/tag/matrix",
                viewer.map(|u| u.token.as_str()),
            )
            .await
            .ok());
        assert_eq!(tag, set(&["public"]));
    }

    // The author's profile.
    assert_eq!(
        s.account_status_ids(&c.author, Some(&c.author)).await,
        set(&["public", "unlisted", "private", "direct"])
    );
    assert_eq!(
        s.account_status_ids(&c.author, Some(&c.follower)).await,
        set(&["public", "unlisted", "private"])
    );
    assert_eq!(
        s.account_status_ids(&c.author, Some(&c.mentioned)).await,
        set(&["public", "unlisted", "private", "direct"])
    );
    assert_eq!(
        s.account_status_ids(&c.author, Some(&c.stranger)).await,
        set(&["public", "unlisted"])
    );
    assert_eq!(
        s.account_status_ids(&c.author, None).await,
        set(&["public", "unlisted"])
    );

    // Mention notifications for every visibility.
    let notes = s
        .get(
            "/api/v1/notifications?types[]=mention",
            Some(&c.mentioned.token),
        )
        .await
        .ok();
    let mut noted: Vec<String> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"]["id"].as_str().unwrap().to_string())
        .collect();
    noted.sort();
    let mut all: Vec<String> = posts.iter().map(|(_, i)| i.clone()).collect();
    all.sort();
    assert_eq!(noted, all);
}

#[tokio::test]
async fn context_hides_a_private_reply_from_strangers() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    let root = id_of(
        &s.post_status(&c.stranger, json!({"status": "open question"}))
            .await,
    );
    let public_reply = id_of(
        &s.post_status(
            &c.follower,
            json!({"status": "@stranger public answer", "in_reply_to_id": root}),
        )
        .await,
    );
    let private_reply = id_of(
        &s.post_status(&c.author, json!({"status": "followers-only aside", "in_reply_to_id": root, "visibility": "private"})).await,
    );
    let ctx = |u: Option<&User>| {
        let path = format!("/api/v1/statuses/{root}/context");
        let token = u.map(|u| u.token.clone());
        let s = &s;
        async move {
            let v = s.get(&path, token.as_deref()).await.ok();
            let mut d = ids(&v["descendants"]);
            d.sort();
            d
        }
    };
    let mut both = vec![public_reply.clone(), private_reply.clone()];
    both.sort();
    assert_eq!(ctx(Some(&c.author)).await, both);
    assert_eq!(ctx(Some(&c.follower)).await, both);
    assert_eq!(
        ctx(Some(&c.stranger)).await,
        vec![public_reply.clone()],
        "the root's author does not follow the replier"
    );
    assert_eq!(ctx(None).await, vec![public_reply.clone()]);

    // From the private reply's side: its ancestors are visible to whoever sees it.
    let up = s
        .get(
            &format!("/api/v1/statuses/{private_reply}/context"),
            Some(&c.follower.token),
        )
        .await
        .ok();
    assert_eq!(ids(&up["ancestors"]), vec![root.clone()]);
    s.get(
        &format!("/api/v1/statuses/{private_reply}/context"),
        Some(&c.stranger.token),
    )
    .await
    .error(404);
}

#[tokio::test]
async fn acting_on_statuses_one_may_not_see_or_share() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    let private = id_of(
        &s.post_status(
            &c.author,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await,
    );
    let direct = id_of(
        &s.post_status(
            &c.author,
            json!({"status": "@mentioned secret", "visibility": "direct"}),
        )
        .await,
    );

    // Reblogging a followers-only post: the follower sees it but may not share it.
    s.post(
        &format!("/api/v1/statuses/{private}/reblog"),
        Some(&c.follower.token),
        json!({}),
    )
    .await
    .error(403);
    // The stranger cannot even see it.
    s.post(
        &format!("/api/v1/statuses/{private}/reblog"),
        Some(&c.stranger.token),
        json!({}),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v1/statuses/{direct}/reblog"),
        Some(&c.mentioned.token),
        json!({}),
    )
    .await
    .error(403);
    // The author may reblog their own followers-only post; it stays followers-only.
    let own = s
        .post(
            &format!("/api/v1/statuses/{private}/reblog"),
            Some(&c.author.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(own["visibility"], "private", "{own}");
    // The reblog of a private post is as invisible to strangers as the post itself.
    s.get(
        &format!("/api/v1/statuses/{}", id_of(&own)),
        Some(&c.stranger.token),
    )
    .await
    .error(404);
    s.get(
        &format!("/api/v1/statuses/{}", id_of(&own)),
        Some(&c.follower.token),
    )
    .await
    .ok();
    assert!(!s
        .account_status_ids(&c.author, Some(&c.stranger))
        .await
        .contains(&id_of(&own)));

    // Favourites, bookmarks and replies on invisible posts: 404.
    for action in ["favourite", "bookmark", "unfavourite", "unbookmark"] {
        s.post(
            &format!("/api/v1/statuses/{private}/{action}"),
            Some(&c.stranger.token),
            json!({}),
        )
        .await
        .error(404);
        s.post(
            &format!("/api/v1/statuses/{direct}/{action}"),
            Some(&c.follower.token),
            json!({}),
        )
        .await
        .error(404);
    }
    s.post(
        "/api/v1/statuses",
        Some(&c.stranger.token),
        json!({"status": "sneaky", "in_reply_to_id": private}),
    )
    .await
    .error(404);

    // The follower favourites the private post; once they unfollow, it leaves their list.
    s.post(
        &format!("/api/v1/statuses/{private}/favourite"),
        Some(&c.follower.token),
        json!({}),
    )
    .await
    .ok();
    s.post(
        &format!("/api/v1/statuses/{private}/bookmark"),
        Some(&c.follower.token),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(
        ids(&s
            .get("/api/v1/favourites", Some(&c.follower.token))
            .await
            .ok()),
        vec![private.clone()]
    );
    s.post(
        &format!("/api/v1/accounts/{}/unfollow", c.author.id),
        Some(&c.follower.token),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(
        ids(&s
            .get("/api/v1/favourites", Some(&c.follower.token))
            .await
            .ok()),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&s
            .get("/api/v1/bookmarks", Some(&c.follower.token))
            .await
            .ok()),
        Vec::<String>::new()
    );
    assert!(!s.home_ids(&c.follower).await.contains(&private));
    s.get(
        &format!("/api/v1/statuses/{private}"),
        Some(&c.follower.token),
    )
    .await
    .error(404);
}

#[tokio::test]
async fn direct_message_reaches_the_mentioned_not_the_followers() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    let dm = id_of(
        &s.post_status(
            &c.author,
            json!({"status": "@mentioned just for you", "visibility": "direct"}),
        )
        .await,
    );
    assert!(s.home_ids(&c.mentioned).await.contains(&dm));
    assert!(s.home_ids(&c.author).await.contains(&dm));
    assert!(!s.home_ids(&c.follower).await.contains(&dm));
    assert!(!s.home_ids(&c.stranger).await.contains(&dm));
    s.get(&format!("/api/v1/statuses/{dm}"), Some(&c.follower.token))
        .await
        .error(404);
    // The follower is not told about it either.
    let notes = s
        .get("/api/v1/notifications", Some(&c.follower.token))
        .await
        .ok();
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["status"]["id"] == dm.as_str()),
        "{notes}"
    );
    // A reply from the mentioned user stays direct and reaches the author.
    let reply = s
        .post_status(
            &c.mentioned,
            json!({"status": "@author thanks", "in_reply_to_id": dm}),
        )
        .await;
    assert_eq!(reply["visibility"], "direct");
    assert!(s.home_ids(&c.author).await.contains(&id_of(&reply)));
    assert!(!s.home_ids(&c.follower).await.contains(&id_of(&reply)));
}

#[tokio::test]
async fn deleted_posts_vanish_everywhere() {
    let s = TestServer::start().await;
    let c = cast(&s).await;
    // The follower follows both, so the reply to the stranger reaches their home.
    s.follow(&c.follower, &c.stranger).await;
    let root = id_of(&s.post_status(&c.stranger, json!({"status": "root"})).await);
    let doomed = s
        .post_status(
            &c.author,
            json!({"status": "@mentioned soon gone #vanish", "in_reply_to_id": root}),
        )
        .await;
    let id = id_of(&doomed);
    let keep = id_of(
        &s.post_status(&c.author, json!({"status": "I stay #vanish"}))
            .await,
    );
    let rb = s
        .post(
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&c.follower.token),
            json!({}),
        )
        .await
        .ok();
    let rb_id = id_of(&rb);
    for who in [&c.follower, &c.mentioned] {
        s.post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&who.token),
            json!({}),
        )
        .await
        .ok();
        s.post(
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&who.token),
            json!({}),
        )
        .await
        .ok();
    }
    let quote = id_of(
        &s.post_status(
            &c.stranger,
            json!({"status": "quoting", "quoted_status_id": id}),
        )
        .await,
    );
    assert!(s.home_ids(&c.follower).await.contains(&id));
    assert_eq!(
        s.get(&format!("/api/v1/statuses/{root}"), None).await.ok()["replies_count"],
        1
    );

    s.delete(&format!("/api/v1/statuses/{id}"), Some(&c.author.token))
        .await
        .ok();

    let gone = |list: Vec<String>, what: &str| {
        assert!(
            !list.contains(&id),
            "{what} still has the deleted status: {list:?}"
        );
        assert!(
            !list.contains(&rb_id),
            "{what} still has its reblog: {list:?}"
        );
    };
    for u in [&c.author, &c.follower, &c.mentioned, &c.stranger] {
        gone(s.home_ids(u).await, "home");
        gone(
            ids(&s.get("/api/v1/favourites", Some(&u.token)).await.ok()),
            "favourites",
        );
        gone(
            ids(&s.get("/api/v1/bookmarks", Some(&u.token)).await.ok()),
            "bookmarks",
        );
        gone(
            s.account_status_ids(&c.author, Some(u)).await,
            "author's statuses",
        );
        gone(
            s.account_status_ids(&c.follower, Some(u)).await,
            "reblogger's statuses",
        );
        gone(s.public_ids(Some(u)).await, "public");
        let notes = s.get("/api/v1/notifications", Some(&u.token)).await.ok();
        for n in notes.as_array().unwrap() {
            assert_ne!(
                n["status"]["id"],
                id.as_str(),
                "notification about a deleted status: {n}"
            );
        }
    }
    gone(
        ids(&s.get("/api/v1/timelines/tag/vanish", None).await.ok()),
        "tag",
    );
    assert_eq!(
        ids(&s.get("/api/v1/timelines/tag/vanish", None).await.ok()),
        vec![keep]
    );
    gone(
        ids(&s
            .get(&format!("/api/v1/statuses/{root}/context"), None)
            .await
            .ok()["descendants"]),
        "context",
    );
    assert_eq!(
        s.get(&format!("/api/v1/statuses/{root}"), None).await.ok()["replies_count"],
        0
    );
    s.get(
        &format!("/api/v1/statuses/{rb_id}"),
        Some(&c.follower.token),
    )
    .await
    .error(404);
    let q = s.get(&format!("/api/v1/statuses/{quote}"), None).await.ok();
    assert_eq!(q["quote"]["state"], "deleted");
    // The reblogger's count went down with the reblog.
    let f = s
        .get(&format!("/api/v1/accounts/{}", c.follower.id), None)
        .await
        .ok();
    assert_eq!(f["statuses_count"], 0, "{f}");
}

#[tokio::test]
async fn a_pending_follow_request_grants_nothing() {
    let s = TestServer::start().await;
    let author = s.register("author").await;
    let asker = s.register("asker").await;
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&author.token),
        json!({"locked": true}),
    )
    .await
    .ok();
    let private = id_of(
        &s.post_status(
            &author,
            json!({"status": "locked away", "visibility": "private"}),
        )
        .await,
    );
    let rel = s.follow(&asker, &author).await;
    assert_eq!(rel["requested"], true, "{rel}");
    assert_eq!(rel["following"], false, "{rel}");

    s.get(&format!("/api/v1/statuses/{private}"), Some(&asker.token))
        .await
        .error(404);
    assert!(!s.home_ids(&asker).await.contains(&private));
    assert!(!s
        .account_status_ids(&author, Some(&asker))
        .await
        .contains(&private));
    let later = id_of(
        &s.post_status(
            &author,
            json!({"status": "still locked", "visibility": "private"}),
        )
        .await,
    );
    assert!(
        !s.home_ids(&asker).await.contains(&later),
        "fan-out to a pending follower"
    );

    s.post(
        &format!("/api/v1/follow_requests/{}/authorize", asker.id),
        Some(&author.token),
        json!({}),
    )
    .await
    .ok();
    s.get(&format!("/api/v1/statuses/{private}"), Some(&asker.token))
        .await
        .ok();
    let home = s.home_ids(&asker).await;
    assert!(
        home.contains(&private) && home.contains(&later),
        "backfilled on acceptance: {home:?}"
    );
}

#[tokio::test]
async fn hidden_reblogs_stay_out_of_home() {
    let s = TestServer::start().await;
    let author = s.register("author").await;
    let sharer = s.register("sharer").await;
    let reader = s.register("reader").await;
    s.post(
        &format!("/api/v1/accounts/{}/follow", sharer.id),
        Some(&reader.token),
        json!({"reblogs": false}),
    )
    .await
    .ok();
    let orig = id_of(&s.post_status(&author, json!({"status": "original"})).await);
    let rb = id_of(
        &s.post(
            &format!("/api/v1/statuses/{orig}/reblog"),
            Some(&sharer.token),
            json!({}),
        )
        .await
        .ok(),
    );
    let own = id_of(
        &s.post_status(&sharer, json!({"status": "sharer's own"}))
            .await,
    );
    let home = s.home_ids(&reader).await;
    assert!(home.contains(&own));
    assert!(
        !home.contains(&rb),
        "reblog shown despite reblogs=false: {home:?}"
    );
    // The reblogged author does not get their own post back as a reblog.
    s.follow(&author, &sharer).await;
    let rb2 = id_of(
        &s.post(
            &format!("/api/v1/statuses/{orig}/reblog"),
            Some(&reader.token),
            json!({}),
        )
        .await
        .ok(),
    );
    assert!(!s.home_ids(&author).await.contains(&rb2));
}
