//! The application facade the desktop app (and its tests) drive: one cheap, cloneable [`App`]
//! over the store, the secrets, the Metrc client, the delivery worker and the session, with one
//! async method per IPC command (see `docs/ipc.md`). It knows nothing of Tauri; `src-tauri`
//! adapts each method in one line.
//!
//! Guarantees: every method checks the session's permission first and fails with a `ApiError`
//! (stable code + message saying what to do); nothing returned or emitted carries a key or a PIN;
//! no lock is held across an `.await` (session state sits behind a `std::sync::Mutex` taken only
//! in short synchronous sections); store calls run on blocking threads; background work (the
//! delivery worker, the status forwarder, the idle-lock ticker, the store link, the local API, the
//! demo emulator)
//! is owned by the
//! `App` and stopped by [`App::shutdown`].

mod admin;
mod compliance;
pub mod compose;
mod convert;
mod daily;
mod demo;
pub mod dto;
mod error;
mod events;
pub mod instance;
mod integrations;
mod inventory;
mod ipc_error;
mod key_retirement;
mod keys;
mod limits;
mod pos_api;
mod runtime;
mod sell;
mod session;
mod setup;
mod store;
mod store_link;
mod store_membership;
mod store_server;
mod store_views;
mod sync;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use stateline_delivery::DeliveryConfig;
pub use stateline_secrets::SecretStore;
use stateline_secrets::Secrets;
use stateline_store::StoreError;
use stateline_store::{Clock, Database, OpenOptions, SystemClock};
use stateline_tasks::{StoreCall, run_blocking};
use tokio::sync::broadcast;

pub use daily::DailyPass;
pub use error::ApiError;
pub use events::AppEvent;
pub use ipc_error::IpcError;
pub use stateline_secrets::{KeychainStore, MemoryStore};

/// How to open the app.
#[derive(Clone)]
pub struct AppConfig {
    /// Folder of the database (`stateline.sqlite`) and the instance lock.
    pub data_dir: PathBuf,
    /// Where keys live (the OS keychain in the app; `MemoryStore` in tests).
    pub secret_store: Arc<dyn SecretStore>,
    /// Injected clock (tests: `ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// Seed of client identifiers (tests).
    pub rng_seed: Option<u64>,
    /// Tuning of the delivery engine.
    pub delivery: DeliveryConfig,
    /// How long the worker sleeps when there is nothing to do.
    pub worker_idle: Duration,
    /// Metrc request timeout.
    pub request_timeout: Duration,
    /// Start in demo mode whatever the stored environment says (`STATELINE_DEMO=1`).
    pub force_demo: bool,
    /// How often the idle lock is checked.
    pub idle_check: Duration,
    /// How long the store link waits between passes when nothing wakes it (a register in a store).
    pub store_link_idle: Duration,
    /// In demo mode, the pretend Metrc already running at this address (`stateline emulator`)
    /// instead of one of its own — so the registers of a demo store share one Metrc
    /// (`scripts/demo-store.sh`); its faults are then not on the demo panel.
    pub demo_metrc_url: Option<String>,
}

impl AppConfig {
    /// Defaults for the real app: system clock, default engine tuning.
    pub fn new(data_dir: impl Into<PathBuf>, secret_store: Arc<dyn SecretStore>) -> Self {
        Self {
            data_dir: data_dir.into(),
            secret_store,
            clock: Arc::new(SystemClock),
            rng_seed: None,
            delivery: DeliveryConfig::default(),
            worker_idle: Duration::from_secs(15),
            request_timeout: Duration::from_secs(20),
            force_demo: false,
            idle_check: Duration::from_secs(10),
            store_link_idle: Duration::from_secs(10),
            demo_metrc_url: None,
        }
    }
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("data_dir", &self.data_dir)
            .field("force_demo", &self.force_demo)
            .finish_non_exhaustive()
    }
}

/// The application: a cheap handle; clones share everything.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    secrets: Secrets,
    config: AppConfig,
    session: Mutex<session::SessionState>,
    events: broadcast::Sender<AppEvent>,
    link: RwLock<Option<runtime::Link>>,
    owned: tokio::sync::Mutex<runtime::Owned>,
    drain: Mutex<runtime::DrainTracker>,
    daily: daily::DailyState,
    store_server: Mutex<store_server::KeptServer>,
    pos_api: tokio::sync::Mutex<pos_api::RunningApi>,
    #[cfg(feature = "demo")]
    demo: Mutex<demo::DemoState>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("db", &self.inner.db)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens the store in `config.data_dir`, starts the delivery worker and, in demo mode (the
    /// default when no environment was chosen), the embedded emulator with the demo licence.
    pub async fn open(config: AppConfig) -> Result<App, ApiError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StoreError::Io {
            action: "create the data folder",
            path: config.data_dir.clone(),
            source,
        })?;
        let path = config.data_dir.join("stateline.sqlite");
        let options = OpenOptions {
            clock: Arc::clone(&config.clock),
            rng_seed: config.rng_seed,
            ..OpenOptions::default()
        };
        let db =
            run_blocking(move || Ok::<_, ApiError>(Database::open_with(path, options)?)).await?;
        let secrets = Secrets::new(Arc::clone(&config.secret_store));
        let (events, _) = broadcast::channel(256);
        let now = config.clock.now();
        let app = App {
            inner: Arc::new(Inner {
                db,
                secrets,
                session: Mutex::new(session::SessionState::new(now)),
                events,
                link: RwLock::new(None),
                owned: tokio::sync::Mutex::new(runtime::Owned::default()),
                drain: Mutex::new(runtime::DrainTracker::default()),
                daily: daily::DailyState::default(),
                store_server: Mutex::new(None),
                pos_api: tokio::sync::Mutex::new(pos_api::RunningApi::default()),
                #[cfg(feature = "demo")]
                demo: Mutex::new(demo::DemoState::default()),
                config,
            }),
        };
        app.start_runtime().await?;
        app.start_idle_ticker().await;
        app.start_daily_jobs().await;
        app.spawn_store_link().await;
        app.start_pos_api().await;
        Ok(app)
    }

    /// Stops the worker (waiting up to `timeout` for the batch in flight), the background tasks
    /// and the demo emulator.
    pub async fn shutdown(&self, timeout: Duration) -> Result<(), ApiError> {
        self.stop_pos_api(timeout).await;
        self.stop_store_link(timeout).await;
        self.stop_runtime(timeout).await
    }

    /// Events for the UI (see `docs/ipc.md`).
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.inner.events.subscribe()
    }

    /// The store (for tests and the shell's quit check).
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    fn emit(&self, event: AppEvent) {
        let _ = self.inner.events.send(event);
    }

    fn now(&self) -> jiff::Timestamp {
        self.inner.config.clock.now()
    }

    /// Runs a store call on a blocking thread (the call may fail with any error that a store
    /// error converts into and that converts into an [`ApiError`]).
    async fn db<T, E>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        ApiError: From<E>,
    {
        Ok(self.inner.db.call(f).await?)
    }

    fn lock_session(&self) -> std::sync::MutexGuard<'_, session::SessionState> {
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
