//! A user deletes their account and every region forgets them (issue 15): Budi (home
//! `id`) has a profile, a post with a described picture and a reply to a post in `cn`;
//! Asha (`in`) and Chen (`cn`) follow him under `store`, Asha likes and bookmarks his
//! post, Chen replies to it. He deletes his account through the API. Afterwards: his
//! token is refused, his handle is gone in every region and cannot be taken again, no
//! region's files hold any of his markers, `in` and `cn` acknowledged (the erasure
//! record, and the home ledger's entries for each, matched by the audit), no row of any
//! region names him, and the audit is clean. Each marker is first found on its region's
//! disk, so the checks can fail.

use crate::erasure::{all_kept, no_marker_left};
use crate::media::{blob_names, png, upload_to};
use crate::moderation::staff_token;
use crate::regions::{audit, db};
use crate::support::*;
use roost_core::model::Role;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Rows in `code`'s store that name the account, table by table (only the non-empty).
pub(crate) async fn rows_naming(r: &Regions, code: &str, id: &str) -> Vec<String> {
    let db = db(r, code).await;
    let id: i64 = id.parse().unwrap();
    let mut out = Vec::new();
    for (table, col) in [
        ("accounts", "id"),
        ("users", "account_id"),
        ("tokens", "account_id"),
        ("statuses", "account_id"),
        ("media", "account_id"),
        ("follows", "follower_id"),
        ("follows", "target_id"),
        ("favourites", "account_id"),
        ("bookmarks", "account_id"),
        ("notifications", "account_id"),
        ("notifications", "from_account_id"),
        ("status_mentions", "account_id"),
        ("blocks", "target_id"),
        ("mutes", "target_id"),
        ("list_accounts", "account_id"),
        ("foreign_items", "subject"),
    ] {
        let n = db
            .i64(
                &format!("SELECT COUNT(*) FROM {table} WHERE {col} = $1"),
                &[crate::backend::Val::I(id)],
            )
            .await;
        if n > 0 {
            out.push(format!("{table}.{col}: {n}"));
        }
    }
    out
}

#[tokio::test]
async fn deleting_an_account_erases_it_in_every_region_with_signed_acknowledgements() {
    const POST: &str = "ZQX-erase-post-1181";
    const ALT: &str = "ZQX-erase-alt-2273";
    const NAME: &str = "ZQX-erase-name-3389";
    const NOTE: &str = "ZQX-erase-note-4451";
    const REPLY: &str = "ZQX-erase-reply-5563";
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids, cns) = (r.get("in"), r.get("id"), r.get("cn"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = cns.register("chen").await;
    let ops = ids.register("ops").await;
    let ops_token = staff_token(ids, &ops, Role::Admin).await;

    let form = reqwest::multipart::Form::new()
        .text("display_name", NAME)
        .text("note", NOTE);
    ids.send(
        ids.http
            .patch(ids.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&budi.token)
            .multipart(form),
    )
    .await
    .expect(200);
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "cn", &chen, "id", &budi).await;
    follow_across(&r, "id", &budi, "cn", &chen).await;

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
    let pid = id_of(
        &ids.post_status(&budi, json!({"status": POST, "media_ids": [m["id"]]}))
            .await,
    );
    let chens = id_of(&cns.post_status(&chen, json!({"status": "chen asks"})).await);
    eventually(10, "Chen's post in id", || async {
        ids.home_ids(&budi).await.contains(&chens).then_some(())
    })
    .await;
    let reply = id_of(
        &ids.post_status(&budi, json!({"status": REPLY, "in_reply_to_id": chens}))
            .await,
    );
    for (s, u) in [(ins, &asha), (cns, &chen)] {
        eventually(10, "Budi's post abroad", || async {
            s.home_ids(u).await.contains(&pid).then_some(())
        })
        .await;
    }
    eventually(10, "Budi's reply in cn", || async {
        let st = cns
            .get(&format!("/api/v1/statuses/{reply}"), Some(&chen.token))
            .await;
        (st.status == 200).then_some(())
    })
    .await;
    for action in ["favourite", "bookmark"] {
        ins.post(
            &format!("/api/v1/statuses/{pid}/{action}"),
            Some(&asha.token),
            json!({}),
        )
        .await
        .expect(200);
    }
    let chens_reply = id_of(
        &cns.post_status(
            &chen,
            json!({"status": "chen answers", "in_reply_to_id": pid}),
        )
        .await,
    );
    eventually(10, "Chen's reply at id", || async {
        let st = ids
            .get(
                &format!("/api/v1/statuses/{chens_reply}"),
                Some(&budi.token),
            )
            .await;
        (st.status == 200).then_some(())
    })
    .await;
    all_kept(&r, "id", &[POST, ALT, NAME, NOTE, REPLY]).await;
    all_kept(&r, "in", &[POST, ALT, NAME, NOTE]).await;
    all_kept(&r, "cn", &[POST, ALT, NAME, NOTE, REPLY]).await;
    assert!(
        !blob_names(&r.data_dir("in")).is_empty(),
        "in keeps the picture"
    );

    // Bad input changes nothing.
    let delete = "/api/roost/v1/accounts/delete";
    let e = ids
        .post(
            delete,
            Some(&budi.token),
            json!({"password": "wrong horse battery"}),
        )
        .await
        .error(403);
    assert!(e.contains("password"), "{e}");
    ids.post(delete, Some(&budi.token), json!({}))
        .await
        .error(422);
    let read_only = ids.scoped_token(&budi, "read").await;
    ids.post(delete, Some(&read_only), json!({"password": PASSWORD}))
        .await
        .error(403);
    ids.post(delete, None, json!({"password": PASSWORD}))
        .await
        .error(401);
    ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .expect(200);
    all_kept(&r, "in", &[POST, NAME]).await;

    let record = ids
        .post(delete, Some(&budi.token), json!({"password": PASSWORD}))
        .await
        .expect(200);
    assert_eq!(record["account_id"], budi.id.as_str());
    let told: Vec<&str> = record["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(told, ["cn", "in"], "{record}");

    // At home: the token, the handle, the account are gone, and the handle stays taken.
    ids.get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .error(401);
    ids.get("/api/v1/accounts/lookup?acct=budi", None)
        .await
        .error(404);
    ids.get(&format!("/api/v1/accounts/{}", budi.id), None)
        .await
        .error(404);
    let app = ids.app_token("write").await;
    let again = ids
        .post(
            "/api/v1/accounts",
            Some(&app),
            json!({"username": "budi", "email": "other@example.org", "password": PASSWORD, "agreement": true}),
        )
        .await
        .error(422);
    assert!(again.contains("taken"), "{again}");

    // Every told region acknowledged; the home ledger holds each acknowledgement.
    let path = format!("/api/roost/v1/admin/erasures/{}", budi.id);
    let done = eventually(20, "both acknowledgements", || async {
        let e = ids.get(&path, Some(&ops_token)).await.ok();
        (e["complete"] == true).then_some(e)
    })
    .await;
    for region in done["regions"].as_array().unwrap() {
        let index = region["ledger_index"].as_u64().expect("ledgered");
        let entry = ids
            .get(&format!("/api/roost/v1/ledger/entries/{index}"), None)
            .await
            .ok();
        let entry = &entry["entry"];
        assert_eq!(entry["direction"], "stored");
        assert_eq!(entry["object"], format!("erasure:{}", budi.id));
        assert_eq!(entry["counterpart"], region["region"]);
        assert_eq!(entry["subject"], budi.id.as_str());
    }
    let listed = ids
        .get("/api/roost/v1/admin/erasures", Some(&ops_token))
        .await
        .ok();
    assert_eq!(listed[0]["account_id"], budi.id.as_str());
    ids.get("/api/roost/v1/admin/erasures", Some(&budi.token))
        .await
        .error(401);

    // Abroad: his handle is gone, and so is what named him.
    for (code, s, u) in [("in", ins, &asha), ("cn", cns, &chen)] {
        s.get(
            &format!("/api/v1/accounts/lookup?acct={}", r.handle("id", "budi")),
            Some(&u.token),
        )
        .await
        .error(404);
        s.get(&format!("/api/v1/statuses/{pid}"), Some(&u.token))
            .await
            .error(404);
        assert!(!s.home_ids(u).await.contains(&pid), "{code}");
    }
    cns.get(&format!("/api/v1/statuses/{reply}"), Some(&chen.token))
        .await
        .error(404);
    // Chen's own reply stays his.
    cns.get(
        &format!("/api/v1/statuses/{chens_reply}"),
        Some(&chen.token),
    )
    .await
    .expect(200);
    let asha_bookmarks = ins.get("/api/v1/bookmarks", Some(&asha.token)).await.ok();
    assert_eq!(asha_bookmarks, json!([]));

    // No readable byte of his in any region's files; no file of his left.
    for code in REGION_CODES {
        no_marker_left(&r, code, &[POST, ALT, NAME, NOTE, REPLY]).await;
        assert_eq!(
            rows_naming(&r, code, &budi.id).await,
            Vec::<String>::new(),
            "{code}"
        );
    }
    assert!(blob_names(&r.data_dir("id")).is_empty(), "id's files");
    assert!(blob_names(&r.data_dir("in")).is_empty(), "in's files");
    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());

    // A row left naming him anywhere is reported: planted at India, a block of him by
    // Asha (a block names its target without a foreign key).
    let raw = db(&r, "in").await;
    raw.exec(
        "INSERT INTO blocks (id, account_id, target_id, created_at) VALUES ($1, $2, $3, 0)",
        &[
            crate::backend::Val::I(4242),
            crate::backend::Val::I(asha.id.parse().unwrap()),
            crate::backend::Val::I(budi.id.parse().unwrap()),
        ],
    )
    .await;
    raw.close().await;
    let rep = audit(&r).await;
    assert!(
        rep.violations.iter().any(|v| v.region == "in"
            && v.kind == roost_residency::audit::ViolationKind::ErasedButNamed
            && v.detail.contains("blocks.target_id")
            && v.detail.contains(&budi.id)),
        "{}",
        rep.render()
    );
    r.stop_all().await;
}

#[tokio::test]
async fn the_settings_page_deletes_the_account_with_the_password() {
    use crate::web_pages::Browser;
    use reqwest::StatusCode;
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("leaver").await;
    a.get("/settings/profile")
        .await
        .has("action=\"/settings/delete\"")
        .has("Delete account");
    // Without the CSRF token, or with a wrong password: nothing changes.
    let p = a
        .submit_raw("/settings/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = a
        .submit("/settings/delete", &[("password", "wrong horse battery")])
        .await;
    assert_eq!(p.location(), "/settings/profile");
    a.get("/settings/profile")
        .await
        .has("role=\"alert\"")
        .has("Invalid password");
    s.get("/api/v1/accounts/lookup?acct=leaver", None)
        .await
        .expect(200);
    let p = a
        .submit("/settings/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/");
    s.get("/api/v1/accounts/lookup?acct=leaver", None)
        .await
        .error(404);
    // Signed out: the session went with the account.
    let home = a.get("/home").await;
    assert_ne!(home.status, StatusCode::OK, "{}", home.body);
    s.stop().await;
}

#[tokio::test]
async fn roost_admin_delete_account_erases_and_lists_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
            c.env_remove(k);
        }
        let out = c
            .arg("admin")
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (ok, _) = run(&[
        "create-account",
        "--username",
        "yara",
        "--email",
        "yara@example.org",
        "--password",
        PASSWORD,
    ]);
    assert!(ok);
    let (ok, out) = run(&["delete-account", "yara"]);
    assert!(ok, "{out}");
    assert!(out.contains("erased yara"), "{out}");
    assert!(out.contains("no other region"), "{out}");
    let (ok, _) = run(&["delete-account", "yara"]);
    assert!(!ok, "an erased account is gone");
    let (ok, out) = run(&["erasures"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "{out}");
    let (ok, _) = run(&[
        "create-account",
        "--username",
        "Yara",
        "--email",
        "yara2@example.org",
        "--password",
        PASSWORD,
    ]);
    assert!(!ok, "the handle stays taken");
    let s = TestServer::start_in(dir, |_| {}).await;
    s.get("/api/v1/accounts/lookup?acct=yara", None)
        .await
        .error(404);
    s.stop().await;
}

/// The password check is a sign-in's: a stolen token cannot guess the password by
/// trying deletions, which share the sign-in budget of the name.
#[tokio::test]
async fn password_guesses_through_deletion_are_limited() {
    let s = TestServer::start().await;
    let eve = s.register("eve").await;
    let delete = "/api/roost/v1/accounts/delete";
    let mut refused = 0;
    for n in 0..10 {
        let r = s
            .post(
                delete,
                Some(&eve.token),
                json!({"password": format!("guess {n}")}),
            )
            .await;
        match r.status.as_u16() {
            403 => {}
            429 => {
                refused += 1;
                break;
            }
            other => panic!("guess {n}: {other} {}", r.body),
        }
    }
    let r = s
        .post(delete, Some(&eve.token), json!({"password": PASSWORD}))
        .await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.body);
    assert!(r.body["error"].is_string());
    assert!(refused <= 1);
    s.get("/api/v1/accounts/verify_credentials", Some(&eve.token))
        .await
        .expect(200);
}
