//! The app's daily jobs: the backup when it is due (`backup::backup_due`) and yesterday's
//! reconciliation of every licence (`compliance::reconcile_due`), checked by an owned background
//! task ([`DailyJobs`]) a while after the app opens and then every few minutes.
//!
//! Guarantees: the task has one owner (the `App`'s runtime) that stops it with a time limit (and
//! aborts it on drop); a pass never runs twice at once; each job is idempotent (a backup is due at
//! most once per local day; a licence gets at most one daily run per day), so checking often only
//! costs a look; a failing job is logged and retried at the next check; the daily reconciliation
//! reads Metrc with the facility key when one is saved, else with the key of an enabled manager
//! (GETs only: nothing is changed in Metrc or locally beyond the stored run); the outcome of the
//! last pass is kept for the Sync screen; nothing here holds a lock across an `.await`.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use metrc::UserKey;
use stateline_compliance::{self as compliance, DueOutcome, DueRun};
use stateline_store::backup::{self, BackupFile};
use stateline_store::people::users::Role;
use stateline_tasks::OwnedTask;

use super::dto::{self, DailyReconciliationView};
use super::{App, AppEvent, Inner};
use crate::ApiError;

/// How long after the app opens the first check runs (lets start-up and first-run finish).
const FIRST_CHECK: Duration = Duration::from_secs(120);
/// How often the jobs are checked afterwards.
const CHECK_EVERY: Duration = Duration::from_secs(600);

/// What one pass of the daily jobs did.
#[derive(Debug, Clone, Default)]
pub struct DailyPass {
    /// The backup taken now (`None`: not due, or it failed).
    pub backup: Option<BackupFile>,
    /// Why the backup failed, when it did.
    pub backup_error: Option<String>,
    /// Each licence's daily reconciliation (empty while Metrc is not connected).
    pub reconciliation: Vec<DueRun>,
}

/// What the facade keeps of the daily jobs: one pass at a time, and the last pass's
/// reconciliation outcomes.
#[derive(Default)]
pub(crate) struct DailyState {
    pass: tokio::sync::Mutex<()>,
    log: Mutex<Vec<DailyReconciliationView>>,
    backup_failure: Mutex<Option<String>>,
}

/// The running daily jobs.
pub(crate) struct DailyJobs {
    task: OwnedTask,
}

impl DailyJobs {
    /// Starts the checks for the app behind `inner` (held weakly: the task ends with the app).
    pub fn start(inner: Weak<Inner>) -> Self {
        Self::start_with(inner, FIRST_CHECK, CHECK_EVERY)
    }

    /// Starts the checks with the first one after `first` and then one every `every`.
    fn start_with(inner: Weak<Inner>, first: Duration, every: Duration) -> Self {
        let task = OwnedTask::spawn(|mut stop_rx| async move {
            let mut wait = first;
            loop {
                tokio::select! {
                    _ = &mut stop_rx => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = every;
                let Some(inner) = inner.upgrade() else { return };
                let app = App { inner };
                tokio::select! {
                    _ = &mut stop_rx => return,
                    _ = app.run_daily_jobs() => {}
                }
            }
        });
        Self { task }
    }

    /// Stops the checks. A pass in progress is cancelled at its next await (a backup already
    /// copying finishes on its thread; a reconciliation stores nothing until it completes);
    /// waits at most `timeout`.
    pub async fn stop(self, timeout: Duration) -> Result<(), ApiError> {
        Ok(self.task.stop(timeout).await?)
    }
}

fn check_view(run: &DueRun, at: jiff::Timestamp) -> DailyReconciliationView {
    let (outcome, run_id, message) = match &run.outcome {
        DueOutcome::Ran { run } => ("ran", Some(run.id), None),
        DueOutcome::AlreadyRan => ("already_ran", None, None),
        DueOutcome::NoKey => (
            "no_key",
            None,
            Some("no facility key and no manager's key is saved; a manager enters a key".into()),
        ),
        DueOutcome::Failed { message, .. } => ("failed", None, Some(message.clone())),
    };
    DailyReconciliationView {
        licence: run.licence.clone(),
        day: run.day.clone(),
        outcome: outcome.to_owned(),
        run_id,
        message,
        checked_at: at,
    }
}

impl App {
    /// Starts the owned daily-jobs task (stopped by `shutdown`).
    pub(crate) async fn start_daily_jobs(&self) {
        let jobs = DailyJobs::start(Arc::downgrade(&self.inner));
        self.inner.owned.lock().await.daily = Some(jobs);
    }

    /// What the last daily pass did for each licence (empty before the first pass).
    pub(crate) async fn daily_checks(&self) -> Vec<DailyReconciliationView> {
        self.inner
            .daily
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Why the last daily backup attempt failed (`None` after a pass without a failure).
    pub(crate) fn daily_backup_failure(&self) -> Option<String> {
        self.inner
            .daily
            .backup_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key the daily reconciliation reads with: the facility key, else an enabled manager's.
    async fn daily_reading_key(&self) -> Option<UserKey> {
        let ring = self.keys().ok()?.ring();
        if let Some(key) = ring.facility_key() {
            return Some(key);
        }
        let users = self.db(|db| db.list_users()).await.ok()?;
        users
            .iter()
            .filter(|u| u.role == Role::Manager && !u.disabled)
            .find_map(|u| ring.user_key(&u.name))
    }

    /// One pass of the daily jobs (the background task calls this; tests and the shell may too):
    /// takes the backup if it is due, then runs yesterday's reconciliation for every licence
    /// that has not had it. Failures are logged and kept in the result, never raised.
    pub async fn run_daily_jobs(&self) -> DailyPass {
        let _one_at_a_time = self.inner.daily.pass.lock().await;
        let mut pass = DailyPass::default();
        let now = self.now();
        match self
            .db(move |db| {
                if backup::backup_due(db, now)? {
                    db.backup_now().map(Some)
                } else {
                    Ok(None)
                }
            })
            .await
        {
            Ok(taken) => pass.backup = taken,
            Err(error) => {
                tracing::warn!(%error, "the daily backup failed; it is tried again later");
                pass.backup_error = Some(error.to_string());
            }
        }
        *self
            .inner
            .daily
            .backup_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = pass.backup_error.clone();
        let Ok(link) = self.link() else {
            return pass;
        };
        let key = self.daily_reading_key().await;
        let key_for = move |_: &str| key.clone();
        match compliance::reconcile_due(&self.inner.db, &link.client, &key_for, now).await {
            Ok(runs) => pass.reconciliation = runs,
            Err(error) => tracing::warn!(%error, "the daily reconciliation could not start"),
        }
        let checked = self.now();
        *self
            .inner
            .daily
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = pass
            .reconciliation
            .iter()
            .map(|r| check_view(r, checked))
            .collect();
        for run in &pass.reconciliation {
            if matches!(run.outcome, DueOutcome::Ran { .. }) {
                self.emit(AppEvent::RecordsChanged(dto::RecordsChanged {
                    licence: Some(run.licence.clone()),
                }));
            }
        }
        pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateline_secrets::MemoryStore;
    use stateline_store::backup::BackupSettings;
    use stateline_store::people::users::Pin;

    fn backups(dir: &std::path::Path) -> usize {
        backup::list_backups(dir).unwrap().len()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_owned_task_takes_the_due_backup_once_and_nothing_after_it_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let config = super::super::AppConfig::new(dir.path(), Arc::new(MemoryStore::new()));
        let app = App::open(config).await.unwrap();
        let manager = app
            .database()
            .create_first_manager("Max", &Pin::new("2468"))
            .unwrap()
            .actor;
        let settings = BackupSettings {
            daily_at: jiff::civil::Time::constant(0, 0, 0, 0),
            keep: 3,
            time_zone: Some("UTC".into()),
        };
        app.database()
            .set_backup_settings(&manager, &settings)
            .unwrap();
        let jobs = DailyJobs::start_with(
            Arc::downgrade(&app.inner),
            Duration::from_millis(10),
            Duration::from_millis(20),
        );
        for _ in 0..250 {
            if backups(dir.path()) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(backups(dir.path()), 1, "the due backup was taken");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            backups(dir.path()),
            1,
            "taken once a day, not at every check"
        );

        jobs.stop(Duration::from_secs(5)).await.unwrap();
        for taken in backup::list_backups(dir.path()).unwrap() {
            std::fs::remove_file(taken.path).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            backups(dir.path()),
            0,
            "a stopped task takes no backup though one is due"
        );
        app.shutdown(Duration::from_secs(5)).await.unwrap();
    }
}
