//! The store's registers as this register last heard of them (id and name), and when it last
//! pulled from the store server — so the Sync and Audit screens can offer "one register" by name
//! and say how fresh the copy of the other registers' records is, while cut off.
//!
//! Guarantees: kept as one setting (`link.registers`), replaced whole after each store sync; a
//! register that left the store keeps its last known name (its records stay in the copy); nothing
//! here is a secret; forgotten with the rest of the store's traces on leaving (the `link.` prefix).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Database, StoreError};

/// The setting holding [`KnownRegisters`] as JSON.
pub const STORE_REGISTERS: &str = "link.registers";

/// A register of the store, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRegister {
    /// Its install id.
    pub id: String,
    /// Its name in the store.
    pub name: String,
    /// Whether it was still in the store at the last sync.
    pub current: bool,
}

/// The registers this register knows of, and when the copy was last brought up to date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRegisters {
    /// When the last store sync that pulled the other registers' records finished (`None`:
    /// never).
    pub as_of: Option<Timestamp>,
    /// By name.
    pub registers: Vec<KnownRegister>,
}

impl KnownRegisters {
    /// The name of `id`, if known.
    pub fn name_of(&self, id: &str) -> Option<&str> {
        self.registers
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.as_str())
    }
}

impl Database {
    /// The registers as last heard of (see the module doc).
    pub fn known_registers(&self) -> Result<KnownRegisters, StoreError> {
        Ok(self
            .setting(STORE_REGISTERS)?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default())
    }

    /// Records the store's current registers (id, name) after a sync finished at `as_of`;
    /// registers no longer listed keep their name, marked not current.
    pub fn remember_registers(
        &self,
        current: &[(String, String)],
        as_of: Timestamp,
    ) -> Result<(), StoreError> {
        let mut by_id: BTreeMap<String, KnownRegister> = self
            .known_registers()?
            .registers
            .into_iter()
            .map(|r| {
                (
                    r.id.clone(),
                    KnownRegister {
                        current: false,
                        ..r
                    },
                )
            })
            .collect();
        for (id, name) in current {
            by_id.insert(
                id.clone(),
                KnownRegister {
                    id: id.clone(),
                    name: name.clone(),
                    current: true,
                },
            );
        }
        let mut registers: Vec<KnownRegister> = by_id.into_values().collect();
        registers.sort_by_key(|r| r.name.to_lowercase());
        let known = KnownRegisters {
            as_of: Some(as_of),
            registers,
        };
        let text = serde_json::to_string(&known)
            .map_err(|e| StoreError::Internal(format!("the store's registers as JSON: {e}")))?;
        self.set_setting(STORE_REGISTERS, &text)
    }
}
