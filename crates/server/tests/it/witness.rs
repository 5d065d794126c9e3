//! Witnessed ledgers: each region cosigns the others' ledger heads, so a region that cuts
//! its ledger back is caught by an auditor who saw nothing before (no saved heads), and the
//! witnesses keep the truncated head, signed by the region itself, as evidence.

use crate::backend::Val;
use crate::regions::db;
use crate::support::*;
use roost_residency::{Action, DataClass, SignedTreeHead};
use roost_server::config::Config;
use serde_json::{json, Value};
use std::time::Duration;

fn fast_witness(cfg: &mut Config) {
    cfg.witness_every = Duration::from_millis(200);
}

/// The audit as a new auditor runs it: no heads saved by an earlier run.
async fn fresh_audit(r: &Regions) -> roost_server::audit::AuditReport {
    let heads = tempfile::tempdir().unwrap();
    roost_server::audit::run(&roost_server::audit::AuditOptions {
        cluster: (*r.cluster).clone(),
        heads_file: heads.path().join("audit-heads.json"),
        data_dirs: REGION_CODES
            .iter()
            .map(|c| (c.to_string(), r.data_dir(c)))
            .collect(),
        media_s3: Default::default(),
        databases: r.databases(),
    })
    .await
    .expect("audit runs")
}

async fn head(s: &TestServer) -> SignedTreeHead {
    serde_json::from_value(s.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap()
}

async fn witnessed(s: &TestServer, region: &str) -> Value {
    s.get(
        &format!("/api/roost/v1/ledger/witnesses?region={region}"),
        None,
    )
    .await
    .ok()
}

#[tokio::test]
async fn witness_detection_of_a_truncated_ledger() {
    // India lets the others show its public posts only in transit: reading them abroad
    // appends `sent` entries to India's ledger that no other region's ledger or storage
    // mirrors, so once dropped, only a witness can tell.
    let policy = |code: &str| {
        let mut p = policy_all("store");
        if code == "in" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    };
    let mut r = Regions::start_with(policy, fast_witness).await;
    let (asha, budi) = r.asha_and_budi().await;
    // Posts cross both ways, so every ledger grows.
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let kept = id_of(
        &r.get("id")
            .post_status(&budi, json!({"status": "from Jakarta, kept in India"}))
            .await,
    );
    eventually(10, "budi's post delivered to India", || async {
        r.get("in")
            .home_ids(&asha)
            .await
            .contains(&kept)
            .then_some(())
    })
    .await;
    let shown = id_of(
        &r.get("in")
            .post_status(&asha, json!({"status": "from Delhi, shown in Jakarta"}))
            .await,
    );
    eventually(10, "asha's post shown live in Indonesia", || async {
        r.get("id")
            .home_ids(&budi)
            .await
            .contains(&shown)
            .then_some(())
    })
    .await;

    // Both witnesses cosign India's head as it stands.
    let before = eventually(20, "both witnesses cosign India's head", || async {
        let now = head(r.get("in")).await;
        for w in ["id", "cn"] {
            let v = witnessed(r.get(w), "in").await;
            if v["cosigned"]["cosignature"]["tree_size"] != now.head.tree_size {
                return None;
            }
        }
        Some(now)
    })
    .await;
    let n = before.head.tree_size;
    let v = witnessed(r.get("id"), "in").await;
    assert_eq!(v["witness"], "id");
    assert_eq!(v["cosigned"]["head"]["root_hash"], hex(&before));
    assert_eq!(v["evidence"], json!([]));

    let clean = fresh_audit(&r).await;
    assert!(clean.is_clean(), "{}", clean.render());
    for w in ["id", "cn"] {
        assert!(
            clean.notes.iter().any(|n| n.starts_with("in: its head of")
                && n.contains(&format!("entries {w} cosigned"))),
            "{}",
            clean.render()
        );
    }

    // India's last entries are transit sends (Indonesia reading Asha's post live).
    let mut cut = 0;
    while cut < n {
        let e = r
            .get("in")
            .get(
                &format!("/api/roost/v1/ledger/entries/{}", n - 1 - cut),
                None,
            )
            .await
            .ok();
        if e["entry"]["decision"] != "transit" || e["entry"]["direction"] != "sent" {
            break;
        }
        cut += 1;
    }
    assert!(cut > 0, "India's ledger ends with a transit send");

    // India is stopped, loses those entries behind roost's back, and starts again.
    r.stop("in").await;
    let raw = db(&r, "in").await;
    raw.exec(
        "DELETE FROM ledger_leaves WHERE idx >= $1",
        &[Val::I((n - cut) as i64)],
    )
    .await;
    raw.close().await;
    r.restart_with("in", fast_witness).await;
    let after = head(r.get("in")).await;
    assert_eq!(
        after.head.tree_size,
        n - cut,
        "the region signs the cut ledger"
    );

    // A new auditor, with no heads of its own, sees it through both witnesses, and the
    // ledger is otherwise self-consistent: nothing else would have told.
    let rep = fresh_audit(&r).await;
    let text = rep.render();
    for w in ["id", "cn"] {
        assert!(
            rep.violations.iter().any(|v| v.region == "in"
                && v.kind == roost_residency::audit::ViolationKind::WitnessedConflict
                && v.detail.starts_with("ledger truncated")
                && v.detail.contains(&format!("that {w} cosigned"))),
            "{text}"
        );
    }
    assert!(
        rep.violations.iter().all(|v| v.region == "in"
            && v.kind == roost_residency::audit::ViolationKind::WitnessedConflict),
        "{text}"
    );

    // Each witness sees the smaller head, does not cosign it, and keeps it as evidence.
    for w in ["id", "cn"] {
        let v = eventually(10, "the witness keeps evidence", || async {
            let v = witnessed(r.get(w), "in").await;
            (v["evidence"].as_array().map(Vec::len) == Some(1)).then_some(v)
        })
        .await;
        let e = &v["evidence"][0];
        assert_eq!(e["kind"], "truncated", "{v}");
        assert_eq!(e["witness"], w);
        assert_eq!(e["cosigned"]["tree_size"], n);
        assert_eq!(e["conflicting"]["tree_size"], n - cut);
        assert_eq!(e["conflicting"]["root_hash"], hex(&after));
        // The conflicting head is India's own signed statement.
        let conflicting: SignedTreeHead = serde_json::from_value(e["conflicting"].clone()).unwrap();
        conflicting
            .verify(&r.cluster.region("in").unwrap().public_keys)
            .unwrap();
        assert_eq!(v["cosigned"]["cosignature"]["tree_size"], n, "not cosigned");
    }
    let rep = fresh_audit(&r).await;
    for w in ["id", "cn"] {
        assert!(
            rep.violations.iter().any(|v| v.region == "in"
                && v.detail
                    .starts_with(&format!("{w} holds evidence that the ledger was truncated"))),
            "{}",
            rep.render()
        );
    }
    r.stop_all().await;
}

fn hex(h: &SignedTreeHead) -> String {
    h.head
        .root_hash
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_witnesses_route_names_a_region_of_the_cluster() {
    let r = Regions::start_with(|_| policy_all("store"), fast_witness).await;
    let ins = r.get("in");
    let none = ins.get("/api/roost/v1/ledger/witnesses", None).await;
    assert_eq!(none.error(422), "region is required");
    let own = ins
        .get("/api/roost/v1/ledger/witnesses?region=in", None)
        .await;
    own.error(422);
    let unknown = ins
        .get("/api/roost/v1/ledger/witnesses?region=zz", None)
        .await;
    unknown.error(404);
    // A cosignature verifies with the witness's key from the cluster file.
    let v = eventually(10, "India cosigns Indonesia's head", || async {
        let v = witnessed(ins, "id").await;
        (!v["cosigned"].is_null()).then_some(v)
    })
    .await;
    let c: roost_residency::witness::Cosigned =
        serde_json::from_value(v["cosigned"].clone()).unwrap();
    c.cosignature
        .verify(&r.cluster.region("in").unwrap().public_keys)
        .unwrap();
    assert!(c.cosignature.covers(&c.head.head));
    r.stop_all().await;
}
