//! A region down and back: three regions from one cluster file, users of one region
//! following authors in the other two; that region is stopped while the authors post, then
//! started again. Counts what the others' outboxes queued for it, what arrived, and how
//! long the outboxes took to drain after it came back.

use super::launch::{Launch, Roost};
use super::probe::secs;
use super::{Env, Figures};
use crate::cross::{ok_json, write_cluster, CODES};
use crate::dataset::{self, Shape};
use anyhow::{bail, Context};
use roost_server::cluster_cmd;
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The region that goes down; its users follow authors in the other two.
const DOWN: &str = "cn";
/// Authors per region that stays up; followers in the region that goes down.
const AUTHORS: usize = 3;
const FOLLOWERS: usize = 3;
/// Each author posts this often while the region is down.
const POST_EVERY: Duration = Duration::from_millis(500);

struct Region {
    code: &'static str,
    launch: Launch,
    srv: Option<Roost>,
    built: dataset::Built,
    domain: String,
    db: PathBuf,
}

pub async fn run(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    let mut regions = start(env).await?;
    let result = measure(env, figs, &mut regions).await;
    for r in regions {
        if let Some(s) = r.srv {
            if let Err(e) = s.term().await {
                tracing::warn!(region = r.code, error = %e, "region did not stop cleanly");
            }
        }
    }
    result
}

async fn start(env: &Env) -> anyhow::Result<Vec<Region>> {
    let dir = &env.dir;
    // The policy of `roost cluster init`: public posts are stored by followers' regions,
    // so each one is an outbox delivery.
    let (cluster, file) = write_cluster(dir, &cluster_cmd::default_policy())?;
    let shape = Shape::accounts_only(AUTHORS.max(FOLLOWERS));
    let mut regions = Vec::new();
    for code in CODES {
        let spec = cluster.region(code).context("region in cluster")?;
        let data = dir.join(code);
        let db = data.join("roost.sqlite");
        let built = super::build_data(&db, &shape, code, spec.number, code, env.opts.seed).await?;
        // Outbox retry and everything else at their defaults, as deployed.
        let launch = Launch {
            bin: env.bin.clone(),
            args: vec![
                "--cluster".into(),
                file.to_string_lossy().into_owned(),
                "--region".into(),
                code.into(),
                "--data-dir".into(),
                data.to_string_lossy().into_owned(),
            ],
            base: spec.base_url.clone(),
            log: dir.join(format!("{code}.log")),
            nofile: None,
            nofile_hard: None,
        };
        let srv = Some(launch.start().await?);
        regions.push(Region {
            code,
            launch,
            srv,
            built,
            domain: spec.domain(),
            db,
        });
    }
    Ok(regions)
}

fn region<'a>(regions: &'a [Region], code: &str) -> &'a Region {
    regions
        .iter()
        .find(|r| r.code == code)
        .expect("known region")
}

/// Outbox rows for the down region in the regions that stay up: (pending now, created
/// since `since_ms`).
async fn outbox(regions: &[Region], since_ms: i64) -> anyhow::Result<(i64, i64)> {
    let (mut pending, mut created) = (0, 0);
    for r in regions.iter().filter(|r| r.code != DOWN) {
        let mut c = crate::read_db(&r.db).await?;
        let (p, n): (i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(created_at >= $2), 0) \
             FROM outbox WHERE destination = $1",
        )
        .bind(DOWN)
        .bind(since_ms)
        .fetch_one(&mut c)
        .await?;
        pending += p;
        created += n;
    }
    Ok((pending, created))
}

/// Of `ids`, how many the down region holds, and how many are in its first follower's
/// home timeline.
async fn arrived(r: &Region, ids: &[i64]) -> anyhow::Result<(usize, usize)> {
    let mut c = crate::read_db(&r.db).await?;
    let have: HashSet<i64> = sqlx::query_scalar("SELECT id FROM statuses")
        .fetch_all(&mut c)
        .await?
        .into_iter()
        .collect();
    let home: HashSet<i64> =
        sqlx::query_scalar("SELECT status_id FROM home_timeline WHERE account_id = $1")
            .bind(r.built.accounts[0].0)
            .fetch_all(&mut c)
            .await?
            .into_iter()
            .collect();
    Ok((
        ids.iter().filter(|i| have.contains(i)).count(),
        ids.iter().filter(|i| home.contains(i)).count(),
    ))
}

async fn post(
    http: &reqwest::Client,
    r: &Region,
    author: usize,
    text: &str,
) -> anyhow::Result<i64> {
    let v = ok_json(
        http.post(format!("{}/api/v1/statuses", r.launch.base))
            .bearer_auth(&r.built.tokens[author])
            .json(&json!({ "status": text })),
    )
    .await?;
    Ok(v["id"].as_str().context("status id")?.parse()?)
}

/// Waits until the down region holds all of `ids`; false at the deadline.
async fn wait_arrived(r: &Region, ids: &[i64], within: Duration) -> anyhow::Result<bool> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if arrived(r, ids).await?.0 == ids.len() {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(false)
}

async fn measure(env: &Env, figs: &mut Figures, regions: &mut [Region]) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let up: Vec<&'static str> = CODES.iter().copied().filter(|c| *c != DOWN).collect();
    let down = region(regions, DOWN);
    for f in 0..FOLLOWERS {
        for code in &up {
            let r = region(regions, code);
            for a in 0..AUTHORS {
                follow(
                    &http,
                    down,
                    f,
                    &format!("{}@{}", r.built.usernames[a], r.domain),
                )
                .await?;
            }
        }
    }
    // One post per author first: the path works before anything goes down.
    let mut first = Vec::new();
    for code in &up {
        for a in 0..AUTHORS {
            first.push(post(&http, region(regions, code), a, "before the outage").await?);
        }
    }
    if !wait_arrived(down, &first, Duration::from_secs(60)).await? {
        bail!("posts made before the outage did not reach {DOWN} within 60 s");
    }

    let since_ms = jiff::Timestamp::now().as_millisecond();
    let idx = regions.iter().position(|r| r.code == DOWN).expect("known");
    regions[idx]
        .srv
        .take()
        .context("down region runs")?
        .term()
        .await?;
    let t_down = Instant::now();
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let mut tasks = Vec::new();
    for code in &up {
        for a in 0..AUTHORS {
            let r = region(regions, code);
            let (http, base, token) = (
                http.clone(),
                r.launch.base.clone(),
                r.built.tokens[a].clone(),
            );
            let acked = acked.clone();
            let until = t_down + env.plan.down;
            tasks.push(tokio::spawn(async move {
                for n in 0..100_000 {
                    if Instant::now() >= until {
                        break;
                    }
                    let req = http
                        .post(format!("{base}/api/v1/statuses"))
                        .bearer_auth(&token)
                        .json(&json!({ "status": format!("while {DOWN} is down, {n}") }));
                    if let Ok(v) = ok_json(req).await {
                        if let Some(id) = v["id"].as_str().and_then(|s| s.parse().ok()) {
                            acked.lock().expect("no panics while held").push(id);
                        }
                    }
                    tokio::time::sleep(POST_EVERY).await;
                }
            }));
        }
    }
    let mut peak_pending = 0;
    while t_down.elapsed() < env.plan.down {
        peak_pending = peak_pending.max(outbox(regions, since_ms).await?.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for t in tasks {
        t.await?;
    }
    let ids = std::mem::take(&mut *acked.lock().expect("no panics while held"));
    let (pending_before, queued) = outbox(regions, since_ms).await?;
    peak_pending = peak_pending.max(pending_before);

    let srv = regions[idx].launch.start().await?;
    let restart = srv.ready_after;
    let out_for = t_down.elapsed();
    regions[idx].srv = Some(srv);
    let t_back = Instant::now();
    let limit = 2 * env.plan.down + Duration::from_secs(60);
    let (mut all_in, mut drained) = (None, None);
    let (mut got, mut home, mut pending) = (0, 0, pending_before);
    while t_back.elapsed() < limit && (all_in.is_none() || drained.is_none()) {
        (got, home) = arrived(&regions[idx], &ids).await?;
        pending = outbox(regions, since_ms).await?.0;
        if all_in.is_none() && got == ids.len() {
            all_in = Some(t_back.elapsed());
        }
        if drained.is_none() && pending == 0 {
            drained = Some(t_back.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    figs.add(
        "outage",
        format!(
            "{DOWN} stopped (SIGTERM) for {} while {} authors in {} posted every {} ms",
            secs(out_for),
            AUTHORS * up.len(),
            up.join(" and "),
            POST_EVERY.as_millis()
        ),
        "60 s down",
    );
    figs.add(
        "deliveries queued for the down region",
        format!(
            "{queued} outbox rows for {} acknowledged posts; {pending_before} still pending at return (peak {peak_pending})",
            ids.len()
        ),
        "189",
    );
    figs.add(
        "arrived after return",
        format!(
            "{got} of {} ({} lost); {home} in a follower's home timeline",
            ids.len(),
            ids.len() - got
        ),
        "0 of 189 lost",
    );
    figs.add(
        "outbox drained after the region came back",
        match (drained, all_in) {
            (Some(d), Some(a)) => format!("{} (all posts in by {})", secs(d), secs(a)),
            _ => format!("not within {}: {pending} still pending", secs(limit)),
        },
        "32 s after return",
    );
    figs.add(
        "region restart: spawn to first answered /health",
        secs(restart),
        "",
    );
    Ok(())
}

/// Account `f` of the down region follows `handle`; waits until it is accepted.
async fn follow(http: &reqwest::Client, r: &Region, f: usize, handle: &str) -> anyhow::Result<()> {
    let base = &r.launch.base;
    let token = &r.built.tokens[f];
    let a = ok_json(
        http.get(format!("{base}/api/v1/accounts/lookup?acct={handle}"))
            .bearer_auth(token),
    )
    .await
    .with_context(|| format!("looking up {handle}"))?;
    let id = a["id"].as_str().context("account id")?.to_string();
    ok_json(
        http.post(format!("{base}/api/v1/accounts/{id}/follow"))
            .bearer_auth(token)
            .json(&json!({})),
    )
    .await
    .with_context(|| format!("following {handle}"))?;
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        let rel = ok_json(
            http.get(format!("{base}/api/v1/accounts/relationships?id[]={id}"))
                .bearer_auth(token),
        )
        .await?;
        if rel[0]["following"].as_bool() == Some(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the follow of {handle} was not accepted within 30 s")
}
