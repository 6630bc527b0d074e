//! `stateline-crash-syncer [--follow] [--settle-ms N] DB_PATH METRC_URL`: runs delivery passes
//! over the database until they stop making progress. Keys come from stdin as `user=key` lines
//! (never from arguments); the vendor key is the demo vendor key. Built with the core's
//! `crash-points`, so `STATELINE_CRASH_AT=<point>` makes it abort at that point.
//!
//! `--follow` (the sync kill loop's syncing process): after recovery it prints `syncing` on its
//! own line, flushed, then keeps running passes (a short nap when one made no progress) until it
//! is killed or a pass fails. `--settle-ms N` sets the engine's settle window (default: the
//! engine's own).

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use stateline_delivery::{DeliveryConfig, DeliveryEngine};
use stateline_keys::StaticKeys;
use stateline_store::Database;

const USAGE: &str = "usage: stateline-crash-syncer [--follow] [--settle-ms N] DB_PATH METRC_URL  (keys on stdin as user=key)";

/// The command line.
struct Args {
    path: String,
    url: String,
    follow: bool,
    settle_ms: Option<i64>,
}

fn parse_args() -> Option<Args> {
    let mut follow = false;
    let mut settle_ms = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--follow" => follow = true,
            "--settle-ms" => settle_ms = Some(args.next()?.parse().ok()?),
            _ => positional.push(arg),
        }
    }
    let [path, url] = <[String; 2]>::try_from(positional).ok()?;
    Some(Args {
        path,
        url,
        follow,
        settle_ms,
    })
}

fn main() -> std::process::ExitCode {
    let Some(args) = parse_args() else {
        eprintln!("{USAGE}");
        return std::process::ExitCode::from(2);
    };
    let keys = StaticKeys::new();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        if let Some((user, key)) = line.split_once('=') {
            match metrc::UserKey::new(key) {
                Ok(key) => keys.set_user_key(user, key),
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        let db = Database::open(&args.path)?;
        let mut config = metrc::ClientConfig::new(
            args.url.parse().map_err(|e| {
                stateline_delivery::DeliveryError::Internal(format!("bad URL: {e}"))
            })?,
            metrc::VendorKey::new(metrc_emulator::DEMO_VENDOR_KEY)?,
        );
        config.request_timeout = Duration::from_secs(2);
        let client = metrc::MetrcClient::new(config)?;
        let mut delivery = DeliveryConfig {
            concurrency: 1,
            ..DeliveryConfig::default()
        };
        if let Some(ms) = args.settle_ms {
            delivery.settle = jiff::SignedDuration::from_millis(ms);
        }
        let engine = DeliveryEngine::new(db, client, Arc::new(keys), delivery);
        engine.recover().await?;
        if args.follow {
            let mut out = std::io::stdout().lock();
            writeln!(out, "syncing")
                .and_then(|()| out.flush())
                .map_err(|e| stateline_delivery::DeliveryError::Internal(e.to_string()))?;
            loop {
                if !engine.run_once().await?.made_progress() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
        while engine.run_once().await?.made_progress() {}
        Ok::<_, stateline_delivery::DeliveryError>(())
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
