//! A `roost serve` process that can be killed and started again on the same data dir and
//! address, timed from spawn to the first answered `/health`.

use anyhow::{bail, Context};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How to start one server; kept so it can be started again the same way.
#[derive(Clone)]
pub struct Launch {
    pub bin: PathBuf,
    /// Flags after `serve`.
    pub args: Vec<String>,
    pub base: String,
    /// Appended to on every start.
    pub log: PathBuf,
    /// Soft RLIMIT_NOFILE the server starts with; None keeps what it inherits.
    pub nofile: Option<u64>,
    /// Hard RLIMIT_NOFILE cap for the server (it may raise its soft limit up to this).
    pub nofile_hard: Option<u64>,
}

pub struct Roost {
    child: Child,
    pub pid: u32,
    pub base: String,
    /// From spawn to the first `/health` answered with 200.
    pub ready_after: Duration,
}

impl Launch {
    /// A lone region on `127.0.0.1:PORT` with its data in `data`.
    pub fn local(bin: &std::path::Path, data: &std::path::Path, log: PathBuf) -> Launch {
        let port = crate::cross::free_port().expect("a free loopback port");
        Launch {
            bin: bin.to_path_buf(),
            args: vec![
                "--data-dir".into(),
                data.to_string_lossy().into_owned(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
            ],
            base: format!("http://127.0.0.1:{port}"),
            log,
            nofile: None,
            nofile_hard: None,
        }
    }

    pub async fn start(&self) -> anyhow::Result<Roost> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve")
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        let t0 = Instant::now();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
        // The child inherits the soft limit at spawn, before any of its code runs (set on
        // it afterwards, it would race with a server that raises its own). Ours is lowered
        // only for the spawn, while this process holds few descriptors.
        if let Some(n) = self.nofile {
            rlimit::setrlimit(rlimit::Resource::NOFILE, n.min(hard), hard)?;
        }
        let spawned = cmd.spawn();
        if self.nofile.is_some() {
            rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard)?;
        }
        let mut child = spawned.with_context(|| format!("starting {}", self.bin.display()))?;
        let pid = child.id().context("server has no pid")?;
        if let Some(cap) = self.nofile_hard {
            // Soft and hard both to the cap: the same result whether or not the server has
            // already raised its soft limit.
            let cap = cap.min(hard);
            rlimit::prlimit(pid as i32, rlimit::Resource::NOFILE, Some((cap, cap)), None)?;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(500))
            .build()?;
        // Fine polling: the restart time is one of the figures.
        while t0.elapsed() < Duration::from_secs(120) {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "server exited ({status}) before answering; {}:\n{}",
                    self.log.display(),
                    super::log_tail(&self.log, 20)
                );
            }
            if let Ok(r) = http.get(format!("{}/health", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(Roost {
                        child,
                        pid,
                        base: self.base.clone(),
                        ready_after: t0.elapsed(),
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("{}/health never answered within 120 s", self.base)
    }
}

impl Roost {
    /// SIGKILL: no shutdown code runs.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM and the clean shutdown; SIGKILL if it takes over 60 s.
    pub async fn term(mut self) -> anyhow::Result<()> {
        crate::server::terminate(&mut self.child, self.pid).await
    }

    pub fn sample(&self) -> crate::server::Proc {
        crate::server::Proc::read(self.pid)
    }

    /// Open file descriptors right now.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Soft and hard "Max open files" of `/proc/PID/limits`.
    pub fn nofile_limit(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/limits", self.pid))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .map(|rest| {
                let v: Vec<&str> = rest.split_whitespace().take(2).collect();
                v.join("/")
            })
            .unwrap_or_else(|| "?".into())
    }
}

/// MiB from KiB, for the figures.
pub fn mib(kib: u64) -> String {
    format!("{:.0} MiB", crate::report::mib(kib))
}
