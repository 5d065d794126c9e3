//! The web pages over plain HTTP: sessions and their cookies, CSRF, escaping of everything
//! users type, view counts on post pages, feeds, Open Graph tags, error pages, the limit
//! on sign-in attempts, static assets, and residency notes across regions. (The same
//! flows in a real browser are in `web_browser.rs`.)

use crate::support::{eventually, follow_across, policy_all, Regions, TestServer};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use roost_residency::{Action, DataClass};
use serde_json::json;
use std::collections::BTreeMap;

/// A cookie-keeping client that does not follow redirects, so each step can be checked.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    /// `Set-Cookie` lines seen, for checking their attributes.
    set_cookies: Vec<String>,
    /// The CSRF token of the last page that had a form.
    csrf: String,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> String {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    #[track_caller]
    pub(crate) fn has(&self, needle: &str) -> &Page {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in the page ({}):\n{}",
            self.status,
            self.body
        );
        self
    }
    #[track_caller]
    pub(crate) fn lacks(&self, needle: &str) -> &Page {
        assert!(
            !self.body.contains(needle),
            "did not expect {needle:?} in the page:\n{}",
            self.body
        );
        self
    }
}

impl Browser {
    pub(crate) fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let resp = rb
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for sc in headers.get_all("set-cookie") {
            let line = sc.to_str().unwrap().to_string();
            let (pair, _) = line.split_once(';').unwrap_or((&line, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
            self.set_cookies.push(line);
        }
        let body = resp.text().await.unwrap();
        if let Some(i) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
        Page {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.base));
        self.finish(rb).await
    }

    /// A download: status, headers and the body's bytes as sent.
    pub(crate) async fn get_bytes(&mut self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    /// Posts a form with the current CSRF token added.
    pub(crate) async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("csrf", &csrf));
        let rb = self.http.post(format!("{}{path}", self.base)).form(&all);
        self.finish(rb).await
    }

    /// Posts a multipart form (fields and files) with the current CSRF token added.
    pub(crate) async fn submit_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>)>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf", self.csrf.clone());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (k, name, bytes) in files {
            form = form.part(
                k.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        let rb = self
            .http
            .post(format!("{}{path}", self.base))
            .multipart(form);
        self.finish(rb).await
    }

    pub(crate) async fn submit_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let rb = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.finish(rb).await
    }

    pub(crate) async fn sign_up(&mut self, username: &str) {
        self.get("/signup").await;
        let email = format!("{username}@example.org");
        let p = self
            .submit(
                "/signup",
                &[
                    ("username", username),
                    ("email", &email),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(p.location(), "/home");
        self.get("/home").await.has("What's on your mind?");
    }

    /// Posts from the home page; returns the new post's page path.
    pub(crate) async fn post(&mut self, text: &str) -> String {
        let home = self.get("/home").await;
        assert_eq!(home.status, StatusCode::OK);
        let p = self
            .submit(
                "/statuses",
                &[("text", text), ("visibility", "public"), ("back", "/home")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let home = self.get("/home").await;
        home.has("Posted.");
        first_permalink(&home.body)
    }
}

fn first_permalink(body: &str) -> String {
    let i = body
        .find("class=\"permalink\" href=\"")
        .expect("a post on the page")
        + 24;
    body[i..i + body[i..].find('"').unwrap()].to_string()
}

fn views_line(body: &str) -> String {
    let i = body.find("class=\"views\">").expect("a views line") + 14;
    body[i..i + body[i..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn sign_up_post_view_comment_quote_like_and_sign_out() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("mei").await;
    let session = a
        .set_cookies
        .iter()
        .find(|c| c.starts_with("roost_session="))
        .expect("a session cookie")
        .clone();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http here: {session}");

    let post = a.post("你好，世界 #中文 first post").await;
    assert!(post.starts_with("/@mei/"), "{post}");
    let page = a.get(&post).await;
    page.has("lang=\"zh\"")
        .has("/tags/%E4%B8%AD%E6%96%87")
        .has("Related posts")
        .has("Post a comment")
        .has("Repost with your words");
    assert_eq!(views_line(&page.body), "Visited 1 times, 1 visits today");
    let again = a.get(&post).await;
    assert_eq!(views_line(&again.body), "Visited 2 times, 2 visits today");
    // Anonymous visits count too.
    let mut anon = Browser::new(&s.base);
    let p = anon.get(&post).await;
    assert_eq!(views_line(&p.body), "Visited 3 times, 3 visits today");
    p.lacks("Post a comment").has("Log in</a> to comment");

    // A comment, a quote, a like.
    a.get(&post).await;
    let id = post.rsplit('/').next().unwrap().to_string();
    let r = a
        .submit(
            "/statuses",
            &[
                ("text", "a comment 评论"),
                ("in_reply_to_id", &id),
                ("back", &post),
            ],
        )
        .await;
    assert_eq!(r.location(), post);
    let r = a
        .submit(
            "/statuses",
            &[
                ("text", "my words on it"),
                ("quote_of_id", &id),
                ("back", &post),
            ],
        )
        .await;
    assert_eq!(r.location(), post);
    let r = a
        .submit(&format!("/statuses/{id}/like"), &[("back", &post)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = a.get(&post).await;
    page.has("Liked.")
        .has("a comment 评论")
        .has("1 comment<")
        .has("1 like<")
        .has("1 repost with words")
        .has(">Unlike<");
    // The quote is the author's newer post, the comment too: the neighbours link there.
    page.has("Next post");
    // The API sees the same.
    let st = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(st["favourites_count"], 1);
    assert_eq!(st["replies_count"], 1);

    // Signing out revokes the session: the old cookie opens nothing any more.
    let old = a.cookies.get("roost_session").cloned().unwrap();
    a.get("/home").await;
    let out = a.submit("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!a.cookies.contains_key("roost_session"));
    let mut thief = Browser::new(&s.base);
    thief.cookies.insert("roost_session".into(), old);
    let p = thief.get("/home").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/login?next=%2Fhome");

    // And signing in again works with the same password, by username or e-mail.
    a.get("/login").await;
    let r = a
        .submit(
            "/login",
            &[
                ("login", "mei@example.org"),
                ("password", "correct horse battery"),
                ("next", "/notifications"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/notifications");
    a.get("/notifications").await.has("Notifications");
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("guarded").await;
    let before = s.public_ids(None).await.len();
    for fields in [
        vec![
            ("text", "forged"),
            ("csrf", "0123456789abcdef0123456789abcdef"),
        ],
        vec![("text", "forged")],
    ] {
        let p = a.submit_raw("/statuses", &fields).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        p.has("<h1>Forbidden</h1>");
        assert!(p.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    assert_eq!(s.public_ids(None).await.len(), before);
    // Signed out, a sign-in form from another site (no cookie of ours) is refused too.
    let mut other = Browser::new(&s.base);
    let p = other
        .submit_raw(
            "/login",
            &[
                ("login", "guarded"),
                ("password", "correct horse battery"),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!other.cookies.contains_key("roost_session"));
    // Off-site `back` targets are replaced by a local page (no open redirect).
    a.get("/home").await;
    let p = a
        .submit(
            "/statuses",
            &[("text", "fine"), ("back", "//evil.example/x")],
        )
        .await;
    assert_eq!(p.location(), "/home");
}

#[tokio::test]
async fn what_users_type_renders_as_text() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("mallory").await;
    let evil = r#"<script>alert('x')</script> "><img src=x onerror=alert(1)> #tag"#;
    // Display name and bio through the API (the same account).
    let user = crate::support::User {
        id: String::new(),
        username: "mallory".into(),
        token: {
            let (id, secret) = s.app().await;
            s.post("/oauth/token", None, json!({"grant_type": "password", "client_id": id, "client_secret": secret, "username": "mallory", "password": "correct horse battery", "scope": "read write"}))
                .await
                .ok()["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        },
    };
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&user.token),
        json!({"display_name": "<script>alert(2)</script>", "note": evil}),
    )
    .await
    .ok();
    let post = a.post(evil).await;
    let id = post.rsplit('/').next().unwrap().to_string();
    a.get(&post).await;
    a.submit(
        "/statuses",
        &[("text", evil), ("in_reply_to_id", &id), ("back", &post)],
    )
    .await;
    for path in [
        post.clone(),
        "/@mallory".into(),
        "/home".into(),
        "/public".into(),
        "/tags/tag".into(),
    ] {
        let p = a.get(&path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        p.lacks("<script>alert")
            .lacks("<img src=x")
            .lacks("onerror=alert(1)>");
        p.has("&lt;script&gt;");
    }
    // (The template escapes with numeric references, the post renderer with named ones.)
    a.get("/@mallory")
        .await
        .has("&#60;script&#62;alert(2)&#60;/script&#62;")
        .lacks("<script>alert(2)");
    // Feeds escape too: the post's HTML is text inside the XML.
    let rss = a.get("/@mallory.rss").await;
    rss.lacks("<script>").lacks("<img src=x");
    // And a script could not run anyway: the pages forbid inline script.
    let p = a.get(&post).await;
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[tokio::test]
async fn feeds_sharing_tags_and_assets() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("feeder").await;
    let post = a.post("訂閱 #新聞 and more").await;

    let page = a.get(&post).await;
    page.has(r#"<meta property="og:type" content="article">"#)
        .has(r#"<meta property="og:description" content="訂閱 #新聞 and more">"#)
        .has(&format!(
            r#"<meta property="og:url" content="{}{post}">"#,
            s.base
        ))
        .has(r#"type="application/activity+json""#);
    let profile = a.get("/@feeder").await;
    profile
        .has(r#"<meta property="og:type" content="profile">"#)
        .has(r#"<link rel="alternate" type="application/rss+xml" href="/@feeder.rss""#)
        .has(r#"<link rel="alternate" type="application/atom+xml" href="/@feeder.atom""#)
        .has("1 post<");

    let rss = a.get("/@feeder.rss").await;
    assert_eq!(rss.status, StatusCode::OK);
    assert!(rss.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/rss+xml"));
    rss.has("<rss version=\"2.0\"")
        .has(&format!("<link>{}{post}</link>", s.base))
        .has("<title>訂閱 #新聞 and more</title>");
    let atom = a.get("/@feeder.atom").await;
    assert!(atom.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    atom.has("<feed xmlns=\"http://www.w3.org/2005/Atom\">")
        .has(&format!("<id>{}{post}</id>", s.base));

    // The hashtag page and its feed, CJK tag percent-encoded in the URL.
    let tag = a.get("/tags/%E6%96%B0%E8%81%9E").await;
    tag.has("<h1>#新聞</h1>")
        .has(&post)
        .has("/tags/%E6%96%B0%E8%81%9E.rss");
    let tag_rss = a.get("/tags/%E6%96%B0%E8%81%9E.rss").await;
    tag_rss.has(&format!("<link>{}{post}</link>", s.base));

    // Static assets: hashed names cached for a year, in the binary.
    let css = tag
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    assert!(
        css.starts_with("/static/roost-") && css.ends_with(".css"),
        "{css}"
    );
    let r = a.get(&css).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(
        a.get("/static/nope.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn errors_are_friendly_pages_with_the_right_status() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("hider").await;
    a.get("/home").await;
    a.submit(
        "/statuses",
        &[
            ("text", "only followers"),
            ("visibility", "private"),
            ("back", "/home"),
        ],
    )
    .await;
    let private = first_permalink(&a.get("/home").await.body);
    assert_eq!(a.get(&private).await.status, StatusCode::OK);

    let mut anon = Browser::new(&s.base);
    for path in [
        private.as_str(),
        "/@hider/123",
        "/@hider/not-an-id",
        "/@nobody",
        "/@nobody/1",
        "/no/such/page",
        "/tags/%20",
    ] {
        let p = anon.get(path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(p.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        p.has("<h1>Not found</h1>")
            .has("Go to the front page")
            .lacks("panicked");
    }
    // API paths keep the API's JSON errors.
    let r = anon.get("/api/v1/nothing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, r#"{"error":"Not found"}"#);
    // Pages that need a session send the browser to sign in and back.
    let r = anon.get("/notifications").await;
    assert_eq!(r.location(), "/login?next=%2Fnotifications");
    // A page posted to with the wrong method.
    let r = anon.submit_raw("/public", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    r.has("Method not allowed");
    // An unknown action or visibility changes nothing.
    let id = private.rsplit('/').next().unwrap();
    a.get("/home").await;
    let r = a.submit(&format!("/statuses/{id}/explode"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a
        .submit("/statuses", &[("text", "x"), ("visibility", "everyone")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Unknown targets in forms are 404 pages and create nothing.
    let before = s.public_ids(None).await.len();
    for fields in [
        vec![("text", "reply"), ("in_reply_to_id", "abc")],
        vec![("text", "reply"), ("in_reply_to_id", "123456789")],
        vec![("text", "quote"), ("quote_of_id", "123456789")],
    ] {
        let r = a.submit("/statuses", &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{fields:?}");
        r.has("<h1>Not found</h1>");
    }
    assert_eq!(s.public_ids(None).await.len(), before);
    let r = a.submit("/@nobody_here/follow", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a.submit("/statuses/123456789/like", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A body that is not a form is a 400 page.
    let rb = a
        .http
        .post(format!("{}/statuses", a.base))
        .header("content-type", "application/json")
        .body("{}");
    let r = a.finish(rb).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    r.has("The form could not be read");
    // A refused post comes back to the page with the reason, not an error page.
    let long = "x".repeat(6000);
    let r = a
        .submit("/statuses", &[("text", &long), ("back", "/home")])
        .await;
    assert_eq!(r.location(), "/home");
    a.get("/home").await.has("role=\"alert\"");
}

#[tokio::test]
async fn too_many_sign_in_attempts_get_429() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("target").await;
    a.get("/home").await;
    a.submit("/logout", &[]).await;
    let mut seen = Vec::new();
    for _ in 0..12 {
        a.get("/login").await;
        let p = a
            .submit(
                "/login",
                &[("login", "target"), ("password", "wrong password!")],
            )
            .await;
        seen.push(p.status.as_u16());
        if p.status == StatusCode::TOO_MANY_REQUESTS {
            p.has("Too many attempts");
            break;
        }
        p.has("Invalid username, e-mail or password.");
    }
    assert_eq!(seen.last(), Some(&429), "{seen:?}");
    assert!(seen[..seen.len() - 1].iter().all(|s| *s == 401), "{seen:?}");
    // Even the right password waits now: guessing cannot continue by luck.
    a.get("/login").await;
    let p = a
        .submit(
            "/login",
            &[("login", "target"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn other_regions_render_by_policy() {
    // `id` lets other regions show its public posts only in transit.
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (asha, budi) = r.asha_and_budi().await;
    r.get("id")
        .post_status(&budi, json!({"status": "dari Jakarta #berita"}))
        .await;
    follow_across(&r, "in", &asha, "id", &budi).await;

    let mut web = Browser::new(&r.get("in").base);
    web.get("/login").await;
    let p = web
        .submit(
            "/login",
            &[("login", "asha"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let handle = r.handle("id", "budi");
    let profile = web.get(&format!("/@{handle}")).await;
    profile
        .has("home region id")
        .has("residency-note")
        .has("only be shown here in transit")
        .has(">Unfollow<");
    let home = eventually(10, "budi's post on asha's home page", || {
        let mut w = Browser::new(&web.base);
        w.cookies = web.cookies.clone();
        async move {
            let p = w.get("/home").await;
            p.body.contains("dari Jakarta").then_some(p)
        }
    })
    .await;
    home.has("Shown in transit from region id");
    // The transit post's page is served here without keeping it, and says so.
    let link = home
        .body
        .split("class=\"permalink\" href=\"")
        .find(|s| s.starts_with(&format!("/@{handle}/")))
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .expect("a link to budi's post");
    web.get(&link)
        .await
        .has("dari Jakarta")
        .has("not stored in this region")
        .lacks("Post a comment");
    // "Your data": every region answers for itself, with the ledger entries about Asha.
    let mine = web.get("/your-data").await;
    mine.has("Your home region is <strong>in</strong>")
        .has(">in (home)<")
        .has(">id<")
        .has(">cn<")
        .has("in sent to id")
        .has("social_graph")
        .lacks("Did not answer");
    r.stop_all().await;
}

#[tokio::test]
async fn a_denied_region_is_withheld_with_a_note() {
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Deny);
        }
        p
    })
    .await;
    let (_asha, budi) = r.asha_and_budi().await;
    let post = r
        .get("id")
        .post_status(&budi, json!({"status": "stays in Indonesia"}))
        .await;
    let mut web = Browser::new(&r.get("in").base);
    let handle = r.handle("id", "budi");
    // The account's address is known; its profile and posts are not shown here.
    let p = web.get(&format!("/@{handle}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("withheld from this region by the residency policy")
        .has("id -&#62; in public_content: deny")
        .lacks("stays in Indonesia");
    let p = web
        .get(&format!("/@{handle}/{}", post["id"].as_str().unwrap()))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    p.has("Withheld by the residency policy")
        .has("residency-note")
        .lacks("stays in Indonesia");
    r.stop_all().await;
}

#[tokio::test]
async fn timelines_page_through_older_and_newer_posts() {
    let s = TestServer::start().await;
    let user = s.register("pager").await;
    let mut ids = Vec::new();
    for i in 0..25 {
        let st = s
            .post_status(&user, json!({"status": format!("numbered post {i:02}")}))
            .await;
        ids.push(st["id"].as_str().unwrap().to_string());
    }
    let mut anon = Browser::new(&s.base);
    let first = anon.get("/public/local").await;
    first
        .has("numbered post 24")
        .has("numbered post 05")
        .lacks("numbered post 04");
    first.lacks("Newer posts");
    let older = first
        .body
        .split("href=\"")
        .find(|h| h.starts_with("/public/local?max_id="))
        .map(|h| h[..h.find('"').unwrap()].to_string())
        .expect("an older-posts link");
    assert_eq!(older, format!("/public/local?max_id={}", ids[5]));
    let second = anon.get(&older).await;
    second
        .has("numbered post 04")
        .has("numbered post 00")
        .lacks("numbered post 05")
        .has("Newer posts")
        .lacks("Older posts");
    // The author's profile pages the same way.
    anon.get("/@pager").await.has("25 posts").has("Older posts");
}

#[tokio::test]
async fn reblog_pages_and_wrong_handles_do_not_count_as_visits() {
    let s = TestServer::start().await;
    let author = s.register("origin").await;
    let fan = s.register("fan").await;
    let st = s
        .post_status(&author, json!({"status": "worth sharing"}))
        .await;
    let id = st["id"].as_str().unwrap().to_string();
    let rb = s
        .post(
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&fan.token),
            json!({}),
        )
        .await
        .ok();
    let rb_id = rb["id"].as_str().unwrap();
    let mut anon = Browser::new(&s.base);
    let r = anon.get(&format!("/@fan/{rb_id}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/statuses/{id}"));
    let r = anon.get(&r.location()).await;
    assert_eq!(r.location(), format!("/@origin/{id}"));
    assert_eq!(
        anon.get(&format!("/@fan/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = anon.get(&format!("/@origin/{id}")).await;
    assert_eq!(views_line(&page.body), "Visited 1 times, 1 visits today");
}

#[tokio::test]
async fn the_profile_is_edited_from_the_settings_page() {
    let s = TestServer::start().await;
    let mut a = Browser::new(&s.base);
    a.sign_up("editor").await;
    a.get("/@editor").await.has("href=\"/settings/profile\"");
    let form = a.get("/settings/profile").await;
    form.has("Display name").has("Bio");
    let r = a
        .submit(
            "/settings/profile",
            &[
                ("display_name", "编辑 Editor"),
                ("note", "Writes about #roost"),
                ("locked", "1"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/settings/profile");
    a.get("/settings/profile")
        .await
        .has("Profile saved.")
        .has("checked");
    a.get("/@editor")
        .await
        .has("<h1 id=\"profile-name\">编辑 Editor</h1>")
        .has("Writes about");
    let api = s
        .get("/api/v1/accounts/lookup?acct=editor", None)
        .await
        .ok();
    assert_eq!(api["display_name"], "编辑 Editor");
    assert_eq!(api["locked"], true);
    // Too long: refused with the reason, nothing changed.
    let long = "x".repeat(31);
    a.get("/settings/profile").await;
    a.submit(
        "/settings/profile",
        &[("display_name", &long), ("note", "")],
    )
    .await;
    a.get("/settings/profile").await.has("role=\"alert\"");
    let api = s
        .get("/api/v1/accounts/lookup?acct=editor", None)
        .await
        .ok();
    assert_eq!(api["display_name"], "编辑 Editor");
    // Someone else's form (no CSRF token) changes nothing.
    let p = a
        .submit_raw("/settings/profile", &[("display_name", "hijacked")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}
