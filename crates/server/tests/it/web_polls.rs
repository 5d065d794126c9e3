//! Polls on the web pages: a poll from the compose form, the vote form (plain HTML, CSRF
//! protected) and the results bars.

use crate::support::*;
use crate::web_pages::Browser;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_poll_is_composed_voted_on_and_shown_without_javascript() {
    let s = TestServer::start().await;
    let mut alice = Browser::new(&s.base);
    alice.sign_up("alice").await;
    let mut bob = Browser::new(&s.base);
    bob.sign_up("bob").await;

    // The compose form's poll section.
    alice
        .get("/home")
        .await
        .has("Add a poll")
        .has("name=\"poll_option1\"");
    let p = alice
        .submit(
            "/statuses",
            &[
                ("text", "lunch?"),
                ("visibility", "public"),
                ("back", "/home"),
                ("poll_option1", "noodles"),
                ("poll_option2", "rice <b>bowl</b>"),
                ("poll_option3", ""),
                ("poll_duration", "3600"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // A poll with one choice is refused with a message, and nothing is posted.
    alice.get("/home").await;
    alice
        .submit(
            "/statuses",
            &[
                ("text", "bad poll"),
                ("back", "/home"),
                ("poll_option1", "only"),
            ],
        )
        .await;
    alice
        .get("/home")
        .await
        .has("more than one item")
        .lacks("bad poll</p>");

    let api_alice = s.get("/api/v1/timelines/public", None).await.ok();
    let post = api_alice
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["poll"].is_object())
        .expect("the poll was posted")
        .clone();
    let id = post["id"].as_str().unwrap().to_string();
    assert_eq!(post["poll"]["options"][1]["title"], "rice <b>bowl</b>");
    assert_eq!(post["poll"]["multiple"], false);

    // Bob sees the vote form (radio buttons), the title escaped; the author sees results.
    let page = bob.get("/public").await;
    page.has(&format!("action=\"/statuses/{id}/vote\""))
        .has("type=\"radio\" name=\"choice\" value=\"1\"")
        .has("rice &#60;b&#62;bowl&#60;/b&#62;")
        .lacks("rice <b>bowl</b>");
    alice
        .get("/public")
        .await
        .lacks(&format!("action=\"/statuses/{id}/vote\""))
        .has("<progress max=\"100\" value=\"0\">");

    // Without the CSRF token: 403 and no vote.
    let forged = bob
        .submit_raw(&format!("/statuses/{id}/vote"), &[("choice", "1")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let poll = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(poll["votes_count"], 0);

    // The vote, then the results with bob's choice marked.
    bob.get("/public").await;
    let v = bob
        .submit(
            &format!("/statuses/{id}/vote"),
            &[("choice", "1"), ("back", "/public")],
        )
        .await;
    assert_eq!(v.status, StatusCode::SEE_OTHER);
    assert_eq!(v.location(), "/public");
    let page = bob.get("/public").await;
    page.has("Voted.")
        .lacks(&format!("action=\"/statuses/{id}/vote\""))
        .has("<progress max=\"100\" value=\"100\">")
        .has("1 vote ·");
    let poll = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(poll["options"][1]["votes_count"], 1);

    // A second vote (a stale form) is refused with a message; the count stays.
    let again = bob
        .submit(
            &format!("/statuses/{id}/vote"),
            &[("choice", "0"), ("back", "/public")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    bob.get("/public").await.has("already voted");
    let poll = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(poll["votes_count"], 1);
}

#[tokio::test]
async fn a_multiple_choice_poll_takes_checkboxes() {
    let s = TestServer::start().await;
    let author = s.register("author").await;
    let post = s
        .post_status(
            &author,
            json!({"status": "pick any", "poll": {"options": ["a", "b", "c"], "expires_in": 600, "multiple": true}}),
        )
        .await;
    let id = post["id"].as_str().unwrap().to_string();
    let mut carol = Browser::new(&s.base);
    carol.sign_up("carol").await;
    carol
        .get("/public")
        .await
        .has("type=\"checkbox\" name=\"choice0\"")
        .has("type=\"checkbox\" name=\"choice2\"");
    let v = carol
        .submit(
            &format!("/statuses/{id}/vote"),
            &[("choice0", "on"), ("choice2", "on"), ("back", "/public")],
        )
        .await;
    assert_eq!(v.status, StatusCode::SEE_OTHER);
    let poll = s.get(&format!("/api/v1/polls/{id}"), None).await.ok();
    assert_eq!(poll["votes_count"], 2);
    assert_eq!(poll["voters_count"], 1);
    // Signed out: results only, no form.
    let mut anon = Browser::new(&s.base);
    anon.get("/public")
        .await
        .lacks(&format!("action=\"/statuses/{id}/vote\""))
        .has("2 votes ·");
}

// Profile fields are on the same pages as the rest of this area's web work.
#[tokio::test]
async fn profile_fields_are_edited_in_settings_and_shown_escaped() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("fieldy").await;
    a.get("/settings/profile").await.has("name=\"field_name3\"");
    let p = a
        .submit(
            "/settings/profile",
            &[
                ("display_name", "Fieldy"),
                ("note", "bio"),
                ("field_name0", "Web <i>site</i>"),
                ("field_value0", "https://example.org"),
                ("field_name1", ""),
                ("field_value1", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    a.get("/settings/profile")
        .await
        .has("Profile saved.")
        .has("value=\"https://example.org\"");
    let mut anon = Browser::new(&s.base);
    anon.get("/@fieldy")
        .await
        .has("<dt>Web &#60;i&#62;site&#60;/i&#62;</dt>")
        .has("href=\"https://example.org\"")
        .lacks("<i>site</i>");
    // Without the CSRF token nothing changes.
    let forged = a
        .submit_raw("/settings/profile", &[("field_name0", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    anon.get("/@fieldy").await.lacks("forged");
}
