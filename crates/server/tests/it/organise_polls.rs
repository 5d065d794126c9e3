//! Polls, scheduled posts, posting defaults, notes, endorsements, featured tags, the
//! directory, preferences, announcements and the instance documents' small endpoints.

use crate::support::*;
use roost_core::model::NewPoll;
use roost_core::Id;
use serde_json::{json, Value};

fn poll_body(text: &str, options: &[&str], expires_in: i64, multiple: bool) -> Value {
    json!({"status": text, "poll": {"options": options, "expires_in": expires_in, "multiple": multiple}})
}

fn sid(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn roost(s: &TestServer) -> &roost_core::Roost {
    &s.running.as_ref().unwrap().roost
}

/// Makes the poll of `status` end now (the shortest poll lasts five minutes).
async fn end_poll(s: &TestServer, status: &str, options: &[&str], multiple: bool, hide: bool) {
    let id: Id = status.parse().unwrap();
    roost(s)
        .store()
        .set_poll(
            id,
            Some(&NewPoll {
                options: options.iter().map(|o| o.to_string()).collect(),
                expires_at: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1),
                multiple,
                hide_totals: hide,
            }),
            true,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_poll_is_posted_validated_and_shown_per_viewer() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;

    for (body, why) in [
        (poll_body("one", &["a"], 600, false), "one option"),
        (
            poll_body("five", &["a", "b", "c", "d", "e"], 600, false),
            "five options",
        ),
        (
            poll_body("long", &["a", &"x".repeat(51)], 600, false),
            "option of 51 chars",
        ),
        (
            poll_body("soon", &["a", "b"], 299, false),
            "expires too soon",
        ),
        (
            poll_body("late", &["a", "b"], 2_629_747, false),
            "expires too late",
        ),
        (
            poll_body("dupe", &["a", "a"], 600, false),
            "duplicate options",
        ),
        (
            json!({"status": "none", "poll": {"options": ["a", "b"]}}),
            "no expiry",
        ),
        (
            json!({"status": "neg", "poll": {"options": ["a", "b"], "expires_in": -5}}),
            "negative expiry",
        ),
    ] {
        let err = s.post_status_raw(&alice, body).await.error(422);
        assert!(!err.is_empty(), "{why}");
    }
    // Nothing was posted by the refused attempts.
    assert!(s.account_status_ids(&alice, Some(&alice)).await.is_empty());

    // The limits are the advertised ones: 4 options of 50 characters, 300 s to a month.
    let edge = s
        .post_status(
            &alice,
            poll_body("edge", &["a", "b", "c", &"y".repeat(50)], 2_629_746, false),
        )
        .await;
    assert_eq!(edge["poll"]["options"].as_array().unwrap().len(), 4);

    // Form encoding, as most apps send it.
    let form = s
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[
                ("status", "tea or coffee?"),
                ("poll[options][]", "tea"),
                ("poll[options][]", "coffee"),
                ("poll[expires_in]", "300"),
                ("poll[multiple]", "0"),
            ],
        )
        .await
        .ok();
    let poll = &form["poll"];
    assert_eq!(poll["id"], form["id"]);
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["votes_count"], 0);
    assert_eq!(poll["options"][0]["title"], "tea");
    assert_eq!(poll["options"][1]["votes_count"], 0);
    // The author counts as having voted (Mastodon's `voted?`), with no votes of their own.
    assert_eq!(poll["voted"], true);
    assert_eq!(poll["own_votes"], json!([]));

    let id = sid(&form);
    let seen = s
        .get(&format!("/api/v1/polls/{id}"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(seen["voted"], false);
    // Anonymous readers see no `voted` at all.
    let anon = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert!(anon.get("voted").is_none(), "{anon}");
    // The poll is in every status rendering: timelines too.
    let home = s
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await
        .ok();
    assert_eq!(home[0]["poll"]["id"], id.as_str());
    // A status without a poll has `poll: null`.
    let plain = s.post_status(&alice, json!({"status": "plain"})).await;
    assert!(plain["poll"].is_null());
    s.get(&format!("/api/v1/polls/{}", sid(&plain)), Some(&bob.token))
        .await
        .error(404);
    s.get("/api/v1/polls/123456789", Some(&bob.token))
        .await
        .error(404);
}

#[tokio::test]
async fn voting_follows_mastodons_rules() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let single = s
        .post_status(&alice, poll_body("pick one", &["a", "b", "c"], 600, false))
        .await;
    let id = sid(&single);
    let votes = format!("/api/v1/polls/{id}/votes");

    // Missing scope: 403; a bad index, several choices on a single-choice poll, no choice,
    // one's own poll: 422, and nothing counted.
    let read_only = s.scoped_token(&bob, "read").await;
    s.post(&votes, Some(&read_only), json!({"choices": ["0"]}))
        .await
        .error(403);
    s.post(&votes, Some(&bob.token), json!({"choices": ["3"]}))
        .await
        .error(422);
    s.post(&votes, Some(&bob.token), json!({"choices": ["x"]}))
        .await
        .error(422);
    s.post(&votes, Some(&bob.token), json!({"choices": ["0", "1"]}))
        .await
        .error(422);
    s.post(&votes, Some(&bob.token), json!({})).await.error(422);
    let own = s
        .post(&votes, Some(&alice.token), json!({"choices": ["0"]}))
        .await
        .error(422);
    assert!(own.contains("own"), "{own}");
    let p = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(p["votes_count"], 0);

    // A vote counts once; a second one is refused.
    let after = s
        .post_form(&votes, Some(&bob.token), &[("choices[]", "1")])
        .await
        .ok();
    assert_eq!(after["voted"], true);
    assert_eq!(after["own_votes"], json!([1]));
    assert_eq!(after["votes_count"], 1);
    assert_eq!(after["voters_count"], 1);
    assert_eq!(after["options"][1]["votes_count"], 1);
    let again = s
        .post(&votes, Some(&bob.token), json!({"choices": ["2"]}))
        .await
        .error(422);
    assert!(again.contains("already"), "{again}");
    let st = s
        .get(&format!("/api/v1/statuses/{id}"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(st["poll"]["own_votes"], json!([1]));
    assert_eq!(st["poll"]["votes_count"], 1);

    // A multiple-choice poll takes several choices from one voter: two votes, one voter.
    let multi = s
        .post_status(&alice, poll_body("pick any", &["a", "b", "c"], 600, true))
        .await;
    let mv = format!("/api/v1/polls/{}/votes", sid(&multi));
    let m = s
        .post(&mv, Some(&carol.token), json!({"choices": ["0", "2"]}))
        .await
        .ok();
    assert_eq!(m["votes_count"], 2);
    assert_eq!(m["voters_count"], 1);
    assert_eq!(m["own_votes"], json!([0, 2]));

    // A followers-only poll is invisible (404) to non-followers, readable by followers.
    let private = s
        .post_status(
            &alice,
            json!({"status": "friends only", "visibility": "private",
                   "poll": {"options": ["x", "y"], "expires_in": 600}}),
        )
        .await;
    let pid = sid(&private);
    s.get(&format!("/api/v1/polls/{pid}"), Some(&carol.token))
        .await
        .error(404);
    s.post(
        &format!("/api/v1/polls/{pid}/votes"),
        Some(&carol.token),
        json!({"choices": ["0"]}),
    )
    .await
    .error(404);
    s.follow(&carol, &alice).await;
    s.post(
        &format!("/api/v1/polls/{pid}/votes"),
        Some(&carol.token),
        json!({"choices": ["0"]}),
    )
    .await
    .ok();

    // An ended poll takes no votes.
    end_poll(&s, &id, &["a", "b", "c"], false, false).await;
    let ended = s
        .post(&votes, Some(&carol.token), json!({"choices": ["0"]}))
        .await
        .error(422);
    assert!(ended.contains("ended"), "{ended}");
    let p = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(p["expired"], true);
    assert_eq!(p["votes_count"], 1);
}

#[tokio::test]
async fn hidden_totals_show_after_the_end_and_the_end_is_announced_once() {
    let s = TestServer::start_with(|c| c.jobs_every = std::time::Duration::from_millis(100)).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let st = s
        .post_status(
            &alice,
            json!({"status": "secret ballot",
                   "poll": {"options": ["a", "b"], "expires_in": 600, "hide_totals": true}}),
        )
        .await;
    let id = sid(&st);
    s.post(
        &format!("/api/v1/polls/{id}/votes"),
        Some(&bob.token),
        json!({"choices": ["0"]}),
    )
    .await
    .ok();
    let p = s
        .get(&format!("/api/v1/polls/{id}"), Some(&carol.token))
        .await
        .ok();
    assert!(p["options"][0]["votes_count"].is_null(), "{p}");
    assert!(p["options"][1]["votes_count"].is_null(), "{p}");

    end_poll(&s, &id, &["a", "b"], false, true).await;
    let p = s
        .get(&format!("/api/v1/polls/{id}"), Some(&carol.token))
        .await
        .ok();
    assert_eq!(p["options"][0]["votes_count"], 1, "{p}");

    // The voter and the author hear of the end; carol, who did not vote, does not.
    for who in [&bob, &alice] {
        let n = eventually(10, "poll notification", || async {
            let n = s
                .get("/api/v1/notifications?types[]=poll", Some(&who.token))
                .await
                .ok();
            (n.as_array().unwrap().len() == 1).then_some(n)
        })
        .await;
        assert_eq!(n[0]["type"], "poll");
        assert_eq!(n[0]["status"]["id"], id.as_str());
        assert_eq!(n[0]["account"]["id"], alice.id.as_str());
    }
    // Once only, however often the job runs.
    assert_eq!(roost(&s).finish_ended_polls().await.unwrap(), 0);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let n = s
        .get("/api/v1/notifications?types[]=poll", Some(&bob.token))
        .await
        .ok();
    assert_eq!(n.as_array().unwrap().len(), 1);
    let n = s
        .get("/api/v1/notifications?types[]=poll", Some(&carol.token))
        .await
        .ok();
    assert!(n.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn editing_a_poll_keeps_or_resets_votes_as_mastodon() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let st = s
        .post_status(&alice, poll_body("q", &["a", "b"], 600, false))
        .await;
    let id = sid(&st);
    let path = format!("/api/v1/statuses/{id}");
    s.post(
        &format!("/api/v1/polls/{id}/votes"),
        Some(&bob.token),
        json!({"choices": ["1"]}),
    )
    .await
    .ok();
    // Same options: the votes stay.
    let same = s
        .put(
            &path,
            Some(&alice.token),
            poll_body("q, edited", &["a", "b"], 900, false),
        )
        .await
        .ok();
    assert_eq!(same["poll"]["votes_count"], 1, "{same}");
    // Changed options: the votes go, and bob may vote again.
    let changed = s
        .put(
            &path,
            Some(&alice.token),
            poll_body("q", &["a", "c"], 900, false),
        )
        .await
        .ok();
    assert_eq!(changed["poll"]["votes_count"], 0);
    assert_eq!(changed["poll"]["options"][1]["title"], "c");
    s.post(
        &format!("/api/v1/polls/{id}/votes"),
        Some(&bob.token),
        json!({"choices": ["0"]}),
    )
    .await
    .ok();
    // A bad poll in an edit changes nothing.
    s.put(
        &path,
        Some(&alice.token),
        poll_body("broken", &["a"], 900, false),
    )
    .await
    .error(422);
    let now = s.get(&path, Some(&bob.token)).await.ok();
    assert!(!now["content"].as_str().unwrap().contains("broken"));
    assert_eq!(now["poll"]["votes_count"], 1);
    // An edit without a poll removes it.
    let gone = s
        .put(&path, Some(&alice.token), json!({"status": "no poll now"}))
        .await
        .ok();
    assert!(gone["poll"].is_null());
    s.get(&format!("/api/v1/polls/{id}"), None).await.error(404);
}

fn at(secs_ahead: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs_ahead)).to_string()
}

#[tokio::test]
async fn scheduled_posts_are_private_to_their_owner_and_validated() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    // Less than five minutes ahead: 422, nothing kept.
    s.post_status_raw(&alice, json!({"status": "soon", "scheduled_at": at(120)}))
        .await
        .error(422);
    s.post_status_raw(&alice, json!({"status": "bad", "scheduled_at": "tomorrow"}))
        .await
        .error(422);
    s.post_status_raw(&alice, json!({"status": "", "scheduled_at": at(3600)}))
        .await
        .error(422);
    s.post_status_raw(
        &alice,
        json!({"status": "bad poll", "scheduled_at": at(3600), "poll": {"options": ["a"], "expires_in": 600}}),
    )
    .await
    .error(422);
    let list = s
        .get("/api/v1/scheduled_statuses", Some(&alice.token))
        .await
        .ok();
    assert!(list.as_array().unwrap().is_empty());

    let when = at(3600);
    let sched = s
        .post_status(
            &alice,
            json!({"status": "later", "scheduled_at": when, "visibility": "unlisted",
                   "poll": {"options": ["a", "b"], "expires_in": 600}}),
        )
        .await;
    // A ScheduledStatus, not a Status.
    assert!(sched.get("content").is_none(), "{sched}");
    assert_eq!(sched["params"]["text"], "later");
    assert_eq!(sched["params"]["visibility"], "unlisted");
    assert_eq!(sched["params"]["poll"]["options"], json!(["a", "b"]));
    assert!(sched["scheduled_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sched["media_attachments"], json!([]));
    let id = sid(&sched);
    // Not posted yet.
    assert!(s.account_status_ids(&alice, Some(&alice)).await.is_empty());

    let one = format!("/api/v1/scheduled_statuses/{id}");
    s.get(&one, Some(&alice.token)).await.ok();
    // Someone else's: 404 for every method; missing scope: 403.
    s.get(&one, Some(&bob.token)).await.error(404);
    s.put(&one, Some(&bob.token), json!({"scheduled_at": at(7200)}))
        .await
        .error(404);
    s.delete(&one, Some(&bob.token)).await.error(404);
    let write_only = s.scoped_token(&alice, "write").await;
    s.get("/api/v1/scheduled_statuses", Some(&write_only))
        .await
        .error(403);
    assert!(s
        .get("/api/v1/scheduled_statuses", Some(&bob.token))
        .await
        .ok()
        .as_array()
        .unwrap()
        .is_empty());

    // Rescheduling: at least five minutes ahead too.
    s.put(&one, Some(&alice.token), json!({"scheduled_at": at(60)}))
        .await
        .error(422);
    let moved = s
        .put(&one, Some(&alice.token), json!({"scheduled_at": at(7200)}))
        .await
        .ok();
    assert_ne!(moved["scheduled_at"], sched["scheduled_at"]);

    // Paged, newest first.
    let second = s
        .post_status(
            &alice,
            json!({"status": "even later", "scheduled_at": at(9000)}),
        )
        .await;
    let page = s
        .get("/api/v1/scheduled_statuses?limit=1", Some(&alice.token))
        .await;
    assert!(page.link().contains("max_id="), "{}", page.link());
    assert_eq!(ids(&page.ok()), vec![sid(&second)]);

    assert_eq!(s.delete(&one, Some(&alice.token)).await.ok(), json!({}));
    s.get(&one, Some(&alice.token)).await.error(404);

    // A time already past posts at once, as Mastodon does.
    let now = s
        .post_status(
            &alice,
            json!({"status": "right away", "scheduled_at": at(-60)}),
        )
        .await;
    assert!(now["content"].as_str().unwrap().contains("right away"));
}

#[tokio::test]
async fn scheduled_posts_are_published_after_a_restart() {
    // A slow tick at first: nothing may be published before the restart.
    let s = TestServer::start_with(|c| c.jobs_every = std::time::Duration::from_secs(3600)).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let sched = s
        .post_status(
            &alice,
            json!({"status": "from the past", "scheduled_at": at(600),
                   "poll": {"options": ["yes", "no"], "expires_in": 3600}}),
        )
        .await;
    let keep = s
        .post_status(
            &alice,
            json!({"status": "not yet", "scheduled_at": at(86_400)}),
        )
        .await;
    // The first one's time comes while the server is down.
    let id: Id = sid(&sched).parse().unwrap();
    let account: Id = alice.id.parse().unwrap();
    assert!(roost(&s)
        .store()
        .reschedule(
            account,
            id,
            jiff::Timestamp::now() - jiff::SignedDuration::from_secs(5)
        )
        .await
        .unwrap());
    let dir = s.stop().await;

    let s = TestServer::start_in(dir, |c| {
        c.jobs_every = std::time::Duration::from_millis(100)
    })
    .await;
    let home = eventually(10, "the overdue post published at start", || async {
        let home = s.get("/api/v1/timelines/home", Some(&bob.token)).await.ok();
        (!home.as_array().unwrap().is_empty()).then_some(home)
    })
    .await;
    assert_eq!(home.as_array().unwrap().len(), 1);
    assert!(home[0]["content"]
        .as_str()
        .unwrap()
        .contains("from the past"));
    assert_eq!(home[0]["poll"]["options"][0]["title"], "yes");
    assert_eq!(home[0]["poll"]["expired"], false);
    // Published once: it left the scheduled list; the other stays.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let left = s
        .get("/api/v1/scheduled_statuses", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&left), vec![sid(&keep)]);
    assert_eq!(s.account_status_ids(&alice, Some(&alice)).await.len(), 1);
}

#[tokio::test]
async fn posting_defaults_apply_when_a_post_does_not_say() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["source"]["privacy"], "public");
    let prefs = s.get("/api/v1/preferences", Some(&alice.token)).await.ok();
    assert_eq!(prefs["posting:default:visibility"], "public");
    assert_eq!(prefs["posting:default:sensitive"], false);
    assert!(prefs["posting:default:language"].is_null());
    assert_eq!(prefs["reading:expand:media"], "default");

    for bad in [
        json!({"source": {"privacy": "secret"}}),
        json!({"source": {"privacy": "direct"}}),
        json!({"source": {"language": "english!"}}),
    ] {
        s.patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            bad,
        )
        .await
        .error(422);
    }
    let updated = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"source": {"privacy": "private", "sensitive": true, "language": "id"}}),
        )
        .await
        .ok();
    assert_eq!(updated["source"]["privacy"], "private");
    assert_eq!(updated["source"]["sensitive"], true);
    assert_eq!(updated["source"]["language"], "id");
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["source"]["privacy"], "private");
    let prefs = s.get("/api/v1/preferences", Some(&alice.token)).await.ok();
    assert_eq!(prefs["posting:default:visibility"], "private");
    assert_eq!(prefs["posting:default:language"], "id");

    let post = s.post_status(&alice, json!({"status": "default"})).await;
    assert_eq!(post["visibility"], "private");
    assert_eq!(post["sensitive"], true);
    assert_eq!(post["language"], "id");
    // What the post says wins.
    let post = s
        .post_status(
            &alice,
            json!({"status": "explicit", "visibility": "public", "sensitive": false, "language": "en"}),
        )
        .await;
    assert_eq!(post["visibility"], "public");
    assert_eq!(post["sensitive"], false);
    assert_eq!(post["language"], "en");
    let no_scope = s.scoped_token(&alice, "write").await;
    s.get("/api/v1/preferences", Some(&no_scope))
        .await
        .error(403);
}

#[tokio::test]
async fn notes_and_endorsements_show_in_relationships() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let note = format!("/api/v1/accounts/{}/note", bob.id);
    let rel = s
        .post(
            &note,
            Some(&alice.token),
            json!({"comment": "met at <b>the</b> café"}),
        )
        .await
        .ok();
    assert_eq!(rel["note"], "met at <b>the</b> café");
    let rels = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", bob.id),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(rels[0]["note"], "met at <b>the</b> café");
    // Private: bob's view of alice carries no note.
    let theirs = s
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
            Some(&bob.token),
        )
        .await
        .ok();
    assert_eq!(theirs[0]["note"], "");
    s.post(
        &note,
        Some(&alice.token),
        json!({"comment": "x".repeat(2001)}),
    )
    .await
    .error(422);
    s.post(
        "/api/v1/accounts/999999999/note",
        Some(&alice.token),
        json!({"comment": "nobody"}),
    )
    .await
    .error(404);
    let cleared = s
        .post(&note, Some(&alice.token), json!({"comment": ""}))
        .await
        .ok();
    assert_eq!(cleared["note"], "");

    // Endorsing needs a follow (422), then shows as `endorsed` and in the list.
    let pin = format!("/api/v1/accounts/{}/pin", bob.id);
    s.post(&pin, Some(&alice.token), json!({})).await.error(422);
    s.follow(&alice, &bob).await;
    let rel = s.post(&pin, Some(&alice.token), json!({})).await.ok();
    assert_eq!(rel["endorsed"], true);
    let list = s.get("/api/v1/endorsements", Some(&alice.token)).await.ok();
    assert_eq!(ids(&list), vec![bob.id.clone()]);
    let read_only = s.scoped_token(&alice, "read").await;
    s.post(&pin, Some(&read_only), json!({})).await.error(403);
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/unpin", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(rel["endorsed"], false);
    let list = s.get("/api/v1/endorsements", Some(&alice.token)).await.ok();
    assert!(list.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn featured_tags_are_kept_counted_and_suggested() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.post_status(&alice, json!({"status": "on #rust again"}))
        .await;
    s.post_status(&alice, json!({"status": "#rust and #tea"}))
        .await;
    let sugg = s
        .get("/api/v1/featured_tags/suggestions", Some(&alice.token))
        .await
        .ok();
    assert_eq!(sugg[0]["name"], "rust");
    let t = s
        .post(
            "/api/v1/featured_tags",
            Some(&alice.token),
            json!({"name": "#Rust"}),
        )
        .await
        .ok();
    assert_eq!(t["name"], "rust");
    assert_eq!(t["statuses_count"], "2");
    assert!(t["last_status_at"].is_string());
    s.post(
        "/api/v1/featured_tags",
        Some(&alice.token),
        json!({"name": "rust"}),
    )
    .await
    .error(422);
    s.post(
        "/api/v1/featured_tags",
        Some(&alice.token),
        json!({"name": "no spaces"}),
    )
    .await
    .error(422);
    s.post("/api/v1/featured_tags", Some(&alice.token), json!({}))
        .await
        .error(422);
    let sugg = s
        .get("/api/v1/featured_tags/suggestions", Some(&alice.token))
        .await
        .ok();
    assert_eq!(
        sugg.as_array().unwrap().len(),
        1,
        "featured ones are not suggested"
    );
    let mine = s
        .get("/api/v1/featured_tags", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&mine), vec![sid(&t)]);
    let public = s
        .get(
            &format!("/api/v1/accounts/{}/featured_tags", alice.id),
            None,
        )
        .await
        .ok();
    assert_eq!(public[0]["name"], "rust");
    let one = format!("/api/v1/featured_tags/{}", sid(&t));
    s.delete(&one, Some(&bob.token)).await.error(404);
    assert_eq!(s.delete(&one, Some(&alice.token)).await.ok(), json!({}));
    s.delete(&one, Some(&alice.token)).await.error(404);
}

#[tokio::test]
async fn familiar_followers_and_the_directory() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    // alice follows bob; bob follows carol: bob is a familiar follower of carol for alice.
    s.follow(&alice, &bob).await;
    s.follow(&bob, &carol).await;
    let ff = s
        .get(
            &format!(
                "/api/v1/accounts/familiar_followers?id[]={}&id[]={}",
                carol.id, bob.id
            ),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ff[0]["id"], carol.id.as_str());
    assert_eq!(ids(&ff[0]["accounts"]), vec![bob.id.clone()]);
    assert!(ff[1]["accounts"].as_array().unwrap().is_empty());

    // The directory lists discoverable accounts only.
    for u in [&alice, &carol] {
        s.patch(
            "/api/v1/accounts/update_credentials",
            Some(&u.token),
            json!({"discoverable": true}),
        )
        .await
        .ok();
    }
    s.post_status(&alice, json!({"status": "active"})).await;
    let dir = s.get("/api/v1/directory?order=active", None).await.ok();
    assert_eq!(ids(&dir), vec![alice.id.clone(), carol.id.clone()]);
    let new = s
        .get("/api/v1/directory?order=new&local=true", None)
        .await
        .ok();
    assert_eq!(ids(&new), vec![carol.id.clone(), alice.id.clone()]);
    let off = s.get("/api/v1/directory?offset=1&limit=1", None).await.ok();
    assert_eq!(ids(&off), vec![carol.id.clone()]);
}

#[tokio::test]
async fn instance_documents_and_announcements() {
    let s = TestServer::start_with(|c| {
        c.extended_description = "<p>About us</p>".into();
        c.terms_of_service = Some("<p>Be kind</p>".into());
    })
    .await;
    let alice = s.register("alice").await;
    s.post_status(&alice, json!({"status": "counted"})).await;
    let ext = s
        .get("/api/v1/instance/extended_description", None)
        .await
        .ok();
    assert_eq!(ext["content"], "<p>About us</p>");
    assert!(ext["updated_at"].is_string());
    let pp = s.get("/api/v1/instance/privacy_policy", None).await.ok();
    assert!(pp["content"].as_str().unwrap().contains("home region"));
    let tos = s.get("/api/v1/instance/terms_of_service", None).await.ok();
    assert_eq!(tos["content"], "<p>Be kind</p>");
    let act = s.get("/api/v1/instance/activity", None).await.ok();
    let act = act.as_array().unwrap();
    assert_eq!(act.len(), 12);
    assert_eq!(act[0]["statuses"], "1");
    assert_eq!(act[0]["registrations"], "1");
    assert_eq!(act[0]["logins"], "1");
    assert_eq!(act[1]["statuses"], "0");
    let langs = s.get("/api/v1/instance/languages", None).await.ok();
    assert!(langs
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["code"] == "en" && l["name"] == "English"));
    let tr = s
        .get("/api/v1/instance/translation_languages", None)
        .await
        .ok();
    assert_eq!(tr, json!({}));

    let ann = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ann, json!([]));
    s.post(
        "/api/v1/announcements/1/dismiss",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    s.put(
        "/api/v1/announcements/1/reactions/%F0%9F%91%8D",
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    s.get("/api/v1/announcements", None).await.error(401);

    // Without configured terms the path is 404, as Mastodon's.
    let bare = TestServer::start().await;
    bare.get("/api/v1/instance/terms_of_service", None)
        .await
        .error(404);
}

#[tokio::test]
async fn profile_fields_are_kept_rendered_safely_and_limited() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    // Form encoding, as apps send it: `fields_attributes[N][name|value]`.
    let pairs = [
        ("fields_attributes[1][name]", "Site"),
        ("fields_attributes[1][value]", "https://example.org/a"),
        ("fields_attributes[0][name]", "Pronouns <b>"),
        ("fields_attributes[0][value]", "she/her <script>x</script>"),
    ];
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlenc(k), urlenc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let me = s
        .raw(
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            "application/x-www-form-urlencoded",
            body,
        )
        .await
        .ok();
    assert_eq!(me["fields"][0]["name"], "Pronouns <b>");
    let v0 = me["fields"][0]["value"].as_str().unwrap();
    assert!(
        v0.contains("&lt;script&gt;") && !v0.contains("<script"),
        "{v0}"
    );
    let v1 = me["fields"][1]["value"].as_str().unwrap();
    assert!(v1.contains("<a href=\"https://example.org/a\""), "{v1}");
    assert!(me["fields"][0]["verified_at"].is_null());
    // `source.fields` carries what was typed.
    assert_eq!(
        me["source"]["fields"][0]["value"],
        "she/her <script>x</script>"
    );
    // Everyone sees them on the account.
    let seen = s
        .get(&format!("/api/v1/accounts/{}", alice.id), Some(&bob.token))
        .await
        .ok();
    assert_eq!(seen["fields"].as_array().unwrap().len(), 2);

    // At most four; too long; nothing changes on a refusal.
    let five: Vec<_> = (0..5)
        .map(|i| json!({"name": format!("n{i}"), "value": "v"}))
        .collect();
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&alice.token),
        json!({"fields_attributes": five}),
    )
    .await
    .error(422);
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&alice.token),
        json!({"fields_attributes": [{"name": "x".repeat(256), "value": "v"}]}),
    )
    .await
    .error(422);
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&alice.token),
        json!({"fields_attributes": "nonsense"}),
    )
    .await
    .error(422);
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["fields"].as_array().unwrap().len(), 2);
    // An empty list clears them.
    let me = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"fields_attributes": []}),
        )
        .await
        .ok();
    assert_eq!(me["fields"], json!([]));
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn quotes_of_a_status_and_quoted_update() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let dan = s.register("dan").await;
    let orig = s.post_status(&alice, json!({"status": "quote me"})).await;
    let oid = sid(&orig);
    let q1 = s
        .post_status(&bob, json!({"status": "quoting", "quoted_status_id": oid}))
        .await;
    let q2 = s
        .post_status(
            &carol,
            json!({"status": "quietly", "quoted_status_id": oid, "visibility": "private"}),
        )
        .await;
    s.post(
        &format!("/api/v1/statuses/{oid}/reblog"),
        Some(&dan.token),
        json!({}),
    )
    .await
    .ok();
    let path = format!("/api/v1/statuses/{oid}/quotes");
    // Carol's followers-only quote is hers to see, not dan's.
    assert_eq!(
        ids(&s.get(&path, Some(&dan.token)).await.ok()),
        vec![sid(&q1)]
    );
    assert_eq!(
        ids(&s.get(&path, Some(&carol.token)).await.ok()),
        vec![sid(&q2), sid(&q1)]
    );
    let page = s.get(&format!("{path}?limit=1"), Some(&carol.token)).await;
    assert!(page.link().contains("max_id="));
    assert_eq!(ids(&page.ok()), vec![sid(&q2)]);
    s.get("/api/v1/statuses/123456789/quotes", Some(&dan.token))
        .await
        .error(404);

    // An edit: quoters get `quoted_update`, the reblogger `update`.
    s.put(
        &format!("/api/v1/statuses/{oid}"),
        Some(&alice.token),
        json!({"status": "quote me, edited"}),
    )
    .await
    .ok();
    let kinds = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap().to_string())
            .collect()
    };
    // Bob also reblogs: he hears of the edit both ways.
    s.post(
        &format!("/api/v1/statuses/{oid}/reblog"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    s.put(
        &format!("/api/v1/statuses/{oid}"),
        Some(&alice.token),
        json!({"status": "quote me, edited twice"}),
    )
    .await
    .ok();
    let b = s.get("/api/v1/notifications", Some(&bob.token)).await.ok();
    let mut bk = kinds(b.clone());
    bk.sort();
    assert_eq!(bk, vec!["quoted_update", "update"]);
    assert_eq!(b[0]["status"]["id"], oid.as_str());
    let c = s
        .get("/api/v1/notifications", Some(&carol.token))
        .await
        .ok();
    assert_eq!(kinds(c), vec!["quoted_update"]);
    let d = s.get("/api/v1/notifications", Some(&dan.token)).await.ok();
    assert_eq!(kinds(d), vec!["update"]);
}

#[tokio::test]
async fn admins_announce_from_the_command_line_and_users_read_and_react() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_roost");
    let run = |data: &std::path::Path, args: &[&str]| {
        let mut c = std::process::Command::new(bin);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
            c.env_remove(k);
        }
        c.arg("admin")
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .output()
            .unwrap()
    };
    let data = dir.path().join("data");
    let id_of_out = |out: &std::process::Output| {
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    let out = run(
        &data,
        &[
            "announce",
            "--text",
            "Maintenance at <b>noon</b>",
            "--hours",
            "24",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = id_of_out(&out);
    let out = run(&data, &["announce", "--text", "Welcome"]);
    assert!(out.status.success());
    let second = id_of_out(&out);
    assert!(!run(&data, &["announce", "--text", "  "]).status.success());
    assert!(!run(&data, &["end-announcement", "--id", "12345"])
        .status
        .success());

    let s = TestServer::start_in(dir, |_| {}).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let ann = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&ann), vec![second.clone(), first.clone()]);
    let a = &ann[1];
    let content = a["content"].as_str().unwrap();
    assert!(
        content.contains("&lt;b&gt;noon") && !content.contains("<b>"),
        "{content}"
    );
    assert!(a["ends_at"].is_string() && a["published_at"].is_string());
    assert_eq!(a["read"], false);
    assert_eq!(a["reactions"], json!([]));

    // Dismissing marks it read for that reader only.
    s.post(
        &format!("/api/v1/announcements/{first}/dismiss"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    let mine = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(mine[1]["read"], true);
    let theirs = s.get("/api/v1/announcements", Some(&bob.token)).await.ok();
    assert_eq!(theirs[1]["read"], false);

    // Reactions: counted per emoji, `me` per reader; a word is no emoji.
    let thumbs = "%F0%9F%91%8D";
    for u in [&alice, &bob] {
        s.put(
            &format!("/api/v1/announcements/{first}/reactions/{thumbs}"),
            Some(&u.token),
            json!({}),
        )
        .await
        .ok();
    }
    s.put(
        &format!("/api/v1/announcements/{first}/reactions/hello"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(422);
    s.put(
        &format!("/api/v1/announcements/999/reactions/{thumbs}"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .error(404);
    let seen = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(
        seen[1]["reactions"],
        json!([{"name": "👍", "count": 2, "me": true}])
    );
    s.delete(
        &format!("/api/v1/announcements/{first}/reactions/{thumbs}"),
        Some(&alice.token),
    )
    .await
    .ok();
    let seen = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(
        seen[1]["reactions"],
        json!([{"name": "👍", "count": 1, "me": false}])
    );
    let read_only = s.scoped_token(&alice, "read").await;
    s.post(
        &format!("/api/v1/announcements/{first}/dismiss"),
        Some(&read_only),
        json!({}),
    )
    .await
    .error(403);

    // Ended by an admin (the command works on a stopped region): no longer listed.
    let dir = s.stop().await;
    let out = run(
        &dir.path().join("data"),
        &["end-announcement", "--id", &first],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = TestServer::start_in(dir, |_| {}).await;
    let ann = s
        .get("/api/v1/announcements", Some(&alice.token))
        .await
        .ok();
    assert_eq!(ids(&ann), vec![second]);
}
