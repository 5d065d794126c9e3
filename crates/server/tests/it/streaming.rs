//! The streaming API over real sockets: WebSocket (multiplexed streams, tokens from the
//! query, the header or `Sec-WebSocket-Protocol`) and server-sent events; who receives
//! what (the timelines' visibility rules); revocation and bad tokens; across regions.

use crate::support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(s: &TestServer, query: &str) -> String {
    format!(
        "{}/api/v1/streaming{query}",
        s.base.replacen("http", "ws", 1)
    )
}

pub(crate) async fn connect(s: &TestServer, query: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(ws_url(s, query))
        .await
        .expect("websocket opens");
    ws
}

/// One received frame: the stream names, the event and the decoded payload.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) stream: Vec<String>,
    pub(crate) event: String,
    pub(crate) payload: Value,
    raw_payload: String,
}

/// The next text frame, skipping pings; panics after `secs`.
pub(crate) async fn next(ws: &mut Ws, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).expect("frames are JSON");
        }
    }
}

pub(crate) async fn next_event(ws: &mut Ws) -> Frame {
    let v = next(ws, 10).await;
    let raw = v["payload"]
        .as_str()
        .unwrap_or_else(|| panic!("payload is a string: {v}"))
        .to_string();
    Frame {
        stream: v["stream"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect(),
        event: v["event"].as_str().unwrap().to_string(),
        payload: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw_payload: raw,
    }
}

/// Every event up to and including the `update` of `sentinel`.
pub(crate) async fn events_until(ws: &mut Ws, sentinel: &str) -> Vec<Frame> {
    let mut seen = Vec::new();
    loop {
        let f = next_event(ws).await;
        let done = f.event == "update" && f.payload["id"] == sentinel;
        seen.push(f);
        if done {
            return seen;
        }
    }
}

pub(crate) fn update_ids(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.event == "update")
        .map(|f| f.payload["id"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) async fn subscribe(ws: &mut Ws, msg: Value) {
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
}

/// The server has registered the subscriptions once its hub counts the connections.
pub(crate) async fn settle(s: &TestServer, connections: usize) {
    let live = s.running.as_ref().unwrap().roost.live.clone();
    eventually(5, "connections registered", || async {
        (live.connections() >= connections).then_some(())
    })
    .await;
    // A subscribe message is applied by the socket's task; give it a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn health_answers_ok() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(s.url("/api/v1/streaming/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "OK");
}

#[tokio::test]
async fn the_user_stream_gets_updates_notifications_edits_and_deletes() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&alice, &bob).await;
    let mut ws = connect(&s, &format!("?access_token={}&stream=user", alice.token)).await;
    settle(&s, 1).await;

    let post = s.post_status(&bob, json!({"status": "hello #Rust"})).await;
    let f = next_event(&mut ws).await;
    assert_eq!(f.stream, ["user"]);
    assert_eq!(f.event, "update");
    assert_eq!(f.payload["id"], post["id"]);
    assert_eq!(f.payload["account"]["username"], "bob");
    assert_eq!(f.payload["content"], post["content"]);

    // A mention: the status (alice follows bob) and the notification.
    let mention = s
        .post_status(&bob, json!({"status": "@alice look at this"}))
        .await;
    let mut got = [next_event(&mut ws).await, next_event(&mut ws).await];
    got.sort_by(|a, b| a.event.cmp(&b.event));
    assert_eq!(got[0].event, "notification");
    assert_eq!(got[0].payload["type"], "mention");
    assert_eq!(got[0].payload["status"]["id"], mention["id"]);
    assert_eq!(got[1].event, "update");

    // A favourite of alice's own post: a notification only.
    let own = s.post_status(&alice, json!({"status": "mine"})).await;
    let f = next_event(&mut ws).await;
    assert_eq!((f.event.as_str(), &f.payload["id"]), ("update", &own["id"]));
    s.post(
        &format!("/api/v1/statuses/{}/favourite", id_of(&own)),
        Some(&bob.token),
        json!({}),
    )
    .await
    .ok();
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "notification");
    assert_eq!(f.payload["type"], "favourite");
    assert_eq!(f.payload["account"]["username"], "bob");

    // An edit, then the deletion.
    s.put(
        &format!("/api/v1/statuses/{}", id_of(&post)),
        Some(&bob.token),
        json!({"status": "hello again #Rust"}),
    )
    .await
    .ok();
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "status.update");
    assert!(f.payload["content"]
        .as_str()
        .unwrap()
        .contains("hello again"));
    s.delete(
        &format!("/api/v1/statuses/{}", id_of(&post)),
        Some(&bob.token),
    )
    .await
    .ok();
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "delete");
    assert_eq!(f.raw_payload, id_of(&post), "delete carries the bare ID");
}

#[tokio::test]
async fn one_socket_multiplexes_streams_and_reports_bad_requests() {
    let s = TestServer::start().await;
    let bob = s.register("bob").await;
    let mut ws = connect(&s, "").await;
    subscribe(
        &mut ws,
        json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"}),
    )
    .await;
    subscribe(
        &mut ws,
        json!({"type": "subscribe", "stream": "public:local"}),
    )
    .await;
    // Errors come back as messages; the socket stays open.
    subscribe(&mut ws, json!({"type": "subscribe", "stream": "nonsense"})).await;
    let e = next(&mut ws, 5).await;
    assert_eq!(e["error"], "Unknown stream type");
    assert_eq!(e["status"], 400);
    subscribe(&mut ws, json!({"type": "subscribe", "stream": "user"})).await;
    let e = next(&mut ws, 5).await;
    assert_eq!(e["status"], 401, "{e}");
    ws.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(next(&mut ws, 5).await["status"], 400);
    settle(&s, 1).await;

    let tagged = s.post_status(&bob, json!({"status": "ferris #RUST"})).await;
    let mut streams: Vec<Vec<String>> = Vec::new();
    for _ in 0..2 {
        let f = next_event(&mut ws).await;
        assert_eq!(f.payload["id"], tagged["id"]);
        streams.push(f.stream);
    }
    streams.sort();
    assert_eq!(
        streams,
        [
            vec!["hashtag".to_string(), "Rust".to_string()],
            vec!["public:local".to_string()]
        ]
    );

    subscribe(
        &mut ws,
        json!({"type": "unsubscribe", "stream": "hashtag", "tag": "Rust"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = s.post_status(&bob, json!({"status": "again #rust"})).await;
    let f = next_event(&mut ws).await;
    assert_eq!(f.stream, ["public:local"]);
    assert_eq!(f.payload["id"], second["id"]);
}

#[tokio::test]
async fn tokens_come_from_the_header_or_the_protocol_and_bad_ones_are_refused() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;

    // Sec-WebSocket-Protocol: accepted and echoed back (browsers abort otherwise).
    let mut req = ws_url(&s, "?stream=user").into_client_request().unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", alice.token.parse().unwrap());
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        alice.token.as_str()
    );
    settle(&s, 1).await;
    let own = s
        .post_status(&alice, json!({"status": "via protocol"}))
        .await;
    assert_eq!(next_event(&mut ws).await.payload["id"], own["id"]);

    // Authorization header.
    let mut req = ws_url(&s, "?stream=user").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", alice.token).parse().unwrap(),
    );
    let (mut ws2, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    settle(&s, 2).await;
    let own = s.post_status(&alice, json!({"status": "via header"})).await;
    assert_eq!(next_event(&mut ws2).await.payload["id"], own["id"]);

    // A wrong token: 401 before any upgrade, as JSON.
    let r = s
        .http
        .get(s.url("/api/v1/streaming/user?access_token=wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string());
    let err = tokio_tungstenite::connect_async(ws_url(&s, "?access_token=wrong&stream=user"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
    // No token for a user stream.
    let r = s
        .http
        .get(s.url("/api/v1/streaming/user"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A token without read scope.
    let write_only = s.scoped_token(&alice, "write").await;
    let r = s
        .http
        .get(s.url(&format!("/api/v1/streaming/user?access_token={write_only}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Unknown streams and a hashtag without a tag.
    let r = s
        .http
        .get(s.url("/api/v1/streaming/hashtag"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A list stream is its owner's: without a token, 401.
    let r = s
        .http
        .get(s.url("/api/v1/streaming?stream=list&list=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .get(s.url("/api/v1/streaming?stream=list"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a list stream names its list");
}

#[tokio::test]
async fn revoking_the_token_closes_its_sockets_at_once() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    // A token of its own app, so it can be revoked with that app's secret.
    let (client_id, client_secret) = s.app().await;
    let tok = s
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "password"),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("username", "alice@example.org"),
                ("password", "correct horse battery"),
                ("scope", "read"),
            ],
        )
        .await
        .ok();
    let token = tok["access_token"].as_str().unwrap().to_string();
    let mut ws = connect(&s, &format!("?access_token={token}&stream=user")).await;
    settle(&s, 1).await;
    s.post_form(
        "/oauth/revoke",
        None,
        &[
            ("client_id", &client_id),
            ("client_secret", &client_secret),
            ("token", &token),
        ],
    )
    .await
    .ok();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(f)))) => return Some(u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(1008));
    let _ = alice;
}

#[tokio::test]
async fn each_stream_gets_only_what_its_reader_may_see() {
    let s = TestServer::start().await;
    let author = s.register("author").await;
    let follower = s.register("follower").await;
    let stranger = s.register("stranger").await;
    let named = s.register("named").await;
    s.follow(&follower, &author).await;

    let mut f_user = connect(&s, &format!("?access_token={}&stream=user", follower.token)).await;
    let mut s_user = connect(&s, &format!("?access_token={}&stream=user", stranger.token)).await;
    let mut n_direct = connect(&s, &format!("?access_token={}&stream=direct", named.token)).await;
    let mut s_direct = connect(
        &s,
        &format!("?access_token={}&stream=direct", stranger.token),
    )
    .await;
    let mut public = connect(&s, "?stream=public").await;
    let mut tag = connect(&s, "?stream=hashtag&tag=matrix").await;
    settle(&s, 6).await;

    let public_post = s
        .post_status(
            &author,
            json!({"status": "public #matrix", "visibility": "public"}),
        )
        .await;
    let unlisted = s
        .post_status(
            &author,
            json!({"status": "unlisted #matrix", "visibility": "unlisted"}),
        )
        .await;
    let private = s
        .post_status(
            &author,
            json!({"status": "followers #matrix", "visibility": "private"}),
        )
        .await;
    let direct = s
        .post_status(
            &author,
            json!({"status": "@named secret #matrix", "visibility": "direct"}),
        )
        .await;
    // A reply to someone else stays off the public stream, as on the public timeline.
    let reply = s
        .post_status(
            &author,
            json!({"status": "reply #matrix", "in_reply_to_id": id_of(&direct), "visibility": "direct"}),
        )
        .await;
    let _ = reply;
    // Sentinels: a post each reader is sure to get, sent last.
    let sentinel = s
        .post_status(&author, json!({"status": "the end #matrix"}))
        .await;
    let stranger_own = s
        .post_status(&stranger, json!({"status": "stranger's own"}))
        .await;

    let got = update_ids(&events_until(&mut f_user, &id_of(&sentinel)).await);
    assert_eq!(
        got,
        [&public_post, &unlisted, &private, &sentinel].map(id_of),
        "the follower's home"
    );
    let got = update_ids(&events_until(&mut s_user, &id_of(&stranger_own)).await);
    assert_eq!(
        got,
        [id_of(&stranger_own)],
        "the stranger sees only their own"
    );
    let got = update_ids(&events_until(&mut public, &id_of(&sentinel)).await);
    assert_eq!(got, [&public_post, &sentinel].map(id_of), "public stream");
    let got = update_ids(&events_until(&mut tag, &id_of(&sentinel)).await);
    assert_eq!(got, [&public_post, &sentinel].map(id_of), "hashtag stream");

    // The direct stream: a conversation for the one mentioned, nothing for others.
    let c = next_event(&mut n_direct).await;
    assert_eq!(c.event, "conversation");
    assert_eq!(c.payload["last_status"]["id"], direct["id"]);
    assert_eq!(c.payload["accounts"][0]["username"], "author");
    subscribe(
        &mut s_direct,
        json!({"type": "subscribe", "stream": "public"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let last = s.post_status(&author, json!({"status": "after"})).await;
    let f = next_event(&mut s_direct).await;
    assert_eq!(f.stream, ["public"], "no conversation for the stranger");
    assert_eq!(f.payload["id"], last["id"]);

    // Deleting the followers-only post tells the follower, not the public stream.
    s.delete(
        &format!("/api/v1/statuses/{}", id_of(&private)),
        Some(&author.token),
    )
    .await
    .ok();
    let after = s
        .post_status(&author, json!({"status": "after delete"}))
        .await;
    let frames = events_until(&mut f_user, &id_of(&after)).await;
    assert!(frames
        .iter()
        .any(|f| f.event == "delete" && f.raw_payload == id_of(&private)));
    let frames = events_until(&mut public, &id_of(&after)).await;
    assert!(
        !frames.iter().any(|f| f.event == "delete"),
        "the public stream never had it: {frames:?}"
    );
}

/// Reads server-sent events from a streaming response until `want` events arrived.
pub(crate) async fn sse_events(mut resp: reqwest::Response, want: usize) -> Vec<(String, String)> {
    let mut buf = String::new();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while out.len() < want {
            let chunk = resp.chunk().await.unwrap().expect("stream open");
            buf.push_str(std::str::from_utf8(&chunk).unwrap());
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event: ") {
                        event = e.to_string();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push_str(d);
                    }
                }
                if !event.is_empty() {
                    out.push((event, data));
                }
            }
        }
    })
    .await
    .expect("events in time");
    out
}

#[tokio::test]
async fn server_sent_events_carry_the_same_events() {
    let s = TestServer::start().await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&alice, &bob).await;
    let resp = s
        .http
        .get(s.url("/api/v1/streaming/user"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let notes = s
        .http
        .get(s.url(&format!(
            "/api/v1/streaming/user/notification?access_token={}",
            alice.token
        )))
        .send()
        .await
        .unwrap();
    settle(&s, 2).await;
    let post = s
        .post_status(&bob, json!({"status": "@alice over SSE"}))
        .await;
    let mut got = sse_events(resp, 2).await;
    got.sort();
    assert_eq!(got[0].0, "notification");
    assert_eq!(got[1].0, "update");
    let status: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(status["id"], post["id"]);
    // The notification stream gets the notification and no statuses.
    let only = sse_events(notes, 1).await;
    assert_eq!(only[0].0, "notification");
    let n: Value = serde_json::from_str(&only[0].1).unwrap();
    assert_eq!(n["status"]["id"], post["id"]);
}

#[tokio::test]
async fn a_post_from_another_region_streams_to_followers_when_it_lands() {
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let mut ws = connect(ins, &format!("?access_token={}&stream=user", asha.token)).await;
    settle(ins, 1).await;
    let post = ids
        .post_status(&budi, json!({"status": "dari Jakarta, live"}))
        .await;
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "update");
    assert_eq!(f.payload["id"], post["id"]);
    assert_eq!(f.payload["account"]["acct"], r.handle("id", "budi"));
    ids.delete(
        &format!("/api/v1/statuses/{}", id_of(&post)),
        Some(&budi.token),
    )
    .await
    .ok();
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "delete");
    assert_eq!(f.raw_payload, id_of(&post));
}

#[tokio::test]
async fn websockets_keep_their_connection_slot_while_open() {
    let s = TestServer::start_with(|c| c.max_connections = 3).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(connect(&s, "?stream=public").await);
    }
    // Every slot is held by a socket: a new request waits in the backlog...
    let health = s.http.get(s.url("/health")).send();
    let mut health = Box::pin(health);
    assert!(
        tokio::time::timeout(Duration::from_millis(800), &mut health)
            .await
            .is_err(),
        "answered while every slot was taken by a WebSocket"
    );
    // ...until one socket closes.
    let mut ws = open.pop().unwrap();
    ws.close(None).await.unwrap();
    drop(ws);
    let r = tokio::time::timeout(Duration::from_secs(5), health)
        .await
        .expect("answered once a slot was free")
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_transit_post_is_pushed_to_connected_followers_and_kept_nowhere() {
    use roost_residency::{Action, DataClass};
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PublicContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let mut ws = connect(ins, &format!("?access_token={}&stream=user", asha.token)).await;
    let mut public = connect(ins, "?stream=public").await;
    settle(ins, 2).await;
    let text = "pushed-live-only-5c2e 雅加达";
    let post = ids.post_status(&budi, json!({"status": text})).await;
    let f = next_event(&mut ws).await;
    assert_eq!(f.event, "update");
    assert_eq!(f.payload["id"], post["id"]);
    assert!(f.payload["content"].as_str().unwrap().contains("雅加达"));
    assert_eq!(f.payload["account"]["acct"], r.handle("id", "budi"));
    // Not on India's public stream: it is in no timeline there.
    let own = ins
        .post_status(&asha, json!({"status": "local after"}))
        .await;
    let got = update_ids(&events_until(&mut public, &id_of(&own)).await);
    assert_eq!(got, [id_of(&own)]);

    // Nothing of it reached India's disk; Indonesia's ledger has the push as transit.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let bytes = r.disk_bytes("in").await;
    assert!(!bytes.windows(text.len()).any(|w| w == text.as_bytes()));
    let head: roost_residency::SignedTreeHead =
        serde_json::from_value(ids.get("/api/roost/v1/ledger/head", None).await.ok()).unwrap();
    let size = head.head.tree_size;
    let mut pushed = false;
    for i in 0..size {
        let e = ids
            .get(&format!("/api/roost/v1/ledger/entries/{i}"), None)
            .await
            .ok();
        pushed |= e["entry"]["object"] == format!("status:{}", id_of(&post))
            && e["entry"]["decision"] == "transit"
            && e["entry"]["counterpart"] == "in"
            && e["entry"]["purpose"]
                .as_str()
                .is_some_and(|p| p.contains("live display"));
    }
    assert!(
        pushed,
        "the push is in Indonesia's ledger as a transit transfer"
    );
    r.stop_all().await;
}
