//! kill -9 under writes: clients post and like through the Mastodon API, the server is
//! SIGKILLed mid-load and started again on the same data dir, several times; then every
//! write that was answered 2xx must still be there.

use super::launch::Launch;
use super::probe::pct;
use super::{Env, Figures};
use crate::dataset::{self, Shape};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Writes the server acknowledged with a 2xx.
#[derive(Default)]
struct Acked {
    posts: Vec<i64>,
    /// (account index, status id).
    likes: HashSet<(usize, i64)>,
}

/// What one client saw in one round.
#[derive(Default)]
struct Tally {
    ok: u64,
    /// Answered, but not 2xx.
    rejected: u64,
    /// No answer: in flight at the kill, or refused while the server was down.
    unanswered: u64,
    first_rejection: Option<String>,
}

pub async fn run(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    let o = &env.opts;
    let data = env.dir.join("data");
    std::fs::create_dir_all(&data)?;
    let db = data.join("roost.sqlite");
    // Posts to like, and authors with a few followers each so a post fans out.
    let shape = Shape {
        accounts: 1_000,
        posts: 5_000,
        follows: 10_000,
        fanned_out_posts: 5_000,
        zipf_s: 1.0,
        celebrity: false,
    };
    let built = Arc::new(super::build_data(&db, &shape, "local", 0, "u", o.seed).await?);
    // Default settings: `sqlite_sync_full` stays at its default.
    let launch = Launch::local(&env.bin, &data, env.dir.join("server.log"));
    let mut srv = launch.start().await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10))
        .build()?;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut restarts = Vec::new();
    let mut total = Tally::default();
    let mut loaded = Duration::ZERO;
    for round in 0..o.kills {
        let stop = Arc::new(AtomicBool::new(false));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..o.clients {
            let c = Client {
                http: http.clone(),
                base: launch.base.clone(),
                built: built.clone(),
                acked: acked.clone(),
                stop: stop.clone(),
                deadline: t0 + env.plan.kill_after + Duration::from_secs(60),
            };
            let seed = o.seed ^ ((round * 1000 + w) as u64).wrapping_mul(0x9e37_79b9);
            tasks.push(tokio::spawn(c.run(seed, round, w)));
        }
        tokio::time::sleep(env.plan.kill_after).await;
        srv.kill9().await?;
        loaded += t0.elapsed();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let t = t.await?;
            total.ok += t.ok;
            total.rejected += t.rejected;
            total.unanswered += t.unanswered;
            if total.first_rejection.is_none() {
                total.first_rejection = t.first_rejection;
            }
        }
        srv = launch.start().await?;
        eprintln!(
            "[kill] SIGKILL {} after {:.1} s of load; restarted, /health answered {:.0} ms after spawn",
            round + 1,
            env.plan.kill_after.as_secs_f64(),
            srv.ready_after.as_secs_f64() * 1000.0
        );
        restarts.push(srv.ready_after.as_secs_f64() * 1000.0);
    }
    let acked = std::mem::take(&mut *acked.lock().expect("no panics while held"));

    // Every acknowledged write, in the store as the restarted server sees it.
    let mut conn = crate::read_db(&db).await?;
    let statuses: HashSet<i64> = sqlx::query_scalar("SELECT id FROM statuses")
        .fetch_all(&mut conn)
        .await?
        .into_iter()
        .collect();
    let favourites: HashSet<(i64, i64)> =
        sqlx::query_as("SELECT account_id, status_id FROM favourites")
            .fetch_all(&mut conn)
            .await?
            .into_iter()
            .collect();
    let posts_found = acked.posts.iter().filter(|p| statuses.contains(p)).count();
    let likes_found = acked
        .likes
        .iter()
        .filter(|(a, s)| favourites.contains(&(built.accounts[*a].0, *s)))
        .count();
    // And a sample through the API, as a client would look.
    let mut rng = StdRng::seed_from_u64(o.seed);
    let (mut api_posts, mut api_posts_ok) = (0, 0);
    for _ in 0..200.min(acked.posts.len()) {
        let id = acked.posts[rng.gen_range(0..acked.posts.len())];
        let r = http
            .get(format!("{}/api/v1/statuses/{id}", launch.base))
            .send()
            .await?;
        api_posts += 1;
        api_posts_ok += usize::from(r.status().is_success());
    }
    let likes: Vec<&(usize, i64)> = acked.likes.iter().take(200).collect();
    let mut api_likes_ok = 0;
    for (a, s) in &likes {
        let v: serde_json::Value = http
            .get(format!("{}/api/v1/statuses/{s}", launch.base))
            .bearer_auth(&built.tokens[*a])
            .send()
            .await?
            .json()
            .await
            .unwrap_or_default();
        api_likes_ok += usize::from(v["favourited"].as_bool() == Some(true));
    }
    srv.term().await?;

    figs.add(
        "acknowledged posts found after restart",
        format!(
            "{posts_found} of {} ({} lost) over {} SIGKILLs",
            acked.posts.len(),
            acked.posts.len() - posts_found,
            o.kills
        ),
        "17,474 of 17,474 (0 lost) over 3 SIGKILLs",
    );
    figs.add(
        "acknowledged likes found after restart",
        format!(
            "{likes_found} of {} ({} lost)",
            acked.likes.len(),
            acked.likes.len() - likes_found
        ),
        "9,830 of 9,830 (0 lost)",
    );
    figs.add(
        "sample re-read over the API",
        format!(
            "{api_posts_ok} of {api_posts} posts, {api_likes_ok} of {} likes",
            likes.len()
        ),
        "",
    );
    let mut sorted = restarts.clone();
    sorted.sort_by(f64::total_cmp);
    figs.add(
        "restart: spawn to first answered /health",
        format!(
            "{} ms (median {:.0} ms)",
            restarts
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            pct(&sorted, 0.5)
        ),
        "",
    );
    figs.add(
        "load",
        format!(
            "{} clients, {:.0} acknowledged writes/s, {} unanswered (in flight at a kill or refused), {} non-2xx{}",
            o.clients,
            total.ok as f64 / loaded.as_secs_f64().max(1e-9),
            total.unanswered,
            total.rejected,
            total
                .first_rejection
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        ),
        "",
    );
    Ok(())
}

struct Client {
    http: reqwest::Client,
    base: String,
    built: Arc<dataset::Built>,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<AtomicBool>,
    /// A bound even if the stop never comes.
    deadline: Instant,
}

impl Client {
    /// Half posts, half likes of existing posts, by random accounts.
    async fn run(self, seed: u64, round: usize, w: usize) -> Tally {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut t = Tally::default();
        let b = &self.built;
        for i in 0..1_000_000u64 {
            if self.stop.load(Ordering::Relaxed) || Instant::now() > self.deadline {
                break;
            }
            let a = rng.gen_range(0..b.accounts.len());
            let post = rng.gen_bool(0.5);
            let liked = b.posts[rng.gen_range(0..b.posts.len())].0;
            let req = if post {
                self.http
                    .post(format!("{}/api/v1/statuses", self.base))
                    .json(&serde_json::json!({ "status": format!("fault post {round}-{w}-{i}") }))
            } else {
                self.http
                    .post(format!("{}/api/v1/statuses/{liked}/favourite", self.base))
            };
            let r = match req.bearer_auth(&b.tokens[a]).send().await {
                Ok(r) => r,
                Err(_) => {
                    t.unanswered += 1;
                    // Refused while the server is down: do not spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let status = r.status();
            let Ok(body) = r.bytes().await else {
                t.unanswered += 1;
                continue;
            };
            if !status.is_success() {
                t.rejected += 1;
                if t.first_rejection.is_none() {
                    let text: String = String::from_utf8_lossy(&body).chars().take(120).collect();
                    t.first_rejection = Some(format!("{status}: {text}"));
                }
                continue;
            }
            t.ok += 1;
            let mut acked = self.acked.lock().expect("no panics while held");
            if post {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Some(id) = v["id"].as_str().and_then(|s| s.parse().ok()) {
                    acked.posts.push(id);
                }
            } else {
                acked.likes.insert((a, liked));
            }
        }
        t
    }
}
