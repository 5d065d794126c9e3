//! Search, related posts, trends and suggestions over HTTP: Chinese and English queries,
//! operators, who may find what (Mastodon 4.2's rules), blocks, resolving across regions,
//! the index after deletion and retention, and rebuilding it from the store.

use crate::support::*;
use roost_residency::{Action, DataClass};
use serde_json::{json, Value};

/// Lets `user`'s public posts be found by anyone's search.
pub(crate) async fn opt_in(s: &TestServer, user: &User) {
    let me = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&user.token),
            json!({"indexable": true, "discoverable": true}),
        )
        .await
        .ok();
    assert_eq!(me["indexable"], true);
    assert_eq!(me["source"]["indexable"], true);
}

async fn search(s: &TestServer, user: Option<&User>, q: &str) -> Value {
    s.get(
        &format!("/api/v2/search?q={}", urlencode(q)),
        user.map(|u| u.token.as_str()),
    )
    .await
    .ok()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn found(s: &TestServer, user: &User, q: &str) -> Vec<String> {
    ids(&search(s, Some(user), q).await["statuses"])
}

/// Waits until `q` finds exactly `want` (newest first), which also shows that indexing is
/// done within a short, bounded time.
async fn expect_found(s: &TestServer, user: &User, q: &str, want: &[&String]) {
    let want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
    let mut last = Vec::new();
    for _ in 0..60 {
        last = found(s, user, q).await;
        if last == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{q}: found {last:?}, wanted {want:?}");
}

async fn post(s: &TestServer, user: &User, body: Value) -> String {
    id_of(&s.post_status(user, body).await)
}

#[tokio::test]
async fn chinese_words_are_found_inside_unspaced_sentences() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.register("alice").await, s.register("bob").await);
    opt_in(&s, &alice).await;
    let phone = post(
        &s,
        &alice,
        json!({"status": "小米发布了新款手机，搭载自研的手机操作系统。"}),
    )
    .await;
    let congee = post(
        &s,
        &alice,
        json!({"status": "今天早上喝了一碗大米粥，胃舒服多了。"}),
    )
    .await;
    let books = post(
        &s,
        &alice,
        json!({"status": "我昨天在北京大学附近的书店买了一本关于机器学习的书。"}),
    )
    .await;
    let os = post(&s, &alice, json!({"status": "这个操作系统的更新太慢了"})).await;
    expect_found(&s, &bob, "小米", &[&phone]).await;
    expect_found(&s, &bob, "手机操作系统", &[&phone]).await;
    expect_found(&s, &bob, "操作系统", &[&os, &phone]).await;
    expect_found(&s, &bob, "书店", &[&books]).await;
    expect_found(&s, &bob, "机器学习", &[&books]).await;
    expect_found(&s, &bob, "大米", &[&congee]).await;
    // Across a word boundary ("学附") is not a word.
    expect_found(&s, &bob, "学附", &[]).await;
    // Mixed and full-width text.
    let mixed = post(&s, &alice, json!({"status": "用Ｒｕｓｔ写的搜索引擎很快"})).await;
    expect_found(&s, &bob, "rust 搜索", &[&mixed]).await;
}

#[tokio::test]
async fn english_is_stemmed_and_hashtags_are_nfkc() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.register("alice").await, s.register("bob").await);
    opt_in(&s, &alice).await;
    let run = post(
        &s,
        &alice,
        json!({"status": "The runners were running quickly"}),
    )
    .await;
    expect_found(&s, &bob, "run", &[&run]).await;
    expect_found(&s, &bob, "RUNS", &[&run]).await;
    expect_found(&s, &bob, "swimming", &[]).await;
    let tagged = post(&s, &alice, json!({"status": "learning #Ｒｕｓｔ today"})).await;
    let v = s
        .get(&format!("/api/v1/statuses/{tagged}"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(v["tags"][0]["name"], "rust");
    let timeline = ids(&s.get("/api/v1/timelines/tag/RUST", None).await.ok());
    assert_eq!(timeline, vec![tagged.clone()]);
    let full_width = ids(&s
        .get(
            "/api/v1/timelines/tag/%EF%BC%B2%EF%BD%95%EF%BD%93%EF%BD%94",
            None,
        )
        .await
        .ok());
    assert_eq!(full_width, vec![tagged.clone()]);
    expect_found(&s, &bob, "#rust", &[&tagged]).await;
    expect_found(&s, &bob, "#Ｒｕｓｔ", &[&tagged]).await;
    let tags = s
        .get("/api/v2/search?q=%23ru&type=hashtags", Some(&bob.token))
        .await
        .ok();
    assert_eq!(tags["hashtags"][0]["name"], "rust");
    assert_eq!(tags["hashtags"][0]["history"].as_array().unwrap().len(), 7);
    assert!(tags["accounts"].as_array().unwrap().is_empty());
    assert!(tags["statuses"].as_array().unwrap().is_empty());
    // `exclude_unreviewed` (Mastodon's trends-safe search): no tag is reviewed here, so
    // only the exact match is left.
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["hashtags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    post(&s, &alice, json!({"status": "also #rustacean"})).await;
    let both = "/api/v2/search?q=%23rust&type=hashtags";
    let mut all = Vec::new();
    for _ in 0..50 {
        all = names(&s.get(both, Some(&bob.token)).await.ok());
        if all.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(all, vec!["rust", "rustacean"]);
    let reviewed = s
        .get(&format!("{both}&exclude_unreviewed=true"), Some(&bob.token))
        .await
        .ok();
    assert_eq!(names(&reviewed), vec!["rust"]);
    let none = s
        .get(
            "/api/v2/search?q=%23ru&type=hashtags&exclude_unreviewed=true",
            Some(&bob.token),
        )
        .await
        .ok();
    assert!(names(&none).is_empty(), "{none}");
}

#[tokio::test]
async fn operators_narrow_the_search() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.register("alice").await, s.register("bob").await);
    opt_in(&s, &alice).await;
    opt_in(&s, &bob).await;
    let a = post(
        &s,
        &alice,
        json!({"status": "香蕉 plain", "language": "zh"}),
    )
    .await;
    let b = post(
        &s,
        &bob,
        json!({"status": "香蕉 https://example.com/x", "language": "en"}),
    )
    .await;
    let c = post(
        &s,
        &bob,
        json!({"status": "香蕉 reply", "in_reply_to_id": a, "sensitive": true, "spoiler_text": "cw"}),
    )
    .await;
    expect_found(&s, &alice, "香蕉", &[&c, &b, &a]).await;
    expect_found(&s, &alice, "香蕉 from:bob", &[&c, &b]).await;
    expect_found(&s, &alice, "香蕉 from:me", &[&a]).await;
    expect_found(&s, &alice, "香蕉 from:nobody", &[]).await;
    expect_found(&s, &alice, "香蕉 has:link", &[&b]).await;
    expect_found(&s, &alice, "香蕉 has:media", &[]).await;
    expect_found(&s, &alice, "香蕉 has:embed", &[]).await;
    expect_found(&s, &alice, "香蕉 is:reply", &[&c]).await;
    expect_found(&s, &alice, "香蕉 -is:reply", &[&b, &a]).await;
    expect_found(&s, &alice, "香蕉 is:sensitive", &[&c]).await;
    expect_found(&s, &alice, "香蕉 language:zh", &[&a]).await;
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    expect_found(&s, &alice, &format!("香蕉 during:{today}"), &[&c, &b, &a]).await;
    expect_found(&s, &alice, &format!("香蕉 before:{today}"), &[]).await;
    expect_found(&s, &alice, &format!("香蕉 after:{today}"), &[]).await;
    expect_found(&s, &alice, "香蕉 after:2020-01-01", &[&c, &b, &a]).await;
    // in:library: own posts and what one liked, bookmarked or was mentioned in.
    expect_found(&s, &alice, "香蕉 in:library", &[&a]).await;
    s.post(
        &format!("/api/v1/statuses/{b}/bookmark"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    expect_found(&s, &alice, "香蕉 in:library", &[&b, &a]).await;
    expect_found(&s, &alice, "香蕉 in:public", &[&c, &b, &a]).await;
    // account_id, limit, offset, max_id.
    let page = s
        .get(
            "/api/v2/search?q=%E9%A6%99%E8%95%89&type=statuses&limit=1&offset=1",
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ids(&page["statuses"]), vec![b.clone()]);
    let older = s
        .get(
            &format!("/api/v2/search?q=%E9%A6%99%E8%95%89&type=statuses&max_id={b}"),
            Some(&alice.token),
        )
        .await
        .ok();
    assert_eq!(ids(&older["statuses"]), vec![a.clone()]);
    let by = s
        .get(
            &format!(
                "/api/v2/search?q=%E9%A6%99%E8%95%89&account_id={}",
                alice.id
            ),
            Some(&bob.token),
        )
        .await
        .ok();
    assert_eq!(ids(&by["statuses"]), vec![a.clone()]);
    s.get("/api/v2/search?q=x&type=nonsense", Some(&bob.token))
        .await
        .error(422);
    s.get("/api/v2/search", Some(&bob.token)).await.error(400);
}

#[tokio::test]
async fn only_what_mastodon_lets_you_find_is_found() {
    let s = TestServer::start().await;
    let (alice, bob, carol) = (
        s.register("alice").await,
        s.register("bob").await,
        s.register("carol").await,
    );
    opt_in(&s, &alice).await;
    // Carol did not opt in: her public post is found by her, not by others...
    let shy = post(&s, &carol, json!({"status": "榴莲 shy"})).await;
    expect_found(&s, &carol, "榴莲", &[&shy]).await;
    expect_found(&s, &bob, "榴莲", &[]).await;
    // ... until they like it, or she mentions them.
    s.post(
        &format!("/api/v1/statuses/{shy}/favourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    expect_found(&s, &bob, "榴莲", &[&shy]).await;
    let mention = post(
        &s,
        &carol,
        json!({"status": "@alice 榴莲 for you", "visibility": "direct"}),
    )
    .await;
    expect_found(&s, &alice, "榴莲", &[&mention]).await;
    expect_found(&s, &bob, "榴莲", &[&shy]).await;
    // Alice opted in, but her followers-only post stays with her followers.
    let private = post(
        &s,
        &alice,
        json!({"status": "芒果 secret", "visibility": "private"}),
    )
    .await;
    let public = post(&s, &alice, json!({"status": "芒果 open"})).await;
    expect_found(&s, &bob, "芒果", &[&public]).await;
    expect_found(&s, &alice, "芒果", &[&public, &private]).await;
    // Blocks and mutes hide the other's posts.
    s.post(
        &format!("/api/v1/accounts/{}/block", bob.id),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    expect_found(&s, &bob, "芒果", &[]).await;
    s.post(
        &format!("/api/v1/accounts/{}/mute", alice.id),
        Some(&carol.token),
        json!({}),
    )
    .await
    .ok();
    expect_found(&s, &carol, "芒果", &[]).await;
    let accounts = ids(&search(&s, Some(&bob), "alice").await["accounts"]);
    assert!(
        !accounts.contains(&alice.id),
        "a blocker is not found by the blocked"
    );
    // Signed out: accounts and tags, never statuses; no resolve, no offset.
    let anon = search(&s, None, "alice").await;
    assert_eq!(ids(&anon["accounts"]), vec![alice.id.clone()]);
    assert!(search(&s, None, "芒果").await["statuses"]
        .as_array()
        .unwrap()
        .is_empty());
    s.get("/api/v2/search?q=alice&resolve=true", None)
        .await
        .error(401);
    s.get("/api/v2/search?q=alice&offset=1", None)
        .await
        .error(401);
    let by_name = s.get("/api/v1/accounts/search?q=ali", None).await.ok();
    assert_eq!(ids(&by_name), vec![alice.id.clone()]);
    let following = s
        .get(
            "/api/v1/accounts/search?q=ali&following=true",
            Some(&carol.token),
        )
        .await
        .ok();
    assert!(ids(&following).is_empty());
}

#[tokio::test]
async fn a_deleted_post_leaves_no_trace_in_the_index_and_a_lost_index_is_rebuilt() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let word = "zanzibarquux";
    let gone = post(&s, &alice, json!({"status": format!("{word} 菠萝蜜")})).await;
    let kept = post(&s, &alice, json!({"status": "keepsake 保留"})).await;
    expect_found(&s, &alice, word, &[&gone]).await;
    let index = s.dir.path().join("data/search");
    assert!(roost_search::holds_word(&index, word).unwrap());
    s.delete(&format!("/api/v1/statuses/{gone}"), Some(&alice.token))
        .await
        .ok();
    expect_found(&s, &alice, word, &[]).await;
    eventually(5, "the index files to lose the word", || async {
        (!roost_search::holds_word(&index, word).unwrap()).then_some(())
    })
    .await;
    assert!(!roost_search::holds_word(&index, "菠萝蜜").unwrap());
    assert!(roost_search::holds_word(&index, "keepsake").unwrap());
    // An index lost (or behind) is rebuilt from the store at start.
    let dir = s.stop().await;
    std::fs::remove_dir_all(dir.path().join("data/search")).unwrap();
    let s = TestServer::start_in(dir, |_| {}).await;
    expect_found(&s, &alice, "keepsake", &[&kept]).await;
}

#[tokio::test]
async fn foreign_posts_are_indexed_only_under_store_and_leave_at_retention() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(
                DataClass::PublicContent,
                Action::Store { max_secs: Some(3) },
            );
        }
        p
    })
    .await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let word = "durianstoredword";
    let pid = post(
        ids_,
        &budi,
        json!({"status": format!("{word} @asha@{}", r.cluster.region("in").unwrap().domain())}),
    )
    .await;
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    // Mentioned, so Asha may find it in her region's index.
    expect_found(ins, &asha, word, &[&pid]).await;
    let index = r.data_dir("in").join("search");
    assert!(roost_search::holds_word(&index, word).unwrap());
    eventually(20, "the purge to clear the index", || async {
        (!roost_search::holds_word(&index, word).unwrap()).then_some(())
    })
    .await;
    assert!(found(ins, &asha, word).await.is_empty());
    r.stop_all().await;
}

/// `indexable` travels with the profile: an Indonesian who opts in can be found by anyone
/// in India, where her public posts are kept; opting out there again hides them.
#[tokio::test]
async fn the_search_opt_in_of_a_foreign_account_is_honoured_where_its_posts_are_kept() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let chitra = ins.register("chitra").await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let word = "rambutanoptinword";
    let pid = post(ids_, &budi, json!({"status": word})).await;
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    let index = r.data_dir("in").join("search");
    eventually(10, "India's index to hold the post", || async {
        roost_search::holds_word(&index, word)
            .unwrap()
            .then_some(())
    })
    .await;
    // Not opted in: in the index, but not found by a stranger.
    assert!(found(ins, &chitra, word).await.is_empty());
    opt_in(ids_, &budi).await;
    expect_found(ins, &chitra, word, &[&pid]).await;
    let off = ids_
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&budi.token),
            json!({"indexable": false}),
        )
        .await
        .ok();
    assert_eq!(off["indexable"], false);
    expect_found(ins, &chitra, word, &[]).await;
    r.stop_all().await;
}

#[tokio::test]
async fn transit_posts_are_never_indexed_and_resolve_goes_through_the_gate() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let word = "transitsearchword";
    let pid = post(ids_, &budi, json!({"status": word})).await;
    // Shown in India, fetched live...
    eventually(10, "the live read", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // ... never indexed there.
    assert!(!roost_search::holds_word(&r.data_dir("in").join("search"), word).unwrap());
    assert!(found(ins, &asha, word).await.is_empty());
    // Budi's handle and post URL resolve at his home, through the gate.
    let handle = r.handle("id", "budi");
    let got = search(ins, Some(&asha), &handle).await;
    let resolved = ins
        .get(
            &format!("/api/v2/search?q={}&resolve=true", urlencode(&handle)),
            Some(&asha.token),
        )
        .await
        .ok();
    assert_eq!(ids(&resolved["accounts"]), vec![budi.id.clone()]);
    assert!(ids(&got["accounts"]).len() <= 1);
    let url = format!("{}/@budi/{pid}", r.cluster.region("id").unwrap().base_url);
    let by_url = ins
        .get(
            &format!(
                "/api/v2/search?q={}&resolve=true&type=statuses",
                urlencode(&url)
            ),
            Some(&asha.token),
        )
        .await
        .ok();
    assert_eq!(ids(&by_url["statuses"]), vec![pid.clone()]);
    r.stop_all().await;
}

#[tokio::test]
async fn resolve_under_store_finds_the_foreign_account() {
    let r = Regions::start(|_| policy_all("store")).await;
    let ins = r.get("in");
    let (asha, budi) = r.asha_and_budi().await;
    let handle = r.handle("id", "budi");
    let resolved = ins
        .get(
            &format!(
                "/api/v1/accounts/search?q={}&resolve=true",
                urlencode(&handle)
            ),
            Some(&asha.token),
        )
        .await
        .ok();
    assert_eq!(ids(&resolved), vec![budi.id.clone()]);
    r.stop_all().await;
}

#[tokio::test]
async fn related_posts_come_from_the_index() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.register("alice").await, s.register("bob").await);
    let main = post(&s, &alice, json!({"status": "新的手机操作系统今天发布"})).await;
    let like = post(&s, &bob, json!({"status": "我很喜欢这个手机操作系统"})).await;
    let other = post(&s, &bob, json!({"status": "周末去西湖散步"})).await;
    let en = post(&s, &bob, json!({"status": "gardening tips for spring"})).await;
    let en2 = post(&s, &alice, json!({"status": "more gardening in spring"})).await;
    let related = eventually(5, "related posts", || async {
        let v = s
            .get(&format!("/api/roost/v1/statuses/{main}/related"), None)
            .await
            .ok();
        let got = ids(&v);
        (got.first() == Some(&like)).then_some(got)
    })
    .await;
    assert!(!related.contains(&other));
    assert!(!related.contains(&main));
    eventually(5, "related English posts", || async {
        let v = s
            .get(&format!("/api/roost/v1/statuses/{en}/related"), None)
            .await
            .ok();
        (ids(&v).first() == Some(&en2)).then_some(())
    })
    .await;
    s.get("/api/roost/v1/statuses/1/related", None)
        .await
        .error(404);
    // The post page shows them.
    let page = reqwest::get(s.url(&format!("/@alice/{main}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("我很喜欢这个手机操作系统"));
}

#[tokio::test]
async fn trends_count_tags_posts_and_links_with_history() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.register("alice").await, s.register("bob").await);
    post(
        &s,
        &alice,
        json!({"status": "#热搜 one https://news.example/a"}),
    )
    .await;
    post(&s, &alice, json!({"status": "#热搜 two"})).await;
    let hot = post(
        &s,
        &bob,
        json!({"status": "#热搜 three https://news.example/a"}),
    )
    .await;
    post(&s, &bob, json!({"status": "#quiet"})).await;
    post(
        &s,
        &bob,
        json!({"status": "#hidden", "visibility": "private"}),
    )
    .await;
    let tags = s.get("/api/v1/trends/tags", None).await.ok();
    assert_eq!(tags[0]["name"], "热搜");
    let h = &tags[0]["history"];
    assert_eq!(h.as_array().unwrap().len(), 7);
    assert_eq!(h[0]["uses"], "3");
    assert_eq!(h[0]["accounts"], "2");
    assert_eq!(h[1]["uses"], "0");
    let day: i64 = h[0]["day"].as_str().unwrap().parse().unwrap();
    assert_eq!(day % 86_400, 0);
    assert!(tags
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["name"] != "hidden"));
    assert_eq!(s.get("/api/v1/trends", None).await.ok(), tags);
    // Posts: those with engagement.
    assert!(ids(&s.get("/api/v1/trends/statuses", None).await.ok()).is_empty());
    s.post(
        &format!("/api/v1/statuses/{hot}/favourite"),
        Some(&alice.token),
        json!({}),
    )
    .await
    .ok();
    assert_eq!(
        ids(&s.get("/api/v1/trends/statuses", None).await.ok()),
        vec![hot.clone()]
    );
    let links = s.get("/api/v1/trends/links", None).await.ok();
    assert_eq!(links[0]["url"], "https://news.example/a");
    assert_eq!(links[0]["type"], "link");
    assert_eq!(links[0]["history"][0]["uses"], "1");
}

#[tokio::test]
async fn suggestions_come_from_the_follow_graph() {
    let s = TestServer::start().await;
    let (a, b, c, d) = (
        s.register("anna").await,
        s.register("ben").await,
        s.register("cleo").await,
        s.register("dara").await,
    );
    for u in [&b, &c, &d] {
        opt_in(&s, u).await;
    }
    s.follow(&a, &b).await;
    s.follow(&b, &c).await;
    let got = s.get("/api/v2/suggestions", Some(&a.token)).await.ok();
    let first = &got[0];
    assert_eq!(first["account"]["id"], c.id.as_str());
    assert_eq!(first["sources"][0], "friends_of_friends");
    let all: Vec<&str> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["account"]["id"].as_str().unwrap())
        .collect();
    assert!(!all.contains(&b.id.as_str()), "already followed");
    assert!(!all.contains(&a.id.as_str()), "oneself");
    assert!(
        all.contains(&d.id.as_str()),
        "popular local accounts fill up"
    );
    s.post(
        &format!("/api/v1/accounts/{}/block", c.id),
        Some(&a.token),
        json!({}),
    )
    .await
    .ok();
    s.post(
        &format!("/api/v1/accounts/{}/mute", d.id),
        Some(&a.token),
        json!({}),
    )
    .await
    .ok();
    let got = s.get("/api/v2/suggestions", Some(&a.token)).await.ok();
    assert!(got.as_array().unwrap().is_empty(), "{got}");
    s.post(
        &format!("/api/v1/accounts/{}/unmute", d.id),
        Some(&a.token),
        json!({}),
    )
    .await
    .ok();
    s.delete(&format!("/api/v1/suggestions/{}", d.id), Some(&a.token))
        .await
        .ok();
    assert!(ids(&s.get("/api/v1/suggestions", Some(&a.token)).await.ok()).is_empty());
    s.get("/api/v2/suggestions", None).await.error(401);
}

#[tokio::test]
async fn the_audit_checks_each_index_against_the_inventory() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids_) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let pid = post(ids_, &budi, json!({"status": "auditedword"})).await;
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&pid).then_some(())
    })
    .await;
    let index = r.data_dir("in").join("search");
    eventually(5, "indexing", || async {
        roost_search::holds_word(&index, "auditedword")
            .unwrap()
            .then_some(())
    })
    .await;
    let index_violations = |report: &roost_server::audit::AuditReport| {
        report
            .violations
            .iter()
            .filter(|v| v.detail.contains("search index"))
            .count()
    };
    let report = crate::regions::audit(&r).await;
    assert_eq!(index_violations(&report), 0, "{}", report.render());
    assert!(report.render().contains("1 foreign"), "{}", report.render());
    // A foreign status in the index that the store does not hold is a violation.
    r.stop("in").await;
    let number = r.cluster.region("id").unwrap().number;
    let stray = roost_core::Id::from_parts(jiff::Timestamp::now().as_millisecond(), number, 7);
    {
        use roost_core::search::{IndexDoc, SearchIndex};
        let (idx, _) = roost_search::TantivyIndex::open(&index).unwrap();
        idx.apply(
            vec![IndexDoc {
                id: stray,
                author: roost_core::Id(budi.id.parse().unwrap()),
                text: "stray".into(),
                tags: vec![],
                language: None,
                reply: false,
                sensitive: false,
                link: false,
                public: true,
                has: vec![],
                created_at: jiff::Timestamp::now(),
                edited_at: None,
                foreign: true,
            }],
            &[],
        )
        .unwrap();
    }
    let report = crate::regions::audit(&r).await;
    assert_eq!(index_violations(&report), 1, "{}", report.render());
    // Restarted, the region reconciles its index with the store and drops the stray.
    r.restart("in").await;
    eventually(10, "reconciliation", || async {
        (!roost_search::holds_word(&index, "stray").unwrap()).then_some(())
    })
    .await;
    r.stop_all().await;
}

async fn page(s: &TestServer, path: &str, _cookie: Option<&str>) -> (u16, String) {
    let r = s.http.get(s.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_web_search_page_trends_panel_and_tag_counts() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    opt_in(&s, &alice).await;
    let p = post(
        &s,
        &alice,
        json!({"status": "网页搜索的测试 #网页 <b>bold</b>"}),
    )
    .await;
    post(&s, &alice, json!({"status": "again #网页"})).await;
    // Every page has the search box.
    let (code, public) = page(&s, "/public", None).await;
    assert_eq!(code, 200);
    assert!(public.contains(r#"action="/search""#));
    // The trends panel.
    assert!(public.contains("Trending in this region"), "{public}");
    assert!(public.contains("#网页"));
    // Signed out: accounts and tags, posts need a session.
    let (code, found) = page(&s, "/search?q=alice", None).await;
    assert_eq!(code, 200);
    assert!(found.contains("@alice"), "{found}");
    let (_, found) = page(&s, &format!("/search?q={}", urlencode("#网页")), None).await;
    assert!(found.contains("/tags/%E7%BD%91%E9%A1%B5"), "{found}");
    assert!(found.contains("2 posts this week"), "{found}");
    assert!(found.contains("Log in</a> to search posts"));
    // Signed in, posts too, escaped.
    let mut browser = crate::web_pages::Browser::new(&s.base);
    browser.get("/login").await;
    browser
        .submit(
            "/login",
            &[("login", "alice"), ("password", "correct horse battery")],
        )
        .await;
    let q = format!("/search?q={}", urlencode("搜索"));
    let mut found = String::new();
    for _ in 0..50 {
        found = browser.get(&q).await.body;
        if found.contains(&p) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found.contains(&p), "{found}");
    assert!(found.contains("网页搜索的测试"));
    assert!(!found.contains("<b>bold</b>"));
    browser
        .get("/search?q=%3Cscript%3E")
        .await
        .lacks("<script>");
    let (code, _) = page(&s, "/search", None).await;
    assert_eq!(code, 200);
    // The tag page counts its posts.
    let (_, tag) = page(&s, "/tags/%E7%BD%91%E9%A1%B5", None).await;
    assert!(tag.contains("2 posts this week, 2 today"), "{tag}");
}

#[tokio::test]
async fn cluster_trends_are_built_from_aggregate_counts_only() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        // China's counts may not leave it.
        if code == "cn" {
            p.default.insert(DataClass::Aggregate, Action::Deny);
        }
        p
    })
    .await;
    let (ins, ids_, cns) = (r.get("in"), r.get("id"), r.get("cn"));
    let (asha, budi) = r.asha_and_budi().await;
    let chen = cns.register("chen").await;
    post(ins, &asha, json!({"status": "#跨区 from India"})).await;
    post(ids_, &budi, json!({"status": "#跨区 from Indonesia"})).await;
    post(ids_, &budi, json!({"status": "#跨区 again"})).await;
    post(cns, &chen, json!({"status": "#跨区 from China"})).await;
    let region = ins.get("/api/roost/v1/trends/tags", None).await.ok();
    assert_eq!(region[0]["history"][0]["uses"], "1");
    let cluster = ins
        .get("/api/roost/v1/trends/tags?scope=cluster", None)
        .await
        .ok();
    assert_eq!(cluster[0]["name"], "跨区");
    assert_eq!(
        cluster[0]["history"][0]["uses"], "3",
        "India's and Indonesia's, not China's"
    );
    ins.get("/api/roost/v1/trends/tags?scope=galaxy", None)
        .await
        .error(422);
    // Indonesia ledgered what it sent as aggregate, naming no one.
    let head: roost_residency::SignedTreeHead =
        serde_json::from_value(ids_.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
    let size = head.head.tree_size;
    let mut sent = false;
    for i in 0..size {
        let e = ids_
            .get(&format!("/api/roost/v1/ledger/entries/{i}"), None)
            .await
            .ok();
        if e["entry"]["object"] == "tag-counts" {
            assert_eq!(e["entry"]["class"], "aggregate", "{e}");
            assert!(e["entry"]["subject"].is_null());
            sent = true;
        }
    }
    assert!(sent, "the counts were ledgered");
    r.stop_all().await;
}

/// A small real PNG.
fn png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(4, 4, |x, y| {
        image::Rgba([x as u8 * 60, y as u8 * 60, 9, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn has_media_and_has_poll_find_what_a_post_carries() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png())
            .file_name("a.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let media = s
        .send(
            s.http
                .post(s.url("/api/v2/media"))
                .bearer_auth(&alice.token)
                .multipart(form),
        )
        .await
        .expect(200);
    assert_eq!(media["type"], "image");
    let picture = post(
        &s,
        &alice,
        json!({"status": "西瓜 picture", "media_ids": [media["id"]]}),
    )
    .await;
    let poll = post(
        &s,
        &alice,
        json!({"status": "西瓜 vote", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
    )
    .await;
    let plain = post(&s, &alice, json!({"status": "西瓜 words"})).await;
    expect_found(&s, &alice, "西瓜", &[&plain, &poll, &picture]).await;
    expect_found(&s, &alice, "西瓜 has:media", &[&picture]).await;
    expect_found(&s, &alice, "西瓜 has:image", &[&picture]).await;
    expect_found(&s, &alice, "西瓜 has:video", &[]).await;
    expect_found(&s, &alice, "西瓜 has:audio", &[]).await;
    expect_found(&s, &alice, "西瓜 has:poll", &[&poll]).await;
    expect_found(&s, &alice, "西瓜 -has:poll", &[&plain, &picture]).await;
    expect_found(&s, &alice, "西瓜 -has:media -has:poll", &[&plain]).await;
    // An edit that adds a poll, or takes one away, is re-indexed.
    s.put(
        &format!("/api/v1/statuses/{plain}"),
        Some(&alice.token),
        json!({"status": "西瓜 words", "poll": {"options": ["x", "y"], "expires_in": 3600}}),
    )
    .await
    .ok();
    expect_found(&s, &alice, "西瓜 has:poll", &[&plain, &poll]).await;
    s.put(
        &format!("/api/v1/statuses/{poll}"),
        Some(&alice.token),
        json!({"status": "西瓜 vote"}),
    )
    .await
    .ok();
    expect_found(&s, &alice, "西瓜 has:poll", &[&plain]).await;
}
