//! One pass of the store link over a live connection, in this order: heartbeat; the store's people
//! (pulled and merged, then this register's pushed when they changed); the store's purchase-limit
//! settings (overrides and item mappings, the same way); which register holds whose key; this
//! register's records and the delivery states that changed, until none are left; records handed
//! over to the register holding their user's key, and the outcomes back; the audit rows the store
//! does not have; the other registers' records until none are new; then their state changes; last,
//! the store's registers by name, stamped with the pass's end (how fresh this register's copy of
//! the others' records is: `stateline_store::link::store_registers`). The worker runs it in a
//! loop; `stateline store sync` and joining run it once.
//!
//! Guarantees: each step is idempotent and moves its local mark only after the store committed
//! (see [`crate::push`], [`crate::pull`]), so a pass that fails part-way is
//! simply run again.

use stateline_clock::Clock;
use stateline_store::Database;

use crate::{LinkError, RegisterIdentity, StoreServer, pull, push};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Records new to the store.
    pub pushed: usize,
    /// The local entry id the store has everything up to.
    pub pushed_through: i64,
    /// Delivery states sent.
    pub states: usize,
    /// Other registers' records new to this register.
    pub pulled: usize,
    /// Other registers' state changes applied to this register's copy.
    pub states_pulled: usize,
    /// Users changed here by the store's people, and in the store by this register's.
    pub people: crate::people::PeopleExchanged,
    /// Purchase-limit settings changed here by the store's, and in the store by this register's.
    pub limit_settings: crate::limit_settings::LimitSettingsExchanged,
    /// Keys the store lists (which register holds whose; never a key).
    pub keys_in_store: usize,
    /// Records handed over to the register holding their user's key, and outcomes back.
    pub handovers: crate::handover::Handovers,
    /// This register's audit rows new to the store.
    pub audit_pushed: u64,
}

/// Runs one pass (see the module doc); `progress` hears the push mark after each batch.
pub async fn sync_pass(
    db: &Database,
    server: &mut StoreServer,
    identity: &RegisterIdentity,
    batch: u32,
    clock: &dyn Clock,
    mut progress: impl FnMut(&SyncReport),
) -> Result<SyncReport, LinkError> {
    let mut report = SyncReport::default();
    server
        .touch(db.install_id(), &identity.app_version, clock.now())
        .await?;
    report.people = crate::people::exchange_people(db, server, batch).await?;
    report.limit_settings =
        crate::limit_settings::exchange_limit_settings(db, server, batch).await?;
    report.keys_in_store = crate::key_holders::exchange_held_keys(db, server, clock.now()).await?;
    loop {
        let pushed = push::push_once(db, server, batch, clock.now()).await?;
        report.pushed += pushed.pushed.inserted;
        report.states += pushed.states;
        report.pushed_through = pushed.through;
        progress(&report);
        if pushed.was_idle() {
            break;
        }
    }
    report.handovers = crate::handover::exchange_handovers(db, server, batch, clock.now()).await?;
    report.audit_pushed = crate::audit::push_audit(db, server, batch).await?;
    loop {
        let new = pull::pull_once(db, server, batch, clock.now()).await?;
        report.pulled += new;
        progress(&report);
        if new == 0 {
            break;
        }
    }
    loop {
        let applied = pull::pull_states_once(db, server, batch).await?;
        report.states_pulled += applied;
        if applied == 0 {
            break;
        }
    }
    remember_registers(db, server, clock.now()).await?;
    Ok(report)
}

/// Keeps the store's registers by name, with when the copy was brought up to date.
async fn remember_registers(
    db: &Database,
    server: &StoreServer,
    now: jiff::Timestamp,
) -> Result<(), LinkError> {
    let registers: Vec<(String, String)> = server
        .registers()
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let writer = db.clone();
    stateline_tasks::run_blocking(move || {
        Ok::<_, LinkError>(writer.remember_registers(&registers, now)?)
    })
    .await
}
