//! Grouped notifications (`/api/v2/notifications`): favourites, reblogs and follows
//! grouped by status and 12-hour window, `grouped_types[]`, the type and account
//! filters, paging by the `Link` header in both directions, partial accounts, one
//! group's show / accounts / dismiss, the unread count with the marker, errors and
//! scopes, and the keys `/api/v1/notifications` shows.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SPAN_MS: u64 = 12 * 3_600_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Waits out the last minute of a 12-hour UTC window, so that the notifications a test
/// makes next all fall in one window (a group never spans two).
async fn clear_of_window_edge() {
    let left = SPAN_MS - now_ms() % SPAN_MS;
    if left < 60_000 {
        tokio::time::sleep(Duration::from_millis(left + 1_000)).await;
    }
}

/// The hour (since the Unix epoch) that starts the current window: the last part of a
/// group key.
fn window_hour() -> u64 {
    let hour = now_ms() / 3_600_000;
    hour - hour % 12
}

struct World {
    s: TestServer,
    alice: User,
    bob: User,
    carol: User,
    dave: User,
    erin: User,
}

async fn world() -> World {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let dave = s.register("dave").await;
    let erin = s.register("erin").await;
    clear_of_window_edge().await;
    World {
        s,
        alice,
        bob,
        carol,
        dave,
        erin,
    }
}

impl World {
    async fn post(&self, text: &str) -> String {
        id_of(
            &self
                .s
                .post_status(&self.alice, json!({ "status": text }))
                .await,
        )
    }
    async fn fav(&self, who: &User, status: &str) {
        self.s
            .post(
                &format!("/api/v1/statuses/{status}/favourite"),
                Some(&who.token),
                json!({}),
            )
            .await
            .ok();
    }
    async fn reblog(&self, who: &User, status: &str) {
        self.s
            .post(
                &format!("/api/v1/statuses/{status}/reblog"),
                Some(&who.token),
                json!({}),
            )
            .await
            .ok();
    }
    async fn mention(&self, who: &User, text: &str) -> String {
        id_of(
            &self
                .s
                .post_status(who, json!({ "status": format!("@alice {text}") }))
                .await,
        )
    }
    /// Alice's grouped notifications.
    async fn v2(&self, query: &str) -> Value {
        self.s
            .get(
                &format!("/api/v2/notifications{query}"),
                Some(&self.alice.token),
            )
            .await
            .expect(200)
    }
    /// Alice's plain notifications, newest first.
    async fn v1(&self) -> Vec<Value> {
        self.s
            .get("/api/v1/notifications?limit=40", Some(&self.alice.token))
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .clone()
    }
    async fn unread(&self, query: &str) -> i64 {
        self.s
            .get(
                &format!("/api/v2/notifications/unread_count{query}"),
                Some(&self.alice.token),
            )
            .await
            .expect(200)["count"]
            .as_i64()
            .unwrap()
    }
}

fn groups(body: &Value) -> &Vec<Value> {
    body["notification_groups"]
        .as_array()
        .unwrap_or_else(|| panic!("no notification_groups in {body}"))
}

fn keys(body: &Value) -> Vec<String> {
    groups(body)
        .iter()
        .map(|g| g["group_key"].as_str().unwrap().to_string())
        .collect()
}

fn group<'a>(body: &'a Value, key: &str) -> &'a Value {
    groups(body)
        .iter()
        .find(|g| g["group_key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {:?}", keys(body)))
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn set(v: &[&str]) -> HashSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The v1 notification of `kind` from `from`, about `status` when given.
fn v1_of<'a>(list: &'a [Value], kind: &str, from: &User, status: Option<&str>) -> &'a Value {
    let found: Vec<&Value> = list
        .iter()
        .filter(|n| {
            n["type"] == kind
                && n["account"]["id"] == from.id.as_str()
                && status.is_none_or(|s| n["status"]["id"] == s)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind} from {} in {list:?}",
        from.username
    );
    found[0]
}

fn nid(n: &Value) -> String {
    n["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn favourites_and_reblogs_of_one_post_are_one_group_each() {
    let w = world().await;
    let post = w.post("a post worth liking").await;
    for u in [&w.bob, &w.carol, &w.dave] {
        w.fav(u, &post).await;
    }
    for u in [&w.bob, &w.carol] {
        w.reblog(u, &post).await;
    }
    let m1 = w.mention(&w.erin, "first").await;
    let m2 = w.mention(&w.erin, "second").await;
    let hour = window_hour();

    let v1 = w.v1().await;
    let fav_key = format!("favourite-{post}-{hour}");
    let reblog_key = format!("reblog-{post}-{hour}");
    let mention1 = v1_of(&v1, "mention", &w.erin, Some(&m1));
    let mention2 = v1_of(&v1, "mention", &w.erin, Some(&m2));

    let body = w.v2("").await;
    assert_eq!(
        keys(&body),
        vec![
            format!("ungrouped-{}", nid(mention2)),
            format!("ungrouped-{}", nid(mention1)),
            reblog_key.clone(),
            fav_key.clone(),
        ]
    );

    let fav = group(&body, &fav_key);
    let newest = v1_of(&v1, "favourite", &w.dave, None);
    let oldest = v1_of(&v1, "favourite", &w.bob, None);
    assert_eq!(fav["type"], "favourite");
    assert_eq!(fav["notifications_count"], 3);
    assert_eq!(
        strs(&fav["sample_account_ids"]),
        vec![w.dave.id.clone(), w.carol.id.clone(), w.bob.id.clone()]
    );
    assert_eq!(fav["status_id"], post.as_str());
    assert_eq!(fav["most_recent_notification_id"], newest["id"]);
    assert_eq!(fav["page_max_id"], newest["id"]);
    assert_eq!(fav["page_min_id"], oldest["id"]);
    assert_eq!(fav["latest_page_notification_at"], newest["created_at"]);

    let reblog = group(&body, &reblog_key);
    assert_eq!(reblog["type"], "reblog");
    assert_eq!(reblog["notifications_count"], 2);
    assert_eq!(
        strs(&reblog["sample_account_ids"]),
        vec![w.carol.id.clone(), w.bob.id.clone()]
    );
    assert_eq!(reblog["status_id"], post.as_str());

    let m = group(&body, &format!("ungrouped-{}", nid(mention1)));
    assert_eq!(m["type"], "mention");
    assert_eq!(m["notifications_count"], 1);
    assert_eq!(m["status_id"], m1.as_str());
    assert_eq!(m["most_recent_notification_id"], mention1["id"]);
    assert_eq!(strs(&m["sample_account_ids"]), vec![w.erin.id.clone()]);

    // Accounts and statuses once each, in full; no partial accounts unless asked.
    let account_ids = ids(&body["accounts"]);
    assert_eq!(account_ids.len(), 4, "{account_ids:?}");
    assert_eq!(
        account_ids.into_iter().collect::<HashSet<_>>(),
        set(&[&w.bob.id, &w.carol.id, &w.dave.id, &w.erin.id])
    );
    assert!(body["accounts"][0]["username"].is_string());
    assert!(body.get("partial_accounts").is_none(), "{body}");
    let status_ids = ids(&body["statuses"]);
    assert_eq!(status_ids, vec![m2.clone(), m1.clone(), post.clone()]);
    assert_eq!(body["statuses"][2]["favourites_count"], 3);

    // v1 shows the same keys.
    for n in &v1 {
        let expected = match n["type"].as_str().unwrap() {
            "favourite" => fav_key.clone(),
            "reblog" => reblog_key.clone(),
            _ => format!("ungrouped-{}", nid(n)),
        };
        assert_eq!(n["group_key"], expected.as_str(), "{n}");
    }
    assert_eq!(v1.len(), 7);
}

#[tokio::test]
async fn grouped_types_and_filters() {
    let w = world().await;
    let post = w.post("filter me").await;
    w.fav(&w.bob, &post).await;
    w.fav(&w.carol, &post).await;
    w.reblog(&w.bob, &post).await;
    let mention = w.mention(&w.erin, "hello").await;
    w.s.follow(&w.bob, &w.alice).await;
    w.s.follow(&w.carol, &w.alice).await;
    let hour = window_hour();
    let fav_key = format!("favourite-{post}-{hour}");
    let follow_key = format!("follow-{hour}");
    let v1 = w.v1().await;
    let fav_bob = nid(v1_of(&v1, "favourite", &w.bob, None));
    let fav_carol = nid(v1_of(&v1, "favourite", &w.carol, None));
    let mention_n = nid(v1_of(&v1, "mention", &w.erin, Some(&mention)));

    let all = w.v2("").await;
    assert_eq!(
        keys(&all),
        vec![
            follow_key.clone(),
            format!("ungrouped-{mention_n}"),
            format!("reblog-{post}-{hour}"),
            fav_key.clone(),
        ]
    );
    let follows = group(&all, &follow_key);
    assert_eq!(follows["type"], "follow");
    assert_eq!(follows["notifications_count"], 2);
    assert_eq!(
        strs(&follows["sample_account_ids"]),
        vec![w.carol.id.clone(), w.bob.id.clone()]
    );
    assert!(follows.get("status_id").is_none(), "{follows}");
    for n in v1.iter().filter(|n| n["type"] == "follow") {
        assert_eq!(n["group_key"], follow_key.as_str());
    }

    // Favourites left out of grouped_types[] come one by one, as `ungrouped-{id}`.
    let no_favs = w.v2("?grouped_types[]=reblog&grouped_types[]=follow").await;
    assert_eq!(
        keys(&no_favs),
        vec![
            follow_key.clone(),
            format!("ungrouped-{mention_n}"),
            format!("reblog-{post}-{hour}"),
            format!("ungrouped-{fav_carol}"),
            format!("ungrouped-{fav_bob}"),
        ]
    );
    let single = group(&no_favs, &format!("ungrouped-{fav_bob}"));
    assert_eq!(single["type"], "favourite");
    assert_eq!(single["notifications_count"], 1);
    assert_eq!(strs(&single["sample_account_ids"]), vec![w.bob.id.clone()]);
    assert_eq!(single["status_id"], post.as_str());
    // Naming no groupable type groups nothing.
    let none = w.v2("?grouped_types[]=").await;
    assert_eq!(groups(&none).len(), 6);
    assert!(keys(&none).iter().all(|k| k.starts_with("ungrouped-")));

    let only_favs = w.v2("?types[]=favourite").await;
    assert_eq!(keys(&only_favs), vec![fav_key.clone()]);
    assert_eq!(group(&only_favs, &fav_key)["notifications_count"], 2);
    let rest = w
        .v2("?exclude_types[]=favourite&exclude_types[]=mention")
        .await;
    assert_eq!(
        keys(&rest),
        vec![follow_key.clone(), format!("reblog-{post}-{hour}")]
    );
    // Types roost never sends select nothing; unknown ones among known are ignored.
    assert!(groups(&w.v2("?types[]=poll").await).is_empty());
    assert_eq!(
        keys(&w.v2("?types[]=favourite&types[]=poll").await),
        vec![fav_key.clone()]
    );

    // account_id: only carol's.
    let carols = w.v2(&format!("?account_id={}", w.carol.id)).await;
    assert_eq!(keys(&carols), vec![follow_key.clone(), fav_key.clone()]);
    let cf = group(&carols, &fav_key);
    assert_eq!(cf["notifications_count"], 1);
    assert_eq!(strs(&cf["sample_account_ids"]), vec![w.carol.id.clone()]);
    assert_eq!(ids(&carols["accounts"]), vec![w.carol.id.clone()]);
}

#[tokio::test]
async fn paging_walks_every_group_once() {
    let w = world().await;
    let p1 = w.post("first").await;
    let p2 = w.post("second").await;
    // Interleaved, so that groups straddle the pages.
    w.fav(&w.bob, &p1).await;
    let ma = w.mention(&w.erin, "a").await;
    w.fav(&w.carol, &p1).await;
    w.fav(&w.bob, &p2).await;
    let mb = w.mention(&w.erin, "b").await;
    w.reblog(&w.carol, &p1).await;
    w.s.follow(&w.bob, &w.alice).await;
    w.fav(&w.dave, &p1).await;
    w.s.follow(&w.carol, &w.alice).await;
    let hour = window_hour();
    let v1 = w.v1().await;
    let ma_n = nid(v1_of(&v1, "mention", &w.erin, Some(&ma)));
    let mb_n = nid(v1_of(&v1, "mention", &w.erin, Some(&mb)));
    let fav_p2 = nid(v1_of(&v1, "favourite", &w.bob, Some(&p2)));
    let fav_dave = nid(v1_of(&v1, "favourite", &w.dave, None));
    let follow_key = format!("follow-{hour}");
    let fav1_key = format!("favourite-{p1}-{hour}");
    let expected = vec![
        follow_key.clone(),
        fav1_key.clone(),
        format!("reblog-{p1}-{hour}"),
        format!("ungrouped-{mb_n}"),
        format!("favourite-{p2}-{hour}"),
        format!("ungrouped-{ma_n}"),
    ];
    let all = w.v2("?limit=40").await;
    assert_eq!(keys(&all), expected);

    // limit=1 through the `next` links: every group once, in order, each as in the
    // full page (counts include the notifications further down).
    let first =
        w.s.get("/api/v2/notifications?limit=1", Some(&w.alice.token))
            .await;
    let mut link = first.link();
    let mut body = first.expect(200);
    let mut walked: Vec<Value> = Vec::new();
    let mut second_prev = None;
    loop {
        let page = groups(&body).clone();
        if page.is_empty() {
            assert_eq!(link, "", "an empty page has no links");
            break;
        }
        assert_eq!(page.len(), 1);
        walked.extend(page);
        if walked.len() == 2 {
            second_prev = link_rel(&link, "prev");
        }
        let next = link_rel(&link, "next").expect("a next link");
        assert!(next.contains("limit=1"), "{next}");
        let r = w.s.get(&next, Some(&w.alice.token)).await;
        link = r.link();
        body = r.expect(200);
        assert!(walked.len() <= expected.len(), "walked too far: {walked:?}");
    }
    let walked_keys: Vec<String> = walked
        .iter()
        .map(|g| g["group_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(walked_keys, expected);
    for (g, full) in walked.iter().zip(groups(&all)) {
        assert_eq!(g["notifications_count"], full["notifications_count"]);
        assert_eq!(g["sample_account_ids"], full["sample_account_ids"]);
        assert_eq!(
            g["most_recent_notification_id"],
            full["most_recent_notification_id"]
        );
    }
    assert_eq!(walked[0]["notifications_count"], 2);
    assert_eq!(walked[1]["notifications_count"], 3);

    // `prev` of the second page: the group above it, whole.
    let prev = second_prev.expect("a prev link");
    assert!(prev.contains(&format!("min_id={fav_dave}")), "{prev}");
    let up = w.s.get(&prev, Some(&w.alice.token)).await.expect(200);
    assert_eq!(keys(&up), vec![follow_key.clone()]);
    assert_eq!(group(&up, &follow_key)["notifications_count"], 2);

    // since_id: groups whose newest notification is newer, counted whole; page_min_id
    // is the oldest of each group above the bound.
    let since = w.v2(&format!("?since_id={mb_n}")).await;
    assert_eq!(keys(&since), expected[..3].to_vec());
    let f = group(&since, &fav1_key);
    assert_eq!(f["notifications_count"], 3);
    assert_eq!(f["page_min_id"], fav_dave.as_str());

    // min_id: the groups right after it, newest first.
    let after = w.v2(&format!("?min_id={ma_n}&limit=2")).await;
    assert_eq!(
        keys(&after),
        vec![
            format!("ungrouped-{mb_n}"),
            format!("favourite-{p2}-{hour}")
        ]
    );
    assert_eq!(
        group(&after, &format!("favourite-{p2}-{hour}"))["page_min_id"],
        fav_p2.as_str()
    );
    // Above everything: nothing, and no links.
    let newest = all["notification_groups"][0]["most_recent_notification_id"]
        .as_str()
        .unwrap()
        .to_string();
    let top =
        w.s.get(
            &format!("/api/v2/notifications?min_id={newest}"),
            Some(&w.alice.token),
        )
        .await;
    assert_eq!(top.link(), "");
    assert!(groups(&top.expect(200)).is_empty());
}

#[tokio::test]
async fn partial_avatars_keep_each_groups_newest_account_in_full() {
    let w = world().await;
    let post = w.post("avatars").await;
    for u in [&w.bob, &w.carol, &w.dave] {
        w.fav(u, &post).await;
    }
    let key = format!("favourite-{post}-{}", window_hour());
    let body = w.v2("?expand_accounts=partial_avatars").await;
    assert_eq!(
        strs(&group(&body, &key)["sample_account_ids"]),
        vec![w.dave.id.clone(), w.carol.id.clone(), w.bob.id.clone()]
    );
    assert_eq!(ids(&body["accounts"]), vec![w.dave.id.clone()]);
    assert_eq!(body["accounts"][0]["username"], "dave");
    let partial = body["partial_accounts"]
        .as_array()
        .expect("partial_accounts");
    assert_eq!(
        ids(&body["partial_accounts"]),
        vec![w.carol.id.clone(), w.bob.id.clone()]
    );
    for a in partial {
        let fields: HashSet<String> = a.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            fields,
            set(&[
                "id",
                "acct",
                "locked",
                "bot",
                "url",
                "avatar",
                "avatar_static"
            ])
        );
    }
    assert_eq!(partial[0]["acct"], "carol");
    assert!(partial[0]["url"].as_str().unwrap().ends_with("/@carol"));

    let full = w.v2("?expand_accounts=full").await;
    assert!(full.get("partial_accounts").is_none());
    assert_eq!(
        ids(&full["accounts"]),
        vec![w.dave.id.clone(), w.carol.id.clone(), w.bob.id.clone()]
    );

    let bad =
        w.s.get(
            "/api/v2/notifications?expand_accounts=everything",
            Some(&w.alice.token),
        )
        .await
        .error(400);
    assert!(bad.contains("expand_accounts"), "{bad}");
}

#[tokio::test]
async fn one_group_its_accounts_and_dismissing_it() {
    let w = world().await;
    let post = w.post("one group").await;
    for u in [&w.bob, &w.carol, &w.dave] {
        w.fav(u, &post).await;
    }
    let m = w.mention(&w.erin, "stay").await;
    let key = format!("favourite-{post}-{}", window_hour());
    let t = Some(w.alice.token.as_str());

    let one =
        w.s.get(&format!("/api/v2/notifications/{key}"), t)
            .await
            .expect(200);
    assert_eq!(keys(&one), vec![key.clone()]);
    let g = &one["notification_groups"][0];
    assert_eq!(g["notifications_count"], 3);
    assert_eq!(g["type"], "favourite");
    assert_eq!(
        strs(&g["sample_account_ids"]),
        vec![w.dave.id.clone(), w.carol.id.clone(), w.bob.id.clone()]
    );
    assert!(g.get("page_min_id").is_none(), "not paginated: {g}");
    assert_eq!(ids(&one["statuses"]), vec![post.clone()]);
    assert_eq!(ids(&one["accounts"]).len(), 3);

    let accounts =
        w.s.get(&format!("/api/v2/notifications/{key}/accounts"), t)
            .await
            .expect(200);
    assert_eq!(
        ids(&accounts),
        vec![w.dave.id.clone(), w.carol.id.clone(), w.bob.id.clone()]
    );
    let page =
        w.s.get(&format!("/api/v2/notifications/{key}/accounts?limit=2"), t)
            .await;
    let next = link_rel(&page.link(), "next").expect("next link");
    assert_eq!(
        ids(&page.expect(200)),
        vec![w.dave.id.clone(), w.carol.id.clone()]
    );
    let rest = w.s.get(&next, t).await.expect(200);
    assert_eq!(ids(&rest), vec![w.bob.id.clone()]);

    let v1 = w.v1().await;
    let mention_n = nid(v1_of(&v1, "mention", &w.erin, Some(&m)));
    let single =
        w.s.get(&format!("/api/v2/notifications/ungrouped-{mention_n}"), t)
            .await
            .expect(200);
    assert_eq!(single["notification_groups"][0]["type"], "mention");
    assert_eq!(single["notification_groups"][0]["notifications_count"], 1);
    assert_eq!(ids(&single["statuses"]), vec![m.clone()]);

    // Dismissing the group dismisses all three notifications.
    let r =
        w.s.post(
            &format!("/api/v2/notifications/{key}/dismiss"),
            t,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(r, json!({}));
    assert_eq!(
        keys(&w.v2("").await),
        vec![format!("ungrouped-{mention_n}")]
    );
    let v1 = w.v1().await;
    assert_eq!(v1.len(), 1);
    assert_eq!(v1[0]["type"], "mention");
    assert_eq!(
        w.s.get(&format!("/api/v2/notifications/{key}"), t)
            .await
            .error(404),
        "Record not found"
    );
    w.s.post(
        &format!("/api/v2/notifications/{key}/dismiss"),
        t,
        json!({}),
    )
    .await
    .error(404);
    w.s.post(
        &format!("/api/v2/notifications/ungrouped-{mention_n}/dismiss"),
        t,
        json!({}),
    )
    .await
    .expect(200);
    assert!(w.v1().await.is_empty());
    assert!(groups(&w.v2("").await).is_empty());
}

#[tokio::test]
async fn unread_count_counts_groups_after_the_marker() {
    let w = world().await;
    let post = w.post("counted").await;
    w.fav(&w.bob, &post).await;
    w.fav(&w.carol, &post).await;
    w.reblog(&w.bob, &post).await;
    w.mention(&w.erin, "one").await;
    w.mention(&w.erin, "two").await;
    w.s.follow(&w.bob, &w.alice).await;
    // Six notifications in five groups.
    let v1_unread =
        w.s.get("/api/v1/notifications/unread_count", Some(&w.alice.token))
            .await
            .expect(200);
    assert_eq!(v1_unread["count"], 6);
    assert_eq!(w.unread("").await, 5);
    assert_eq!(w.unread("?limit=2").await, 2);
    assert_eq!(w.unread("?grouped_types[]=reblog").await, 6);
    assert_eq!(w.unread("?exclude_types[]=mention").await, 3);
    assert_eq!(w.unread("?types[]=favourite").await, 1);
    assert_eq!(w.unread(&format!("?account_id={}", w.bob.id)).await, 3);

    // Newest first: follow, mention two, mention one, reblog, carol's fav, bob's fav.
    let v1 = w.v1().await;
    let mark = |i: usize| {
        let id = nid(&v1[i]);
        let s = &w.s;
        let t = w.alice.token.clone();
        async move {
            s.post(
                "/api/v1/markers",
                Some(&t),
                json!({"notifications": {"last_read_id": id}}),
            )
            .await
            .expect(200);
        }
    };
    mark(2).await;
    assert_eq!(w.unread("").await, 2);
    mark(3).await;
    assert_eq!(w.unread("").await, 3);
    // Bob's favourite read, carol's not: the group counts once.
    mark(5).await;
    assert_eq!(w.unread("").await, 5);
    mark(0).await;
    assert_eq!(w.unread("").await, 0);
}

#[tokio::test]
async fn errors_and_scopes() {
    let w = world().await;
    let post = w.post("guarded").await;
    w.fav(&w.bob, &post).await;
    let key = format!("favourite-{post}-{}", window_hour());
    let t = Some(w.alice.token.as_str());

    for path in [
        "/api/v2/notifications".to_string(),
        "/api/v2/notifications/unread_count".to_string(),
        format!("/api/v2/notifications/{key}"),
        format!("/api/v2/notifications/{key}/accounts"),
    ] {
        w.s.get(&path, None).await.error(401);
    }
    w.s.post(
        &format!("/api/v2/notifications/{key}/dismiss"),
        None,
        json!({}),
    )
    .await
    .error(401);

    for unknown in [
        "ungrouped-12345",
        "ungrouped-x",
        "favourite-1-2",
        &format!("favourite-{post}-12"),
        &format!("mention-{post}-{}", window_hour()),
        "nonsense",
    ] {
        assert_eq!(
            w.s.get(&format!("/api/v2/notifications/{unknown}"), t)
                .await
                .error(404),
            "Record not found",
            "{unknown}"
        );
        w.s.get(&format!("/api/v2/notifications/{unknown}/accounts"), t)
            .await
            .error(404);
        w.s.post(
            &format!("/api/v2/notifications/{unknown}/dismiss"),
            t,
            json!({}),
        )
        .await
        .error(404);
    }
    // Bob's groups are not alice's.
    w.s.get(&format!("/api/v2/notifications/{key}"), Some(&w.bob.token))
        .await
        .error(404);

    let read_only = w.s.scoped_token(&w.alice, "read:notifications").await;
    w.s.get("/api/v2/notifications", Some(&read_only))
        .await
        .expect(200);
    w.s.post(
        &format!("/api/v2/notifications/{key}/dismiss"),
        Some(&read_only),
        json!({}),
    )
    .await
    .error(403);
    let statuses_only = w.s.scoped_token(&w.alice, "read:statuses").await;
    w.s.get("/api/v2/notifications", Some(&statuses_only))
        .await
        .error(403);
    w.s.get("/api/v2/notifications/unread_count", Some(&statuses_only))
        .await
        .error(403);

    w.s.get("/api/v2/notifications?limit=abc", t)
        .await
        .error(422);
    w.s.get("/api/v2/notifications?max_id=x", t)
        .await
        .error(422);
    // Still there after all that.
    assert_eq!(keys(&w.v2("").await), vec![key]);
}
