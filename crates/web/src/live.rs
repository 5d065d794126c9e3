//! `/home/live` and `/live/replies/ID`: server-sent events that let the home timeline and a
//! post's page say "3 new posts" or "1 new reply" while they are open. Progressive
//! enhancement only: `roost.js` opens them when the page asks for it (`data-live`), and
//! the pages work the same without them.
//!
//! The events carry IDs only (`event: post`, `data: 123`), never post text or any other
//! user HTML: the page counts them and a reload shows the content, rendered as every page
//! renders it. Both sit on the node's [`roost_core::live::Live`] hub, which decides who
//! receives what by the timelines' rules.
//!
//! Refusals: `/home/live` without a session is 401 (an event stream cannot follow a
//! redirect to the sign-in page, and a 401 makes `EventSource` stop retrying); a post the
//! viewer may not see, or that does not exist, is the usual 404 page.

use crate::error::WebError;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use roost_core::live::{Connection, Delivery, ItemKind, Stream};
use roost_core::{CoreError, Id};
use std::convert::Infallible;
use std::time::Duration;

/// How often an idle stream gets a comment line, so proxies and the server's own idle
/// timeout do not close it.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// `GET /home/live`: what lands in the viewer's home timeline (`post`), deletions
/// (`delete`) and new notifications (`notification`, with the notification's ID).
pub async fn home(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let unauthorized = || {
        WebError::Core(CoreError::Unauthorized(
            "Sign in to follow your home timeline live.".into(),
        ))
    };
    let (Some(me), Some(secret)) = (viewer.account.as_ref(), viewer.secret.as_deref()) else {
        return Err(unauthorized());
    };
    // The session's token, so that signing out (revoking it) ends the stream too.
    let Some(ctx) = st.roost.authenticate(secret).await? else {
        return Err(unauthorized());
    };
    let conn = st.roost.live.connect(Some(me.id), Some(ctx.token.id));
    // The `user` stream carries the account's notifications as well (as Mastodon's
    // does); they are taken from `user:notification` only, so each counts once.
    for s in [Stream::User, Stream::UserNotification] {
        conn.subscribe(s).map_err(|_| unauthorized())?;
    }
    Ok(events(conn, home_event))
}

fn home_event(d: &Delivery) -> Option<SseEvent> {
    match (&d.stream, &d.item.kind) {
        (Stream::User, ItemKind::Update(v)) => Some(id_event("post", v.status.id)),
        (Stream::User, ItemKind::Delete(id)) => Some(id_event("delete", *id)),
        (Stream::UserNotification, ItemKind::Notification(n)) => {
            Some(id_event("notification", n.notification.id))
        }
        _ => None,
    }
}

/// `GET /live/replies/ID`: new public and unlisted replies to a post the viewer may see
/// (`reply`), and deletions of such replies (`delete`). Open to signed-out readers: the
/// hub delivers nothing on this stream that is not public or unlisted.
pub async fn replies(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Id = id.parse().map_err(|_| WebError::NotFound)?;
    let viewer_id = viewer.account.as_ref().map(|a| a.id);
    // The post page's own check, without counting a visit.
    let status = st.roost.visible_status(id, viewer_id).await?;
    if status.reblog_of_id.is_some() {
        // A reblog has no page and no replies of its own.
        return Err(WebError::NotFound);
    }
    let conn = st.roost.live.connect(viewer_id, None);
    conn.subscribe(Stream::Replies(id))
        .map_err(|_| WebError::NotFound)?;
    Ok(events(conn, reply_event))
}

fn reply_event(d: &Delivery) -> Option<SseEvent> {
    match &d.item.kind {
        ItemKind::Update(v) => Some(id_event("reply", v.status.id)),
        ItemKind::Delete(id) => Some(id_event("delete", *id)),
        _ => None,
    }
}

fn id_event(name: &'static str, id: Id) -> SseEvent {
    SseEvent::default().event(name).data(id.to_string())
}

/// The connection as an event stream: each delivery `pick` keeps becomes one event. The
/// stream ends when the hub drops the connection (too slow, signed out, shutting down);
/// the browser then reconnects by itself, or stops on a 401.
fn events(conn: Connection, pick: fn(&Delivery) -> Option<SseEvent>) -> Response {
    let stream = futures::stream::unfold(conn, move |mut conn| async move {
        loop {
            let d = conn.recv().await?;
            if let Some(e) = pick(&d) {
                return Some((Ok::<_, Infallible>(e), conn));
            }
        }
    });
    let mut resp = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump"))
        .into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Tells nginx-like proxies in front not to buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}
