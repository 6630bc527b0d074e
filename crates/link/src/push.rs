//! Pushing this register's records to the store: the register's outbox, oldest first, after the
//! last entry the store confirmed, as [`StoreRecord`]s keyed by the register's id (the store's
//! install id) and the entry's local id — together with the delivery states that changed since
//! the store was last told (`stateline_store::link::pushed_states`).
//!
//! Guarantees: records and states of a batch go to the store in one transaction (states only of
//! records the store has or gets in it), and the local note of both — the mark
//! `link.pushed_through` and the states the store holds — moves in one local transaction, only
//! after the store committed; a register killed between the two pushes the same batch again next
//! time, and the store keeps each record once and each state as the latest (see
//! [`crate::records`]); reading the outbox and writing the mark run on blocking threads; a sale
//! never waits for any of this (it commits to SQLite as before).

use std::collections::BTreeMap;

use jiff::Timestamp;
use stateline_store::{Database, EntryState, OutboxEntry};
use stateline_tasks::run_blocking;

use crate::deliveries::DeliveryState;
use crate::records::{Pushed, StoreRecord};
use crate::{LinkError, StoreServer};

/// The register setting holding the last local entry id the store has.
pub use stateline_store::link::PUSHED_THROUGH;

/// What one push pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReport {
    /// What the store did with the records of the batch.
    pub pushed: Pushed,
    /// Delivery states sent with them.
    pub states: usize,
    /// The local entry id the mark now stands at.
    pub through: i64,
}

impl PushReport {
    /// Whether the pass found nothing to send.
    pub fn was_idle(&self) -> bool {
        self.pushed.inserted + self.pushed.already_there == 0 && self.states == 0
    }
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

/// The next records to push and the states to send with them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The local entry id the store has everything up to.
    pub after: i64,
    /// The records after it, oldest first.
    pub records: Vec<StoreRecord>,
    /// The entries, through the last of `records` (or `after`), whose state the store lacks.
    pub changed: Vec<OutboxEntry>,
    /// What those entries do to stock, by entry id (sent with their states).
    pub deltas: BTreeMap<i64, BTreeMap<String, i64>>,
}

impl Batch {
    /// The mark once this batch is in the store.
    pub fn through(&self) -> i64 {
        self.records.last().map_or(self.after, |r| r.local_seq)
    }
}

/// The next at most `batch` records after the mark and at most `batch` changed states (one read
/// of the mark).
pub async fn next_batch(db: &Database, batch: u32) -> Result<Batch, LinkError> {
    let db = db.clone();
    run_blocking(move || {
        let after = pushed_through(&db)?;
        let records: Vec<StoreRecord> = db
            .entries_after(after, batch)?
            .iter()
            .map(|entry| store_record(&db, entry))
            .collect::<Result<_, _>>()?;
        let through = records.last().map_or(after, |r| r.local_seq);
        let changed = db.changed_states(through, batch)?;
        let ids: Vec<i64> = changed.iter().map(|e| e.id).collect();
        let deltas = db.recorded_deltas(&ids)?;
        Ok(Batch {
            after,
            records,
            changed,
            deltas,
        })
    })
    .await
}

/// One pass: the next batch and its states to the store, then the local note of both.
pub async fn push_once(
    db: &Database,
    server: &mut StoreServer,
    batch: u32,
    now: Timestamp,
) -> Result<PushReport, LinkError> {
    let next = next_batch(db, batch).await?;
    let through = next.through();
    if next.records.is_empty() && next.changed.is_empty() {
        return Ok(PushReport {
            pushed: Pushed::default(),
            states: 0,
            through,
        });
    }
    let register_id = db.install_id().to_owned();
    let states: Vec<DeliveryState> = next
        .changed
        .iter()
        .map(|e| DeliveryState {
            register_id: register_id.clone(),
            local_seq: e.id,
            state: e.state.as_str().to_owned(),
            attempts: i32::try_from(e.attempts).unwrap_or(i32::MAX),
            last_error: e.last_error.clone(),
            deltas: next.deltas.get(&e.id).cloned().unwrap_or_default(),
            state_changed_at: e.state_changed_at,
        })
        .collect();
    let pushed = server.push_with_states(&next.records, &states, now).await?;
    let marks: Vec<(i64, EntryState, u32)> = next
        .changed
        .iter()
        .map(|e| (e.id, e.state, e.attempts))
        .collect();
    let writer = db.clone();
    run_blocking(move || Ok::<_, LinkError>(writer.mark_pushed(through, &marks)?)).await?;
    Ok(PushReport {
        pushed,
        states: states.len(),
        through,
    })
}
