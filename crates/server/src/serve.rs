//! The accept loop: what `axum::serve` does, plus the limits a public server needs.
//! `axum::serve` has no cap on connections and no timeouts, so 1,100 idle sockets used
//! up the file descriptors and half-sent requests stayed open for good. Here:
//! - the file-descriptor soft limit is raised to the hard limit at start;
//! - at most `max_connections` are served at once (the rest wait in the backlog);
//! - a request's headers must arrive within `header_timeout` (hyper's timer);
//! - a connection with nothing read or written for `idle_timeout` is closed, after 1 s
//!   once nine tenths of the slots are taken;
//! - shutdown stops accepting and lets in-flight requests finish.

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt as _;

/// Connection limits, from the config.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

/// Raises the soft limit on open files to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            None
        }
    }
}

/// Descriptors kept free of client connections: the database files, the log, outgoing
/// requests to other regions, and a new client's accept.
const RESERVED_FDS: u64 = 128;

/// How many connections to serve at once: the configured cap, but never so many that
/// held sockets use up the descriptors (with a 1,024 limit, a cap of 4,096 let idle
/// clients keep everyone else out until the idle timeout).
pub fn connection_cap(configured: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(n) => configured.min(n.saturating_sub(RESERVED_FDS).max(16) as usize),
        None => configured,
    }
    .max(1)
}

/// Serves `app` on `listener` until `shutdown` turns true, then waits for the requests
/// in flight.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    tracing::debug!(max_connections = limits.max_connections, "serving");
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors or a client gone before accept: go on after a
                    // breath instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let app = app.clone();
        let busy = activity.clone();
        // Shared with any WebSocket the connection becomes (see below).
        let permit = Arc::new(permit);
        let slot = permit.clone();
        let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            // Handlers read the peer address for attempt limits (memory only).
            req.extensions_mut().insert(ConnectInfo(peer));
            // Once upgraded, a WebSocket leaves hyper's connection (and this loop's idle
            // watch, which its own heartbeat replaces): it holds the connection's slot
            // for its life, so sockets stay within `max_connections`.
            let slot = slot.clone();
            req.extensions_mut()
                .insert(roost_api::Hold(Arc::new(move || {
                    Box::new(slot.clone()) as Box<dyn Send + Sync>
                })));
            let working = InFlight::new(busy.clone());
            let call = app.clone().oneshot(req);
            async move {
                let r = call.await;
                drop(working);
                r
            }
        });
        let conn = builder.serve_connection_with_upgrades(io, svc).into_owned();
        let conn = graceful.watch(conn);
        let timeouts = IdleTimeouts {
            normal: limits.idle_timeout,
            slots: slots.clone(),
            low_water: limits.max_connections / 10,
        };
        tokio::spawn(async move {
            tokio::select! {
                r = conn => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                }
                _ = activity.idle_for(&timeouts) => {
                    tracing::debug!(%peer, "idle connection closed");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; a client that never lets go does not hold shutdown.
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open 30 s after shutdown began; closing them");
    }
}

/// How long a connection may sit idle. When nearly every slot is taken, idle
/// connections are shed after [`PRESSURE_IDLE`]: otherwise clients that open sockets and
/// send nothing would keep everyone else out until the normal timeout.
struct IdleTimeouts {
    normal: Duration,
    slots: Arc<Semaphore>,
    /// Free slots at or below which the server is under pressure.
    low_water: usize,
}

const PRESSURE_IDLE: Duration = Duration::from_secs(1);
/// Slow handlers are not stuck peers: a response is cut only after this long without a
/// byte moving, however short the idle timeout.
const STALLED_AT_LEAST: Duration = Duration::from_secs(60);

impl IdleTimeouts {
    /// How long a response may move no byte before its connection counts as stuck.
    fn stalled(&self) -> Duration {
        (2 * self.normal).max(STALLED_AT_LEAST)
    }

    fn current(&self) -> Duration {
        if self.slots.available_permits() <= self.low_water {
            PRESSURE_IDLE.min(self.normal)
        } else {
            self.normal
        }
    }
}

/// When a connection last moved a byte, as milliseconds since it opened, and how many
/// of its requests are being answered (a slow handler is not an idle client).
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.opened.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for the current idle timeout while no request
    /// was being answered. Re-checked at least every second, since the timeout shortens
    /// when the server fills up.
    async fn idle_for(&self, timeouts: &IdleTimeouts) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            if self.in_flight.load(Ordering::Relaxed) > 0 {
                // A response being written is not idle (idle time counts from the answer:
                // `InFlight` touches when dropped), unless not one byte has moved for
                // long: a peer that stopped reading an endless response (an event
                // stream, which otherwise writes a heartbeat every 15 s) would hold its
                // slot for good.
                if self.opened.elapsed() >= last + timeouts.stalled() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let deadline = last + timeouts.current();
            let now = self.opened.elapsed();
            if now >= deadline {
                return;
            }
            tokio::time::sleep((deadline - now).min(Duration::from_secs(1))).await;
        }
    }
}

/// Counts one request of a connection as being answered, until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: Arc<Activity>) -> InFlight {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A socket that notes each read and write in its [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_free() {
        assert_eq!(connection_cap(4096, Some(1024)), 896);
        assert_eq!(connection_cap(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(64)), 16);
        assert_eq!(connection_cap(0, Some(1024)), 1);
    }
}
