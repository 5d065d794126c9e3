//! A region may only speak for what it is home to. Region `cn` turns rogue: with its real
//! key it sends activities that claim to act for users of `id` (the receiver) or `in` (a
//! third region), and `id` must refuse each one (403) and change nothing. Also: requests
//! replayed to another region, markup in other regions' notes, and view counts out of
//! range, and erasures. The control (`the_signing_regions_own_user_is_accepted`): the
//! same activities for `cn`'s own user pass.

use crate::rogue::{base, mint, Rogue};
use crate::support::*;
use serde_json::{json, Value};

/// The cluster, the rogue (`cn`) and one user per role.
struct World {
    r: Regions,
    rogue: Rogue,
    /// Users of the receiving region `id`.
    budi: User,
    dewi: User,
    /// A user of the third region `in`.
    asha: User,
    /// The rogue region's own user.
    chen: User,
}

async fn world() -> World {
    let r = Regions::start(|_| policy_all("store")).await;
    let budi = r.get("id").register("budi").await;
    let dewi = r.get("id").register("dewi").await;
    let asha = r.get("in").register("asha").await;
    let chen = r.get("cn").register("chen").await;
    let rogue = Rogue::of(&r, "cn");
    World {
        r,
        rogue,
        budi,
        dewi,
        asha,
        chen,
    }
}

impl World {
    /// The receiving region.
    fn y(&self) -> &TestServer {
        self.r.get("id")
    }

    /// `user`'s URI at its real home.
    fn home_user(&self, home: &str, user: &User) -> String {
        format!("{}/ap/users/{}", base(&self.r, home), user.id)
    }

    fn home_status(&self, home: &str, id: &str) -> String {
        format!("{}/ap/statuses/{id}", base(&self.r, home))
    }

    /// An activity the rogue sends claiming to act for `user` of `home`.
    fn forged(&self, kind: &str, user: &User, home: &str, object: Value) -> Value {
        self.rogue
            .activity(&self.r, kind, &user.id, &user.username, home, object)
    }

    async fn send(&self, act: &Value) -> Resp {
        self.rogue.deliver(&self.r, "id", act).await
    }

    /// A status as `id`'s API shows it to Dewi.
    async fn status(&self, id: &str) -> Resp {
        self.y()
            .get(&format!("/api/v1/statuses/{id}"), Some(&self.dewi.token))
            .await
    }

    /// `who`'s relationship to `target` at `id`.
    async fn relationship(&self, who: &User, target: &str) -> Value {
        let v = self
            .y()
            .get(
                &format!("/api/v1/accounts/relationships?id[]={target}"),
                Some(&who.token),
            )
            .await
            .ok();
        v[0].clone()
    }

    async fn followers(&self, of: &User) -> Vec<String> {
        ids(&self
            .y()
            .get(&format!("/api/v1/accounts/{}/followers", of.id), None)
            .await
            .ok())
    }

    async fn notifications(&self, user: &User) -> Vec<Value> {
        let v = self
            .y()
            .get("/api/v1/notifications", Some(&user.token))
            .await
            .ok();
        v.as_array().unwrap().clone()
    }

    /// Budi's post at `id` (a local post of the receiver).
    async fn budi_post(&self) -> String {
        id_of(
            &self
                .y()
                .post_status(&self.budi, json!({"status": "original words"}))
                .await,
        )
    }

    /// Asha's post at `in`, kept at `id` because Budi follows her (a third region's post).
    async fn asha_post_at_y(&self) -> String {
        follow_across(&self.r, "id", &self.budi, "in", &self.asha).await;
        let pid = id_of(
            &self
                .r
                .get("in")
                .post_status(&self.asha, json!({"status": "words from india"}))
                .await,
        );
        eventually(10, "asha's post kept at id", || async {
            self.y()
                .home_ids(&self.budi)
                .await
                .contains(&pid)
                .then_some(())
        })
        .await;
        pid
    }
}

/// Refused as a forgery: 403 with a JSON error.
#[track_caller]
fn refused(resp: Resp) {
    let e = resp.error(403);
    assert!(!e.is_empty());
}

#[tokio::test]
async fn create_for_another_regions_user_or_id_is_refused() {
    let w = world().await;
    for (user, home) in [(&w.budi, "id"), (&w.asha, "in")] {
        let forged = mint(&w.r, home).to_string();
        let note = w
            .rogue
            .note(&forged, &user.id, "forged post", "<p>forged post</p>");
        refused(w.send(&w.forged("Create", user, home, note)).await);
        w.status(&forged).await.expect(404);
    }
    // The rogue's own user, but a post ID minted by the receiver.
    let forged = mint(&w.r, "id").to_string();
    let note = w.rogue.note(&forged, &w.chen.id, "mine?", "<p>mine?</p>");
    refused(w.send(&w.forged("Create", &w.chen, "cn", note)).await);
    w.status(&forged).await.expect(404);
    assert!(w.y().account_status_ids(&w.budi, None).await.is_empty());
}

#[tokio::test]
async fn update_of_another_regions_post_is_refused() {
    let w = world().await;
    let local = w.budi_post().await;
    let foreign = w.asha_post_at_y().await;
    for (pid, user, home) in [(&local, &w.budi, "id"), (&foreign, &w.asha, "in")] {
        let mut note = w.rogue.note(pid, &user.id, "hacked", "<p>hacked</p>");
        note["updated"] = json!(jiff::Timestamp::now().to_string());
        refused(w.send(&w.forged("Update", user, home, note)).await);
        let st = w.status(pid).await.ok();
        assert!(st["edited_at"].is_null(), "{st}");
        assert!(!st["content"].as_str().unwrap().contains("hacked"), "{st}");
    }
}

#[tokio::test]
async fn update_person_of_another_regions_user_is_refused() {
    let w = world().await;
    // Asha's profile is kept at `id` once Budi looks her up.
    w.y().lookup(&w.budi, &w.r.handle("in", "asha")).await;
    for (user, home) in [(&w.budi, "id"), (&w.asha, "in")] {
        let person = w
            .rogue
            .person(&user.id, &user.username, home, "pwned", "<p>pwned</p>");
        refused(w.send(&w.forged("Update", user, home, person)).await);
        let a = w
            .y()
            .get(&format!("/api/v1/accounts/{}", user.id), None)
            .await
            .ok();
        assert_ne!(a["display_name"], "pwned", "{a}");
        assert!(!a["note"].as_str().unwrap().contains("pwned"), "{a}");
    }
}

#[tokio::test]
async fn delete_of_another_regions_post_is_refused() {
    let w = world().await;
    let local = w.budi_post().await;
    let foreign = w.asha_post_at_y().await;
    for (pid, user, home) in [(&local, &w.budi, "id"), (&foreign, &w.asha, "in")] {
        let object = json!(w.rogue.status(pid));
        refused(w.send(&w.forged("Delete", user, home, object)).await);
        w.status(pid).await.ok();
    }
    assert_eq!(
        w.y().account_status_ids(&w.budi, None).await,
        vec![local.clone()]
    );
}

#[tokio::test]
async fn follow_as_another_regions_user_is_refused() {
    let w = world().await;
    // Budi (of `id`) made to follow Dewi; Asha (of `in`) made to follow Budi.
    let dewi = json!(w.home_user("id", &w.dewi));
    refused(w.send(&w.forged("Follow", &w.budi, "id", dewi)).await);
    let budi = json!(w.home_user("id", &w.budi));
    refused(w.send(&w.forged("Follow", &w.asha, "in", budi)).await);
    assert_eq!(
        w.relationship(&w.budi, &w.dewi.id).await["following"],
        false
    );
    assert!(w.followers(&w.dewi).await.is_empty());
    assert!(w.followers(&w.budi).await.is_empty());
    assert!(w.notifications(&w.dewi).await.is_empty());
    assert!(w.notifications(&w.budi).await.is_empty());
}

#[tokio::test]
async fn accept_for_another_regions_user_is_refused() {
    let w = world().await;
    let y = w.y();
    // Dewi (of `id`) and Asha (of `in`) approve followers; Budi asks to follow both.
    y.patch(
        "/api/v1/accounts/update_credentials",
        Some(&w.dewi.token),
        json!({"locked": true}),
    )
    .await
    .ok();
    w.r.get("in")
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&w.asha.token),
            json!({"locked": true}),
        )
        .await
        .ok();
    y.follow(&w.budi, &w.dewi).await;
    let asha = y.lookup(&w.budi, &w.r.handle("in", "asha")).await;
    let asha_id = asha["id"].as_str().unwrap();
    y.post(
        &format!("/api/v1/accounts/{asha_id}/follow"),
        Some(&w.budi.token),
        json!({}),
    )
    .await
    .ok();
    for (user, home) in [(&w.dewi, "id"), (&w.asha, "in")] {
        let follow = json!({
            "type": "Follow",
            "actor": w.home_user("id", &w.budi),
            "object": w.rogue.user(&user.id),
        });
        refused(w.send(&w.forged("Accept", user, home, follow)).await);
        let rel = w.relationship(&w.budi, &user.id).await;
        assert_eq!(rel["following"], false, "{rel}");
        assert_eq!(rel["requested"], true, "{rel}");
    }
}

#[tokio::test]
async fn reject_for_another_regions_user_is_refused() {
    let w = world().await;
    w.y().follow(&w.budi, &w.dewi).await;
    follow_across(&w.r, "id", &w.budi, "in", &w.asha).await;
    for (user, home) in [(&w.dewi, "id"), (&w.asha, "in")] {
        let follow = json!({
            "type": "Follow",
            "actor": w.home_user("id", &w.budi),
            "object": w.rogue.user(&user.id),
        });
        refused(w.send(&w.forged("Reject", user, home, follow)).await);
        let rel = w.relationship(&w.budi, &user.id).await;
        assert_eq!(rel["following"], true, "{rel}");
    }
}

#[tokio::test]
async fn undo_follow_as_another_regions_user_is_refused() {
    let w = world().await;
    w.y().follow(&w.dewi, &w.budi).await;
    follow_across(&w.r, "in", &w.asha, "id", &w.budi).await;
    for (user, home) in [(&w.dewi, "id"), (&w.asha, "in")] {
        let follow = json!({
            "type": "Follow",
            "id": format!("{}/ap/follows/{}/{}", w.rogue.base, user.id, w.budi.id),
            "actor": w.rogue.user(&user.id),
            "object": w.home_user("id", &w.budi),
        });
        refused(w.send(&w.forged("Undo", user, home, follow)).await);
    }
    let followers = w.followers(&w.budi).await;
    assert!(followers.contains(&w.dewi.id), "{followers:?}");
    assert!(followers.contains(&w.asha.id), "{followers:?}");
}

#[tokio::test]
async fn undo_like_as_another_regions_user_is_refused() {
    let w = world().await;
    let pid = w.budi_post().await;
    w.y()
        .post(
            &format!("/api/v1/statuses/{pid}/favourite"),
            Some(&w.dewi.token),
            json!({}),
        )
        .await
        .ok();
    let like = json!({
        "type": "Like",
        "id": format!("{}/ap/likes/{}/{pid}", w.rogue.base, w.dewi.id),
        "actor": w.rogue.user(&w.dewi.id),
        "object": w.home_status("id", &pid),
    });
    refused(w.send(&w.forged("Undo", &w.dewi, "id", like)).await);
    assert_eq!(w.status(&pid).await.ok()["favourites_count"], 1);
    assert_eq!(w.notifications(&w.budi).await.len(), 1);
}

#[tokio::test]
async fn undo_announce_as_another_regions_user_is_refused() {
    let w = world().await;
    let pid = w.budi_post().await;
    let rb = w
        .y()
        .post(
            &format!("/api/v1/statuses/{pid}/reblog"),
            Some(&w.dewi.token),
            json!({}),
        )
        .await
        .ok();
    let rid = id_of(&rb);
    let announce = json!({
        "type": "Announce",
        "id": format!("{}/activity", w.rogue.status(&rid)),
        "actor": w.rogue.user(&w.dewi.id),
        "object": w.home_status("id", &pid),
    });
    refused(w.send(&w.forged("Undo", &w.dewi, "id", announce)).await);
    assert_eq!(w.status(&pid).await.ok()["reblogs_count"], 1);
    w.status(&rid).await.ok();
}

#[tokio::test]
async fn like_as_another_regions_user_is_refused() {
    let w = world().await;
    let pid = w.budi_post().await;
    for (user, home) in [(&w.dewi, "id"), (&w.asha, "in")] {
        let object = json!(w.home_status("id", &pid));
        refused(w.send(&w.forged("Like", user, home, object)).await);
    }
    assert_eq!(w.status(&pid).await.ok()["favourites_count"], 0);
    assert!(w.notifications(&w.budi).await.is_empty());
}

#[tokio::test]
async fn a_vote_as_another_regions_user_is_refused_and_a_fair_one_counts_once() {
    let w = world().await;
    let pid = id_of(
        &w.y()
            .post_status(
                &w.budi,
                json!({"status": "pick", "poll": {"options": ["a", "b"], "expires_in": 600}}),
            )
            .await,
    );
    let vote = |user: &User, home: &str| {
        let mut act = w.forged("roost:Vote", user, home, json!(w.home_status("id", &pid)));
        act["roost:choices"] = json!([1]);
        act
    };
    for (user, home) in [(&w.dewi, "id"), (&w.asha, "in")] {
        refused(w.send(&vote(user, home)).await);
    }
    let poll_path = format!("/api/v1/polls/{pid}");
    assert_eq!(w.y().get(&poll_path, None).await.ok()["votes_count"], 0);
    // The rogue region's own user may vote: once, however often it is sent.
    for _ in 0..2 {
        w.send(&vote(&w.chen, "cn")).await.expect(202);
    }
    assert_eq!(w.y().get(&poll_path, None).await.ok()["votes_count"], 1);
}

#[tokio::test]
async fn announce_as_another_regions_user_or_id_is_refused() {
    let w = world().await;
    let pid = w.budi_post().await;
    for (user, home, minted_by) in [
        (&w.dewi, "id", "id"),
        (&w.asha, "in", "in"),
        // The rogue's own user, but a reblog ID minted by the receiver.
        (&w.chen, "cn", "id"),
    ] {
        let object = json!(w.home_status("id", &pid));
        let mut act = w.forged("Announce", user, home, object);
        let rid = mint(&w.r, minted_by).to_string();
        act["id"] = json!(format!("{}/activity", w.rogue.status(&rid)));
        refused(w.send(&act).await);
        w.status(&rid).await.expect(404);
    }
    assert_eq!(w.status(&pid).await.ok()["reblogs_count"], 0);
    assert!(w.notifications(&w.budi).await.is_empty());
}

/// A `roost:Views` activity from the rogue with `actor` and `counts`.
fn views(w: &World, actor: &str, counts: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": w.rogue.activity_id(&w.r),
        "type": "roost:Views",
        "actor": actor,
        "object": {"counts": counts},
    })
}

/// A post's views as Budi's home timeline shows them (reading it is no view of it).
async fn views_total(w: &World, pid: &str) -> i64 {
    let home = w
        .y()
        .get("/api/v1/timelines/home?limit=40", Some(&w.budi.token))
        .await
        .ok();
    let post = home.as_array().unwrap().iter().find(|s| s["id"] == pid);
    post.unwrap_or_else(|| panic!("{pid} not in {home}"))["roost"]["views_total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn views_for_another_region_are_refused() {
    let w = world().await;
    let local = w.budi_post().await;
    let foreign = w.asha_post_at_y().await;
    let before = views_total(&w, &foreign).await;
    // Counted in the name of region `in`.
    let as_in = format!("{}/ap/actor", base(&w.r, "in"));
    refused(w.send(&views(&w, &as_in, json!([[local, 5]]))).await);
    // Views of a post homed at `in` reported to `id`: only a post's home counts them.
    let own = format!("{}/ap/actor", w.rogue.base);
    refused(w.send(&views(&w, &own, json!([[foreign, 5]]))).await);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(views_total(&w, &local).await, 0);
    assert_eq!(views_total(&w, &foreign).await, before);
}

#[tokio::test]
async fn view_counts_out_of_range_are_refused_and_reads_keep_working() {
    let w = world().await;
    let pid = w.budi_post().await;
    let actor = format!("{}/ap/actor", w.rogue.base);
    let huge = w.send(&views(&w, &actor, json!([[pid, i64::MAX]]))).await;
    // Let the huge count reach the store before more views arrive.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let again = w.send(&views(&w, &actor, json!([[pid, i64::MAX]]))).await;
    let negative = w.send(&views(&w, &actor, json!([[pid, -5]]))).await;
    let split = w
        .send(&views(&w, &actor, json!([[pid, 600_000], [pid, 600_000]])))
        .await;
    let most = w.send(&views(&w, &actor, json!([[pid, 1_000_000]]))).await;
    for _ in 0..2 {
        // Before and after the next flush.
        w.status(&pid).await.expect(200);
        w.y()
            .get("/api/v1/timelines/public", None)
            .await
            .expect(200);
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    huge.error(422);
    again.error(422);
    negative.error(422);
    split.error(422);
    most.expect(202);
    // The two reads above count as views too.
    assert_eq!(views_total(&w, &pid).await, 1_000_000 + 2);
}

#[tokio::test]
async fn a_request_signed_for_another_region_is_refused() {
    let w = world().await;
    let pid = mint(&w.r, "cn").to_string();
    let note = w
        .rogue
        .note(&pid, &w.chen.id, "replayed", "<p>replayed</p>");
    let act = w.forged("Create", &w.chen, "cn", note);
    // Signed for `in` (its Host), replayed to `id`.
    let resp = w.rogue.deliver_signed_for(&w.r, "in", w.y(), &act).await;
    resp.error(401);
    w.status(&pid).await.expect(404);
}

#[tokio::test]
async fn markup_in_other_regions_notes_and_profiles_is_not_kept() {
    let w = world().await;
    follow_across(&w.r, "id", &w.budi, "cn", &w.chen).await;
    let evil = r#"<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>"#;
    let clean = |v: &Value| {
        let c = v["content"].as_str().unwrap();
        for bad in ["<script", "<img", "onerror", "javascript:", "<b>"] {
            assert!(!c.contains(bad), "{bad} in {c}");
        }
        assert!(c.contains("Hello"), "{c}");
    };
    let pid = mint(&w.r, "cn").to_string();
    let note = w.rogue.note(&pid, &w.chen.id, "Hello <b>there</b>", evil);
    w.send(&w.forged("Create", &w.chen, "cn", note))
        .await
        .expect(202);
    clean(&w.status(&pid).await.ok());
    let home = w
        .y()
        .get("/api/v1/timelines/home", Some(&w.budi.token))
        .await
        .ok();
    let item = home.as_array().unwrap().iter().find(|s| s["id"] == pid);
    clean(item.expect("in budi's home timeline"));
    let public = w.y().get("/api/v1/timelines/public", None).await.ok();
    let item = public.as_array().unwrap().iter().find(|s| s["id"] == pid);
    clean(item.expect("in the public timeline"));

    let mut note = w.rogue.note(&pid, &w.chen.id, "Hello again", evil);
    note["updated"] = json!(jiff::Timestamp::now().to_string());
    w.send(&w.forged("Update", &w.chen, "cn", note))
        .await
        .expect(202);
    let st = w.status(&pid).await.ok();
    clean(&st);
    assert!(st["content"].as_str().unwrap().contains("again"), "{st}");

    let person = w.rogue.person(&w.chen.id, "chen", "cn", "Chen", evil);
    w.send(&w.forged("Update", &w.chen, "cn", person))
        .await
        .expect(202);
    let a = w
        .y()
        .get(&format!("/api/v1/accounts/{}", w.chen.id), None)
        .await
        .ok();
    assert_eq!(a["display_name"], "Chen", "the profile was kept: {a}");
    let bio = a["note"].as_str().unwrap();
    for bad in ["<script", "<img", "onerror", "javascript:"] {
        assert!(!bio.contains(bad), "{bad} in {bio}");
    }
}

/// The control: every activity above, for the signing region's own user, still passes.
#[tokio::test]
async fn the_signing_regions_own_user_is_accepted() {
    let w = world().await;
    let chen = &w.chen;
    let pid = w.budi_post().await;
    let ok = |r: Resp| r.expect(202);

    let own = mint(&w.r, "cn").to_string();
    let note = w
        .rogue
        .note(&own, &chen.id, "chen writes", "<p>chen writes</p>");
    ok(w.send(&w.forged("Create", chen, "cn", note)).await);
    let st = w.status(&own).await.ok();
    assert_eq!(st["account"]["id"], chen.id.as_str());
    let mut note = w
        .rogue
        .note(&own, &chen.id, "chen edits", "<p>chen edits</p>");
    note["updated"] = json!(jiff::Timestamp::now().to_string());
    ok(w.send(&w.forged("Update", chen, "cn", note)).await);
    let st = w.status(&own).await.ok();
    assert!(
        st["content"].as_str().unwrap().contains("chen edits"),
        "{st}"
    );
    let person = w.rogue.person(&chen.id, "chen", "cn", "Chen C.", "");
    ok(w.send(&w.forged("Update", chen, "cn", person)).await);
    let a = w
        .y()
        .get(&format!("/api/v1/accounts/{}", chen.id), None)
        .await
        .ok();
    assert_eq!(a["display_name"], "Chen C.");

    let post = json!(w.home_status("id", &pid));
    ok(w.send(&w.forged("Like", chen, "cn", post.clone())).await);
    let rid = mint(&w.r, "cn").to_string();
    let mut announce = w.forged("Announce", chen, "cn", post.clone());
    announce["id"] = json!(format!("{}/activity", w.rogue.status(&rid)));
    ok(w.send(&announce).await);
    let st = w.status(&pid).await.ok();
    assert_eq!(st["favourites_count"], 1, "{st}");
    assert_eq!(st["reblogs_count"], 1, "{st}");

    let dewi = json!(w.home_user("id", &w.dewi));
    ok(w.send(&w.forged("Follow", chen, "cn", dewi.clone())).await);
    assert_eq!(w.followers(&w.dewi).await, vec![chen.id.clone()]);

    let undo = |kind: &str, id: String, object: &Value| {
        let inner =
            json!({"type": kind, "id": id, "actor": w.rogue.user(&chen.id), "object": object});
        w.forged("Undo", chen, "cn", inner)
    };
    ok(w.send(&undo("Follow", w.rogue.activity_id(&w.r), &dewi))
        .await);
    ok(w.send(&undo("Like", w.rogue.activity_id(&w.r), &post))
        .await);
    let rid_uri = format!("{}/activity", w.rogue.status(&rid));
    ok(w.send(&undo("Announce", rid_uri, &post)).await);
    assert!(w.followers(&w.dewi).await.is_empty());
    let st = w.status(&pid).await.ok();
    assert_eq!(st["favourites_count"], 0, "{st}");
    assert_eq!(st["reblogs_count"], 0, "{st}");

    let actor = format!("{}/ap/actor", w.rogue.base);
    let before = views_total(&w, &pid).await;
    ok(w.send(&views(&w, &actor, json!([[pid, 3]]))).await);
    assert_eq!(views_total(&w, &pid).await, before + 3);

    ok(
        w.send(&w.forged("Delete", chen, "cn", json!(w.rogue.status(&own))))
            .await,
    );
    w.status(&own).await.expect(404);

    // Accept: Budi's follow of Chen is answered by `cn` itself.
    follow_across(&w.r, "id", &w.budi, "cn", chen).await;
}

#[tokio::test]
async fn erasure_of_another_regions_user_is_refused_and_so_is_an_unasked_acknowledgement() {
    let w = world().await;
    let foreign = w.asha_post_at_y().await;
    // A Delete of Budi (of `id`) and of Asha (of `in`), each as itself.
    for (user, home) in [(&w.budi, "id"), (&w.asha, "in")] {
        let object = json!(w.home_user(home, user));
        refused(w.send(&w.forged("Delete", user, home, object)).await);
    }
    w.y()
        .get("/api/v1/accounts/verify_credentials", Some(&w.budi.token))
        .await
        .ok();
    w.status(&foreign).await.ok();
    // An acknowledgement of an erasure `id` never asked `cn` for, and one in the name
    // of region `in`.
    let ack = |actor: String| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": w.rogue.activity_id(&w.r),
            "type": "roost:Erased",
            "actor": actor,
            "object": w.home_user("id", &w.budi),
        })
    };
    refused(w.send(&ack(format!("{}/ap/actor", w.rogue.base))).await);
    refused(w.send(&ack(format!("{}/ap/actor", base(&w.r, "in")))).await);
}

/// A region erasing its own user may say where they moved, but not send their followers
/// to an account of another handle: Chen (`cn`) "moves" to Asha's account at `in`; `id`
/// forgets Chen and Budi follows no one (with the true handle, the move tests repoint).
#[tokio::test]
async fn a_move_to_an_account_of_another_handle_repoints_no_one() {
    let w = world().await;
    follow_across(&w.r, "id", &w.budi, "cn", &w.chen).await;
    let following = format!("/api/v1/accounts/{}/following", w.budi.id);
    assert_eq!(
        ids(&w.y().get(&following, None).await.ok()),
        vec![w.chen.id.clone()]
    );
    let mut act = w.forged("Delete", &w.chen, "cn", json!(w.home_user("cn", &w.chen)));
    act["roost:movedTo"] = json!(w.home_user("in", &w.asha));
    w.send(&act).await.expect(202);
    assert_eq!(
        ids(&w.y().get(&following, None).await.ok()),
        Vec::<String>::new()
    );
    let rel = w.relationship(&w.budi, &w.asha.id).await;
    assert_eq!(rel["following"], false, "{rel}");
    assert_eq!(rel["requested"], false, "{rel}");
}
