//! The server under test (the real binary in a child process), and the records and
//! credentials the cases point at.

use super::*;

pub(super) struct Region {
    pub(super) root: tempfile::TempDir,
    pub(super) port: u16,
    pub(super) child: Option<tokio::process::Child>,
    pub(super) log: PathBuf,
    /// Length of the log when the current child started, to show only its own lines.
    pub(super) log_from: u64,
    pub(super) client: TestServer,
    /// The second region of the cluster: not running, but its key signs `/ap/` requests.
    pub(super) peer_key: SigningKey,
    pub(super) peer_key_id: String,
    pub(super) peer_base: String,
}

pub(super) struct Outcome {
    pub(super) elapsed: Duration,
    pub(super) status: Option<u16>,
    pub(super) content_type: String,
    pub(super) body: Vec<u8>,
    pub(super) transport: Option<String>,
    /// How the child ended, when this request killed it.
    pub(super) died: Option<String>,
}

impl Region {
    pub(super) async fn start() -> Region {
        let root = tempfile::tempdir().unwrap();
        let ours = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let theirs = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = ours.local_addr().unwrap().port();
        let peer_base = format!("http://{}", theirs.local_addr().unwrap());
        let plan = |code: &str, base: String| roost_server::cluster_cmd::RegionPlan {
            code: code.into(),
            name: code.to_uppercase(),
            jurisdiction: code.to_uppercase(),
            base_url: base,
            time_zone: "UTC".into(),
        };
        let plans = [
            plan("in", format!("http://127.0.0.1:{port}")),
            plan("id", peer_base.clone()),
        ];
        let cluster = roost_server::cluster_cmd::init(
            root.path(),
            &plans,
            &roost_server::cluster_cmd::default_policy(),
        )
        .unwrap();
        std::fs::write(root.path().join("cluster.toml"), cluster.to_toml()).unwrap();
        drop((ours, theirs));
        let peer = roost_server::keys::load_or_create(&root.path().join("id")).unwrap();
        let peer_key_id = format!(
            "{peer_base}/ap/actor#{}",
            roost_residency::PublicKey(peer.signing.verifying_key()).key_id()
        );
        let log = root.path().join("roost.log");
        let mut r = Region {
            client: TestServer {
                running: None,
                base: format!("http://127.0.0.1:{port}"),
                // A fresh connection per request: a connection the server closed after
                // one case must not fail the next.
                http: reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap(),
                dir: tempfile::tempdir().unwrap(),
            },
            root,
            port,
            child: None,
            log,
            log_from: 0,
            peer_key: peer.signing,
            peer_key_id,
            peer_base,
        };
        r.spawn().await;
        r
    }

    pub(super) async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        self.log_from = log.metadata().unwrap().len();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_roost"));
        for (k, _) in std::env::vars() {
            if k.starts_with("ROOST_") {
                cmd.env_remove(k);
            }
        }
        let root = self.root.path();
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .arg("serve")
            .arg("--cluster")
            .arg(root.join("cluster.toml"))
            .args(["--region", "in", "--data-dir"])
            .arg(root.join("in"))
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--peer-timeout-ms", "500"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("roost binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("roost listening on ") {
                    return;
                }
            }
            panic!("roost exited before listening:\n{}", self.log_tail());
        })
        .await
        .expect("roost prints its address");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    pub(super) async fn restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
        self.spawn().await;
    }

    pub(super) async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// How the child ended, if it has (polled briefly: an abort takes a moment).
    pub(super) async fn exit(&mut self, wait: Duration) -> Option<String> {
        let until = Instant::now() + wait;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                use std::os::unix::process::ExitStatusExt;
                let how = match status.signal() {
                    Some(6) => "killed by SIGABRT".to_string(),
                    Some(11) => "killed by SIGSEGV".to_string(),
                    Some(s) => format!("killed by signal {s}"),
                    None => format!("exited with {status}"),
                };
                return Some(format!("{how}; its log ends:\n{}", self.log_tail()));
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// After a failed request: dead (how), or alive as `/health` shows.
    pub(super) async fn died_yet(&mut self) -> Option<String> {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Some(how) = self.exit(Duration::ZERO).await {
                return Some(how);
            }
            let health = self.client.http.get(self.client.url("/health"));
            let up = health.timeout(Duration::from_millis(500)).send().await;
            if up.is_ok_and(|r| r.status() == 200) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.exit(Duration::ZERO).await
    }

    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let from = (self.log_from as usize).min(text.len());
        let text = String::from_utf8_lossy(&text[from..]);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(12)..]
            .iter()
            .map(|l| format!("      | {}", clip(l, 300)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Alive and answering `/health` with 200 in time.
    pub(super) async fn healthy(&mut self) -> Result<(), String> {
        if let Some(how) = self.exit(Duration::ZERO).await {
            return Err(how);
        }
        let r = self
            .client
            .http
            .get(self.client.url("/health"))
            .timeout(REQUEST_BOUND)
            .send()
            .await;
        match r {
            Ok(r) if r.status() == 200 => Ok(()),
            Ok(r) => Err(format!("/health answered {}", r.status())),
            Err(e) => Err(self
                .exit(Duration::from_secs(1))
                .await
                .unwrap_or_else(|| format!("/health failed: {e}"))),
        }
    }

    pub(super) fn url(&self, case: &Case) -> reqwest::Url {
        let mut s = format!("{}{}", self.client.base, case.path);
        if let Some(q) = &case.query {
            s.push('?');
            s.push_str(q);
        }
        reqwest::Url::parse(&s).unwrap_or_else(|e| panic!("bad url {s:?}: {e}"))
    }

    pub(super) async fn send(&mut self, case: &Case) -> Outcome {
        let mut rb = self
            .client
            .http
            .request(case.method.clone(), self.url(case))
            .timeout(CLIENT_TIMEOUT);
        let mut headers = HeaderMap::new();
        for (k, v) in &case.headers {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        rb = rb.headers(headers);
        if !case.body.is_empty() {
            rb = rb.body(case.body.clone());
        }
        let t = Instant::now();
        let r = rb.send().await;
        let (status, content_type, body, transport) = match r {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get("content-type")
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
                    .unwrap_or_default();
                if ct.starts_with("text/event-stream") {
                    // A stream that was opened never ends by itself: its headers are the
                    // answer (the connection closes as the response is dropped).
                    return Outcome {
                        elapsed: t.elapsed(),
                        status: Some(status),
                        content_type: ct,
                        body: Vec::new(),
                        transport: None,
                        died: None,
                    };
                }
                match resp.bytes().await {
                    Ok(b) => (Some(status), ct, b.to_vec(), None),
                    Err(e) => (Some(status), ct, Vec::new(), Some(error_chain(&e))),
                }
            }
            Err(e) => (None, String::new(), Vec::new(), Some(error_chain(&e))),
        };
        let elapsed = t.elapsed();
        let died = if transport.is_some() {
            self.died_yet().await
        } else {
            None
        };
        Outcome {
            elapsed,
            status,
            content_type,
            body,
            transport,
            died,
        }
    }

    pub(super) fn sign(&self, case: &mut Case) {
        let url = self.url(case);
        let mut pq = url.path().to_string();
        if let Some(q) = url.query() {
            pq.push('?');
            pq.push_str(q);
        }
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_str(&format!("127.0.0.1:{}", self.port)).unwrap(),
        );
        let body = case.method.ne(&Method::GET).then_some(case.body.as_slice());
        if body.is_some() {
            if !case.headers.iter().any(|(k, _)| k == "content-type") {
                case.headers
                    .push(("content-type".into(), b"application/activity+json".to_vec()));
            }
            for (k, v) in &case.headers {
                if k == "content-type" {
                    h.append("content-type", HeaderValue::from_bytes(v).unwrap());
                }
            }
        }
        let signed = roost_federation::httpsig::sign(
            &case.method,
            &pq,
            &mut h,
            body,
            &self.peer_key_id,
            &self.peer_key,
        );
        if signed.is_err() {
            return;
        }
        for name in ["date", "digest", "signature"] {
            if let Some(v) = h.get(name) {
                case.headers.retain(|(k, _)| k != name);
                case.headers.push((name.into(), v.as_bytes().to_vec()));
            }
        }
        case.shape.push_str(" (signed by the peer region)");
    }
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

pub(super) struct Fixtures {
    pub(super) alice: User,
    pub(super) bob: User,
    /// A token of an app without a user.
    pub(super) app_token: String,
    /// Alice's token limited to `read`.
    pub(super) read_token: String,
    pub(super) status: String,
    pub(super) bob_status: String,
    pub(super) notification: String,
    /// Alice's web session cookie and the CSRF token derived from it.
    pub(super) session: Option<(String, String)>,
}

impl Fixtures {
    pub(super) async fn create(r: &Region) -> Fixtures {
        let s = &r.client;
        let alice = s.register("alice").await;
        let bob = s.register("bob").await;
        let (id, secret) = s.app().await;
        let app_token = s
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
            )
            .await
            .ok()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let read_token = s.scoped_token(&alice, "read").await;
        s.follow(&bob, &alice).await;
        let mut fx = Fixtures {
            alice,
            bob,
            app_token,
            read_token,
            status: String::new(),
            bob_status: String::new(),
            notification: String::new(),
            session: None,
        };
        fx.refresh(r).await;
        assert!(fx.session.is_some(), "the web session could not be opened");
        fx
    }

    /// Puts back whatever a fuzz case deleted or revoked.
    pub(super) async fn refresh(&mut self, r: &Region) {
        let s = &r.client;
        if s.get(
            "/api/v1/accounts/verify_credentials",
            Some(&self.alice.token),
        )
        .await
        .status
            != 200
        {
            self.alice.token = s.scoped_token(&self.alice, "read write follow push").await;
        }
        if s.get("/api/v1/accounts/verify_credentials", Some(&self.bob.token))
            .await
            .status
            != 200
        {
            self.bob.token = s.scoped_token(&self.bob, "read write follow push").await;
        }
        for (who, slot) in [
            (&self.alice, &mut self.status),
            (&self.bob, &mut self.bob_status),
        ] {
            let gone = slot.is_empty()
                || s.get(&format!("/api/v1/statuses/{slot}"), Some(&who.token))
                    .await
                    .status
                    != 200;
            if gone {
                let st = s
                    .post_status(
                        who,
                        json!({"status": "fixture #rust @alice @bob https://x.org/a"}),
                    )
                    .await;
                *slot = st["id"].as_str().unwrap().to_string();
            }
        }
        if self.notification.is_empty() {
            let n = s
                .get("/api/v1/notifications", Some(&self.alice.token))
                .await
                .body;
            self.notification = n[0]["id"].as_str().unwrap_or("1").to_string();
        }
        let alive = match &self.session {
            Some((cookie, _)) => {
                let r = s
                    .http
                    .get(s.url("/home"))
                    .header("cookie", format!("roost_session={cookie}"))
                    .send()
                    .await;
                r.is_ok_and(|r| r.status() == 200)
            }
            None => false,
        };
        if !alive {
            self.session = web_sign_in(s, &self.alice.username).await;
        }
    }
}

/// Signs in on the login page: the pre-session CSRF cookie, the form, the session cookie,
/// then the session's own CSRF token from a signed-in page.
pub(super) async fn web_sign_in(s: &TestServer, login: &str) -> Option<(String, String)> {
    let page = s.http.get(s.url("/login")).send().await.ok()?;
    let pre = cookie_of(page.headers(), "roost_csrf")?;
    let csrf = csrf_in(&page.text().await.ok()?)?;
    let resp = s
        .http
        .post(s.url("/login"))
        .header("cookie", format!("roost_csrf={pre}"))
        .form(&[("login", login), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .ok()?;
    let session = cookie_of(resp.headers(), "roost_session")?;
    let home = s
        .http
        .get(s.url("/home"))
        .header("cookie", format!("roost_session={session}"))
        .send()
        .await
        .ok()?;
    let csrf = csrf_in(&home.text().await.ok()?)?;
    Some((session, csrf))
}

pub(super) fn cookie_of(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let pair = v.split(';').next()?;
        let (k, val) = pair.split_once('=')?;
        (k.trim() == name && !val.is_empty()).then(|| val.to_string())
    })
}

pub(super) fn csrf_in(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let rest = &body[i..];
    Some(rest[..rest.find('"')?].to_string())
}
