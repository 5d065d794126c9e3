//! Safety on the web pages over plain HTTP: the "…" menu on other people's post cards
//! (mute, block with a confirmation, report), which needs the CSRF token and comes back
//! to the page it was used on, and the navigation's link to the moderators' pages, shown
//! to staff only. (The same flows in a real browser are in `web_browser.rs`.)

use crate::support::TestServer;
use crate::web_pages::{Browser, Page};
use reqwest::StatusCode;
use roost_core::model::Role;
use serde_json::json;

/// The HTML of the card `id="status-ID"` on a page.
fn card<'a>(page: &'a Page, id: &str) -> &'a str {
    let start = page
        .body
        .find(&format!("id=\"status-{id}\""))
        .unwrap_or_else(|| panic!("the card of {id} on the page:\n{}", page.body));
    let rest = &page.body[start..];
    &rest[..rest.find("</article>").expect("the card ends")]
}

async fn signed_in(base: &str, login: &str) -> Browser {
    let mut b = Browser::new(base);
    b.get("/login").await;
    let p = b
        .submit(
            "/login",
            &[("login", login), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    b
}

#[tokio::test]
async fn post_cards_mute_block_and_report_their_author() {
    let s = TestServer::start().await;
    let mut alice = Browser::new(&s.base);
    alice.sign_up("alice").await;
    let bob = s.register("bob").await;
    alice.get("/@bob").await;
    let p = alice.submit("/@bob/follow", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let post = s
        .post_status(&bob, json!({"status": "hello from bob"}))
        .await;
    let pid = post["id"].as_str().unwrap().to_string();
    let own = alice.post("alice was here").await;
    let own_id = own.rsplit('/').next().unwrap().to_string();

    // Bob's card has the menu: mute, block (confirmed first), report this post.
    let home = alice.get("/home").await;
    let bobs = card(&home, &pid);
    for needle in [
        "<details class=\"more\">",
        "action=\"/@bob/mute\"",
        "action=\"/@bob/block\" data-confirm=\"Block @bob?",
        "Mute @bob",
        "Block @bob",
        &format!("href=\"/report/@bob?status={pid}\""),
        "<input type=\"hidden\" name=\"back\" value=\"/home\">",
    ] {
        assert!(bobs.contains(needle), "{needle:?} in bob's card:\n{bobs}");
    }
    // Alice's own card has none of it.
    let mine = card(&home, &own_id);
    assert!(
        !mine.contains("class=\"more\"") && !mine.contains("/report/"),
        "no menu on one's own post:\n{mine}"
    );
    // Signed out, there is no menu at all.
    let public = Browser::new(&s.base).get(&format!("/@bob/{pid}")).await;
    public.has("hello from bob").lacks("class=\"more\"");

    // The report link leads to the form about that post.
    alice
        .get(&format!("/report/@bob?status={pid}"))
        .await
        .has("Report @bob")
        .has(&format!("name=\"status\" value=\"{pid}\""));

    // Without the CSRF token a mute changes nothing.
    let p = alice.submit_raw("/@bob/mute", &[("back", "/home")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    alice.get("/home").await.has("hello from bob");
    alice
        .get("/settings/safety")
        .await
        .has("You mute no one.")
        .has("You block no one.");

    // Mute from the card: back to the same page, bob's post gone from it.
    let p = alice.submit("/@bob/mute", &[("back", "/home")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/home");
    alice
        .get("/home")
        .await
        .has("Muted.")
        .lacks("hello from bob")
        .has("alice was here");
    alice
        .get("/settings/safety")
        .await
        .has("action=\"/@bob/unmute\"")
        .has("You block no one.");
    let p = alice
        .submit("/@bob/unmute", &[("back", "/settings/safety")])
        .await;
    assert_eq!(p.location(), "/settings/safety");
    alice.get("/home").await.has("hello from bob");

    // A form cannot send one elsewhere afterwards.
    let p = alice
        .submit("/@bob/mute", &[("back", "https://evil.example/")])
        .await;
    assert_eq!(p.location(), "/@bob");
    alice.submit("/@bob/unmute", &[]).await;

    // Block from the card on the post's own page: without the token nothing happens.
    let page = format!("/@bob/{pid}");
    let post_page = alice.get(&page).await;
    assert!(card(&post_page, &pid).contains("action=\"/@bob/block\""));
    let p = alice.submit_raw("/@bob/block", &[("back", &page)]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    alice.get("/home").await.has("hello from bob");
    let p = alice.submit("/@bob/block", &[("back", &page)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), page);
    alice.get("/home").await.lacks("hello from bob");
    alice
        .get("/settings/safety")
        .await
        .has("action=\"/@bob/unblock\"");
    // The block ended alice's follow; bob's profile offers to undo it.
    alice
        .get("/@bob")
        .await
        .has("action=\"/@bob/unblock\"")
        .lacks("action=\"/@bob/follow\"")
        .lacks("action=\"/@bob/unfollow\"");
    // Bob sees nothing of alice's.
    let mut bob_web = signed_in(&s.base, "bob").await;
    bob_web
        .get("/@alice")
        .await
        .has("This account blocks you.")
        .lacks("alice was here");
    s.stop().await;
}

#[tokio::test]
async fn the_navigation_links_to_the_moderators_pages_for_staff_only() {
    let s = TestServer::start().await;
    let roost = s.running.as_ref().expect("running").roost.clone();
    let link = "href=\"/admin/reports\"";
    Browser::new(&s.base).get("/public").await.lacks(link);
    let mut alice = Browser::new(&s.base);
    alice.sign_up("alice").await;
    alice.get("/home").await.lacks(link).lacks(">Moderation<");

    for role in [Role::Moderator, Role::Admin, Role::Owner] {
        roost.admin_set_role("alice", role).await.expect("role set");
        alice
            .get("/home")
            .await
            .has("<a href=\"/admin/reports\">Moderation</a>");
        // On the moderators' pages, it is the current entry.
        let queue = alice.get("/admin/reports").await;
        assert_eq!(queue.status, StatusCode::OK);
        queue.has("<a href=\"/admin/reports\" aria-current=\"page\">Moderation</a>");
    }
    roost
        .admin_set_role("alice", Role::User)
        .await
        .expect("role set");
    alice.get("/home").await.lacks(link);
    assert_eq!(
        alice.get("/admin/reports").await.status,
        StatusCode::FORBIDDEN
    );
    s.stop().await;
}
