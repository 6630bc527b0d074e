//! [`OwnedTask`]: a background task with exactly one owner that can stop it, and the bounded wait
//! every owner of a task uses to stop one.
//!
//! Guarantees: the task is handed a stop signal to select on; [`OwnedTask::stop`] sends it and
//! waits at most the given time, then aborts the task and reports `stop_timed_out`; dropping the
//! owner aborts the task, so no background work outlives its owner.

use std::future::Future;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::TaskError;

/// Waits for `task` to end for at most `timeout`; aborts it (and waits for the abort) otherwise.
pub async fn join_or_abort(task: &mut JoinHandle<()>, timeout: Duration) -> Result<(), TaskError> {
    if tokio::time::timeout(timeout, &mut *task).await.is_ok() {
        return Ok(());
    }
    task.abort();
    let _ = (&mut *task).await;
    Err(TaskError::StopTimedOut {
        waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    })
}

/// A spawned task and the sender of its stop signal.
#[derive(Debug)]
pub struct OwnedTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl OwnedTask {
    /// Spawns `body`, giving it the receiver of the stop signal.
    pub fn spawn<F, Fut>(body: F) -> Self
    where
        F: FnOnce(oneshot::Receiver<()>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stop_rx) = oneshot::channel();
        Self {
            stop: Some(stop),
            task: Some(tokio::spawn(body(stop_rx))),
        }
    }

    /// Signals the task to stop and waits at most `timeout` for it (then aborts it).
    pub async fn stop(mut self, timeout: Duration) -> Result<(), TaskError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(mut task) => join_or_abort(&mut task, timeout).await,
            None => Ok(()),
        }
    }
}

impl Drop for OwnedTask {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_listens_stops_in_time() {
        let task = OwnedTask::spawn(|stop| async move {
            let _ = stop.await;
        });
        task.stop(Duration::from_secs(5)).await.unwrap();
    }

    #[tokio::test]
    async fn a_task_that_ignores_the_signal_is_cut_off_and_reported() {
        let task = OwnedTask::spawn(|_stop| async move {
            std::future::pending::<()>().await;
        });
        let err = task.stop(Duration::from_millis(20)).await.unwrap_err();
        assert_eq!(err.code(), "stop_timed_out");
    }

    #[tokio::test]
    async fn dropping_the_owner_ends_the_task() {
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let task = OwnedTask::spawn(|_stop| async move {
            let _keep = done_tx;
            std::future::pending::<()>().await;
        });
        drop(task);
        assert!(
            done_rx.await.is_err(),
            "the task (and its sender) was dropped"
        );
    }
}
