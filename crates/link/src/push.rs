//! Pushing this register's records to the store: the register's outbox, oldest first, after the
//! last entry the store confirmed, as [`StoreRecord`]s keyed by the register's id (the store's
//! install id) and the entry's local id.
//!
//! Guarantees: the local mark (`link.pushed_through` in the register's settings) moves only after
//! the store committed the push, and only to the last entry pushed; a register killed between the
//! two pushes the same entries again next time, and the store keeps each once (see
//! [`crate::records`]); reading the outbox and moving the mark run on blocking threads; a sale
//! never waits for any of this (it commits to SQLite as before).

use jiff::Timestamp;
use stateline_store::{Database, OutboxEntry};
use stateline_tasks::run_blocking;

use crate::records::{Pushed, StoreRecord};
use crate::{LinkError, StoreServer};

/// The register setting holding the last local entry id the store has.
pub const PUSHED_THROUGH: &str = "link.pushed_through";

/// What one push pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReport {
    /// What the store did with the batch.
    pub pushed: Pushed,
    /// The local entry id the mark now stands at.
    pub through: i64,
}

/// The last local entry id the store has (0 before the first push).
pub fn pushed_through(db: &Database) -> Result<i64, LinkError> {
    let stored = db.setting(PUSHED_THROUGH)?;
    match stored.as_deref().map(str::parse::<i64>) {
        None => Ok(0),
        Some(Ok(id)) => Ok(id),
        Some(Err(_)) => Err(LinkError::InvalidConfig {
            field: "push mark",
            detail: format!(
                "the stored {PUSHED_THROUGH} {stored:?} is not a number; contact support"
            ),
        }),
    }
}

fn store_record(db: &Database, entry: &OutboxEntry) -> Result<StoreRecord, LinkError> {
    Ok(StoreRecord {
        register_id: db.install_id().to_owned(),
        local_seq: entry.id,
        client_id: entry.client_id.clone(),
        kind: entry.kind.as_str().to_owned(),
        licence: entry.licence.clone(),
        acting_user: entry.acting_user.clone(),
        occurred_at: entry.occurred_at,
        body: db.record_json(entry)?,
    })
}

/// The next records to push: the mark they follow and at most `batch` of them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The local entry id the store has everything up to.
    pub after: i64,
    /// The records after it, oldest first.
    pub records: Vec<StoreRecord>,
}

/// The next at most `batch` records after the mark, ready to push (one read of the mark).
pub async fn next_batch(db: &Database, batch: u32) -> Result<Batch, LinkError> {
    let db = db.clone();
    run_blocking(move || {
        let after = pushed_through(&db)?;
        let records = db
            .entries_after(after, batch)?
            .iter()
            .map(|entry| store_record(&db, entry))
            .collect::<Result<_, _>>()?;
        Ok(Batch { after, records })
    })
    .await
}

/// Marks everything through `through` as in the store.
pub async fn mark_pushed(db: &Database, through: i64) -> Result<(), LinkError> {
    let db = db.clone();
    run_blocking(move || Ok(db.set_setting(PUSHED_THROUGH, &through.to_string())?)).await
}

/// One pass: the next batch to the store, then the local mark.
pub async fn push_once(
    db: &Database,
    server: &mut StoreServer,
    batch: u32,
    now: Timestamp,
) -> Result<PushReport, LinkError> {
    let Batch { after, records } = next_batch(db, batch).await?;
    let Some(last) = records.last().map(|r| r.local_seq) else {
        return Ok(PushReport {
            pushed: Pushed::default(),
            through: after,
        });
    };
    let pushed = server.push(&records, now).await?;
    mark_pushed(db, last).await?;
    Ok(PushReport {
        pushed,
        through: last,
    })
}
