//! [`CourierWorker`]: the owned background task that runs the courier while this register is in
//! a store — a pass, then a wait until the idle period ends, another register pushes (the store
//! server notifies: a handover wakes the holders at once) or someone nudges it; after a failure
//! it waits longer, doubling up to a cap, and reconnects.
//!
//! Guarantees: one owner stops it ([`CourierWorker::stop`], bounded; dropping it aborts); it has
//! its own connection to the store server, so it never holds up the store link or a sale; it
//! never holds a lock across an await.

use std::sync::Arc;
use std::time::Duration;

use stateline_link::{ServerConfig, StoreServer};
use stateline_tasks::{OwnedTask, TaskError};
use tokio::sync::Notify;

use crate::{Courier, CourierError};

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct CourierSchedule {
    /// The wait when a pass found nothing more to do.
    pub idle: Duration,
    /// The first wait after a failure (doubles per failure in a row, up to `retry_cap`).
    pub retry_base: Duration,
    /// The longest wait after failures.
    pub retry_cap: Duration,
}

impl Default for CourierSchedule {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
        }
    }
}

/// The running courier.
#[derive(Debug)]
pub struct CourierWorker {
    task: OwnedTask,
    nudge: Arc<Notify>,
}

impl CourierWorker {
    /// Starts the courier against the store server `config` describes.
    pub fn start(courier: Courier, config: ServerConfig, schedule: CourierSchedule) -> Self {
        let nudge = Arc::new(Notify::new());
        let woken = nudge.clone();
        let task = OwnedTask::spawn(move |mut stop| async move {
            let mut server: Option<StoreServer> = None;
            let mut failures = 0u32;
            loop {
                let wait = match pass(&courier, &config, &mut server).await {
                    Ok(report) if report.sent + report.found + report.rejected > 0 => {
                        failures = 0;
                        Duration::ZERO
                    }
                    Ok(_) => {
                        failures = 0;
                        schedule.idle
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(code = error.code(), %error, failures, "courier pass failed");
                        server = None;
                        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
                        schedule
                            .retry_base
                            .saturating_mul(factor)
                            .min(schedule.retry_cap)
                    }
                };
                let others_pushed = server.as_ref().map(StoreServer::others_pushed);
                tokio::select! {
                    _ = &mut stop => return,
                    _ = woken.notified() => {}
                    _ = async {
                        match &others_pushed {
                            Some(others) => others.notified().await,
                            None => std::future::pending().await,
                        }
                    } => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        });
        Self { task, nudge }
    }

    /// Runs a pass soon (a key was saved here, say).
    pub fn deliver_now(&self) {
        self.nudge.notify_one();
    }

    /// Stops the courier, waiting at most `timeout`; a lease it holds lapses on its own.
    pub async fn stop(self, timeout: Duration) -> Result<(), TaskError> {
        self.task.stop(timeout).await
    }
}

async fn pass(
    courier: &Courier,
    config: &ServerConfig,
    server: &mut Option<StoreServer>,
) -> Result<crate::CourierReport, CourierError> {
    if server.as_ref().is_some_and(StoreServer::listening_lost) {
        *server = None;
    }
    if server.is_none() {
        let connected = StoreServer::connect(config).await?;
        connected.listen(courier.db.install_id()).await?;
        *server = Some(connected);
    }
    courier
        .run_once(server.as_mut().expect("connected above"))
        .await
}
