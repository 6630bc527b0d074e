//! Pushing the delivery state of this register's records: after the records themselves, the
//! states that changed since the store was last told (see `stateline_store::link::pushed_states`).
//!
//! Guarantees: only records already in the store are described (the state push reads up to the
//! push mark), and the local note of what the store holds moves only after the store committed;
//! the local reads and writes run on blocking threads.

use jiff::Timestamp;
use stateline_store::{Database, EntryState};
use stateline_tasks::run_blocking;

use crate::deliveries::DeliveryState;
use crate::{LinkError, StoreServer, push};

/// One pass: at most `batch` changed states to the store; returns how many were sent.
pub async fn push_states_once(
    db: &Database,
    server: &mut StoreServer,
    batch: u32,
    now: Timestamp,
) -> Result<usize, LinkError> {
    let reader = db.clone();
    let changed = run_blocking(move || {
        let through = push::pushed_through(&reader)?;
        Ok::<_, LinkError>(reader.changed_states(through, batch)?)
    })
    .await?;
    if changed.is_empty() {
        return Ok(0);
    }
    let register_id = db.install_id().to_owned();
    let states: Vec<DeliveryState> = changed
        .iter()
        .map(|e| DeliveryState {
            register_id: register_id.clone(),
            local_seq: e.id,
            state: e.state.as_str().to_owned(),
            attempts: i32::try_from(e.attempts).unwrap_or(i32::MAX),
            last_error: e.last_error.clone(),
        })
        .collect();
    server.record_states(&states, now).await?;
    let marks: Vec<(i64, EntryState, u32)> = changed
        .iter()
        .map(|e| (e.id, e.state, e.attempts))
        .collect();
    let writer = db.clone();
    run_blocking(move || Ok::<_, LinkError>(writer.mark_states_pushed(&marks)?)).await?;
    Ok(changed.len())
}
