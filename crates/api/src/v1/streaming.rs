//! `/api/v1/streaming`: Mastodon's streaming API. A WebSocket at `/api/v1/streaming`
//! carries many streams at once (`{"type":"subscribe","stream":"hashtag","tag":"x"}`);
//! `/api/v1/streaming/user`, `/public/local`... serve one stream each as server-sent
//! events (Mastodon.py streams only that way). Both sit on the node's
//! [`roost_core::live::Live`] hub, which decides who receives what.

use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::wire::Mapper;
use crate::{AppState, Hold};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use roost_core::live::{Closed, Connection, Delivery, Item, ItemKind, Stream, StreamError};
use roost_core::usecase::AuthContext;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the server pings a WebSocket, and sends `:thump` on an event stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A WebSocket peer that answers nothing for this long is gone.
const PEER_SILENCE: Duration = Duration::from_secs(75);
/// A frame that cannot be written for this long (the peer stopped reading) ends the
/// socket, which would otherwise hold its connection slot for good.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest client message read (subscribe requests are tiny).
const MAX_MESSAGE: usize = 4096;
/// What one WebSocket reads into (clients send only small subscribe messages) and the
/// most it buffers before writing.
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 4096;

#[derive(Deserialize, Default)]
pub struct StreamParams {
    access_token: Option<String>,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
}

pub async fn health() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK")
}

/// Who opened a stream: what deciding its subscriptions needs, and no more (a socket
/// keeps it for hours; 10,000 of them should not each keep a whole account).
pub struct Caller {
    account: Option<roost_core::Id>,
    token: roost_core::Id,
    scopes: roost_core::usecase::scopes::Scopes,
}

impl From<AuthContext> for Caller {
    fn from(c: AuthContext) -> Caller {
        Caller {
            account: c.account.map(|a| a.id),
            token: c.token.id,
            scopes: c.scopes,
        }
    }
}

/// The caller, from `Authorization: Bearer`, `?access_token=` or (browsers cannot set
/// headers on a WebSocket) `Sec-WebSocket-Protocol`. No token: an anonymous reader. A
/// token that does not resolve: 401, before any upgrade.
async fn caller(
    st: &AppState,
    headers: &HeaderMap,
    p: &StreamParams,
) -> ApiResult<(Option<Caller>, Option<String>)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let token = bearer
        .or_else(|| p.access_token.clone())
        .or_else(|| protocol.clone());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok((None, None));
    };
    match st.roost.authenticate(&token).await? {
        Some(ctx) => Ok((Some(ctx.into()), protocol)),
        None => Err(ApiError::invalid_token()),
    }
}

/// The stream a request names, checked against the caller's token.
fn stream_for(
    ctx: Option<&Caller>,
    name: &str,
    p_tag: Option<&str>,
    list: Option<&str>,
) -> ApiResult<Stream> {
    let stream = if name == "list" {
        let id = list
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| ApiError::BadRequest("No list for list stream provided".into()))?;
        Stream::List(roost_core::Id(id))
    } else {
        Stream::parse(name, p_tag).map_err(stream_error)?
    };
    let scope = if matches!(stream, Stream::List(_)) {
        "read:lists"
    } else if stream == Stream::UserNotification {
        "read:notifications"
    } else {
        "read:statuses"
    };
    match ctx {
        None if stream.needs_user() => Err(ApiError::invalid_token()),
        None => Ok(stream),
        Some(c) if !c.scopes.allows(scope) => Err(ApiError::Forbidden(
            "Access token does not have the required scopes".into(),
        )),
        Some(c) if stream.needs_user() && c.account.is_none() => Err(ApiError::Unprocessable(
            "This method requires an authenticated user".into(),
        )),
        Some(_) => Ok(stream),
    }
}

/// A list stream is its owner's only: someone else's list is not found, as over REST.
async fn check_owner(st: &AppState, ctx: Option<&Caller>, stream: &Stream) -> ApiResult<()> {
    if let (Stream::List(id), Some(account)) = (stream, ctx.and_then(|c| c.account)) {
        st.roost.list(account, *id).await?;
    }
    Ok(())
}

fn stream_error(e: StreamError) -> ApiError {
    match e {
        StreamError::NeedsUser => ApiError::invalid_token(),
        e => ApiError::BadRequest(e.to_string()),
    }
}

fn open(st: &AppState, ctx: Option<&Caller>) -> Connection {
    st.roost
        .live
        .connect(ctx.and_then(|c| c.account), ctx.map(|c| c.token))
}

/// The item's payload as Mastodon sends it, serialised by the first connection only.
fn payload(st: &AppState, item: &Item) -> Arc<str> {
    item.encoded
        .get_or_init(|| {
            let m = Mapper::new(&st.roost.cfg);
            let text = match &item.kind {
                ItemKind::Update(v) | ItemKind::StatusUpdate(v) => {
                    serde_json::to_string(&m.status(v))
                }
                ItemKind::Delete(id) => Ok(id.to_string()),
                ItemKind::Notification(n) => serde_json::to_string(&m.notification(n)),
                // Hydrated for its one viewer: their Conversation, their filters.
                ItemKind::Conversation { conversation, .. } => {
                    serde_json::to_string(&m.conversation(conversation))
                }
            };
            Arc::from(text.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "live item not serialisable");
                String::new()
            }))
        })
        .clone()
}

/// The payload for one connection's account: a status rendered for nobody carries that
/// account's filter matches (`filtered`), so it is serialised again when there are any;
/// otherwise the shared encoding serves.
async fn payload_for(st: &AppState, item: &Item, account: Option<roost_core::Id>) -> Arc<str> {
    if let (Some(a), ItemKind::Update(v) | ItemKind::StatusUpdate(v)) = (account, &item.kind) {
        match st.roost.filter_matches(a, v).await {
            Ok(found) if !found.is_empty() => {
                let mut v = v.clone();
                if let Some(r) = v.reblog.as_mut() {
                    r.filtered = found.clone();
                }
                v.filtered = found;
                let m = Mapper::new(&st.roost.cfg);
                if let Ok(text) = serde_json::to_string(&m.status(&v)) {
                    return Arc::from(text);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "filters not read for a live item"),
        }
    }
    payload(st, item)
}

/// `["hashtag", "rust"]`: the `stream` field of a WebSocket message.
fn stream_names(s: &Stream) -> serde_json::Value {
    match (s, s.tag()) {
        (Stream::List(id), _) => json!([s.name(), id.to_string()]),
        (_, Some(t)) => json!([s.name(), t]),
        _ => json!([s.name()]),
    }
}

// --- server-sent events ----------------------------------------------------------------

/// `GET /api/v1/streaming/<path>` as server-sent events, one handler per stream.
macro_rules! sse_handlers {
    ($($handler:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("The `", $name, "` stream as server-sent events.")]
            pub async fn $handler(
                State(st): State<AppState>,
                headers: HeaderMap,
                Params(p): Params<StreamParams>,
            ) -> ApiResult<Response> {
                sse(st, &headers, p, $name).await
            }
        )*
    };
}

sse_handlers! {
    user => "user",
    user_notification => "user:notification",
    public => "public",
    public_local => "public:local",
    public_remote => "public:remote",
    hashtag => "hashtag",
    hashtag_local => "hashtag:local",
    direct => "direct",
    list => "list",
}

async fn sse(
    st: AppState,
    headers: &HeaderMap,
    p: StreamParams,
    name: &str,
) -> ApiResult<Response> {
    let (ctx, _) = caller(&st, headers, &p).await?;
    let stream = stream_for(ctx.as_ref(), name, p.tag.as_deref(), p.list.as_deref())?;
    check_owner(&st, ctx.as_ref(), &stream).await?;
    let account = ctx.as_ref().and_then(|c| c.account);
    let conn = open(&st, ctx.as_ref());
    conn.subscribe(stream).map_err(stream_error)?;
    let events = futures::stream::unfold((conn, st), move |(mut conn, st)| async move {
        let d = conn.recv().await?;
        let e = SseEvent::default()
            .event(d.item.kind.event())
            .data(&*payload_for(&st, &d.item, account).await);
        Some((Ok::<_, Infallible>(e), (conn, st)))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump"))
        .into_response())
}

// --- WebSocket --------------------------------------------------------------------------

/// `GET /api/v1/streaming`: a WebSocket; without an upgrade, the one stream named by
/// `?stream=` as server-sent events.
pub async fn socket(
    State(st): State<AppState>,
    headers: HeaderMap,
    hold: Option<Extension<Hold>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    Params(p): Params<StreamParams>,
) -> ApiResult<Response> {
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(_) => {
            let Some(name) = p.stream.clone() else {
                return Err(ApiError::BadRequest(
                    "Expected a WebSocket upgrade or a stream parameter".into(),
                ));
            };
            return sse(st, &headers, p, &name).await;
        }
    };
    let (ctx, protocol) = caller(&st, &headers, &p).await?;
    let first = match &p.stream {
        Some(name) => Some(stream_for(
            ctx.as_ref(),
            name,
            p.tag.as_deref(),
            p.list.as_deref(),
        )?),
        None => None,
    };
    if let Some(s) = &first {
        check_owner(&st, ctx.as_ref(), s).await?;
    }
    let upgrade = match protocol {
        // Browsers abort a socket whose protocol is not echoed back.
        Some(proto) => upgrade.protocols([proto]),
        None => upgrade,
    };
    let held = hold.map(|Extension(h)| (h.0)());
    Ok(upgrade
        // The library's defaults (128 KiB to read into, per socket) would make 10,000
        // idle sockets cost over a GiB; frames here are a few KiB.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |ws| async move {
            run_socket(ws, st, ctx, first).await;
            drop(held);
        }))
}

#[derive(Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
}

async fn run_socket(mut ws: WebSocket, st: AppState, ctx: Option<Caller>, first: Option<Stream>) {
    let mut conn = open(&st, ctx.as_ref());
    if let Some(s) = first {
        if conn.subscribe(s).is_err() {
            return;
        }
    }
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.tick().await;
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            d = conn.recv() => {
                let Some(d) = d else {
                    let (code, reason) = match conn.closed() {
                        Some(Closed::Revoked) => (1008, "access token revoked"),
                        Some(Closed::AccountClosed) => (1008, "account suspended"),
                        Some(Closed::ShuttingDown) => (1001, "server shutting down"),
                        // 1013: try again later.
                        _ => (1013, "too slow: events were not read"),
                    };
                    let _ = send(&mut ws, Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    }))).await;
                    return;
                };
                let text = frame(&st, &d, ctx.as_ref().and_then(|c| c.account)).await;
                if send(&mut ws, Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            m = ws.recv() => {
                heard = Instant::now();
                match m {
                    Some(Ok(Message::Text(t))) => {
                        if let Some(err) = handle(&st, &conn, ctx.as_ref(), t.as_str()).await {
                            if send(&mut ws, Message::Text(err.into())).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {} // pings are answered by the library; pongs count as heard
                }
            }
            _ = beat.tick() => {
                if heard.elapsed() > PEER_SILENCE {
                    return;
                }
                if send(&mut ws, Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends one message, or fails once it could not be written for [`SEND_TIMEOUT`].
async fn send(ws: &mut WebSocket, m: Message) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, ws.send(m)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn frame(st: &AppState, d: &Delivery, account: Option<roost_core::Id>) -> String {
    let payload = payload_for(st, &d.item, account).await;
    json!({
        "stream": stream_names(&d.stream),
        "event": d.item.kind.event(),
        "payload": &*payload,
    })
    .to_string()
}

/// Applies a subscribe or unsubscribe message; returns the error to send, if any.
async fn handle(
    st: &AppState,
    conn: &Connection,
    ctx: Option<&Caller>,
    text: &str,
) -> Option<String> {
    let fail =
        |status: u16, error: &str| Some(json!({"error": error, "status": status}).to_string());
    let Ok(msg) = serde_json::from_str::<ClientMessage>(text) else {
        return fail(400, "Could not parse the message");
    };
    let Some(name) = msg.stream.as_deref() else {
        return fail(400, "Missing stream");
    };
    let stream = match stream_for(ctx, name, msg.tag.as_deref(), msg.list.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            let (status, text) = e.status_and_text();
            return fail(status, &text);
        }
    };
    if msg.kind == "subscribe" {
        if let Err(e) = check_owner(st, ctx, &stream).await {
            let (status, text) = e.status_and_text();
            return fail(status, &text);
        }
    }
    match msg.kind.as_str() {
        "subscribe" => match conn.subscribe(stream) {
            Ok(()) => None,
            Err(e) => fail(401, &e.to_string()),
        },
        "unsubscribe" => {
            conn.unsubscribe(&stream);
            None
        }
        _ => fail(400, "Unknown message type"),
    }
}
