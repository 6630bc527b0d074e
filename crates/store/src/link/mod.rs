//! What the register keeps locally for its store (issue #13): the other registers' records as
//! pulled from the store server ([`peer_records`]) and what they take from stock
//! ([`peer_effects`]), and the delivery state of its own records as
//! last pushed there ([`pushed_states`]); the store's registers by name with the time of the last
//! sync ([`store_registers`]) and the records of the whole store or one register
//! ([`store_records`]), for the store-wide views that must answer while cut off.
//!
//! Guarantees: these tables are copies and bookkeeping, never the register's own records — a sale
//! commits to `sales` and `outbox` exactly as without a store, and nothing here is needed to sell
//! (the peer effects only lower the counts it sells from);
//! nothing here is a secret (records name users, never keys).

pub mod handovers;
pub mod held_keys;
pub mod peer_effects;
pub mod peer_records;
pub mod pushed_states;
pub mod shared_people;
pub mod store_records;
pub mod store_registers;

use crate::{Database, StoreError};

/// The prefix of every setting the store link keeps (`link.store`, `link.pushed_through`, …).
pub const SETTINGS_PREFIX: &str = "link.";

/// The setting holding the last local entry id the store server has.
pub const PUSHED_THROUGH: &str = "link.pushed_through";

impl Database {
    /// Forgets everything this register kept for its store — the link's settings, the other
    /// registers' records, the states pushed — in one transaction (the register left its store;
    /// its own records stay, untouched).
    pub fn forget_store(&self) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM settings WHERE substr(key, 1, length(?1)) = ?1",
                [SETTINGS_PREFIX],
            )?;
            peer_effects::forget_all(tx)?;
            tx.execute("DELETE FROM peer_records", [])?;
            tx.execute("DELETE FROM pushed_states", [])?;
            Ok(())
        })
    }
}
