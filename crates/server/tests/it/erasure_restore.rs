//! An erasure abroad survives a restore: Budi (home `id`) is followed and followed back,
//! liked and reblogged from Asha's region `in`; `in` takes a backup; Budi deletes his
//! account and `in` acknowledges. `in` is then stopped and restored from the backup made
//! before the erasure: it must hold no row of Budi afterwards (read in its database
//! directly), the restore must say it erased him again, and the audit stays clean. A late
//! redelivery of his follow or his post brings nothing of him back either.

use crate::backup::{made_file, roost_bg, s};
use crate::erase_account::rows_naming;
use crate::moderation::staff_token;
use crate::regions::{audit, db};
use crate::rogue::{base, mint, Rogue};
use crate::support::*;
use roost_core::model::Role;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_restore_from_before_an_erasure_abroad_brings_back_nothing_of_the_erased_user() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let cluster_file = r.root.path().join("cluster.toml");
    std::fs::write(&cluster_file, r.cluster.to_toml()).unwrap();
    let (asha, budi) = r.asha_and_budi().await;
    let ops = r.get("id").register("ops").await;
    let ops_token = staff_token(r.get("id"), &ops, Role::Admin).await;

    // What `in` holds of Budi: his account, follows both ways, his like and his reblog
    // of Asha's post. None of it is sealed with his key, so only a record of the
    // erasure can tell a restore to drop it.
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let post = post_across(&r, "in", &asha, "asha writes", "id", &budi).await;
    for action in ["favourite", "reblog"] {
        r.get("id")
            .post(
                &format!("/api/v1/statuses/{post}/{action}"),
                Some(&budi.token),
                json!({}),
            )
            .await
            .expect(200);
    }
    let held = eventually(10, "Budi's like and reblog in in", || async {
        let rows = rows_naming(&r, "in", &budi.id).await;
        let has = |t: &str| rows.iter().any(|x| x.starts_with(t));
        (has("favourites.account_id") && has("statuses.account_id")).then_some(rows)
    })
    .await;
    for t in ["accounts.id", "follows.follower_id", "follows.target_id"] {
        assert!(held.iter().any(|x| x.starts_with(t)), "{t}: {held:?}");
    }

    // The backup, taken while `in` runs.
    let url_args: Vec<String> = match r.databases().get("in") {
        Some(url) => vec!["--database-url".into(), url.clone()],
        None => Vec::new(),
    };
    let to = r.data_dir("in").join("backups");
    let mut args = vec![
        "backup",
        "--cluster",
        s(&cluster_file),
        "--region",
        "in",
        "--to",
        s(&to),
    ];
    args.extend(url_args.iter().map(String::as_str));
    let (ok, out) = roost_bg(&args).await;
    assert!(ok, "{out}");
    let file = made_file(&out);

    // Budi leaves; `in` forgets him and says so with its signed answer.
    r.get("id")
        .post(
            "/api/roost/v1/accounts/delete",
            Some(&budi.token),
            json!({"password": PASSWORD}),
        )
        .await
        .expect(200);
    let erasure = format!("/api/roost/v1/admin/erasures/{}", budi.id);
    eventually(20, "in's acknowledgement", || async {
        let e = r.get("id").get(&erasure, Some(&ops_token)).await.ok();
        let told = e["regions"].as_array()?;
        told.iter()
            .any(|t| t["region"] == "in" && t["acknowledged_at"].is_string())
            .then_some(())
    })
    .await;
    assert_eq!(rows_naming(&r, "in", &budi.id).await, Vec::<String>::new());
    eventually(10, "a clean audit after the erasure", || async {
        audit(&r).await.is_clean().then_some(())
    })
    .await;

    // `in` goes back to the backup made before the erasure.
    r.stop("in").await;
    let mut args = vec![
        "restore",
        "--cluster",
        s(&cluster_file),
        "--region",
        "in",
        "--from",
        s(&file),
    ];
    args.extend(url_args.iter().map(String::as_str));
    let (ok, out) = roost_bg(&args).await;
    assert!(ok, "{out}");
    // Nothing of him in the restored database, read before the region starts.
    assert_eq!(
        rows_naming(&r, "in", &budi.id).await,
        Vec::<String>::new(),
        "{out}"
    );
    assert!(out.contains(&format!("erased again: {}", budi.id)), "{out}");
    let d = db(&r, "in").await;
    let budi_id = crate::backend::Val::I(budi.id.parse().unwrap());
    assert_eq!(
        d.i64(
            "SELECT COUNT(*) FROM foreign_erasures WHERE account_id = $1",
            std::slice::from_ref(&budi_id)
        )
        .await,
        1,
        "the record of the erasure is the live one"
    );
    d.close().await;

    r.restart("in").await;
    let ins = r.get("in");
    let st = ins
        .get(&format!("/api/v1/statuses/{post}"), Some(&asha.token))
        .await
        .ok();
    assert_eq!(st["favourites_count"], 0, "{st}");
    assert_eq!(st["reblogs_count"], 0, "{st}");
    let me = ins
        .get("/api/v1/accounts/verify_credentials", Some(&asha.token))
        .await
        .ok();
    assert_eq!(
        (&me["followers_count"], &me["following_count"]),
        (&json!(0), &json!(0)),
        "{me}"
    );
    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());

    // A late redelivery from his home of his follow and of a post of his: answered (so
    // that `id` does not retry it), and nothing of him is kept.
    let home = Rogue::of(&r, "id");
    let asha_uri = format!("{}/ap/users/{}", base(&r, "in"), asha.id);
    let follow = home.activity(&r, "Follow", &budi.id, "budi", "id", json!(asha_uri));
    home.deliver(&r, "in", &follow).await.expect(202);
    let late = mint(&r, "id").to_string();
    let note = home.note(&late, &budi.id, "budi again", "<p>budi again</p>");
    let create = home.activity(&r, "Create", &budi.id, "budi", "id", note);
    home.deliver(&r, "in", &create).await.expect(202);
    let ins = r.get("in");
    ins.get(&format!("/api/v1/statuses/{late}"), Some(&asha.token))
        .await
        .error(404);
    assert_eq!(rows_naming(&r, "in", &budi.id).await, Vec::<String>::new());
    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());
    r.stop_all().await;
}
