//! Lists, filters, conversations and followed tags over HTTP: every endpoint with its
//! errors (someone else's is 404, bad input 422, no token 401, a token without the
//! scope 403), list timelines (replies policy, exclusive lists), `filtered` in every
//! context and on the streams, conversations across regions, followed tags.

use crate::streaming::{connect, next_event, settle, subscribe};
use crate::support::*;
use serde_json::{json, Value};

async fn make_list(s: &TestServer, u: &User, body: Value) -> String {
    id_of(&s.post("/api/v1/lists", Some(&u.token), body).await.ok())
}

async fn add(s: &TestServer, u: &User, list: &str, who: &[&User]) -> Resp {
    let ids: Vec<&str> = who.iter().map(|w| w.id.as_str()).collect();
    s.post(
        &format!("/api/v1/lists/{list}/accounts"),
        Some(&u.token),
        json!({ "account_ids": ids }),
    )
    .await
}

async fn list_ids(s: &TestServer, u: &User, list: &str) -> Vec<String> {
    ids(&s
        .get(
            &format!("/api/v1/timelines/list/{list}?limit=40"),
            Some(&u.token),
        )
        .await
        .ok())
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_crud_members_and_their_errors() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;

    // Tokens and scopes.
    s.get("/api/v1/lists", None).await.error(401);
    let statuses_only = s.scoped_token(&alice, "read:statuses").await;
    s.get("/api/v1/lists", Some(&statuses_only))
        .await
        .error(403);
    let read_only = s.scoped_token(&alice, "read:lists").await;
    s.post("/api/v1/lists", Some(&read_only), json!({"title": "x"}))
        .await
        .error(403);

    // Bad input changes nothing.
    s.post("/api/v1/lists", Some(&alice.token), json!({}))
        .await
        .error(422);
    s.post("/api/v1/lists", Some(&alice.token), json!({"title": "  "}))
        .await
        .error(422);
    s.post(
        "/api/v1/lists",
        Some(&alice.token),
        json!({"title": "x", "replies_policy": "everyone"}),
    )
    .await
    .error(422);
    assert_eq!(
        s.get("/api/v1/lists", Some(&alice.token)).await.ok(),
        json!([])
    );

    let l = s
        .post(
            "/api/v1/lists",
            Some(&alice.token),
            json!({"title": "Friends", "exclusive": true}),
        )
        .await
        .ok();
    assert_eq!(l["title"], "Friends");
    assert_eq!(l["replies_policy"], "list", "Mastodon's default");
    assert_eq!(l["exclusive"], true);
    let id = id_of(&l);
    let form = s
        .post_form(
            "/api/v1/lists",
            Some(&alice.token),
            &[
                ("title", "Work"),
                ("replies_policy", "none"),
                ("exclusive", "0"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        (form["replies_policy"].as_str(), form["exclusive"].as_bool()),
        (Some("none"), Some(false))
    );
    assert_eq!(
        titles(&s.get("/api/v1/lists", Some(&alice.token)).await.ok()),
        ["Friends", "Work"]
    );
    assert_eq!(
        s.get(&format!("/api/v1/lists/{id}"), Some(&alice.token))
            .await
            .ok()["title"],
        "Friends"
    );

    let renamed = s
        .put(
            &format!("/api/v1/lists/{id}"),
            Some(&alice.token),
            json!({"title": "Close friends", "replies_policy": "followed"}),
        )
        .await
        .ok();
    assert_eq!(
        (
            renamed["title"].as_str(),
            renamed["replies_policy"].as_str()
        ),
        (Some("Close friends"), Some("followed"))
    );
    s.put(
        &format!("/api/v1/lists/{id}"),
        Some(&alice.token),
        json!({"title": ""}),
    )
    .await
    .error(422);

    // Someone else's list is not found, whatever is asked of it.
    for path in [
        format!("/api/v1/lists/{id}"),
        format!("/api/v1/lists/{id}/accounts"),
        format!("/api/v1/timelines/list/{id}"),
    ] {
        assert_eq!(
            s.get(&path, Some(&bob.token)).await.error(404),
            "Record not found"
        );
    }
    s.put(
        &format!("/api/v1/lists/{id}"),
        Some(&bob.token),
        json!({"title": "mine"}),
    )
    .await
    .error(404);
    s.delete(&format!("/api/v1/lists/{id}"), Some(&bob.token))
        .await
        .error(404);
    add(&s, &bob, &id, &[&carol]).await.error(404);
    s.get("/api/v1/lists/12345", Some(&alice.token))
        .await
        .error(404);
    s.get("/api/v1/lists/not-an-id", Some(&alice.token))
        .await
        .error(404);

    // Members: only accounts alice follows; all or none; once.
    add(&s, &alice, &id, &[&bob]).await.error(404);
    s.follow(&alice, &bob).await;
    add(&s, &alice, &id, &[&bob, &carol]).await.error(404);
    assert_eq!(
        s.get(&format!("/api/v1/lists/{id}/accounts"), Some(&alice.token))
            .await
            .ok(),
        json!([])
    );
    s.post(
        &format!("/api/v1/lists/{id}/accounts"),
        Some(&alice.token),
        json!({"account_ids": ["999999999"]}),
    )
    .await
    .error(404);
    assert_eq!(add(&s, &alice, &id, &[&bob]).await.ok(), json!({}));
    let again = add(&s, &alice, &id, &[&bob]).await.error(422);
    assert!(again.contains("already been taken"), "{again}");
    s.follow(&alice, &carol).await;
    let form = s
        .post_form(
            &format!("/api/v1/lists/{id}/accounts"),
            Some(&alice.token),
            &[("account_ids[]", carol.id.as_str())],
        )
        .await;
    form.ok();

    let first = s
        .get(
            &format!("/api/v1/lists/{id}/accounts?limit=1"),
            Some(&alice.token),
        )
        .await;
    let link = first.link();
    assert_eq!(ids(&first.ok()), [carol.id.as_str()]);
    let next = link_rel(&link, "next").expect("a next link");
    let rest = s
        .get(&next.replace(&s.base, ""), Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&rest), [bob.id.as_str()]);
    let all = s
        .get(
            &format!("/api/v1/lists/{id}/accounts?limit=0"),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ids(&all).len(), 2);

    let of_bob = s
        .get(
            &format!("/api/v1/accounts/{}/lists", bob.id),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(titles(&of_bob), ["Close friends"]);
    assert_eq!(
        s.get(
            &format!("/api/v1/accounts/{}/lists", bob.id),
            Some(&carol.token)
        )
        .await
        .ok(),
        json!([])
    );
    s.get("/api/v1/accounts/999999999/lists", Some(&alice.token))
        .await
        .error(404);

    // Removing: absent members are fine.
    let del = s
        .req(
            reqwest::Method::DELETE,
            &format!("/api/v1/lists/{id}/accounts"),
            Some(&alice.token),
            Body::Json(json!({"account_ids": [bob.id, "42"]})),
        )
        .await;
    assert_eq!(del.ok(), json!({}));
    assert_eq!(
        ids(&s
            .get(&format!("/api/v1/lists/{id}/accounts"), Some(&alice.token))
            .await
            .ok()),
        [carol.id.as_str()]
    );
    // An unfollow ends the membership.
    s.post(
        &format!("/api/v1/accounts/{}/unfollow", carol.id),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(
        s.get(&format!("/api/v1/lists/{id}/accounts"), Some(&alice.token))
            .await
            .ok(),
        json!([])
    );

    assert_eq!(
        s.delete(&format!("/api/v1/lists/{id}"), Some(&alice.token))
            .await
            .ok(),
        json!({})
    );
    s.get(&format!("/api/v1/lists/{id}"), Some(&alice.token))
        .await
        .error(404);
    assert_eq!(
        titles(&s.get("/api/v1/lists", Some(&alice.token)).await.ok()),
        ["Work"]
    );
}

#[tokio::test]
async fn list_timelines_follow_the_replies_policy_and_exclusive_lists_leave_home() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let dave = s.register("dave").await;
    for t in [&bob, &carol, &dave] {
        s.follow(&alice, t).await;
    }
    let by_list = make_list(&s, &alice, json!({"title": "l", "replies_policy": "list"})).await;
    let by_followed = make_list(
        &s,
        &alice,
        json!({"title": "f", "replies_policy": "followed"}),
    )
    .await;
    let by_none = make_list(&s, &alice, json!({"title": "n", "replies_policy": "none"})).await;
    for l in [&by_list, &by_followed, &by_none] {
        add(&s, &alice, l, &[&bob, &carol]).await.ok();
    }
    let post = |u: &User, body: Value| {
        let s = &s;
        let u = u.clone();
        async move { id_of(&s.post_status(&u, body).await) }
    };
    let plain = post(&bob, json!({"status": "hello"})).await;
    let by_carol = post(&carol, json!({"status": "carol here"})).await;
    let by_dave = post(&dave, json!({"status": "dave here"})).await;
    let to_member = post(
        &bob,
        json!({"status": "@carol yes", "in_reply_to_id": by_carol}),
    )
    .await;
    let to_followed = post(
        &bob,
        json!({"status": "@dave yes", "in_reply_to_id": by_dave}),
    )
    .await;
    let direct = post(
        &bob,
        json!({"status": "@alice psst", "visibility": "direct"}),
    )
    .await;

    let got = list_ids(&s, &alice, &by_list).await;
    assert!(got.contains(&plain) && got.contains(&by_carol) && got.contains(&to_member));
    assert!(!got.contains(&to_followed) && !got.contains(&by_dave) && !got.contains(&direct));
    let got = list_ids(&s, &alice, &by_followed).await;
    assert!(got.contains(&to_member) && got.contains(&to_followed));
    let got = list_ids(&s, &alice, &by_none).await;
    assert!(got.contains(&plain) && !got.contains(&to_member) && !got.contains(&to_followed));

    // Paged with a Link header.
    let first = s
        .get(
            &format!("/api/v1/timelines/list/{by_list}?limit=1"),
            Some(&alice.token),
        )
        .await;
    let next = link_rel(&first.link(), "next").expect("next link");
    let first = ids(&first.ok());
    let second = ids(&s
        .get(&next.replace(&s.base, ""), Some(&alice.token))
        .await
        .ok());
    assert_eq!(first.len(), 1);
    assert!(second[0] < first[0]);

    // Exclusive: bob's posts leave alice's home (the old ones too), stay in the list.
    assert!(s.home_ids(&alice).await.contains(&plain));
    s.put(
        &format!("/api/v1/lists/{by_none}"),
        Some(&alice.token),
        json!({"exclusive": true}),
    )
    .await
    .ok();
    let later = post(&bob, json!({"status": "later"})).await;
    let home = s.home_ids(&alice).await;
    assert!(!home.contains(&plain) && !home.contains(&later), "{home:?}");
    assert!(home.contains(&by_dave));
    assert!(list_ids(&s, &alice, &by_none).await.contains(&later));
    // The direct message still reaches her home (it is addressed to her).
    assert!(home.contains(&direct));
    s.put(
        &format!("/api/v1/lists/{by_none}"),
        Some(&alice.token),
        json!({"exclusive": false}),
    )
    .await
    .ok();
    assert!(s.home_ids(&alice).await.contains(&later), "back home");
    // Someone else's home is untouched by alice's lists.
    s.follow(&dave, &bob).await;
    assert!(s.home_ids(&dave).await.contains(&later));
}

fn keyword_matches(status: &Value) -> Vec<String> {
    status["filtered"]
        .as_array()
        .unwrap_or_else(|| panic!("no filtered in {status}"))
        .iter()
        .flat_map(|r| r["keyword_matches"].as_array().cloned().unwrap_or_default())
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

#[tokio::test]
async fn filters_v2_and_v1_endpoints_and_their_errors() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.get("/api/v2/filters", None).await.error(401);
    let statuses_only = s.scoped_token(&alice, "read:statuses").await;
    s.get("/api/v2/filters", Some(&statuses_only))
        .await
        .error(403);
    s.get("/api/v1/filters", Some(&statuses_only))
        .await
        .error(403);

    for bad in [
        json!({"context": ["home"]}),
        json!({"title": "t"}),
        json!({"title": "t", "context": []}),
        json!({"title": "t", "context": ["everywhere"]}),
        json!({"title": "t", "context": ["home"], "filter_action": "explode"}),
        json!({"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
        json!({"title": "t", "context": ["home"], "expires_in": "soon"}),
        json!({"title": "t", "context": ["home"], "expires_in": 0}),
    ] {
        s.post("/api/v2/filters", Some(&alice.token), bad.clone())
            .await
            .error(422);
    }
    assert_eq!(
        s.get("/api/v2/filters", Some(&alice.token)).await.ok(),
        json!([])
    );

    let f = s
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "Dragons", "context": ["home", "public"], "filter_action": "hide",
                   "expires_in": 3600,
                   "keywords_attributes": [{"keyword": "dragon", "whole_word": true}, {"keyword": "wyrm", "whole_word": false}]}),
        )
        .await
        .ok();
    let fid = id_of(&f);
    assert_eq!(f["title"], "Dragons");
    assert_eq!(f["context"], json!(["home", "public"]));
    assert_eq!(f["filter_action"], "hide");
    assert!(f["expires_at"].is_string());
    assert_eq!(f["keywords"].as_array().unwrap().len(), 2);
    assert_eq!(f["statuses"], json!([]));
    let k1 = f["keywords"][0]["id"].as_str().unwrap().to_string();
    let k2 = f["keywords"][1]["id"].as_str().unwrap().to_string();

    // Edit with `_destroy`, a new keyword and an edited one, in one call.
    let f2 = s
        .put(
            &format!("/api/v2/filters/{fid}"),
            Some(&alice.token),
            json!({"title": "Beasts", "filter_action": "warn", "expires_in": "",
                   "keywords_attributes": [{"id": k1, "_destroy": true}, {"id": k2, "keyword": "wyvern"}, {"keyword": "drake"}]}),
        )
        .await
        .ok();
    assert_eq!(f2["title"], "Beasts");
    assert_eq!(f2["filter_action"], "warn");
    assert_eq!(f2["expires_at"], Value::Null);
    let words: Vec<&str> = f2["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["wyvern", "drake"]);
    s.put(
        &format!("/api/v2/filters/{fid}"),
        Some(&alice.token),
        json!({"keywords_attributes": [{"id": "12345", "keyword": "x"}]}),
    )
    .await
    .error(404);
    s.put(
        &format!("/api/v2/filters/{fid}"),
        Some(&alice.token),
        json!({"context": ["nowhere"]}),
    )
    .await
    .error(422);
    assert_eq!(
        s.get(&format!("/api/v2/filters/{fid}"), Some(&alice.token))
            .await
            .ok()["title"],
        "Beasts"
    );

    // Keywords one by one.
    let k = s
        .post(
            &format!("/api/v2/filters/{fid}/keywords"),
            Some(&alice.token),
            json!({"keyword": "手机", "whole_word": false}),
        )
        .await
        .ok();
    let kid = id_of(&k);
    assert_eq!(k["keyword"], "手机");
    s.post(
        &format!("/api/v2/filters/{fid}/keywords"),
        Some(&alice.token),
        json!({"keyword": ""}),
    )
    .await
    .error(422);
    assert_eq!(
        s.get(
            &format!("/api/v2/filters/{fid}/keywords"),
            Some(&alice.token)
        )
        .await
        .ok()
        .as_array()
        .unwrap()
        .len(),
        3
    );
    assert_eq!(
        s.get(
            &format!("/api/v2/filter_keywords/{kid}"),
            Some(&alice.token)
        )
        .await
        .ok()["keyword"],
        "手机"
    );
    let k = s
        .put(
            &format!("/api/v2/filter_keywords/{kid}"),
            Some(&alice.token),
            json!({"whole_word": true}),
        )
        .await
        .ok();
    assert_eq!(k["whole_word"], true);

    // Statuses.
    let post = id_of(
        &s.post_status(&bob, json!({"status": "nothing special"}))
            .await,
    );
    let private = id_of(
        &s.post_status(&bob, json!({"status": "secret", "visibility": "private"}))
            .await,
    );
    let fs = s
        .post(
            &format!("/api/v2/filters/{fid}/statuses"),
            Some(&alice.token),
            json!({"status_id": post}),
        )
        .await
        .ok();
    assert_eq!(fs["status_id"], post.as_str());
    let fsid = id_of(&fs);
    s.post(
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&alice.token),
        json!({"status_id": post}),
    )
    .await
    .error(422);
    s.post(
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&alice.token),
        json!({"status_id": private}),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(422);
    assert_eq!(
        ids(&s
            .get(
                &format!("/api/v2/filters/{fid}/statuses"),
                Some(&alice.token)
            )
            .await
            .ok()),
        [fsid.as_str()]
    );
    assert_eq!(
        s.get(
            &format!("/api/v2/filter_statuses/{fsid}"),
            Some(&alice.token)
        )
        .await
        .ok()["status_id"],
        post.as_str()
    );

    // Someone else's filter, keyword and status entry are not found.
    for path in [
        format!("/api/v2/filters/{fid}"),
        format!("/api/v2/filters/{fid}/keywords"),
        format!("/api/v2/filters/{fid}/statuses"),
        format!("/api/v2/filter_keywords/{kid}"),
        format!("/api/v2/filter_statuses/{fsid}"),
        format!("/api/v1/filters/{kid}"),
    ] {
        s.get(&path, Some(&bob.token)).await.error(404);
        if !path.ends_with("/keywords") && !path.ends_with("/statuses") {
            s.delete(&path, Some(&bob.token)).await.error(404);
        }
    }
    s.put(
        &format!("/api/v2/filters/{fid}"),
        Some(&bob.token),
        json!({"title": "x"}),
    )
    .await
    .error(404);
    s.put(
        &format!("/api/v2/filter_keywords/{kid}"),
        Some(&bob.token),
        json!({"keyword": "x"}),
    )
    .await
    .error(404);
    s.post(
        &format!("/api/v2/filters/{fid}/keywords"),
        Some(&bob.token),
        json!({"keyword": "x"}),
    )
    .await
    .error(404);
    assert_eq!(
        s.get("/api/v2/filters", Some(&bob.token)).await.ok(),
        json!([])
    );

    // The v1 view: one entry per keyword.
    let v1 = s.get("/api/v1/filters", Some(&alice.token)).await.ok();
    let phrases: Vec<&str> = v1
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["phrase"].as_str().unwrap())
        .collect();
    assert_eq!(phrases, ["wyvern", "drake", "手机"]);
    assert_eq!(v1[0]["irreversible"], false);
    let made = s
        .post_form(
            "/api/v1/filters",
            Some(&alice.token),
            &[
                ("phrase", "spoiler"),
                ("context[]", "home"),
                ("context[]", "thread"),
                ("irreversible", "true"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        (
            made["phrase"].as_str(),
            made["irreversible"].as_bool(),
            made["whole_word"].as_bool()
        ),
        (Some("spoiler"), Some(true), Some(false))
    );
    assert_eq!(made["context"], json!(["home", "thread"]));
    let v1id = id_of(&made);
    s.post(
        "/api/v1/filters",
        Some(&alice.token),
        json!({"phrase": "", "context": ["home"]}),
    )
    .await
    .error(422);
    s.post(
        "/api/v1/filters",
        Some(&alice.token),
        json!({"phrase": "x"}),
    )
    .await
    .error(422);
    let edited = s
        .put(
            &format!("/api/v1/filters/{v1id}"),
            Some(&alice.token),
            json!({"phrase": "spoilers", "context": ["public"], "whole_word": true}),
        )
        .await
        .ok();
    assert_eq!(
        (edited["phrase"].as_str(), edited["whole_word"].as_bool()),
        (Some("spoilers"), Some(true))
    );
    assert_eq!(
        s.get(&format!("/api/v1/filters/{v1id}"), Some(&alice.token))
            .await
            .ok()["context"],
        json!(["public"])
    );
    assert_eq!(
        s.get("/api/v2/filters", Some(&alice.token))
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    s.delete(&format!("/api/v1/filters/{v1id}"), Some(&alice.token))
        .await
        .ok();
    s.get(&format!("/api/v1/filters/{v1id}"), Some(&alice.token))
        .await
        .error(404);
    assert_eq!(
        s.get("/api/v2/filters", Some(&alice.token))
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        1,
        "its filter went with its only keyword"
    );

    // Deleting parts and the whole.
    assert_eq!(
        s.delete(
            &format!("/api/v2/filter_statuses/{fsid}"),
            Some(&alice.token)
        )
        .await
        .ok()["id"],
        fsid.as_str()
    );
    s.delete(
        &format!("/api/v2/filter_keywords/{kid}"),
        Some(&alice.token),
    )
    .await
    .ok();
    s.get(
        &format!("/api/v2/filter_keywords/{kid}"),
        Some(&alice.token),
    )
    .await
    .error(404);
    s.delete(&format!("/api/v2/filters/{fid}"), Some(&alice.token))
        .await
        .ok();
    s.get(&format!("/api/v2/filters/{fid}"), Some(&alice.token))
        .await
        .error(404);
    assert_eq!(
        s.get("/api/v2/filters", Some(&alice.token)).await.ok(),
        json!([])
    );
}

#[tokio::test]
async fn filtered_marks_statuses_in_every_context() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;
    let l = make_list(&s, &alice, json!({"title": "bob"})).await;
    add(&s, &alice, &l, &[&bob]).await.ok();
    let f = s
        .post(
            "/api/v2/filters",
            Some(&alice.token),
            json!({"title": "No dragons", "context": ["home", "notifications", "public", "thread", "account"],
                   "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "dragon", "whole_word": true}, {"keyword": "手机", "whole_word": true}]}),
        )
        .await
        .ok();
    let root = id_of(
        &s.post_status(&bob, json!({"status": "A #Dragon! @alice look"}))
            .await,
    );
    let cjk = id_of(
        &s.post_status(&bob, json!({"status": "我的新手机很好"}))
            .await,
    );
    let word_inside = id_of(
        &s.post_status(&bob, json!({"status": "snapdragons are flowers"}))
            .await,
    );
    let reply = id_of(
        &s.post_status(
            &bob,
            json!({"status": "no beast here", "in_reply_to_id": root}),
        )
        .await,
    );
    let reblog = id_of(
        &s.post(
            &format!("/api/v1/statuses/{root}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok(),
    );

    let check = |v: &Value, id: &str, want: &[&str]| {
        let st = find(v, id);
        assert_eq!(keyword_matches(st), want, "{id} in {st}");
        if !want.is_empty() {
            let r = &st["filtered"][0];
            assert_eq!(r["filter"]["id"], f["id"]);
            assert_eq!(r["filter"]["filter_action"], "hide");
            assert!(
                r["filter"].get("keywords").is_none(),
                "omitted in a FilterResult"
            );
            assert_eq!(r["status_matches"], Value::Null);
        }
    };
    // Home, list, public, tag, account: the server marks, the client hides.
    for path in [
        "/api/v1/timelines/home?limit=40".to_string(),
        format!("/api/v1/timelines/list/{l}?limit=40"),
        "/api/v1/timelines/public?limit=40".to_string(),
        format!("/api/v1/accounts/{}/statuses?limit=40", bob.id),
    ] {
        let v = s.get(&path, Some(&alice.token)).await.ok();
        check(&v, &root, &["Dragon"]);
        check(&v, &cjk, &["手机"]);
        check(&v, &word_inside, &[]);
    }
    let tag = s
        .get("/api/v1/timelines/tag/dragon", Some(&alice.token))
        .await
        .ok();
    check(&tag, &root, &["Dragon"]);
    // A reblog carries its original's matches, outside and in.
    let home = s
        .get("/api/v1/timelines/home?limit=40", Some(&alice.token))
        .await
        .ok();
    let rb = find(&home, &reblog);
    assert_eq!(keyword_matches(rb), ["Dragon"]);
    assert_eq!(keyword_matches(&rb["reblog"]), ["Dragon"]);
    // A thread and a single status.
    let ctx = s
        .get(
            &format!("/api/v1/statuses/{reply}/context"),
            Some(&alice.token),
        )
        .await
        .ok();
    check(&ctx["ancestors"], &root, &["Dragon"]);
    let one = s
        .get(&format!("/api/v1/statuses/{root}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(keyword_matches(&one), ["Dragon"]);
    // Notifications (the mention).
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    let mention = notes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "mention")
        .expect("a mention");
    assert_eq!(keyword_matches(&mention["status"]), ["Dragon"]);
    // Only the owner's filters: carol sees nothing filtered; anonymous neither.
    let theirs = s
        .get(&format!("/api/v1/statuses/{root}"), Some(&carol.token))
        .await
        .ok();
    assert_eq!(theirs["filtered"], json!([]));
    let anon = s.get(&format!("/api/v1/statuses/{root}"), None).await.ok();
    assert_eq!(anon["filtered"], json!([]));

    // Filtering one status by ID.
    let fid = id_of(&f);
    s.post(
        &format!("/api/v2/filters/{fid}/statuses"),
        Some(&alice.token),
        json!({"status_id": word_inside}),
    )
    .await
    .ok();
    let one = s
        .get(
            &format!("/api/v1/statuses/{word_inside}"),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(one["filtered"][0]["status_matches"], json!([word_inside]));

    // An edit takes effect at once (the cache is dropped); expiry ends a filter.
    s.put(
        &format!("/api/v2/filters/{fid}"),
        Some(&alice.token),
        json!({"expires_in": 1}),
    )
    .await
    .ok();
    let one = s
        .get(&format!("/api/v1/statuses/{root}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(keyword_matches(&one), ["Dragon"]);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let one = s
        .get(&format!("/api/v1/statuses/{root}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(one["filtered"], json!([]), "expired");
}

#[tokio::test]
async fn streams_carry_filters_list_updates_and_conversations() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;
    s.follow(&carol, &bob).await;
    let l = make_list(&s, &alice, json!({"title": "bob"})).await;
    add(&s, &alice, &l, &[&bob]).await.ok();
    s.post(
        "/api/v2/filters",
        Some(&alice.token),
        json!({"title": "cats", "context": ["home"], "keywords_attributes": [{"keyword": "cat"}]}),
    )
    .await
    .ok();

    // Someone else's list cannot be streamed; a list stream needs read:lists.
    let mut mine = connect(&s, &format!("?access_token={}", alice.token)).await;
    let mut theirs = connect(&s, &format!("?access_token={}", carol.token)).await;
    subscribe(
        &mut theirs,
        json!({"type": "subscribe", "stream": "list", "list": l}),
    )
    .await;
    let err = crate::streaming::next(&mut theirs, 5).await;
    assert_eq!(err["status"], 404, "{err}");
    let no_scope = s.scoped_token(&alice, "read:statuses").await;
    let resp = s
        .http
        .get(s.url(&format!("/api/v1/streaming/list?list={l}")))
        .bearer_auth(&no_scope)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = s
        .http
        .get(s.url(&format!("/api/v1/streaming/list?list={l}")))
        .bearer_auth(&carol.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    subscribe(
        &mut mine,
        json!({"type": "subscribe", "stream": "list", "list": l}),
    )
    .await;
    subscribe(&mut mine, json!({"type": "subscribe", "stream": "user"})).await;
    subscribe(&mut mine, json!({"type": "subscribe", "stream": "direct"})).await;
    subscribe(&mut theirs, json!({"type": "subscribe", "stream": "user"})).await;
    let sse = s
        .http
        .get(s.url(&format!("/api/v1/streaming/list?list={l}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    settle(&s, 3).await;

    let post = id_of(&s.post_status(&bob, json!({"status": "my cat"})).await);
    let mut got = Vec::new();
    while got.len() < 2 {
        let f = next_event(&mut mine).await;
        if f.event == "update" {
            assert_eq!(f.payload["id"], post.as_str());
            assert_eq!(
                keyword_matches(&f.payload),
                ["cat"],
                "alice's filter on {:?}",
                f.stream
            );
            got.push(f.stream.clone());
        }
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            vec!["list".to_string(), l.clone()],
            vec!["user".to_string()]
        ]
    );
    let f = next_event(&mut theirs).await;
    assert_eq!(
        (f.event.as_str(), &f.payload["id"]),
        ("update", &json!(post))
    );
    assert_eq!(f.payload["filtered"], json!([]), "carol has no filters");
    let events = crate::streaming::sse_events(sse, 1).await;
    assert_eq!(events[0].0, "update");
    let payload: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(keyword_matches(&payload), ["cat"]);

    // A direct message: the conversation event carries the Conversation's own ID.
    let dm = id_of(
        &s.post_status(
            &bob,
            json!({"status": "@alice a cat for you", "visibility": "direct"}),
        )
        .await,
    );
    let conv = loop {
        let f = next_event(&mut mine).await;
        if f.event == "conversation" {
            break f;
        }
    };
    assert_eq!(conv.stream, ["direct"]);
    assert_eq!(conv.payload["last_status"]["id"], dm.as_str());
    assert_eq!(conv.payload["unread"], true);
    assert_eq!(keyword_matches(&conv.payload["last_status"]), ["cat"]);
    let listed = s
        .get("/api/v1/conversations", Some(&alice.token))
        .await
        .ok();
    assert_eq!(listed[0]["id"], conv.payload["id"]);
    // A reply in the thread: the same Conversation (its ID is not the new status's).
    let reply = id_of(
        &s.post_status(
            &bob,
            json!({"status": "@alice and another", "visibility": "direct", "in_reply_to_id": dm}),
        )
        .await,
    );
    let again = loop {
        let f = next_event(&mut mine).await;
        if f.event == "conversation" {
            break f;
        }
    };
    assert_eq!(again.payload["id"], conv.payload["id"]);
    assert_eq!(again.payload["last_status"]["id"], reply.as_str());
    assert_ne!(again.payload["id"], reply.as_str());
    let accounts: Vec<&str> = listed[0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, [bob.id.as_str()]);
}

#[tokio::test]
async fn conversations_list_read_delete_and_errors() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.get("/api/v1/conversations", None).await.error(401);
    let follows_only = s.scoped_token(&alice, "read:follows").await;
    s.get("/api/v1/conversations", Some(&follows_only))
        .await
        .error(403);

    let first = id_of(
        &s.post_status(&bob, json!({"status": "@alice hi", "visibility": "direct"}))
            .await,
    );
    let other = id_of(
        &s.post_status(
            &carol,
            json!({"status": "@alice hey", "visibility": "direct"}),
        )
        .await,
    );
    s.post_status(&bob, json!({"status": "public, not a conversation"}))
        .await;
    let list = s
        .get("/api/v1/conversations", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&list), [other.clone(), first.clone()]);
    assert_eq!(list[0]["unread"], true);
    let bobs = s.get("/api/v1/conversations", Some(&bob.token)).await.ok();
    assert_eq!(bobs[0]["unread"], false, "the author's own copy is read");

    // A reply keeps the conversation's ID, moves it up, and is unread again.
    let answer = id_of(
        &s.post_status(
            &alice,
            json!({"status": "@bob hello", "visibility": "direct", "in_reply_to_id": first}),
        )
        .await,
    );
    let bobs = s.get("/api/v1/conversations", Some(&bob.token)).await.ok();
    assert_eq!(bobs[0]["id"], first.as_str());
    assert_eq!(bobs[0]["last_status"]["id"], answer.as_str());
    assert_eq!(bobs[0]["unread"], true);

    let page = s
        .get("/api/v1/conversations?limit=1", Some(&alice.token))
        .await;
    let next = link_rel(&page.link(), "next").expect("next");
    assert_eq!(ids(&page.ok()), [first.as_str()]);
    assert_eq!(
        ids(&s
            .get(&next.replace(&s.base, ""), Some(&alice.token))
            .await
            .ok()),
        [other.as_str()]
    );

    let read = s
        .post(
            &format!("/api/v1/conversations/{other}/read"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        (read["id"].as_str(), read["unread"].as_bool()),
        (Some(other.as_str()), Some(false))
    );
    // Someone else's conversation is not found.
    s.post(
        &format!("/api/v1/conversations/{other}/read"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .error(404);
    s.delete(&format!("/api/v1/conversations/{other}"), Some(&bob.token))
        .await
        .error(404);
    s.post(
        "/api/v1/conversations/nope/read",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    let read_only = s.scoped_token(&alice, "read").await;
    s.post(
        &format!("/api/v1/conversations/{other}/read"),
        Some(&read_only),
        json!({}),
    )
    .await
    .error(403);

    assert_eq!(
        s.delete(
            &format!("/api/v1/conversations/{other}"),
            Some(&alice.token)
        )
        .await
        .ok(),
        json!({})
    );
    assert_eq!(
        ids(&s
            .get("/api/v1/conversations", Some(&alice.token))
            .await
            .ok()),
        [first.as_str()]
    );
    assert_eq!(
        ids(&s
            .get("/api/v1/conversations", Some(&carol.token))
            .await
            .ok()),
        [other.as_str()],
        "carol's stays"
    );
}

#[tokio::test]
async fn conversations_and_followed_tags_across_regions() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let ins = r.get("in");
    let ids_ = r.get("id");
    let carol = ins.register("carol").await;
    follow_across(&r, "in", &carol, "id", &budi).await;

    // A direct message from India to Indonesia opens a conversation at both homes.
    let budi_at_in = ins.lookup(&asha, &r.handle("id", "budi")).await;
    assert_eq!(id_of(&budi_at_in), budi.id);
    let dm = id_of(
        &ins.post_status(
            &asha,
            json!({"status": format!("@{} hello", r.handle("id", "budi")), "visibility": "direct"}),
        )
        .await,
    );
    let theirs = eventually(10, "budi's conversation", || async {
        let v = ids_
            .get("/api/v1/conversations", Some(&budi.token))
            .await
            .ok();
        (v.as_array().unwrap().len() == 1).then_some(v)
    })
    .await;
    assert_eq!(theirs[0]["last_status"]["id"], dm.as_str());
    assert_eq!(theirs[0]["unread"], true);
    assert_eq!(theirs[0]["accounts"][0]["id"], asha.id.as_str());
    let mine = ins
        .get("/api/v1/conversations", Some(&asha.token))
        .await
        .ok();
    assert_eq!(
        (
            mine[0]["unread"].as_bool(),
            mine[0]["accounts"][0]["id"].as_str()
        ),
        (Some(false), Some(budi.id.as_str()))
    );

    // Asha follows #sate; Budi's public post with it is stored in India (carol follows
    // him) and so reaches Asha's home there.
    let t = ins
        .post("/api/v1/tags/Sate/follow", Some(&asha.token), json!({}))
        .await
        .ok();
    assert_eq!(
        (t["name"].as_str(), t["following"].as_bool()),
        (Some("sate"), Some(true))
    );
    let post = id_of(
        &ids_
            .post_status(&budi, json!({"status": "best #sate in town"}))
            .await,
    );
    eventually(10, "the tagged post in asha's home", || async {
        ins.home_ids(&asha).await.contains(&post).then_some(())
    })
    .await;
}

#[tokio::test]
async fn followed_tags_endpoints_and_home_timeline() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.post("/api/v1/tags/rust/follow", None, json!({}))
        .await
        .error(401);
    let read_only = s.scoped_token(&alice, "read").await;
    s.post("/api/v1/tags/rust/follow", Some(&read_only), json!({}))
        .await
        .error(403);
    s.post(
        "/api/v1/tags/not%20a%20tag/follow",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);

    let anon = s.get("/api/v1/tags/Rust", None).await.ok();
    assert_eq!(anon["name"], "rust");
    assert!(anon.get("following").is_none());
    // Mastodon's seven days of use, newest first: nobody has used it yet.
    let days = anon["history"].as_array().expect("history").clone();
    assert_eq!(days.len(), 7);
    assert!(
        days.iter()
            .all(|d| d["uses"] == "0" && d["accounts"] == "0"),
        "{days:?}"
    );
    assert_eq!(
        s.get("/api/v1/tags/rust", Some(&alice.token)).await.ok()["following"],
        false
    );
    let t = s
        .post("/api/v1/tags/Rust/follow", Some(&alice.token), json!({}))
        .await
        .ok();
    assert_eq!(t["following"], true);
    s.post("/api/v1/tags/rust/follow", Some(&alice.token), json!({}))
        .await
        .ok();
    s.post("/api/v1/tags/猫/follow", Some(&alice.token), json!({}))
        .await
        .ok();
    assert_eq!(
        s.get("/api/v1/tags/rust", Some(&alice.token)).await.ok()["following"],
        true
    );
    assert_eq!(
        s.get("/api/v1/tags/rust", Some(&bob.token)).await.ok()["following"],
        false
    );

    let page = s
        .get("/api/v1/followed_tags?limit=1", Some(&alice.token))
        .await;
    let next = link_rel(&page.link(), "next").expect("next");
    assert_eq!(page.ok()[0]["name"], "猫");
    let rest = s
        .get(&next.replace(&s.base, ""), Some(&alice.token))
        .await
        .ok();
    assert_eq!(rest[0]["name"], "rust");
    assert_eq!(
        s.get("/api/v1/followed_tags", Some(&bob.token)).await.ok(),
        json!([])
    );

    // A stranger's public post with the tag reaches alice's home; unlisted does not.
    let tagged = id_of(&s.post_status(&bob, json!({"status": "I love #Rust"})).await);
    let quiet = id_of(
        &s.post_status(
            &bob,
            json!({"status": "#rust quietly", "visibility": "unlisted"}),
        )
        .await,
    );
    let cat = id_of(&s.post_status(&bob, json!({"status": "我的 #猫"})).await);
    let home = s.home_ids(&alice).await;
    assert!(
        home.contains(&tagged) && home.contains(&cat) && !home.contains(&quiet),
        "{home:?}"
    );
    // Today's use shows in the tag's history: one account (bob).
    let today = &s.get("/api/v1/tags/rust", None).await.ok()["history"][0];
    assert_eq!(today["accounts"], "1", "{today}");
    assert_ne!(today["uses"], "0", "{today}");

    let t = s
        .post("/api/v1/tags/rust/unfollow", Some(&alice.token), json!({}))
        .await
        .ok();
    assert_eq!(t["following"], false);
    let later = id_of(&s.post_status(&bob, json!({"status": "more #rust"})).await);
    assert!(!s.home_ids(&alice).await.contains(&later));
}

// --- the web pages ---------------------------------------------------------------------

use crate::web_pages::Browser;
use reqwest::StatusCode;

#[tokio::test]
async fn web_pages_for_lists_filters_and_messages() {
    let s = TestServer::start().await;
    let bob = s.register("bob").await;
    let mut alice = Browser::new(&s.base);
    alice.sign_up("alice").await;
    alice
        .get("/home")
        .await
        .has("href=\"/lists\"")
        .has("href=\"/filters\"")
        .has("href=\"/conversations\"");
    alice.get("/@bob").await;
    let p = alice.submit("/@bob/follow", &[("back", "/@bob")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // Lists: create, add a member, read its timeline, rename, remove, delete.
    alice.get("/lists").await.has("You have no lists yet.");
    let p = alice
        .submit(
            "/lists",
            &[("title", "Friends <3"), ("replies_policy", "list")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let path = p.location();
    assert!(path.starts_with("/lists/"), "{path}");
    alice
        .get(&path)
        .await
        .has("Friends &#60;3")
        .has("No members yet.");
    let p = alice
        .submit(&format!("{path}/add"), &[("account", "nobody")])
        .await;
    assert_eq!(p.location(), path);
    alice.get(&path).await.has("No such account.");
    alice
        .submit(&format!("{path}/add"), &[("account", "@bob")])
        .await;
    alice
        .get(&path)
        .await
        .has("Added to the list.")
        .has(">bob<");
    s.post_status(&bob, json!({"status": "hello from the list"}))
        .await;
    alice.get(&path).await.has("hello from the list");
    alice
        .submit(
            &format!("{path}/rename"),
            &[
                ("title", "Pals"),
                ("replies_policy", "none"),
                ("exclusive", "1"),
            ],
        )
        .await;
    let page = alice.get(&path).await;
    page.has("List saved.").has("<h1>Pals</h1>");
    page.has("value=\"none\" selected");
    alice.get("/home").await.lacks("hello from the list");
    alice
        .submit(&format!("{path}/remove"), &[("account", &bob.id)])
        .await;
    alice
        .get(&path)
        .await
        .has("No members yet.")
        .lacks("hello from the list");
    alice.get("/home").await.has("hello from the list");

    // Someone else's list is not found; a form without the CSRF token changes nothing.
    let mut carol = Browser::new(&s.base);
    carol.sign_up("carol").await;
    assert_eq!(carol.get(&path).await.status, StatusCode::NOT_FOUND);
    let p = carol.submit(&format!("{path}/delete"), &[]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = alice
        .submit_raw(
            &format!("{path}/delete"),
            &[("csrf", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    alice.get(&path).await.has("Pals");
    alice.get(&path).await;
    alice.submit(&format!("{path}/delete"), &[]).await;
    alice.get("/lists").await.has("List deleted.").lacks("Pals");

    // Filters: a warn filter collapses, a hide filter removes, in the home timeline.
    alice.get("/filters").await.has("You have no filters.");
    let p = alice
        .submit(
            "/filters",
            &[
                ("title", "Dragons"),
                ("keywords", "dragon\nwyrm"),
                ("whole_word", "1"),
                ("context", "home"),
                ("action", "warn"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    alice
        .get("/filters")
        .await
        .has("Filter created.")
        .has("Dragons");
    alice
        .submit(
            "/filters",
            &[
                ("title", "Spiders"),
                ("keywords", "spider"),
                ("context", "home"),
                ("action", "hide"),
            ],
        )
        .await;
    alice.get("/filters").await;
    alice
        .submit(
            "/filters",
            &[("title", ""), ("keywords", "x"), ("context", "home")],
        )
        .await;
    alice
        .get("/filters")
        .await
        .has("Title can")
        .has("t be blank");
    s.post_status(&bob, json!({"status": "here be a dragon"}))
        .await;
    s.post_status(&bob, json!({"status": "a spider on the wall"}))
        .await;
    s.post_status(&bob, json!({"status": "snapdragons"})).await;
    let home = alice.get("/home").await;
    home.has("Filtered: Dragons")
        .has("here be a dragon")
        .has("snapdragons")
        .lacks("a spider on the wall");
    // Only the contexts chosen: the profile page shows both, unfiltered.
    alice
        .get("/@bob")
        .await
        .has("a spider on the wall")
        .lacks("Filtered: Dragons");
    let filters = alice.get("/filters").await;
    let i = filters.body.find("/filters/").unwrap();
    let fpath: String = filters.body[i..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    alice.get(&fpath).await.has("Dragons").has("dragon\nwyrm");
    alice
        .submit(
            &format!("{fpath}/save"),
            &[
                ("title", "Dragons"),
                ("keywords", "wyrm"),
                ("context", "home"),
                ("action", "warn"),
            ],
        )
        .await;
    alice.get(&fpath).await.has("Filter saved.");
    alice.get("/home").await.lacks("Filtered: Dragons");
    assert_eq!(carol.get(&fpath).await.status, StatusCode::NOT_FOUND);
    alice.get(&fpath).await;
    alice.submit(&format!("{fpath}/delete"), &[]).await;
    alice
        .get("/filters")
        .await
        .has("Filter deleted.")
        .lacks("Dragons");

    // A hide filter for notifications: the mention leaves the notifications page only.
    alice.get("/filters").await;
    alice
        .submit(
            "/filters",
            &[
                ("title", "Moths"),
                ("keywords", "moth"),
                ("context", "notifications"),
                ("action", "hide"),
            ],
        )
        .await;
    s.post_status(&bob, json!({"status": "@alice a moth, and a wyrm"}))
        .await;
    alice
        .get("/notifications")
        .await
        .lacks("a moth, and a wyrm");
    alice.get("/home").await.has("a moth, and a wyrm");

    // Direct messages.
    alice
        .get("/conversations")
        .await
        .has("No direct messages yet.");
    s.post_status(
        &bob,
        json!({"status": "@alice just for you", "visibility": "direct"}),
    )
    .await;
    let page = alice.get("/conversations").await;
    page.has("just for you").has("<strong>unread</strong>");
    let i = page.body.find("/conversations/").unwrap();
    let read: String = page.body[i..].chars().take_while(|c| *c != '"').collect();
    alice.submit(&read, &[]).await;
    alice
        .get("/conversations")
        .await
        .has("Marked as read.")
        .lacks("<strong>unread</strong>");
    carol.get("/conversations").await.lacks("just for you");
}

#[tokio::test]
async fn a_list_shows_members_whose_posts_come_in_transit() {
    use roost_residency::{Action, DataClass};
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let l = make_list(ins, &asha, json!({"title": "abroad"})).await;
    add(ins, &asha, &l, &[&budi]).await.ok();
    let post = id_of(
        &ids_
            .post_status(&budi, json!({"status": "live from Jakarta"}))
            .await,
    );
    let got = ins
        .get(&format!("/api/v1/timelines/list/{l}"), Some(&asha.token))
        .await
        .ok();
    let found = find(&got, &post);
    assert_eq!(found["content"], "<p>live from Jakarta</p>");
    assert!(ins.home_ids(&asha).await.contains(&post));
    // Exclusive: the live post leaves home too.
    ins.put(
        &format!("/api/v1/lists/{l}"),
        Some(&asha.token),
        json!({"exclusive": true}),
    )
    .await
    .ok();
    assert!(!ins.home_ids(&asha).await.contains(&post));
    assert!(list_ids(ins, &asha, &l).await.contains(&post));
}
