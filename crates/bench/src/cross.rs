//! Cross-region: three regions in their own processes with a delay injected each way
//! between them; the home timeline of a user who follows accounts in all three, under a
//! `store` and a `transit` policy, next to a user who follows only local accounts.

use crate::dataset::{self, Shape};
use crate::report::CrossRow;
use crate::server::Server;
use anyhow::{bail, Context};
use roost_residency::{Action, DataClass, Policy};
use roost_server::cluster_cmd::{self, RegionPlan};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) const CODES: [&str; 3] = ["in", "id", "cn"];

pub struct CrossOptions {
    pub bin: PathBuf,
    pub root: PathBuf,
    pub delay_ms: u64,
    /// Accounts followed in each region.
    pub followed_per_region: usize,
    pub posts_each: usize,
    pub requests: usize,
}

/// The policies compared, by name.
fn policies() -> Vec<(&'static str, Policy)> {
    let with = |public: &str, private: &str| {
        let mut p = Policy::default();
        for c in DataClass::ALL {
            let a = match c {
                DataClass::Identity => continue,
                DataClass::PublicContent => public,
                DataClass::PrivateContent => private,
                _ => "store",
            };
            p.default.insert(c, Action::parse(a).expect("valid action"));
        }
        p
    };
    vec![
        ("store", with("store", "store")),
        ("transit", with("transit", "transit")),
        (
            "default policy (public store, private transit)",
            cluster_cmd::default_policy(),
        ),
    ]
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One running region of a cluster.
struct Region {
    code: &'static str,
    server: Server,
    domain: String,
    /// Its accounts, `{code}{i}` with a known token.
    built: dataset::Built,
}

struct Cluster {
    regions: Vec<Region>,
}

impl Cluster {
    fn region(&self, code: &str) -> &Region {
        self.regions
            .iter()
            .find(|r| r.code == code)
            .expect("known region")
    }
    async fn stop(self) {
        for r in self.regions {
            if let Err(e) = r.server.stop().await {
                tracing::warn!(region = r.code, error = %e, "region did not stop cleanly");
            }
        }
    }
}

/// A cluster file of the three regions on free loopback ports, written to
/// `dir/cluster.toml` with keys under `dir`: the cluster and the file's path.
pub(crate) fn write_cluster(
    dir: &Path,
    policy: &Policy,
) -> anyhow::Result<(roost_residency::Cluster, std::path::PathBuf)> {
    let mut plans = Vec::new();
    for code in CODES {
        plans.push(RegionPlan {
            code: code.into(),
            name: code.to_uppercase(),
            jurisdiction: code.to_uppercase(),
            base_url: format!("http://127.0.0.1:{}", free_port()?),
            time_zone: "UTC".into(),
        });
    }
    let cluster = cluster_cmd::init(dir, &plans, policy)?;
    let file = dir.join("cluster.toml");
    std::fs::write(&file, cluster.to_toml())?;
    Ok((cluster, file))
}

async fn start_cluster(
    o: &CrossOptions,
    dir: &Path,
    policy: &Policy,
    accounts: usize,
) -> anyhow::Result<Cluster> {
    let (cluster, file) = write_cluster(dir, policy)?;
    let shape = Shape::accounts_only(accounts);
    let mut regions = Vec::new();
    for code in CODES {
        let spec = cluster.region(code).context("region in cluster")?;
        let data = dir.join(code);
        let b = dataset::build(
            &data.join("roost.sqlite"),
            &shape,
            code,
            spec.number,
            code,
            1,
        )
        .await?;
        let file = file.to_string_lossy().into_owned();
        let data = data.to_string_lossy().into_owned();
        let delay = o.delay_ms.to_string();
        let args: Vec<String> = [
            "--cluster",
            file.as_str(),
            "--region",
            code,
            "--data-dir",
            data.as_str(),
            "--inter-region-delay-ms",
            delay.as_str(),
            "--transit-cache-ms",
            "0",
            "--outbox-retry-ms",
            "100",
            "--view-flush-secs",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let log = dir.join(format!("{code}.log"));
        regions.push(Region {
            code,
            server: Server::start(&o.bin, &args, &log).await?,
            domain: spec.domain(),
            built: b,
        });
    }
    Ok(Cluster { regions })
}

pub(crate) async fn ok_json(r: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let r = r.send().await?;
    let status = r.status();
    let body = r.text().await?;
    if !status.is_success() {
        bail!("{status}: {body}");
    }
    Ok(serde_json::from_str(&body)?)
}

struct Acct {
    token: String,
    username: String,
}

pub async fn run(o: &CrossOptions) -> anyhow::Result<Vec<CrossRow>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let accounts = 2 + 3 * o.followed_per_region;
    let mut rows = Vec::new();
    for (i, (name, policy)) in policies().into_iter().enumerate() {
        let dir = o.root.join(format!("cluster-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let c = start_cluster(o, &dir, &policy, accounts).await?;
        let result = measure(o, &http, &c, name, i == 0).await;
        c.stop().await;
        rows.extend(result.with_context(|| format!("cross-region under {name}"))?);
    }
    Ok(rows)
}

async fn measure(
    o: &CrossOptions,
    http: &reqwest::Client,
    c: &Cluster,
    name: &str,
    with_local: bool,
) -> anyhow::Result<Vec<CrossRow>> {
    let k = o.followed_per_region;
    let acct = |code: &str, i: usize| -> anyhow::Result<Acct> {
        let b = &c.region(code).built;
        Ok(Acct {
            token: b.tokens.get(i).context("account")?.clone(),
            username: b.usernames[i].clone(),
        })
    };
    let home = "in";
    let viewer = acct(home, 0)?;
    let local_viewer = acct(home, 1)?;
    // Who follows whom: the viewer k accounts per region, the local viewer 3k in `in`.
    let mut follows: Vec<(&Acct, String, String)> = Vec::new();
    for code in CODES {
        for j in 0..k {
            let a = acct(code, 2 + j)?;
            let handle = if code == home {
                a.username.clone()
            } else {
                format!("{}@{}", a.username, c.region(code).domain)
            };
            follows.push((&viewer, handle, code.to_string()));
        }
    }
    if with_local {
        for j in 0..3 * k {
            follows.push((&local_viewer, acct(home, 2 + j)?.username, home.to_string()));
        }
    }
    let base = c.region(home).server.base_url.clone();
    for (who, handle, _) in &follows {
        let a = ok_json(
            http.get(format!("{base}/api/v1/accounts/lookup?acct={handle}"))
                .bearer_auth(&who.token),
        )
        .await
        .with_context(|| format!("looking up {handle}"))?;
        let id = a["id"].as_str().context("account id")?.to_string();
        ok_json(
            http.post(format!("{base}/api/v1/accounts/{id}/follow"))
                .bearer_auth(&who.token)
                .json(&json!({})),
        )
        .await
        .with_context(|| format!("following {handle}"))?;
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let rel = ok_json(
                http.get(format!("{base}/api/v1/accounts/relationships?id[]={id}"))
                    .bearer_auth(&who.token),
            )
            .await?;
            if rel[0]["following"].as_bool() == Some(true) {
                break;
            }
            if Instant::now() > until {
                bail!("the follow of {handle} was not accepted within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Posts, round by round across regions so the newest page mixes all three.
    let posters: Vec<(String, usize, Acct)> = {
        let mut v = Vec::new();
        for code in CODES {
            let n = if code == home && with_local { 3 * k } else { k };
            for j in 0..n {
                v.push((code.to_string(), j, acct(code, 2 + j)?));
            }
        }
        v
    };
    let mut last_round = Vec::new();
    for round in 0..o.posts_each {
        for (code, j, a) in &posters {
            let s = ok_json(
                http.post(format!(
                    "{}/api/v1/statuses",
                    c.region(code).server.base_url
                ))
                .bearer_auth(&a.token)
                .json(&json!({"status": format!("round {round} from {}", a.username)})),
            )
            .await?;
            // The viewer follows the first k of each region.
            if round + 1 == o.posts_each && *j < k {
                last_round.push(s["id"].as_str().context("status id")?.to_string());
            }
        }
    }
    // Wait until the viewer's home timeline holds the last round from every region.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let page = ok_json(
            http.get(format!("{base}/api/v1/timelines/home?limit=40"))
                .bearer_auth(&viewer.token),
        )
        .await?;
        let ids: Vec<&str> = page
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["id"].as_str()).collect())
            .unwrap_or_default();
        if last_round.iter().all(|id| ids.contains(&id.as_str())) {
            break;
        }
        if Instant::now() > until {
            bail!(
                "home timeline never showed all regions' posts ({} of {})",
                last_round
                    .iter()
                    .filter(|id| ids.contains(&id.as_str()))
                    .count(),
                last_round.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Local reads are fast and noisy: more of them.
    let many = 4 * o.requests;
    let mut rows = Vec::new();
    if with_local {
        rows.push(time_home(http, &base, &local_viewer, many, "all local (one region)").await?);
    }
    rows.push(
        time_home(
            http,
            &base,
            &viewer,
            if name == "store" { many } else { o.requests },
            &format!("3 regions, {name}"),
        )
        .await?,
    );
    Ok(rows)
}

async fn time_home(
    http: &reqwest::Client,
    base: &str,
    who: &Acct,
    requests: usize,
    setup: &str,
) -> anyhow::Result<CrossRow> {
    let url = format!("{base}/api/v1/timelines/home?limit=20");
    let mut times = Vec::with_capacity(requests);
    let mut errors = 0;
    let mut regions = std::collections::BTreeSet::new();
    for i in 0..requests + 3 {
        let t0 = Instant::now();
        let r = http.get(&url).bearer_auth(&who.token).send().await;
        let ok = match r {
            Ok(r) if r.status().is_success() => {
                let v: Value = r.json().await.unwrap_or(Value::Null);
                for s in v.as_array().into_iter().flatten() {
                    if let Some(h) = s["roost"]["home_region"].as_str() {
                        regions.insert(h.to_string());
                    }
                }
                true
            }
            _ => false,
        };
        // The first three are warm-up.
        if i >= 3 {
            if ok {
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            } else {
                errors += 1;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        if times.is_empty() {
            0.0
        } else {
            times[((times.len() - 1) as f64 * q).round() as usize]
        }
    };
    Ok(CrossRow {
        setup: setup.to_string(),
        requests,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        mean_ms: times.iter().sum::<f64>() / times.len().max(1) as f64,
        errors,
        regions_seen: regions.into_iter().collect(),
    })
}
