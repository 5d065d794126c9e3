//! The streaming scenarios: what idle WebSockets cost the server, and how long a post
//! takes to reach every connected follower.

use crate::server::Server;
use anyhow::Context;
use futures::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Streaming {
    /// Idle `user` streams held open at once.
    pub idle_sockets: usize,
    pub idle_connect_secs: f64,
    pub rss_before_mib: f64,
    pub rss_with_idle_mib: f64,
    /// Followers of the author connected to their `user` stream.
    pub followers_connected: usize,
    /// The author's followers in all (the fan-out writes to every one's home timeline).
    pub author_followers: u32,
    pub posts: usize,
    /// Per post: from the POST's answer to the last connected follower's frame.
    pub last_frame_p50_ms: f64,
    pub last_frame_p99_ms: f64,
    pub last_frame_max_ms: f64,
    /// Over every (post, follower): from the POST's answer to that follower's frame.
    pub any_frame_p50_ms: f64,
    pub any_frame_p99_ms: f64,
    /// Frames that never came within the wait.
    pub missing: usize,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(base: &str, token: &str) -> anyhow::Result<Ws> {
    let url = format!(
        "{}/api/v1/streaming?stream=user&access_token={token}",
        base.replacen("http", "ws", 1)
    );
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("opening a user stream")?;
    Ok(ws)
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}

/// Opens `idle` user streams (tokens of accounts that post nothing meanwhile) and
/// measures the server's RSS; then connects `followers` followers of `author` and has the
/// author post `posts` times, one after the other, timing each post's frames.
pub async fn run(
    srv: &Server,
    tokens: &[String],
    author: usize,
    author_followers: u32,
    idle: usize,
    followers: usize,
    posts: usize,
) -> anyhow::Result<Streaming> {
    let base = srv.base_url.clone();
    let mut out = Streaming {
        idle_sockets: idle,
        author_followers,
        posts,
        ..Streaming::default()
    };
    out.rss_before_mib = crate::report::mib(srv.sample().rss_kib);

    // Idle sockets: opened 200 at a time, then held while nothing is posted.
    let t = Instant::now();
    let mut held: Vec<Ws> = Vec::with_capacity(idle);
    let pick = |i: usize| &tokens[1 + (i % (tokens.len() - 1))];
    for chunk in (0..idle).collect::<Vec<_>>().chunks(200) {
        let opened = futures::future::join_all(chunk.iter().map(|i| open(&base, pick(*i)))).await;
        for ws in opened {
            held.push(ws?);
        }
    }
    out.idle_connect_secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    out.rss_with_idle_mib = crate::report::mib(srv.sample().rss_kib);
    eprintln!(
        "{idle} idle sockets opened in {:.1} s: server RSS {:.0} -> {:.0} MiB",
        out.idle_connect_secs, out.rss_before_mib, out.rss_with_idle_mib
    );
    drop(held);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Followers of the author (everyone follows it) on their user streams.
    let arrivals: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let mut readers = Vec::new();
    for chunk in (0..followers).collect::<Vec<_>>().chunks(200) {
        let opened = futures::future::join_all(chunk.iter().map(|i| open(&base, pick(*i)))).await;
        for ws in opened {
            let mut ws = ws?;
            let arrivals = arrivals.clone();
            readers.push(tokio::spawn(async move {
                while let Some(Ok(m)) = ws.next().await {
                    let Message::Text(t) = m else { continue };
                    let at = Instant::now();
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(t.as_str()) else {
                        continue;
                    };
                    if v["event"] != "update" {
                        continue;
                    }
                    let Some(p) = v["payload"].as_str() else {
                        continue;
                    };
                    let Ok(s) = serde_json::from_str::<serde_json::Value>(p) else {
                        continue;
                    };
                    if let Some(id) = s["id"].as_str() {
                        let mut a = arrivals.lock().unwrap();
                        a.entry(id.to_string()).or_default().push(at);
                    }
                }
            }));
        }
    }
    out.followers_connected = readers.len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let client = reqwest::Client::new();
    let mut last = Vec::new();
    let mut any = Vec::new();
    for n in 0..posts {
        let r = client
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&tokens[author])
            .json(&serde_json::json!({ "status": format!("streamed post {n}") }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "post: {}", r.status());
        let v: serde_json::Value = r.json().await?;
        let answered = Instant::now();
        let id = v["id"].as_str().context("post id")?.to_string();
        let until = answered + Duration::from_secs(5);
        loop {
            let got = arrivals.lock().unwrap().get(&id).map_or(0, Vec::len);
            if got >= out.followers_connected || Instant::now() > until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let times = arrivals.lock().unwrap().remove(&id).unwrap_or_default();
        out.missing += out.followers_connected.saturating_sub(times.len());
        let lat: Vec<f64> = times
            .iter()
            .map(|t| t.saturating_duration_since(answered).as_secs_f64() * 1000.0)
            .collect();
        if let Some(worst) = lat.iter().copied().reduce(f64::max) {
            last.push(worst);
        }
        any.extend(lat);
    }
    for r in readers {
        r.abort();
    }
    out.last_frame_max_ms = last.iter().copied().fold(0.0, f64::max);
    out.last_frame_p50_ms = quantile(&mut last, 0.5);
    out.last_frame_p99_ms = quantile(&mut last, 0.99);
    out.any_frame_p50_ms = quantile(&mut any, 0.5);
    out.any_frame_p99_ms = quantile(&mut any, 0.99);
    eprintln!(
        "{} followers connected, {} posts: last frame p50 {:.1} ms p99 {:.1} ms max {:.1} ms; any frame p50 {:.1} ms p99 {:.1} ms; missing {}",
        out.followers_connected,
        posts,
        out.last_frame_p50_ms,
        out.last_frame_p99_ms,
        out.last_frame_max_ms,
        out.any_frame_p50_ms,
        out.any_frame_p99_ms,
        out.missing
    );
    Ok(out)
}
