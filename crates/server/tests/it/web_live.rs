//! The live web pages' event streams over HTTP: `/home/live` (what lands in the signed-in
//! viewer's home timeline, deletions, notifications) and `/live/replies/ID` (public and
//! unlisted replies to a post the viewer may see). Events carry bare IDs only. The page
//! side (banners, the script) is in `tests/web/e2e.mjs`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Signs in through the login form as a browser would; returns the `Cookie` header of the
/// session.
async fn sign_in(s: &TestServer, login: &str) -> String {
    let form = s.http.get(s.url("/login")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let csrf_cookie = set_cookie(&form, "roost_csrf").expect("a pre-session CSRF cookie");
    let body = form.text().await.unwrap();
    let i = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = &body[i..i + body[i..].find('"').unwrap()];
    let r = s
        .http
        .post(s.url("/login"))
        .header("cookie", format!("roost_csrf={csrf_cookie}"))
        .form(&[
            ("login", login),
            ("password", "correct horse battery"),
            ("csrf", csrf),
            ("next", "/home"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let session = set_cookie(&r, "roost_session").expect("a session cookie");
    format!("roost_session={session}")
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get_all("set-cookie").iter().find_map(|v| {
        let (pair, _) = v.to_str().ok()?.split_once(';')?;
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// An open event stream, read chunk by chunk.
struct Events {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

/// One server-sent event: its name and data.
type Ev = (String, String);

impl Events {
    async fn open(s: &TestServer, path: &str, cookie: Option<&str>) -> Events {
        let mut rb = s
            .http
            .get(s.url(path))
            .header("accept", "text/event-stream");
        if let Some(c) = cookie {
            rb = rb.header("cookie", c);
        }
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.starts_with("text/event-stream"), "{path}: {ctype}");
        // The handler subscribed before answering, so the stream is live now.
        Events {
            resp,
            buf: Vec::new(),
        }
    }

    /// The next named event (heartbeat comments skipped); panics after 10 s.
    async fn next(&mut self) -> Ev {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buf.drain(..i + 2).collect();
                let block = String::from_utf8(block).expect("events are UTF-8");
                let (mut event, mut data) = (None, Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.trim_start().to_string());
                    }
                }
                if let Some(e) = event {
                    return (e, data.join("\n"));
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .expect("an event in time")
                .expect("the stream reads")
                .expect("the stream is still open");
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// Every event up to and including `(event, data)`.
    async fn until(&mut self, event: &str, data: &str) -> Vec<Ev> {
        let mut seen = Vec::new();
        loop {
            let e = self.next().await;
            let done = e.0 == event && e.1 == data;
            seen.push(e);
            if done {
                return seen;
            }
        }
    }
}

async fn reply(s: &TestServer, who: &User, to: &str, text: &str, visibility: &str) -> String {
    let body = json!({"status": text, "in_reply_to_id": to, "visibility": visibility});
    id_of(&s.post_status(who, body).await)
}

fn has(events: &[Ev], event: &str, data: &str) -> bool {
    events.iter().any(|(e, d)| e == event && d == data)
}

/// Every event is one of the page's names with a bare ID: no post text, no HTML.
#[track_caller]
fn only_ids(events: &[Ev], names: &[&str]) {
    for (e, d) in events {
        assert!(
            names.contains(&e.as_str()),
            "unexpected event {e}: {events:?}"
        );
        assert!(
            !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()),
            "data is a bare ID: {events:?}"
        );
    }
}

#[tokio::test]
async fn home_live_tells_of_posts_in_the_home_timeline_only() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    s.follow(&alice, &bob).await;
    let cookie = sign_in(&s, "alice").await;
    let mut live = Events::open(&s, "/home/live", Some(&cookie)).await;

    // Carol is not followed: neither her followers-only nor her public post arrives.
    let hidden = id_of(
        &s.post_status(
            &carol,
            json!({"status": "for my followers only", "visibility": "private"}),
        )
        .await,
    );
    let stranger = id_of(
        &s.post_status(&carol, json!({"status": "hello world"}))
            .await,
    );
    let first = id_of(
        &s.post_status(&bob, json!({"status": "from bob <b>hi</b>"}))
            .await,
    );
    let seen = live.until("post", &first).await;
    assert_eq!(
        seen,
        [("post".to_string(), first.clone())],
        "only bob's post"
    );
    assert!(!has(&seen, "post", &hidden) && !has(&seen, "post", &stranger));

    // Followers-only from a followed account, one's own post, a like of it (a
    // notification) and a deletion.
    let private = id_of(
        &s.post_status(
            &bob,
            json!({"status": "bob to followers", "visibility": "private"}),
        )
        .await,
    );
    let own = id_of(&s.post_status(&alice, json!({"status": "alice here"})).await);
    s.post(
        &format!("/api/v1/statuses/{own}/favourite"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    s.delete(&format!("/api/v1/statuses/{first}"), Some(&bob.token))
        .await
        .ok();
    let seen = live.until("delete", &first).await;
    only_ids(&seen, &["post", "notification", "delete"]);
    assert!(has(&seen, "post", &private), "{seen:?}");
    assert!(has(&seen, "post", &own), "{seen:?}");
    let notes: Vec<&Ev> = seen.iter().filter(|e| e.0 == "notification").collect();
    assert_eq!(notes.len(), 1, "the like, told once: {seen:?}");

    // After a sentinel, still nothing of carol's.
    let more = id_of(
        &s.post_status(
            &carol,
            json!({"status": "still not followed", "visibility": "private"}),
        )
        .await,
    );
    let sentinel = id_of(&s.post_status(&bob, json!({"status": "sentinel"})).await);
    let seen = live.until("post", &sentinel).await;
    assert!(!has(&seen, "post", &more), "{seen:?}");
}

#[tokio::test]
async fn home_live_needs_a_session() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    for cookie in [None, Some("roost_session=not-a-session")] {
        let mut rb = s.http.get(s.url("/home/live"));
        if let Some(c) = cookie {
            rb = rb.header("cookie", c);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{cookie:?}");
    }
    // An API token is not a web session.
    let r = s
        .http
        .get(s.url("/home/live"))
        .header("cookie", format!("roost_session={}", alice.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Signing out ends an open stream.
    let cookie = sign_in(&s, "alice").await;
    let mut live = Events::open(&s, "/home/live", Some(&cookie)).await;
    let home = s
        .http
        .get(s.url("/home"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("data-live=\"/home/live\""),
        "the page asks for it"
    );
    let i = home.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = home[i..i + home[i..].find('"').unwrap()].to_string();
    let out = s
        .http
        .post(s.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match live.resp.chunk().await {
                Ok(Some(_)) => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the stream ended with the session");
    let r = s
        .http
        .get(s.url("/home/live"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn replies_live_tells_of_public_and_unlisted_replies() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let carol = s.register("carol").await;
    let post = id_of(
        &s.post_status(&alice, json!({"status": "what do you think?"}))
            .await,
    );
    let other = id_of(
        &s.post_status(&alice, json!({"status": "another post"}))
            .await,
    );
    let page = s
        .http
        .get(s.url(&format!("/@alice/{post}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("data-live=\"/live/replies/{post}\"")),
        "the post page asks for its replies"
    );
    // Anonymous: the stream only carries what anyone may see.
    let mut live = Events::open(&s, &format!("/live/replies/{post}"), None).await;

    let direct = reply(&s, &carol, &post, "@alice just between us", "direct").await;
    let private = reply(&s, &carol, &post, "@alice followers only", "private").await;
    let elsewhere = reply(&s, &bob, &other, "on the other post", "public").await;
    let first = reply(&s, &bob, &post, "I think <em>yes</em>", "public").await;
    let seen = live.until("reply", &first).await;
    assert_eq!(
        seen,
        [("reply".to_string(), first.clone())],
        "only the public reply"
    );
    for id in [&direct, &private, &elsewhere] {
        assert!(!has(&seen, "reply", id));
    }

    let unlisted = reply(&s, &carol, &post, "quietly: no", "unlisted").await;
    s.delete(&format!("/api/v1/statuses/{unlisted}"), Some(&carol.token))
        .await
        .ok();
    let sentinel = reply(&s, &bob, &post, "sentinel", "public").await;
    let seen = live.until("reply", &sentinel).await;
    only_ids(&seen, &["reply", "delete"]);
    assert_eq!(
        seen,
        [
            ("reply".to_string(), unlisted.clone()),
            ("delete".to_string(), unlisted.clone()),
            ("reply".to_string(), sentinel.clone()),
        ]
    );
}

#[tokio::test]
async fn replies_live_of_a_post_one_cannot_see_is_not_found() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let private = id_of(
        &s.post_status(
            &alice,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await,
    );
    for path in [
        "/live/replies/123456789012345".to_string(),
        "/live/replies/not-a-number".to_string(),
        format!("/live/replies/{private}"),
    ] {
        let r = s.http.get(s.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            ctype.starts_with("text/html"),
            "{path}: the 404 page, {ctype}"
        );
    }
    // Not followed yet: not visible to bob either; once he follows, it is.
    let cookie = sign_in(&s, "bob").await;
    let r = s
        .http
        .get(s.url(&format!("/live/replies/{private}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.follow(&bob, &alice).await;
    Events::open(&s, &format!("/live/replies/{private}"), Some(&cookie)).await;
}
