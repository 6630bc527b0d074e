//! [`LinkWorker`]: the owned background task that keeps this register and its store in step: it
//! connects to the store server, joins, then per pass tells the store it is alive, pushes its
//! records until nothing is left, pushes the delivery states that changed, and pulls the other
//! registers' records until nothing is new; then it waits for a nudge ([`LinkWorker::sync_now`]) or
//! the idle period — or for another register's push (the store server notifies), so a sale at one
//! register reaches the others at once. When the server cannot be reached it retries after a delay
//! that doubles up to a cap, and reconnects.
//!
//! Guarantees: one owner stops it ([`LinkWorker::stop`], bounded; dropping it aborts); a sale
//! never waits on it (it reads and writes the register's SQLite only on blocking threads, through
//! the one writer like everything else); every change of
//! its status is published on a watch channel (events, not polling); a failure never loses a
//! record — the local mark moves only after the store committed (see [`crate::push`]).

use std::time::Duration;

use jiff::Timestamp;
use stateline_clock::Clock;
use stateline_store::Database;
use stateline_tasks::{OwnedTask, TaskError};
use tokio::sync::{Notify, watch};

use crate::{LinkError, ServerConfig, StoreServer, sync};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct LinkSchedule {
    /// Records (and states) per push or pull.
    pub batch: u32,
    /// The wait when everything is pushed (a nudge ends it early).
    pub idle: Duration,
    /// The first wait after a failure; it doubles per failure in a row, up to `retry_cap`.
    pub retry_base: Duration,
    /// The longest wait after failures.
    pub retry_cap: Duration,
    /// How long a nudge waits before its pass, so the records of a busy moment go in one pass
    /// (nudges meanwhile fold into it) instead of one pass each, competing with the commits.
    pub gather: Duration,
}

impl Default for LinkSchedule {
    fn default() -> Self {
        Self {
            batch: 200,
            idle: Duration::from_secs(10),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
            gather: Duration::from_millis(50),
        }
    }
}

/// What the worker last saw, for the UI and `stateline store status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkStatus {
    /// Connected to the store server now.
    pub connected: bool,
    /// The local entry id the store has everything up to.
    pub pushed_through: i64,
    /// Other registers' records pulled by this worker since it started.
    pub pulled: u64,
    /// When the store last confirmed a whole pass (push and pull).
    pub last_success: Option<Timestamp>,
    /// The code of the last failure, if the last pass failed (`store_server_unreachable`, …).
    pub last_error: Option<String>,
    /// Failures in a row.
    pub failures: u32,
    /// When the first failure of the current run of failures happened (the store server has not
    /// answered since); `None` after a success.
    pub unreachable_since: Option<Timestamp>,
}

/// Who the register is in the store.
#[derive(Debug, Clone)]
pub struct RegisterIdentity {
    /// Its name in the store.
    pub name: String,
    /// The Stateline version it runs.
    pub app_version: String,
}

/// The running worker.
#[derive(Debug)]
pub struct LinkWorker {
    task: OwnedTask,
    nudge: std::sync::Arc<Notify>,
    status: watch::Receiver<LinkStatus>,
}

/// The wait after `failures` failures in a row.
fn retry_delay(schedule: &LinkSchedule, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1));
    schedule
        .retry_base
        .saturating_mul(factor)
        .min(schedule.retry_cap)
}

struct Run {
    db: Database,
    config: ServerConfig,
    identity: RegisterIdentity,
    schedule: LinkSchedule,
    clock: std::sync::Arc<dyn Clock>,
    status: watch::Sender<LinkStatus>,
}

impl Run {
    /// Connects and joins when needed, then heartbeat, push, states and pull (see the module doc).
    async fn pass(&self, server: &mut Option<StoreServer>) -> Result<i64, LinkError> {
        if server.as_ref().is_some_and(StoreServer::listening_lost) {
            *server = None;
        }
        if server.is_none() {
            let connected = StoreServer::connect(&self.config).await?;
            connected
                .join(
                    self.db.install_id(),
                    &self.identity.name,
                    &self.identity.app_version,
                    self.clock.now(),
                )
                .await?;
            connected.listen(self.db.install_id()).await?;
            *server = Some(connected);
        }
        let live = server.as_mut().expect("connected above");
        let mut pulled_before = 0;
        let report = sync::sync_pass(
            &self.db,
            live,
            &self.identity,
            self.schedule.batch,
            self.clock.as_ref(),
            |report| {
                let new = (report.pulled - pulled_before) as u64;
                pulled_before = report.pulled;
                self.status.send_modify(|s| {
                    s.pushed_through = report.pushed_through;
                    s.pulled = s.pulled.saturating_add(new);
                });
            },
        )
        .await?;
        Ok(report.pushed_through)
    }

    async fn run(
        self,
        nudge: std::sync::Arc<Notify>,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        let mut server: Option<StoreServer> = None;
        let mut failures = 0u32;
        loop {
            let wait = match self.pass(&mut server).await {
                Ok(through) => {
                    failures = 0;
                    let now = self.clock.now();
                    self.status.send_modify(|s| {
                        s.connected = true;
                        s.pushed_through = through;
                        s.last_success = Some(now);
                        s.last_error = None;
                        s.failures = 0;
                        s.unreachable_since = None;
                    });
                    self.schedule.idle
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(code = error.code(), %error, failures, "store sync failed");
                    // Reconnect after any failure: a server that restarted may answer the old
                    // connection with an error of its own (e.g. "terminating connection").
                    server = None;
                    let now = self.clock.now();
                    self.status.send_modify(|s| {
                        s.unreachable_since.get_or_insert(now);
                        s.connected = false;
                        s.last_error = Some(error.code().to_owned());
                        s.failures = failures;
                    });
                    retry_delay(&self.schedule, failures)
                }
            };
            let others_pushed = server.as_ref().map(StoreServer::others_pushed);
            tokio::select! {
                _ = &mut stop => return,
                _ = nudge.notified() => {
                    tokio::select! {
                        _ = &mut stop => return,
                        _ = tokio::time::sleep(self.schedule.gather) => {}
                    }
                }
                _ = async {
                    match &others_pushed {
                        Some(others) => others.notified().await,
                        None => std::future::pending().await,
                    }
                } => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

impl LinkWorker {
    /// Starts keeping `db` and the store at `config` in step, as `identity`.
    pub fn start(
        db: Database,
        config: ServerConfig,
        identity: RegisterIdentity,
        schedule: LinkSchedule,
        clock: std::sync::Arc<dyn Clock>,
    ) -> LinkWorker {
        let (status_tx, status) = watch::channel(LinkStatus::default());
        let nudge = std::sync::Arc::new(Notify::new());
        let run = Run {
            db,
            config,
            identity,
            schedule,
            clock,
            status: status_tx,
        };
        let task_nudge = nudge.clone();
        let task = OwnedTask::spawn(move |stop| run.run(task_nudge, stop));
        LinkWorker {
            task,
            nudge,
            status,
        }
    }

    /// Runs a pass at once (after a sale), instead of at the end of the idle wait.
    pub fn sync_now(&self) {
        self.nudge.notify_one();
    }

    /// The status channel (the current value is available at once).
    pub fn subscribe(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Stops the worker, waiting at most `timeout`.
    pub async fn stop(self, timeout: Duration) -> Result<(), TaskError> {
        self.task.stop(timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_wait_doubles_up_to_the_cap() {
        let schedule = LinkSchedule {
            retry_base: Duration::from_millis(100),
            retry_cap: Duration::from_millis(500),
            ..LinkSchedule::default()
        };
        let waits: Vec<u128> = (1..=5)
            .map(|f| retry_delay(&schedule, f).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }
}
