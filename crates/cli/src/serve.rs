//! `stateline serve`: the register headless — its data folder opened as the app (`stateline-api`)
//! with delivery, keys and the store link running, serving the local API a store's own POS hands
//! its sales to (and, with `--door`, the Metrc-compatible door), until SIGINT or SIGTERM.
//!
//! Guarantees: one process per data folder (the desktop app's `stateline.lock`, so `serve` and the
//! app never run on the same folder at once); `listening on URL` is printed only once the listener
//! accepts connections; on SIGINT/SIGTERM the listeners stop, the batch in flight is finished (up
//! to the stop timeout) and the app is shut down before the process exits 0; keys come only from
//! the OS keychain (as in the app), never from arguments.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use stateline_api::dto::ApiSettings;
use stateline_api::{App, AppConfig, KeychainStore};

use crate::args::{Context, runtime};
use crate::error::CliError;
use crate::{instance, output};

/// The environment variable that forces demo mode (as for the desktop app).
const DEMO_ENV: &str = "STATELINE_DEMO";
/// The environment variable naming a pretend Metrc to use in demo mode (as for the desktop app).
const DEMO_METRC_URL_ENV: &str = "STATELINE_DEMO_METRC_URL";
/// How long a stop waits for the batch in flight and the listeners.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port of the local API (0: any free port).
    #[arg(long, default_value_t = stateline_pos::DEFAULT_PORT)]
    pub port: u16,
    /// Open the API to the store's network (TLS with this register's certificate) instead of
    /// this computer only.
    #[arg(long)]
    pub lan: bool,
    /// Also serve the Metrc-compatible door (this computer only).
    #[arg(long)]
    pub door: bool,
    /// Port of the door (0: any free port).
    #[arg(long, default_value_t = stateline_pos::door::DEFAULT_PORT)]
    pub door_port: u16,
    /// Run in demo mode whatever environment is stored (also `STATELINE_DEMO=1`).
    #[arg(long)]
    pub demo: bool,
    /// In demo mode, the pretend Metrc already running at this URL (`stateline emulator`) instead
    /// of an embedded one (also `STATELINE_DEMO_METRC_URL`).
    #[arg(long, value_name = "URL")]
    pub demo_metrc_url: Option<String>,
}

/// The app's configuration for this process: the OS keychain, demo as asked.
fn app_config(dir: PathBuf, args: &ServeArgs) -> AppConfig {
    let mut config = AppConfig::new(dir, Arc::new(KeychainStore::new()));
    config.force_demo = args.demo || std::env::var(DEMO_ENV).is_ok_and(|v| v == "1");
    config.demo_metrc_url = args
        .demo_metrc_url
        .clone()
        .or_else(|| std::env::var(DEMO_METRC_URL_ENV).ok())
        .filter(|url| !url.trim().is_empty());
    config
}

pub fn run(ctx: &Context, args: ServeArgs) -> Result<(), CliError> {
    if args.door && args.port != 0 && args.port == args.door_port {
        return Err(CliError::BadInput {
            what: "--port",
            detail: "the API and the door need ports of their own".into(),
        });
    }
    let dir = ctx.data_dir()?;
    let _lock = instance::acquire(&dir)?;
    let config = app_config(dir, &args);
    let settings = ApiSettings {
        enabled: true,
        port: args.port,
        lan: args.lan,
        door_enabled: args.door,
        door_port: args.door_port,
    };
    runtime()?.block_on(async move {
        let app = App::open(config).await?;
        let served = serve(ctx, &app, &settings).await;
        let stopped = app.shutdown(STOP_TIMEOUT).await;
        served?;
        stopped?;
        if !ctx.json {
            output::line("stopped")?;
        }
        Ok(())
    })
}

/// Starts the listeners, prints where they answer, and waits for a stop signal.
async fn serve(ctx: &Context, app: &App, settings: &ApiSettings) -> Result<(), CliError> {
    let mut signals = Signals::new()?;
    let view = app.serve_pos_api(settings).await;
    let started = view.api_url.is_some() && (!settings.door_enabled || view.door_url.is_some());
    if !started {
        let why = view
            .problem
            .map(|p| format!("{} ({})", p.message, p.code))
            .unwrap_or_else(|| "no listener started".into());
        return Err(CliError::Config(format!(
            "the local API could not start: {why}; choose another --port or stop what uses it"
        )));
    }
    if ctx.json {
        output::json_line(&serde_json::json!({
            "api_url": view.api_url,
            "door_url": view.door_url,
            "certificate_fingerprint": view.certificate_fingerprint,
        }))?;
    } else {
        if let Some(url) = &view.api_url {
            output::line(&format!("listening on {url}"))?;
        }
        if let Some(url) = &view.door_url {
            output::line(&format!("door listening on {url}"))?;
        }
        if let Some(fingerprint) = &view.certificate_fingerprint {
            output::line(&format!("certificate SHA-256 {fingerprint}"))?;
        }
    }
    signals.wait().await;
    tracing::info!("stop signal received; stopping");
    Ok(())
}

/// SIGINT and SIGTERM, listened for from before the listeners start (Ctrl-C elsewhere).
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())
                    .map_err(CliError::io("listen for SIGINT"))?,
                terminate: signal(SignalKind::terminate())
                    .map_err(CliError::io("listen for SIGTERM"))?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
