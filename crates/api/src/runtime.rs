//! The connection to Metrc the facade owns: the client, the delivery engine and its worker, the
//! status forwarder (engine snapshots → `status_changed` events + backlog samples) and, in demo
//! mode, the embedded emulator.
//!
//! Guarantees: at most one worker runs; switching environment stops the old worker (and emulator)
//! before the new one starts; the forwarder publishes every snapshot change and samples the backlog
//! at most once a minute; drain progress is tracked from consecutive snapshots.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use stateline_delivery::{DeliveryConfig, DeliveryEngine, DeliveryWorker, StatusSnapshot};
use stateline_keys::{CheckSchedule, KeyChecks, Keys};
use stateline_secrets::EntryId;
use stateline_store::StoreError;
use stateline_tasks::StoreCall;
use tokio::task::JoinHandle;

use super::dto::{self, Environment};
use super::store::AppTables;
use super::{App, AppEvent, compose, convert};
use crate::ApiError;

/// The cheap handles a command needs to talk to Metrc.
#[derive(Clone)]
pub(crate) struct Link {
    pub client: metrc::MetrcClient,
    pub engine: DeliveryEngine,
    pub keys: Keys,
    #[cfg(feature = "demo")]
    pub demo: Option<metrc_emulator::Control>,
}

/// What the facade owns and must stop.
#[derive(Default)]
pub(crate) struct Owned {
    pub worker: Option<DeliveryWorker>,
    pub checks: Option<KeyChecks>,
    pub forwarder: Option<JoinHandle<()>>,
    pub tasks: Vec<JoinHandle<()>>,
    pub daily: Option<super::daily::DailyJobs>,
    pub store_link: Option<super::store_link::RunningLink>,
    pub store_link_start: Option<JoinHandle<()>>,
    #[cfg(feature = "demo")]
    pub emulator: Option<metrc_emulator::Emulator>,
}

/// Backlog drain progress between snapshots.
#[derive(Debug, Default)]
pub(crate) struct DrainTracker {
    total: Option<u64>,
    previous_waiting: u64,
}

impl DrainTracker {
    /// Updates with a new snapshot; `Some` while records wait and Metrc is taking them (in step):
    /// `total` is the most that waited since this drain began, `remaining` what waits now.
    pub fn update(&mut self, snapshot: &StatusSnapshot) -> Option<dto::DrainProgress> {
        let waiting = snapshot.waiting;
        let in_step = snapshot.health == stateline_delivery::Health::InStep;
        self.total = match (waiting, in_step, self.total) {
            (0, _, _) | (_, false, _) => None,
            (w, true, None) => Some(w.max(self.previous_waiting)),
            (w, true, Some(total)) => Some(total.max(w)),
        };
        self.previous_waiting = waiting;
        self.total.map(|total| dto::DrainProgress {
            total,
            remaining: waiting,
        })
    }
}

impl App {
    /// The current link to Metrc, or a clear error when none is configured.
    pub(crate) fn link(&self) -> Result<Link, ApiError> {
        self.inner
            .link
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| {
                ApiError::from(StoreError::InvalidInput {
                    field: "Metrc connection",
                    detail:
                        "Metrc is not set up yet; finish the setup (environment, state, vendor key)"
                            .into(),
                })
            })
    }

    /// The environment in force (demo when none was chosen and demo is built in).
    pub(crate) fn environment(&self) -> Result<Environment, ApiError> {
        if self.inner.config.force_demo {
            return Ok(Environment::Demo);
        }
        Ok(self
            .inner
            .db
            .app_environment()?
            .unwrap_or(Environment::Demo))
    }

    /// Whether the register runs the demo: on its own pretend Metrc, or on one a demo store's
    /// registers share.
    pub(crate) fn demo_running(&self) -> bool {
        #[cfg(feature = "demo")]
        {
            self.inner
                .link
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .is_some_and(|l| l.demo.is_some() || self.inner.config.demo_metrc_url.is_some())
        }
        #[cfg(not(feature = "demo"))]
        {
            false
        }
    }

    fn delivery_config(&self) -> Result<DeliveryConfig, ApiError> {
        let mut config = self.inner.config.delivery.clone();
        config.object_limit = self.inner.db.object_limit()? as usize;
        Ok(config)
    }

    /// A client from `config` with the app's timeouts.
    pub(crate) fn client_with(
        &self,
        mut config: metrc::ClientConfig,
    ) -> Result<metrc::MetrcClient, ApiError> {
        config.request_timeout = self.inner.config.request_timeout;
        config.clock = Arc::clone(&self.inner.config.clock);
        config.connect_timeout = Duration::from_secs(3).min(self.inner.config.request_timeout);
        Ok(metrc::MetrcClient::new(config)?)
    }

    /// Starts the link for the environment in force (nothing when Metrc is not set up yet).
    pub(crate) async fn start_runtime(&self) -> Result<(), ApiError> {
        let environment = self.environment()?;
        let mut owned = self.inner.owned.lock().await;
        #[cfg(feature = "demo")]
        let mut demo = None;
        let client = match environment {
            Environment::Demo => {
                #[cfg(feature = "demo")]
                match &self.inner.config.demo_metrc_url {
                    Some(url) => self.shared_emulator_client(url)?,
                    None => {
                        let emulator = match owned.emulator.take() {
                            Some(running) => running,
                            None => self.start_emulator().await?,
                        };
                        let client = self.emulator_client(&emulator)?;
                        demo = Some(emulator.control());
                        owned.emulator = Some(emulator);
                        client
                    }
                }
                #[cfg(not(feature = "demo"))]
                {
                    return Ok(());
                }
            }
            Environment::Sandbox | Environment::Production => {
                let Some(state) = self.inner.db.app_state_code()? else {
                    return Ok(());
                };
                let vendor = match self
                    .inner
                    .secrets
                    .vendor_key(&EntryId::vendor(environment.keychain_scope())?)
                    .await
                {
                    Ok(key) => key,
                    Err(error) => {
                        tracing::warn!(%error, "no vendor key yet; Metrc is not connected");
                        return Ok(());
                    }
                };
                let env = match environment {
                    Environment::Sandbox => metrc::Environment::Sandbox,
                    _ => metrc::Environment::Production,
                };
                let base = metrc::metrc_host(&state, env)?;
                self.client_with(metrc::ClientConfig::new(base, vendor))?
            }
        };
        let (keys, engine) = compose::keys_and_engine(
            &self.inner.db,
            &self.inner.secrets,
            &client,
            environment.keychain_scope(),
            self.delivery_config()?,
        );
        keys.load().await?;
        owned.checks = Some(KeyChecks::start(keys.clone(), CheckSchedule::default())?);
        let worker = DeliveryWorker::start(engine.clone(), self.inner.config.worker_idle).await?;
        owned.forwarder = Some(self.spawn_forwarder(worker.subscribe()));
        owned.worker = Some(worker);
        *self
            .inner
            .link
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Link {
            client,
            engine,
            keys,
            #[cfg(feature = "demo")]
            demo,
        });
        drop(owned);
        #[cfg(feature = "demo")]
        if environment == Environment::Demo {
            self.prepare_demo().await;
        }
        Ok(())
    }

    /// Stops the worker, the forwarder, background tasks and the emulator.
    pub(crate) async fn stop_runtime(&self, timeout: Duration) -> Result<(), ApiError> {
        *self
            .inner
            .link
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
        let mut owned = self.inner.owned.lock().await;
        if let Some(daily) = owned.daily.take() {
            let _ = daily.stop(timeout).await;
        }
        if let Some(checks) = owned.checks.take() {
            let _ = checks.stop(timeout).await;
        }
        let stopped = match owned.worker.take() {
            Some(worker) => worker.stop(timeout).await,
            None => Ok(()),
        };
        if let Some(task) = owned.forwarder.take() {
            task.abort();
        }
        for task in owned.tasks.drain(..) {
            task.abort();
        }
        #[cfg(feature = "demo")]
        if let Some(emulator) = owned.emulator.take() {
            emulator.shutdown().await;
        }
        Ok(stopped?)
    }

    /// Restarts the link (after an environment, vendor key or object limit change); a demo
    /// emulator keeps running (and keeps its state) while the environment stays demo.
    pub(crate) async fn restart_runtime(&self) -> Result<(), ApiError> {
        {
            *self
                .inner
                .link
                .write()
                .unwrap_or_else(PoisonError::into_inner) = None;
            let mut owned = self.inner.owned.lock().await;
            if let Some(checks) = owned.checks.take() {
                let _ = checks.stop(Duration::from_secs(5)).await;
            }
            if let Some(worker) = owned.worker.take() {
                let _ = worker.stop(Duration::from_secs(5)).await;
            }
            if let Some(task) = owned.forwarder.take() {
                task.abort();
            }
            #[cfg(feature = "demo")]
            if self.environment()? != Environment::Demo
                && let Some(emulator) = owned.emulator.take()
            {
                emulator.shutdown().await;
            }
        }
        self.start_runtime().await
    }

    /// The latest snapshot as the UI gets it.
    pub(crate) fn status_now(&self) -> dto::SyncStatus {
        let snapshot = match self.link() {
            Ok(link) => link.engine.status(),
            Err(_) => StatusSnapshot::starting(self.now()),
        };
        let drain = self
            .inner
            .drain
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .update(&snapshot);
        convert::sync_status(&snapshot, drain)
    }

    fn spawn_forwarder(
        &self,
        mut rx: tokio::sync::watch::Receiver<StatusSnapshot>,
    ) -> JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut previous: Option<StatusSnapshot> = None;
            loop {
                let snapshot = rx.borrow_and_update().clone();
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
                let drain = app
                    .inner
                    .drain
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .update(&snapshot);
                let counts_changed = previous.as_ref().is_none_or(|p| {
                    p.waiting != snapshot.waiting || p.licences != snapshot.licences
                });
                app.emit(AppEvent::Status(convert::sync_status(&snapshot, drain)));
                if counts_changed {
                    app.emit(AppEvent::RecordsChanged(dto::RecordsChanged {
                        licence: None,
                    }));
                    app.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
                        licence: None,
                    }));
                }
                let (at, waiting) = (snapshot.at, snapshot.waiting);
                let db = app.inner.db.clone();
                drop(app);
                let _ = db.call(move |db| db.sample_backlog(at, waiting)).await;
                previous = Some(snapshot);
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateline_delivery::Health;

    fn snapshot(waiting: u64, health: Health) -> StatusSnapshot {
        StatusSnapshot {
            waiting,
            health,
            ..StatusSnapshot::starting(jiff::Timestamp::UNIX_EPOCH)
        }
    }

    #[test]
    fn progress_counts_down_from_the_backlog_while_metrc_takes_it() {
        let mut t = DrainTracker::default();
        assert_eq!(t.update(&snapshot(5, Health::Offline)), None);
        let p = t.update(&snapshot(5, Health::InStep)).unwrap();
        assert_eq!((p.total, p.remaining), (5, 5));
        let p = t.update(&snapshot(2, Health::InStep)).unwrap();
        assert_eq!((p.total, p.remaining), (5, 2));
        assert_eq!(t.update(&snapshot(0, Health::InStep)), None);
        assert_eq!(t.update(&snapshot(3, Health::RateLimited)), None);
    }

    #[test]
    fn a_backlog_that_drained_in_one_step_still_reports_its_size_first() {
        let mut t = DrainTracker::default();
        t.update(&snapshot(4, Health::Offline));
        let p = t.update(&snapshot(1, Health::InStep)).unwrap();
        assert_eq!((p.total, p.remaining), (4, 1));
    }
}
