//! The policy matrix: for each data class and each action, what of Budi's (home `id`) data
//! actually arrives in India and is kept there. `in` allows everything; `id`'s policy
//! toward `in` sets the class under test.

use crate::support::*;
use roost_residency::{Action, DataClass};
use serde_json::json;

async fn start(class: DataClass, action: &str) -> Regions {
    Regions::start(move |code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(class, Action::parse(action).unwrap());
        }
        p
    })
    .await
}

async fn content_case(visibility: &str, class: DataClass) {
    for action in ["store", "transit", "deny"] {
        let r = start(class, action).await;
        let (asha, budi) = r.asha_and_budi().await;
        follow_across(&r, "in", &asha, "id", &budi).await;
        let text = format!("matrix-{visibility}-{action}-c0ffee");
        let pid = id_of(
            &r.get("id")
                .post_status(&budi, json!({"status": text, "visibility": visibility}))
                .await,
        );
        // Give delivery time, then look at what India shows and keeps.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let home = r.get("in").home_ids(&asha).await;
        let on_disk = contains(&r.disk_bytes("in").await, &text);
        match action {
            "store" => assert!(home.contains(&pid) && on_disk, "{visibility} store"),
            "transit" => assert!(home.contains(&pid) && !on_disk, "{visibility} transit"),
            _ => assert!(!home.contains(&pid) && !on_disk, "{visibility} deny"),
        }
        r.stop_all().await;
    }
}

#[tokio::test]
async fn public_content_store_transit_deny() {
    content_case("public", DataClass::PublicContent).await;
}

#[tokio::test]
async fn private_content_store_transit_deny() {
    content_case("private", DataClass::PrivateContent).await;
}

#[tokio::test]
async fn engagement_store_transit_deny() {
    for action in ["store", "transit", "deny"] {
        let r = start(DataClass::Engagement, action).await;
        let (ins, ids) = (r.get("in"), r.get("id"));
        let (asha, budi) = r.asha_and_budi().await;
        // Asha's post reaches Indonesia through a mention (India allows everything).
        let pid = id_of(
            &ins.post_status(
                &asha,
                json!({"status": format!("hi @{}", r.handle("id", "budi"))}),
            )
            .await,
        );
        // Polled without counting views: only a kept copy answers this.
        eventually(10, "asha's post kept at id", || async {
            let v = ids
                .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&budi.token))
                .await
                .ok();
            (!v.as_array().unwrap().is_empty()).then_some(())
        })
        .await;
        let fav = ids
            .post(
                &format!("/api/v1/statuses/{pid}/favourite"),
                Some(&budi.token),
                json!({}),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let at_home = ins
            .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await
            .ok();
        let favs = at_home["favourites_count"].as_i64().unwrap();
        match action {
            "store" => {
                fav.ok();
                assert_eq!(favs, 1, "engagement store");
            }
            // Transit engagement is never pushed to be kept: the like stays in Indonesia.
            "transit" => {
                fav.ok();
                assert_eq!(favs, 0, "engagement transit");
            }
            _ => {
                let e = fav.error(403);
                assert!(e.contains("id -> in engagement: deny"), "{e}");
                assert_eq!(favs, 0, "engagement deny");
            }
        }
        r.stop_all().await;
    }
}

#[tokio::test]
async fn social_graph_store_transit_deny() {
    for action in ["store", "transit", "deny"] {
        let r = start(DataClass::SocialGraph, action).await;
        let (ins, ids) = (r.get("in"), r.get("id"));
        let (asha, budi) = r.asha_and_budi().await;
        let acct = ids.lookup(&budi, &r.handle("in", "asha")).await;
        let f = ids
            .post(
                &format!("/api/v1/accounts/{}/follow", acct["id"].as_str().unwrap()),
                Some(&budi.token),
                json!({}),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let me = ins
            .get(&format!("/api/v1/accounts/{}", asha.id), None)
            .await
            .ok();
        match action {
            "store" => {
                f.ok();
                assert_eq!(me["followers_count"], 1);
            }
            _ => {
                // A follow India may not keep is refused at once, naming the rule.
                let e = f.error(403);
                assert!(
                    e.contains(&format!("id -> in social_graph: {action}")),
                    "{e}"
                );
                assert_eq!(me["followers_count"], 0);
            }
        }
        r.stop_all().await;
    }
}

#[tokio::test]
async fn aggregate_store_transit_deny() {
    for action in ["store", "transit", "deny"] {
        // Budi's view counts of Asha's post are `id`'s aggregate data going to `in`.
        let r = start(DataClass::Aggregate, action).await;
        let (ins, ids) = (r.get("in"), r.get("id"));
        let (asha, budi) = r.asha_and_budi().await;
        let pid = id_of(
            &ins.post_status(
                &asha,
                json!({"status": format!("count me @{}", r.handle("id", "budi"))}),
            )
            .await,
        );
        // Polled without counting views: only a kept copy answers this.
        eventually(10, "asha's post kept at id", || async {
            let v = ids
                .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&budi.token))
                .await
                .ok();
            (!v.as_array().unwrap().is_empty()).then_some(())
        })
        .await;
        for _ in 0..2 {
            ids.get(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
                .await
                .ok();
        }
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let v = ins
            .get(&format!("/api/v1/statuses?id[]={pid}"), Some(&asha.token))
            .await
            .ok();
        let views = v[0]["roost"]["views_total"].as_i64().unwrap();
        match action {
            "deny" => assert_eq!(views, 0, "aggregate deny"),
            _ => assert_eq!(views, 2, "aggregate {action}"),
        }
        r.stop_all().await;
    }
}

#[tokio::test]
async fn the_inbox_refuses_unsigned_and_tampered_deliveries() {
    let r = Regions::start(|_| policy_all("store")).await;
    let ins = r.get("in");
    let body = json!({"id": "x", "type": "Follow", "actor": "y", "object": "z"});
    let unsigned = ins.post("/ap/inbox", None, body.clone()).await;
    assert!(unsigned.error(401).contains("signature"));
    let forged = ins
        .post_with_headers(
            "/ap/inbox",
            None,
            &[(
                "signature",
                "keyId=\"k\",headers=\"date\",signature=\"AAAA\"",
            )],
            body.clone(),
        )
        .await;
    assert!(forged.error(401).contains("signature"));
    // Reads of actors also need a region's signature.
    let asha = ins.register("asha").await;
    ins.get(&format!("/ap/users/{}", asha.id), None)
        .await
        .error(401);
    r.stop_all().await;
}

/// Signed but wrong requests between regions: clear errors, nothing served or changed.
#[tokio::test]
async fn region_endpoints_refuse_bad_requests() {
    use roost_federation::gate::{GateError, Transfer};
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let cn = r.get("cn").running.as_ref().unwrap().fed.gate().clone();
    let status = |e: GateError| match e {
        GateError::Refused { status, body, .. } => (status, body),
        e => panic!("expected a refusal, got {e}"),
    };
    // Only a user's home region may ask where their data is.
    let (code, body) = status(
        cn.fetch("in", &format!("/ap/roost/holdings/{}", budi.id))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 403, "{body}");
    // Unknown accounts and malformed IDs are 404.
    let (code, _) = status(cn.fetch("in", "/ap/users/12345").await.unwrap_err());
    assert_eq!(code, 404);
    let (code, _) = status(cn.fetch("in", "/ap/users/not-an-id").await.unwrap_err());
    assert_eq!(code, 404);
    let (code, _) = status(
        cn.fetch("in", "/.well-known/webfinger?resource=acct:nobody@x")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 404);
    // A malformed live-read query is 400.
    let t = Transfer {
        counterpart: "in".into(),
        class: DataClass::Aggregate,
        subject: None,
        object: "test".into(),
        purpose: "test".into(),
    };
    let (code, body) = status(
        cn.query(&t, "/ap/roost/timeline", b"{not json")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 400, "{body}");
    // A delivery of an activity the signing region does not own is refused, changing nothing.
    let forged = json!({
        "id": format!("{}/ap/activities/1", r.get("in").base),
        "type": "Follow",
        "actor": format!("{}/ap/users/{}", r.get("in").base, asha.id),
        "object": format!("{}/ap/users/{}", r.get("id").base, budi.id),
    });
    let t = Transfer {
        counterpart: "id".into(),
        ..t
    };
    let (code, body) = status(
        cn.deliver(&t, "/ap/inbox", forged.to_string().as_bytes(), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 403, "{body}");
    let me = r
        .get("id")
        .get(&format!("/api/v1/accounts/{}", budi.id), None)
        .await
        .ok();
    assert_eq!(me["followers_count"], 0);
    r.stop_all().await;
}
