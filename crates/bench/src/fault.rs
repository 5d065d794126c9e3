//! `roost-bench fault`: load-and-fault scenarios that reproduce the reliability figures of
//! an outside probe, so they can be measured again after each change. Each scenario starts
//! its own release `roost` process(es) on loopback, prints its figures, and the run ends
//! with one Markdown table (also written to `OUT/results.md`).
//!
//! Every loop is bounded by a count and a deadline; all traffic goes to 127.0.0.1.

mod flood;
mod input;
mod kill;
mod launch;
mod probe;
mod region;
mod slow;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Scenario names, in the order they run.
const SCENARIOS: [&str; 5] = ["kill", "region", "flood", "slow", "input"];

#[derive(clap::Args, Clone, Debug)]
pub struct FaultOptions {
    /// A shortened run of every scenario (about two minutes).
    #[arg(long)]
    pub quick: bool,
    /// Output folder (default `bench-results/fault`); its scenario folders are replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The `roost` binary to start (default: `roost` next to this executable).
    #[arg(long)]
    pub roost_bin: Option<PathBuf>,
    /// Only these scenarios (comma-separated): kill, region, flood, slow, input.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// kill: concurrent writing clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// kill: SIGKILLs (each followed by a restart).
    #[arg(long, default_value_t = 3)]
    pub kills: usize,
    /// kill: seconds of load before each SIGKILL (default 20, quick 5).
    #[arg(long)]
    pub kill_after_secs: Option<f64>,
    /// region: seconds the region stays down (default 20, quick 8; the probe used 60).
    #[arg(long)]
    pub down_secs: Option<f64>,
    /// flood: concurrent wrong-password token requests.
    #[arg(long, default_value_t = 100)]
    pub flood_concurrency: usize,
    /// flood: seconds of wrong-password requests (default 10, quick 5).
    #[arg(long)]
    pub flood_secs: Option<f64>,
    /// flood: sign-ups sent at once.
    #[arg(long, default_value_t = 200)]
    pub signups: usize,
    /// flood: seconds to wait after the sign-ups before reading RSS again.
    #[arg(long, default_value_t = 10.0)]
    pub settle_secs: f64,
    /// slow: idle TCP connections that send nothing.
    #[arg(long, default_value_t = 1100)]
    pub idle_conns: usize,
    /// slow: connections that send half a request header and stall.
    #[arg(long, default_value_t = 50)]
    pub half_conns: usize,
    /// slow: seconds to watch whether the server closes them (default 120, quick 15).
    #[arg(long)]
    pub hold_secs: Option<f64>,
    /// slow: soft RLIMIT_NOFILE the server starts with (0: inherit this process's, which
    /// is raised). 1024 is the usual default, as the probe's server had; the server may
    /// raise it itself.
    #[arg(long, default_value_t = 1024)]
    pub server_nofile: u64,
    /// slow: also cap the server's hard RLIMIT_NOFILE, so it cannot raise past this.
    #[arg(long)]
    pub server_nofile_hard: Option<u64>,
    /// input: closing parentheses after the URL.
    #[arg(long, default_value_t = 30_000)]
    pub parens: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Durations resolved from the options and `--quick`.
pub struct Plan {
    pub kill_after: Duration,
    pub down: Duration,
    pub flood: Duration,
    pub hold: Duration,
    /// How long a new client waits for `/health` while the server is swamped.
    pub new_client_timeout: Duration,
}

impl Plan {
    fn new(o: &FaultOptions) -> Plan {
        let pick = |v: Option<f64>, full: f64, quick: f64| {
            Duration::from_secs_f64(v.unwrap_or(if o.quick { quick } else { full }))
        };
        Plan {
            kill_after: pick(o.kill_after_secs, 20.0, 5.0),
            down: pick(o.down_secs, 20.0, 8.0),
            flood: pick(o.flood_secs, 10.0, 5.0),
            hold: pick(o.hold_secs, 120.0, 15.0),
            new_client_timeout: pick(None, 10.0, 5.0),
        }
    }
}

/// One measured figure of the final table.
pub struct Figure {
    pub scenario: &'static str,
    pub name: String,
    pub value: String,
    /// What the outside probe reported for it, if anything.
    pub probe: String,
}

/// The figures of one scenario, printed as they are measured.
pub struct Figures {
    scenario: &'static str,
    pub list: Vec<Figure>,
}

impl Figures {
    pub fn new(scenario: &'static str) -> Figures {
        Figures {
            scenario,
            list: Vec::new(),
        }
    }

    pub fn add(&mut self, name: &str, value: impl std::fmt::Display, probe: &str) {
        let value = value.to_string();
        eprintln!("[{}] {name}: {value}", self.scenario);
        self.list.push(Figure {
            scenario: self.scenario,
            name: name.into(),
            value,
            probe: probe.into(),
        });
    }
}

/// What every scenario gets.
pub struct Env {
    pub bin: PathBuf,
    /// This scenario's folder (fresh).
    pub dir: PathBuf,
    pub plan: Plan,
    pub opts: FaultOptions,
}

pub async fn run(o: FaultOptions, bin: PathBuf) -> anyhow::Result<()> {
    for name in &o.only {
        if !SCENARIOS.contains(&name.as_str()) {
            anyhow::bail!("unknown scenario {name}; known: {}", SCENARIOS.join(", "));
        }
    }
    let out = o
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench-results/fault"));
    std::fs::create_dir_all(&out)?;
    // The slow scenario holds over a thousand sockets: the load generator must not be the
    // one that runs out of descriptors.
    let nofile = rlimit::increase_nofile_limit(u64::MAX)?;
    eprintln!("load generator: RLIMIT_NOFILE soft limit raised to {nofile}");
    let load_before = crate::server::load_average();
    let started = jiff::Timestamp::now();
    let mut all: Vec<Figure> = Vec::new();
    for name in SCENARIOS {
        if !o.only.is_empty() && !o.only.iter().any(|x| x == name) {
            continue;
        }
        let dir = out.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let env = Env {
            bin: bin.clone(),
            dir,
            plan: Plan::new(&o),
            opts: o.clone(),
        };
        eprintln!("== {name}");
        let mut figs = Figures::new(name);
        let result = match name {
            "kill" => kill::run(&env, &mut figs).await,
            "region" => region::run(&env, &mut figs).await,
            "flood" => flood::run(&env, &mut figs).await,
            "slow" => slow::run(&env, &mut figs).await,
            _ => input::run(&env, &mut figs).await,
        };
        // A failed scenario is a figure too; the others still run.
        if let Err(e) = result {
            figs.add("scenario failed", format!("{e:#}"), "");
        }
        all.extend(figs.list);
    }
    let md = markdown(&o, &all, started, &load_before, nofile);
    let file = out.join("results.md");
    std::fs::write(&file, &md)?;
    println!("{md}");
    println!("written to {}", file.display());
    Ok(())
}

fn markdown(
    o: &FaultOptions,
    figs: &[Figure],
    started: jiff::Timestamp,
    load_before: &str,
    nofile: u64,
) -> String {
    let (cores, mem_kib) = crate::server::machine();
    let mut s = String::new();
    s.push_str("# roost fault run\n\n");
    s.push_str(&format!(
        "- started {} UTC, {} run; {} cores, {:.1} GiB; load average before {}, after {}\n",
        started.strftime("%Y-%m-%d %H:%M:%S"),
        if o.quick { "quick" } else { "full" },
        cores,
        mem_kib as f64 / 1024.0 / 1024.0,
        load_before,
        crate::server::load_average()
    ));
    s.push_str(&format!(
        "- load generator RLIMIT_NOFILE {nofile}; the `slow` server started with soft {}{}\n\n",
        if o.server_nofile == 0 {
            "inherited".to_string()
        } else {
            o.server_nofile.to_string()
        },
        o.server_nofile_hard
            .map(|h| format!(", hard capped at {h}"))
            .unwrap_or_default()
    ));
    s.push_str("| scenario | figure | measured | probe saw |\n|---|---|---|---|\n");
    for f in figs {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            f.scenario,
            cell(&f.name),
            cell(&f.value),
            cell(&f.probe)
        ));
    }
    s
}

/// Table cells may not hold a `|` or a line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// [`crate::dataset::build`] into a fresh file, tried up to three times: now and then the
/// builder's bulk connection finds the migrating store's connections not yet closed
/// ("database is locked"); a fresh file a moment later builds.
pub async fn build_data(
    db: &Path,
    shape: &crate::dataset::Shape,
    region: &str,
    number: u16,
    prefix: &str,
    seed: u64,
) -> anyhow::Result<crate::dataset::Built> {
    let mut tries = 0;
    loop {
        tries += 1;
        match crate::dataset::build(db, shape, region, number, prefix, seed).await {
            Ok(b) => return Ok(b),
            Err(e) if tries < 3 && format!("{e:#}").contains("database is locked") => {
                eprintln!("building {} failed ({e:#}); again", db.display());
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The newest `n` lines of a server log, for a failure message.
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
