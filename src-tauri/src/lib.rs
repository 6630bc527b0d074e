//! Stateline's desktop shell.
//!
//! It holds no logic of its own: it takes the data folder's instance lock, opens the core's
//! [`App`] (demo mode with the embedded emulator unless configured otherwise), registers the
//! one-line command adapters, forwards the core's events to the window, and keeps running in the
//! tray when the window is closed. The core never depends on Tauri. It logs to a rotated file in
//! the XDG state folder ([`logs`]) and may start at login ([`autostart`]).

pub mod autostart;
mod commands;
mod events;
pub mod logs;
pub mod shell;
pub mod webview_footprint;

use std::path::PathBuf;
use std::sync::Arc;

use stateline_api::{App, AppConfig, KeychainStore};

pub use stateline_api::instance::{AlreadyRunning, InstanceLock};

/// The environment variable that picks the data folder.
pub const DATA_DIR_ENV: &str = "STATELINE_DATA_DIR";
/// The environment variable that forces demo mode (`1`).
pub const DEMO_ENV: &str = "STATELINE_DEMO";
/// In demo mode, the pretend Metrc another process runs (a demo store: `scripts/demo-store.sh`).
pub const DEMO_METRC_URL_ENV: &str = "STATELINE_DEMO_METRC_URL";

/// The data folder: `STATELINE_DATA_DIR`, else the platform's data folder + `Stateline`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("Stateline"),
    }
}

/// Why the app could not start.
#[derive(Debug)]
pub enum StartError {
    AlreadyRunning(AlreadyRunning),
    Io(std::io::Error),
    Api(stateline_api::ApiError),
    Tauri(tauri::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::AlreadyRunning(e) => e.fmt(f),
            StartError::Io(e) => write!(f, "could not lock the data folder: {e}"),
            StartError::Api(e) => e.fmt(f),
            StartError::Tauri(e) => write!(f, "the window system failed: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The core's configuration for this process.
fn app_config(dir: PathBuf) -> AppConfig {
    let mut config = AppConfig::new(dir, Arc::new(KeychainStore::new()));
    config.force_demo = std::env::var(DEMO_ENV).is_ok_and(|v| v == "1");
    config.demo_metrc_url = std::env::var(DEMO_METRC_URL_ENV).ok();
    config
}

/// Builds and runs the Tauri application until it quits.
pub fn run() -> Result<(), StartError> {
    logs::init();
    webview_footprint::prepare_process();
    let dir = data_dir();
    let _lock = InstanceLock::acquire(&dir)
        .map_err(StartError::Io)?
        .map_err(StartError::AlreadyRunning)?;
    let app =
        tauri::async_runtime::block_on(App::open(app_config(dir))).map_err(StartError::Api)?;
    let core = app.clone();
    let builder = tauri::Builder::default().plugin(autostart::plugin());
    shell::configure(builder, app, true)
        .build(tauri::generate_context!())
        .map_err(StartError::Tauri)?
        .run(move |_, event| {
            if let tauri::RunEvent::Exit = event {
                let _ = tauri::async_runtime::block_on(
                    core.shutdown(std::time::Duration::from_secs(5)),
                );
            }
        });
    Ok(())
}
