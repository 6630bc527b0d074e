//! The register's link to its store in the app (issue #13): when this register joined a store
//! (`stateline store join`), the app runs the store link worker — heartbeat, push of this
//! register's records and their delivery states, pull of the other registers' — and wakes it
//! after every record it makes.
//!
//! Guarantees: the link never stands between a budtender and a sale — it starts in the background
//! once the app is open (a locked keychain asking to be unlocked does not hold up the start), a store server that is down or a password the keychain cannot give is logged and the app
//! carries on alone; the password is read from the keychain (`store-server:<register id>`) into a
//! `SecretString` and handed to the worker, nowhere else; the worker is owned here and stopped
//! with the app ([`App::shutdown`]).

use std::time::Duration;

use stateline_link::{LinkSchedule, LinkStatus, LinkWorker, RegisterIdentity, membership};
use stateline_secrets::EntryId;
use stateline_tasks::StoreCall;

use super::App;

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
    async fn start_store_link(&self) {
        let settings = match self.inner.db.call(membership::joined).await {
            Ok(Some(settings)) => settings,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(code = error.code(), %error, "the store membership cannot be read; selling alone");
                return;
            }
        };
        let password = match EntryId::store_server(self.inner.db.install_id()) {
            Ok(entry) => self.inner.secrets.store_server_password(&entry).await,
            Err(error) => Err(error),
        };
        let password = match password {
            Ok(password) => password,
            Err(error) => {
                tracing::warn!(code = error.code(), %error, store = %settings.label(), "no store server password in the keychain; selling alone until a manager joins again");
                return;
            }
        };
        let worker = LinkWorker::start(
            self.inner.db.clone(),
            settings.server_config(password),
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
        tracing::info!(store = %settings.label(), register = %settings.register_name, "store link started");
        self.inner.owned.lock().await.store_link = Some(worker);
    }

    /// Wakes the store link (after a record was made), when there is one.
    pub(crate) async fn wake_store_link(&self) {
        if let Some(link) = self.inner.owned.lock().await.store_link.as_ref() {
            link.sync_now();
        }
    }

    /// The store link's status, `None` when this register is on its own.
    pub async fn store_link_status(&self) -> Option<LinkStatus> {
        let owned = self.inner.owned.lock().await;
        owned
            .store_link
            .as_ref()
            .map(|l| l.subscribe().borrow().clone())
    }

    /// Stops the store link, waiting at most `timeout`.
    pub(crate) async fn stop_store_link(&self, timeout: Duration) {
        let link = {
            let mut owned = self.inner.owned.lock().await;
            if let Some(start) = owned.store_link_start.take() {
                start.abort();
            }
            owned.store_link.take()
        };
        if let Some(link) = link
            && let Err(error) = link.stop(timeout).await
        {
            tracing::warn!(%error, "the store link did not stop in time");
        }
    }
}
