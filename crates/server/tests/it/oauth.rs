//! OAuth: app registration, the authorization-code flow (with PKCE), the other grants,
//! client authentication, revocation and scope enforcement on the API.

use crate::support::*;
use base64::Engine;
use reqwest::Url;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const CALLBACK: &str = "https://client.example/cb";

/// Registers an app; returns its JSON.
async fn make_app(s: &TestServer, name: &str, redirect: &str, scopes: &str) -> Value {
    s.post(
        "/api/v1/apps",
        None,
        json!({"client_name": name, "redirect_uris": redirect, "scopes": scopes}),
    )
    .await
    .expect(200)
}

fn creds(app: &Value) -> (String, String) {
    (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    )
}

/// `POST /oauth/token` as a form, optionally authenticating the client with HTTP Basic.
async fn token_req(s: &TestServer, basic: Option<(&str, &str)>, pairs: &[(&str, &str)]) -> Resp {
    let mut rb = s.http.post(s.url("/oauth/token")).form(pairs);
    if let Some((id, secret)) = basic {
        rb = rb.basic_auth(id, Some(secret));
    }
    into_resp(rb.send().await.unwrap()).await
}

async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        headers,
        body,
    }
}

async fn password_token(
    s: &TestServer,
    id: &str,
    secret: &str,
    username: &str,
    scope: &str,
) -> Resp {
    token_req(
        s,
        None,
        &[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
            ("username", username),
            ("password", PASSWORD),
            ("scope", scope),
        ],
    )
    .await
}

fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn html(r: &Resp) -> &str {
    r.body
        .as_str()
        .unwrap_or_else(|| panic!("expected an HTML page, got {}", r.body))
}

fn content_type(r: &Resp) -> String {
    r.headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Signs in on the authorize form and returns the response (a redirect or a page).
async fn approve(
    s: &TestServer,
    client_id: &str,
    redirect: &str,
    extra: &[(&str, &str)],
    login: &str,
    password: &str,
) -> Resp {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("username", login),
        ("password", password),
        ("decision", "approve"),
    ];
    pairs.extend_from_slice(extra);
    s.post_form("/oauth/authorize", None, &pairs).await
}

/// The query parameters of a redirect's `Location`.
fn location_params(r: &Resp) -> (Url, Vec<(String, String)>) {
    let loc = r
        .headers
        .get("location")
        .unwrap_or_else(|| panic!("no location header ({})", r.status))
        .to_str()
        .unwrap();
    let url = Url::parse(loc).unwrap();
    let pairs = url.query_pairs().into_owned().collect();
    (url, pairs)
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn me(s: &TestServer, token: &str) -> Resp {
    s.get("/api/v1/accounts/verify_credentials", Some(token))
        .await
}

#[tokio::test]
async fn register_app_with_json_and_form() {
    let s = TestServer::start().await;
    let app = s
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "Tusky test", "redirect_uris": CALLBACK, "scopes": "read write", "website": "https://tusky.example"}),
        )
        .await
        .expect(200);
    assert_eq!(app["name"], "Tusky test");
    assert_eq!(app["website"], "https://tusky.example");
    assert_eq!(app["redirect_uri"], CALLBACK);
    assert_eq!(app["redirect_uris"], json!([CALLBACK]));
    assert_eq!(app["scopes"], json!(["read", "write"]));
    assert!(
        app["client_id"].as_str().is_some_and(|v| v.len() >= 20),
        "{app}"
    );
    assert!(
        app["client_secret"].as_str().is_some_and(|v| v.len() >= 20),
        "{app}"
    );
    assert_ne!(app["client_id"], app["client_secret"]);
    assert!(app["id"].is_string());

    // A JSON list of redirect URIs.
    let app = s
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "list", "redirect_uris": [CALLBACK, OOB], "scopes": "read"}),
        )
        .await
        .expect(200);
    assert_eq!(app["redirect_uris"], json!([CALLBACK, OOB]));
    assert_eq!(app["redirect_uri"], format!("{CALLBACK}\n{OOB}"));

    // Form-encoded, `redirect_uris[]` pairs; no scopes means `read`.
    let app = s
        .post_form(
            "/api/v1/apps",
            None,
            &[
                ("client_name", "formy"),
                ("redirect_uris[]", CALLBACK),
                ("redirect_uris[]", "myapp://oauth"),
            ],
        )
        .await
        .expect(200);
    assert_eq!(app["name"], "formy");
    assert_eq!(app["redirect_uris"], json!([CALLBACK, "myapp://oauth"]));
    assert_eq!(app["scopes"], json!(["read"]));

    // Form-encoded, several URIs in one newline-separated string.
    let app = s
        .post_form(
            "/api/v1/apps",
            None,
            &[
                ("client_name", "multi"),
                ("redirect_uris", &format!("{CALLBACK}\n{OOB}")),
                ("scopes", "read write follow"),
            ],
        )
        .await
        .expect(200);
    assert_eq!(app["redirect_uris"], json!([CALLBACK, OOB]));
    assert_eq!(app["scopes"], json!(["read", "write", "follow"]));
}

#[tokio::test]
async fn register_app_rejects_bad_input() {
    let s = TestServer::start().await;
    for bad in ["not a uri", "/relative/path", "", "://nope"] {
        let err = s
            .post(
                "/api/v1/apps",
                None,
                json!({"client_name": "x", "redirect_uris": bad}),
            )
            .await
            .error(422);
        assert!(!err.is_empty());
    }
    s.post(
        "/api/v1/apps",
        None,
        json!({"client_name": "x", "redirect_uris": [CALLBACK, "bad uri"]}),
    )
    .await
    .error(422);
    s.post("/api/v1/apps", None, json!({"redirect_uris": CALLBACK}))
        .await
        .error(422);
    s.post(
        "/api/v1/apps",
        None,
        json!({"client_name": "   ", "redirect_uris": CALLBACK}),
    )
    .await
    .error(422);
    s.post_form("/api/v1/apps", None, &[("redirect_uris", CALLBACK)])
        .await
        .error(422);
    s.post("/api/v1/apps", None, json!({"client_name": "x"}))
        .await
        .error(422);
    s.post(
        "/api/v1/apps",
        None,
        json!({"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read delete:everything"}),
    )
    .await
    .error(422);
}

#[tokio::test]
async fn app_verify_credentials() {
    let s = TestServer::start().await;
    let app = make_app(&s, "Verifier", OOB, "read write").await;
    let (id, secret) = creds(&app);
    let tok = token_req(
        &s,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await
    .expect(200);
    let token = tok["access_token"].as_str().unwrap();
    assert!(
        tok.get("refresh_token").is_none(),
        "app tokens get no refresh token: {tok}"
    );
    let got = s
        .get("/api/v1/apps/verify_credentials", Some(token))
        .await
        .expect(200);
    assert_eq!(got["name"], "Verifier");
    assert_eq!(got["scopes"], json!(["read", "write"]));
    assert!(
        got.get("client_secret").is_none(),
        "secret must not be echoed: {got}"
    );

    // A user token works too and names its app.
    s.register("alice").await;
    let user_tok = password_token(&s, &id, &secret, "alice", "read")
        .await
        .expect(200);
    let got = s
        .get(
            "/api/v1/apps/verify_credentials",
            user_tok["access_token"].as_str(),
        )
        .await
        .expect(200);
    assert_eq!(got["name"], "Verifier");

    s.get("/api/v1/apps/verify_credentials", None)
        .await
        .error(401);
    s.get("/api/v1/apps/verify_credentials", Some("garbage"))
        .await
        .error(401);
}

#[tokio::test]
async fn authorization_server_metadata() {
    let s = TestServer::start().await;
    let m = s
        .get("/.well-known/oauth-authorization-server", None)
        .await
        .expect(200);
    let grants: Vec<&str> = m["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for g in [
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
    ] {
        assert!(grants.contains(&g), "{g} missing from {grants:?}");
    }
    assert_eq!(m["token_endpoint"], format!("{}/oauth/token", s.base));
    assert_eq!(
        m["authorization_endpoint"],
        format!("{}/oauth/authorize", s.base)
    );
    assert_eq!(m["revocation_endpoint"], format!("{}/oauth/revoke", s.base));
    assert_eq!(
        m["app_registration_endpoint"],
        format!("{}/api/v1/apps", s.base)
    );
    assert!(m["code_challenge_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("S256")));
    assert!(m["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("profile")));
    assert!(m["response_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("code")));
}

#[tokio::test]
async fn authorize_page_renders_form() {
    let s = TestServer::start().await;
    let app = make_app(&s, "Toot <CLI>", CALLBACK, "read write").await;
    let (id, _) = creds(&app);
    let q = format!(
        "response_type=code&client_id={}&redirect_uri={}&scope=read&state=st4te",
        url_encode(&id),
        url_encode(CALLBACK)
    );
    for path in [
        format!("/oauth/authorize?{q}"),
        format!("/oauth/authorize/?{q}"),
    ] {
        let r = s.get(&path, None).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.body);
        assert!(
            content_type(&r).starts_with("text/html"),
            "{}",
            content_type(&r)
        );
        let page = html(&r);
        // The app name is shown, HTML-escaped.
        assert!(
            page.contains("Toot &lt;CLI&gt;") || page.contains("Toot &#60;CLI&#62;"),
            "{page}"
        );
        assert!(!page.contains("Toot <CLI>"), "app name not escaped");
        assert!(page.contains("<form"), "{page}");
        assert!(page.contains("name=\"password\""));
        assert!(
            page.contains("value=\"st4te\""),
            "state is carried in the form"
        );
        assert!(page.contains(&id), "client_id is carried in the form");
        // Only the requested scope is listed.
        assert!(page.contains("<li>read</li>"), "{page}");
        assert!(!page.contains("<li>write</li>"), "{page}");
        assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    }

    // Unknown client, wrong redirect URI, scope beyond the app's: an error page, no form.
    let bad = [
        format!(
            "/oauth/authorize?response_type=code&client_id=nope&redirect_uri={}",
            url_encode(CALLBACK)
        ),
        format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}",
            url_encode(&id),
            url_encode("https://evil.example/cb")
        ),
        format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=follow",
            url_encode(&id),
            url_encode(CALLBACK)
        ),
        format!(
            "/oauth/authorize?response_type=token&client_id={}&redirect_uri={}",
            url_encode(&id),
            url_encode(CALLBACK)
        ),
    ];
    for path in bad {
        let r = s.get(&path, None).await;
        assert_eq!(r.status.as_u16(), 400, "{path}");
        assert!(!html(&r).contains("<form"), "{path} must not offer a form");
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn authorize_with_password_then_exchange_code_with_pkce() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let app = make_app(&s, "PKCE app", CALLBACK, "read write follow").await;
    let (id, secret) = creds(&app);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-roost-test";
    let challenge = pkce_challenge(verifier);
    let pkce = [
        ("scope", "read write"),
        ("state", "xyz 1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    // Wrong password: the form again, with an error, and no redirect.
    let r = approve(&s, &id, CALLBACK, &pkce, "alice", "wrong password").await;
    assert_eq!(r.status.as_u16(), 401, "{}", r.body);
    assert!(r.headers.get("location").is_none());
    let page = html(&r);
    assert!(page.contains("Invalid username or password"), "{page}");
    assert!(page.contains("<form"), "{page}");
    assert!(page.contains("PKCE app"));
    assert!(
        page.contains(&challenge),
        "the challenge survives the re-render"
    );
    // Unknown user: same answer.
    let r = approve(&s, &id, CALLBACK, &pkce, "nobody", PASSWORD).await;
    assert_eq!(r.status.as_u16(), 401);

    // Right password: 303 to the redirect URI with code and state.
    let r = approve(&s, &id, CALLBACK, &pkce, "alice", PASSWORD).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let (url, q) = location_params(&r);
    assert_eq!(
        format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap(),
            url.path()
        ),
        CALLBACK
    );
    assert_eq!(param(&q, "state"), Some("xyz 1"));
    let code = param(&q, "code").expect("code").to_string();

    // Missing verifier, wrong verifier: invalid_grant.
    let exchange = |code: String, verifier: Option<&'static str>| {
        let (id, secret) = (id.clone(), secret.clone());
        let s = &s;
        async move {
            let mut pairs = vec![
                ("grant_type", "authorization_code".to_string()),
                ("client_id", id),
                ("client_secret", secret),
                ("redirect_uri", CALLBACK.to_string()),
                ("code", code),
            ];
            if let Some(v) = verifier {
                pairs.push(("code_verifier", v.to_string()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_req(s, None, &pairs).await
        }
    };
    let r = exchange(
        code.clone(),
        Some("a-wrong-verifier-that-is-long-enough-to-be-plausible"),
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");

    // A fresh code for each further attempt: a failed attempt may burn a code.
    let fresh = || async {
        let r = approve(&s, &id, CALLBACK, &pkce, "alice", PASSWORD).await;
        assert_eq!(r.status.as_u16(), 303, "{}", r.body);
        let (_, q) = location_params(&r);
        param(&q, "code").unwrap().to_string()
    };
    let code = fresh().await;
    assert_eq!(exchange(code, None).await.error(400), "invalid_grant");

    let code = fresh().await;
    let tok = exchange(code.clone(), Some(verifier)).await.expect(200);
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["scope"], "read write");
    assert!(tok["refresh_token"].is_string());
    assert!(tok["created_at"].is_i64());
    let token = tok["access_token"].as_str().unwrap();
    let who = me(&s, token).await.expect(200);
    assert_eq!(who["id"], alice.id.as_str());
    assert_eq!(who["username"], "alice");

    // Reusing the code fails.
    assert_eq!(
        exchange(code, Some(verifier)).await.error(400),
        "invalid_grant"
    );

    // A code bound to one redirect URI cannot be redeemed with another, nor by another client.
    let code = fresh().await;
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", OOB),
            ("code", &code),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");
    let other = make_app(&s, "other", CALLBACK, "read write follow").await;
    let (oid, osecret) = creds(&other);
    let code = fresh().await;
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &oid),
            ("client_secret", &osecret),
            ("redirect_uri", CALLBACK),
            ("code", &code),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");
}

#[tokio::test]
async fn authorize_without_pkce_and_login_by_email() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Plain app", CALLBACK, "read").await;
    let (id, secret) = creds(&app);
    let r = approve(&s, &id, CALLBACK, &[], "alice@example.org", PASSWORD).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let (_, q) = location_params(&r);
    assert_eq!(param(&q, "state"), None, "no state asked, none given");
    let code = param(&q, "code").unwrap();
    let tok = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("redirect_uri", CALLBACK),
            ("code", code),
        ],
    )
    .await
    .expect(200);
    assert_eq!(tok["scope"], "read");
    me(&s, tok["access_token"].as_str().unwrap())
        .await
        .expect(200);
}

#[tokio::test]
async fn authorize_deny_redirects_with_error() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Denied", CALLBACK, "read").await;
    let (id, _) = creds(&app);
    let r = s
        .post_form(
            "/oauth/authorize",
            None,
            &[
                ("client_id", &id),
                ("redirect_uri", CALLBACK),
                ("state", "s1"),
                ("decision", "deny"),
                ("response_type", "code"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let (_, q) = location_params(&r);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "state"), Some("s1"));
    assert_eq!(param(&q, "code"), None);
}

#[tokio::test]
async fn authorize_out_of_band_shows_code() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Console client", OOB, "read write").await;
    let (id, secret) = creds(&app);
    let r = approve(&s, &id, OOB, &[("scope", "read")], "alice", PASSWORD).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.headers.get("location").is_none());
    let page = html(&r);
    let start = page.find("<code id=\"code\">").expect("code element") + "<code id=\"code\">".len();
    let end = start + page[start..].find("</code>").unwrap();
    let code = page[start..end].trim();
    assert!(code.len() >= 20, "{code}");
    let tok = token_req(
        &s,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", OOB),
            ("code", code),
        ],
    )
    .await
    .expect(200);
    assert_eq!(tok["scope"], "read");
    assert_eq!(
        me(&s, tok["access_token"].as_str().unwrap())
            .await
            .expect(200)["username"],
        "alice"
    );
}

#[tokio::test]
async fn password_grant_and_client_authentication() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let app = make_app(&s, "Pw", OOB, "read write").await;
    let (id, secret) = creds(&app);

    // Client authenticated in the body.
    let tok = password_token(&s, &id, &secret, "alice", "read")
        .await
        .expect(200);
    assert_eq!(tok["scope"], "read");
    assert_eq!(tok["token_type"], "Bearer");
    assert!(tok["refresh_token"].is_string());
    assert_eq!(
        me(&s, tok["access_token"].as_str().unwrap())
            .await
            .expect(200)["id"],
        alice.id.as_str()
    );

    // By HTTP Basic; no scope means the app's scopes.
    let tok = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await
    .expect(200);
    assert_eq!(tok["scope"], "read write");

    // JSON body works as well.
    let tok = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": id, "client_secret": secret, "username": "alice@example.org", "password": PASSWORD}),
        )
        .await
        .expect(200);
    assert!(tok["access_token"].is_string());

    // Wrong user password.
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", "alice"),
            ("password", "nope nope nope"),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");

    // Wrong client secret (body and Basic), unknown client, no client at all: 401 invalid_client.
    let r = password_token(&s, &id, "wrong-secret", "alice", "read").await;
    assert_eq!(r.error(401), "invalid_client");
    let r = token_req(
        &s,
        Some((&id, "wrong-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(r.error(401), "invalid_client");
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "unknown"),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(r.error(401), "invalid_client");
    let r = token_req(&s, None, &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.error(401), "invalid_client");

    // Scope beyond the app's.
    let r = password_token(&s, &id, &secret, "alice", "read write follow").await;
    assert_eq!(r.error(400), "invalid_scope");

    // Unsupported and missing grant types.
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "implicit"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(r.error(400), "unsupported_grant_type");
    let r = token_req(&s, None, &[("client_id", &id), ("client_secret", &secret)]).await;
    r.error(400);
}

#[tokio::test]
async fn client_credentials_grant() {
    let s = TestServer::start().await;
    let app = make_app(&s, "Cc", OOB, "read write").await;
    let (id, secret) = creds(&app);
    let tok = token_req(
        &s,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "read")],
    )
    .await
    .expect(200);
    assert_eq!(tok["scope"], "read");
    assert!(tok.get("refresh_token").is_none(), "{tok}");
    let token = tok["access_token"].as_str().unwrap();
    assert_eq!(
        s.get("/api/v1/apps/verify_credentials", Some(token))
            .await
            .expect(200)["name"],
        "Cc"
    );
    // App-only tokens cannot act as a user.
    let err = s
        .get("/api/v1/timelines/home", Some(token))
        .await
        .error(422);
    assert_eq!(err, "This method requires an authenticated user");
    let err = me(&s, token).await.error(422);
    assert_eq!(err, "This method requires an authenticated user");
    // But they can read public data.
    s.get("/api/v1/timelines/public", Some(token))
        .await
        .expect(200);
}

#[tokio::test]
async fn refresh_token_rotates() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Refresher", OOB, "read write").await;
    let (id, secret) = creds(&app);
    let first = password_token(&s, &id, &secret, "alice", "read")
        .await
        .expect(200);
    let refresh1 = first["refresh_token"].as_str().unwrap().to_string();
    let access1 = first["access_token"].as_str().unwrap().to_string();

    let second = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await
    .expect(200);
    let access2 = second["access_token"].as_str().unwrap().to_string();
    let refresh2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(access2, access1);
    assert_ne!(refresh2, refresh1);
    assert_eq!(second["scope"], "read", "refresh keeps the granted scope");
    me(&s, &access2).await.expect(200);

    // The old refresh token stops working; so does the old access token.
    let r = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh1),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");
    me(&s, &access1).await.error(401);

    // Another client cannot use this refresh token, and the attempt does not burn it.
    let other = make_app(&s, "Thief", OOB, "read write").await;
    let (oid, osecret) = creds(&other);
    let r = token_req(
        &s,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &oid),
            ("client_secret", &osecret),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");
    me(&s, &access2).await.expect(200);

    // Missing refresh token, garbage refresh token.
    token_req(&s, Some((&id, &secret)), &[("grant_type", "refresh_token")])
        .await
        .error(400);
    let r = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "garbage"),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");

    // The body form of client auth works for refresh too.
    let third = token_req(
        &s,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("refresh_token", &refresh2),
        ],
    )
    .await
    .expect(200);
    me(&s, third["access_token"].as_str().unwrap())
        .await
        .expect(200);
    me(&s, &access2).await.error(401);
}

#[tokio::test]
async fn revoke_token() {
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Revoker", OOB, "read write").await;
    let (id, secret) = creds(&app);
    let tok = password_token(&s, &id, &secret, "alice", "read")
        .await
        .expect(200);
    let access = tok["access_token"].as_str().unwrap();
    me(&s, access).await.expect(200);

    // Another client may not revoke it, and the token stays valid.
    let other = make_app(&s, "Other", OOB, "read").await;
    let (oid, osecret) = creds(&other);
    let r = s
        .post_form(
            "/oauth/revoke",
            None,
            &[
                ("client_id", &oid),
                ("client_secret", &osecret),
                ("token", access),
            ],
        )
        .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    me(&s, access).await.expect(200);
    // Wrong secret.
    let r = s
        .post_form(
            "/oauth/revoke",
            None,
            &[
                ("client_id", &id),
                ("client_secret", "nope"),
                ("token", access),
            ],
        )
        .await;
    assert_eq!(r.error(401), "invalid_client");
    me(&s, access).await.expect(200);

    let r = s
        .post_form(
            "/oauth/revoke",
            None,
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("token", access),
            ],
        )
        .await
        .expect(200);
    assert_eq!(r, json!({}));
    let err = me(&s, access).await.error(401);
    assert!(!err.is_empty());
    // The refresh token of a revoked pair is dead too.
    let r = token_req(
        &s,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tok["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(r.error(400), "invalid_grant");
    // Revoking an unknown token succeeds quietly (RFC 7009).
    s.post_form(
        "/oauth/revoke",
        None,
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("token", "never-issued"),
        ],
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn revoke_by_another_client_is_forbidden() {
    // Doorkeeper (Mastodon) answers 403 unauthorized_client.
    let s = TestServer::start().await;
    s.register("alice").await;
    let app = make_app(&s, "Owner", OOB, "read").await;
    let (id, secret) = creds(&app);
    let tok = password_token(&s, &id, &secret, "alice", "read")
        .await
        .expect(200);
    let other = make_app(&s, "Other", OOB, "read").await;
    let (oid, osecret) = creds(&other);
    let r = s
        .post_form(
            "/oauth/revoke",
            None,
            &[
                ("client_id", &oid),
                ("client_secret", &osecret),
                ("token", tok["access_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.error(403), "unauthorized_client");
}

#[tokio::test]
async fn scopes_are_enforced() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    let post = s.post_status(&bob, json!({"status": "hi from bob"})).await;
    let post_id = post["id"].as_str().unwrap();
    let app = make_app(&s, "Scoped", OOB, "read write follow profile").await;
    let (id, secret) = creds(&app);
    let token = |scope: &'static str| {
        let (id, secret) = (id.clone(), secret.clone());
        let s = &s;
        async move {
            password_token(s, &id, &secret, "alice", scope)
                .await
                .expect(200)["access_token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };

    // `read`: reads everything, writes nothing.
    let read = token("read").await;
    let err = s
        .post(
            "/api/v1/statuses",
            Some(&read),
            json!({"status": "should not post"}),
        )
        .await
        .error(403);
    assert!(err.contains("scope"), "{err}");
    s.get("/api/v1/timelines/home", Some(&read))
        .await
        .expect(200);
    s.get("/api/v1/notifications", Some(&read))
        .await
        .expect(200);
    me(&s, &read).await.expect(200);
    s.post(
        &format!("/api/v1/statuses/{post_id}/favourite"),
        Some(&read),
        json!({}),
    )
    .await
    .error(403);
    s.post(
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&read),
        json!({}),
    )
    .await
    .error(403);
    // Nothing was written.
    let st = s
        .get(&format!("/api/v1/statuses/{post_id}"), None)
        .await
        .expect(200);
    assert_eq!(st["favourites_count"], 0);
    let acct = s
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await
        .expect(200);
    assert_eq!(acct["statuses_count"], 0);
    assert_eq!(acct["following_count"], 0);

    // `read:statuses`: timelines yes; notifications and the own account no.
    let rs = token("read:statuses").await;
    s.get("/api/v1/timelines/home", Some(&rs)).await.expect(200);
    s.get("/api/v1/timelines/public", Some(&rs))
        .await
        .expect(200);
    s.get(&format!("/api/v1/statuses/{post_id}"), Some(&rs))
        .await
        .expect(200);
    s.get("/api/v1/notifications", Some(&rs)).await.error(403);
    me(&s, &rs).await.error(403);

    // `profile`: verify_credentials only.
    let profile = token("profile").await;
    assert_eq!(me(&s, &profile).await.expect(200)["username"], "alice");
    s.get("/api/v1/timelines/home", Some(&profile))
        .await
        .error(403);
    s.get("/api/v1/notifications", Some(&profile))
        .await
        .error(403);
    s.post(
        "/api/v1/statuses",
        Some(&profile),
        json!({"status": "nope"}),
    )
    .await
    .error(403);

    // Granular write scopes: `write:statuses` posts but does not favourite.
    let ws = token("write:statuses").await;
    s.post(
        "/api/v1/statuses",
        Some(&ws),
        json!({"status": "granular post"}),
    )
    .await
    .expect(200);
    s.post(
        &format!("/api/v1/statuses/{post_id}/favourite"),
        Some(&ws),
        json!({}),
    )
    .await
    .error(403);

    // `follow` covers following.
    let follow = token("follow").await;
    let rel = s
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&follow),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(rel["following"], true);
}

#[tokio::test]
async fn missing_and_bad_tokens() {
    let s = TestServer::start().await;
    let r = s.get("/api/v1/timelines/home", None).await;
    assert_eq!(r.status.as_u16(), 401);
    assert!(r.headers.get("www-authenticate").is_some());
    assert!(r.body["error"].is_string(), "{}", r.body);
    s.get("/api/v1/timelines/home", Some("garbage"))
        .await
        .error(401);
    s.get("/api/v1/accounts/verify_credentials", None)
        .await
        .error(401);
    s.get("/api/v1/notifications", Some("garbage"))
        .await
        .error(401);
    s.post("/api/v1/statuses", None, json!({"status": "anonymous"}))
        .await
        .error(401);
    // A bad token is rejected even where no token is needed.
    s.get("/api/v1/timelines/public", Some("garbage"))
        .await
        .error(401);
    // A non-Bearer scheme is not a token.
    let r = s
        .http
        .get(s.url("/api/v1/timelines/home"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn login_is_case_insensitive() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let app = make_app(&s, "Case", OOB, "read").await;
    let (id, secret) = creds(&app);
    for login in ["Alice", "ALICE@EXAMPLE.ORG", " alice "] {
        let r = password_token(&s, &id, &secret, login, "read").await;
        assert_eq!(r.status.as_u16(), 200, "{login}: {}", r.body);
        assert_eq!(
            me(&s, r.body["access_token"].as_str().unwrap())
                .await
                .expect(200)["id"],
            alice.id.as_str()
        );
    }
}
