//! Test support: a real roost on port 0 with a fresh data dir, and a small HTTP client.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use roost_server::config::Config;
use roost_server::Running;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::backend;

pub struct TestServer {
    pub running: Option<Running>,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.body
        );
        self.body
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body
    }
    /// Asserts a Mastodon-style error: the status and an `error` string.
    #[track_caller]
    pub fn error(self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field in {}", self.body))
            .to_string()
    }
    pub fn link(&self) -> String {
        self.headers
            .get("link")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

/// A registered user.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub username: String,
    pub token: String,
}

pub enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut cfg = Config::for_data_dir(&dir.path().join("data"));
        cfg.database = backend::database_for(&dir.path().join("database-url")).await;
        cfg.view_flush_secs = 1;
        test_limits(&mut cfg);
        tweak(&mut cfg);
        let running = roost_server::start(cfg).await.expect("server starts");
        TestServer {
            base: running.base_url.clone(),
            running: Some(running),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            dir,
        }
    }

    /// Stops the server and hands back its data dir (for restart tests).
    pub async fn stop(mut self) -> TempDir {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn req(&self, method: Method, path: &str, token: Option<&str>, body: Body) -> Resp {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb = match body {
            Body::None => rb,
            Body::Json(v) => rb.json(&v),
            Body::Form(pairs) => rb.form(&pairs),
        };
        let resp = rb.send().await.expect("request sent");
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

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.req(Method::GET, path, token, Body::None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, json: Value) -> Resp {
        self.req(Method::POST, path, token, Body::Json(json)).await
    }
    pub async fn post_form(&self, path: &str, token: Option<&str>, pairs: &[(&str, &str)]) -> Resp {
        let pairs = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.req(Method::POST, path, token, Body::Form(pairs)).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.req(Method::DELETE, path, token, Body::None).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, json: Value) -> Resp {
        self.req(Method::PUT, path, token, Body::Json(json)).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, json: Value) -> Resp {
        self.req(Method::PATCH, path, token, Body::Json(json)).await
    }

    /// Registers an app with full scopes; returns (client_id, client_secret).
    pub async fn app(&self) -> (String, String) {
        let app = self
            .post(
                "/api/v1/apps",
                None,
                json!({"client_name": "tests", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow push"}),
            )
            .await
            .ok();
        (
            app["client_id"].as_str().unwrap().into(),
            app["client_secret"].as_str().unwrap().into(),
        )
    }

    /// Signs up a user through the API, as Mastodon.py's `create_account` does.
    /// An app-only (`client_credentials`) token of a new app, as sign-up needs.
    pub async fn app_token(&self, scope: &str) -> String {
        let (id, secret) = self.app().await;
        self.post("/oauth/token", None, json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": scope}))
            .await
            .ok()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn register(&self, username: &str) -> User {
        let app_token = self.app_token("read write follow push").await;
        let tok = self
            .post(
                "/api/v1/accounts",
                Some(&app_token),
                json!({"username": username, "email": format!("{username}@example.org"), "password": "correct horse battery", "agreement": true, "locale": "en"}),
            )
            .await
            .ok();
        let token = tok["access_token"].as_str().unwrap().to_string();
        let me = self
            .get("/api/v1/accounts/verify_credentials", Some(&token))
            .await
            .ok();
        User {
            id: me["id"].as_str().unwrap().into(),
            username: username.into(),
            token,
        }
    }

    pub async fn post_status(&self, user: &User, body: Value) -> Value {
        self.post("/api/v1/statuses", Some(&user.token), body)
            .await
            .ok()
    }

    pub async fn post_status_raw(&self, user: &User, body: Value) -> Resp {
        self.post("/api/v1/statuses", Some(&user.token), body).await
    }

    pub async fn follow(&self, follower: &User, target: &User) -> Value {
        self.post(
            &format!("/api/v1/accounts/{}/follow", target.id),
            Some(&follower.token),
            json!({}),
        )
        .await
        .ok()
    }
}

/// IDs of a list of statuses (or anything with `id`).
pub fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

// ---- Helpers for statuses/timelines/visibility/errors/restart tests ----

impl TestServer {
    /// Sends a prepared request (any method, headers, body) and collects the answer.
    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let resp = rb.send().await.expect("request sent");
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

    /// A request with a raw body and content type (for malformed or unusual bodies).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut rb = self
            .http
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        self.send(rb).await
    }

    /// POST with a JSON body and extra headers (e.g. `Idempotency-Key`).
    pub async fn post_with_headers(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        json: Value,
    ) -> Resp {
        let mut rb = self.http.post(self.url(path)).json(&json);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb).await
    }

    /// POST a multipart/form-data body of text fields.
    pub async fn post_multipart(
        &self,
        path: &str,
        token: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Resp {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let mut rb = self.http.post(self.url(path)).multipart(form);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        self.send(rb).await
    }

    /// A password-grant token for `user` limited to `scope` (users made by [`register`]).
    pub async fn scoped_token(&self, user: &User, scope: &str) -> String {
        let (id, secret) = self.app().await;
        self.post(
            "/oauth/token",
            None,
            json!({"grant_type": "password", "client_id": id, "client_secret": secret, "scope": scope,
                   "username": user.username, "password": "correct horse battery"}),
        )
        .await
        .ok()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Status IDs of the user's home timeline (first page, up to 40).
    pub async fn home_ids(&self, user: &User) -> Vec<String> {
        ids(&self
            .get("/api/v1/timelines/home?limit=40", Some(&user.token))
            .await
            .ok())
    }

    /// Status IDs of the public timeline (first page, up to 40), as `user` or anonymous.
    pub async fn public_ids(&self, user: Option<&User>) -> Vec<String> {
        ids(&self
            .get(
                "/api/v1/timelines/public?limit=40",
                user.map(|u| u.token.as_str()),
            )
            .await
            .ok())
    }

    /// Status IDs of an account's statuses as seen by `viewer` (first page, up to 40).
    pub async fn account_status_ids(&self, account: &User, viewer: Option<&User>) -> Vec<String> {
        let path = format!("/api/v1/accounts/{}/statuses?limit=40", account.id);
        ids(&self.get(&path, viewer.map(|u| u.token.as_str())).await.ok())
    }
}

/// The `id` of a status (or any entity) as a string.
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// URL of the `Link` header relation `rel` ("next"/"prev"), if present.
pub fn link_rel(link: &str, rel: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let part = part.trim();
        let (url, params) = part.split_once(';')?;
        if params.contains(&format!("rel=\"{rel}\"")) {
            Some(
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            )
        } else {
            None
        }
    })
}

/// Three (or more) regions of one cluster, in process, each on its own port and data dir.
/// Every test client comes from 127.0.0.1: per-address limits are raised so that tests
/// can sign up many users; the per-login limit stays as configured by default. Tests of
/// the limits themselves set their own.
pub fn test_limits(cfg: &mut Config) {
    cfg.limits.sign_in_per_ip = 10_000;
    cfg.limits.sign_up_per_ip = 10_000;
}

pub struct Regions {
    pub servers: std::collections::BTreeMap<String, TestServer>,
    pub cluster: std::sync::Arc<roost_residency::Cluster>,
    pub root: TempDir,
}

pub const REGION_CODES: [&str; 3] = ["in", "id", "cn"];

impl Regions {
    /// Starts `in`, `id` and `cn` with the policy `policy` builds for each region code.
    pub async fn start(policy: impl Fn(&str) -> roost_residency::Policy) -> Regions {
        Self::start_with(policy, |_| {}).await
    }

    pub async fn start_with(
        policy: impl Fn(&str) -> roost_residency::Policy,
        tweak: impl Fn(&mut Config),
    ) -> Regions {
        Self::start_inner(policy, tweak, None).await.0
    }

    /// Like `start`, with region `relayed` reached (by the other regions and the test)
    /// only through a [`crate::relay::Relay`]: the cluster file names the relay's address.
    pub async fn start_relayed(
        policy: impl Fn(&str) -> roost_residency::Policy,
        relayed: &str,
    ) -> (Regions, crate::relay::Relay) {
        let (r, relay) = Self::start_inner(policy, |_| {}, Some(relayed)).await;
        (r, relay.expect("a relay"))
    }

    async fn start_inner(
        policy: impl Fn(&str) -> roost_residency::Policy,
        tweak: impl Fn(&mut Config),
        relayed: Option<&str>,
    ) -> (Regions, Option<crate::relay::Relay>) {
        let root = tempfile::tempdir().unwrap();
        let mut listeners = Vec::new();
        let mut plans = Vec::new();
        let mut relay = None;
        for code in REGION_CODES {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut base_url = format!("http://{}", l.local_addr().unwrap());
            if relayed == Some(code) {
                let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let front_url = format!("http://{}", front.local_addr().unwrap());
                relay = Some(crate::relay::Relay::start(front, base_url));
                base_url = front_url;
            }
            plans.push(roost_server::cluster_cmd::RegionPlan {
                code: code.into(),
                name: code.to_uppercase(),
                jurisdiction: code.to_uppercase(),
                base_url,
                time_zone: "UTC".into(),
            });
            listeners.push(l);
        }
        let mut cluster = roost_server::cluster_cmd::init(
            root.path(),
            &plans,
            &roost_residency::Policy::default(),
        )
        .unwrap();
        for (code, spec) in cluster.regions.iter_mut() {
            spec.policy = policy(code);
            spec.policy.to.remove(code.as_str());
        }
        let cluster = std::sync::Arc::new(
            roost_residency::Cluster::from_toml(&cluster.to_toml()).expect("valid cluster"),
        );
        let mut servers = std::collections::BTreeMap::new();
        for (code, l) in REGION_CODES.iter().zip(listeners) {
            let mut cfg = Self::config(&cluster, code, root.path(), &tweak);
            cfg.database = Self::database(root.path(), code).await;
            let running = roost_server::start_on(cfg, l).await.expect("region starts");
            servers.insert(code.to_string(), TestServer::wrap(running));
        }
        (
            Regions {
                servers,
                cluster,
                root,
            },
            relay,
        )
    }

    fn config(
        cluster: &std::sync::Arc<roost_residency::Cluster>,
        code: &str,
        root: &std::path::Path,
        tweak: &impl Fn(&mut Config),
    ) -> Config {
        let mut cfg = Config::for_region(cluster.clone(), code, &root.join(code)).unwrap();
        cfg.view_flush_secs = 1;
        cfg.outbox_retry = std::time::Duration::from_millis(100);
        cfg.transit_cache = std::time::Duration::from_millis(0);
        cfg.purge_every = std::time::Duration::from_millis(500);
        test_limits(&mut cfg);
        tweak(&mut cfg);
        cfg
    }

    /// Asha, signed up in `in`, and Budi, in `id`: the two users most tests need.
    pub async fn asha_and_budi(&self) -> (User, User) {
        let asha = self.get("in").register("asha").await;
        let budi = self.get("id").register("budi").await;
        (asha, budi)
    }

    pub fn get(&self, code: &str) -> &TestServer {
        &self.servers[code]
    }

    pub fn data_dir(&self, code: &str) -> std::path::PathBuf {
        self.root.path().join(code)
    }

    /// `name@domain` of a region's account.
    pub fn handle(&self, code: &str, username: &str) -> String {
        format!("{username}@{}", self.cluster.region(code).unwrap().domain())
    }

    /// The region's database: its SQLite file, or under `ROOST_TEST_BACKEND=postgres` a
    /// PostgreSQL database of its own (the same one again on restart).
    async fn database(root: &std::path::Path, code: &str) -> roost_server::config::Database {
        backend::database_for(&root.join(format!("{code}.database-url"))).await
    }

    /// Every byte the region keeps on disk: its data dir and, on PostgreSQL, the files of
    /// its database (after a checkpoint, so nothing waits in shared memory).
    ///
    /// The database seals each account's text with a data key (`sealing.rs`), so the
    /// sealed values are also given opened with the region's KEK: what the disk gives away
    /// to whoever holds that key too. Text a region never stored is in neither form.
    pub async fn disk_bytes(&self, code: &str) -> Vec<u8> {
        let mut out = raw_bytes(&self.data_dir(code));
        if let Some(url) = self.databases().get(code) {
            out.extend(backend::database_files(url).await);
        }
        out.extend(unsealed(&self.data_dir(code), self.databases().get(code)).await);
        out
    }

    /// Region code -> PostgreSQL URL of the regions that run on PostgreSQL, for the audit.
    pub fn databases(&self) -> std::collections::BTreeMap<String, String> {
        REGION_CODES
            .iter()
            .filter_map(|c| {
                let f = self.root.path().join(format!("{c}.database-url"));
                std::fs::read_to_string(f).ok().map(|u| (c.to_string(), u))
            })
            .collect()
    }

    /// Stops one region (its port is free again until `restart`).
    pub async fn stop(&mut self, code: &str) {
        let s = self.servers.remove(code).unwrap();
        s.stop().await;
    }

    /// Starts a stopped region again on its own port with its data.
    pub async fn restart(&mut self, code: &str) {
        self.restart_with(code, |_| {}).await
    }

    /// Like `restart`, with the config tweaked as `start_with` tweaked it.
    pub async fn restart_with(&mut self, code: &str, tweak: impl Fn(&mut Config)) {
        let mut cfg = Self::config(&self.cluster, code, self.root.path(), &tweak);
        cfg.database = Self::database(self.root.path(), code).await;
        let running = roost_server::start(cfg).await.expect("region restarts");
        self.servers
            .insert(code.to_string(), TestServer::wrap(running));
    }

    pub async fn stop_all(mut self) -> TempDir {
        for code in REGION_CODES {
            if let Some(s) = self.servers.remove(code) {
                s.stop().await;
            }
        }
        self.root
    }
}

impl TestServer {
    /// A client of a server running elsewhere (a spawned binary): nothing to stop.
    pub fn at(base: &str) -> TestServer {
        TestServer {
            base: base.trim_end_matches('/').to_string(),
            running: None,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn wrap(running: Running) -> TestServer {
        TestServer {
            base: running.base_url.clone(),
            running: Some(running),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Looks up another region's account by handle: its ID as this region knows it.
    pub async fn lookup(&self, user: &User, handle: &str) -> Value {
        self.get(
            &format!("/api/v1/accounts/lookup?acct={handle}"),
            Some(&user.token),
        )
        .await
        .ok()
    }
}

/// Polls `check` until it returns Some, or panics after `secs` seconds with `what`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if std::time::Instant::now() > until {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A policy with the same action for every class (identity stays denied) to every
/// destination.
pub fn policy_all(action: &str) -> roost_residency::Policy {
    let mut p = roost_residency::Policy::default();
    for c in roost_residency::DataClass::ALL {
        if c != roost_residency::DataClass::Identity {
            p.default
                .insert(c, roost_residency::Action::parse(action).unwrap());
        }
    }
    p
}

/// `author` (of `from`) posts `text`; waits until it is in the home timeline of
/// `reader` (of `to`). The post's ID.
pub async fn post_across(
    r: &Regions,
    from: &str,
    author: &User,
    text: &str,
    to: &str,
    reader: &User,
) -> String {
    let id = id_of(
        &r.get(from)
            .post_status(author, json!({"status": text}))
            .await,
    );
    eventually(10, "the post in the reader's home abroad", || async {
        r.get(to).home_ids(reader).await.contains(&id).then_some(())
    })
    .await;
    id
}

/// Follows `target` (a user of `to`) from `follower` (of `from`) and waits for the
/// other region's Accept.
pub async fn follow_across(
    r: &Regions,
    from: &str,
    follower: &User,
    to: &str,
    target: &User,
) -> String {
    let s = r.get(from);
    let acct = s.lookup(follower, &r.handle(to, &target.username)).await;
    let id = acct["id"].as_str().unwrap().to_string();
    assert_eq!(id, target.id, "the same ID in every region");
    let rel = s
        .post(
            &format!("/api/v1/accounts/{id}/follow"),
            Some(&follower.token),
            json!({}),
        )
        .await
        .ok();
    assert!(rel["requested"].as_bool().unwrap() || rel["following"].as_bool().unwrap());
    eventually(10, "the follow to be accepted", || async {
        let rel = s
            .get(
                &format!("/api/v1/accounts/relationships?id[]={id}"),
                Some(&follower.token),
            )
            .await
            .ok();
        rel[0]["following"].as_bool().unwrap_or(false).then_some(())
    })
    .await;
    id
}

/// Every file of a region's data dir, concatenated (database, WAL, shared memory).
pub fn raw_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.extend(std::fs::read(e).unwrap_or_default());
    }
    out
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                v.extend(walk(&p));
            } else {
                v.push(p);
            }
        }
    }
    v
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Every sealed value in a region's database, opened with the KEK in its data dir, one
/// per line. A value whose account key is gone (shredded) stays unreadable and is left out.
pub async fn unsealed(data_dir: &std::path::Path, database: Option<&String>) -> Vec<u8> {
    use roost_residency::keys::{FileKek, WrappedKey};
    let kek_file = data_dir.join("keys").join("kek.key");
    if !kek_file.is_file() || (database.is_none() && !data_dir.join("roost.sqlite").is_file()) {
        return Vec::new();
    }
    let ring = roost_residency::Keyring::new(
        std::sync::Arc::new(FileKek::load(&kek_file).expect("the region's KEK")),
        Vec::new(),
    );
    let db = backend::RawDb::open(data_dir, database).await;
    let mut keys = std::collections::HashMap::new();
    for (owner, kek_id, wrapped) in db.key_rows().await {
        if let Ok(k) = ring.unwrap(
            owner,
            &WrappedKey {
                kek_id,
                bytes: wrapped,
            },
        ) {
            keys.insert(owner, k);
        }
    }
    let mut out = Vec::new();
    for sql in [
        "SELECT account_id, text FROM statuses",
        "SELECT account_id, content_html FROM statuses",
        "SELECT account_id, spoiler_text FROM statuses",
        "SELECT s.account_id, e.content_html FROM status_edits e JOIN statuses s ON s.id = e.status_id",
        "SELECT s.account_id, e.spoiler_text FROM status_edits e JOIN statuses s ON s.id = e.status_id",
        "SELECT id, note_source FROM accounts",
        "SELECT id, note_html FROM accounts",
        "SELECT id, fields FROM accounts",
        "SELECT account_id, COALESCE(description, '') FROM media",
        "SELECT subject, body FROM outbox WHERE subject IS NOT NULL",
    ] {
        for (owner, value) in db.owned_texts(sql).await {
            let Some(key) = keys.get(&owner) else { continue };
            // Profile fields keep several sealed parts between separators.
            for part in value.split(['\u{1e}', '\u{1f}']) {
                if let Ok(text) = key.open(part) {
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'\n');
                }
            }
        }
    }
    db.close().await;
    out
}

/// A local S3-compatible server (moto's server mode), stopped when dropped: the region's
/// buckets in the media and backup tests.
pub struct Moto(std::process::Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Moto {
    /// Starts moto on a free port; None (after saying SKIPPED) when Python or moto is
    /// missing outside CI.
    pub async fn start() -> Option<(Moto, String)> {
        let py = crate::mastodon_py::python_or_skip("S3 test (moto)")?;
        let has_moto = std::process::Command::new(&py)
            .args(["-c", "import moto.server"])
            .status()
            .is_ok_and(|s| s.success());
        if !has_moto {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto[server] is required in CI"
            );
            eprintln!("SKIPPED: moto[server] is not installed; the S3 test did not run");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let moto = Moto(
            std::process::Command::new(&py)
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("moto starts"),
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        crate::support::eventually(30, "moto to listen", || async {
            reqwest::get(&endpoint).await.ok().map(|_| ())
        })
        .await;
        Some((moto, endpoint))
    }
}
