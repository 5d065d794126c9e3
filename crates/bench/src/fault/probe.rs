//! A bystander: `GET /health` one after another while a scenario loads the server, to see
//! whether an unrelated cheap request still gets answered, and how fast.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Sample {
    pub sent: Instant,
    pub ms: f64,
    pub ok: bool,
}

pub struct Prober {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Sample>>,
}

impl Prober {
    /// Probes every `every` (after each answer) until [`Prober::finish`]; one probe waits
    /// at most `timeout`. Its own client, kept alive, as a monitoring check would be.
    pub fn start(base: &str, every: Duration, timeout: Duration) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let url = format!("{base}/health");
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("client");
            let mut out = Vec::new();
            // Bounded by count as well as by the caller's stop.
            while !flag.load(Ordering::Relaxed) && out.len() < 100_000 {
                let sent = Instant::now();
                let ok = match http.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                out.push(Sample {
                    sent,
                    ms: sent.elapsed().as_secs_f64() * 1000.0,
                    ok,
                });
                tokio::time::sleep(every).await;
            }
            out
        });
        Prober { stop, task }
    }

    pub async fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

/// p50, p99 and max of a set of latencies, with how many failed.
pub fn summary(samples: &[&Sample]) -> String {
    let mut ms: Vec<f64> = samples.iter().filter(|s| s.ok).map(|s| s.ms).collect();
    let failed = samples.iter().filter(|s| !s.ok).count();
    if samples.is_empty() {
        return "no probe in flight meanwhile".into();
    }
    if ms.is_empty() {
        return format!("no answer ({failed} of {} failed)", samples.len());
    }
    ms.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} probes, {} failed)",
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms[ms.len() - 1],
        samples.len(),
        failed
    )
}

/// Samples in flight at any time in `[from, to]`.
pub fn between(samples: &[Sample], from: Instant, to: Instant) -> Vec<&Sample> {
    samples
        .iter()
        .filter(|s| s.sent <= to && s.sent + Duration::from_secs_f64(s.ms / 1000.0) >= from)
        .collect()
}

/// A percentile of sorted values.
pub fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Seconds with one decimal (milliseconds under one second), for the figures.
pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
