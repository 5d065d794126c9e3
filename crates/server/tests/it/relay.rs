//! A relay in front of one region, for tests of what a late or lost answer does. Every
//! request to the region passes through unchanged (the signed `Host` included), except
//! that the next request to a given path can be held until the test releases it, or have
//! its answer lost after the region gave it (the caller then reads a 502).

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

enum Plan {
    LoseAnswer,
    Hold {
        arrived: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    },
}

#[derive(Clone)]
struct Shared {
    target: String,
    client: reqwest::Client,
    plans: Arc<Mutex<Vec<(String, Plan)>>>,
}

pub struct Relay {
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

/// A request the relay holds.
pub struct Held {
    arrived: Option<oneshot::Receiver<()>>,
    release: Option<oneshot::Sender<()>>,
}

impl Held {
    /// Returns once the held request has reached the relay.
    pub async fn arrived(&mut self) {
        let arrived = self.arrived.take().expect("waited once");
        tokio::time::timeout(std::time::Duration::from_secs(30), arrived)
            .await
            .expect("the held request arrives")
            .expect("the relay runs");
    }

    /// Lets the held request go on to the region.
    pub fn release(&mut self) {
        if let Some(r) = self.release.take() {
            let _ = r.send(());
        }
    }
}

impl Relay {
    /// Relays what `listener` accepts to `target` (`http://host:port`).
    pub fn start(listener: tokio::net::TcpListener, target: String) -> Relay {
        let shared = Shared {
            target,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            plans: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(relay)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Relay { shared, task }
    }

    /// The next request to `path` reaches the region, but its answer does not come back.
    pub fn lose_next_answer(&self, path: &str) {
        self.plan(path, Plan::LoseAnswer);
    }

    /// The next request to `path` waits at the relay until released.
    pub fn hold_next(&self, path: &str) -> Held {
        let (arrived_tx, arrived_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        self.plan(
            path,
            Plan::Hold {
                arrived: arrived_tx,
                release: release_rx,
            },
        );
        Held {
            arrived: Some(arrived_rx),
            release: Some(release_tx),
        }
    }

    fn plan(&self, path: &str, plan: Plan) {
        self.shared
            .plans
            .lock()
            .unwrap()
            .push((path.to_string(), plan));
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const HOP_BY_HOP: [&str; 3] = ["connection", "content-length", "transfer-encoding"];

async fn relay(State(s): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let target = format!(
        "{}{}",
        s.target,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let Ok(body) = axum::body::to_bytes(body, 256 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let plan = {
        let mut plans = s.plans.lock().unwrap();
        plans
            .iter()
            .position(|(p, _)| *p == path)
            .map(|i| plans.remove(i).1)
    };
    let lose = match plan {
        Some(Plan::Hold { arrived, release }) => {
            let _ = arrived.send(());
            let _ = release.await;
            false
        }
        Some(Plan::LoseAnswer) => true,
        None => false,
    };
    let mut headers = parts.headers.clone();
    for h in HOP_BY_HOP {
        headers.remove(h);
    }
    let answer = s
        .client
        .request(parts.method, target)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    let bytes: Bytes = answer.bytes().await.unwrap_or_default();
    if lose {
        return (
            StatusCode::BAD_GATEWAY,
            axum::Json(serde_json::json!({"error": "the relay lost the answer"})),
        )
            .into_response();
    }
    for h in HOP_BY_HOP {
        headers.remove(h);
    }
    let mut out = Response::new(axum::body::Body::from(bytes));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}
