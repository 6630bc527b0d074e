//! The command line of the standalone emulator, reusable by `stateline emulator`.
//!
//! Guarantees: the first line on stdout is `listening on http://ADDR` (flushed) once the port
//! is bound; logs go to stderr via tracing and never contain keys.

use crate::Emulator;
use crate::error::EmulatorError;
use crate::faults::Faults;
use crate::options::Options;
use crate::seed::Seed;
use clap::Parser;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use stateline_clock::Clock;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `metrc-emulator --listen 127.0.0.1:PORT [--seed FILE|demo] [--options FILE] [--faults FILE]`
#[derive(Debug, Clone, Parser)]
#[command(
    name = "metrc-emulator",
    about = "A stateful Metrc v2 emulator with fault injection"
)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Seed: `demo` or a JSON seed file.
    #[arg(long, default_value = "demo")]
    pub seed: String,
    /// JSON options file.
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// JSON faults file.
    #[arg(long)]
    pub faults: Option<PathBuf>,
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, EmulatorError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| EmulatorError::ParseFile {
        path: path.to_owned(),
        what,
        source,
    })
}

impl EmulatorArgs {
    /// Loads the seed (the demo one dated relative to `now`), options and faults the arguments
    /// name.
    pub fn load(&self, now: Timestamp) -> Result<(Seed, Options, Faults), EmulatorError> {
        let seed = if self.seed == "demo" {
            Seed::demo(now)
        } else {
            Seed::from_json_file(&self.seed)?
        };
        let options = match &self.options {
            Some(p) => read_json(p, "options")?,
            None => Options::default(),
        };
        let faults = match &self.faults {
            Some(p) => read_json(p, "faults")?,
            None => Faults::default(),
        };
        Ok((seed, options, faults))
    }
}

/// Logs to stderr (`RUST_LOG` filters; default `info`).
pub fn init_stderr_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Starts the emulator on `clock`, prints the listening line, serves until Ctrl-C, then shuts
/// down.
pub async fn run_cli(args: EmulatorArgs, clock: Arc<dyn Clock>) -> Result<(), EmulatorError> {
    let (seed, options, faults) = args.load(clock.now())?;
    let emulator = Emulator::start_with_clock(args.listen, seed, options, clock).await?;
    emulator.control().set_faults(faults);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", emulator.base_url()).map_err(EmulatorError::Stdout)?;
        out.flush().map_err(EmulatorError::Stdout)?;
    }
    tracing::info!(addr = %emulator.addr(), "metrc emulator ready");
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    Ok(())
}
