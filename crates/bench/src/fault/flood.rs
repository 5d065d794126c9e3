//! Floods of expensive requests from one address: wrong-password token grants and
//! sign-ups, both of which hash a password. Server memory (VmHWM/VmRSS), how many were
//! refused with 429, and `/health` latency meanwhile.

use super::launch::{mib, Launch, Roost};
use super::probe::{between, pct, secs, summary, Prober};
use super::{Env, Figures};
use crate::cross::ok_json;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

pub async fn run(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    wrong_passwords(env, figs).await?;
    signups(env, figs).await
}

/// A fresh lone region with its own data dir.
async fn fresh(env: &Env, name: &str) -> anyhow::Result<Roost> {
    let data = env.dir.join(format!("{name}-data"));
    Launch::local(&env.bin, &data, env.dir.join(format!("{name}.log")))
        .start()
        .await
}

/// Registers an app and gets an app-only token for it, as Mastodon.py's `create_account`
/// does: (client id, client secret, token).
async fn app_token(http: &reqwest::Client, base: &str) -> anyhow::Result<(String, String, String)> {
    let app = ok_json(http.post(format!("{base}/api/v1/apps")).json(&json!({
        "client_name": "roost-bench fault",
        "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": "read write follow push"
    })))
    .await?;
    let id = app["client_id"].as_str().unwrap_or_default().to_string();
    let secret = app["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let tok = ok_json(http.post(format!("{base}/oauth/token")).json(&json!({
        "grant_type": "client_credentials",
        "client_id": id,
        "client_secret": secret,
        "scope": "read write follow push"
    })))
    .await?;
    let tok = tok["access_token"].as_str().unwrap_or_default().to_string();
    Ok((id, secret, tok))
}

fn signup(n: &str) -> serde_json::Value {
    json!({"username": n, "email": format!("{n}@example.org"), "password": PASSWORD, "agreement": true, "locale": "en"})
}

/// Answers by status code ("none": no answer), for a figure.
fn by_status(codes: &BTreeMap<String, u64>) -> String {
    codes
        .iter()
        .map(|(c, n)| format!("{n} × {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn code_of(r: &Result<reqwest::Response, reqwest::Error>) -> String {
    match r {
        Ok(r) => r.status().as_u16().to_string(),
        Err(_) => "none".into(),
    }
}

/// The highest VmRSS seen while `task` runs, sampled every 100 ms.
async fn watch_rss<T>(srv: &Roost, task: tokio::task::JoinHandle<T>) -> anyhow::Result<(T, u64)> {
    let mut peak = 0;
    while !task.is_finished() {
        peak = peak.max(srv.sample().rss_kib);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((task.await?, peak.max(srv.sample().rss_kib)))
}

async fn wrong_passwords(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    let conc = env.opts.flood_concurrency;
    let srv = fresh(env, "password").await?;
    let base = srv.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2 * conc)
        .timeout(Duration::from_secs(30))
        .build()?;
    let (id, secret, app) = app_token(&http, &base).await?;
    // A real account, so each attempt verifies against a real hash.
    ok_json(
        http.post(format!("{base}/api/v1/accounts"))
            .bearer_auth(&app)
            .json(&signup("victim")),
    )
    .await?;
    let before = srv.sample();
    let prober = Prober::start(&base, Duration::from_millis(50), Duration::from_secs(15));
    let t0 = Instant::now();
    let until = t0 + env.plan.flood;
    let flood = {
        let mut tasks = Vec::new();
        for w in 0..conc {
            let (http, url) = (http.clone(), format!("{base}/oauth/token"));
            let (id, secret) = (id.clone(), secret.clone());
            tasks.push(tokio::spawn(async move {
                let mut codes = BTreeMap::<String, u64>::new();
                let mut ms = Vec::new();
                for i in 0..100_000 {
                    if Instant::now() >= until {
                        break;
                    }
                    let t = Instant::now();
                    let r = http
                        .post(&url)
                        .json(&json!({"grant_type": "password", "client_id": id, "client_secret": secret,
                            "username": "victim", "password": format!("wrong {w} {i}"), "scope": "read"}))
                        .send()
                        .await;
                    *codes.entry(code_of(&r)).or_default() += 1;
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                        ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                (codes, ms)
            }));
        }
        tokio::spawn(async move {
            let mut codes = BTreeMap::<String, u64>::new();
            let mut ms = Vec::new();
            for t in tasks {
                if let Ok((c, m)) = t.await {
                    for (k, v) in c {
                        *codes.entry(k).or_default() += v;
                    }
                    ms.extend(m);
                }
            }
            (codes, ms)
        })
    };
    let ((codes, mut ms), peak_rss) = watch_rss(&srv, flood).await?;
    let took = t0.elapsed();
    let after = srv.sample();
    let samples = prober.finish().await;
    tokio::time::sleep(Duration::from_secs_f64(env.opts.settle_secs)).await;
    let later = srv.sample();
    srv.term().await?;
    ms.sort_by(f64::total_cmp);
    let total: u64 = codes.values().sum();
    figs.add(
        "(a) wrong-password POST /oauth/token",
        format!(
            "{conc} concurrent for {}: {total} sent, {}",
            secs(took),
            by_status(&codes)
        ),
        "",
    );
    figs.add(
        "(a) server RSS",
        format!(
            "peak VmHWM {}, highest VmRSS sampled {}, {} before, {} at the end, {} {:.0} s later",
            mib(after.hwm_kib),
            mib(peak_rss),
            mib(before.rss_kib),
            mib(after.rss_kib),
            mib(later.rss_kib),
            env.opts.settle_secs
        ),
        "6 GB",
    );
    figs.add(
        "(a) token request latency",
        format!("p50 {:.0} ms, p99 {:.0} ms", pct(&ms, 0.5), pct(&ms, 0.99)),
        "",
    );
    figs.add(
        "(a) GET /health meanwhile",
        summary(&between(&samples, t0, t0 + took)),
        "",
    );
    Ok(())
}

async fn signups(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    let n = env.opts.signups;
    let srv = fresh(env, "signup").await?;
    let base = srv.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(2 * n)
        .timeout(Duration::from_secs(60))
        .build()?;
    let (_, _, app) = app_token(&http, &base).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = srv.sample();
    let prober = Prober::start(&base, Duration::from_millis(50), Duration::from_secs(15));
    let t0 = Instant::now();
    let all = {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let req = http
                    .post(format!("{base}/api/v1/accounts"))
                    .bearer_auth(&app)
                    .json(&signup(&format!("flood{i}")));
                tokio::spawn(async move {
                    let r = req.send().await;
                    let code = code_of(&r);
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                    code
                })
            })
            .collect();
        tokio::spawn(async move {
            let mut codes = BTreeMap::<String, u64>::new();
            for t in tasks {
                *codes
                    .entry(t.await.unwrap_or_else(|_| "panic".into()))
                    .or_default() += 1;
            }
            codes
        })
    };
    let (codes, peak_rss) = watch_rss(&srv, all).await?;
    let took = t0.elapsed();
    let after = srv.sample();
    let samples = prober.finish().await;
    tokio::time::sleep(Duration::from_secs_f64(env.opts.settle_secs)).await;
    let later = srv.sample();
    srv.term().await?;
    figs.add(
        "(b) POST /api/v1/accounts sign-ups",
        format!(
            "{n} at once, all answered in {}: {}",
            secs(took),
            by_status(&codes)
        ),
        "",
    );
    figs.add(
        "(b) server RSS",
        format!(
            "{} before, peak VmHWM {} (VmRSS sampled up to {}), {} right after, {} {:.0} s later",
            mib(before.rss_kib),
            mib(after.hwm_kib),
            mib(peak_rss),
            mib(after.rss_kib),
            mib(later.rss_kib),
            env.opts.settle_secs
        ),
        "~1.7 GiB stayed resident",
    );
    figs.add(
        "(b) GET /health meanwhile",
        summary(&between(&samples, t0, t0 + took)),
        "",
    );
    Ok(())
}
