//! `stateline-store-register`: one register of a store as its own OS process, for the store
//! fault suite (`tests/store-faults/tests`). It opens its SQLite database in `--data`, holds the
//! Metrc keys of the users named by `--holds-key` (the emulator's demo keys, in a static key
//! source: the OS keychain is covered by other suites), runs the delivery worker, the store link
//! worker and the courier worker against the store server and Metrc it is given (through the
//! driver's proxies), records its sale plan (once the driver writes `GO` on its stdin) on a
//! clock skewed by `--skew-secs`, and runs until SIGTERM (a clean stop) or SIGKILL. The store
//! server's password comes from `STATELINE_STORE_PASSWORD`, never from an argument.
//!
//! Guarantees: what it prints follows `stateline_store_fault_tests::lines` (an `ACK` only after
//! the sale committed); a restart on the same data folder is the same register (same register
//! id, same records) and goes on with its plan; logs go to stderr, never a key or the password.

mod args;
mod clock;
mod commands;
mod keys;
mod selling;
mod setup;
mod workers;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use secrecy::SecretString;
use stateline_clock::Clock;
use stateline_store_fault_tests::lines::Line;
use tokio::signal::unix::{SignalKind, signal};

use crate::args::{Args, PASSWORD_ENV};
use crate::selling::say;
use crate::workers::Workers;

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STATELINE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Ok(password) = std::env::var(PASSWORD_ENV) else {
        eprintln!("error: set {PASSWORD_ENV} to the store server's password");
        return ExitCode::from(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args, SecretString::from(password))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, password: SecretString) -> Result<(), String> {
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(clock::SkewedClock::new(args.skew_secs));
    let db = setup::database(&args, clock.clone())?;
    let client = setup::metrc_client(&args)?;
    let keys = setup::keys(&args, clock.clone())?;
    setup::packages(&db, &client).await?;
    let server = workers::server_config(&args, password);
    let workers = Workers::start(&args, &db, &client, &keys, clock, server).await?;
    say(&Line::Ready(db.install_id().to_owned()));
    let (go, started) = tokio::sync::oneshot::channel();
    let outcome = tokio::select! {
        _ = terminate.recv() => Ok(()),
        sold = async {
            selling::sell(&args, db.clone(), &workers, started).await?;
            std::future::pending::<Result<(), String>>().await
        } => sold,
        served = commands::serve(go, &keys, &workers) => served,
    };
    workers.stop(Duration::from_secs(5)).await;
    say(&Line::Stopped);
    outcome
}
