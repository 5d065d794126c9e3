//! A roost server in its own process: started, watched through `/proc`, stopped with
//! SIGTERM (so buffered view counts are flushed as in production).

use anyhow::{bail, Context};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// SIGTERM and the clean shutdown (buffered view counts are flushed, as in production);
/// SIGKILL if it takes over 60 s.
pub async fn terminate(child: &mut Child, pid: u32) -> anyhow::Result<()> {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
        Ok(s) => {
            s?;
            Ok(())
        }
        Err(_) => {
            child.kill().await?;
            bail!("server did not stop within 60 s of SIGTERM (killed)")
        }
    }
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub base_url: String,
    /// When the process was spawned (for the cold-start figure).
    pub spawned: std::time::Instant,
}

impl Server {
    /// Runs `bin serve ARGS...` with its log in `log`, and waits for `/health`.
    pub async fn start(bin: &Path, args: &[String], log: &Path) -> anyhow::Result<Server> {
        let log_file = std::fs::File::create(log)?;
        let spawned = std::time::Instant::now();
        let mut child = Command::new(bin)
            .arg("serve")
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("server has no pid")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        // `roost serve` prints its address once it listens.
        let base_url = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("roost listening on ") {
                    return Ok(url.trim().to_string());
                }
            }
            bail!("server exited before listening; see {}", log.display())
        })
        .await
        .context("server did not start in time")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{base_url}/health")).send().await {
                if r.status().is_success() {
                    return Ok(Server {
                        child,
                        pid,
                        base_url,
                        spawned,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("{base_url}/health never answered")
    }

    /// SIGTERM, then waits for the clean shutdown.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(&mut self.child, self.pid).await
    }

    pub fn sample(&self) -> Proc {
        Proc::read(self.pid)
    }
}

/// A process's memory and CPU time at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Proc {
    pub rss_kib: u64,
    pub hwm_kib: u64,
    /// User plus system CPU time in clock ticks.
    pub cpu_ticks: u64,
    /// Context switches of all its threads (voluntary and not).
    pub ctx_switches: u64,
    /// Bytes the process caused to be written to storage (`write_bytes` of `/proc/PID/io`).
    pub write_bytes: u64,
    pub at: Instant,
}

/// The number after `key` in a `/proc` file of `key value` lines (0 if absent).
fn proc_value(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn read_proc(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Proc {
    /// Several processes as one: their memory, CPU time, switches and writes added up.
    pub fn sum(procs: impl Iterator<Item = Proc>) -> Proc {
        let mut total = Proc {
            rss_kib: 0,
            hwm_kib: 0,
            cpu_ticks: 0,
            ctx_switches: 0,
            write_bytes: 0,
            at: Instant::now(),
        };
        for p in procs {
            total.rss_kib += p.rss_kib;
            total.hwm_kib += p.hwm_kib;
            total.cpu_ticks += p.cpu_ticks;
            total.ctx_switches += p.ctx_switches;
            total.write_bytes += p.write_bytes;
            total.at = total.at.min(p.at);
        }
        total
    }

    /// Every PostgreSQL server process on this machine, as one: on `--database` the
    /// database's CPU is part of what a request costs. (A backend that exits takes its
    /// CPU time with it; the nodes' pools keep theirs open.)
    pub fn postgres() -> Proc {
        let pids = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| read_proc(&format!("/proc/{pid}/comm")).trim() == "postgres");
        Proc::sum(pids.collect::<Vec<_>>().into_iter().map(Proc::read))
    }

    pub fn read(pid: u32) -> Proc {
        let status = read_proc(&format!("/proc/{pid}/status"));
        let stat = read_proc(&format!("/proc/{pid}/stat"));
        // Fields after the command name (which may hold spaces) start with the state;
        // utime and stime are fields 14 and 15 of the whole line.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Proc {
            rss_kib: proc_value(&status, "VmRSS:"),
            hwm_kib: proc_value(&status, "VmHWM:"),
            cpu_ticks: ticks(11) + ticks(12),
            ctx_switches: ctx_switches(pid),
            write_bytes: proc_value(&read_proc(&format!("/proc/{pid}/io")), "write_bytes:"),
            at: Instant::now(),
        }
    }

    /// CPU time between `self` and a later sample, in microseconds.
    pub fn cpu_us_until(&self, later: &Proc) -> f64 {
        later.cpu_ticks.saturating_sub(self.cpu_ticks) as f64 * 1e6 / clock_ticks_per_sec()
    }

    /// CPU use between `self` and a later sample, in percent of one core.
    pub fn cpu_percent_until(&self, later: &Proc) -> f64 {
        let secs = later.at.duration_since(self.at).as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        let ticks = later.cpu_ticks.saturating_sub(self.cpu_ticks) as f64;
        100.0 * ticks / clock_ticks_per_sec() / secs
    }
}

/// Threads of a process hand work to each other (the database runs on its own threads), so
/// context switches per request show what that costs.
fn ctx_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .map(|st| {
            st.lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

fn clock_ticks_per_sec() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The machine: core count and memory, for the report.
pub fn machine() -> (usize, u64) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_kib = proc_value(&read_proc("/proc/meminfo"), "MemTotal:");
    (cores, mem_kib)
}

/// The 1-, 5- and 15-minute load averages.
pub fn load_average() -> String {
    read_proc("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
