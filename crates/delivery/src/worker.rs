//! The delivery worker: the background task that runs the engine, owned by whoever started it.
//!
//! Guarantees: exactly one loop per worker; `stop` asks the loop to finish its current batch and
//! waits up to a timeout, then aborts it (records cut off mid-send are left `sending` and become
//! `ambiguous` at the next start, so nothing is lost or doubled); `sync_now` wakes the loop at
//! once; a status snapshot is published after every pass; an error in a pass is logged and the
//! loop goes on after the idle interval.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::DeliveryEngine;
use super::status::StatusSnapshot;
use crate::DeliveryError;

/// A running delivery loop.
#[derive(Debug)]
pub struct DeliveryWorker {
    engine: DeliveryEngine,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DeliveryWorker {
    /// Recovers what the last run left mid-send, then starts the loop. `idle` is how long the
    /// loop sleeps when there is nothing to do (records made by another process, a reopened
    /// gate and due lookups are picked up at the latest then).
    pub async fn start(engine: DeliveryEngine, idle: Duration) -> Result<Self, DeliveryError> {
        engine.recover().await?;
        let wake = Arc::clone(&engine.inner.wake);
        let (stop, stop_rx) = watch::channel(false);
        engine.set_running(true);
        let task = tokio::spawn(run(engine.clone(), Arc::clone(&wake), stop_rx, idle));
        Ok(Self { engine, stop, task })
    }

    /// Wake the loop now (after a sale, or when a person presses "sync now").
    pub fn sync_now(&self) {
        self.engine.wake();
    }

    pub fn subscribe(&self) -> watch::Receiver<StatusSnapshot> {
        self.engine.subscribe()
    }

    pub fn engine(&self) -> &DeliveryEngine {
        &self.engine
    }

    /// Stops the loop, waiting at most `timeout` for the batch in flight.
    pub async fn stop(self, timeout: Duration) -> Result<(), DeliveryError> {
        let _ = self.stop.send(true);
        self.engine.wake();
        let mut task = self.task;
        let outcome = stateline_tasks::join_or_abort(&mut task, timeout).await;
        self.engine.set_running(false);
        self.engine.publish().await;
        Ok(outcome?)
    }
}

async fn run(
    engine: DeliveryEngine,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    idle: Duration,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let progress = match engine.run_once().await {
            Ok(report) => report.made_progress(),
            Err(error) => {
                tracing::error!(%error, "delivery pass failed");
                false
            }
        };
        if progress {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(idle) => {}
            _ = stop.changed() => return,
        }
    }
}
