//! The load generator: closed loop (N connections, each sends its next request when the
//! last one is answered: peak throughput) and open loop (requests at a fixed rate whatever
//! the answers: latency at a given load, measured from when each request was due, so a
//! slow server cannot hide its queue).

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request to send; `tag` is counted per success (e.g. which status was fetched).
pub struct Job {
    pub req: reqwest::RequestBuilder,
    pub tag: Option<u32>,
}

pub type MakeJob = Arc<dyn Fn(&reqwest::Client, &mut StdRng) -> Job + Send + Sync>;

pub struct Outcome {
    /// Latencies of the measured window, in microseconds.
    pub hist: Histogram<u64>,
    /// Successes and failures in the measured window.
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub measured: Duration,
    /// Successes per tag over the whole run, warm-up included.
    pub tags: HashMap<u32, u64>,
    /// Requests answered over the whole run, warm-up included.
    pub answered: u64,
}

impl Outcome {
    fn new() -> Outcome {
        Outcome {
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds"),
            ok: 0,
            errors: 0,
            first_error: None,
            measured: Duration::ZERO,
            tags: HashMap::new(),
            answered: 0,
        }
    }

    fn merge(&mut self, o: Outcome) {
        self.hist.add(&o.hist).expect("same bounds");
        self.ok += o.ok;
        self.errors += o.errors;
        self.answered += o.answered;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        for (k, v) in o.tags {
            *self.tags.entry(k).or_default() += v;
        }
    }

    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    /// A percentile in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    fn record(
        &mut self,
        result: Result<(), String>,
        tag: Option<u32>,
        took: Duration,
        counted: bool,
    ) {
        self.answered += 1;
        if result.is_ok() {
            if let Some(t) = tag {
                *self.tags.entry(t).or_default() += 1;
            }
        }
        if !counted {
            return;
        }
        match result {
            Ok(()) => {
                self.ok += 1;
                let us = (took.as_micros() as u64).clamp(1, 120_000_000);
                self.hist.record(us).expect("in bounds");
            }
            Err(e) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }
}

async fn send(job: Job) -> Result<(), String> {
    match job.req.send().await {
        Ok(r) => {
            let status = r.status();
            let body = r.bytes().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ))
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// `conns` workers send back to back for `warmup + duration`; only `duration` is measured.
pub async fn closed_loop(
    client: &reqwest::Client,
    conns: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeJob,
    seed: u64,
) -> Outcome {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::new();
    for w in 0..conns {
        let client = client.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (w as u64).wrapping_mul(0x9e37_79b9));
            let mut out = Outcome::new();
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let job = make(&client, &mut rng);
                let tag = job.tag;
                let r = send(job).await;
                let t1 = Instant::now();
                out.record(r, tag, t1 - t0, t0 >= measure_from && t1 <= end);
            }
            out
        }));
    }
    let mut all = Outcome::new();
    for t in tasks {
        all.merge(t.await.expect("load worker panicked"));
    }
    all.measured = duration;
    all
}

/// Requests due at `rate` per second for `duration` (after `warmup` at the same rate);
/// latency counts from each request's due time. At most `max_in_flight` at once: beyond
/// that, requests wait for a slot and their wait counts as latency.
pub async fn open_loop(
    client: &reqwest::Client,
    rate: f64,
    warmup: Duration,
    duration: Duration,
    max_in_flight: usize,
    make: MakeJob,
    seed: u64,
) -> Outcome {
    let out = Arc::new(Mutex::new(Outcome::new()));
    let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut handles = Vec::new();
    for i in 0u64.. {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let permit = slots.clone().acquire_owned().await.expect("open semaphore");
        let job = make(client, &mut rng);
        let out = out.clone();
        handles.push(tokio::spawn(async move {
            let tag = job.tag;
            let r = send(job).await;
            let took = Instant::now() - due;
            drop(permit);
            out.lock()
                .expect("no panics while held")
                .record(r, tag, took, due >= measure_from);
        }));
        if handles.len() >= 4096 {
            handles.retain(|h| !h.is_finished());
        }
    }
    for h in handles {
        let _ = h.await;
    }
    let mut o = Arc::try_unwrap(out)
        .ok()
        .expect("all tasks done")
        .into_inner()
        .expect("no panics while held");
    o.measured = duration;
    o
}
