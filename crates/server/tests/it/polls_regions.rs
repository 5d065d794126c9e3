//! A poll across regions: it reaches the followers' region with its status, a vote there
//! is counted once at the poll's home, and the counts come back as the status's updates
//! do. Refused at once when the policy denies the voter's engagement to that region.

use crate::support::*;
use roost_residency::{Action, DataClass};
use serde_json::json;

#[tokio::test]
async fn a_vote_from_another_region_is_counted_once_at_the_polls_home() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    // Budi's poll at home, reaching Asha's region with its status.
    let post = ids
        .post_status(
            &budi,
            json!({"status": "nasi atau mie?", "poll": {"options": ["nasi", "mie"], "expires_in": 3600}}),
        )
        .await;
    let pid = id_of(&post);
    let seen = eventually(10, "the poll in india", || async {
        let v = ins
            .get(&format!("/api/v1/polls/{pid}"), Some(&asha.token))
            .await;
        (v.status == 200).then_some(v.body)
    })
    .await;
    assert_eq!(seen["options"][1]["title"], "mie");
    assert_eq!(seen["voted"], false);

    // Asha votes in her region; it is counted at Budi's.
    let voted = ins
        .post(
            &format!("/api/v1/polls/{pid}/votes"),
            Some(&asha.token),
            json!({"choices": ["1"]}),
        )
        .await
        .ok();
    assert_eq!(voted["own_votes"], json!([1]));
    let home = eventually(10, "the vote counted at home", || async {
        let p = ids.get(&format!("/api/v1/polls/{pid}"), None).await.ok();
        (p["votes_count"] == 1).then_some(p)
    })
    .await;
    assert_eq!(home["options"][1]["votes_count"], 1);
    assert_eq!(home["voters_count"], 1);
    // Once: a second vote is refused where she is, and nothing more is counted there.
    ins.post(
        &format!("/api/v1/polls/{pid}/votes"),
        Some(&asha.token),
        json!({"choices": ["0"]}),
    )
    .await
    .error(422);
    // The counts reach her region as the status's update, without marking an edit.
    let back = eventually(10, "the counts back in india", || async {
        let p = ins
            .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await
            .ok();
        (p["poll"]["votes_count"] == 1).then_some(p)
    })
    .await;
    assert!(back["edited_at"].is_null(), "{back}");
    assert_eq!(back["poll"]["own_votes"], json!([1]));
    // A local vote at home is counted with hers, and reaches India too.
    let cici = ids.register("cici").await;
    ids.post(
        &format!("/api/v1/polls/{pid}/votes"),
        Some(&cici.token),
        json!({"choices": ["0"]}),
    )
    .await
    .ok();
    eventually(10, "both votes seen in india", || async {
        let p = ins
            .get(&format!("/api/v1/polls/{pid}"), Some(&asha.token))
            .await
            .ok();
        (p["votes_count"] == 2 && p["voters_count"] == 2).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let home = ids.get(&format!("/api/v1/polls/{pid}"), None).await.ok();
    assert_eq!(home["votes_count"], 2, "{home}");
    r.stop_all().await;
}

#[tokio::test]
async fn a_vote_is_refused_when_the_policy_denies_engagement_there() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "in" {
            let mut to_id = std::collections::BTreeMap::new();
            to_id.insert(DataClass::Engagement, Action::Deny);
            p.to.insert("id".into(), to_id);
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let pid = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "pilih", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
        )
        .await,
    );
    eventually(10, "the poll in india", || async {
        let v = ins
            .get(&format!("/api/v1/polls/{pid}"), Some(&asha.token))
            .await;
        (v.status == 200).then_some(())
    })
    .await;
    let e = ins
        .post(
            &format!("/api/v1/polls/{pid}/votes"),
            Some(&asha.token),
            json!({"choices": ["0"]}),
        )
        .await
        .error(403);
    assert!(e.contains("in -> id engagement: deny"), "{e}");
    let p = ins
        .get(&format!("/api/v1/polls/{pid}"), Some(&asha.token))
        .await
        .ok();
    assert_eq!(p["own_votes"], json!([]), "nothing recorded");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let home = ids.get(&format!("/api/v1/polls/{pid}"), None).await.ok();
    assert_eq!(home["votes_count"], 0);
    r.stop_all().await;
}

/// Under `transit` a poll is shown with its post, as its home tallies it, and nothing of
/// it is kept in the reader's region.
#[tokio::test]
async fn a_poll_seen_live_under_transit_carries_the_homes_counts() {
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
    let dewi = ids.register("dewi").await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let word = "sateataubakso";
    let post = ids
        .post_status(
            &budi,
            json!({"status": word, "poll": {"options": ["sate", "bakso"], "expires_in": 3600}}),
        )
        .await;
    let pid = id_of(&post);
    ids.post(
        &format!("/api/v1/polls/{pid}/votes"),
        Some(&dewi.token),
        json!({"choices": ["1"]}),
    )
    .await
    .ok();
    let live = eventually(10, "the post live in India's home timeline", || async {
        let page = ins
            .get("/api/v1/timelines/home", Some(&asha.token))
            .await
            .ok();
        page.as_array()?
            .iter()
            .find(|s| s["id"] == pid.as_str())
            .cloned()
    })
    .await;
    let poll = &live["poll"];
    assert_eq!(poll["options"][0]["title"], "sate", "{live}");
    assert_eq!(poll["options"][1]["title"], "bakso");
    assert_eq!(poll["options"][1]["votes_count"], 1);
    assert_eq!(poll["votes_count"], 1);
    assert_eq!(poll["voters_count"], 1);
    assert_eq!(poll["expired"], false);
    // Nothing of it was written in India.
    assert!(!contains(&r.disk_bytes("in").await, word));
    assert!(!contains(&r.disk_bytes("in").await, "bakso"));
    r.stop_all().await;
}
