//! Waiting for a condition: poll until it holds, fail after a generous limit. Never a timed
//! assertion — the limit only stops a run that is stuck.

use std::time::{Duration, Instant};

/// The longest wait for anything (a stuck run fails after it).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `holds` every 100 ms until it returns true; `Err` naming `what` after `limit`.
pub async fn until(
    what: &str,
    limit: Duration,
    mut holds: impl FnMut() -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if holds() {
            return Ok(());
        }
        if started.elapsed() > limit {
            return Err(format!("gave up waiting after {limit:?} for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// [`until`], polling every `every` (to catch a short moment, such as a request in flight).
pub async fn until_every(
    what: &str,
    limit: Duration,
    every: Duration,
    mut holds: impl FnMut() -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if holds() {
            return Ok(());
        }
        if started.elapsed() > limit {
            return Err(format!("gave up waiting after {limit:?} for {what}"));
        }
        tokio::time::sleep(every).await;
    }
}
