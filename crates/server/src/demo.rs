//! `roost demo`: three regions — India (`in`), Indonesia (`id`) and China (`cn`) — on
//! loopback, each with its own port and data dir under one folder, sharing a cluster file
//! whose policy uses `store`, `store:30d`, `transit` and `deny`. A few dozen users per
//! region follow each other across regions and post in English and Chinese with hashtags,
//! replies, quotes, likes and boosts; then the audit checks every region. The caller keeps
//! the regions running until interrupted.
//!
//! Everything goes through the use cases (and so through the residency gate), as a real
//! client's actions would. Seeding is idempotent: running again on the same folder reuses
//! its keys, its ports when they are free, and its accounts and posts.

use crate::audit::{AuditOptions, AuditReport};
use crate::cluster_cmd::{self, RegionPlan};
use crate::config::Config;
use crate::Running;
use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roost_core::model::{Account, OutboxState, Page, Visibility};
use roost_core::usecase::PostStatus;
use roost_core::{CoreError, Id, Roost};
use roost_residency::{Action, Cluster, DataClass, Policy};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The one password of every demo account.
pub const PASSWORD: &str = "roost-demo-pass";
/// Enough for a lively timeline; start-up stays well under 30 s on two cores.
pub const DEFAULT_USERS_PER_REGION: usize = 24;
/// How long cross-region follows, posts and the outboxes may take to settle.
const SETTLE: Duration = Duration::from_secs(45);

pub struct DemoOptions {
    /// Folder for the cluster file, each region's data dir and the audit's saved heads.
    pub root: PathBuf,
    pub users_per_region: usize,
    /// Picks who follows whom and what they post; the same seed gives the same demo.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            root: PathBuf::from("roost-demo"),
            users_per_region: DEFAULT_USERS_PER_REGION,
            seed: 1,
        }
    }
}

/// The running demo.
pub struct Demo {
    /// In the order `in`, `id`, `cn`.
    pub regions: Vec<(String, Running)>,
    pub cluster_file: PathBuf,
    /// Base URLs, log-ins, policy, what was seeded and the audit's verdict.
    pub summary: String,
}

impl Demo {
    /// Stops every region.
    pub async fn stop(self) {
        stop_all(self.regions).await;
    }
}

struct RegionInfo {
    code: &'static str,
    name: &'static str,
    jurisdiction: &'static str,
    time_zone: &'static str,
    cities: [&'static str; 6],
    names: [&'static str; 12],
}

const REGIONS: [RegionInfo; 3] = [
    RegionInfo {
        code: "in",
        name: "India",
        jurisdiction: "IN",
        time_zone: "Asia/Kolkata",
        cities: ["Mumbai", "Delhi", "Bengaluru", "Chennai", "Kolkata", "Pune"],
        names: [
            "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Arjun", "Kavya", "Ishaan",
            "Diya", "Kabir", "Saanvi",
        ],
    },
    RegionInfo {
        code: "id",
        name: "Indonesia",
        jurisdiction: "ID",
        time_zone: "Asia/Jakarta",
        cities: [
            "Jakarta",
            "Surabaya",
            "Bandung",
            "Medan",
            "Yogyakarta",
            "Denpasar",
        ],
        names: [
            "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Eko", "Ayu", "Fajar", "Indah",
            "Hendra", "Sari",
        ],
    },
    RegionInfo {
        code: "cn",
        name: "China",
        jurisdiction: "CN",
        time_zone: "Asia/Shanghai",
        cities: ["北京", "上海", "深圳", "成都", "杭州", "广州"],
        names: [
            "王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周杰", "吴婷", "徐明",
            "孙悦",
        ],
    },
];

/// Post templates per region: (language, text); `{city}` is the author's city.
fn templates(code: &str) -> &'static [(&'static str, &'static str)] {
    match code {
        "in" => &[
            ("en", "Hello from {city} #roost"),
            (
                "en",
                "Monsoon evening and cutting chai in {city} #chai #monsoon",
            ),
            ("en", "Cricket tonight — who is watching? #cricket"),
            (
                "en",
                "My posts stay in India, my friends can be anywhere #roost #residency",
            ),
            (
                "en",
                "Weekend plan: dosa, then a long walk by the sea #weekend #food",
            ),
            ("zh", "你好，世界 #小米"),
            ("zh", "第一次学中文，请多指教 #学中文"),
        ],
        "id" => &[
            ("en", "Selamat pagi from {city}! #roost"),
            ("en", "Kopi susu and rain in {city} #kopi"),
            ("en", "Nasi goreng or mie goreng? Asking for a friend #food"),
            ("en", "Sunset at the beach after work #sunset #weekend"),
            (
                "en",
                "Trying a microblog that keeps my data at home #roost #residency",
            ),
            ("zh", "你好，世界 #小米"),
            ("zh", "雅加达今天很热 #天气"),
        ],
        _ => &[
            ("zh", "你好，世界 #小米"),
            ("zh", "{city}今天天气不错，适合出去走走 #周末"),
            ("zh", "晚上吃火锅 #火锅 #美食"),
            ("zh", "在 roost 上发帖，数据留在本地 #roost #数据驻留"),
            ("zh", "新手报到，请多关照 #你好"),
            ("en", "Hello from {city}! Practising my English here #roost"),
            ("en", "Tea or coffee this morning? #tea"),
        ],
    }
}

const REPLIES: [(&str, &str); 6] = [
    ("en", "Nice one! 👍"),
    ("en", "Same here — greetings from {city}! #roost"),
    ("en", "Love this #roost"),
    ("zh", "同意！"),
    ("zh", "说得好 👍"),
    ("zh", "我也是！来自{city}的问候 #roost"),
];

const QUOTES: [(&str, &str); 2] = [
    ("en", "Worth a read 👇 #roost"),
    ("zh", "推荐一下 👇 #好文"),
];

/// What each region's users' data may do elsewhere. Every action appears: `store`
/// (with and without a retention), `transit` and `deny`.
fn policy_for(code: &str) -> Policy {
    // Public content, engagement, graph and counts stored anywhere; private content transit.
    let mut p = cluster_cmd::default_policy();
    let store = Action::Store { max_secs: None };
    match code {
        "in" => {
            p.to.insert(
                "id".into(),
                BTreeMap::from([
                    (DataClass::PublicContent, store),
                    (DataClass::SocialGraph, store),
                    (DataClass::Aggregate, store),
                    (
                        DataClass::Engagement,
                        Action::Store {
                            max_secs: Some(30 * 24 * 3600),
                        },
                    ),
                ]),
            );
            p.to.insert(
                "cn".into(),
                BTreeMap::from([(DataClass::PublicContent, Action::Transit)]),
            );
        }
        "id" => {
            p.to.insert(
                "cn".into(),
                BTreeMap::from([(DataClass::PublicContent, Action::Deny)]),
            );
        }
        // cn: the defaults, so its public posts are kept everywhere.
        _ => {}
    }
    p
}

/// Starts the regions, seeds them, audits; returns the running regions and the text to print.
pub async fn start(opts: &DemoOptions) -> anyhow::Result<Demo> {
    let n = opts.users_per_region;
    anyhow::ensure!((2..=99).contains(&n), "users per region must be 2 to 99");
    std::fs::create_dir_all(&opts.root)
        .with_context(|| format!("creating {}", opts.root.display()))?;
    // Absolute, so the cluster file's data dirs work from any directory.
    let root = std::fs::canonicalize(&opts.root)?;
    let cluster_file = root.join("cluster.toml");
    let previous = Cluster::load(&cluster_file).ok();

    // Every port first: each region's entry in the cluster names all of them.
    let mut listeners = Vec::new();
    for r in &REGIONS {
        listeners.push(bind(previous.as_ref(), r.code).await?);
    }
    let mut plans = Vec::new();
    for (r, l) in REGIONS.iter().zip(&listeners) {
        plans.push(RegionPlan {
            code: r.code.into(),
            name: r.name.into(),
            jurisdiction: r.jurisdiction.into(),
            base_url: format!("http://{}", l.local_addr()?),
            time_zone: r.time_zone.into(),
        });
    }
    let mut cluster = cluster_cmd::init(&root, &plans, &cluster_cmd::default_policy())?;
    for spec in cluster.regions.values_mut() {
        spec.policy = policy_for(&spec.code);
    }
    // What the regions run with is exactly what the file says.
    let cluster = Arc::new(Cluster::from_toml(&cluster.to_toml())?);
    std::fs::write(&cluster_file, cluster.to_toml())
        .with_context(|| format!("writing {}", cluster_file.display()))?;

    let mut regions: Vec<(String, Running)> = Vec::new();
    for (r, listener) in REGIONS.iter().zip(listeners) {
        let started = async {
            let mut cfg = Config::for_region(cluster.clone(), r.code, &root.join(r.code))?;
            // Demo data: the WAL without an fsync per commit makes seeding several times faster.
            cfg.sqlite_sync_full = false;
            // Loopback peers are up at once; a failed delivery need not wait 2 s.
            cfg.outbox_retry = Duration::from_millis(200);
            cfg.title = format!("roost {} (demo)", r.name);
            anyhow::Ok(crate::start_on(cfg, listener).await?)
        };
        match started.await {
            Ok(running) => regions.push((r.code.to_string(), running)),
            Err(e) => {
                stop_all(regions).await;
                return Err(e.context(format!("starting region {}", r.code)));
            }
        }
    }

    let roosts: Vec<Arc<Roost>> = regions.iter().map(|(_, r)| r.roost.clone()).collect();
    match seed_and_audit(&root, &cluster, roosts, opts).await {
        Ok(tail) => {
            let mut summary = String::new();
            for (code, r) in &regions {
                let _ = writeln!(summary, "{code} {}", r.base_url);
            }
            summary.push_str(&tail);
            Ok(Demo {
                regions,
                cluster_file,
                summary,
            })
        }
        Err(e) => {
            stop_all(regions).await;
            Err(e)
        }
    }
}

async fn stop_all(regions: Vec<(String, Running)>) {
    for (_, r) in regions {
        r.stop().await;
    }
}

/// The port the region had in the folder's last run when it is free (stored foreign
/// accounts and pending deliveries name it), else any free port.
async fn bind(previous: Option<&Cluster>, code: &str) -> anyhow::Result<TcpListener> {
    let old: Option<SocketAddr> = previous
        .and_then(|c| c.region(code))
        .and_then(|r| r.domain().parse().ok())
        .filter(|a: &SocketAddr| a.ip().is_loopback() && a.port() != 0);
    if let Some(addr) = old {
        if let Ok(l) = TcpListener::bind(addr).await {
            return Ok(l);
        }
        tracing::warn!(region = code, %addr, "last run's port is taken; using another");
    }
    TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding a loopback port")
}

/// A user by (region index, user index).
type Who = (usize, usize);

#[derive(Clone, Copy)]
struct Post {
    author: Who,
    id: Id,
    public: bool,
}

#[derive(Default)]
struct Stats {
    follows_local: usize,
    follows_cross: usize,
    posts: usize,
    replies: usize,
    quotes: usize,
    likes: usize,
    boosts: usize,
}

fn username(region: usize, i: usize) -> String {
    format!("{}_user{:02}", REGIONS[region].code, i + 1)
}

fn city(region: usize, i: usize) -> &'static str {
    REGIONS[region].cities[i % REGIONS[region].cities.len()]
}

fn key(parts: &[&dyn std::fmt::Display]) -> String {
    let mut k = String::from("demo");
    for p in parts {
        let _ = write!(k, "-{p}");
    }
    k
}

/// Seeds all regions, waits until every crossing has settled, audits; returns the summary
/// after the base URLs.
async fn seed_and_audit(
    root: &Path,
    cluster: &Arc<Cluster>,
    roosts: Vec<Arc<Roost>>,
    opts: &DemoOptions,
) -> anyhow::Result<String> {
    let n = opts.users_per_region;
    let started = Instant::now();
    // Seeded, so the same seed gives the same demo (with the locked `rand` version).
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let domains: Vec<String> = REGIONS
        .iter()
        .map(|r| {
            cluster
                .region(r.code)
                .map(|s| s.domain())
                .unwrap_or_default()
        })
        .collect();
    let mut stats = Stats::default();

    let users = create_accounts(&roosts, n).await?;

    // Who follows whom: everyone follows user01 of every region (so each has an audience
    // everywhere), two local neighbours, and one more user of each other region.
    let mut plan: BTreeMap<Who, BTreeSet<Who>> = BTreeMap::new();
    for r in 0..REGIONS.len() {
        for i in 0..n {
            let mut targets = BTreeSet::new();
            for r2 in 0..REGIONS.len() {
                targets.insert((r2, 0));
                if r2 == r {
                    targets.insert((r, (i + 1) % n));
                    targets.insert((r, (i + 3) % n));
                } else {
                    targets.insert((r2, 1 + rng.gen_range(0..n - 1)));
                }
            }
            targets.remove(&(r, i));
            plan.insert((r, i), targets);
        }
    }
    let foreign = follow_all(&roosts, &users, &domains, &plan).await?;
    stats.follows_cross = foreign.len();
    stats.follows_local = plan.values().map(|t| t.len()).sum::<usize>() - foreign.len();
    // A cross-region follow is a request until the target region's Accept arrives.
    wait_follows(&roosts, &foreign).await?;

    // Two posts each, mostly in the region's usual language; some followers-only.
    let mut post_jobs = Vec::new();
    for (r, region) in REGIONS.iter().enumerate() {
        let t = templates(region.code);
        for i in 0..n {
            for k in 0..2 {
                let (lang, text) = t[rng.gen_range(0..t.len())];
                let private = k == 1 && i % 6 == 5;
                post_jobs.push(((r, i), k, lang, text.replace("{city}", city(r, i)), private));
            }
        }
    }
    let posts = {
        let mut set = JoinSet::new();
        for ((r, i), k, lang, text, private) in post_jobs {
            let roost = roosts[r].clone();
            let author = users[r][i].clone();
            let idem = key(&[&"post", &opts.seed, &author.username, &k]);
            set.spawn(async move {
                let v = roost
                    .post_status(
                        &author,
                        PostStatus {
                            text,
                            language: Some(lang.into()),
                            visibility: Some(if private {
                                Visibility::Private
                            } else {
                                Visibility::Public
                            }),
                            idempotency_key: Some(idem),
                            ..Default::default()
                        },
                    )
                    .await
                    .with_context(|| format!("{} posting", author.username))?;
                anyhow::Ok((
                    (r, i, k),
                    Post {
                        author: (r, i),
                        id: v.status.id,
                        public: !private,
                    },
                ))
            });
        }
        let mut posts = join_all(set).await?;
        // Completion order varies; the plan below must not.
        posts.sort_by_key(|(k, _)| *k);
        posts.into_iter().map(|(_, p)| p).collect::<Vec<Post>>()
    };
    stats.posts = posts.len();

    // Replies, quotes, likes and boosts of followed users' public posts, where the post is
    // kept in the actor's region and the policy lets the action cross back.
    let kept_at = |post_region: usize, actor_region: usize| {
        post_region == actor_region
            || cluster
                .decide(
                    REGIONS[post_region].code,
                    REGIONS[actor_region].code,
                    DataClass::PublicContent,
                )
                .persist()
    };
    let may_send = |actor_region: usize, post_region: usize, class: DataClass| {
        actor_region == post_region
            || cluster
                .decide(REGIONS[actor_region].code, REGIONS[post_region].code, class)
                .allowed()
    };
    let mut acts: Vec<(Who, Act, Post)> = Vec::new();
    for (&actor, targets) in &plan {
        let seen: Vec<Post> = posts
            .iter()
            .filter(|p| p.public && targets.contains(&p.author) && kept_at(p.author.0, actor.0))
            .copied()
            .collect();
        let pick = |rng: &mut StdRng, class: DataClass| -> Option<Post> {
            let ok: Vec<&Post> = seen
                .iter()
                .filter(|p| may_send(actor.0, p.author.0, class))
                .collect();
            (!ok.is_empty()).then(|| *ok[rng.gen_range(0..ok.len())])
        };
        if let Some(p) = pick(&mut rng, DataClass::PublicContent) {
            acts.push((actor, Act::Reply(rng.gen_range(0..REPLIES.len())), p));
        }
        for _ in 0..2 {
            if let Some(p) = pick(&mut rng, DataClass::Engagement) {
                acts.push((actor, Act::Like, p));
            }
        }
        if actor.1 % 4 == 0 {
            if let Some(p) = pick(&mut rng, DataClass::PublicContent) {
                acts.push((actor, Act::Quote(rng.gen_range(0..QUOTES.len())), p));
            }
        }
        if actor.1 % 3 == 1 {
            if let Some(p) = pick(&mut rng, DataClass::Engagement) {
                acts.push((actor, Act::Boost, p));
            }
        }
    }
    // Foreign posts must have arrived before anyone can answer them.
    let needed: BTreeSet<(usize, Id)> = acts
        .iter()
        .filter(|(a, _, p)| a.0 != p.author.0)
        .map(|(a, _, p)| (a.0, p.id))
        .collect();
    wait_posts(&roosts, &needed).await?;
    let done = act_all(&roosts, &users, acts).await?;
    for act in done {
        match act {
            Act::Reply(_) => stats.replies += 1,
            Act::Quote(_) => stats.quotes += 1,
            Act::Like => stats.likes += 1,
            Act::Boost => stats.boosts += 1,
        }
    }

    let mut shown = Vec::new();
    shown.push(try_denied_reply(cluster, &roosts, &users, &posts).await?);
    shown.push(read_transit(cluster, &roosts, &users, &plan).await?);

    wait_outboxes(&roosts).await?;
    let seeded_in = started.elapsed();

    let report = crate::audit::run(&AuditOptions {
        cluster: (**cluster).clone(),
        heads_file: root.join("audit-heads.json"),
        data_dirs: REGIONS
            .iter()
            .map(|r| (r.code.to_string(), root.join(r.code)))
            .collect(),
        media_s3: Default::default(),
        databases: Default::default(),
    })
    .await
    .context("auditing the demo cluster")?;

    let mut out = String::new();
    out.push('\n');
    let _ = writeln!(out, "log-ins (password {PASSWORD}; username or e-mail):");
    for (r, region) in REGIONS.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<9} {} … {}   e-mail {}@demo.invalid …",
            region.name,
            username(r, 0),
            username(r, n - 1),
            username(r, 0),
        );
    }
    out.push('\n');
    let _ = writeln!(out, "policy ({}):", root.join("cluster.toml").display());
    for home in &REGIONS {
        for dest in REGIONS.iter().filter(|d| d.code != home.code) {
            let rules: Vec<String> = DataClass::ALL
                .iter()
                .filter(|c| **c != DataClass::Identity)
                .map(|c| format!("{c} {}", cluster.decide(home.code, dest.code, *c).action))
                .collect();
            let _ = writeln!(
                out,
                "  {} -> {}: {}",
                home.code,
                dest.code,
                rules.join(", ")
            );
        }
    }
    let _ = writeln!(out, "  identity data never leaves its home region");
    out.push('\n');
    let _ = writeln!(
        out,
        "seeded in {:.1} s: {} users, {} follows ({} across regions), {} posts, {} replies, \
         {} quotes, {} likes, {} boosts",
        seeded_in.as_secs_f64(),
        n * REGIONS.len(),
        stats.follows_local + stats.follows_cross,
        stats.follows_cross,
        stats.posts,
        stats.replies,
        stats.quotes,
        stats.likes,
        stats.boosts,
    );
    for line in shown.into_iter().flatten() {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
    out.push_str(&verdict(&report));
    Ok(out)
}

/// The audit's verdict: its first and `VERDICT` lines when clean, the whole report otherwise.
fn verdict(report: &AuditReport) -> String {
    let text = report.render();
    if !report.is_clean() {
        return format!("{}\n", text.trim_end());
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = String::new();
    for l in [lines.first(), lines.last()].into_iter().flatten() {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Creates the accounts that do not exist yet (argon2 hashing runs on the blocking pool,
/// so all of them at once use every core); returns users\[region\]\[i\].
async fn create_accounts(roosts: &[Arc<Roost>], n: usize) -> anyhow::Result<Vec<Vec<Account>>> {
    let mut set = JoinSet::new();
    for (r, roost) in roosts.iter().enumerate() {
        for i in 0..n {
            let roost = roost.clone();
            set.spawn(async move {
                let name = username(r, i);
                if let Ok(a) = roost.lookup(&name).await {
                    return anyhow::Ok((r, i, a));
                }
                let a = roost
                    .admin_create_account(&name, &format!("{name}@demo.invalid"), PASSWORD)
                    .await
                    .with_context(|| format!("creating {name}"))?;
                let info = &REGIONS[r];
                let display = format!("{} · {}", info.names[i % info.names.len()], city(r, i));
                let note = match info.code {
                    "cn" => format!("住在{}。roost 演示账号 #roost", city(r, i)),
                    _ => format!("Demo account from {}, {} #roost", city(r, i), info.name),
                };
                // Before any follow, so no other region needs to hear of the change.
                let a = roost
                    .update_profile(&a, Some(display), Some(note), None, None, None)
                    .await
                    .with_context(|| format!("profile of {name}"))?;
                anyhow::Ok((r, i, a))
            });
        }
    }
    let mut users: Vec<Vec<Option<Account>>> = vec![vec![None; n]; roosts.len()];
    for (r, i, a) in join_all(set).await? {
        users[r][i] = Some(a);
    }
    Ok(users
        .into_iter()
        .map(|v| v.into_iter().flatten().collect())
        .collect())
}

/// Follows as planned, one task per follower; returns the cross-region follows as
/// (follower region, follower, target as known there).
async fn follow_all(
    roosts: &[Arc<Roost>],
    users: &[Vec<Account>],
    domains: &[String],
    plan: &BTreeMap<Who, BTreeSet<Who>>,
) -> anyhow::Result<Vec<(usize, Id, Id)>> {
    let mut set = JoinSet::new();
    for (&(r, i), targets) in plan {
        let roost = roosts[r].clone();
        let me = users[r][i].clone();
        let targets: Vec<(bool, String)> = targets
            .iter()
            .map(|&(r2, j)| {
                let u = &users[r2][j].username;
                if r2 == r {
                    (false, u.clone())
                } else {
                    (true, format!("{u}@{}", domains[r2]))
                }
            })
            .collect();
        set.spawn(async move {
            let mut cross = Vec::new();
            for (foreign, acct) in targets {
                // A foreign account resolves through its home region (its address at least).
                let t = roost
                    .lookup(&acct)
                    .await
                    .with_context(|| format!("{} looking up {acct}", me.username))?;
                let rel = roost.relationship(me.id, t.id).await?;
                if !rel.following && !rel.requested {
                    roost
                        .follow(&me, t.id, None, None)
                        .await
                        .with_context(|| format!("{} following {acct}", me.username))?;
                }
                if foreign {
                    cross.push((r, me.id, t.id));
                }
            }
            anyhow::Ok(cross)
        });
    }
    Ok(join_all(set).await?.into_iter().flatten().collect())
}

/// Polls `pending` (which drops what has settled) until nothing is left, or fails with
/// `what` after [`SETTLE`].
async fn settle<T, F, Fut>(mut pending: Vec<T>, what: &str, mut still: F) -> anyhow::Result<()>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<T>>>,
{
    let deadline = Instant::now() + SETTLE;
    loop {
        pending = still(pending).await?;
        if pending.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} {what} within {} s", pending.len(), SETTLE.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Until every cross-region follow is accepted.
async fn wait_follows(roosts: &[Arc<Roost>], follows: &[(usize, Id, Id)]) -> anyhow::Result<()> {
    settle(
        follows.to_vec(),
        "cross-region follows were not accepted",
        |pending| async move {
            let mut still = Vec::new();
            for (r, follower, target) in pending {
                if !roosts[r].relationship(follower, target).await?.following {
                    still.push((r, follower, target));
                }
            }
            Ok(still)
        },
    )
    .await
}

/// Until each (region, post) is kept in that region.
async fn wait_posts(roosts: &[Arc<Roost>], needed: &BTreeSet<(usize, Id)>) -> anyhow::Result<()> {
    let pending: Vec<(usize, Id)> = needed.iter().copied().collect();
    settle(
        pending,
        "posts did not reach the regions of their followers",
        |pending| async move {
            let mut still = Vec::new();
            for (r, id) in pending {
                if roosts[r].store().status(id).await?.is_none() {
                    still.push((r, id));
                }
            }
            Ok(still)
        },
    )
    .await
}

/// Until no region has a delivery pending, twice in a row (a delivery can queue an answer).
async fn wait_outboxes(roosts: &[Arc<Roost>]) -> anyhow::Result<()> {
    let deadline = Instant::now() + SETTLE;
    let mut quiet = 0;
    loop {
        let mut busy = false;
        for roost in roosts {
            busy |= roost.store().next_outbox_due().await?.is_some();
        }
        quiet = if busy { 0 } else { quiet + 1 };
        if quiet >= 2 {
            return Ok(());
        }
        if Instant::now() > deadline {
            let mut why = String::new();
            for roost in roosts {
                let items = roost
                    .store()
                    .outbox_items(Some(OutboxState::Pending))
                    .await?;
                if let Some(i) = items.first() {
                    let _ = write!(
                        why,
                        "; {}: {} pending (e.g. {} to {}: {})",
                        roost.cfg.region,
                        items.len(),
                        i.purpose,
                        i.destination,
                        i.last_error.as_deref().unwrap_or("not yet tried")
                    );
                }
            }
            bail!(
                "deliveries between regions did not finish within {} s{why}",
                SETTLE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[derive(Clone, Copy)]
enum Act {
    Reply(usize),
    Quote(usize),
    Like,
    Boost,
}

/// Runs the interactions, one task per actor (each actor's in order); returns those done.
async fn act_all(
    roosts: &[Arc<Roost>],
    users: &[Vec<Account>],
    acts: Vec<(Who, Act, Post)>,
) -> anyhow::Result<Vec<Act>> {
    let mut by_actor: BTreeMap<Who, Vec<(Act, Post)>> = BTreeMap::new();
    for (who, act, post) in acts {
        by_actor.entry(who).or_default().push((act, post));
    }
    let mut set = JoinSet::new();
    for ((r, i), list) in by_actor {
        let roost = roosts[r].clone();
        let me = users[r][i].clone();
        let authors: HashMap<Id, String> = list
            .iter()
            .map(|(_, p)| (p.id, users[p.author.0][p.author.1].username.clone()))
            .collect();
        set.spawn(async move {
            let mut done = Vec::new();
            for (act, post) in list {
                let author = &authors[&post.id];
                let what = match act {
                    Act::Reply(k) => {
                        let (lang, text) = REPLIES[k];
                        let mut text = text.replace("{city}", city(r, i));
                        // Mentions of other regions would need `name@host:port`, which the
                        // text parser does not read; the reply itself reaches the author.
                        if post.author.0 == r {
                            text = format!("@{author} {text}");
                        }
                        let idem = key(&[&"reply", &me.username, &post.id]);
                        roost
                            .post_status(
                                &me,
                                PostStatus {
                                    text,
                                    in_reply_to_id: Some(post.id),
                                    language: Some(lang.into()),
                                    idempotency_key: Some(idem),
                                    ..Default::default()
                                },
                            )
                            .await
                            .map(|_| ())
                    }
                    Act::Quote(k) => {
                        let (lang, text) = QUOTES[k];
                        let idem = key(&[&"quote", &me.username, &post.id]);
                        roost
                            .post_status(
                                &me,
                                PostStatus {
                                    text: text.into(),
                                    quoted_status_id: Some(post.id),
                                    language: Some(lang.into()),
                                    idempotency_key: Some(idem),
                                    ..Default::default()
                                },
                            )
                            .await
                            .map(|_| ())
                    }
                    Act::Like => roost.favourite(post.id, &me).await.map(|_| ()),
                    Act::Boost => roost.reblog(post.id, &me, None).await.map(|_| ()),
                };
                what.with_context(|| format!("{} acting on a post by {author}", me.username))?;
                done.push(act);
            }
            anyhow::Ok(done)
        });
    }
    Ok(join_all(set).await?.into_iter().flatten().collect())
}

/// `deny` at work: a user of a region whose public content may not go to another region
/// tries to reply to a post from there, and is told which rule refused it.
async fn try_denied_reply(
    cluster: &Cluster,
    roosts: &[Arc<Roost>],
    users: &[Vec<Account>],
    posts: &[Post],
) -> anyhow::Result<Option<String>> {
    for (r, from) in REGIONS.iter().enumerate() {
        for (r2, to) in REGIONS.iter().enumerate() {
            let denied = r != r2
                && cluster
                    .decide(from.code, to.code, DataClass::PublicContent)
                    .action
                    == Action::Deny;
            let kept = cluster
                .decide(to.code, from.code, DataClass::PublicContent)
                .persist();
            if !denied || !kept {
                continue;
            }
            // user01 of every region is followed by everyone, so its posts are kept here.
            let Some(post) = posts.iter().find(|p| p.public && p.author == (r2, 0)) else {
                continue;
            };
            if roosts[r].store().status(post.id).await?.is_none() {
                continue;
            }
            let me = &users[r][0];
            let them = &users[r2][0].username;
            let tried = roosts[r]
                .post_status(
                    me,
                    PostStatus {
                        text: "Replying across the border".into(),
                        in_reply_to_id: Some(post.id),
                        ..Default::default()
                    },
                )
                .await;
            return Ok(Some(match tried {
                Err(CoreError::PolicyDenied(why)) => {
                    format!(
                        "deny: {} replying to {them} was refused — {why}",
                        me.username
                    )
                }
                Err(e) => format!("deny: {} replying to {them} failed: {e}", me.username),
                Ok(_) => format!("deny: {} replying to {them} was NOT refused", me.username),
            }));
        }
    }
    Ok(None)
}

/// `transit` at work: a user following accounts whose posts may only pass through reads
/// the home timeline, which fetches those posts live from their region.
async fn read_transit(
    cluster: &Cluster,
    roosts: &[Arc<Roost>],
    users: &[Vec<Account>],
    plan: &BTreeMap<Who, BTreeSet<Who>>,
) -> anyhow::Result<Option<String>> {
    for (&(r, i), targets) in plan {
        let from: BTreeSet<usize> = targets
            .iter()
            .map(|t| t.0)
            .filter(|&r2| {
                r2 != r
                    && cluster
                        .decide(REGIONS[r2].code, REGIONS[r].code, DataClass::PublicContent)
                        .action
                        == Action::Transit
            })
            .collect();
        if from.is_empty() {
            continue;
        }
        let me = &users[r][i];
        let page = Page {
            limit: 40,
            ..Page::default()
        };
        let timeline = roosts[r].home_timeline(me.id, page).await?;
        let live = timeline
            .iter()
            .filter(|v| {
                from.iter()
                    .any(|&r2| v.account.home_region == REGIONS[r2].code)
            })
            .count();
        let regions: Vec<&str> = from.iter().map(|&r2| REGIONS[r2].code).collect();
        return Ok(Some(format!(
            "transit: {}'s home timeline shows {live} posts from {} fetched live, kept nowhere in {}",
            me.username,
            regions.join(", "),
            REGIONS[r].code
        )));
    }
    Ok(None)
}

/// Waits for every task; the first failure aborts the rest (dropping the set).
async fn join_all<T: Send + 'static>(
    mut set: JoinSet<anyhow::Result<T>>,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::with_capacity(set.len());
    while let Some(r) = set.join_next().await {
        out.push(r.context("a seeding task panicked")??);
    }
    Ok(out)
}
