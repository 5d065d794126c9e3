//! A user moves home (issue 15): Budi lives in `id` with a profile and posts; Dewi (`id`),
//! Asha (`in`) and Chen (`cn`) follow him, and he follows Chen. He moves to `in` through
//! the API. Afterwards: his profile, posts (their times kept) and follows both ways are
//! in `in` under IDs `in` minted, and he signs in there with his password; his old post
//! and account IDs at `id` answer with where they live now; Chen and Dewi see his next
//! post from `in`; `id`'s files hold none of his markers and no row names his old ID
//! anywhere; both ledgers hold the transfer and its signed acknowledgement; the audit is
//! clean. Bad input (wrong password, unknown region, his own region) changes nothing.

use crate::erase_account::rows_naming;
use crate::erasure::{all_kept, no_marker_left};
use crate::media::{blob_names, png, upload_to};
use crate::regions::audit;
use crate::support::*;
use roost_residency::SignedTreeHead;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const MOVE: &str = "/api/roost/v1/accounts/move";

/// Every entry of a region's ledger.
pub(crate) async fn ledger(s: &TestServer) -> Vec<Value> {
    let head: SignedTreeHead =
        serde_json::from_value(s.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
    let mut out = Vec::new();
    for i in 0..head.head.tree_size {
        let e = s
            .get(&format!("/api/roost/v1/ledger/entries/{i}"), None)
            .await
            .ok();
        out.push(e["entry"].clone());
    }
    out
}

fn ids_in(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// Budi asks to move from `id` to `in` and the answer is lost on its way back (`id`
/// answers 502, as if the new home had not taken him); the account `in` made of him.
async fn move_losing_the_answer(r: &Regions, relay: &crate::relay::Relay, budi: &User) -> Value {
    relay.lose_next_answer("/ap/roost/move");
    r.get("id")
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .error(502);
    r.get("in")
        .get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .ok()
}

/// With the old home stopped: a move of `account` to `region` begun an hour ago, as a
/// stop leaves it; `new_id` when the new home's answer was recorded.
async fn begun_long_ago(
    db: &crate::backend::RawDb,
    account: &str,
    region: &str,
    new_id: Option<&str>,
) {
    use crate::backend::Val;
    let long_ago = jiff::Timestamp::now().as_millisecond() - 3_600_000;
    let id: i64 = account.parse().unwrap();
    let region = Val::T(region.to_string());
    match new_id {
        None => {
            db.exec(
                "INSERT INTO moved_accounts (account_id, region, started_at) VALUES ($1, $2, $3)",
                &[Val::I(id), region, Val::I(long_ago)],
            )
            .await
        }
        Some(n) => {
            db.exec(
                "INSERT INTO moved_accounts (account_id, region, new_id, started_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    Val::I(id),
                    region,
                    Val::I(n.parse().unwrap()),
                    Val::I(long_ago),
                ],
            )
            .await
        }
    }
    db.exec(
        "UPDATE accounts SET moving_since = $2 WHERE id = $1",
        &[Val::I(id), Val::I(long_ago)],
    )
    .await;
}

/// Waits until the old home answers the account's old ID with where it lives now.
async fn forwarded(s: &TestServer, old: &str) -> Value {
    eventually(20, "the old account forwards", || async {
        let v = s.get(&format!("/api/v1/accounts/{old}"), None).await;
        (v.status == 308).then_some(v.body)
    })
    .await
}

/// Waits until `who` follows `new_id`, as their region sees it.
async fn follows_now(s: &TestServer, who: &User, new_id: &str) {
    eventually(20, "the follow of the new account", || async {
        let f = s
            .get(&format!("/api/v1/accounts/{}/following", who.id), None)
            .await
            .ok();
        ids_in(&f).iter().any(|i| i == new_id).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_user_moves_home_with_followers_in_all_three_regions() {
    const POST: &str = "ZQX-move-post-7713";
    const REPLY: &str = "ZQX-move-reply-8821";
    const NAME: &str = "ZQX-move-name-9934";
    const NOTE: &str = "ZQX-move-note-1047";
    const ALT: &str = "ZQX-move-alt-5519";
    const FIELD: &str = "ZQX-move-field-6620";
    const LIST: &str = "ZQX-move-list-7731";
    const FILTER: &str = "ZQX-move-filter-8842";
    const KEYWORD: &str = "zqxmovekeyword9953";
    // Everything may be kept everywhere, except that `in` lets `id` show its users' posts
    // and profiles only live: once Budi lives in `in`, `id` (where Dewi still follows him)
    // may keep nothing of him, so its disk can be checked for every marker.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "in" {
            let transit = roost_residency::Action::parse("transit").unwrap();
            let to_id = [
                roost_residency::DataClass::PublicContent,
                roost_residency::DataClass::PrivateContent,
            ]
            .into_iter()
            .map(|c| (c, transit))
            .collect();
            p.to.insert("id".into(), to_id);
        }
        p
    })
    .await;
    let (ins, ids, cns) = (r.get("in"), r.get("id"), r.get("cn"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = cns.register("chen").await;
    let dewi = ids.register("dewi").await;
    ids.patch(
        "/api/v1/accounts/update_credentials",
        Some(&budi.token),
        json!({"display_name": NAME, "note": NOTE,
               "fields_attributes": [{"name": "Home", "value": FIELD}]}),
    )
    .await
    .expect(200);
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "cn", &chen, "id", &budi).await;
    follow_across(&r, "id", &budi, "cn", &chen).await;
    follow_across(&r, "in", &asha, "cn", &chen).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    ids.follow(&dewi, &budi).await;
    // An avatar and a header; a list of his holding Asha and Chen; a filter with a
    // keyword.
    for (role, (w, h)) in [("avatar", (40, 40)), ("header", (60, 20))] {
        let form = reqwest::multipart::Form::new().part(
            role,
            reqwest::multipart::Part::bytes(png(w, h)).file_name("me.png"),
        );
        ids.send(
            ids.http
                .patch(ids.url("/api/v1/accounts/update_credentials"))
                .bearer_auth(&budi.token)
                .multipart(form),
        )
        .await
        .expect(200);
    }
    let list = ids
        .post("/api/v1/lists", Some(&budi.token), json!({"title": LIST}))
        .await
        .expect(200);
    ids.post(
        &format!("/api/v1/lists/{}/accounts", list["id"].as_str().unwrap()),
        Some(&budi.token),
        json!({"account_ids": [asha.id, chen.id]}),
    )
    .await
    .expect(200);
    ids.post(
        "/api/v2/filters",
        Some(&budi.token),
        json!({"title": FILTER, "context": ["home", "public"], "filter_action": "hide",
               "keywords_attributes": [{"keyword": KEYWORD, "whole_word": false}]}),
    )
    .await
    .expect(200);
    let m = upload_to(
        ids,
        "/api/v2/media",
        &budi.token,
        png(24, 18),
        "p.png",
        &[("description", ALT)],
    )
    .await
    .expect(200);
    let mid = m["id"].as_str().unwrap().to_string();
    let post = ids
        .post_status(&budi, json!({"status": POST, "media_ids": [mid]}))
        .await;
    let pid = id_of(&post);
    // He likes his post and Chen's, bookmarks his, reblogs Chen's.
    let chens = id_of(
        &cns.post_status(&chen, json!({"status": "chen writes"}))
            .await,
    );
    for (s, u) in [(ids, &budi), (ins, &asha)] {
        eventually(10, "Chen's post in id and in", || async {
            s.home_ids(u).await.contains(&chens).then_some(())
        })
        .await;
    }
    for (status, action) in [
        (&pid, "favourite"),
        (&chens, "favourite"),
        (&pid, "bookmark"),
        (&chens, "reblog"),
    ] {
        ids.post(
            &format!("/api/v1/statuses/{status}/{action}"),
            Some(&budi.token),
            json!({}),
        )
        .await
        .expect(200);
    }
    ids.post_status(&budi, json!({"status": REPLY, "in_reply_to_id": pid}))
        .await;
    // Asha likes his post from `in`: his notification of it is to come along.
    ins.post(
        &format!("/api/v1/statuses/{pid}/favourite"),
        Some(&asha.token),
        json!({}),
    )
    .await
    .expect(200);
    eventually(10, "Asha's like in id", || async {
        let n = ids
            .get("/api/v1/notifications?types[]=favourite", Some(&budi.token))
            .await
            .ok();
        (n.as_array()?.len() == 1).then_some(())
    })
    .await;
    for (s, u) in [(ins, &asha), (cns, &chen)] {
        eventually(10, "Budi's post abroad", || async {
            s.home_ids(u).await.contains(&pid).then_some(())
        })
        .await;
    }
    all_kept(
        &r,
        "id",
        &[POST, REPLY, NAME, NOTE, ALT, FIELD, LIST, FILTER, KEYWORD],
    )
    .await;

    // Bad input changes nothing.
    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": "wrong horse battery", "region": "in"}),
        )
        .await
        .error(403);
    assert!(e.contains("password"), "{e}");
    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "xx"}),
        )
        .await
        .error(422);
    assert!(e.contains("Unknown region"), "{e}");
    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "id"}),
        )
        .await
        .error(422);
    assert!(e.contains("already lives"), "{e}");
    ids.post(MOVE, Some(&budi.token), json!({"password": PASSWORD}))
        .await
        .error(422);
    ids.post(MOVE, None, json!({"password": PASSWORD, "region": "in"}))
        .await
        .error(401);
    ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .expect(200);
    ins.get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .error(404);

    // The move.
    let moved = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["region"], "in", "{moved}");
    let new_id = moved["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, budi.id);
    let me = ins
        .get(&format!("/api/v1/accounts/{new_id}"), None)
        .await
        .ok();
    assert_eq!(me["username"], "budi");
    assert_eq!(me["display_name"], NAME);
    assert!(me["note"].as_str().unwrap().contains(NOTE), "{me}");
    assert_eq!(me["fields"][0]["name"], "Home", "{me}");
    // His pictures came too, served by `in` (not the placeholder a new account shows).
    let plain = ins
        .get(&format!("/api/v1/accounts/{}", asha.id), None)
        .await
        .ok();
    for role in ["avatar", "header"] {
        assert_ne!(me[role], plain[role], "{me}");
        let url = me[role].as_str().unwrap();
        assert!(url.starts_with(&ins.url("")), "{url}");
        let file = ins.http.get(url).send().await.unwrap();
        assert_eq!(file.status().as_u16(), 200, "{url}");
    }
    assert!(
        me["fields"][0]["value"].as_str().unwrap().contains(FIELD),
        "{me}"
    );
    assert_eq!(
        ins.get("/api/v1/accounts/lookup?acct=budi", None)
            .await
            .ok()["id"],
        new_id.as_str()
    );

    // His posts live in `in` under new IDs, at their old times, the reply still a reply.
    let statuses = ins
        .get(&format!("/api/v1/accounts/{new_id}/statuses"), None)
        .await
        .ok();
    let (reblogs, own): (Vec<&Value>, Vec<&Value>) = statuses
        .as_array()
        .unwrap()
        .iter()
        .partition(|s| !s["reblog"].is_null());
    let texts: Vec<&str> = own.iter().map(|s| s["content"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 2, "{statuses}");
    assert!(
        texts[0].contains(REPLY) && texts[1].contains(POST),
        "{texts:?}"
    );
    let new_pid = own[1]["id"].as_str().unwrap().to_string();
    assert_eq!(own[1]["created_at"], post["created_at"]);
    assert_eq!(own[0]["in_reply_to_id"], new_pid.as_str());
    // The picture came too: processed in `in`, described, served there.
    let att = &own[1]["media_attachments"][0];
    assert_eq!(att["description"], ALT, "{}", own[1]);
    let file = ins
        .http
        .get(att["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    assert!(!blob_names(&r.data_dir("in")).is_empty());
    // His reblog of Chen's post is done again from `in`.
    assert_eq!(reblogs.len(), 1, "{statuses}");
    assert_eq!(reblogs[0]["reblog"]["id"], chens.as_str());

    // He signs in at `in` with his password; no token crossed.
    let (client, secret) = ins.app().await;
    ins.post(
        "/oauth/token",
        None,
        json!({"grant_type": "password", "client_id": client, "client_secret": secret, "username": "budi", "password": PASSWORD, "scope": "read write"}),
    )
    .await
    .expect(200);
    ins.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .error(401);
    ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .error(401);

    // At his old home, the old IDs say where they live now.
    let old = ids
        .get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .expect(308);
    assert_eq!(old["moved_to"]["region"], "in", "{old}");
    assert_eq!(old["moved_to"]["id"], new_pid.as_str());
    let at_in = ins
        .get(&format!("/api/v1/statuses/{new_pid}"), None)
        .await
        .ok();
    assert_eq!(
        old["moved_to"]["url"],
        ins.url(&format!("/api/v1/statuses/{new_pid}"))
    );
    assert!(at_in["content"].as_str().unwrap().contains(POST));
    // The web page of the old post sends the reader to the new one.
    let page = ids
        .http
        .get(ids.url(&format!("/statuses/{pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 308);
    assert_eq!(
        page.headers()["location"],
        ins.url(&format!("/statuses/{new_pid}")).as_str()
    );
    let old = ids
        .get(&format!("/api/v1/accounts/{}", budi.id), None)
        .await
        .expect(308);
    assert_eq!(old["moved_to"]["id"], new_id.as_str(), "{old}");
    // The handle stays taken at the old home.
    ids.get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .error(404);

    // Follows both ways point at the new account, in every region.
    let followers = eventually(20, "three followers in in", || async {
        let f = ins
            .get(&format!("/api/v1/accounts/{new_id}/followers"), None)
            .await
            .ok();
        (ids_in(&f).len() == 3).then_some(f)
    })
    .await;
    let mut got = ids_in(&followers);
    got.sort();
    let mut want = vec![asha.id.clone(), chen.id.clone(), dewi.id.clone()];
    want.sort();
    assert_eq!(got, want);
    let mut want = vec![asha.id.clone(), chen.id.clone()];
    want.sort();
    eventually(20, "Budi follows Asha and Chen from in", || async {
        let f = ins
            .get(&format!("/api/v1/accounts/{new_id}/following"), None)
            .await
            .ok();
        let mut got = ids_in(&f);
        got.sort();
        (got == want).then_some(())
    })
    .await;

    // His next post reaches Chen and Dewi from `in`.
    let (client, secret) = ins.app().await;
    let tok = ins
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": client, "client_secret": secret, "username": "budi", "password": PASSWORD, "scope": "read write"}),
        )
        .await
        .ok();
    let budi_in = User {
        id: new_id.clone(),
        username: "budi".into(),
        token: tok["access_token"].as_str().unwrap().to_string(),
    };
    // His likes and bookmark came along (his own post under its new ID).
    let likes = ins
        .get("/api/v1/favourites", Some(&budi_in.token))
        .await
        .ok();
    let mut liked = ids_in(&likes);
    liked.sort();
    let mut want = vec![new_pid.clone(), chens.clone()];
    want.sort();
    assert_eq!(liked, want, "{likes}");
    let marks = ins
        .get("/api/v1/bookmarks", Some(&budi_in.token))
        .await
        .ok();
    assert_eq!(ids_in(&marks), vec![new_pid.clone()]);
    // The notification of Asha's like came along, about his post's new ID.
    let n = ins
        .get(
            "/api/v1/notifications?types[]=favourite",
            Some(&budi_in.token),
        )
        .await
        .ok();
    assert_eq!(n.as_array().unwrap().len(), 1, "{n}");
    assert_eq!(n[0]["account"]["id"], asha.id.as_str(), "{n}");
    assert_eq!(n[0]["status"]["id"], new_pid.as_str(), "{n}");
    // His list and his filter came along; the list holds Asha, whom he follows again at
    // once from `in`, and Chen, in `cn`, whose answer to his new follow may not have come
    // yet (a list may hold a requested follow, as Mastodon's may).
    let lists = ins.get("/api/v1/lists", Some(&budi_in.token)).await.ok();
    assert_eq!(lists[0]["title"], LIST, "{lists}");
    let members = ins
        .get(
            &format!(
                "/api/v1/lists/{}/accounts",
                lists[0]["id"].as_str().unwrap()
            ),
            Some(&budi_in.token),
        )
        .await
        .ok();
    let mut held = ids_in(&members);
    held.sort();
    let mut wanted = vec![asha.id.clone(), chen.id.clone()];
    wanted.sort();
    assert_eq!(held, wanted, "{members}");
    let filters = ins.get("/api/v2/filters", Some(&budi_in.token)).await.ok();
    assert_eq!(filters[0]["title"], FILTER, "{filters}");
    assert_eq!(filters[0]["filter_action"], "hide", "{filters}");
    assert_eq!(filters[0]["keywords"][0]["keyword"], KEYWORD, "{filters}");
    assert_eq!(filters[0]["keywords"][0]["whole_word"], false, "{filters}");

    let next = id_of(
        &ins.post_status(&budi_in, json!({"status": "from my new home"}))
            .await,
    );
    for (s, u) in [(cns, &chen), (ids, &dewi), (ins, &asha)] {
        eventually(20, "the new post in every follower's home", || async {
            s.home_ids(u).await.contains(&next).then_some(())
        })
        .await;
    }

    // No region holds a row of his old account; the old home holds nothing of his.
    for code in REGION_CODES {
        eventually(20, "no row naming the old account", || async {
            rows_naming(&r, code, &budi.id)
                .await
                .is_empty()
                .then_some(())
        })
        .await;
    }
    no_marker_left(
        &r,
        "id",
        &[POST, REPLY, NAME, NOTE, ALT, FIELD, LIST, FILTER, KEYWORD],
    )
    .await;
    assert!(blob_names(&r.data_dir("id")).is_empty(), "id's files");

    // One entry per transfer in both ledgers, and the acknowledgement in both.
    let object = format!("move:{}", budi.id);
    let ack = format!("move-ack:{}", budi.id);
    let (at_id, at_in) = (ledger(ids).await, ledger(ins).await);
    let find = |entries: &[Value], object: &str, direction: &str| -> Vec<Value> {
        entries
            .iter()
            .filter(|e| e["object"] == object && e["direction"] == direction)
            .cloned()
            .collect()
    };
    let sent = find(&at_id, &object, "sent");
    let stored = find(&at_in, &object, "stored");
    assert_eq!((sent.len(), stored.len()), (1, 1), "{at_id:?}");
    assert_eq!(sent[0]["class"], "identity");
    assert_eq!(sent[0]["counterpart"], "in");
    assert_eq!(sent[0]["decision"], "move");
    assert_eq!(sent[0]["payload_sha256"], stored[0]["payload_sha256"]);
    assert_eq!(find(&at_in, &ack, "sent").len(), 1);
    let file = format!("move-media:{mid}");
    let (sent, stored) = (find(&at_id, &file, "sent"), find(&at_in, &file, "stored"));
    assert_eq!((sent.len(), stored.len()), (1, 1));
    assert_eq!(sent[0]["payload_sha256"], stored[0]["payload_sha256"]);
    assert_eq!(find(&at_id, &ack, "stored").len(), 1);
    for role in ["avatar", "header"] {
        let picture = format!("move-picture:{}:{role}", budi.id);
        let (sent, stored) = (
            find(&at_id, &picture, "sent"),
            find(&at_in, &picture, "stored"),
        );
        assert_eq!((sent.len(), stored.len()), (1, 1), "{picture}");
        assert_eq!(sent[0]["payload_sha256"], stored[0]["payload_sha256"]);
    }

    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());
    r.stop_all().await;
}

/// A move the new home cannot take (the handle is taken there), or while another move of
/// the account runs, changes nothing: the account, its token and its posts stay at home.
#[tokio::test]
async fn a_refused_or_concurrent_move_changes_nothing() {
    const POST: &str = "ZQX-move-stays-2291";
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (_, budi) = r.asha_and_budi().await;
    let other = ins.register("budi").await;
    let pid = id_of(&ids.post_status(&budi, json!({"status": POST})).await);

    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .error(409);
    assert!(e.contains("taken"), "{e}");
    // Refused again for the same reason, not as a move still running.
    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .error(409);
    assert!(e.contains("taken"), "{e}");
    ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .expect(200);
    ids.get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .expect(200);
    let at_in = ins
        .get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .ok();
    assert_eq!(at_in["id"], other.id.as_str());

    // A move already running (as another node would have it) is refused.
    let db = crate::regions::db(&r, "id").await;
    use crate::backend::Val;
    db.exec(
        "INSERT INTO moved_accounts (account_id, region, started_at) VALUES ($1, 'cn', 0)",
        &[Val::I(budi.id.parse().unwrap())],
    )
    .await;
    let e = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "cn"}),
        )
        .await
        .error(409);
    assert!(e.contains("already running"), "{e}");
    ids.get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .expect(200);
    r.get("cn")
        .get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .error(404);
    r.stop_all().await;
}

/// `roost admin move-account` moves a user of a stopped region to a running one; the
/// region, started again, delivers the erasure notices.
#[tokio::test]
async fn roost_admin_move_account_moves_a_user() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let pid = id_of(
        &r.get("id")
            .post_status(&budi, json!({"status": "before the move"}))
            .await,
    );
    r.stop("id").await;
    let cluster_file = r.root.path().join("cluster-now.toml");
    std::fs::write(&cluster_file, r.cluster.to_toml()).unwrap();
    // On the blocking pool: the regions of this test answer from this thread's runtime.
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
            c.env_remove(k);
        }
        c.arg("admin")
            .arg("--cluster")
            .arg(&cluster_file)
            .args(["--region", "id", "--data-dir"])
            .arg(r.data_dir("id"));
        if let Some(url) = r.databases().get("id") {
            c.args(["--database-url", url]);
        }
        c.args(args);
        tokio::task::spawn_blocking(move || {
            let out = c.output().unwrap();
            (
                out.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            )
        })
    };
    let (ok, out) = run(&["move-account", "budi", "id"]).await.unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("already lives"), "{out}");
    let (ok, out) = run(&["move-account", "budi", "in"]).await.unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("moved budi to in"), "{out}");
    let ins = r.get("in");
    let me = ins
        .get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .ok();
    let statuses = ins
        .get(
            &format!("/api/v1/accounts/{}/statuses", me["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    assert!(
        statuses[0]["content"]
            .as_str()
            .unwrap()
            .contains("before the move"),
        "{statuses}"
    );
    r.restart("id").await;
    let (ids, ins) = (r.get("id"), r.get("in"));
    ids.get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .expect(308);
    // Asha (in) follows the account at its new home once `id` delivered the notice.
    eventually(20, "Asha follows the moved account", || async {
        let f = ins
            .get(
                &format!("/api/v1/accounts/{}/followers", me["id"].as_str().unwrap()),
                None,
            )
            .await
            .ok();
        (ids_in(&f) == [asha.id.clone()]).then_some(())
    })
    .await;
    r.stop_all().await;
}

/// A token for `username`'s password at `s`.
async fn sign_in(s: &TestServer, username: &str) -> String {
    let (client, secret) = s.app().await;
    let tok = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": client, "client_secret": secret, "username": username, "password": PASSWORD, "scope": "read write"}),
        )
        .await
        .ok();
    tok["access_token"].as_str().unwrap().to_string()
}

/// `in` takes Budi but its answer is lost on the way back, so `id` gives the move up and
/// he writes again at home; asked again, `in` finds the account it made: the same ID,
/// each post, like and reblog once, the post written in between brought along. Another
/// account still cannot take the handle there.
#[tokio::test]
async fn a_move_whose_answer_was_lost_is_answered_again_without_doubling() {
    const FIRST: &str = "ZQX-lost-first-3307";
    const BETWEEN: &str = "ZQX-lost-between-4418";
    const GONE: &str = "ZQX-lost-gone-5529";
    let (r, relay) = Regions::start_relayed(|_| policy_all("store"), "in").await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let ashas = post_across(&r, "in", &asha, "asha writes", "id", &budi).await;
    for action in ["favourite", "reblog"] {
        ids.post(
            &format!("/api/v1/statuses/{ashas}/{action}"),
            Some(&budi.token),
            json!({}),
        )
        .await
        .expect(200);
    }
    let first = id_of(&ids.post_status(&budi, json!({"status": FIRST})).await);
    let gone = id_of(&ids.post_status(&budi, json!({"status": GONE})).await);

    let made = move_losing_the_answer(&r, &relay, &budi).await;
    let made_id = made["id"].as_str().unwrap().to_string();
    // As far as `id` knows the move failed: he is still at home and may write, and
    // delete a post the new home already took.
    let between = id_of(&ids.post_status(&budi, json!({"status": BETWEEN})).await);
    ids.delete(&format!("/api/v1/statuses/{gone}"), Some(&budi.token))
        .await
        .ok();

    let moved = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["id"], made_id.as_str(), "{moved}");
    let db = crate::regions::db(&r, "in").await;
    assert_eq!(
        db.i64(
            "SELECT COUNT(*) FROM accounts WHERE username_key = 'budi'",
            &[]
        )
        .await,
        1
    );
    let statuses = ins
        .get(&format!("/api/v1/accounts/{made_id}/statuses"), None)
        .await
        .ok();
    let (reblogs, own): (Vec<&Value>, Vec<&Value>) = statuses
        .as_array()
        .unwrap()
        .iter()
        .partition(|s| !s["reblog"].is_null());
    let texts: Vec<&str> = own.iter().map(|s| s["content"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 2, "{statuses}");
    assert!(
        texts[0].contains(BETWEEN) && texts[1].contains(FIRST),
        "{texts:?}"
    );
    assert_eq!(reblogs.len(), 1, "{statuses}");
    let token = sign_in(ins, "budi").await;
    let likes = ins.get("/api/v1/favourites", Some(&token)).await.ok();
    assert_eq!(ids_in(&likes), vec![ashas.clone()], "{likes}");
    // Both posts forward from the old home; it holds nothing of his.
    for (old, new) in [(&first, &own[1]), (&between, &own[0])] {
        let f = ids
            .get(&format!("/api/v1/statuses/{old}"), None)
            .await
            .expect(308);
        assert_eq!(f["moved_to"]["id"], new["id"], "{f}");
    }
    eventually(20, "no row naming the old account", || async {
        rows_naming(&r, "id", &budi.id)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    no_marker_left(&r, "id", &[FIRST, BETWEEN, GONE]).await;
    // The post deleted before the second package went from the new home too.
    no_marker_left(&r, "in", &[GONE]).await;

    // Both transfers are in both ledgers; the lost answer only in the one that sent it.
    let (at_id, at_in) = (ledger(ids).await, ledger(ins).await);
    let count = |entries: &[Value], object: &str, direction: &str| {
        entries
            .iter()
            .filter(|e| e["object"] == object && e["direction"] == direction)
            .count()
    };
    let (object, ack) = (format!("move:{}", budi.id), format!("move-ack:{}", budi.id));
    assert_eq!(count(&at_id, &object, "sent"), 2);
    assert_eq!(count(&at_in, &object, "stored"), 2);
    assert_eq!(count(&at_in, &ack, "sent"), 2);
    assert_eq!(count(&at_id, &ack, "stored"), 1);

    // Another region's budi still cannot take the handle in `in`.
    let cns = r.get("cn");
    let other = cns.register("budi").await;
    let e = cns
        .post(
            MOVE,
            Some(&other.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .error(409);
    assert!(e.contains("taken"), "{e}");
    cns.get("/api/v1/accounts/verify_credentials", Some(&other.token))
        .await
        .expect(200);

    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());
    r.stop_all().await;
}

/// While the new home has not answered yet (the relay holds the package), the account is
/// marked as moving at the old home, which refuses its writes (409, Mastodon's error
/// shape) and still serves its reads; the new home gets what was written before only.
#[tokio::test]
async fn writes_during_a_move_are_refused_until_it_ends() {
    const BEFORE: &str = "ZQX-during-before-5529";
    const DURING: &str = "ZQX-during-refused-6630";
    let (r, relay) = Regions::start_relayed(|_| policy_all("store"), "in").await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (_, budi) = r.asha_and_budi().await;
    let before = id_of(&ids.post_status(&budi, json!({"status": BEFORE})).await);
    let db = crate::regions::db(&r, "id").await;
    use crate::backend::Val;
    let old_id: i64 = budi.id.parse().unwrap();
    // He is signed in on the web pages too.
    let mut browser = crate::web_pages::Browser::new(&ids.url(""));
    browser.get("/login").await;
    let p = browser
        .submit(
            "/login",
            &[("login", "budi"), ("password", PASSWORD), ("next", "/home")],
        )
        .await;
    assert_eq!(p.status.as_u16(), 303, "{}", p.body);
    browser.get("/home").await;

    let mut held = relay.hold_next("/ap/roost/move");
    let moving = ids.post(
        MOVE,
        Some(&budi.token),
        json!({"password": PASSWORD, "region": "in"}),
    );
    let during = async {
        held.arrived().await;
        assert_eq!(
            db.i64(
                "SELECT COUNT(*) FROM moved_accounts WHERE account_id = $1 AND new_id IS NULL",
                &[Val::I(old_id)],
            )
            .await,
            1,
            "the move is marked as running"
        );
        let e = ids
            .post(
                "/api/v1/statuses",
                Some(&budi.token),
                json!({"status": DURING}),
            )
            .await
            .error(409);
        assert!(e.contains("moving"), "{e}");
        ids.post(
            &format!("/api/v1/statuses/{before}/favourite"),
            Some(&budi.token),
            json!({}),
        )
        .await
        .error(409);
        ids.patch(
            "/api/v1/accounts/update_credentials",
            Some(&budi.token),
            json!({"display_name": DURING}),
        )
        .await
        .error(409);
        ids.delete(&format!("/api/v1/statuses/{before}"), Some(&budi.token))
            .await
            .error(409);
        let page = browser
            .submit(
                "/statuses",
                &[
                    ("text", DURING),
                    ("visibility", "public"),
                    ("back", "/home"),
                ],
            )
            .await;
        assert_eq!(page.status.as_u16(), 409, "{}", page.body);
        page.has("moving");
        // Reads go on.
        ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
            .await
            .expect(200);
        ids.get(&format!("/api/v1/statuses/{before}"), Some(&budi.token))
            .await
            .expect(200);
        held.release();
    };
    let (moved, ()) = tokio::join!(moving, during);
    let moved = moved.expect(200);
    let new_id = moved["id"].as_str().unwrap();
    let me = ins
        .get(&format!("/api/v1/accounts/{new_id}"), None)
        .await
        .ok();
    assert_ne!(me["display_name"], DURING, "{me}");
    let statuses = ins
        .get(&format!("/api/v1/accounts/{new_id}/statuses"), None)
        .await
        .ok();
    let texts: Vec<&str> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 1, "{statuses}");
    assert!(texts[0].contains(BEFORE), "{texts:?}");
    assert_eq!(statuses[0]["favourites_count"], 0, "{statuses}");
    // At the new home he writes again.
    let token = sign_in(ins, "budi").await;
    ins.post(
        "/api/v1/statuses",
        Some(&token),
        json!({"status": "here now"}),
    )
    .await
    .expect(200);
    r.stop_all().await;
}

/// A region stopped in the middle of moves (each begun, its account marked moving, no
/// answer recorded: what a killed process leaves) finishes them when it runs again: Budi's
/// new home takes him, his old IDs forward and Asha follows the new account. Dewi's new
/// home refuses her (her handle is taken there), so her move is abandoned and she writes
/// at home again.
#[tokio::test]
async fn moves_left_unfinished_by_a_stop_are_finished_or_abandoned_when_the_region_runs_again() {
    use crate::backend::Val;
    let mut r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let dewi = r.get("id").register("dewi").await;
    r.get("in").register("dewi").await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let post = id_of(
        &r.get("id")
            .post_status(&budi, json!({"status": "before the stop"}))
            .await,
    );
    r.stop("id").await;
    let db = crate::regions::db(&r, "id").await;
    for who in [&budi, &dewi] {
        begun_long_ago(&db, &who.id, "in", None).await;
    }
    db.close().await;
    r.restart("id").await;
    let (ins, ids) = (r.get("in"), r.get("id"));

    let made = eventually(20, "Budi's move finished in `in`", || async {
        let v = ins.get("/api/v1/accounts/lookup?acct=budi", None).await;
        // Until then `in` knows him as Asha's foreign follow.
        (v.status == 200 && v.body["roost"]["home_region"] == "in").then_some(v.body)
    })
    .await;
    let new_id = made["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, budi.id);
    // `in` answers before `id` has left him behind.
    let old = forwarded(ids, &budi.id).await;
    assert_eq!(old["moved_to"]["id"], new_id.as_str(), "{old}");
    let old_post = ids
        .get(&format!("/api/v1/statuses/{post}"), None)
        .await
        .expect(308);
    assert_eq!(old_post["moved_to"]["region"], "in", "{old_post}");
    let moved_posts = ins
        .get(&format!("/api/v1/accounts/{new_id}/statuses"), None)
        .await
        .ok();
    assert!(
        moved_posts[0]["content"]
            .as_str()
            .unwrap()
            .contains("before the stop"),
        "{moved_posts}"
    );
    follows_now(ins, &asha, &new_id).await;

    // Dewi's move was refused: she is at home, not moving, and writes again.
    eventually(20, "Dewi writes again", || async {
        let p = ids
            .post(
                "/api/v1/statuses",
                Some(&dewi.token),
                json!({"status": "still at home"}),
            )
            .await;
        (p.status == 200).then_some(())
    })
    .await;
    let home = ids
        .get("/api/v1/accounts/lookup?acct=dewi", None)
        .await
        .ok();
    assert_eq!(home["id"], dewi.id.as_str());
    let db = crate::regions::db(&r, "id").await;
    assert_eq!(
        db.i64(
            "SELECT COUNT(*) FROM moved_accounts WHERE account_id = $1",
            &[Val::I(dewi.id.parse().unwrap())],
        )
        .await,
        0
    );
    db.close().await;
    r.stop_all().await;
}

/// A move whose answer was recorded but whose old copy was not left behind yet (the
/// process stopped between the two, which a lost answer and a row written while the
/// region is down stand in for) is finished when the region runs again: Budi's old IDs
/// forward to the ones his new home answered, Asha follows the new account, and no row
/// of his old account is left in any region.
#[tokio::test]
async fn a_move_answered_before_a_stop_leaves_the_old_home_when_the_region_runs_again() {
    use crate::backend::Val;
    let (mut r, relay) = Regions::start_relayed(|_| policy_all("store"), "in").await;
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let post = id_of(
        &r.get("id")
            .post_status(&budi, json!({"status": "ZQX-answered-5521"}))
            .await,
    );
    let made = move_losing_the_answer(&r, &relay, &budi).await;
    assert_eq!(made["roost"]["home_region"], "in", "{made}");
    let new_id = made["id"].as_str().unwrap().to_string();
    let posts = r
        .get("in")
        .get(&format!("/api/v1/accounts/{new_id}/statuses"), None)
        .await
        .ok();
    let new_post = posts[0]["id"].as_str().unwrap().to_string();

    r.stop("id").await;
    let db = crate::regions::db(&r, "id").await;
    begun_long_ago(&db, &budi.id, "in", Some(&new_id)).await;
    let (old_id, old_post): (i64, i64) = (budi.id.parse().unwrap(), post.parse().unwrap());
    db.exec(
        "INSERT INTO moved_statuses (status_id, account_id, new_id) VALUES ($1, $2, $3)",
        &[
            Val::I(old_post),
            Val::I(old_id),
            Val::I(new_post.parse().unwrap()),
        ],
    )
    .await;
    db.close().await;
    r.restart("id").await;
    let (ins, ids) = (r.get("in"), r.get("id"));

    let old = forwarded(ids, &budi.id).await;
    assert_eq!(old["moved_to"]["id"], new_id.as_str(), "{old}");
    let post_forwarded = ids
        .get(&format!("/api/v1/statuses/{post}"), None)
        .await
        .expect(308);
    assert_eq!(
        post_forwarded["moved_to"]["id"],
        new_post.as_str(),
        "{post_forwarded}"
    );
    follows_now(ins, &asha, &new_id).await;
    for code in REGION_CODES {
        eventually(20, "no row naming the old account", || async {
            rows_naming(&r, code, &budi.id)
                .await
                .is_empty()
                .then_some(())
        })
        .await;
    }
    r.stop_all().await;
}

/// A repeated package finds a post the new home wrote only in part (it stopped before
/// the post's last version or its files were written; rows taken out here stand in for
/// that) and writes what is missing: the moved post has all its versions and its file.
#[tokio::test]
async fn a_repeated_move_completes_a_post_written_in_part() {
    use crate::backend::Val;
    let (r, relay) = Regions::start_relayed(|_| policy_all("store"), "in").await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let budi = ids.register("budi").await;
    let m = upload_to(
        ids,
        "/api/v2/media",
        &budi.token,
        png(20, 10),
        "p.png",
        &[("description", "a small picture")],
    )
    .await
    .expect(200);
    let pid = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "ZQX-part-one", "media_ids": [m["id"].as_str().unwrap()]}),
        )
        .await,
    );
    for text in ["ZQX-part-two", "ZQX-part-three"] {
        ids.put(
            &format!("/api/v1/statuses/{pid}"),
            Some(&budi.token),
            json!({"status": text, "media_ids": [m["id"].as_str().unwrap()]}),
        )
        .await
        .ok();
    }
    let made = move_losing_the_answer(&r, &relay, &budi).await;
    let posts = ins
        .get(
            &format!("/api/v1/accounts/{}/statuses", made["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    let new_id = posts[0]["id"].as_str().unwrap().to_string();
    let db = crate::regions::db(&r, "in").await;
    let nid: i64 = new_id.parse().unwrap();
    db.exec(
        "DELETE FROM status_edits WHERE status_id = $1 \
         AND seq = (SELECT MAX(seq) FROM status_edits WHERE status_id = $1)",
        &[Val::I(nid)],
    )
    .await;
    db.exec(
        "UPDATE media SET status_id = NULL WHERE status_id = $1",
        &[Val::I(nid)],
    )
    .await;
    db.close().await;
    let versions = |v: &Value| v.as_array().map(Vec::len).unwrap_or_default();
    let cut = ins
        .get(&format!("/api/v1/statuses/{new_id}/history"), None)
        .await
        .ok();
    assert_eq!(versions(&cut), 2, "{cut}");

    let moved = ids
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["id"], made["id"], "{moved}");
    let post = ins
        .get(&format!("/api/v1/statuses/{new_id}"), None)
        .await
        .ok();
    assert!(
        post["content"].as_str().unwrap().contains("ZQX-part-three"),
        "{post}"
    );
    let files = post["media_attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{post}");
    assert_eq!(files[0]["description"], "a small picture", "{post}");
    let history = ins
        .get(&format!("/api/v1/statuses/{new_id}/history"), None)
        .await
        .ok();
    assert_eq!(versions(&history), 3, "{history}");
    assert!(
        history[2]["content"]
            .as_str()
            .unwrap()
            .contains("ZQX-part-three"),
        "{history}"
    );
    r.stop_all().await;
}

/// Budi moves from `id` to `in` through the API; his posts there, as `viewer` sees them.
async fn moved_posts_as_seen_by(r: &Regions, budi: &User, viewer: &User) -> Value {
    let moved = r
        .get("id")
        .post(
            MOVE,
            Some(&budi.token),
            json!({"password": PASSWORD, "region": "in"}),
        )
        .await
        .expect(200);
    let new_id = moved["id"].as_str().unwrap();
    r.get("in")
        .get(
            &format!("/api/v1/accounts/{new_id}/statuses"),
            Some(&viewer.token),
        )
        .await
        .ok()
}

/// A moved post keeps whom it mentions: Budi's direct post to Asha is still hers to read
/// at his new home (a direct post is seen by those it mentions alone), and his bare
/// `@dewi` still means Dewi of his old home, not someone of that name at the new one.
#[tokio::test]
async fn moved_posts_keep_their_mentions() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let dewi = ids.register("dewi").await;
    // Another Dewi, at the new home.
    let other_dewi = ins.register("dewi").await;
    let to_asha = format!("@{} only for you", r.handle("in", "asha"));
    let direct = id_of(
        &ids.post_status(&budi, json!({"status": to_asha, "visibility": "direct"}))
            .await,
    );
    let public = id_of(
        &ids.post_status(&budi, json!({"status": "hello @dewi"}))
            .await,
    );
    let posts = moved_posts_as_seen_by(&r, &budi, &asha).await;
    let posts = posts.as_array().unwrap();
    assert_eq!(posts.len(), 2, "Asha sees both: {posts:?}");
    let (new_direct, new_public) = (&posts[1], &posts[0]);
    assert_ne!(new_direct["id"], direct.as_str());
    assert_ne!(new_public["id"], public.as_str());
    assert_eq!(new_direct["visibility"], "direct");
    assert_eq!(
        new_direct["mentions"][0]["id"],
        asha.id.as_str(),
        "{new_direct}"
    );
    let m = &new_public["mentions"][0];
    assert_eq!(m["id"], dewi.id.as_str(), "{new_public}");
    assert_ne!(m["id"], other_dewi.id.as_str());
    assert_eq!(m["acct"], r.handle("id", "dewi"), "{new_public}");
    // The other Dewi, mentioned by no one, does not see the direct post.
    ins.get(
        &format!("/api/v1/statuses/{}", new_direct["id"].as_str().unwrap()),
        Some(&other_dewi.token),
    )
    .await
    .error(404);
    r.stop_all().await;
}

/// A moved post keeps its edit history: every earlier version, at its time.
#[tokio::test]
async fn moved_posts_keep_their_edit_history() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let pid = id_of(&ids.post_status(&budi, json!({"status": "ZQX-first"})).await);
    for (text, cw) in [("ZQX-second", "careful"), ("ZQX-third", "")] {
        ids.put(
            &format!("/api/v1/statuses/{pid}"),
            Some(&budi.token),
            json!({"status": text, "spoiler_text": cw}),
        )
        .await
        .ok();
    }
    let before = ids
        .get(&format!("/api/v1/statuses/{pid}/history"), None)
        .await
        .ok();
    assert_eq!(before.as_array().unwrap().len(), 3, "{before}");
    let posts = moved_posts_as_seen_by(&r, &budi, &asha).await;
    let post = &posts[0];
    assert!(
        post["content"].as_str().unwrap().contains("ZQX-third"),
        "{post}"
    );
    assert!(!post["edited_at"].is_null(), "{post}");
    let after = ins
        .get(
            &format!("/api/v1/statuses/{}/history", post["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    let versions = after.as_array().unwrap();
    assert_eq!(versions.len(), 3, "{after}");
    for (i, (v, text)) in versions
        .iter()
        .zip(["ZQX-first", "ZQX-second", "ZQX-third"])
        .enumerate()
    {
        assert!(v["content"].as_str().unwrap().contains(text), "{after}");
        assert_eq!(v["created_at"], before[i]["created_at"], "{after}");
        assert_eq!(v["spoiler_text"], before[i]["spoiler_text"], "{after}");
    }
    r.stop_all().await;
}

/// A move left unfinished whose new home is down stays running while it is down: the
/// account's writes are still refused (we cannot know whether the new home took it),
/// and the move finishes once the new home is back.
#[tokio::test]
async fn an_unfinished_move_waits_while_its_new_home_is_down() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let budi = r.get("id").register("budi").await;
    r.stop("cn").await;
    r.stop("id").await;
    let db = crate::regions::db(&r, "id").await;
    begun_long_ago(&db, &budi.id, "cn", None).await;
    db.close().await;
    r.restart("id").await;
    // Several of the job's rounds (every 500 ms here) pass with `cn` down.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let refused = r
        .get("id")
        .post(
            "/api/v1/statuses",
            Some(&budi.token),
            json!({"status": "still moving?"}),
        )
        .await
        .error(409);
    assert!(refused.contains("mov"), "{refused}");
    r.restart("cn").await;
    let made = eventually(20, "Budi's move finished in `cn`", || async {
        let v = r
            .get("cn")
            .get("/api/v1/accounts/lookup?acct=budi", None)
            .await;
        (v.status == 200 && v.body["roost"]["home_region"] == "cn").then_some(v.body)
    })
    .await;
    let old = forwarded(r.get("id"), &budi.id).await;
    assert_eq!(old["moved_to"]["id"], made["id"], "{old}");
    r.stop_all().await;
}

/// A moved post keeps its poll (options, settings and the votes it had, as counts that
/// votes at the new home add to), and what it replies to and quotes: Budi's own posts
/// under their new IDs, Asha's post that the new home holds as it is; a reply to a post
/// the new home does not hold is moved without the link.
#[tokio::test]
async fn moved_posts_keep_their_polls_replies_and_quotes() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let (dewi, eko) = (ids.register("dewi").await, ids.register("eko").await);
    follow_across(&r, "id", &budi, "in", &asha).await;
    let hers = post_across(&r, "in", &asha, "from asha", "id", &budi).await;
    let dewis = id_of(&ids.post_status(&dewi, json!({"status": "from dewi"})).await);

    let poll = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "tea or coffee?",
                   "poll": {"options": ["tea", "coffee", "neither"], "expires_in": 3600,
                            "multiple": true, "hide_totals": false}}),
        )
        .await,
    );
    for (voter, choices) in [(&dewi, json!([1])), (&eko, json!([1, 2]))] {
        ids.post(
            &format!("/api/v1/polls/{poll}/votes"),
            Some(&voter.token),
            json!({"choices": choices}),
        )
        .await
        .ok();
    }
    let by_budi = |body: Value| {
        let budi = &budi;
        async move { id_of(&ids.post_status(budi, body).await) }
    };
    let own_reply = by_budi(json!({"status": "my own follow-up", "in_reply_to_id": poll})).await;
    let to_asha = by_budi(json!({"status": "answering asha", "in_reply_to_id": hers})).await;
    let quote_hers = by_budi(json!({"status": "quoting asha", "quoted_status_id": hers})).await;
    let quote_own = by_budi(json!({"status": "quoting myself", "quoted_status_id": poll})).await;
    let to_dewi = by_budi(json!({"status": "answering dewi", "in_reply_to_id": dewis})).await;

    let posts = moved_posts_as_seen_by(&r, &budi, &asha).await;
    let posts = posts.as_array().unwrap();
    let by_text = |t: &str| {
        posts
            .iter()
            .find(|p| p["content"].as_str().unwrap_or_default().contains(t))
            .unwrap_or_else(|| panic!("no moved post saying {t}: {posts:?}"))
            .clone()
    };
    assert_eq!(posts.len(), 6, "{posts:?}");
    let moved_poll = by_text("tea or coffee?");
    let new_poll = moved_poll["id"].as_str().unwrap().to_string();
    assert_ne!(new_poll, poll);
    let p = &moved_poll["poll"];
    let titles: Vec<&str> = p["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["tea", "coffee", "neither"], "{p}");
    let counts = |p: &Value| -> Vec<i64> {
        p["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["votes_count"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(counts(p), [0, 2, 1], "{p}");
    assert_eq!(p["votes_count"], 3, "{p}");
    assert_eq!(p["voters_count"], 2, "{p}");
    assert_eq!(p["multiple"], true, "{p}");
    assert_eq!(p["expired"], false, "{p}");
    // Asha votes at the new home: her vote adds to the carried ones.
    let after = ins
        .post(
            &format!("/api/v1/polls/{new_poll}/votes"),
            Some(&asha.token),
            json!({"choices": [0]}),
        )
        .await
        .ok();
    assert_eq!(counts(&after), [1, 2, 1], "{after}");
    assert_eq!(after["voters_count"], 3, "{after}");
    assert_eq!(after["voted"], true, "{after}");

    let reply = by_text("my own follow-up");
    assert_ne!(reply["id"], own_reply.as_str());
    assert_eq!(reply["in_reply_to_id"], new_poll.as_str(), "{reply}");
    let answer = by_text("answering asha");
    assert_ne!(answer["id"], to_asha.as_str());
    assert_eq!(answer["in_reply_to_id"], hers.as_str(), "{answer}");
    assert_eq!(
        answer["in_reply_to_account_id"],
        asha.id.as_str(),
        "{answer}"
    );
    let q = by_text("quoting asha");
    assert_ne!(q["id"], quote_hers.as_str());
    assert_eq!(q["quote"]["state"], "accepted", "{q}");
    assert_eq!(q["quote"]["quoted_status"]["id"], hers.as_str(), "{q}");
    let q = by_text("quoting myself");
    assert_ne!(q["id"], quote_own.as_str());
    assert_eq!(q["quote"]["quoted_status"]["id"], new_poll.as_str(), "{q}");
    // Dewi's post stays at the old home, which India never got: the reply comes alone.
    let lone = by_text("answering dewi");
    assert_ne!(lone["id"], to_dewi.as_str());
    assert!(lone["in_reply_to_id"].is_null(), "{lone}");
    r.stop_all().await;
}
