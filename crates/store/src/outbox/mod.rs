//! The `outbox` table: one row per local record to deliver to Metrc, and its state machine.
//!
//! Guarantees:
//! - an entry is created in the same transaction as its domain record, its package effects and its
//!   causal-order rows (see [`causal`]);
//! - states move only along the legal transitions below, each done by one
//!   `UPDATE … WHERE state IN (allowed)` whose affected-row count is checked; a trigger in the
//!   schema refuses any other transition, and an append-only `outbox_history` row records each one;
//! - `client_id` is unique and never changes, so a record is always reported under the same
//!   identifier (`ExternalReceiptNumber`, note token, new tag);
//! - every transition is committed before the network call that depends on it.
//!
//! ```text
//! pending ──claim──▶ sending ──▶ confirmed            (terminal)
//!    │  ▲              │ ├──▶ rejected ──edit/resend──▶ pending
//!    │  └─release──────┘ ├──▶ ambiguous ──found──▶ confirmed
//!    │                   │        └──two misses──▶ pending (same client id)
//!    ├──key failed──▶ waiting_for_key ──new key──▶ pending
//!    └──void (also from rejected, waiting_for_key)──▶ voided (terminal)
//! ```
//! `ambiguous` entries cannot be voided: they may already be in Metrc, so they must be looked up
//! first (found → confirmed, then void the sale in Metrc; missed twice → pending, then void).

pub mod attempts;
pub mod causal;
mod claim;
pub mod gates;
mod read;
mod transitions;

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::time::from_ms;
use crate::{StoreError, records::effects};

pub use read::{EntryFilter, EntryHistory, StateCount, Transition};
pub(crate) use transitions::replace_effects as transitions_replace_effects;
pub use transitions::{Confirmation, RejectedEdit};

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A sale receipt.
    Sale,
    /// A package adjustment.
    Adjustment,
    /// One new package (tag) from ingredients (merge or split).
    NewPackage,
    /// A correction of an already reported sale.
    SaleCorrection,
    /// A void of an already reported sale.
    SaleVoid,
}

impl EntryKind {
    /// All kinds.
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Sale,
        EntryKind::Adjustment,
        EntryKind::NewPackage,
        EntryKind::SaleCorrection,
        EntryKind::SaleVoid,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Sale => "sale",
            EntryKind::Adjustment => "adjustment",
            EntryKind::NewPackage => "new_package",
            EntryKind::SaleCorrection => "sale_correction",
            EntryKind::SaleVoid => "sale_void",
        }
    }
}

/// Where an entry is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Waiting to be sent.
    Pending,
    /// Claimed by the engine; a request may be in flight.
    Sending,
    /// Metrc has it (terminal).
    Confirmed,
    /// Might have reached Metrc; must be looked up before any resend.
    Ambiguous,
    /// Metrc refused it (400); needs a person.
    Rejected,
    /// The acting user's key failed; waits for a new key.
    WaitingForKey,
    /// Withdrawn by a manager with a reason (terminal).
    Voided,
}

impl EntryState {
    /// All states.
    pub const ALL: [EntryState; 7] = [
        EntryState::Pending,
        EntryState::Sending,
        EntryState::Confirmed,
        EntryState::Ambiguous,
        EntryState::Rejected,
        EntryState::WaitingForKey,
        EntryState::Voided,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Sending => "sending",
            EntryState::Confirmed => "confirmed",
            EntryState::Ambiguous => "ambiguous",
            EntryState::Rejected => "rejected",
            EntryState::WaitingForKey => "waiting_for_key",
            EntryState::Voided => "voided",
        }
    }

    /// Confirmed or voided: nothing more will happen to it.
    pub fn is_terminal(self) -> bool {
        matches!(self, EntryState::Confirmed | EntryState::Voided)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for EntryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| StoreError::InvalidInput {
                field: "kind",
                detail: format!("{s:?} is not a record kind"),
            })
    }
}

impl FromStr for EntryState {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        EntryState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| StoreError::InvalidInput {
                field: "state",
                detail: format!("{s:?} is not a record state"),
            })
    }
}

impl rusqlite::types::FromSql for EntryKind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str()?
            .parse()
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

impl rusqlite::types::FromSql for EntryState {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str()?
            .parse()
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// One outbox entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Row id (also the causal order: lower ids happened first).
    pub id: i64,
    /// Our identifier for the record (ExternalReceiptNumber for sales; in the note for adjustments).
    pub client_id: String,
    /// What the record is.
    pub kind: EntryKind,
    /// Licence it belongs to.
    pub licence: String,
    /// The user who made it (whose key sends it).
    pub acting_user: String,
    /// Id of the record in its kind's table (`sales`, `adjustments`, `new_packages`, ...).
    pub record_id: i64,
    /// Current state.
    pub state: EntryState,
    /// How many times it was claimed for sending.
    pub attempts: u32,
    /// Not to be claimed before this time.
    pub next_attempt_at: Timestamp,
    /// Last error, in words.
    pub last_error: Option<String>,
    /// When the record happened (UTC).
    pub occurred_at: Timestamp,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// When the state last changed.
    pub state_changed_at: Timestamp,
    /// Metrc's id for it, once known.
    pub metrc_id: Option<i64>,
    /// When it became ambiguous.
    pub ambiguous_since: Option<Timestamp>,
    /// Lookups that did not find it since it became ambiguous.
    pub lookup_misses: u32,
    /// When it was last looked up.
    pub last_lookup_at: Option<Timestamp>,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Who voided it.
    pub voided_by: Option<String>,
    /// The entry that must be confirmed first (a void/correction depends on its sale).
    pub depends_on: Option<i64>,
    /// Metrc's id of `depends_on` (the sale's receipt id), once known.
    pub depends_on_metrc_id: Option<i64>,
}

pub(crate) const ENTRY_COLUMNS: &str = "o.id, o.client_id, o.kind, o.licence, o.acting_user, o.record_id, o.state,
    o.attempts, o.next_attempt_at, o.last_error, o.occurred_at, o.created_at, o.state_changed_at, o.metrc_id,
    o.ambiguous_since, o.lookup_misses, o.last_lookup_at, o.void_reason, o.voided_by, o.depends_on,
    (SELECT d.metrc_id FROM outbox d WHERE d.id = o.depends_on)";

pub(crate) fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let ts = |i: usize| -> rusqlite::Result<Timestamp> { Ok(from_ms(r.get(i)?)) };
    let ots = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(from_ms))
    };
    Ok(OutboxEntry {
        id: r.get(0)?,
        client_id: r.get(1)?,
        kind: r.get(2)?,
        licence: r.get(3)?,
        acting_user: r.get(4)?,
        record_id: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        next_attempt_at: ts(8)?,
        last_error: r.get(9)?,
        occurred_at: ts(10)?,
        created_at: ts(11)?,
        state_changed_at: ts(12)?,
        metrc_id: r.get(13)?,
        ambiguous_since: ots(14)?,
        lookup_misses: r.get(15)?,
        last_lookup_at: ots(16)?,
        void_reason: r.get(17)?,
        voided_by: r.get(18)?,
        depends_on: r.get(19)?,
        depends_on_metrc_id: r.get(20)?,
    })
}

pub(crate) fn find(conn: &Connection, id: i64) -> Result<Option<OutboxEntry>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o WHERE o.id = ?1"
        ))?
        .query_row(params![id], entry_from_row)
        .optional()?)
}

pub(crate) fn require(conn: &Connection, id: i64) -> Result<OutboxEntry, StoreError> {
    find(conn, id)?.ok_or(StoreError::UnknownEntry(id))
}

/// What a recording function hands to [`insert`].
#[derive(Debug)]
pub(crate) struct NewEntry<'a> {
    pub client_id: &'a str,
    pub kind: EntryKind,
    pub licence: &'a str,
    pub acting_user: &'a str,
    pub record_id: i64,
    pub occurred_at_ms: i64,
    pub depends_on: Option<i64>,
    /// Labels whose quantity the record changes, with the signed change.
    pub deltas: &'a effects::Deltas,
    /// Labels the record creates (new tags); all other labels in `deltas` are "uses".
    pub creates: &'a [String],
}

const INSERT: &str =
    "INSERT INTO outbox (client_id, kind, licence, acting_user, record_id, state, attempts,
        next_attempt_at, occurred_at, created_at, state_changed_at, depends_on)
    VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, ?6, ?6, ?8)";

/// Inserts a pending entry with its causal rows and package effects; returns its id.
pub(crate) fn insert(conn: &Connection, e: &NewEntry<'_>, now_ms: i64) -> Result<i64, StoreError> {
    conn.prepare_cached(INSERT)?.execute(params![
        e.client_id,
        e.kind.as_str(),
        e.licence,
        e.acting_user,
        e.record_id,
        now_ms,
        e.occurred_at_ms,
        e.depends_on
    ])?;
    let id = conn.last_insert_rowid();
    for label in e.deltas.keys() {
        let role = if e.creates.contains(label) {
            causal::Role::Creates
        } else {
            causal::Role::Uses
        };
        causal::insert(conn, id, label, e.kind, role)?;
    }
    effects::insert(conn, id, e.deltas)?;
    Ok(id)
}
