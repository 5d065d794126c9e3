//! What an outside probe found could crash, stall or fool a region, each reproduced
//! against a real server: nested parameters, pathological text, password floods,
//! redirect URIs, echoed paging parameters, feeds with forbidden characters, oversized
//! forms, slow and idle connections, and error bodies in the wrong convention.

use crate::support::*;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn alive(s: &TestServer) {
    s.get("/health", None).await.expect(200);
}

#[tokio::test]
async fn deeply_nested_keys_are_refused_without_crashing() {
    let s = TestServer::start().await;
    // ~15 KB of `a[b][b]...`: this used to overflow the stack and abort the process.
    let deep = format!("a{}=1", "[b]".repeat(5_000));
    for path in ["/api/v1/apps", "/oauth/token", "/oauth/authorize"] {
        let r = s
            .raw(
                Method::POST,
                path,
                None,
                "application/x-www-form-urlencoded",
                deep.clone(),
            )
            .await;
        let e = r.error(400);
        assert!(e.starts_with("Parameter name is too long"), "{path}: {e}");
        let sixty = format!("a{}=1", "[b]".repeat(60));
        let e = s
            .raw(
                Method::POST,
                path,
                None,
                "application/x-www-form-urlencoded",
                sixty,
            )
            .await
            .error(400);
        assert!(e.contains("nested too deeply"), "{path}: {e}");
        let r = s.get(&format!("{path}?{deep}"), None).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
        alive(&s).await;
    }
    // Too many keys, and a multipart body with too many fields.
    let many: Vec<String> = (0..5_000).map(|i| format!("k{i}=v")).collect();
    s.raw(
        Method::POST,
        "/api/v1/apps",
        None,
        "application/x-www-form-urlencoded",
        many.join("&"),
    )
    .await
    .error(400);
    let fields: Vec<(String, String)> = (0..1_500).map(|i| (format!("f{i}"), "v".into())).collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.post_multipart("/api/v1/apps", None, &fields)
        .await
        .error(400);
    // Real clients' two-level keys still work.
    let app = s
        .post_form(
            "/api/v1/apps",
            None,
            &[
                ("client_name", "nested ok"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ],
        )
        .await
        .ok();
    assert_eq!(app["name"], "nested ok");
}

#[tokio::test]
async fn a_link_followed_by_many_parens_is_answered_at_once() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let text = format!("https://a.example/{}", ")".repeat(30_000));
    let t = Instant::now();
    let (a, b) = tokio::join!(
        s.post_status_raw(&alice, json!({ "status": text })),
        s.post_status_raw(&alice, json!({ "status": text }))
    );
    // Too long for the 5,000-character limit: a 422 each, after one linear pass.
    a.error(422);
    b.error(422);
    let health = Instant::now();
    alive(&s).await;
    println!(
        "two posts of 30,000 parens: {:?}; /health then {:?}",
        t.elapsed(),
        health.elapsed()
    );
}

#[tokio::test]
async fn password_grants_and_sign_ups_are_rate_limited() {
    let s = TestServer::start_with(|c| {
        c.limits.sign_in_per_ip = 1_000;
        c.limits.sign_in_per_login = 3;
        c.limits.sign_up_per_ip = 2;
    })
    .await;
    let alice = s.register("alice").await;
    let (id, secret) = s.app().await;
    let grant = |password: &'static str| {
        json!({"grant_type": "password", "client_id": id, "client_secret": secret,
               "username": "alice@example.org", "password": password, "scope": "read"})
    };
    for _ in 0..3 {
        s.post("/oauth/token", None, grant("wrong"))
            .await
            .error(400);
    }
    let r = s.post("/oauth/token", None, grant("wrong")).await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.body);
    assert_eq!(r.headers["x-ratelimit-limit"], "3");
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    let reset = r.headers["x-ratelimit-reset"].to_str().unwrap();
    assert!(reset.parse::<jiff::Timestamp>().is_ok(), "{reset}");
    assert!(r.body["error"].is_string());
    // Once limited, even the right password waits: guessing gains nothing.
    s.post("/oauth/token", None, grant("correct horse battery"))
        .await
        .error(429);
    // Other logins are not affected by alice's limit.
    let bob = s.register("bob").await;
    assert!(!bob.token.is_empty());
    // The third sign-up from this address within the minute is refused and makes nothing.
    let app_token = s.app_token("write").await;
    let r = s
        .post(
            "/api/v1/accounts",
            Some(&app_token),
            json!({"username": "carol", "email": "carol@example.org", "password": "correct horse battery", "agreement": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.body);
    assert!(r.headers.contains_key("x-ratelimit-reset"));
    s.get("/api/v1/accounts/lookup?acct=carol", Some(&alice.token))
        .await
        .error(404);
    // The consent page's sign-in form counts against the same login limit: a page, 429.
    let r = s
        .raw(
            Method::POST,
            "/oauth/authorize",
            None,
            "application/x-www-form-urlencoded",
            format!(
                "client_id={id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code&scope=read&username=alice%40example.org&password=x"
            ),
        )
        .await;
    assert_eq!(r.status.as_u16(), 429);
    assert!(r
        .body
        .as_str()
        .unwrap_or_default()
        .contains("Too many attempts"));
}

#[tokio::test]
async fn dangerous_redirect_uris_are_refused_at_registration() {
    let s = TestServer::start().await;
    for bad in [
        "javascript:alert(1)",
        "https://app.example/\u{1}cb",
        "https://app.example/cb\r\nSet-Cookie: x=1",
        "http://app.example/cb",
        "data:text/html,<script>alert(1)</script>",
    ] {
        let e = s
            .post(
                "/api/v1/apps",
                None,
                json!({"client_name": "bad", "redirect_uris": bad}),
            )
            .await
            .error(422);
        assert!(e.contains("Redirect URI"), "{bad:?}: {e}");
    }
    for good in [
        "https://app.example/cb",
        "http://127.0.0.1:8765/cb",
        "com.example.app:/oauth",
    ] {
        s.post(
            "/api/v1/apps",
            None,
            json!({"client_name": "good", "redirect_uris": good}),
        )
        .await
        .ok();
    }
}

#[tokio::test]
async fn paging_links_do_not_echo_huge_parameters() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    for i in 0..3 {
        s.post_status(&alice, json!({ "status": format!("post {i}") }))
            .await;
    }
    let huge = "x".repeat(60_000);
    let r = s
        .get(
            &format!("/api/v1/timelines/public?limit=2&junk={huge}"),
            None,
        )
        .await;
    let link = r.link();
    assert_eq!(r.status.as_u16(), 200);
    assert!(
        link.contains("rel=\"next\"") && link.contains("limit=2"),
        "{link}"
    );
    assert!(link.len() < 1_000, "Link header of {} bytes", link.len());
}

#[tokio::test]
async fn feeds_stay_well_formed_xml_whatever_the_text() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let nasty = "a\u{1}b\u{8}c\u{b}d\u{c}e\u{1b}f\u{FFFE}g\u{FFFF}h";
    // At input: stripped from names, bios and posts.
    let me = s
        .patch(
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            json!({"display_name": nasty, "note": nasty}),
        )
        .await
        .ok();
    assert_eq!(me["display_name"], "abcdefgh");
    let st = s
        .post_status(&alice, json!({"status": format!("{nasty} #tag")}))
        .await;
    assert!(!st["content"].as_str().unwrap().contains('\u{1}'));
    // At output: rows written before input was cleaned (or by another region) too.
    let url = format!(
        "sqlite://{}",
        s.dir.path().join("data/roost.sqlite").display()
    );
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE accounts SET display_name = $1, note_source = $1 WHERE username = 'alice'")
        .bind(nasty)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE statuses SET text = $1, content_html = $1")
        .bind(nasty)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    for path in ["/@alice.rss", "/@alice.atom", "/tags/tag.rss"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let body = r.text().await.unwrap();
        roxmltree::Document::parse(&body)
            .unwrap_or_else(|e| panic!("{path} is not well-formed XML: {e}\n{body}"));
    }
}

#[tokio::test]
async fn an_oversized_form_is_a_413_page() {
    let s = TestServer::start().await;
    let body = format!("login=a&password={}", "x".repeat(3 << 20));
    let r = s
        .http
        .post(s.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn error_bodies_follow_the_convention_of_their_path() {
    let regions = Regions::start(|_| policy_all("store")).await;
    let s = regions.get("in");
    // The inbox's body limit: JSON, not axum's plain text.
    let big = vec![b'x'; 3 << 20];
    let r = s
        .raw(
            Method::POST,
            "/ap/inbox",
            None,
            "application/activity+json",
            big,
        )
        .await;
    assert_eq!(r.status.as_u16(), 413, "{}", r.body);
    assert!(r.body["error"].is_string(), "{}", r.body);
    // A query the webfinger route cannot read: JSON.
    let r = s.get("/.well-known/webfinger", None).await;
    assert!(r.status.is_client_error());
    assert!(r.body["error"].is_string(), "{}", r.body);
    // A page path the router cannot decode (axum's plain-text 400 before): a page.
    let r = s.http.get(s.url("/@asha/pq%E4%3D")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let s = TestServer::start_with(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let addr = s.running.as_ref().unwrap().addr;
    // Half a request header, then nothing: cut off after the header timeout.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), half.read(&mut buf))
        .await
        .expect("closed before 10 s")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // A keep-alive connection left idle after one request: closed after the idle timeout.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let t = Instant::now();
    let n = tokio::time::timeout(Duration::from_secs(15), idle.read(&mut buf))
        .await
        .expect("closed before 15 s")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());

    // Many idle sockets do not keep a new client out.
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let t = Instant::now();
    alive(&s).await;
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_full_server_sheds_idle_connections_for_new_clients() {
    let s = TestServer::start_with(|c| {
        c.max_connections = 20;
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let addr = s.running.as_ref().unwrap().addr;
    // Every slot taken by sockets that send nothing.
    let mut held = Vec::new();
    for _ in 0..25 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // A new client still gets in: under pressure idle sockets go after a second, not
    // after the normal 60 s.
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        reqwest::Client::new().get(s.url("/health")).send(),
    )
    .await
    .expect("a new client answered within 10 s")
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    // A request in flight is not idle: a slow sign-in (argon2) on a full server finishes.
    let alice = s.register("alice").await;
    s.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .expect(200);
    drop(held);
}

#[tokio::test]
async fn an_app_stored_with_a_bad_redirect_uri_gets_a_400_not_a_panic() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = s
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "old", "redirect_uris": "https://app.example/cb"}),
        )
        .await
        .ok();
    // An app registered before redirect URIs were validated.
    let bad = "https://app.example/\u{1}cb";
    let url = format!(
        "sqlite://{}",
        s.dir.path().join("data/roost.sqlite").display()
    );
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE apps SET redirect_uris = $1 WHERE client_id = $2")
        .bind(bad)
        .bind(app["client_id"].as_str().unwrap())
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let form = [
        ("client_id", app["client_id"].as_str().unwrap()),
        ("redirect_uri", bad),
        ("response_type", "code"),
        ("scope", "read"),
        ("username", "alice@example.org"),
        ("password", "correct horse battery"),
    ];
    let r = s.post_form("/oauth/authorize", None, &form).await;
    let e = r.error(400);
    assert!(e.contains("redirect URI"), "{e}");
    alive(&s).await;
}

/// The probe's finding: with `RUST_LOG=debug`, a password grant with its credentials in
/// the query string was accepted and the whole URI logged, password and client secret
/// included. Now such a request is refused, and at debug level no secret of any request
/// reaches the log (request spans name the path, never the query).
#[tokio::test]
async fn credentials_in_urls_are_refused_and_no_secret_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("roost.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = crate::restart::roost_cmd()
        .env("RUST_LOG", "debug")
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("roost starts");
    let base = crate::restart::listening(&mut child).await;
    let s = TestServer::at(&base);
    let user = s.register("alice").await;
    let (id, secret) = s.app().await;
    let password = "correct horse battery";

    // Credentials in the URL: refused, in OAuth's convention, and no token issued.
    let url = format!(
        "/oauth/token?grant_type=password&username=alice&password={}&client_id={id}&client_secret={secret}&scope=read",
        password.replace(' ', "+")
    );
    let r = s.post(&url, None, json!({})).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"], "invalid_request");
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("request body"),
        "{:?}",
        r.body
    );
    // The same grant in the body works.
    let ok = s
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", password),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "read"),
            ],
        )
        .await
        .ok();
    let token = ok["access_token"].as_str().unwrap().to_string();
    // A token in a query string (as streaming clients send it) is not logged either.
    s.get(
        &format!("/api/v1/accounts/verify_credentials?access_token={token}"),
        None,
    )
    .await;
    s.get("/api/v1/accounts/verify_credentials", Some(&token))
        .await
        .expect(200);

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("/oauth/token"),
        "requests are logged at debug level:\n{logged}"
    );
    for (what, secret) in [
        ("password", "correct+horse"),
        ("password", password),
        ("client secret", secret.as_str()),
        ("access token", token.as_str()),
        ("access token", user.token.as_str()),
    ] {
        assert!(!logged.contains(secret), "the {what} is in the log");
    }
}
