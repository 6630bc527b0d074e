//! Pulling the other registers' records from the store into this register's `peer_records`.
//!
//! Guarantees: a pull starts, per register, after the highest sequence already held (read from
//! the local copy itself, so there is no separate mark to drift), and saving is idempotent — a
//! register killed between the two pulls the same rows again harmlessly; this register's own
//! records are never pulled back.

use jiff::Timestamp;
use stateline_store::{Database, PeerRecord};
use stateline_tasks::run_blocking;

use crate::records::StoreRecord;
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
    let peers: Vec<PeerRecord> = records.into_iter().map(peer_record).collect();
    let writer = db.clone();
    run_blocking(move || Ok::<_, LinkError>(writer.save_peer_records(&peers, now)?)).await
}

fn peer_record(r: StoreRecord) -> PeerRecord {
    PeerRecord {
        register_id: r.register_id,
        local_seq: r.local_seq,
        client_id: r.client_id,
        kind: r.kind,
        licence: r.licence,
        acting_user: r.acting_user,
        occurred_at: r.occurred_at,
        body: r.body,
    }
}
