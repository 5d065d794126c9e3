//! Custom emoji: added by an admin (the command's function on a running server, and the
//! real `roost admin emoji` binary on a data dir), listed at `/api/v1/custom_emojis`,
//! served as public files, named in local statuses' and accounts' `emojis`, drawn as
//! escaped `<img>` on the pages; bad input refused with clear errors; removal removes
//! the file once nothing names it.

use crate::support::TestServer;
use roost_core::usecase::{EmojiError, NewEmoji};
use roost_server::emoji_cmd::{self, EmojiTask};
use serde_json::{json, Value};
use std::io::Cursor;

fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 9) as u8 ^ seed, (y * 7) as u8, seed, 200])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Noise compresses badly: a PNG well over 256 KiB.
fn big_png() -> Vec<u8> {
    let mut x: u32 = 12345;
    let img = image::RgbaImage::from_fn(400, 400, |_, _| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        image::Rgba(x.to_be_bytes())
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8, y as u8, 9]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap().to_string())
        .collect()
}

fn blob_path(s: &TestServer, url: &str) -> std::path::PathBuf {
    let file = url.rsplit('/').next().unwrap();
    let hash = file.split('.').next().unwrap();
    s.dir
        .path()
        .join("data/media")
        .join(&hash[0..2])
        .join(&hash[2..4])
        .join(hash)
}

#[tokio::test]
async fn admins_add_emoji_clients_see_them_and_removal_cleans_up() {
    let s = TestServer::start().await;
    let roost = s.running.as_ref().unwrap().roost.clone();
    assert_eq!(s.get("/api/v1/custom_emojis", None).await.ok(), json!([]));

    // The command's function, on the running server's use cases.
    let file = s.dir.path().join("blobcat.png");
    std::fs::write(&file, png(32, 32, 1)).unwrap();
    let out = emoji_cmd::run(
        &roost,
        EmojiTask::Add {
            shortcode: "blobcat".into(),
            file: file.clone(),
            category: Some("Blobs".into()),
            hidden: false,
        },
    )
    .await
    .unwrap();
    assert!(out.starts_with(":blobcat: added"), "{out}");
    let hidden = roost
        .add_emoji(NewEmoji {
            shortcode: "secret_1".into(),
            bytes: png(20, 20, 2),
            category: None,
            visible_in_picker: false,
        })
        .await
        .unwrap();
    assert!(!hidden.visible_in_picker);

    // Listed (hidden ones left out of pickers, as Mastodon), no token needed.
    let list = s.get("/api/v1/custom_emojis", None).await.ok();
    assert_eq!(codes(&list), vec!["blobcat"]);
    let e = &list[0];
    assert_eq!(e["category"], "Blobs");
    assert_eq!(e["visible_in_picker"], true);
    let url = e["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/media/", s.base)), "{url}");
    assert!(url.ends_with(".png"), "{url}");
    assert_eq!(e["static_url"], e["url"]);

    // The file is served as a PNG of the picture added.
    let resp = s.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (32, 32));
    assert!(blob_path(&s, &url).exists());

    // A local status names the known emoji it uses (hidden ones too), not unknown ones;
    // its content stays text.
    let alice = s.register("alice").await;
    let st = s
        .post_status(
            &alice,
            json!({"status": "hi :blobcat: :unknown_x: :blobcat:", "spoiler_text": "cw :secret_1:"}),
        )
        .await;
    assert_eq!(codes(&st["emojis"]), vec!["blobcat", "secret_1"]);
    assert_eq!(st["emojis"][0]["url"], url.as_str());
    assert!(st["content"].as_str().unwrap().contains(":blobcat:"));
    assert!(!st["content"].as_str().unwrap().contains("<img"));
    let id = st["id"].as_str().unwrap().to_string();
    let again = s
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(codes(&again["emojis"]), vec!["blobcat", "secret_1"]);
    let plain = s
        .post_status(&alice, json!({"status": "no emoji: here :unknown_x:"}))
        .await;
    assert_eq!(plain["emojis"], json!([]));

    // An account's display name and note.
    let me = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"display_name": "Alice <b> :blobcat:", "note": "likes :secret_1:"}),
        )
        .await
        .ok();
    assert_eq!(codes(&me["emojis"]), vec!["blobcat", "secret_1"]);
    let acct = s
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await
        .ok();
    assert_eq!(codes(&acct["emojis"]), vec!["blobcat", "secret_1"]);

    // The page draws them as escaped images; everything else stays escaped text.
    let tricky = s
        .post_status(
            &alice,
            json!({"status": "<script>x</script>:blobcat: :unknown_x:"}),
        )
        .await;
    let page = s
        .get(&format!("/@alice/{}", tricky["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().unwrap().to_string();
    let img = format!(
        r#"<img class="emoji" alt=":blobcat:" title=":blobcat:" src="{url}" draggable="false">"#
    );
    assert!(
        html.contains(&format!("&lt;script&gt;x&lt;/script&gt;{img}")),
        "{html}"
    );
    assert!(html.contains(":unknown_x:"), "{html}");
    assert!(!html.contains("<script>x"), "{html}");
    assert!(
        html.contains(&format!(
            r#"<span class="name">Alice &lt;b&gt; {img}</span>"#
        )),
        "{html}"
    );

    // Bad input: refused, clearly, and nothing changes.
    let add = |code: &str, bytes: Vec<u8>| {
        let roost = roost.clone();
        let code = code.to_string();
        async move {
            roost
                .add_emoji(NewEmoji {
                    shortcode: code,
                    bytes,
                    category: None,
                    visible_in_picker: true,
                })
                .await
        }
    };
    for bad in ["a", "bad-code", "naïve", "with space", ":colons:", ""] {
        let e = add(bad, png(8, 8, 3)).await.unwrap_err();
        assert!(matches!(e, EmojiError::BadShortcode(_)), "{bad}: {e:?}");
        assert!(e.to_string().contains("is not valid"), "{e}");
    }
    let e = add("photo", jpeg()).await.unwrap_err();
    assert!(matches!(e, EmojiError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("image/jpeg"), "{e}");
    let e = add("text", b"just some text".to_vec()).await.unwrap_err();
    assert!(matches!(e, EmojiError::Unsupported(_)), "{e:?}");
    let big = big_png();
    assert!(big.len() > 256 * 1024);
    let e = add("huge", big).await.unwrap_err();
    assert!(matches!(e, EmojiError::TooLarge), "{e:?}");
    assert!(e.to_string().contains("262144 bytes"), "{e}");
    let e = add("blobcat", png(8, 8, 4)).await.unwrap_err();
    assert!(matches!(e, EmojiError::Taken(_)), "{e:?}");
    assert_eq!(e.to_string(), "an emoji :blobcat: already exists");
    let e = add("broken", b"\x89PNG\r\n\x1a\nnot really".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(e, EmojiError::BadFile(_)), "{e:?}");
    // Through the command: the same errors, with the cause.
    let err = emoji_cmd::run(
        &roost,
        EmojiTask::Add {
            shortcode: "x".into(),
            file: file.clone(),
            category: None,
            hidden: false,
        },
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("is not valid"), "{err:#}");
    let err = emoji_cmd::run(
        &roost,
        EmojiTask::Remove {
            shortcode: "nothing_here".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("no emoji :nothing_here:"),
        "{err:#}"
    );
    let mut stored: Vec<String> = roost
        .stored_emojis()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.shortcode)
        .collect();
    stored.sort();
    assert_eq!(stored, vec!["blobcat", "secret_1"]);
    let listed = emoji_cmd::run(&roost, EmojiTask::List).await.unwrap();
    assert!(
        listed.contains(":blobcat:\t") && listed.contains("\thidden"),
        "{listed}"
    );

    // Two emoji on one picture: the file stays while either names it.
    std::fs::write(&file, png(24, 24, 5)).unwrap();
    for code in ["twin_a", "twin_b"] {
        emoji_cmd::run(
            &roost,
            EmojiTask::Add {
                shortcode: code.into(),
                file: file.clone(),
                category: None,
                hidden: false,
            },
        )
        .await
        .unwrap();
    }
    let list = s.get("/api/v1/custom_emojis", None).await.ok();
    assert_eq!(codes(&list), vec!["blobcat", "twin_a", "twin_b"]);
    let twin_url = list[1]["url"].as_str().unwrap().to_string();
    assert_eq!(list[2]["url"], twin_url.as_str());
    roost.remove_emoji("twin_a").await.unwrap();
    assert_eq!(s.http.get(&twin_url).send().await.unwrap().status(), 200);
    roost.remove_emoji("twin_b").await.unwrap();
    assert_eq!(s.http.get(&twin_url).send().await.unwrap().status(), 404);
    assert!(!blob_path(&s, &twin_url).exists());

    // Removal: unlisted, no longer named, the file gone.
    let out = emoji_cmd::run(
        &roost,
        EmojiTask::Remove {
            shortcode: "blobcat".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(out, ":blobcat: removed");
    assert_eq!(
        codes(&s.get("/api/v1/custom_emojis", None).await.ok()),
        Vec::<String>::new()
    );
    assert_eq!(s.http.get(&url).send().await.unwrap().status(), 404);
    assert!(!blob_path(&s, &url).exists());
    let later = s
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await
        .ok();
    assert_eq!(codes(&later["emojis"]), vec!["secret_1"]);
    let page = s
        .get(&format!("/@alice/{}", tricky["id"].as_str().unwrap()), None)
        .await;
    assert!(!page.body.as_str().unwrap().contains("<img class=\"emoji\""));
}

/// The real binary on a data dir; a server started on it loads the emoji at once, and
/// Mastodon.py reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roost_admin_emoji_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("party.png");
    std::fs::write(&file, png(16, 16, 7)).unwrap();
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
            c.env_remove(k);
        }
        c.arg("admin")
            .arg("--data-dir")
            .arg(&data)
            .arg("emoji")
            .args(args)
            .output()
            .unwrap()
    };
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let f = file.to_str().unwrap();
    let out = run(&["add", "party_parrot", f, "--category", "Birds"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["add", "quiet", f, "--hidden"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["add", "party_parrot", f]);
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"), "{}", text(&out));
    let out = run(&["add", "x", f]);
    assert!(!out.status.success());
    assert!(text(&out).contains("is not valid"), "{}", text(&out));
    let out = run(&["add", "gone", "/nonexistent/file.png"]);
    assert!(!out.status.success());
    let out = run(&["add", "scratch", f]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["remove", "scratch"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listed.contains(":party_parrot:\t"), "{listed}");
    assert!(listed.contains("\tBirds\tlisted"), "{listed}");
    assert!(listed.contains(":quiet:\t"), "{listed}");
    assert!(!listed.contains("scratch"), "{listed}");

    let s = TestServer::start_in(dir, |_| {}).await;
    let list = s.get("/api/v1/custom_emojis", None).await.ok();
    assert_eq!(codes(&list), vec!["party_parrot"]);
    assert_eq!(list[0]["category"], "Birds");
    let url = list[0]["url"].as_str().unwrap();
    // Served at the server's own address (the command did not know it).
    assert!(url.starts_with(&format!("{}/media/", s.base)), "{url}");
    let resp = s.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");

    if let Some(py) = crate::mastodon_py::python_or_skip("emoji test") {
        let envs = vec![("ROOST_URL", s.base.clone())];
        crate::mastodon_py::pytest(py, "test_mastodon_py_emoji.py", envs, "1 passed").await;
    }
}
