//! Pulling the other registers' records from the store into this register's `peer_records`.
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
