//! Setting a register up on its data folder: the database (opened with the skewed clock), the
//! demo licence, its packages from Metrc on the first start, the Metrc client and the keys this
//! register holds.
//!
//! Guarantees: every step is idempotent, so a register restarted on its data folder (after a
//! SIGKILL) finds its records, its register id and its packages as it left them and refreshes
//! nothing (its counts stay the store-wide view it had); a held key is the emulator's demo key in
//! a static key source (the OS keychain is covered by the keychain, CLI and app suites: here only
//! *where* a key is matters), and its metadata row is written as the keys crate writes it
//! (never the key), so the store learns which register holds whose key.

use std::sync::Arc;
use std::time::Duration;

use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE, DEMO_VENDOR_KEY};
use stateline_clock::Clock;
use stateline_keys::StaticKeys;
use stateline_store::{Database, Licence, OpenOptions};
use stateline_store_fault_tests::plan;

use crate::args::Args;

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

/// The keys this register holds, in a static key source, with their metadata written.
pub fn keys(args: &Args, db: &Database) -> Result<StaticKeys, String> {
    let keys = StaticKeys::new();
    let conn = rusqlite::Connection::open(args.data.join("stateline.sqlite"))
        .map_err(|e| format!("database for key metadata: {e}"))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    for user in &args.holds_keys {
        let key = plan::demo_key(user).ok_or_else(|| format!("no demo key for {user}"))?;
        keys.set_user_key(user, metrc::UserKey::new(key).map_err(|e| e.to_string())?);
        let saved_at = stateline_store::time::to_ms(db.now());
        conn.execute(
            "INSERT OR IGNORE INTO key_metadata (environment, holder, entry, last_four,
                 saved_at, saved_by, verdict, validated_at)
             VALUES ('demo', ?1, ?2, ?3, ?4, 'max', 'all_good', ?4)",
            rusqlite::params![
                format!("user:{user}"),
                format!("store-faults.user-{user}"),
                &key[key.len() - 4..],
                saved_at
            ],
        )
        .map_err(|e| format!("key metadata: {e}"))?;
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
