//! `stateline-crash-syncer DB_PATH METRC_URL`: runs delivery passes over the database until they
//! stop making progress. Keys come from stdin as `user=key` lines (never from arguments); the
//! vendor key is the demo vendor key. Built with the core's `crash-points`, so
//! `STATELINE_CRASH_AT=<point>` makes it abort at that point.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use stateline_delivery::{DeliveryConfig, DeliveryEngine};
use stateline_keys::StaticKeys;
use stateline_store::Database;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, url] = args.as_slice() else {
        eprintln!("usage: stateline-crash-syncer DB_PATH METRC_URL  (keys on stdin as user=key)");
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
        let db = Database::open(path)?;
        let mut config = metrc::ClientConfig::new(
            url.parse().map_err(|e| {
                stateline_delivery::DeliveryError::Internal(format!("bad URL: {e}"))
            })?,
            metrc::VendorKey::new(metrc_emulator::DEMO_VENDOR_KEY)?,
        );
        config.request_timeout = Duration::from_secs(2);
        let client = metrc::MetrcClient::new(config)?;
        let engine = DeliveryEngine::new(
            db,
            client,
            Arc::new(keys),
            DeliveryConfig {
                concurrency: 1,
                ..DeliveryConfig::default()
            },
        );
        engine.recover().await?;
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
