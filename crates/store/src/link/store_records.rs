//! The records of the whole store or of one register, as this register can see them offline: its
//! own outbox and its copy of the other registers' records (`peer_records`) — what the Sync
//! screen lists when a manager picks a scope other than "this register".
//!
//! Guarantees: read-only; this register's records come from its outbox exactly as the Sync
//! screen lists them, the others' from the last pulled copy with the state their register last
//! told the store (so the view is as fresh as the last store sync,
//! [`super::store_registers::KnownRegisters::as_of`]); newest first by the time each record
//! happened; never needs the store server.

use jiff::Timestamp;

use super::peer_records::{PeerEntry, PeerFilter};
use crate::outbox::{EntryFilter, EntryKind, EntryState, OutboxEntry};
use crate::{Database, StoreError};

/// Whose records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordScope {
    /// This register's own (the Sync screen's default).
    ThisRegister,
    /// Every register's.
    Store,
    /// One register's, by id (this register's id means [`RecordScope::ThisRegister`]).
    Register(String),
}

/// Which records to list; empty fields match everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRecordFilter {
    /// Whose.
    pub scope: RecordScope,
    /// Only this licence.
    pub licence: Option<String>,
    /// Only this user's.
    pub acting_user: Option<String>,
    /// Only this kind.
    pub kind: Option<EntryKind>,
    /// Only these states (another register's record not told yet counts as `pending`).
    pub states: Vec<EntryState>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A record of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRecord {
    /// This register's own, from its outbox.
    Own(OutboxEntry),
    /// Another register's, from the pulled copy (read-only here).
    Peer(PeerEntry),
}

impl StoreRecord {
    /// When it happened.
    pub fn occurred_at(&self) -> Timestamp {
        match self {
            StoreRecord::Own(e) => e.occurred_at,
            StoreRecord::Peer(p) => p.occurred_at,
        }
    }
}

impl Database {
    /// The records in `filter` (see the module doc).
    pub fn store_records(
        &self,
        filter: &StoreRecordFilter,
    ) -> Result<Vec<StoreRecord>, StoreError> {
        let (own, peers) = match &filter.scope {
            RecordScope::ThisRegister => (true, None),
            RecordScope::Register(id) if id == self.install_id() => (true, None),
            RecordScope::Register(id) => (false, Some(Some(id.clone()))),
            RecordScope::Store => (true, Some(None)),
        };
        let mut records = Vec::new();
        if own {
            let entries = self.list_entries(&EntryFilter {
                licence: filter.licence.clone(),
                acting_user: filter.acting_user.clone(),
                states: filter.states.clone(),
                kind: filter.kind,
                before_id: None,
                limit: Some(filter.limit),
            })?;
            records.extend(entries.into_iter().map(StoreRecord::Own));
        }
        if let Some(register_id) = peers {
            let entries = self.peer_entries(&PeerFilter {
                register_id,
                licence: filter.licence.clone(),
                acting_user: filter.acting_user.clone(),
                kind: filter.kind,
                states: filter.states.clone(),
                newest: Some(filter.limit),
                ..PeerFilter::default()
            })?;
            records.extend(entries.into_iter().map(StoreRecord::Peer));
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.occurred_at()));
        records.truncate(filter.limit as usize);
        Ok(records)
    }
}
