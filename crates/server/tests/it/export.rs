//! A user takes their data with them: the archive of `GET /api/roost/v1/accounts/export`
//! and the settings page's download, unpacked and checked against what the region
//! serves — Mastodon's layout (actor, outbox, likes, bookmarks, files) and roost's
//! `residency.json`, whose every proof and head signature must verify, and which must
//! name every entry of the home ledger about the user.

use crate::media::{png, upload_to};
use crate::support::{eventually, follow_across, ids, policy_all, Regions, TestServer, User};
use crate::web_pages::Browser;
use reqwest::StatusCode;
use roost_residency::merkle::{verify_inclusion, Hash};
use roost_residency::{LedgerEntry, SignedTreeHead};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Every file of a ZIP by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.insert(f.name().to_string(), data);
    }
    out
}

fn json_of(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    let bytes = files
        .get(name)
        .unwrap_or_else(|| panic!("{name} in {:?}", files.keys()));
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name} is JSON: {e}"))
}

async fn bytes_at(s: &TestServer, url: &str) -> Vec<u8> {
    let r = s.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.bytes().await.unwrap().to_vec()
}

async fn export(s: &TestServer, token: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = s
        .http
        .get(s.url("/api/roost/v1/accounts/export"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    (headers, r.bytes().await.unwrap().to_vec())
}

fn hash_of(hex_text: &str) -> Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

async fn set_avatar(s: &TestServer, u: &User, bytes: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "avatar",
        reqwest::multipart::Part::bytes(bytes).file_name("me.png"),
    );
    s.send(
        s.http
            .patch(s.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&u.token)
            .multipart(form),
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn the_archive_holds_the_account_and_proves_every_transfer() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = ins.register("chen").await;
    follow_across(&r, "id", &budi, "in", &asha).await;

    let me = set_avatar(ins, &asha, png(48, 48)).await;
    let avatar_url = me["avatar"].as_str().unwrap().to_string();
    let media = upload_to(
        ins,
        "/api/v2/media",
        &asha.token,
        png(64, 40),
        "p.png",
        &[("description", "a gradient")],
    )
    .await
    .expect(200);
    let pictured = ins
        .post_status(
            &asha,
            json!({"status": "a picture #colours", "media_ids": [media["id"]]}),
        )
        .await;
    let plain = ins
        .post_status(&asha, json!({"status": "hello @chen"}))
        .await;
    let private = ins
        .post_status(
            &asha,
            json!({"status": "for followers", "visibility": "private"}),
        )
        .await;
    let chens = ins.post_status(&chen, json!({"status": "chen's"})).await;
    let chens_id = chens["id"].as_str().unwrap();
    let reblog = ins
        .post(
            &format!("/api/v1/statuses/{chens_id}/reblog"),
            Some(&asha.token),
            json!({}),
        )
        .await
        .ok();
    for (what, id) in [
        ("favourite", chens_id),
        ("bookmark", plain["id"].as_str().unwrap()),
        ("bookmark", chens_id),
    ] {
        ins.post(
            &format!("/api/v1/statuses/{id}/{what}"),
            Some(&asha.token),
            json!({}),
        )
        .await
        .ok();
    }
    // The follower abroad has her posts: the ledger has recorded sending them.
    let want = [&pictured, &plain, &private].map(|s| s["id"].as_str().unwrap().to_string());
    eventually(15, "asha's posts to reach id", || async {
        let home = ids(&ids_
            .get("/api/v1/timelines/home", Some(&budi.token))
            .await
            .ok());
        want.iter().all(|w| home.contains(w)).then_some(())
    })
    .await;

    let (headers, zip_bytes) = export(ins, &asha.token).await;
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"archive-")
            && disposition.ends_with("-asha.zip\""),
        "{disposition}"
    );
    let files = unzip(&zip_bytes);
    let base = &ins.base;
    let actor_uri = format!("{base}/ap/users/{}", asha.id);
    let note_uri = |id: &str| format!("{base}/ap/statuses/{id}");

    // actor.json: the Person, its picture beside it.
    let actor = json_of(&files, "actor.json");
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["id"], actor_uri.as_str());
    assert_eq!(actor["preferredUsername"], "asha");
    assert_eq!(actor["outbox"], "outbox.json");
    assert_eq!(actor["likes"], "likes.json");
    assert_eq!(actor["bookmarks"], "bookmarks.json");
    assert_eq!(actor["icon"]["url"], "avatar.png");
    assert!(actor.get("image").is_none(), "no header: {actor}");
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("PUBLIC KEY"));
    assert_eq!(files["avatar.png"], bytes_at(ins, &avatar_url).await);

    // outbox.json: every status, newest first, as Mastodon's archive has them.
    let outbox = json_of(&files, "outbox.json");
    assert_eq!(outbox["@context"], "https://www.w3.org/ns/activitystreams");
    assert_eq!(outbox["id"], "outbox.json");
    assert_eq!(outbox["type"], "OrderedCollection");
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(outbox["totalItems"], items.len());
    let order: Vec<&str> = items
        .iter()
        .map(|i| {
            assert!(i.get("@context").is_none(), "{i}");
            assert_eq!(i["actor"], actor_uri.as_str());
            i["id"].as_str().unwrap()
        })
        .collect();
    let activity = |s: &Value| format!("{}/activity", note_uri(s["id"].as_str().unwrap()));
    assert_eq!(
        order,
        [&reblog, &private, &plain, &pictured].map(activity),
        "every status, newest first"
    );
    let announce = &items[0];
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["object"], note_uri(chens_id).as_str());
    for (item, status) in items[1..].iter().zip([&private, &plain, &pictured]) {
        assert_eq!(item["type"], "Create");
        let note = &item["object"];
        assert_eq!(note["type"], "Note");
        assert_eq!(
            note["id"],
            note_uri(status["id"].as_str().unwrap()).as_str()
        );
        assert_eq!(note["attributedTo"], actor_uri.as_str());
        assert_eq!(note["content"], status["content"]);
        assert_eq!(note["published"], item["published"]);
        assert_eq!(note["url"], status["url"]);
    }
    let public = "https://www.w3.org/ns/activitystreams#Public";
    assert_eq!(items[3]["object"]["to"], json!([public]));
    assert_eq!(
        items[1]["object"]["to"],
        json!([format!("{actor_uri}/followers")])
    );
    assert!(items[2]["object"]["tag"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["type"] == "Mention" && t["name"] == "@chen"));
    // The picture: in the archive where the note says, the bytes the region serves.
    let attachment = &items[3]["object"]["attachment"][0];
    assert_eq!(attachment["type"], "Document");
    assert_eq!(attachment["mediaType"], "image/png");
    assert_eq!(attachment["name"], "a gradient");
    let path = attachment["url"].as_str().unwrap();
    assert!(
        path.starts_with("media_attachments/files/") && path.contains("/original/"),
        "{path}"
    );
    let served = pictured["media_attachments"][0]["url"].as_str().unwrap();
    assert_eq!(files[path], bytes_at(ins, served).await);
    let media_files: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("media_attachments/"))
        .collect();
    assert_eq!(media_files, [path], "one file per attachment");

    // likes.json and bookmarks.json: the statuses' URIs, newest first.
    let likes = json_of(&files, "likes.json");
    assert_eq!(likes["type"], "OrderedCollection");
    assert_eq!(likes["orderedItems"], json!([note_uri(chens_id)]));
    assert_eq!(likes["totalItems"], 1);
    let bookmarks = json_of(&files, "bookmarks.json");
    assert_eq!(
        bookmarks["orderedItems"],
        json!([note_uri(chens_id), note_uri(plain["id"].as_str().unwrap())])
    );
    assert_eq!(bookmarks["totalItems"], 2);

    // residency.json: the report residency/me gives, and the home ledger's proofs.
    let residency = json_of(&files, "residency.json");
    let live = ins
        .get("/api/roost/v1/residency/me", Some(&asha.token))
        .await
        .ok();
    assert_eq!(residency["account_id"], asha.id.as_str());
    assert_eq!(residency["home_region"], "in");
    let regions_of = |v: &Value| -> Vec<String> {
        v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert!(r.get("error").is_none(), "every region answered: {r}");
                r["region"].as_str().unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(regions_of(&residency), regions_of(&live));
    assert_eq!(regions_of(&residency), ["in", "cn", "id"]);
    let abroad = &residency["regions"][2];
    assert!(
        abroad["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["object"] == format!("status:{}", want[0])),
        "id reports holding the picture post: {abroad}"
    );

    let ledger = &residency["ledger"];
    assert_eq!(ledger["region"], "in");
    let head: SignedTreeHead = serde_json::from_value(ledger["head"].clone()).unwrap();
    head.verify(&r.cluster.region("in").unwrap().public_keys)
        .expect("the head is signed by the region's key");
    let size = head.head.tree_size;
    assert_eq!(ledger["tree_size"], size);
    let mut proven = BTreeSet::new();
    for e in ledger["entries"].as_array().unwrap() {
        let index = e["index"].as_u64().unwrap();
        let entry: LedgerEntry = serde_json::from_value(e["entry"].clone()).unwrap();
        assert_eq!(entry.subject.as_deref(), Some(asha.id.as_str()));
        let proof: Vec<Hash> = e["inclusion_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash_of(h.as_str().unwrap()))
            .collect();
        verify_inclusion(
            &entry.leaf_hash(),
            index,
            size,
            &proof,
            &head.head.root_hash,
        )
        .unwrap_or_else(|err| panic!("entry {index} is in the signed tree: {err}"));
        // A changed entry does not verify.
        let mut forged = entry.clone();
        forged.counterpart = "cn".into();
        if forged != entry {
            assert!(verify_inclusion(
                &forged.leaf_hash(),
                index,
                size,
                &proof,
                &head.head.root_hash
            )
            .is_err());
        }
        proven.insert(index);
    }
    // Every entry of the ledger (up to the head) that names her is there, and only those.
    let mut about_her = BTreeSet::new();
    let mut sent_posts = BTreeSet::new();
    for index in 0..size {
        let e = ins
            .get(&format!("/api/roost/v1/ledger/entries/{index}"), None)
            .await
            .ok();
        if e["entry"]["subject"] == asha.id.as_str() {
            about_her.insert(index);
            if e["entry"]["direction"] == "sent" && e["entry"]["counterpart"] == "id" {
                sent_posts.insert(e["entry"]["object"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(proven, about_her, "every entry about her, each once");
    for w in &want {
        assert!(
            sent_posts.contains(&format!("status:{w}")),
            "the ledger names the post {w} sent to id: {sent_posts:?}"
        );
    }

    // The settings page offers the same archive to the signed-in session.
    let mut web = Browser::new(&ins.base);
    let (status, headers, _) = web.get_bytes("/settings/export").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "signed out: to the sign-in page"
    );
    assert!(headers["location"].to_str().unwrap().starts_with("/login"));
    web.get("/login").await;
    let p = web
        .submit(
            "/login",
            &[("login", "asha"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    web.get("/settings/profile")
        .await
        .has("href=\"/settings/export\"")
        .has("Download your archive");
    let (status, headers, bytes) = web.get_bytes("/settings/export").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    let again = unzip(&bytes);
    assert_eq!(json_of(&again, "outbox.json"), outbox);
    assert_eq!(again["avatar.png"], files["avatar.png"]);
    r.stop_all().await;
}

#[tokio::test]
async fn the_archive_needs_a_user_token_that_may_read_the_account() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let path = "/api/roost/v1/accounts/export";
    let none = s.get(path, None).await;
    assert!(none.headers["content-type"]
        .to_str()
        .unwrap()
        .contains("json"));
    none.error(401);
    s.get(path, Some("not-a-token")).await.error(401);
    for scope in ["write", "read:statuses", "write:accounts"] {
        let token = s.scoped_token(&alice, scope).await;
        s.get(path, Some(&token)).await.error(403);
    }
    let app = s.app_token("read").await;
    s.get(path, Some(&app)).await.error(422);
    // Either scope Mastodon would accept for reading one's account.
    for scope in ["read", "read:accounts"] {
        let token = s.scoped_token(&alice, scope).await;
        let (_, bytes) = export(&s, &token).await;
        let files = unzip(&bytes);
        assert_eq!(json_of(&files, "outbox.json")["totalItems"], 0);
        assert_eq!(json_of(&files, "likes.json")["orderedItems"], json!([]));
        assert!(files.contains_key("residency.json"));
    }
    s.stop().await;
}

#[tokio::test]
async fn a_long_history_is_read_page_by_page() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    // More than one page (40) of posts and of likes.
    let mut posted = Vec::new();
    for n in 0..41 {
        let st = s
            .post_status(&alice, json!({"status": format!("post {n}")}))
            .await;
        let id = st["id"].as_str().unwrap().to_string();
        s.post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .ok();
        posted.push(id);
    }
    let (_, bytes) = export(&s, &alice.token).await;
    let files = unzip(&bytes);
    let outbox = json_of(&files, "outbox.json");
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(outbox["totalItems"], 41);
    let got: Vec<String> = items
        .iter()
        .map(|i| i["object"]["id"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = posted
        .iter()
        .rev()
        .map(|id| format!("{}/ap/statuses/{id}", s.base))
        .collect();
    assert_eq!(got, want, "every post once, newest first");
    let likes = json_of(&files, "likes.json");
    assert_eq!(likes["totalItems"], 41);
    assert_eq!(likes["orderedItems"], json!(want));
    s.stop().await;
}
