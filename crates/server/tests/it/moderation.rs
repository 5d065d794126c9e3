//! Reports, roles, the admin API, suspensions and registration modes, over HTTP; and a
//! suspension and a forwarded report across regions.

use crate::support::*;
use roost_core::model::Role;
use serde_json::{json, Value};

const ADMIN_SCOPES: &str = "read write follow push admin:read admin:write";

/// Gives `user` a role (as `roost admin set-role` does) and a token with admin scopes.
pub async fn staff_token(s: &TestServer, user: &User, role: Role) -> String {
    let roost = &s.running.as_ref().expect("running").roost;
    roost
        .admin_set_role(&user.username, role)
        .await
        .expect("role set");
    admin_token(s, user).await
}

/// A password-grant token with the admin scopes (whatever the user's role).
pub(crate) async fn admin_token(s: &TestServer, user: &User) -> String {
    let app = s
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "modapp", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": ADMIN_SCOPES}),
        )
        .await
        .ok();
    password_grant(s, &app, &user.username, ADMIN_SCOPES)
        .await
        .ok()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn password_grant(s: &TestServer, app: &Value, username: &str, scope: &str) -> Resp {
    s.post(
        "/oauth/token",
        None,
        json!({"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
               "scope": scope, "username": username, "password": "correct horse battery"}),
    )
    .await
}

async fn can_sign_in(s: &TestServer, username: &str) -> bool {
    let (id, secret) = s.app().await;
    let app = json!({"client_id": id, "client_secret": secret});
    password_grant(s, &app, username, "read")
        .await
        .status
        .is_success()
}

async fn report(s: &TestServer, by: &User, body: Value) -> Resp {
    s.post("/api/v1/reports", Some(&by.token), body).await
}

#[tokio::test]
async fn a_report_reaches_the_moderators_and_is_validated() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let m = s.register("mod").await;
    let mod_token = staff_token(&s, &m, Role::Moderator).await;
    let bobs = s.post_status(&bob, json!({"status": "buy now"})).await;
    let alices = s.post_status(&alice, json!({"status": "hello"})).await;

    let r = report(
        &s,
        &alice,
        json!({"account_id": bob.id, "status_ids": [bobs["id"]], "comment": "spam!", "category": "spam", "forward": false}),
    )
    .await
    .ok();
    assert_eq!(r["category"], "spam");
    assert_eq!(r["comment"], "spam!");
    assert_eq!(r["action_taken"], false);
    assert_eq!(r["status_ids"], json!([bobs["id"]]));
    assert_eq!(r["target_account"]["id"], bob.id.as_str());
    assert_eq!(r["forwarded"], false);

    // Validation: missing account 422, unknown account 404, other people's posts,
    // unknown categories, unknown rules, oneself: 422; no token 401.
    assert!(report(&s, &alice, json!({"comment": "x"}))
        .await
        .error(422)
        .contains("Target account"));
    report(&s, &alice, json!({"account_id": "123456789"}))
        .await
        .error(404);
    let e = report(
        &s,
        &alice,
        json!({"account_id": bob.id, "status_ids": [alices["id"]]}),
    )
    .await
    .error(422);
    assert!(e.contains("reported account"), "{e}");
    report(
        &s,
        &alice,
        json!({"account_id": bob.id, "category": "rude"}),
    )
    .await
    .error(422);
    report(
        &s,
        &alice,
        json!({"account_id": bob.id, "category": "violation", "rule_ids": ["1"]}),
    )
    .await
    .error(422);
    report(&s, &alice, json!({"account_id": alice.id}))
        .await
        .error(422);
    s.post("/api/v1/reports", None, json!({"account_id": bob.id}))
        .await
        .error(401);

    // The moderator is told, and finds it in the queue with both accounts and the post.
    let notes = s.get("/api/v1/notifications", Some(&mod_token)).await.ok();
    let kinds: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"admin.report"), "{notes}");
    let queue = s.get("/api/v1/admin/reports", Some(&mod_token)).await.ok();
    let q = queue.as_array().unwrap();
    assert_eq!(q.len(), 1, "{queue}");
    assert_eq!(q[0]["id"], r["id"]);
    assert_eq!(q[0]["account"]["id"], alice.id.as_str());
    assert_eq!(q[0]["account"]["email"], "alice@example.org");
    assert_eq!(q[0]["target_account"]["username"], "bob");
    assert_eq!(q[0]["statuses"][0]["id"], bobs["id"]);
    assert_eq!(q[0]["assigned_account"], Value::Null);
}

#[tokio::test]
async fn the_admin_api_is_for_staff_only() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let m = s.register("mod").await;
    let a = s.register("admin").await;
    // A user's token may carry admin scopes; the role still says no.
    let user_admin_scoped = admin_token(&s, &alice).await;
    for path in [
        "/api/v1/admin/accounts",
        "/api/v2/admin/accounts",
        "/api/v1/admin/reports",
        "/api/v1/admin/domain_blocks",
    ] {
        let e = s.get(path, Some(&user_admin_scoped)).await.error(403);
        assert_eq!(e, "This action is not allowed", "{path}");
        // Without the scopes: refused by scope.
        s.get(path, Some(&alice.token)).await.error(403);
        s.get(path, None).await.error(401);
    }
    let e = s
        .post(
            &format!("/api/v1/admin/accounts/{}/action", m.id),
            Some(&user_admin_scoped),
            json!({"type": "suspend"}),
        )
        .await
        .error(403);
    assert_eq!(e, "This action is not allowed");

    let mod_token = staff_token(&s, &m, Role::Moderator).await;
    s.get("/api/v1/admin/accounts", Some(&mod_token)).await.ok();
    s.get("/api/v1/admin/reports", Some(&mod_token)).await.ok();
    // Domain blocks are the administrators'.
    s.get("/api/v1/admin/domain_blocks", Some(&mod_token))
        .await
        .error(403);
    let admin_token = staff_token(&s, &a, Role::Admin).await;
    assert_eq!(
        s.get("/api/v1/admin/domain_blocks", Some(&admin_token))
            .await
            .ok(),
        json!([])
    );
    // A moderator cannot act on an admin.
    s.post(
        &format!("/api/v1/admin/accounts/{}/action", a.id),
        Some(&mod_token),
        json!({"type": "silence"}),
    )
    .await
    .error(403);
    // The role shows on the credential account.
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&mod_token))
        .await
        .ok();
    assert_eq!(me["role"]["name"], "Moderator");
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .ok();
    assert_eq!(me["role"]["permissions"], "0");
}

#[tokio::test]
async fn admin_accounts_list_filter_and_act() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let m = s.register("mod").await;
    let t = staff_token(&s, &m, Role::Moderator).await;

    let all = s
        .get("/api/v1/admin/accounts?local=true", Some(&t))
        .await
        .ok();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["mod", "bob", "alice"], "newest first");
    let one = s
        .get("/api/v1/admin/accounts?username=ali", Some(&t))
        .await
        .ok();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["id"], alice.id.as_str());
    assert_eq!(one[0]["email"], "alice@example.org");
    assert_eq!(one[0]["domain"], Value::Null);
    assert_eq!(one[0]["approved"], true);
    assert_eq!(one[0]["account"]["username"], "alice");
    let staff = s
        .get("/api/v2/admin/accounts?permissions=staff", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&staff), vec![m.id.clone()]);

    let act = |kind: &'static str| {
        let s = &s;
        let t = t.clone();
        let id = bob.id.clone();
        async move {
            s.post(
                &format!("/api/v1/admin/accounts/{id}/action"),
                Some(&t),
                json!({"type": kind}),
            )
            .await
            .ok()
        }
    };
    let admin_get = |id: String| {
        let s = &s;
        let t = t.clone();
        async move {
            s.get(&format!("/api/v1/admin/accounts/{id}"), Some(&t))
                .await
                .ok()
        }
    };

    // Silence: limited on the profile, listed as silenced, out of the public timeline
    // but to the account's followers (as Mastodon), still on the profile; unsilence
    // undoes it.
    let carol = s.register("carol").await;
    s.follow(&carol, &bob).await;
    let loud = s.post_status(&bob, json!({"status": "loud #shout"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(s.public_ids(None).await.contains(&loud));
    assert_eq!(act("silence").await, json!({}));
    assert!(!s.public_ids(None).await.contains(&loud));
    assert!(!s.public_ids(Some(&alice)).await.contains(&loud));
    assert!(s.public_ids(Some(&carol)).await.contains(&loud));
    assert!(s.public_ids(Some(&bob)).await.contains(&loud));
    let tagged = |u: &User| {
        let s = &s;
        let token = u.token.clone();
        async move {
            ids(&s
                .get("/api/v1/timelines/tag/shout", Some(&token))
                .await
                .ok())
        }
    };
    assert!(tagged(&carol).await.contains(&loud));
    assert!(!tagged(&alice).await.contains(&loud));
    assert!(s.account_status_ids(&bob, None).await.contains(&loud));
    assert_eq!(admin_get(bob.id.clone()).await["silenced"], true);
    let profile = s
        .get(&format!("/api/v1/accounts/{}", bob.id), None)
        .await
        .ok();
    assert_eq!(profile["limited"], true);
    let silenced = s
        .get("/api/v2/admin/accounts?status=silenced", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&silenced), vec![bob.id.clone()]);
    let back = s
        .post(
            &format!("/api/v1/admin/accounts/{}/unsilence", bob.id),
            Some(&t),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(back["silenced"], false);
    let profile = s
        .get(&format!("/api/v1/accounts/{}", bob.id), None)
        .await
        .ok();
    assert!(profile.get("limited").is_none(), "{profile}");
    assert!(s.public_ids(None).await.contains(&loud));

    // Sensitive / unsensitive.
    act("sensitive").await;
    assert_eq!(admin_get(bob.id.clone()).await["sensitized"], true);
    let back = s
        .post(
            &format!("/api/v1/admin/accounts/{}/unsensitive", bob.id),
            Some(&t),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(back["sensitized"], false);

    // Disable: the token stops working and the password no longer signs in; enable.
    act("disable").await;
    s.get("/api/v1/accounts/verify_credentials", Some(&bob.token))
        .await
        .error(401);
    assert!(!can_sign_in(&s, "bob").await);
    assert_eq!(admin_get(bob.id.clone()).await["disabled"], true);
    let back = s
        .post(
            &format!("/api/v1/admin/accounts/{}/enable", bob.id),
            Some(&t),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(back["disabled"], false);
    assert!(can_sign_in(&s, "bob").await);

    // An action with a report resolves the report; an unknown type is refused.
    let r = report(&s, &alice, json!({"account_id": bob.id, "comment": "rude"}))
        .await
        .ok();
    s.post(
        &format!("/api/v1/admin/accounts/{}/action", bob.id),
        Some(&t),
        json!({"type": "none", "report_id": r["id"], "text": "warned"}),
    )
    .await
    .ok();
    let got = s
        .get(
            &format!("/api/v1/admin/reports/{}", r["id"].as_str().unwrap()),
            Some(&t),
        )
        .await
        .ok();
    assert_eq!(got["action_taken"], true);
    assert_eq!(got["action_taken_by_account"]["id"], m.id.as_str());
    s.post(
        &format!("/api/v1/admin/accounts/{}/action", bob.id),
        Some(&t),
        json!({"type": "explode"}),
    )
    .await
    .error(422);
    // Nobody acts on themselves.
    s.post(
        &format!("/api/v1/admin/accounts/{}/action", m.id),
        Some(&t),
        json!({"type": "silence"}),
    )
    .await
    .error(403);
}

#[tokio::test]
async fn admin_reports_assign_resolve_reopen() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let m = s.register("mod").await;
    let t = staff_token(&s, &m, Role::Moderator).await;
    let r1 = report(
        &s,
        &alice,
        json!({"account_id": bob.id, "category": "other"}),
    )
    .await
    .ok();
    let r2 = report(&s, &alice, json!({"account_id": carol.id}))
        .await
        .ok();
    let r1_id = r1["id"].as_str().unwrap().to_string();

    let about_bob = s
        .get(
            &format!("/api/v1/admin/reports?target_account_id={}", bob.id),
            Some(&t),
        )
        .await
        .ok();
    assert_eq!(ids(&about_bob), vec![r1_id.clone()]);
    let by_alice = s
        .get(
            &format!("/api/v1/admin/reports?account_id={}", alice.id),
            Some(&t),
        )
        .await
        .ok();
    assert_eq!(
        ids(&by_alice),
        vec![r2["id"].as_str().unwrap().to_string(), r1_id.clone()]
    );

    let path = |action: &str| format!("/api/v1/admin/reports/{r1_id}/{action}");
    let a = s
        .post(&path("assign_to_self"), Some(&t), json!({}))
        .await
        .ok();
    assert_eq!(a["assigned_account"]["id"], m.id.as_str());
    let a = s.post(&path("unassign"), Some(&t), json!({})).await.ok();
    assert_eq!(a["assigned_account"], Value::Null);
    let a = s.post(&path("resolve"), Some(&t), json!({})).await.ok();
    assert_eq!(a["action_taken"], true);
    assert!(a["action_taken_at"].is_string());
    let open = s.get("/api/v1/admin/reports", Some(&t)).await.ok();
    assert_eq!(ids(&open), vec![r2["id"].as_str().unwrap().to_string()]);
    let done = s
        .get("/api/v1/admin/reports?resolved=true", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&done), vec![r1_id.clone()]);
    let a = s.post(&path("reopen"), Some(&t), json!({})).await.ok();
    assert_eq!(a["action_taken"], false);
    assert_eq!(
        ids(&s.get("/api/v1/admin/reports", Some(&t)).await.ok()).len(),
        2
    );
    s.get("/api/v1/admin/reports/12345", Some(&t))
        .await
        .error(404);
}

#[tokio::test]
async fn a_suspension_hides_the_account_and_everything_it_posted() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let m = s.register("mod").await;
    let t = staff_token(&s, &m, Role::Moderator).await;
    s.follow(&alice, &bob).await;
    let post = s.post_status(&bob, json!({"status": "bob's post"})).await;
    let alices = s.post_status(&alice, json!({"status": "alice asks"})).await;
    let reply = s
        .post_status(
            &bob,
            json!({"status": "@alice bob answers", "in_reply_to_id": alices["id"]}),
        )
        .await;
    let reblog = s
        .post(
            &format!("/api/v1/statuses/{}/reblog", alices["id"].as_str().unwrap()),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    let bob_ids = [
        post["id"].clone(),
        reply["id"].clone(),
        reblog["id"].clone(),
    ];
    let home_has_bob = |home: &[String]| {
        bob_ids
            .iter()
            .any(|i| home.contains(&i.as_str().unwrap().to_string()))
    };
    assert!(home_has_bob(&s.home_ids(&alice).await));
    assert!(s
        .public_ids(None)
        .await
        .contains(&post["id"].as_str().unwrap().to_string()));
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    assert!(notes
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["account"]["id"] == bob.id.as_str()));

    s.post(
        &format!("/api/v1/admin/accounts/{}/action", bob.id),
        Some(&t),
        json!({"type": "suspend"}),
    )
    .await
    .ok();

    // Nobody can act on the posts any more.
    let pid = post["id"].as_str().unwrap();
    for act in ["favourite", "reblog", "bookmark"] {
        s.post(
            &format!("/api/v1/statuses/{pid}/{act}"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .error(404);
    }
    s.post_status_raw(&alice, json!({"status": "re", "in_reply_to_id": pid}))
        .await
        .error(404);
    // Gone from the home and public timelines, the thread, the notifications, the profile.
    assert!(
        !home_has_bob(&s.home_ids(&alice).await),
        "home still shows bob"
    );
    assert!(!s
        .public_ids(Some(&alice))
        .await
        .contains(&post["id"].as_str().unwrap().to_string()));
    let ctx = s
        .get(
            &format!(
                "/api/v1/statuses/{}/context",
                alices["id"].as_str().unwrap()
            ),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ctx["descendants"], json!([]), "{ctx}");
    s.get(
        &format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()),
        Some(&alice.token),
    )
    .await
    .error(404);
    let notes = s
        .get("/api/v1/notifications", Some(&alice.token))
        .await
        .ok();
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["account"]["id"] == bob.id.as_str()),
        "{notes}"
    );
    let profile = s
        .get(&format!("/api/v1/accounts/{}", bob.id), Some(&alice.token))
        .await
        .ok();
    assert_eq!(profile["suspended"], true);
    assert_eq!(profile["display_name"], "");
    assert_eq!(profile["note"], "");
    assert_eq!(profile["statuses_count"], 0);
    assert!(s.account_status_ids(&bob, Some(&alice)).await.is_empty());
    // Bob is signed out and cannot sign in.
    s.get("/api/v1/accounts/verify_credentials", Some(&bob.token))
        .await
        .error(401);
    assert!(!can_sign_in(&s, "bob").await);
    let listed = s
        .get("/api/v1/admin/accounts?suspended=true", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&listed), vec![bob.id.clone()]);

    // Unsuspending brings everything back; Bob signs in again.
    let back = s
        .post(
            &format!("/api/v1/admin/accounts/{}/unsuspend", bob.id),
            Some(&t),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(back["suspended"], false);
    assert!(home_has_bob(&s.home_ids(&alice).await));
    let ctx = s
        .get(
            &format!(
                "/api/v1/statuses/{}/context",
                alices["id"].as_str().unwrap()
            ),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(
        ids(&ctx["descendants"]),
        vec![reply["id"].as_str().unwrap().to_string()]
    );
    let profile = s
        .get(&format!("/api/v1/accounts/{}", bob.id), None)
        .await
        .ok();
    assert!(profile.get("suspended").is_none());
    assert!(can_sign_in(&s, "bob").await);
}

#[tokio::test]
async fn a_suspension_closes_the_accounts_streams_and_keeps_its_tokens() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let m = s.register("mod").await;
    let t = staff_token(&s, &m, Role::Moderator).await;
    let q = |u: &User| format!("?access_token={}&stream=user", u.token);
    let mut bobs = crate::streaming::connect(&s, &q(&bob)).await;
    let mut alices = crate::streaming::connect(&s, &q(&alice)).await;
    crate::streaming::settle(&s, 2).await;

    s.post(
        &format!("/api/v1/admin/accounts/{}/action", bob.id),
        Some(&t),
        json!({"type": "suspend"}),
    )
    .await
    .ok();
    // Bob's socket closes at once; Alice's stays open.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match bobs.next().await {
                Some(Ok(Message::Close(Some(f)))) => return Some(u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(1008));
    let live = s.running.as_ref().unwrap().roost.live.clone();
    eventually(5, "only alice's socket left", || async {
        (live.connections() == 1).then_some(())
    })
    .await;
    // While suspended, the token is refused.
    s.get("/api/v1/accounts/verify_credentials", Some(&bob.token))
        .await
        .error(401);

    // Unsuspended, the same token works again.
    s.post(
        &format!("/api/v1/admin/accounts/{}/unsuspend", bob.id),
        Some(&t),
        json!({}),
    )
    .await
    .ok();
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&bob.token))
        .await
        .ok();
    assert_eq!(me["id"], bob.id.as_str());
    s.post_status(&bob, json!({"status": "back"})).await;
    let _ = crate::streaming::connect(&s, &q(&bob)).await;
    crate::streaming::settle(&s, 2).await;
    let _ = &mut alices;
}

async fn register_with(s: &TestServer, username: &str, reason: Option<&str>) -> Resp {
    let app_token = s.app_token("read write follow push").await;
    let mut body = json!({"username": username, "email": format!("{username}@example.org"),
                          "password": "correct horse battery", "agreement": true, "locale": "en"});
    if let Some(r) = reason {
        body["reason"] = json!(r);
    }
    s.post("/api/v1/accounts", Some(&app_token), body).await
}

#[tokio::test]
async fn approval_mode_queues_sign_ups_for_the_moderators() {
    let s = TestServer::start_with(|c| c.registrations_approval = true).await;
    let v1 = s.get("/api/v1/instance", None).await.ok();
    assert_eq!(v1["registrations"], true);
    assert_eq!(v1["approval_required"], true);
    let v2 = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(v2["registrations"]["enabled"], true);
    assert_eq!(v2["registrations"]["approval_required"], true);
    assert_eq!(v2["registrations"]["reason_required"], true);
    let nodeinfo = s.get("/nodeinfo/2.0", None).await.ok();
    assert_eq!(nodeinfo["openRegistrations"], false);

    // The moderator, made before any sign-up to be notified of them.
    let roost = &s.running.as_ref().unwrap().roost;
    roost
        .admin_create_account("mod", "mod@example.org", "correct horse battery")
        .await
        .unwrap();
    let m = User {
        id: String::new(),
        username: "mod".into(),
        token: String::new(),
    };
    // Created by the operator: approved already.
    let t = staff_token(&s, &m, Role::Moderator).await;

    let e = register_with(&s, "dana", None).await.error(422);
    assert!(e.contains("Reason"), "{e}");
    let tok = register_with(&s, "dana", Some("I run the finance team's account"))
        .await
        .ok();
    let token = tok["access_token"].as_str().unwrap();
    // Pending: the token is refused as Mastodon's `require_user!` does, the password
    // does not sign in, and nobody finds the account or its page.
    let e = s
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await
        .error(403);
    assert!(
        e.contains("Your login is currently pending approval"),
        "{e}"
    );
    s.post_status_raw(
        &User {
            id: String::new(),
            username: "dana".into(),
            token: token.to_string(),
        },
        json!({"status": "hello"}),
    )
    .await
    .error(403);
    assert!(!can_sign_in(&s, "dana").await);
    s.get("/api/v1/accounts/lookup?acct=dana", None)
        .await
        .error(404);
    s.get("/api/v1/accounts/lookup?acct=dana", Some(&t))
        .await
        .error(404);
    s.get("/@dana", None).await.expect(404);

    let pending = s
        .get("/api/v1/admin/accounts?pending=true", Some(&t))
        .await
        .ok();
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    let dana = pending[0].clone();
    assert_eq!(dana["username"], "dana");
    assert_eq!(dana["approved"], false);
    assert_eq!(dana["invite_request"], "I run the finance team's account");
    let notes = s.get("/api/v1/notifications", Some(&t)).await.ok();
    assert_eq!(notes[0]["type"], "admin.sign_up", "{notes}");
    assert_eq!(notes[0]["account"]["id"], dana["id"]);

    let dana_id = dana["id"].as_str().unwrap();
    let ok = s
        .post(
            &format!("/api/v1/admin/accounts/{dana_id}/approve"),
            Some(&t),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(ok["approved"], true);
    assert!(can_sign_in(&s, "dana").await);
    // Approved: the sign-up's own token works, and the account is found.
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await
        .ok();
    assert_eq!(me["username"], "dana");
    let found = s.get("/api/v1/accounts/lookup?acct=dana", None).await.ok();
    assert_eq!(found["id"], dana["id"]);
    s.get("/@dana", None).await.ok();
    // Approving twice is refused.
    s.post(
        &format!("/api/v1/admin/accounts/{dana_id}/approve"),
        Some(&t),
        json!({}),
    )
    .await
    .error(403);

    // Rejecting deletes the sign-up.
    register_with(&s, "eve", Some("spam")).await.ok();
    let pending = s
        .get("/api/v2/admin/accounts?status=pending", Some(&t))
        .await
        .ok();
    let eve_id = pending[0]["id"].as_str().unwrap().to_string();
    s.post(
        &format!("/api/v1/admin/accounts/{eve_id}/reject"),
        Some(&t),
        json!({}),
    )
    .await
    .ok();
    s.get(&format!("/api/v1/admin/accounts/{eve_id}"), Some(&t))
        .await
        .error(404);
    assert!(!can_sign_in(&s, "eve").await);
}

#[tokio::test]
async fn closed_and_open_modes_say_so() {
    let s = TestServer::start_with(|c| c.registrations_open = false).await;
    let e = register_with(&s, "zed", Some("hi")).await.error(403);
    assert!(e.contains("closed"), "{e}");
    let v1 = s.get("/api/v1/instance", None).await.ok();
    assert_eq!(
        (v1["registrations"].clone(), v1["approval_required"].clone()),
        (json!(false), json!(false))
    );
    let v2 = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(v2["registrations"]["enabled"], false);
    assert_eq!(v2["registrations"]["approval_required"], false);

    let s = TestServer::start().await;
    let v2 = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(v2["registrations"]["enabled"], true);
    assert_eq!(v2["registrations"]["approval_required"], false);
    assert_eq!(v2["registrations"]["reason_required"], false);
    // Open: signed in at once, no reason needed.
    let tok = register_with(&s, "zed", None).await.ok();
    s.get(
        "/api/v1/accounts/verify_credentials",
        tok["access_token"].as_str(),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_suspension_and_a_forwarded_report_cross_regions() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let (at_in, at_id) = (r.get("in"), r.get("id"));
    follow_across(&r, "in", &asha, "id", &budi).await;
    let post = at_id
        .post_status(&budi, json!({"status": "from jakarta"}))
        .await;
    let pid = post["id"].as_str().unwrap().to_string();
    eventually(10, "budi's post in asha's home", || async {
        at_in.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;

    // Asha reports Budi at her region and asks for the report to be forwarded.
    let rep = report(at_in, &asha, json!({"account_id": budi.id, "status_ids": [pid], "comment": "scam", "category": "spam", "forward": true}))
        .await
        .ok();
    assert_eq!(rep["forwarded"], true);
    let m_in = at_in.register("mod_in").await;
    let t_in = staff_token(at_in, &m_in, Role::Moderator).await;
    let here = at_in.get("/api/v1/admin/reports", Some(&t_in)).await.ok();
    assert_eq!(here[0]["account"]["id"], asha.id.as_str(), "{here}");

    // Budi's home gets it without the reporter, with his post by ID.
    let m_id = at_id.register("mod_id").await;
    let t_id = staff_token(at_id, &m_id, Role::Moderator).await;
    let there = eventually(10, "the forwarded report", || async {
        let q = at_id.get("/api/v1/admin/reports", Some(&t_id)).await.ok();
        (q.as_array().unwrap().len() == 1).then_some(q)
    })
    .await;
    assert_eq!(
        there[0]["account"],
        Value::Null,
        "the reporter is never sent: {there}"
    );
    assert_eq!(there[0]["roost"]["origin_region"], "in");
    assert_eq!(there[0]["target_account"]["id"], budi.id.as_str());
    assert_eq!(there[0]["statuses"][0]["id"], pid.as_str());
    assert_eq!(there[0]["comment"], "scam");
    assert!(!there.to_string().contains("asha"), "{there}");

    // Budi's home suspends him: the region that keeps his post hides it too.
    at_id
        .post(
            &format!("/api/v1/admin/accounts/{}/action", budi.id),
            Some(&t_id),
            json!({"type": "suspend", "report_id": there[0]["id"]}),
        )
        .await
        .ok();
    eventually(10, "budi hidden in asha's region", || async {
        (!at_in.home_ids(&asha).await.contains(&pid)).then_some(())
    })
    .await;
    let seen = at_in
        .get(&format!("/api/v1/accounts/{}", budi.id), Some(&asha.token))
        .await
        .ok();
    assert_eq!(seen["suspended"], true, "{seen}");
    at_in
        .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
        .await
        .error(404);
    // The moderators still see what was reported; the report is settled by the action.
    let rid = there[0]["id"].as_str().unwrap();
    let settled = at_id
        .get(&format!("/api/v1/admin/reports/{rid}"), Some(&t_id))
        .await
        .ok();
    assert_eq!(settled["action_taken"], true);
    assert_eq!(settled["statuses"][0]["id"], pid.as_str(), "{settled}");
    assert_eq!(settled["target_account"]["suspended"], true);
    // Budi's own region hides him from its users as well.
    at_id
        .get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .error(404);

    // And back.
    at_id
        .post(
            &format!("/api/v1/admin/accounts/{}/unsuspend", budi.id),
            Some(&t_id),
            json!({}),
        )
        .await
        .ok();
    eventually(10, "budi shown again in asha's region", || async {
        at_in.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_suspended_accounts_actor_document_carries_no_profile() {
    // `id` lets `in` show its users' public content but not keep it: `in` reads Budi's
    // profile live, and is not told of the suspension.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(
                roost_residency::DataClass::PublicContent,
                roost_residency::Action::parse("transit").unwrap(),
            );
        }
        p
    })
    .await;
    let (asha, budi) = r.asha_and_budi().await;
    let (at_in, at_id) = (r.get("in"), r.get("id"));
    at_id
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&budi.token),
            json!({"display_name": "Budi Santoso", "note": "treasurer"}),
        )
        .await
        .ok();
    // Cita's profile, read live, shows; Budi's, once suspended, does not.
    let cita = at_id.register("cita").await;
    at_id
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&cita.token),
            json!({"display_name": "Cita Lestari"}),
        )
        .await
        .ok();
    let found = at_in.lookup(&asha, &r.handle("id", "cita")).await;
    assert_eq!(found["display_name"], "Cita Lestari", "{found}");
    let m = at_id.register("mod_id").await;
    let t = staff_token(at_id, &m, Role::Moderator).await;
    at_id
        .post(
            &format!("/api/v1/admin/accounts/{}/action", budi.id),
            Some(&t),
            json!({"type": "suspend"}),
        )
        .await
        .ok();
    let seen = at_in.lookup(&asha, &r.handle("id", "budi")).await;
    assert_eq!(seen["id"], budi.id.as_str());
    assert_eq!(seen["suspended"], true, "{seen}");
    assert_eq!(seen["display_name"], "", "{seen}");
    assert_eq!(seen["note"], "", "{seen}");
    assert!(!seen.to_string().contains("treasurer"), "{seen}");
    let again = at_in
        .get(&format!("/api/v1/accounts/{}", budi.id), Some(&asha.token))
        .await
        .ok();
    assert!(!again.to_string().contains("Santoso"), "{again}");
}

#[tokio::test]
async fn a_domain_block_hides_that_regions_posts() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let at_in = r.get("in");
    follow_across(&r, "in", &asha, "id", &budi).await;
    let post = r
        .get("id")
        .post_status(&budi, json!({"status": "from jakarta"}))
        .await;
    let pid = post["id"].as_str().unwrap().to_string();
    eventually(10, "budi's post in asha's home", || async {
        at_in.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    let a = at_in.register("boss").await;
    let t = staff_token(at_in, &a, Role::Admin).await;
    let domain = r.cluster.region("id").unwrap().domain();
    let b = at_in
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&t),
            json!({"domain": domain, "severity": "suspend", "private_comment": "test"}),
        )
        .await
        .ok();
    assert_eq!(b["severity"], "suspend");
    assert_eq!(b["domain"], domain.to_lowercase());
    at_in
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&t),
            json!({"domain": domain}),
        )
        .await
        .error(422);
    assert!(!at_in.home_ids(&asha).await.contains(&pid));
    let list = at_in
        .get("/api/v1/admin/domain_blocks", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&list), vec![b["id"].as_str().unwrap().to_string()]);
    at_in
        .delete(
            &format!("/api/v1/admin/domain_blocks/{}", b["id"].as_str().unwrap()),
            Some(&t),
        )
        .await
        .ok();
    assert!(at_in.home_ids(&asha).await.contains(&pid));

    // `silence`: kept out of the public timeline, still in the follower's home.
    assert!(at_in.public_ids(None).await.contains(&pid));
    at_in
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&t),
            json!({"domain": domain, "severity": "silence"}),
        )
        .await
        .ok();
    assert!(!at_in.public_ids(None).await.contains(&pid));
    assert!(at_in.home_ids(&asha).await.contains(&pid));
    // Unknown severities are refused.
    at_in
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&t),
            json!({"domain": "other.example", "severity": "obliterate"}),
        )
        .await
        .error(422);
}

#[tokio::test]
async fn moderators_work_the_queue_from_the_web_pages() {
    use crate::web_pages::Browser;
    let s = TestServer::start().await;
    let mut alice = Browser::new(&s.base);
    alice.sign_up("alice").await;
    let bob = s.register("bob").await;
    let post = s.post_status(&bob, json!({"status": "spam spam"})).await;
    let pid = post["id"].as_str().unwrap();

    // A "Report" link on the post leads to the form; sending it files the report.
    alice
        .get("/@bob")
        .await
        .has(&format!("href=\"/report/@bob?status={pid}\""));
    alice
        .get(&format!("/report/@bob?status={pid}"))
        .await
        .has("Report @bob");
    let p = alice
        .submit(
            &format!("/report/{}", bob.id),
            &[
                ("category", "spam"),
                ("comment", "it is spam"),
                ("status", pid),
            ],
        )
        .await;
    assert_eq!(p.status.as_u16(), 303, "{}", p.body);
    alice
        .get(&format!("/report/{}", bob.id))
        .await
        .has("the moderators will look");
    // Without the CSRF token nothing is filed.
    let p = alice
        .submit_raw(&format!("/report/{}", bob.id), &[("comment", "forged")])
        .await;
    assert_eq!(p.status.as_u16(), 403);

    // Alice is no moderator.
    assert_eq!(alice.get("/admin/reports").await.status.as_u16(), 403);

    let m = s.register("mod").await;
    let t = staff_token(&s, &m, Role::Moderator).await;
    let mut moderator = Browser::new(&s.base);
    moderator.get("/login").await;
    let p = moderator
        .submit(
            "/login",
            &[("login", "mod"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(p.status.as_u16(), 303, "{}", p.body);
    let queue = moderator.get("/admin/reports").await;
    queue
        .has("it is spam")
        .has("@alice")
        .has("@bob")
        .lacks("forged");
    let reports = s.get("/api/v1/admin/reports", Some(&t)).await.ok();
    assert_eq!(reports.as_array().unwrap().len(), 1);
    let rid = reports[0]["id"].as_str().unwrap().to_string();

    // Suspend from the queue (settling the report), then resolve and reopen.
    let p = moderator
        .submit(
            &format!("/admin/accounts/{}/suspend", bob.id),
            &[("report", &rid)],
        )
        .await;
    assert_eq!(p.status.as_u16(), 303, "{}", p.body);
    let got = s
        .get(&format!("/api/v1/admin/accounts/{}", bob.id), Some(&t))
        .await
        .ok();
    assert_eq!(got["suspended"], true);
    // Bob's page: suspended, his post gone.
    alice
        .get("/@bob")
        .await
        .has("This account has been suspended.")
        .lacks("spam spam");
    let got = s
        .get(&format!("/api/v1/admin/reports/{rid}"), Some(&t))
        .await
        .ok();
    assert_eq!(got["action_taken"], true);
    moderator
        .get("/admin/reports?resolved=1")
        .await
        .has("it is spam")
        .has("Unsuspend");
    moderator
        .submit(&format!("/admin/reports/{rid}/reopen"), &[])
        .await;
    let got = s
        .get(&format!("/api/v1/admin/reports/{rid}"), Some(&t))
        .await
        .ok();
    assert_eq!(got["action_taken"], false);
    moderator.get("/admin/reports").await;
    moderator
        .submit(&format!("/admin/accounts/{}/unsuspend", bob.id), &[])
        .await;
    let got = s
        .get(&format!("/api/v1/admin/accounts/{}", bob.id), Some(&t))
        .await
        .ok();
    assert_eq!(got["suspended"], false);
}

#[tokio::test]
async fn web_sign_up_follows_the_approval_mode() {
    use crate::web_pages::Browser;
    let s = TestServer::start_with(|c| c.registrations_approval = true).await;
    let mut b = Browser::new(&s.base);
    b.get("/signup")
        .await
        .has("name=\"reason\"")
        .has("reviewed by a moderator");
    let p = b
        .submit(
            "/signup",
            &[
                ("username", "gia"),
                ("email", "gia@example.org"),
                ("password", "correct horse battery"),
                ("reason", "I write the newsletter"),
            ],
        )
        .await;
    assert_eq!(p.status.as_u16(), 200, "{}", p.body);
    p.has("A moderator will review your sign-up");
    // Not signed in: the home page asks to sign in.
    assert_ne!(b.get("/home").await.status.as_u16(), 200);
    let roost = &s.running.as_ref().unwrap().roost;
    roost
        .admin_create_account("mod", "mod@example.org", "correct horse battery")
        .await
        .unwrap();
    let m = User {
        id: String::new(),
        username: "mod".into(),
        token: String::new(),
    };
    let t = staff_token(&s, &m, Role::Moderator).await;
    let pending = s
        .get("/api/v1/admin/accounts?pending=true", Some(&t))
        .await
        .ok();
    assert_eq!(pending[0]["username"], "gia");
    assert_eq!(pending[0]["invite_request"], "I write the newsletter");

    let mut moderator = Browser::new(&s.base);
    moderator.get("/login").await;
    moderator
        .submit(
            "/login",
            &[("login", "mod"), ("password", "correct horse battery")],
        )
        .await;
    moderator
        .get("/admin/accounts")
        .await
        .has("@gia")
        .has("I write the newsletter");
    let gid = pending[0]["id"].as_str().unwrap();
    moderator
        .submit(&format!("/admin/accounts/{gid}/approve"), &[])
        .await;
    moderator
        .get("/admin/accounts")
        .await
        .has("Approved.")
        .lacks("@gia");
    assert!(can_sign_in(&s, "gia").await);
}

#[tokio::test]
async fn roost_admin_set_role_makes_a_moderator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_roost");
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(bin);
        // Keep the environment from changing the settings under test.
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
            c.env_remove(k);
        }
        c.arg("admin")
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "create-account",
        "--username",
        "yara",
        "--email",
        "yara@example.org",
        "--password",
        "correct horse battery",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["set-role", "--username", "yara", "--role", "moderator"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("yara is now moderator"));
    let bad = run(&["set-role", "--username", "yara", "--role", "king"]);
    assert!(!bad.status.success());
    let nobody = run(&["set-role", "--username", "nobody", "--role", "admin"]);
    assert!(!nobody.status.success());

    let s = TestServer::start_in(dir, |_| {}).await;
    let yara = User {
        id: String::new(),
        username: "yara".into(),
        token: String::new(),
    };
    let t = admin_token(&s, &yara).await;
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(&t))
        .await
        .ok();
    assert_eq!(me["role"]["name"], "Moderator");
    s.get("/api/v1/admin/accounts", Some(&t)).await.ok();
}

#[tokio::test]
async fn a_region_suspends_another_regions_account_for_itself() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let at_in = r.get("in");
    follow_across(&r, "in", &asha, "id", &budi).await;
    let m = at_in.register("mod_in").await;
    let t = staff_token(at_in, &m, Role::Moderator).await;
    let mut ws =
        crate::streaming::connect(at_in, &format!("?access_token={}&stream=user", asha.token))
            .await;
    crate::streaming::settle(at_in, 1).await;
    let remote = at_in
        .get("/api/v1/admin/accounts?remote=true", Some(&t))
        .await
        .ok();
    assert_eq!(ids(&remote), vec![budi.id.clone()], "{remote}");
    let domain = r.cluster.region("id").unwrap().domain();
    assert_eq!(remote[0]["domain"], domain.as_str());
    assert_eq!(remote[0]["email"], "", "identity data never crosses");
    at_in
        .post(
            &format!("/api/v1/admin/accounts/{}/action", budi.id),
            Some(&t),
            json!({"type": "suspend"}),
        )
        .await
        .ok();

    // A post that arrives afterwards is kept (it is Budi's region's to delete) but shown
    // to nobody here; his region still shows it.
    let post = r
        .get("id")
        .post_status(&budi, json!({"status": "after the suspension"}))
        .await;
    let pid: roost_core::Id = post["id"].as_str().unwrap().parse().unwrap();
    let roost = at_in.running.as_ref().unwrap().roost.clone();
    eventually(10, "the post to arrive in asha's region", || async {
        roost.store().status(pid).await.unwrap().map(|_| ())
    })
    .await;
    assert!(!at_in.home_ids(&asha).await.contains(&pid.to_string()));
    // Nor streamed: Asha's stream has her own next post, not Budi's.
    let sentinel = at_in
        .post_status(&asha, json!({"status": "sentinel"}))
        .await;
    let frames = crate::streaming::events_until(&mut ws, sentinel["id"].as_str().unwrap()).await;
    assert_eq!(
        crate::streaming::update_ids(&frames),
        vec![sentinel["id"].as_str().unwrap().to_string()]
    );
    r.get("id")
        .get(&format!("/api/v1/statuses/{pid}"), None)
        .await
        .ok();
    // Budi himself still signs in at home.
    r.get("id")
        .get("/api/v1/accounts/verify_credentials", Some(&budi.token))
        .await
        .ok();
}

#[tokio::test]
async fn only_its_home_region_can_suspend_an_account_elsewhere() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let chen = r.get("cn").register("chen").await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    follow_across(&r, "id", &budi, "cn", &chen).await;
    let rogue = crate::rogue::Rogue::of(&r, "cn");
    let at_id = r.get("id");
    let token = budi.token.clone();
    let suspended = |id: String| {
        let token = token.clone();
        async move {
            at_id
                .get(&format!("/api/v1/accounts/{id}"), Some(&token))
                .await
                .ok()
                .get("suspended")
                .is_some()
        }
    };

    // `cn` claims to suspend Asha, of `in`: as her, or naming her as its object.
    let as_her = rogue.activity(
        &r,
        "roost:Suspend",
        &asha.id,
        "asha",
        "in",
        json!(rogue.user(&asha.id)),
    );
    rogue.deliver(&r, "id", &as_her).await.expect(403);
    let naming_her = rogue.activity(
        &r,
        "roost:Suspend",
        &chen.id,
        "chen",
        "cn",
        json!(format!(
            "{}/ap/users/{}",
            crate::rogue::base(&r, "in"),
            asha.id
        )),
    );
    rogue.deliver(&r, "id", &naming_her).await.expect(403);
    assert!(!suspended(asha.id.clone()).await);

    // Its own user: accepted.
    let own = rogue.activity(
        &r,
        "roost:Suspend",
        &chen.id,
        "chen",
        "cn",
        json!(rogue.user(&chen.id)),
    );
    rogue.deliver(&r, "id", &own).await.ok();
    assert!(suspended(chen.id.clone()).await);
}

/// A region India's administrators suspend is sent nothing and has nothing kept from it
/// (Mastodon stops delivering to a suspended domain): Asha's new post does not reach
/// Budi and India's ledger records no send of it; Budi's post is refused at India's
/// door and India keeps no row, entry or claim of it. What retracts still goes: Asha's
/// deletion of an older post reaches Indonesia, which removes its copy. Lifted, Asha's
/// next post goes again.
#[tokio::test]
async fn a_suspended_region_is_sent_nothing_and_kept_nothing_from_but_retractions() {
    use crate::backend::Val;
    let r = Regions::start(|_| policy_all("store")).await;
    let (asha, budi) = r.asha_and_budi().await;
    let (at_in, at_id) = (r.get("in"), r.get("id"));
    follow_across(&r, "in", &asha, "id", &budi).await;
    follow_across(&r, "id", &budi, "in", &asha).await;
    let before = post_across(&r, "in", &asha, "before", "id", &budi).await;

    let boss = at_in.register("boss").await;
    let t = staff_token(at_in, &boss, Role::Admin).await;
    let domain = r.cluster.region("id").unwrap().domain();
    let block = at_in
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&t),
            json!({"domain": domain, "severity": "suspend"}),
        )
        .await
        .ok();
    let during = id_of(&at_in.post_status(&asha, json!({"status": "during"})).await);
    let theirs = id_of(
        &at_id
            .post_status(&budi, json!({"status": "from jakarta, while suspended"}))
            .await,
    );
    // The deletion goes, after the post: once Indonesia has removed its copy, the post
    // was tried too.
    at_in
        .delete(&format!("/api/v1/statuses/{before}"), Some(&asha.token))
        .await
        .ok();
    eventually(10, "the deletion at indonesia", || async {
        let db = crate::regions::db(&r, "id").await;
        let n = db
            .i64(
                "SELECT COUNT(*) FROM statuses WHERE id = $1",
                &[Val::I(before.parse().unwrap())],
            )
            .await;
        db.close().await;
        (n == 0).then_some(())
    })
    .await;
    // Budi's post was refused at India's door, and Indonesia was told why.
    let id_db = crate::regions::db(&r, "id").await;
    eventually(10, "india's refusal", || async {
        let errors = id_db
            .texts(
                "SELECT COALESCE(last_error, '') FROM outbox WHERE object = 'status:' || $1",
                &[Val::I(theirs.parse().unwrap())],
            )
            .await;
        errors
            .iter()
            .any(|e| e.contains("suspended by this region's administrators"))
            .then_some(())
    })
    .await;
    id_db.close().await;
    assert!(!at_id.home_ids(&budi).await.contains(&during));
    let sent: Vec<Value> = crate::move_home::ledger(at_in)
        .await
        .into_iter()
        .filter(|e| e["counterpart"] == "id")
        .collect();
    for object in [format!("status:{during}"), format!("status:{theirs}")] {
        assert!(
            !sent.iter().any(|e| e["object"] == object.as_str()),
            "{object} crossed: {sent:?}"
        );
    }
    assert!(
        sent.iter()
            .any(|e| e["object"] == format!("status:{before}").as_str()
                && e["direction"] == "sent"),
        "the first post and its deletion went: {sent:?}"
    );
    let in_db = crate::regions::db(&r, "in").await;
    for sql in [
        "SELECT COUNT(*) FROM statuses WHERE id = $1",
        "SELECT COUNT(*) FROM foreign_items WHERE object = 'status:' || $1",
    ] {
        assert_eq!(
            in_db.i64(sql, &[Val::I(theirs.parse().unwrap())]).await,
            0,
            "{sql}"
        );
    }
    in_db.close().await;

    at_in
        .delete(
            &format!(
                "/api/v1/admin/domain_blocks/{}",
                block["id"].as_str().unwrap()
            ),
            Some(&t),
        )
        .await
        .ok();
    let after = id_of(&at_in.post_status(&asha, json!({"status": "after"})).await);
    eventually(10, "asha's post after the block is lifted", || async {
        at_id.home_ids(&budi).await.contains(&after).then_some(())
    })
    .await;
    r.stop_all().await;
}
