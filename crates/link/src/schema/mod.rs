//! The store schema: embedded, append-only migrations, applied in order, each in the same
//! transaction as its version row.
//!
//! Guarantees: a released migration is never edited (a new file is added instead); the whole
//! upgrade runs in one transaction under a transaction-level advisory lock, so two registers
//! starting at once upgrade once and the second sees the result; a schema newer than
//! [`VERSION`] is refused before anything is written ([`crate::LinkError::SchemaTooNew`]).

use tokio_postgres::Client;

use crate::LinkError;

/// The migrations, in order: (version, SQL).
const MIGRATIONS: [(i32, &str); 11] = [
    (1, include_str!("0001_store.sql")),
    (2, include_str!("0002_records.sql")),
    (3, include_str!("0003_deliveries.sql")),
    (4, include_str!("0004_effects.sql")),
    (5, include_str!("0005_people.sql")),
    (6, include_str!("0006_key_holders.sql")),
    (7, include_str!("0007_handovers.sql")),
    (8, include_str!("0008_audit.sql")),
    (9, include_str!("0009_handover_dependencies.sql")),
    (10, include_str!("0010_state_times.sql")),
    (11, include_str!("0011_limit_settings.sql")),
];

/// The newest schema version this build knows.
pub const VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock key the upgrade holds (any constant shared by every register).
const UPGRADE_LOCK: i64 = 0x5354_4154_454c_494e;

/// Brings the schema up to [`VERSION`]; returns the version found before.
pub(crate) async fn upgrade(client: &mut Client, server: &str) -> Result<i32, LinkError> {
    let pg = |e| LinkError::from_postgres(server, e);
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&UPGRADE_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS stateline_schema (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(pg)?;
    let found: i32 = tx
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM stateline_schema",
            &[],
        )
        .await
        .map_err(pg)?
        .get(0);
    if found > VERSION {
        return Err(LinkError::SchemaTooNew {
            found,
            known: VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO stateline_schema (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg)?;
        tracing::info!(version, "store schema upgraded");
    }
    tx.commit().await.map_err(pg)?;
    Ok(found)
}
