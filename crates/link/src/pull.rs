//! Pulling the other registers' records from the store into this register's `peer_records`, and
//! then the changes of their delivery states (with what each record does to stock, which moves
//! this register's on-hand: `stateline_store::link::peer_effects`).
//!
//! Guarantees: a pull starts, per register, after the highest sequence already held (read from
//! the local copy itself, so there is no separate mark to drift), and saving is idempotent — a
//! register killed between the two pulls the same rows again harmlessly; this register's own
//! records are never pulled back.

use jiff::Timestamp;
use stateline_store::Database;
use stateline_tasks::run_blocking;

use crate::{LinkError, StoreServer};

/// One pass: at most `batch` records new to this register; returns how many were new.
pub async fn pull_once(
    db: &Database,
    server: &StoreServer,
    batch: u32,
    now: Timestamp,
) -> Result<usize, LinkError> {
    let reader = db.clone();
    let marks = run_blocking(move || Ok::<_, LinkError>(reader.peer_marks()?)).await?;
    let records = server
        .records_since(db.install_id(), &marks, i64::from(batch))
        .await?;
    if records.is_empty() {
        return Ok(0);
    }
    let writer = db.clone();
    run_blocking(move || Ok::<_, LinkError>(writer.save_peer_records(&records, now)?)).await
}

/// One pass of state changes: at most `batch` of the other registers' changes after the last
/// applied; returns how many were applied (0 also when the next change's record is not here yet).
pub async fn pull_states_once(
    db: &Database,
    server: &StoreServer,
    batch: u32,
) -> Result<usize, LinkError> {
    let reader = db.clone();
    let after = run_blocking(move || Ok::<_, LinkError>(reader.peer_states_through()?)).await?;
    let changes = server
        .states_since(db.install_id(), after, i64::from(batch))
        .await?;
    if changes.is_empty() {
        return Ok(0);
    }
    let writer = db.clone();
    run_blocking(move || Ok::<_, LinkError>(writer.apply_peer_states(&changes)?)).await
}
