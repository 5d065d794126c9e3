//! Password hashing on a small fixed pool of threads.
//!
//! Each argon2 run takes ~19 MiB and tens of milliseconds of CPU on purpose. Run on
//! tokio's blocking pool (up to 512 threads), a flood of wrong passwords ran hundreds at
//! once: gigabytes resident, and glibc kept each thread's arena afterwards. A fixed pool
//! bounds both: at most [`workers`] hashes run at a time, each worker reuses its own
//! memory, and the rest wait in a queue that holds only the inputs. (A bounded pool with
//! results handed back to async callers is a few lines; no crate was worth adding.)

use crate::{CoreError, CoreResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::mpsc;
use std::sync::{LazyLock, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Verified against when the login is unknown, so timing does not reveal which exist.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3K6Af2d4wxj4pUeTqUj9QfNwc8Y4cO1NkN0yHq8v9pU";

/// How many hashes may run at once: one per core, at most four.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

static POOL: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(Mutex::new(rx));
    for i in 0..workers() {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("roost-password-{i}"))
            .spawn(move || loop {
                // The lock is held only while taking the next job, not while running it.
                let job = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            })
            .expect("spawn password hashing thread");
    }
    tx
});

async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    POOL.send(job)
        .map_err(|_| CoreError::Internal("password pool stopped".into()))?;
    rx.await
        .map_err(|_| CoreError::Internal("password hashing did not finish".into()))
}

/// An argon2id PHC string for `password`, with a fresh salt.
pub async fn hash(password: String) -> CoreResult<String> {
    run(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("password hashing: {e}")))
    })
    .await?
}

/// Whether `password` matches `hash`; with no hash, a decoy is checked at the same cost.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    run(move || {
        let hash = hash.unwrap_or_else(|| DECOY_HASH.to_string());
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_and_the_decoy_hash_parses() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong".into(), Some(h)).await);
        // The decoy used for unknown logins must be a real argon2 hash, or the
        // timing protection would silently do nothing.
        let t0 = std::time::Instant::now();
        assert!(!verify("x".into(), None).await);
        let decoy = t0.elapsed();
        let real = hash("y".into()).await.unwrap();
        let t1 = std::time::Instant::now();
        assert!(!verify("x".into(), Some(real)).await);
        let genuine = t1.elapsed();
        assert!(
            decoy * 4 > genuine,
            "decoy {decoy:?} vs genuine {genuine:?}"
        );
    }

    #[tokio::test]
    async fn the_pool_bounds_concurrency() {
        // Many at once all finish, on no more threads than the pool has.
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs: Vec<_> = (0..16)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(run(move || {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = running.fetch_add(1, SeqCst) + 1;
                    peak.fetch_max(now, SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, SeqCst);
                }))
            })
            .collect();
        for j in jobs {
            j.await.unwrap().unwrap();
        }
        let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
        assert!(peak >= 1 && peak <= workers(), "peak {peak}");
    }
}
