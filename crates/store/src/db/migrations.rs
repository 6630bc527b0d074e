//! Embedded, append-only schema migrations tracked with `PRAGMA user_version`.
//!
//! Guarantees: each migration runs in its own transaction together with the `user_version` bump, so
//! a failure leaves the previous version intact; a database whose version is newer than
//! [`SCHEMA_VERSION`] is refused before anything is written.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migrations, in order; index `i` upgrades version `i` to `i + 1`. Never edit a released one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_users.sql"),
    include_str!("migrations/0003_keys.sql"),
    include_str!("migrations/0004_audit.sql"),
    include_str!("migrations/0005_compliance.sql"),
    include_str!("migrations/0006_inventory.sql"),
    include_str!("migrations/0007_app.sql"),
    include_str!("migrations/0008_outage_index.sql"),
    include_str!("migrations/0009_store_link.sql"),
    include_str!("migrations/0010_store_effects.sql"),
    include_str!("migrations/0011_shared_people.sql"),
    include_str!("migrations/0012_handovers.sql"),
    include_str!("migrations/0013_peer_state_times.sql"),
    include_str!("migrations/0014_limits.sql"),
    include_str!("migrations/0015_shared_limits.sql"),
    include_str!("migrations/0016_integrations.sql"),
    include_str!("migrations/0017_identification.sql"),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::DatabaseTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let version = index as i64 + 1;
        // A full disk or a read-only folder keeps its own code: the file is not at fault.
        let failed = |source: rusqlite::Error| match StoreError::from(source) {
            StoreError::Storage(source) => StoreError::MigrationFailed { version, source },
            other => other,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        tx.execute_batch(sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(version, "database schema upgraded");
    }
    Ok(())
}
