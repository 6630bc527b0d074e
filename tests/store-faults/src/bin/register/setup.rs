//! Setting a register up on its data folder: the database (opened with the skewed clock), the
//! demo licence, its packages from Metrc on the first start, the Metrc client and the keys this
//! register holds.
//!
//! Guarantees: every step is idempotent, so a register restarted on its data folder (after a
//! SIGKILL) finds its records, its register id and its packages as it left them and refreshes
//! nothing (its counts stay the store-wide view it had); the keys it holds from the start are
//! the emulator's demo keys (see `keys`), saved once.

use std::sync::Arc;
use std::time::Duration;

use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE, DEMO_VENDOR_KEY};
use stateline_clock::Clock;
use stateline_store::{Database, Licence, OpenOptions};
use stateline_store_fault_tests::plan;

use crate::args::Args;
use crate::keys::RegisterKeys;

/// Opens the register's database and makes sure it has the licence.
pub fn database(args: &Args, clock: Arc<dyn Clock>) -> Result<Database, String> {
    std::fs::create_dir_all(&args.data).map_err(|e| format!("data folder: {e}"))?;
    let db = Database::open_with(
        args.data.join("stateline.sqlite"),
        OpenOptions {
            clock,
            ..OpenOptions::default()
        },
    )
    .map_err(|e| format!("database: {e}"))?;
    if db.licence(DEMO_LICENSE).is_err() {
        db.upsert_licence(&Licence {
            number: DEMO_LICENSE.into(),
            name: "Store fault suite".into(),
            time_zone: DEMO_TIME_ZONE.into(),
            reporting_deadline_hours: 24,
            object_limit: None,
        })
        .map_err(|e| format!("licence: {e}"))?;
    }
    Ok(db)
}

/// The Metrc client (demo vendor key, the suite's short request timeout).
pub fn metrc_client(args: &Args) -> Result<metrc::MetrcClient, String> {
    let url = args.metrc.parse().map_err(|e| format!("Metrc URL: {e}"))?;
    let vendor = metrc::VendorKey::new(DEMO_VENDOR_KEY).map_err(|e| e.to_string())?;
    let mut config = metrc::ClientConfig::new(url, vendor);
    config.request_timeout = Args::ms(args.request_timeout_ms);
    config.connect_timeout = Duration::from_millis(500);
    metrc::MetrcClient::new(config).map_err(|e| e.to_string())
}

/// The keys this register holds from the start (`--holds-key`), as saved at its first start.
pub fn keys(args: &Args, clock: Arc<dyn Clock>) -> Result<RegisterKeys, String> {
    let keys = RegisterKeys::new(args.data.join("stateline.sqlite"), clock);
    for user in &args.holds_keys {
        let key = plan::demo_key(user).ok_or_else(|| format!("no demo key for {user}"))?;
        keys.hold(user, key, true)?;
    }
    Ok(keys)
}

/// Fetches the licence's packages from Metrc on the first start (with the manager's key, which
/// every register holds), trying again until Metrc answers; a restart keeps what it has.
pub async fn packages(db: &Database, client: &metrc::MetrcClient) -> Result<(), String> {
    let reader = db.clone();
    let have = tokio::task::spawn_blocking(move || reader.packages(DEMO_LICENSE))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if !have.is_empty() {
        return Ok(());
    }
    let key = plan::demo_key(plan::MAX).expect("the manager has a demo key");
    let key = metrc::UserKey::new(key).map_err(|e| e.to_string())?;
    loop {
        match stateline_delivery::refresh::refresh_licence(db, client, &key, DEMO_LICENSE).await {
            Ok(_) => return Ok(()),
            Err(error) => {
                tracing::warn!(%error, "the first refresh failed; trying again");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}
