//! Three regions in one cluster: cross-region use through the Mastodon API, the policy
//! gate, the transfer ledger and its proofs, the outbox across downtime, and the audit.

use crate::backend::Val;
use crate::support::*;
use roost_residency::{merkle, Action, DataClass, SignedTreeHead};
use serde_json::{json, Value};

async fn notification_types(s: &TestServer, user: &User) -> Vec<String> {
    let n = s.get("/api/v1/notifications", Some(&user.token)).await.ok();
    n.as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn cross_region_follow_post_reply_quote_reblog_favourite_and_views() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;

    follow_across(&r, "in", &asha, "id", &budi).await;
    // Budi's region told him, and counts the follower.
    eventually(10, "follow notification at id", || async {
        notification_types(ids, &budi)
            .await
            .contains(&"follow".to_string())
            .then_some(())
    })
    .await;
    let me = ids
        .get(&format!("/api/v1/accounts/{}", budi.id), None)
        .await
        .ok();
    assert_eq!(me["followers_count"], 1);

    // Budi posts at home; it reaches Asha's home timeline in her region.
    let post = ids
        .post_status(
            &budi,
            json!({"status": "Selamat pagi dari Jakarta #roost 早上好"}),
        )
        .await;
    let pid = id_of(&post);
    eventually(10, "the post in asha's home timeline", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    let seen = ins
        .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
        .await
        .ok();
    assert_eq!(seen["account"]["acct"], r.handle("id", "budi"));
    assert!(seen["content"].as_str().unwrap().contains("Jakarta"));
    assert_eq!(seen["tags"][0]["name"], "roost");

    // Reply (mentioning him), quote, reblog and favourite from India.
    let reply = ins
        .post_status(&asha, json!({"status": format!("@{} namaste!", r.handle("id", "budi")), "in_reply_to_id": pid}))
        .await;
    let quote = ins
        .post_status(
            &asha,
            json!({"status": "Worth reading", "quoted_status_id": pid}),
        )
        .await;
    ins.post(
        &format!("/api/v1/statuses/{pid}/reblog"),
        Some(&asha.token),
        json!({}),
    )
    .await
    .ok();
    ins.post(
        &format!("/api/v1/statuses/{pid}/favourite"),
        Some(&asha.token),
        json!({}),
    )
    .await
    .ok();

    let want = ["mention", "quote", "reblog", "favourite"];
    eventually(15, "notifications for each cross-region act", || async {
        let t = notification_types(ids, &budi).await;
        eprintln!("notifications at id so far: {t:?}");
        want.iter()
            .all(|w| t.contains(&w.to_string()))
            .then_some(())
    })
    .await;
    // The reply sits in the thread at the post's home.
    let ctx = ids
        .get(
            &format!("/api/v1/statuses/{pid}/context"),
            Some(&budi.token),
        )
        .await
        .ok();
    assert!(ids_of_list(&ctx["descendants"]).contains(&id_of(&reply)));
    let at_home = ids
        .get(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
        .await
        .ok();
    assert_eq!(at_home["favourites_count"], 1);
    assert_eq!(at_home["reblogs_count"], 1);
    let q = ids
        .get(
            &format!("/api/v1/statuses/{}", id_of(&quote)),
            Some(&budi.token),
        )
        .await
        .ok();
    assert_eq!(q["quote"]["state"], "accepted");

    // Views read in India are counted at the post's home.
    let before = at_home["roost"]["views_total"].as_i64().unwrap();
    for _ in 0..3 {
        ins.get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await
            .ok();
    }
    eventually(15, "views counted at home", || async {
        let v = ids
            .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&budi.token))
            .await
            .ok();
        (v[0]["roost"]["views_total"].as_i64().unwrap() >= before + 3).then_some(())
    })
    .await;

    // Budi deletes the post: gone in India too.
    ids.delete(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
        .await
        .ok();
    eventually(10, "the deletion to reach in", || async {
        (ins.get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await
            .status
            == 404)
            .then_some(())
    })
    .await;
    r.stop_all().await;
}

fn ids_of_list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_locked_account_in_another_region_gets_a_follow_request() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    ids.patch(
        "/api/v1/accounts/update_credentials",
        Some(&budi.token),
        json!({"locked": true}),
    )
    .await
    .ok();
    let acct = ins.lookup(&asha, &r.handle("id", "budi")).await;
    let bid = acct["id"].as_str().unwrap();
    let rel = ins
        .post(
            &format!("/api/v1/accounts/{bid}/follow"),
            Some(&asha.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(rel["requested"], true);
    let reqs = eventually(10, "the request at id", || async {
        let v = ids
            .get("/api/v1/follow_requests", Some(&budi.token))
            .await
            .ok();
        (!v.as_array().unwrap().is_empty()).then_some(v)
    })
    .await;
    assert_eq!(reqs[0]["id"], asha.id);
    assert_eq!(reqs[0]["acct"], r.handle("in", "asha"));
    ids.post(
        &format!("/api/v1/follow_requests/{}/authorize", asha.id),
        Some(&budi.token),
        json!({}),
    )
    .await
    .ok();
    eventually(10, "the follow accepted in in", || async {
        let rel = ins
            .get(
                &format!("/api/v1/accounts/relationships?id[]={bid}"),
                Some(&asha.token),
            )
            .await
            .ok();
        (rel[0]["following"] == true).then_some(())
    })
    .await;
    r.stop_all().await;
}

#[tokio::test]
async fn denied_crossings_get_an_error_naming_the_policy() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "in" {
            let mut to_id = std::collections::BTreeMap::new();
            to_id.insert(DataClass::SocialGraph, Action::Deny);
            to_id.insert(DataClass::PublicContent, Action::Deny);
            to_id.insert(DataClass::Engagement, Action::Deny);
            p.to.insert("id".into(), to_id);
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let acct = ins.lookup(&asha, &r.handle("id", "budi")).await;
    let bid = acct["id"].as_str().unwrap();
    let e = ins
        .post(
            &format!("/api/v1/accounts/{bid}/follow"),
            Some(&asha.token),
            json!({}),
        )
        .await
        .error(403);
    assert!(e.contains("in -> id social_graph: deny"), "{e}");
    // Nothing of Asha's may go to id: a mention would send her post there.
    let e = ins
        .post_status_raw(
            &asha,
            json!({"status": format!("@{} hi", r.handle("id", "budi"))}),
        )
        .await
        .error(403);
    assert!(e.contains("in -> id public_content: deny"), "{e}");
    // Nor may her engagement: favouriting Budi's post is refused, and changes nothing.
    // Budi's policy lets his posts reach India: one mentioning Asha is delivered there.
    let text = format!("halo @{} #indonesia", r.handle("in", "asha"));
    let bp = id_of(&ids.post_status(&budi, json!({"status": text})).await);
    let e = eventually(10, "budi's post in india", || async {
        let r = ins
            .post(
                &format!("/api/v1/statuses/{bp}/favourite"),
                Some(&asha.token),
                json!({}),
            )
            .await;
        (r.status != 404).then_some(r)
    })
    .await
    .error(403);
    assert!(e.contains("in -> id engagement: deny"), "{e}");
    let s = ins
        .get(&format!("/api/v1/statuses/{bp}"), Some(&asha.token))
        .await
        .ok();
    assert_eq!(s["favourited"], false);
    r.stop_all().await;
}

#[tokio::test]
async fn a_transit_post_shows_in_the_home_timeline_but_never_reaches_the_readers_disk() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let text = "transit-only-secret-7f3a 雅加达";
    let post = ids.post_status(&budi, json!({"status": text})).await;
    let pid = id_of(&post);
    // Shown in India, fetched live from Indonesia.
    let home = ins
        .get("/api/v1/timelines/home", Some(&asha.token))
        .await
        .ok();
    let found = home
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == pid.as_str())
        .cloned();
    let found = found.expect("the transit post is in the home timeline");
    assert!(found["content"]
        .as_str()
        .unwrap()
        .contains("transit-only-secret-7f3a"));
    assert_eq!(found["account"]["acct"], r.handle("id", "budi"));
    let one = ins
        .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
        .await
        .ok();
    assert!(one["content"].as_str().unwrap().contains("雅加达"));
    // Give any stray write a chance to land, then search India's files.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let bytes = r.disk_bytes("in").await;
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, "transit-only-secret-7f3a"),
        "transit text found on in's disk"
    );
    assert!(contains(
        &r.disk_bytes("id").await,
        "transit-only-secret-7f3a"
    ));
    // Indonesia's ledger recorded the transfer as transit.
    let head: SignedTreeHead =
        serde_json::from_value(ids.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
    let mut transit_sent = false;
    for i in 0..head.head.tree_size {
        let e = ids
            .get(&format!("/api/roost/v1/ledger/entries/{i}"), None)
            .await
            .ok();
        if e["entry"]["object"] == format!("status:{pid}") && e["entry"]["decision"] == "transit" {
            transit_sent = true;
        }
    }
    assert!(transit_sent, "a sent entry with decision transit");
    r.stop_all().await;
}

#[tokio::test]
async fn ledger_heads_are_signed_and_proofs_verify() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let head1: SignedTreeHead =
        serde_json::from_value(ins.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
    head1
        .verify(&r.cluster.region("in").unwrap().public_keys)
        .expect("head signature");
    assert!(head1.head.tree_size >= 1);
    // More transfers, a bigger tree.
    ins.post_status(&asha, json!({"status": "one"})).await;
    ids.post_status(&budi, json!({"status": "two"})).await;
    ins.post(
        &format!("/api/v1/accounts/{}/unfollow", budi.id),
        Some(&asha.token),
        json!({}),
    )
    .await
    .ok();
    let head2: SignedTreeHead = eventually(10, "the ledger to grow", || async {
        let h: SignedTreeHead =
            serde_json::from_value(ins.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
        (h.head.tree_size > head1.head.tree_size).then_some(h)
    })
    .await;
    for i in 0..head2.head.tree_size {
        let e = ins
            .get(
                &format!(
                    "/api/roost/v1/ledger/entries/{i}?tree_size={}",
                    head2.head.tree_size
                ),
                None,
            )
            .await
            .expect(200);
        let entry: roost_residency::LedgerEntry =
            serde_json::from_value(e["entry"].clone()).unwrap();
        let proof: Vec<merkle::Hash> = hexes(&e["inclusion_proof"]);
        merkle::verify_inclusion(
            &entry.leaf_hash(),
            i,
            head2.head.tree_size,
            &proof,
            &head2.head.root_hash,
        )
        .expect("inclusion proof");
        let mut bad = entry.clone();
        bad.counterpart = "cn".into();
        assert!(merkle::verify_inclusion(
            &bad.leaf_hash(),
            i,
            head2.head.tree_size,
            &proof,
            &head2.head.root_hash
        )
        .is_err());
    }
    let c = ins
        .get(
            &format!(
                "/api/roost/v1/ledger/consistency?first={}&second={}",
                head1.head.tree_size, head2.head.tree_size
            ),
            None,
        )
        .await
        .ok();
    merkle::verify_consistency(
        head1.head.tree_size,
        head2.head.tree_size,
        &head1.head.root_hash,
        &head2.head.root_hash,
        &hexes(&c["consistency_proof"]),
    )
    .expect("consistency proof");
    // Bad input gets an error, not a 500.
    ins.get("/api/roost/v1/ledger/consistency?first=9999&second=1", None)
        .await
        .error(422);
    ins.get("/api/roost/v1/ledger/entries/99999", None)
        .await
        .error(404);
    ins.get("/api/roost/v1/ledger/entries/abc", None)
        .await
        .error(404);
    r.stop_all().await;
}

pub(crate) fn hexes(v: &Value) -> Vec<merkle::Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_outbox_delivers_everything_once_after_a_region_comes_back() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    r.stop("id").await;
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(id_of(
            &r.get("in")
                .post_status(&asha, json!({"status": format!("while you were away {i}")}))
                .await,
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    r.restart("id").await;
    let ids = r.get("id");
    let home = eventually(20, "all posts delivered after the restart", || async {
        let h = ids.home_ids(&budi).await;
        posted.iter().all(|p| h.contains(p)).then_some(h)
    })
    .await;
    // Nothing doubled: each post once.
    for p in &posted {
        assert_eq!(home.iter().filter(|h| *h == p).count(), 1);
    }
    let me = ids
        .get(&format!("/api/v1/accounts/{}", asha.id), Some(&budi.token))
        .await
        .ok();
    assert_eq!(me["statuses_count"].as_i64().unwrap(), 5);
    r.stop_all().await;
}

#[tokio::test]
async fn where_is_my_data_lists_each_region_with_proofs() {
    let r = Regions::start(|_| policy_all("store")).await;
    let ins = r.get("in");
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let me = ins
        .get("/api/roost/v1/residency/me", Some(&asha.token))
        .await
        .ok();
    assert_eq!(me["home_region"], "in");
    let regions = me["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 3);
    let at_id = regions.iter().find(|x| x["region"] == "id").unwrap();
    let classes: Vec<&str> = at_id["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(classes.contains(&"social_graph"), "{at_id}");
    let head: SignedTreeHead = serde_json::from_value(at_id["head"].clone()).unwrap();
    head.verify(&r.cluster.region("id").unwrap().public_keys)
        .unwrap();
    let entries = at_id["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        let entry: roost_residency::LedgerEntry =
            serde_json::from_value(e["entry"].clone()).unwrap();
        assert_eq!(entry.subject.as_deref(), Some(asha.id.as_str()));
        merkle::verify_inclusion(
            &entry.leaf_hash(),
            e["index"].as_u64().unwrap(),
            head.head.tree_size,
            &hexes(&e["inclusion_proof"]),
            &head.head.root_hash,
        )
        .unwrap();
    }
    let at_cn = regions.iter().find(|x| x["region"] == "cn").unwrap();
    assert!(at_cn["items"].as_array().unwrap().is_empty());
    ins.get("/api/roost/v1/residency/me", None).await.error(401);
    r.stop_all().await;
}

#[tokio::test]
async fn retention_purges_foreign_posts_after_their_time() {
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
    let pid = id_of(
        &ids.post_status(&budi, json!({"status": "short-lived"}))
            .await,
    );
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    eventually(15, "the purge", || async {
        (!ins.home_ids(&asha).await.contains(&pid)).then_some(())
    })
    .await;
    // Still at home.
    ids.get(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
        .await
        .ok();
    r.stop_all().await;
}

/// Only the gate may reach another region: no crate but the federation depends on an HTTP
/// client (the audit command reads public endpoints), and inside it only `gate.rs` uses it.
#[test]
fn only_the_gate_holds_an_http_client() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for krate in ["core", "store", "api", "residency"] {
        let toml =
            std::fs::read_to_string(root.join(format!("crates/{krate}/Cargo.toml"))).unwrap();
        let deps = toml.split("[dev-dependencies]").next().unwrap();
        assert!(
            !deps.contains("reqwest") && !deps.contains("hyper"),
            "{krate} must not depend on an HTTP client"
        );
    }
    for f in walk(&root.join("crates/federation/src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        if !f.ends_with("gate.rs") {
            assert!(
                !text.contains("reqwest"),
                "{} uses an HTTP client outside the gate",
                f.display()
            );
        }
    }
    // Media: only the S3 blob store talks HTTP, to the region's own bucket (never to
    // another region); processing and the directory store do not.
    let media = std::fs::read_to_string(root.join("crates/media/Cargo.toml")).unwrap();
    assert!(media.contains("For the S3 blob store only (s3.rs)"));
    for f in walk(&root.join("crates/media/src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        if !f.ends_with("s3.rs") {
            assert!(
                !text.contains("reqwest"),
                "{} uses an HTTP client outside the S3 store",
                f.display()
            );
        }
    }
    for f in walk(&root.join("crates/server/src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        if !f.ends_with("audit.rs") && !f.ends_with("demo.rs") {
            assert!(
                !text.contains("reqwest"),
                "{} uses an HTTP client",
                f.display()
            );
        }
    }
}

pub(crate) async fn audit(r: &Regions) -> roost_server::audit::AuditReport {
    audit_with(r, Default::default()).await
}

/// The audit, with the media buckets of the regions that keep media in one.
pub(crate) async fn audit_with(
    r: &Regions,
    media_s3: std::collections::BTreeMap<String, roost_media::S3Settings>,
) -> roost_server::audit::AuditReport {
    let data_dirs = REGION_CODES
        .iter()
        .map(|c| (c.to_string(), r.data_dir(c)))
        .collect();
    roost_server::audit::run(&roost_server::audit::AuditOptions {
        cluster: (*r.cluster).clone(),
        heads_file: r.root.path().join("audit-heads.json"),
        data_dirs,
        media_s3,
        databases: r.databases(),
    })
    .await
    .expect("audit runs")
}

pub(crate) async fn db(r: &Regions, code: &str) -> crate::backend::RawDb {
    crate::backend::RawDb::open(&r.data_dir(code), r.databases().get(code)).await
}

pub(crate) fn kinds(rep: &roost_server::audit::AuditReport) -> Vec<String> {
    rep.violations
        .iter()
        .map(|v| format!("{:?}", v.kind))
        .collect()
}

#[tokio::test]
async fn the_audit_passes_a_clean_cluster_and_catches_planted_data_and_ledger_tampering() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let pid = id_of(
        &ids.post_status(&budi, json!({"status": "audited #roost"}))
            .await,
    );
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    ins.post(
        &format!("/api/v1/statuses/{pid}/favourite"),
        Some(&asha.token),
        json!({}),
    )
    .await
    .ok();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;

    let clean = audit(&r).await;
    assert!(clean.is_clean(), "{}", clean.render());
    assert!(clean.render().contains("VERDICT: clean"));

    // 1. A foreign copy planted straight into India's store: a post of Budi's that never
    //    crossed the gate.
    let pool = db(&r, "in").await;
    let planted: i64 = pid.parse::<i64>().unwrap() + 1;
    pool.exec(
        "INSERT INTO statuses (id, account_id, text, content_html, visibility, created_at) \
         VALUES ($1, $2, 'planted', '<p>planted</p>', 'public', 0)",
        &[Val::I(planted), Val::I(budi.id.parse::<i64>().unwrap())],
    )
    .await;
    let rep = audit(&r).await;
    assert!(
        kinds(&rep).contains(&"UncoveredForeignItem".to_string()),
        "{}",
        rep.render()
    );
    assert!(
        rep.render().contains(&format!("status:{planted}")),
        "{}",
        rep.render()
    );
    pool.exec("DELETE FROM statuses WHERE id = $1", &[Val::I(planted)])
        .await;

    // 2. An identity field abroad: a user row (e-mail, password hash) for Budi in India.
    pool.exec(
        "INSERT INTO users (account_id, email, email_key, password_hash, locale, created_at) \
         VALUES ($1, 'budi@example.org', 'budi@example.org', 'x', 'en', 0)",
        &[Val::I(budi.id.parse::<i64>().unwrap())],
    )
    .await;
    let rep = audit(&r).await;
    assert!(
        kinds(&rep).contains(&"IdentityAbroad".to_string()),
        "{}",
        rep.render()
    );
    pool.exec(
        "DELETE FROM users WHERE account_id = $1",
        &[Val::I(budi.id.parse::<i64>().unwrap())],
    )
    .await;
    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());

    // 3. One ledger entry altered: the leaves no longer match the signed head.
    let pool_id = db(&r, "id").await;
    let leaf: Vec<u8> = pool_id
        .bytes("SELECT leaf FROM ledger_leaves WHERE idx = 0", &[])
        .await;
    let altered = String::from_utf8(leaf.clone())
        .unwrap()
        .replace("\"in\"", "\"cn\"");
    assert_ne!(altered.as_bytes(), leaf.as_slice());
    pool_id
        .exec(
            "UPDATE ledger_leaves SET leaf = $1 WHERE idx = 0",
            &[Val::B(altered.as_bytes().to_vec())],
        )
        .await;
    let rep = audit(&r).await;
    assert!(
        kinds(&rep).contains(&"LedgerMismatch".to_string()),
        "{}",
        rep.render()
    );
    assert!(!rep.is_clean());
    pool_id
        .exec(
            "UPDATE ledger_leaves SET leaf = $1 WHERE idx = 0",
            &[Val::B(leaf.as_slice().to_vec())],
        )
        .await;

    // 4. One ledger entry removed (the last one of India's).
    let n: i64 = pool.i64("SELECT MAX(idx) FROM ledger_leaves", &[]).await;
    pool.exec("DELETE FROM ledger_leaves WHERE idx = $1", &[Val::I(n)])
        .await;
    let rep = audit(&r).await;
    assert!(!rep.is_clean(), "{}", rep.render());
    assert!(
        rep.violations.iter().any(|v| v.region == "in"),
        "{}",
        rep.render()
    );
    pool.close().await;
    pool_id.close().await;
    r.stop_all().await;
}

#[tokio::test]
async fn the_demo_starts_three_seeded_regions_and_audits_clean() {
    let dir = tempfile::tempdir().unwrap();
    let demo = roost_server::demo::start(&roost_server::demo::DemoOptions {
        root: dir.path().join("demo"),
        users_per_region: 4,
        seed: 7,
    })
    .await
    .expect("demo starts");
    for (code, running) in &demo.regions {
        assert!(
            demo.summary
                .contains(&format!("{code} {}", running.base_url)),
            "{}",
            demo.summary
        );
    }
    assert!(demo.summary.contains("VERDICT: clean"), "{}", demo.summary);
    // A seeded user can read a home timeline over the API.
    let (_, first) = &demo.regions[0];
    let public: Value = reqwest::get(format!("{}/api/v1/timelines/public", first.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!public.as_array().unwrap().is_empty());
    for (_, running) in demo.regions {
        running.stop().await;
    }
}

#[tokio::test]
async fn a_follow_across_regions_brings_recent_posts_where_policy_lets_them_stay() {
    // `id` lets `in` keep public posts; `cn` only lets them pass in transit.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "cn" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids, cns) = (r.get("in"), r.get("id"), r.get("cn"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = cns.register("chen").await;
    let older = id_of(
        &ids.post_status(&budi, json!({"status": "before the follow"}))
            .await,
    );
    let direct = id_of(
        &ids.post_status(&budi, json!({"status": "just me", "visibility": "direct"}))
            .await,
    );
    let from_cn = id_of(
        &cns.post_status(&chen, json!({"status": "早 from cn"}))
            .await,
    );
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "in", &asha, "cn", &chen).await;
    eventually(
        10,
        "budi's earlier post on asha's home timeline",
        || async { ins.home_ids(&asha).await.contains(&older).then_some(()) },
    )
    .await;
    // It is kept in India now (a `stored` ledger entry), unlike the direct post and
    // unlike Chen's, which India may only show in transit.
    let kept = ins.get(&format!("/api/v1/statuses/{older}"), None).await;
    assert_eq!(kept.status.as_u16(), 200);
    assert!(!ins.home_ids(&asha).await.contains(&direct));
    assert!(ins.home_ids(&asha).await.contains(&from_cn), "shown live");
    let on_disk = r.disk_bytes("in").await;
    assert!(contains(&on_disk, "before the follow"));
    assert!(
        !contains(&on_disk, "早 from cn"),
        "transit post stored in India"
    );
    r.stop_all().await;
}
