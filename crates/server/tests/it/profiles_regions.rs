//! Profiles across regions: a user of `id` sets an avatar, a header and fields; a follower
//! in `in` sees the account as `id`'s `public_content` policy allows. Under `store` India
//! keeps copies fetched through both gates (ledgered with the files' hashes, covered in
//! the audit); under `transit` it relays the bytes and writes nothing; under `deny`
//! nothing leaves. Judged by the files and raw bytes in India's data dir.

use crate::media::{blob_names, fetch, ledger};
use crate::support::{eventually, follow_across, id_of, policy_all, Regions, TestServer, User};
use roost_core::media::content_hash;
use roost_residency::{Action, DataClass};
use serde_json::Value;
use std::io::Cursor;

/// A PNG of its own colours, so that each picture is a different file.
fn picture(w: u32, h: u32, tint: u8) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 9) as u8 ^ tint, (y * 11) as u8, tint, 255])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// `PATCH /api/v1/accounts/update_credentials` as a client sends it (multipart).
async fn update(s: &TestServer, u: &User, form: reqwest::multipart::Form) -> Value {
    s.send(
        s.http
            .patch(s.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&u.token)
            .multipart(form),
    )
    .await
    .expect(200)
}

fn part(bytes: Vec<u8>, name: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes).file_name(name.to_string())
}

/// The SHA-256 a picture URL names (`.../<hash>.<ext>`).
fn hash_in(url: &str) -> String {
    let name = url.rsplit('/').next().unwrap();
    let hash = name.split('.').next().unwrap().to_string();
    assert_eq!(hash.len(), 64, "{url}");
    hash
}

/// `(name, value)` of an Account's fields.
fn fields(a: &Value) -> Vec<(String, String)> {
    a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `s`'s ledger has an entry for `object` with the file's hash, in `direction`.
async fn ledgered(s: &TestServer, object: &str, hash: &str, direction: &str) -> Option<Value> {
    ledger(s).await.into_iter().find(|e| {
        e["object"] == object && e["payload_sha256"] == hash && e["direction"] == direction
    })
}

#[tokio::test]
async fn foreign_profiles_store_copies_transit_relays_and_deny_keeps_nothing() {
    for action in ["store", "transit", "deny"] {
        let r = Regions::start(move |code| {
            let mut p = policy_all("store");
            if code == "id" {
                p.default
                    .insert(DataClass::PublicContent, Action::parse(action).unwrap());
            }
            p
        })
        .await;
        let (asha, budi) = r.asha_and_budi().await;
        follow_across(&r, "in", &asha, "id", &budi).await;
        let (ins, ids) = (r.get("in"), r.get("id"));
        let form = reqwest::multipart::Form::new()
            .part("avatar", part(picture(32, 32, 1), "me.png"))
            .part("header", part(picture(90, 30, 2), "wide.png"))
            .text("fields_attributes[0][name]", "Site")
            .text("fields_attributes[0][value]", "https://example.com/budi")
            .text("fields_attributes[1][name]", "Likes")
            .text("fields_attributes[1][value]", "<b>tea</b> #cake");
        let me = update(ids, &budi, form).await;
        let home_fields = fields(&me);
        assert_eq!(home_fields.len(), 2, "{me}");
        assert!(home_fields[1].1.contains("&lt;b&gt;tea"), "{me}");
        let (avatar, header) = (
            me["avatar"].as_str().unwrap().to_string(),
            me["header"].as_str().unwrap().to_string(),
        );
        assert!(avatar.starts_with(&ids.base), "{avatar}");
        let (a_hash, h_hash) = (hash_in(&avatar), hash_in(&header));
        let a_bytes = fetch(ids, &avatar, None)
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec();
        assert_eq!(content_hash(&a_bytes), a_hash, "the home serves its file");
        let (a_obj, h_obj) = (format!("avatar:{}", budi.id), format!("header:{}", budi.id));
        let account_path = format!("/api/v1/accounts/{}", budi.id);
        match action {
            "store" => {
                let seen = eventually(10, "Budi's pictures kept in India", || async {
                    let a = ins.get(&account_path, Some(&asha.token)).await.ok();
                    (a["avatar"].as_str()?.contains(&a_hash)
                        && a["header"].as_str()?.contains(&h_hash))
                    .then_some(a)
                })
                .await;
                let (copy_a, copy_h) = (
                    seen["avatar"].as_str().unwrap().to_string(),
                    seen["header"].as_str().unwrap().to_string(),
                );
                assert!(
                    copy_a.starts_with(&ins.base),
                    "served by India's copy: {copy_a}"
                );
                assert!(
                    copy_h.starts_with(&ins.base),
                    "served by India's copy: {copy_h}"
                );
                let got = fetch(ins, &copy_a, None).await;
                assert_eq!(got.status(), 200);
                assert_eq!(got.headers()["content-type"], "image/png");
                assert_eq!(content_hash(&got.bytes().await.unwrap()), a_hash);
                let got = fetch(ins, &copy_h, None).await.bytes().await.unwrap();
                assert_eq!(content_hash(&got), h_hash);
                let mut want = vec![a_hash.clone(), h_hash.clone()];
                want.sort();
                let mut kept = blob_names(&r.data_dir("in"));
                kept.sort();
                assert_eq!(kept, want, "India keeps exactly the two pictures");
                assert_eq!(fields(&seen), home_fields, "fields rendered as at home");
                // Both ledgers name each file by its hash: sent at home, stored in India.
                for (object, hash) in [(&a_obj, &a_hash), (&h_obj, &h_hash)] {
                    let sent = ledgered(ids, object, hash, "sent").await;
                    assert!(sent.is_some(), "no sent entry for {object} at home");
                    assert_eq!(sent.unwrap()["class"], "public_content");
                    assert!(
                        ledgered(ins, object, hash, "stored").await.is_some(),
                        "no stored entry for {object} in India"
                    );
                }
                // The audit sees India's copies covered by ledger and policy.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let rep = crate::regions::audit(&r).await;
                assert!(rep.is_clean(), "{}", rep.render());
                assert!(
                    rep.render().contains("in: 2 media file(s), 0 unreferenced"),
                    "{}",
                    rep.render()
                );
                // A planted picture (on disk under its own hash, named by Budi's row, but
                // never through the gate) and a file no row names: both reported.
                let planted = picture(8, 8, 77);
                let p_hash = content_hash(&planted);
                let dir = |h: &str| r.data_dir("in").join("media").join(&h[0..2]).join(&h[2..4]);
                std::fs::create_dir_all(dir(&p_hash)).unwrap();
                std::fs::write(dir(&p_hash).join(&p_hash), &planted).unwrap();
                let stray = content_hash(b"stray");
                std::fs::create_dir_all(dir(&stray)).unwrap();
                std::fs::write(dir(&stray).join(&stray), b"stray").unwrap();
                let db = crate::regions::db(&r, "in").await;
                db.exec(
                    "UPDATE accounts SET avatar_file = $1 WHERE id = $2",
                    &[
                        crate::backend::Val::T(format!("{p_hash}.png")),
                        crate::backend::Val::I(budi.id.parse::<i64>().unwrap()),
                    ],
                )
                .await;
                let rep = crate::regions::audit(&r).await;
                let text = rep.render();
                assert!(
                    text.contains(&format!(
                        "{a_obj}: file {p_hash} matches no stored ledger entry"
                    )),
                    "{text}"
                );
                assert!(
                    text.contains(&format!("media file {stray} is named by no row")),
                    "{text}"
                );
                db.exec(
                    "UPDATE accounts SET avatar_file = $1 WHERE id = $2",
                    &[
                        crate::backend::Val::T(format!("{a_hash}.png")),
                        crate::backend::Val::I(budi.id.parse::<i64>().unwrap()),
                    ],
                )
                .await;
                db.close().await;
                std::fs::remove_file(dir(&p_hash).join(&p_hash)).unwrap();
                std::fs::remove_file(dir(&stray).join(&stray)).unwrap();
                // A new avatar at home replaces India's copy; the old file goes.
                let form = reqwest::multipart::Form::new()
                    .part("avatar", part(picture(24, 24, 3), "new.png"));
                let me = update(ids, &budi, form).await;
                let b_hash = hash_in(me["avatar"].as_str().unwrap());
                assert_ne!(b_hash, a_hash);
                eventually(10, "India's copy replaced", || async {
                    let a = ins.get(&account_path, Some(&asha.token)).await.ok();
                    let names = blob_names(&r.data_dir("in"));
                    (a["avatar"].as_str()?.contains(&b_hash)
                        && names.contains(&b_hash)
                        && !names.contains(&a_hash))
                    .then_some(())
                })
                .await;
                assert!(
                    blob_names(&r.data_dir("in")).contains(&h_hash),
                    "the header stays"
                );
                assert!(ledgered(ins, &a_obj, &b_hash, "stored").await.is_some());
                let rep = crate::regions::audit(&r).await;
                assert!(rep.is_clean(), "{}", rep.render());
            }
            "transit" => {
                // Shown live with Budi's posts: the pictures pass through India's relay.
                let pid = id_of(
                    &ids.post_status(&budi, serde_json::json!({"status": "hello from home"}))
                        .await,
                );
                let author = eventually(10, "Budi's post live in Asha's home", || async {
                    let v = ins
                        .get("/api/v1/timelines/home", Some(&asha.token))
                        .await
                        .ok();
                    let s = v
                        .as_array()?
                        .iter()
                        .find(|s| s["id"] == pid.as_str())?
                        .clone();
                    Some(s["account"].clone())
                })
                .await;
                let relay = author["avatar"].as_str().unwrap().to_string();
                let relay_h = author["header"].as_str().unwrap().to_string();
                let prefix = format!("{}/media/t/profile/{}/", ins.base, budi.id);
                assert!(relay.starts_with(&prefix), "{relay}");
                assert!(relay_h.starts_with(&prefix), "{relay_h}");
                let got = fetch(ins, &relay, None).await;
                assert_eq!(got.status(), 200);
                assert_eq!(got.headers()["content-type"], "image/png");
                assert_eq!(content_hash(&got.bytes().await.unwrap()), a_hash);
                let got = fetch(ins, &relay_h, None).await.bytes().await.unwrap();
                assert_eq!(content_hash(&got), h_hash);
                assert_eq!(fetch(ins, &relay, Some("bytes=0-3")).await.status(), 206);
                // Only the file the link names; not a way to fetch anything else.
                let other = relay.replace(&a_hash, &content_hash(b"other"));
                assert_eq!(fetch(ins, &other, None).await.status(), 404);
                assert_eq!(fields(&author), home_fields, "fields rendered as at home");
                // Nothing of the pictures written in India, not even their names.
                assert!(blob_names(&r.data_dir("in")).is_empty(), "a file was kept");
                let raw = r.disk_bytes("in").await;
                assert!(!crate::support::contains(&raw, &a_hash), "the hash is kept");
                let middle = a_bytes.len() / 2;
                assert!(
                    !has_bytes(&raw, &a_bytes[middle..middle + 48]),
                    "bytes are kept"
                );
                // Home recorded each relayed file as a transit send with its hash.
                let sent = ledgered(ids, &a_obj, &a_hash, "sent").await;
                assert_eq!(
                    sent.expect("a transit entry at home")["decision"],
                    "transit"
                );
                assert!(!ledger(ins)
                    .await
                    .iter()
                    .any(|e| e["object"] == a_obj.as_str() || e["object"] == h_obj.as_str()));
            }
            _ => {
                tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
                let a = ins.get(&account_path, Some(&asha.token)).await.ok();
                assert!(
                    a["avatar"]
                        .as_str()
                        .unwrap()
                        .ends_with("/static/avatar.png"),
                    "{a}"
                );
                assert!(a["header"]
                    .as_str()
                    .unwrap()
                    .ends_with("/static/header.png"));
                assert!(fields(&a).is_empty(), "{a}");
                // A relay link made up for the picture is refused: nothing leaves home.
                let forged = format!("/media/t/profile/{}/avatar/{a_hash}.png", budi.id);
                assert_eq!(ins.get(&forged, None).await.status, 403);
                assert!(blob_names(&r.data_dir("in")).is_empty(), "a file was kept");
                assert!(!crate::support::contains(
                    &r.disk_bytes("in").await,
                    &a_hash
                ));
                assert!(ledgered(ids, &a_obj, &a_hash, "sent").await.is_none());
            }
        }
        r.stop_all().await;
    }
}

#[tokio::test]
async fn retention_purge_removes_kept_profile_pictures_and_fields() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(
                DataClass::PublicContent,
                Action::Store { max_secs: Some(2) },
            );
        }
        p
    })
    .await;
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let form = reqwest::multipart::Form::new()
        .part("avatar", part(picture(20, 20, 5), "a.png"))
        .text("fields_attributes[0][name]", "Home")
        .text("fields_attributes[0][value]", "Jakarta");
    update(ids, &budi, form).await;
    let account_path = format!("/api/v1/accounts/{}", budi.id);
    eventually(10, "the picture and fields kept in India", || async {
        let a = ins.get(&account_path, Some(&asha.token)).await.ok();
        (blob_names(&r.data_dir("in")).len() == 1 && fields(&a).len() == 1).then_some(())
    })
    .await;
    eventually(15, "the purge of the picture and the profile", || async {
        let a = ins.get(&account_path, Some(&asha.token)).await.ok();
        (blob_names(&r.data_dir("in")).is_empty()
            && fields(&a).is_empty()
            && a["avatar"].as_str()?.ends_with("/static/avatar.png"))
        .then_some(())
    })
    .await;
    // Still at home.
    assert_eq!(blob_names(&r.data_dir("id")).len(), 1);
    r.stop_all().await;
}
