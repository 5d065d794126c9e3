//! Media: uploads of each type, processing states, limits, metadata stripping (judged by
//! every stored byte), attach rules, descriptions and focus, deletion, `Range`, private
//! media, avatars.

use crate::support::{contains, raw_bytes, Resp, TestServer, User};
use serde_json::{json, Value};
use std::io::Cursor;

/// Serial number and marker written into the test JPEG's EXIF block.
const SERIAL: &str = "SN-CAMERA-7731";

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 7) as u8, (y * 5) as u8, 90, 255])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 3) as u8, 200]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn gif_animated(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut out);
        for i in 0..3u8 {
            let f = image::RgbaImage::from_pixel(w, h, image::Rgba([i * 80, 0, 0, 255]));
            enc.encode_frame(image::Frame::new(f)).unwrap();
        }
    }
    out
}

/// An EXIF APP1 block (big-endian TIFF) with orientation 6 (rotate 90°), a GPS IFD
/// (latitude 48°51'29.06" N) and a camera serial number, written out by hand.
fn exif_app1() -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(kind.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // IFD0 at 8: 3 entries, ends at 8 + 2 + 36 + 4 = 50.
    t.extend(3u16.to_be_bytes());
    entry(&mut t, 0x0112, 3, 1, [0, 6, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 50u32.to_be_bytes());
    entry(
        &mut t,
        0xA431,
        2,
        SERIAL.len() as u32 + 1,
        104u32.to_be_bytes(),
    );
    t.extend(0u32.to_be_bytes());
    // GPS IFD at 50: 2 entries, ends at 80.
    t.extend(2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 80u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 80);
    for (n, d) in [(48u32, 1u32), (51, 1), (2906, 100)] {
        t.extend(n.to_be_bytes());
        t.extend(d.to_be_bytes());
    }
    assert_eq!(t.len(), 104);
    t.extend(SERIAL.as_bytes());
    t.push(0);
    let mut seg = vec![0xFF, 0xE1];
    let len = (2 + 6 + t.len()) as u16;
    seg.extend(len.to_be_bytes());
    seg.extend(b"Exif\0\0");
    seg.extend(t);
    seg
}

/// A 40x20 JPEG carrying the EXIF block right after its start marker.
fn jpeg_with_gps() -> Vec<u8> {
    let plain = jpeg(40, 20);
    let mut out = plain[..2].to_vec();
    out.extend(exif_app1());
    out.extend(&plain[2..]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A tiny PNG whose header claims `w`x`h` pixels: a decompression bomb's shape.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut p = png(1, 1);
    p[16..20].copy_from_slice(&w.to_be_bytes());
    p[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

pub(crate) async fn upload_to(
    s: &TestServer,
    path: &str,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("image/jpeg")
            .unwrap(),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    s.send(s.http.post(s.url(path)).bearer_auth(token).multipart(form))
        .await
}

async fn upload(s: &TestServer, u: &User, bytes: Vec<u8>, name: &str) -> Value {
    upload_to(s, "/api/v2/media", &u.token, bytes, name, &[])
        .await
        .expect(200)
}

fn media_dir(s: &TestServer) -> std::path::PathBuf {
    s.dir.path().join("data").join("media")
}

fn stored_files(s: &TestServer) -> usize {
    crate::support::walk(&media_dir(s)).len()
}

pub(crate) async fn fetch(s: &TestServer, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut rb = s.http.get(url);
    if let Some(r) = range {
        rb = rb.header("range", r);
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn uploads_each_type_strips_metadata_and_enforces_limits() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;

    // JPEG with GPS EXIF, orientation 6: turned upright, and no trace left anywhere.
    let exif = jpeg_with_gps();
    assert!(contains(&exif, SERIAL) && contains(&exif, "Exif"));
    let m = upload(&s, &alice, exif, "holiday.jpg").await;
    assert_eq!(m["type"], "image");
    assert_eq!(m["meta"]["original"]["width"], 20, "{m}");
    assert_eq!(m["meta"]["original"]["height"], 40, "{m}");
    assert!(m["blurhash"].as_str().is_some_and(|b| b.len() >= 6), "{m}");
    assert!(m["url"].as_str().unwrap().contains("/media/"));
    let body = fetch(&s, m["url"].as_str().unwrap(), None).await;
    assert_eq!(body.status(), 200);
    let bytes = body.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
    assert!(!contains(&bytes, SERIAL) && !contains(&bytes, "Exif"));
    let stored = raw_bytes(&s.dir.path().join("data"));
    assert!(
        !contains(&stored, SERIAL),
        "the serial number is stored somewhere"
    );
    assert!(
        !contains(&stored, "Exif\0\0"),
        "an EXIF block is stored somewhere"
    );
    assert!(stored_files(&s) >= 2, "original and preview are stored");

    // PNG, animated GIF, video and audio (by content), each with its type.
    let m = upload(&s, &alice, png(30, 30), "a.png").await;
    assert_eq!(m["type"], "image");
    assert_eq!(m["meta"]["small"]["width"], 30);
    let m = upload(&s, &alice, gif_animated(8, 8), "a.gif").await;
    assert_eq!(m["type"], "image");
    let gif = fetch(&s, m["url"].as_str().unwrap(), None).await;
    assert_eq!(gif.headers()["content-type"], "image/gif");
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    mp4.extend(vec![0u8; 4000]);
    let m = upload(&s, &alice, mp4.clone(), "clip.mp4").await;
    assert_eq!(m["type"], "video");
    assert!(
        m["preview_url"].as_str().is_some(),
        "a generic preview: {m}"
    );
    let mut mp3 = b"ID3\x04\0\0\0\0\0\0".to_vec();
    mp3.extend(vec![0u8; 1000]);
    assert_eq!(upload(&s, &alice, mp3, "song.mp3").await["type"], "audio");

    // Judged by content, not name: an HTML page called photo.jpg is refused.
    let r = upload_to(
        &s,
        "/api/v2/media",
        &alice.token,
        b"<html><script>alert(1)</script>".to_vec(),
        "photo.jpg",
        &[],
    )
    .await;
    assert!(r.error(422).contains("content type"));
    // A header claiming 20000x20000 pixels is refused before decoding.
    let r = upload_to(
        &s,
        "/api/v2/media",
        &alice.token,
        png_claiming(20_000, 20_000),
        "bomb.png",
        &[],
    )
    .await;
    assert!(r.error(422).contains("pixels"));
    // Over the image size limit: 413.
    let mut big = jpeg(8, 8);
    big.resize(16 * 1024 * 1024 + 10, 0);
    upload_to(&s, "/api/v2/media", &alice.token, big, "big.jpg", &[])
        .await
        .error(413);
    // No file, no scope.
    s.post_multipart("/api/v2/media", Some(&alice.token), &[("description", "x")])
        .await
        .error(422);
    let read_only = s.scoped_token(&alice, "read").await;
    upload_to(&s, "/api/v2/media", &read_only, png(2, 2), "a.png", &[])
        .await
        .error(403);
    // v1 answers 200 once processed.
    let m = upload_to(
        &s,
        "/api/v1/media",
        &alice.token,
        png(3, 3),
        "a.png",
        &[("description", "three")],
    )
    .await
    .expect(200);
    assert_eq!(m["description"], "three");
}

#[tokio::test]
async fn v2_answers_202_then_the_media_is_ready() {
    let s = TestServer::start_with(|c| c.media_ready_wait = std::time::Duration::ZERO).await;
    let alice = s.register("alice").await;
    let m = upload_to(&s, "/api/v2/media", &alice.token, png(64, 64), "a.png", &[])
        .await
        .expect(202);
    assert!(m["url"].is_null(), "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let ready = crate::support::eventually(20, "media processed", || async {
        let r = s
            .get(&format!("/api/v1/media/{id}"), Some(&alice.token))
            .await;
        (r.status == 200).then_some(r.body)
    })
    .await;
    assert!(ready["url"].as_str().is_some());
}

#[tokio::test]
async fn attach_rules_descriptions_focus_and_delete() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let m = upload(&s, &alice, png(10, 10), "a.png").await;
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    // Description and focus.
    let m = s
        .put(
            &format!("/api/v1/media/{}", ids[0]),
            Some(&alice.token),
            json!({"description": "a red square", "focus": "0.5,-0.25"}),
        )
        .await
        .expect(200);
    assert_eq!(m["description"], "a red square");
    assert_eq!(m["meta"]["focus"]["x"], 0.5);
    assert_eq!(m["meta"]["focus"]["y"], -0.25);
    s.put(
        &format!("/api/v1/media/{}", ids[0]),
        Some(&alice.token),
        json!({"focus": "3,0"}),
    )
    .await
    .error(422);
    // Someone else's upload is not found, not theirs to use.
    s.get(&format!("/api/v1/media/{}", ids[0]), Some(&bob.token))
        .await
        .error(404);
    s.post_status_raw(&bob, json!({"status": "mine?", "media_ids": [ids[0]]}))
        .await
        .error(422);
    // More than four.
    s.post_status_raw(&alice, json!({"status": "many", "media_ids": ids}))
        .await
        .error(422);
    // A post of pictures alone; the attachments in order with their description.
    let st = s
        .post_status(&alice, json!({"status": "", "media_ids": [ids[0], ids[1]]}))
        .await;
    let att = st["media_attachments"].as_array().unwrap();
    assert_eq!(att.len(), 2);
    assert_eq!(att[0]["id"], ids[0].as_str());
    assert_eq!(att[0]["description"], "a red square");
    // Attached twice: refused, and the failed post is not made.
    let before = s.account_status_ids(&alice, Some(&alice)).await.len();
    s.post_status_raw(&alice, json!({"status": "again", "media_ids": [ids[1]]}))
        .await
        .error(422);
    assert_eq!(
        s.account_status_ids(&alice, Some(&alice)).await.len(),
        before
    );
    // Attached media cannot be deleted; its description changes through the post's edit.
    s.delete(&format!("/api/v1/media/{}", ids[0]), Some(&alice.token))
        .await
        .error(422);
    let sid = st["id"].as_str().unwrap();
    let edited = s
        .put(&format!("/api/v1/statuses/{sid}"), Some(&alice.token), json!({"status": "now with words", "media_attributes": [{"id": ids[1], "description": "second"}]}))
        .await
        .expect(200);
    assert_eq!(edited["media_attachments"][1]["description"], "second");
    let history = s
        .get(
            &format!("/api/v1/statuses/{sid}/history"),
            Some(&alice.token),
        )
        .await
        .ok();
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    for v in versions {
        assert_eq!(v["media_attachments"].as_array().unwrap().len(), 2, "{v}");
    }
    // An unattached upload is deleted with its files.
    let files = stored_files(&s);
    s.delete(&format!("/api/v1/media/{}", ids[4]), Some(&alice.token))
        .await
        .expect(200);
    s.get(&format!("/api/v1/media/{}", ids[4]), Some(&alice.token))
        .await
        .error(404);
    // Five identical squares share their blobs: nothing was unreferenced yet.
    assert_eq!(stored_files(&s), files);
    // Deleting the post removes its attachments; files nothing names any more go.
    for id in &ids[2..4] {
        s.delete(&format!("/api/v1/media/{id}"), Some(&alice.token))
            .await
            .expect(200);
    }
    s.delete(&format!("/api/v1/statuses/{sid}"), Some(&alice.token))
        .await
        .expect(200);
    assert_eq!(stored_files(&s), 0, "files left after the post went");
}

#[tokio::test]
async fn files_are_served_with_type_nosniff_cache_and_ranges() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    mp4.extend((0..5000u32).map(|i| (i % 251) as u8));
    let m = upload(&s, &alice, mp4.clone(), "clip.mp4").await;
    let st = s
        .post_status(&alice, json!({"status": "a clip", "media_ids": [m["id"]]}))
        .await;
    let url = st["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.ends_with(".mp4"), "{url}");
    let r = fetch(&s, &url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), mp4.as_slice());
    let r = fetch(&s, &url, Some("bytes=10-19")).await;
    assert_eq!(r.status(), 206);
    let len = mp4.len();
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 10-19/{len}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &mp4[10..20]);
    let r = fetch(&s, &url, Some("bytes=-5")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &mp4[len - 5..]);
    let r = fetch(&s, &url, Some(&format!("bytes={len}-"))).await;
    assert_eq!(r.status(), 416);
    // An unknown or malformed name is just not found.
    assert_eq!(
        fetch(&s, &s.url(&format!("/media/{}.mp4", "0".repeat(64))), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        fetch(&s, &s.url("/media/..%2f..%2fetc%2fpasswd"), None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn private_media_only_for_those_who_may_see_the_post() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&bob, &alice).await;
    // Unattached: only its uploader gets a URL that works.
    let m = upload(&s, &alice, png(12, 12), "a.png").await;
    let own_url = m["url"].as_str().unwrap().to_string();
    assert!(own_url.contains("/media/p/"), "{own_url}");
    assert_eq!(fetch(&s, &own_url, None).await.status(), 200);
    let st = s
        .post_status(
            &alice,
            json!({"status": "friends only", "visibility": "private", "media_ids": [m["id"]]}),
        )
        .await;
    let sid = st["id"].as_str().unwrap();
    // Bob (a follower) gets a URL signed for him that works.
    let seen = s
        .get(&format!("/api/v1/statuses/{sid}"), Some(&bob.token))
        .await
        .expect(200);
    let url = seen["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let preview = seen["media_attachments"][0]["preview_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains(&format!("/{}/", bob.id)), "{url}");
    let r = fetch(&s, &url, None).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("private"));
    assert_eq!(fetch(&s, &preview, None).await.status(), 200);
    // Carol may not see the post; the link rewritten for her is refused.
    s.get(&format!("/api/v1/statuses/{sid}"), Some(&carol.token))
        .await
        .error(404);
    let forged = url.replace(&format!("/{}/", bob.id), &format!("/{}/", carol.id));
    assert_eq!(fetch(&s, &forged, None).await.status(), 403);
    // No stable public URL serves the private file.
    let stored = crate::support::walk(&media_dir(&s));
    for f in stored {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for ext in ["png", "jpg"] {
            let r = fetch(&s, &s.url(&format!("/media/{name}.{ext}")), None).await;
            assert_eq!(
                r.status(),
                404,
                "private file {name} served at a stable URL"
            );
        }
    }
    // Once Bob unfollows, his link stops working.
    s.post(
        &format!("/api/v1/accounts/{}/unfollow", alice.id),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(fetch(&s, &url, None).await.status(), 404);
}

#[tokio::test]
async fn avatars_and_headers_through_update_credentials() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let before = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert!(before["avatar"]
        .as_str()
        .unwrap()
        .ends_with("/static/avatar.png"));
    let form = reqwest::multipart::Form::new()
        .part(
            "avatar",
            reqwest::multipart::Part::bytes(jpeg_with_gps()).file_name("me.jpg"),
        )
        .part(
            "header",
            reqwest::multipart::Part::bytes(png(60, 20)).file_name("h.png"),
        )
        .text("display_name", "Alice A.");
    let me = s
        .send(
            s.http
                .patch(s.url("/api/v1/accounts/update_credentials"))
                .bearer_auth(&alice.token)
                .multipart(form),
        )
        .await
        .expect(200);
    assert_eq!(me["display_name"], "Alice A.");
    let avatar = me["avatar"].as_str().unwrap().to_string();
    assert!(
        avatar.contains("/media/") && avatar.ends_with(".jpg"),
        "{avatar}"
    );
    assert_eq!(me["avatar_static"], avatar.as_str());
    let r = fetch(&s, &avatar, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(!contains(&r.bytes().await.unwrap(), SERIAL));
    let header = me["header"].as_str().unwrap();
    assert_eq!(fetch(&s, header, None).await.status(), 200);
    // Everyone sees it on the account.
    let other = s
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await
        .ok();
    assert_eq!(other["avatar"], avatar.as_str());
    // A replaced avatar's old file goes.
    let form = reqwest::multipart::Form::new().part(
        "avatar",
        reqwest::multipart::Part::bytes(png(16, 16)).file_name("me2.png"),
    );
    let me = s
        .send(
            s.http
                .patch(s.url("/api/v1/accounts/update_credentials"))
                .bearer_auth(&alice.token)
                .multipart(form),
        )
        .await
        .expect(200);
    assert_ne!(me["avatar"], avatar.as_str());
    assert_eq!(fetch(&s, &avatar, None).await.status(), 404);
    // Not an image: refused.
    let form = reqwest::multipart::Form::new().part(
        "avatar",
        reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("x.png"),
    );
    s.send(
        s.http
            .patch(s.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&alice.token)
            .multipart(form),
    )
    .await
    .error(422);
}

/// Every ledger entry of a region.
pub(crate) async fn ledger(s: &TestServer) -> Vec<Value> {
    let head = s.get("/api/roost/v1/ledger/head", None).await.ok();
    let size = head["tree_size"]
        .as_u64()
        .or(head["head"]["tree_size"].as_u64())
        .unwrap();
    let mut out = Vec::new();
    for i in 0..size {
        let e = s
            .get(&format!("/api/roost/v1/ledger/entries/{i}"), None)
            .await
            .ok();
        out.push(e["entry"].clone());
    }
    out
}

pub(crate) fn blob_names(dir: &std::path::Path) -> Vec<String> {
    crate::support::walk(&dir.join("media"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect()
}

#[tokio::test]
async fn across_regions_store_copies_through_the_gate_transit_and_deny_keep_nothing() {
    use crate::support::{eventually, follow_across, id_of, policy_all, Regions};
    use roost_residency::{Action, DataClass};
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
        let ids = r.get("id");
        let m = upload(ids, &budi, jpeg_with_gps(), "x.jpg").await;
        let st = ids
            .post_status(
                &budi,
                json!({"status": "a picture from home", "media_ids": [m["id"]]}),
            )
            .await;
        let pid = id_of(&st);
        let home_url = st["media_attachments"][0]["url"]
            .as_str()
            .unwrap()
            .to_string();
        let hash = home_url
            .rsplit('/')
            .next()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(hash.len(), 64, "{home_url}");
        let ins = r.get("in");
        match action {
            "store" => {
                let copy = eventually(10, "the post and its file kept in India", || async {
                    let v = ins
                        .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&asha.token))
                        .await
                        .ok();
                    let url = v[0]["media_attachments"][0]["url"].as_str()?.to_string();
                    Some(url)
                })
                .await;
                assert!(
                    copy.starts_with(&ins.base),
                    "served by India's copy: {copy}"
                );
                let got = fetch(ins, &copy, None).await.bytes().await.unwrap();
                assert_eq!(roost_core::media::content_hash(&got), hash);
                assert_eq!(blob_names(&r.data_dir("in")), vec![hash.clone()]);
                assert!(!contains(&r.disk_bytes("in").await, SERIAL));
                // Both ledgers carry the file's hash: sent at home, stored in India.
                let object = format!("media:{}", m["id"].as_str().unwrap());
                let sent = ledger(ids).await.into_iter().any(|e| {
                    e["object"] == object.as_str()
                        && e["payload_sha256"] == hash.as_str()
                        && e["direction"] == "sent"
                });
                assert!(sent, "no sent entry with the file's hash at home");
                let stored = ledger(ins).await.into_iter().any(|e| {
                    e["object"] == object.as_str()
                        && e["payload_sha256"] == hash.as_str()
                        && e["direction"] == "stored"
                });
                assert!(stored, "no stored entry with the file's hash in India");
                // The audit finds India's copy covered by the ledger and the policy.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let rep = crate::regions::audit(&r).await;
                assert!(rep.is_clean(), "{}", rep.render());
                assert!(
                    rep.render().contains("in: 1 media file(s), 0 unreferenced"),
                    "{}",
                    rep.render()
                );
                // A file swapped on disk, and one no row names: caught and reported.
                let path = crate::support::walk(&r.data_dir("in").join("media"))[0].clone();
                let original = std::fs::read(&path).unwrap();
                std::fs::write(&path, b"not the file the ledger recorded").unwrap();
                let stray = roost_core::media::content_hash(b"stray");
                let stray_dir = r
                    .data_dir("in")
                    .join("media")
                    .join(&stray[0..2])
                    .join(&stray[2..4]);
                std::fs::create_dir_all(&stray_dir).unwrap();
                std::fs::write(stray_dir.join(&stray), b"stray").unwrap();
                let rep = crate::regions::audit(&r).await;
                assert!(
                    crate::regions::kinds(&rep).contains(&"UncoveredForeignItem".to_string()),
                    "{}",
                    rep.render()
                );
                assert!(
                    rep.render()
                        .contains(&format!("media file {stray} is named by no row")),
                    "{}",
                    rep.render()
                );
                std::fs::write(&path, original).unwrap();
                std::fs::remove_file(stray_dir.join(&stray)).unwrap();
                // Deleting the post at home removes India's copy.
                ids.delete(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
                    .await
                    .expect(200);
                eventually(10, "India's copy removed", || async {
                    blob_names(&r.data_dir("in")).is_empty().then_some(())
                })
                .await;
            }
            "transit" => {
                // Shown live: the file passes through India's relay and is kept nowhere.
                let url = eventually(10, "the post live in Asha's home timeline", || async {
                    let v = ins
                        .get("/api/v1/timelines/home", Some(&asha.token))
                        .await
                        .ok();
                    let s = v
                        .as_array()?
                        .iter()
                        .find(|s| s["id"] == pid.as_str())?
                        .clone();
                    Some(s["media_attachments"][0]["url"].as_str()?.to_string())
                })
                .await;
                assert!(url.starts_with(&format!("{}/media/t/", ins.base)), "{url}");
                let r2 = fetch(ins, &url, None).await;
                assert_eq!(r2.status(), 200);
                assert_eq!(r2.headers()["content-type"], "image/jpeg");
                assert_eq!(
                    roost_core::media::content_hash(&r2.bytes().await.unwrap()),
                    hash
                );
                let r3 = fetch(ins, &url, Some("bytes=0-3")).await;
                assert_eq!(r3.status(), 206);
                let forged = url.replace(&format!("/{}/", asha.id), "/1/");
                assert_eq!(fetch(ins, &forged, None).await.status(), 403);
                assert!(
                    blob_names(&r.data_dir("in")).is_empty(),
                    "transit: a file was kept in India"
                );
                let object = format!("media:{}", m["id"].as_str().unwrap());
                let sent = ledger(ids).await.into_iter().any(|e| {
                    e["object"] == object.as_str()
                        && e["payload_sha256"] == hash.as_str()
                        && e["decision"] == "transit"
                });
                assert!(sent, "no transit entry with the file's hash at home");
                assert!(!ledger(ins)
                    .await
                    .iter()
                    .any(|e| e["object"] == object.as_str()));
            }
            _ => {
                tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
                assert!(
                    blob_names(&r.data_dir("in")).is_empty(),
                    "{action}: a file was kept in India"
                );
                assert!(
                    !contains(&r.disk_bytes("in").await, &hash),
                    "{action}: the hash is known in India"
                );
            }
        }
        r.stop_all().await;
    }
}

use crate::support::Moto;

pub(crate) fn bucket_settings(endpoint: &str, bucket: &str) -> roost_media::S3Settings {
    roost_media::S3Settings {
        endpoint: endpoint.into(),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key: "test".into(),
        secret_key: "test".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_blob_store_upload_serve_delete() {
    use roost_core::media::BlobStore as _;
    let Some((_moto, endpoint)) = Moto::start().await else {
        return;
    };
    let settings = bucket_settings(&endpoint, "roost-in-media");
    let s = {
        let settings = settings.clone();
        TestServer::start_with(move |c| c.media_s3 = Some(settings)).await
    };
    let alice = s.register("alice").await;
    let m = upload(&s, &alice, jpeg_with_gps(), "x.jpg").await;
    let st = s
        .post_status(
            &alice,
            json!({"status": "in the bucket", "media_ids": [m["id"]]}),
        )
        .await;
    let url = st["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let r = fetch(&s, &url, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let whole = r.bytes().await.unwrap();
    assert!(!contains(&whole, SERIAL));
    let r = fetch(&s, &url, Some("bytes=2-9")).await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &whole[2..10]);
    // The files are in the bucket, not under the data dir.
    let bucket = roost_media::S3BlobStore::new(&settings).unwrap();
    let listed = bucket.list().await.unwrap();
    assert_eq!(listed.len(), 2, "original and preview: {listed:?}");
    let hash = url.rsplit('/').next().unwrap().split('.').next().unwrap();
    assert!(listed.iter().any(|h| h == hash));
    for h in &listed {
        let bytes = bucket.get(h).await.unwrap().unwrap();
        assert!(!contains(&bytes, SERIAL) && !contains(&bytes, "Exif\0\0"));
    }
    assert_eq!(stored_files(&s), 0);
    // Deleting the post empties the bucket.
    s.delete(
        &format!("/api/v1/statuses/{}", st["id"].as_str().unwrap()),
        Some(&alice.token),
    )
    .await
    .expect(200);
    assert!(bucket.list().await.unwrap().is_empty());
    assert_eq!(fetch(&s, &url, None).await.status(), 404);
}

/// `roost audit` scans a region's bucket as it scans a media directory: India keeps its
/// copy of an Indonesian post's picture in its own bucket; the audit finds it covered by
/// the ledger, and finds a file swapped in the bucket and one that no row names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_scans_a_region_bucket() {
    use crate::support::{eventually, follow_across, id_of, policy_all, Regions};
    use roost_core::media::BlobStore as _;
    let Some((_moto, endpoint)) = Moto::start().await else {
        return;
    };
    let india = bucket_settings(&endpoint, "roost-in-media");
    let r = {
        let india = india.clone();
        Regions::start_with(
            |_| policy_all("store"),
            move |cfg| {
                if cfg.region == "in" {
                    cfg.media_s3 = Some(india.clone());
                }
            },
        )
        .await
    };
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let ids = r.get("id");
    let m = upload(ids, &budi, jpeg_with_gps(), "x.jpg").await;
    let st = ids
        .post_status(
            &budi,
            json!({"status": "to the bucket", "media_ids": [m["id"]]}),
        )
        .await;
    let pid = id_of(&st);
    let ins = r.get("in");
    eventually(10, "India's copy of the file", || async {
        let v = ins
            .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&asha.token))
            .await
            .ok();
        v[0]["media_attachments"][0]["url"]
            .as_str()
            .filter(|u| u.starts_with(&ins.base))
            .map(|_| ())
    })
    .await;
    let bucket = roost_media::S3BlobStore::new(&india).unwrap();
    let kept = bucket.list().await.unwrap();
    assert_eq!(kept.len(), 1, "the copy is in the bucket: {kept:?}");
    assert!(blob_names(&r.data_dir("in")).is_empty(), "and not on disk");

    let buckets = || [("in".to_string(), india.clone())].into_iter().collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let rep = crate::regions::audit_with(&r, buckets()).await;
    assert!(rep.is_clean(), "{}", rep.render());
    assert!(
        rep.render().contains("in: 1 media file(s), 0 unreferenced"),
        "{}",
        rep.render()
    );
    // Without the bucket the audit looks on disk, finds no file and says so.
    let blind = crate::regions::audit(&r).await;
    assert!(
        blind.render().contains("which is not in the media store"),
        "{}",
        blind.render()
    );

    // Swap the copy's bytes in the bucket behind roost's back (a signed PUT of other
    // bytes under the same name) and plant a file that no row names.
    let raw = rusty_s3::Bucket::new(
        endpoint.parse().unwrap(),
        rusty_s3::UrlStyle::Path,
        india.bucket.clone(),
        india.region.clone(),
    )
    .unwrap();
    let creds = rusty_s3::Credentials::new(india.access_key.clone(), india.secret_key.clone());
    let put = rusty_s3::S3Action::sign(
        &raw.put_object(Some(&creds), &kept[0]),
        std::time::Duration::from_secs(60),
    );
    let swapped = reqwest::Client::new()
        .put(put)
        .body("not the file the ledger recorded")
        .send()
        .await
        .unwrap();
    assert!(swapped.status().is_success(), "{swapped:?}");
    let stray = bucket.put(b"stray".to_vec()).await.unwrap();
    let rep = crate::regions::audit_with(&r, buckets()).await;
    assert!(
        rep.render()
            .contains(&format!("media file {} is not what its name says", kept[0])),
        "{}",
        rep.render()
    );
    assert!(
        rep.render()
            .contains(&format!("media file {stray} is named by no row")),
        "{}",
        rep.render()
    );
    assert!(!rep.is_clean());
    r.stop_all().await;
}

#[tokio::test]
async fn web_pages_upload_show_and_feed_pictures() {
    use crate::web_pages::Browser;
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("painter").await;
    let home = a.get("/home").await;
    home.has("enctype=\"multipart/form-data\"")
        .has("name=\"media1\"")
        .has("name=\"alt4\"");
    // Two pictures with descriptions, and an empty third file field.
    let r = a
        .submit_files(
            "/statuses",
            &[
                ("text", "my paintings"),
                ("visibility", "public"),
                ("back", "/home"),
                ("alt1", "a <red> square"),
                ("alt2", ""),
            ],
            vec![
                ("media1", "one.png", png(20, 20)),
                ("media2", "two.jpg", jpeg_with_gps()),
                ("media3", "", Vec::new()),
            ],
        )
        .await;
    assert_eq!(r.location(), "/home");
    let home = a.get("/home").await;
    home.has("Posted.")
        .has("alt=\"a &#60;red&#62; square\"")
        .has("loading=\"lazy\"");
    let api = s
        .get("/api/v1/accounts/lookup?acct=painter", None)
        .await
        .ok();
    let statuses = s
        .get(
            &format!("/api/v1/accounts/{}/statuses", api["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    let att = statuses[0]["media_attachments"].as_array().unwrap().clone();
    assert_eq!(att.len(), 2);
    assert_eq!(att[0]["description"], "a <red> square");
    let permalink = format!("/@painter/{}", statuses[0]["id"].as_str().unwrap());
    let page = a.get(&permalink).await;
    page.has(att[0]["preview_url"].as_str().unwrap());
    // Pictures alone are a post; five are refused with the reason and post nothing.
    a.get("/home").await;
    a.submit_files(
        "/statuses",
        &[("text", ""), ("visibility", "public"), ("back", "/home")],
        vec![("media1", "one.png", png(8, 8))],
    )
    .await;
    a.get("/home").await.has("Posted.");
    a.submit_files(
        "/statuses",
        &[
            ("text", "too many"),
            ("visibility", "public"),
            ("back", "/home"),
        ],
        vec![
            ("media1", "a.png", png(8, 8)),
            ("media2", "a.png", png(8, 8)),
            ("media3", "a.png", png(8, 8)),
            ("media4", "a.png", png(8, 8)),
            ("media5", "a.png", png(8, 8)),
        ],
    )
    .await;
    a.get("/home")
        .await
        .has("role=\"alert\"")
        .lacks("too many</p>");
    // Not a picture: the reason comes back on the page.
    a.submit_files(
        "/statuses",
        &[("text", "bad"), ("back", "/home")],
        vec![("media1", "x.png", b"<svg/>".to_vec())],
    )
    .await;
    a.get("/home").await.has("content type");
    // The feed names the files as enclosures.
    let rss = reqwest::get(s.url("/@painter.rss"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rss.contains("<enclosure url=\""), "{rss}");
    assert!(rss.contains("type=\"image/png\""), "{rss}");
    // Avatar and header from the settings page; shown next to the name.
    a.get("/settings/profile").await.has("name=\"avatar\"");
    let r = a
        .submit_files(
            "/settings/profile",
            &[("display_name", "Painter"), ("note", "")],
            vec![
                ("avatar", "me.png", png(40, 40)),
                ("header", "h.jpg", jpeg(60, 20)),
            ],
        )
        .await;
    assert_eq!(r.location(), "/settings/profile");
    let api = s
        .get("/api/v1/accounts/lookup?acct=painter", None)
        .await
        .ok();
    let avatar = api["avatar"].as_str().unwrap().to_string();
    assert!(avatar.contains("/media/"), "{avatar}");
    assert!(api["header"].as_str().unwrap().contains("/media/"));
    a.get(&permalink).await.has(&format!("src=\"{avatar}\""));
    // A followers-only post's pictures are not in the public page for strangers.
    a.get("/home").await;
    a.submit_files(
        "/statuses",
        &[
            ("text", "friends only"),
            ("visibility", "private"),
            ("back", "/home"),
        ],
        vec![("media1", "p.png", png(9, 9))],
    )
    .await;
    let mine = a.get("/home").await;
    mine.has("/media/p/");
    let mut stranger = Browser::new(&s.base);
    stranger.get("/@painter").await.lacks("/media/p/");
}

#[tokio::test]
async fn retention_purge_removes_kept_copies_of_files() {
    use crate::support::{eventually, follow_across, id_of, policy_all, Regions};
    use roost_residency::{Action, DataClass};
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
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let m = upload(ids, &budi, png(16, 16), "a.png").await;
    let pid = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "short-lived picture", "media_ids": [m["id"]]}),
        )
        .await,
    );
    eventually(10, "the file kept in India", || async {
        (!blob_names(&r.data_dir("in")).is_empty()).then_some(())
    })
    .await;
    eventually(15, "the purge of the post and its file", || async {
        (blob_names(&r.data_dir("in")).is_empty() && !ins.home_ids(&asha).await.contains(&pid))
            .then_some(())
    })
    .await;
    // Still at home, with its file.
    assert!(!blob_names(&r.data_dir("id")).is_empty());
    r.stop_all().await;
}
