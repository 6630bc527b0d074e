//! The register's link to its store in the app (issue #13): when this register joined a store
//! (Settings, or `stateline store join`), the app runs the store link worker — heartbeat, push of
//! this register's records and their delivery states, pull of the other registers' — wakes it
//! after every record it makes, and forwards every change of its status to the UI as a
//! `store_changed` event ([`dto::StoreLinkView`]).
//!
//! Guarantees: the link never stands between a budtender and a sale — it starts in the background
//! once the app is open (a locked keychain asking to be unlocked does not hold up the start), a
//! store server that is down or a password the keychain cannot give is logged and the app
//! carries on alone; the password is read from the keychain (`store-server:<register id>`) into a
//! `SecretString` and handed to the worker and the courier, nowhere else; the worker, its status
//! forwarder and the courier (which delivers the other registers' records handed over to this
//! register because it holds their user's key) are owned here, started and stopped together,
//! and stopped with the app ([`App::shutdown`]).

use std::time::Duration;

use secrecy::SecretString;
use stateline_courier::worker::CourierSchedule;
use stateline_courier::{Courier, CourierConfig, CourierWorker};
use stateline_link::{
    LinkSchedule, LinkStatus, LinkWorker, RegisterIdentity, StoreSettings, membership,
};
use stateline_secrets::EntryId;
use stateline_tasks::{OwnedTask, StoreCall};
use tokio::sync::{broadcast, watch};

use super::{App, AppEvent, dto};

/// The running link, the task forwarding its status as events, and the courier that delivers
/// the other registers' handed-over records whose user's key this register holds.
pub(crate) struct RunningLink {
    worker: LinkWorker,
    forwarder: OwnedTask,
    courier: Option<CourierWorker>,
    retirement: OwnedTask,
}

/// The UI's view of a link status (`None`: no link runs).
pub(crate) fn link_view(joined: bool, status: Option<&LinkStatus>) -> dto::StoreLinkView {
    let Some(s) = status else {
        return dto::StoreLinkView {
            joined,
            ..dto::StoreLinkView::default()
        };
    };
    dto::StoreLinkView {
        joined,
        connected: s.connected,
        last_success: s.last_success,
        unreachable_since: s.unreachable_since,
        failures: s.failures,
        last_error: s.last_error.clone(),
        pushed_through: s.pushed_through,
        pulled: s.pulled,
    }
}

/// Publishes every change of `status` as a `store_changed` event until stopped.
fn forward_status(
    mut status: watch::Receiver<LinkStatus>,
    events: broadcast::Sender<AppEvent>,
) -> OwnedTask {
    OwnedTask::spawn(move |mut stop| async move {
        loop {
            let view = link_view(true, Some(&status.borrow_and_update()));
            let _ = events.send(AppEvent::StoreChanged(view));
            tokio::select! {
                _ = &mut stop => return,
                changed = status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

impl App {
    /// Starts the store link in the background (see the module doc); the task is owned and
    /// aborted by [`App::shutdown`] if it has not finished.
    pub(crate) async fn spawn_store_link(&self) {
        let weak = std::sync::Arc::downgrade(&self.inner);
        let start = tokio::spawn(async move {
            if let Some(inner) = weak.upgrade() {
                App { inner }.start_store_link().await;
            }
        });
        self.inner.owned.lock().await.store_link_start = Some(start);
    }

    /// Starts the store link when this register belongs to a store.
    pub(crate) async fn start_store_link(&self) {
        let settings = match self.inner.db.call(membership::joined).await {
            Ok(Some(settings)) => settings,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(code = error.code(), %error, "the store membership cannot be read; selling alone");
                return;
            }
        };
        let password = match self.store_password().await {
            Ok(password) => password,
            Err(error) => {
                tracing::warn!(code = error.code(), %error, store = %settings.label(), "no store server password in the keychain; selling alone until a manager joins again");
                return;
            }
        };
        self.run_store_link(settings, password).await;
    }

    /// The store server's password from the keychain.
    pub(crate) async fn store_password(
        &self,
    ) -> Result<SecretString, stateline_secrets::SecretStoreError> {
        let entry = EntryId::store_server(self.inner.db.install_id())?;
        self.inner.secrets.store_server_password(&entry).await
    }

    /// Starts the worker for `settings` and the forwarder of its status.
    pub(crate) async fn run_store_link(&self, settings: StoreSettings, password: SecretString) {
        let worker = LinkWorker::start(
            self.inner.db.clone(),
            settings.server_config(password.clone()),
            RegisterIdentity {
                name: settings.register_name.clone(),
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            LinkSchedule {
                idle: self.inner.config.store_link_idle,
                ..LinkSchedule::default()
            },
            self.inner.config.clock.clone(),
        );
        let forwarder = forward_status(worker.subscribe(), self.inner.events.clone());
        let retirement = self.retire_after_passes(worker.subscribe());
        let courier = self.link().ok().map(|metrc| {
            let courier = Courier::new(
                self.inner.db.clone(),
                metrc.client.clone(),
                metrc.keys.ring(),
                self.inner.config.clock.clone(),
                CourierConfig::default(),
            )
            .sharing_reads(metrc.engine.read_limiter());
            CourierWorker::start(
                courier,
                settings.server_config(password),
                CourierSchedule {
                    idle: self
                        .inner
                        .config
                        .store_link_idle
                        .max(Duration::from_secs(1)),
                    ..CourierSchedule::default()
                },
            )
        });
        tracing::info!(store = %settings.label(), register = %settings.register_name, "store link started");
        let earlier = self
            .inner
            .owned
            .lock()
            .await
            .store_link
            .replace(RunningLink {
                worker,
                forwarder,
                courier,
                retirement,
            });
        if let Some(earlier) = earlier {
            stop_link(earlier, Duration::from_secs(5)).await;
        }
    }

    /// After every successful pass of the link, retires keys a newer key elsewhere replaced
    /// (`key_retirement`); owned with the link.
    fn retire_after_passes(&self, mut status: watch::Receiver<LinkStatus>) -> OwnedTask {
        let weak = std::sync::Arc::downgrade(&self.inner);
        OwnedTask::spawn(move |mut stop| async move {
            let mut last = None;
            loop {
                let success = status.borrow_and_update().last_success;
                if success.is_some() && success != last {
                    last = success;
                    let Some(inner) = weak.upgrade() else { return };
                    if let Err(error) = (App { inner }).retire_stale_keys().await {
                        tracing::warn!(code = error.code(), %error, "rotated keys could not be retired now");
                    }
                }
                tokio::select! {
                    _ = &mut stop => return,
                    changed = status.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
            }
        })
    }

    /// Wakes the store link (after a record was made), when there is one.
    pub(crate) async fn wake_store_link(&self) {
        if let Some(link) = self.inner.owned.lock().await.store_link.as_ref() {
            link.worker.sync_now();
        }
    }

    /// [`App::store_link_status`] without waiting: `None` also while the runtime is busy.
    pub(crate) fn store_link_status_now(&self) -> Option<LinkStatus> {
        let owned = self.inner.owned.try_lock().ok()?;
        owned
            .store_link
            .as_ref()
            .map(|l| l.worker.subscribe().borrow().clone())
    }

    /// The store link's status, `None` when no link runs (this register is on its own, or its
    /// password is not in the keychain).
    pub async fn store_link_status(&self) -> Option<LinkStatus> {
        let owned = self.inner.owned.lock().await;
        owned
            .store_link
            .as_ref()
            .map(|l| l.worker.subscribe().borrow().clone())
    }

    /// This register's link as the UI sees it.
    pub(crate) async fn store_link_view(
        &self,
    ) -> Result<dto::StoreLinkView, stateline_link::LinkError> {
        if let Some(status) = self.store_link_status().await {
            return Ok(link_view(true, Some(&status)));
        }
        let joined = self.inner.db.call(membership::joined).await?.is_some();
        Ok(link_view(joined, None))
    }

    /// Stops the store link and its forwarder, waiting at most `timeout`.
    pub(crate) async fn stop_store_link(&self, timeout: Duration) {
        let link = {
            let mut owned = self.inner.owned.lock().await;
            if let Some(start) = owned.store_link_start.take() {
                start.abort();
            }
            owned.store_link.take()
        };
        if let Some(link) = link {
            stop_link(link, timeout).await;
        }
    }
}

async fn stop_link(link: RunningLink, timeout: Duration) {
    let _ = link.forwarder.stop(timeout).await;
    let _ = link.retirement.stop(timeout).await;
    if let Some(courier) = link.courier
        && let Err(error) = courier.stop(timeout).await
    {
        tracing::warn!(%error, "the courier did not stop in time");
    }
    if let Err(error) = link.worker.stop(timeout).await {
        tracing::warn!(%error, "the store link did not stop in time");
    }
}
