//! The `outbox_packages` table: which labels each non-terminal entry uses or creates.
//!
//! Guarantees (SPEC guarantee 4, causal order), enforced by `claim_batch`:
//! - records on one package commute in Metrc (each changes its quantity by its own amount) unless
//!   some order drives the package below zero. So an entry waits for an EARLIER non-terminal entry
//!   of a DIFFERENT kind that uses or creates one of its labels only while that package is
//!   *tight*: Metrc's quantity as this register knows it, plus every decrease still to be
//!   reported (this register's and the other registers' of the store), is below zero, i.e. some
//!   pending increase (a void, a positive adjustment) must reach Metrc first. A package this
//!   register does not hold counts as tight. Otherwise every order is safe, and a record waiting
//!   for its maker's key, or a slow kind, holds nobody else's records on that package;
//! - an entry is not claimed while an EARLIER entry of ANY kind that creates one of its labels is
//!   not confirmed (sales from a new tag wait for the split; a split of a merged tag waits for the
//!   merge) — a rejected creator keeps blocking;
//! - same-kind entries that only use a label go together, in id order (sales of one package);
//! - a rejected entry stops blocking through the labels it uses: its `uses` rows are parked (their
//!   `kind` column becomes `'rejected'`, which matches no kind) and restored when it is resent;
//! - rows exist only for non-terminal entries: they are removed on confirmation and on void.
//!
//! Unrelated packages share no rows and never wait for each other.

use rusqlite::{Connection, params};

use crate::StoreError;
use crate::outbox::EntryKind;

/// How an entry relates to a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The entry changes an existing package.
    Uses,
    /// The entry creates the package (new tag).
    Creates,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Uses => "uses",
            Role::Creates => "creates",
        }
    }
}

const INSERT: &str =
    "INSERT OR IGNORE INTO outbox_packages (entry_id, label, kind, role) VALUES (?1, ?2, ?3, ?4)";
const DELETE_ALL: &str = "DELETE FROM outbox_packages WHERE entry_id = ?1";
const PARK_USES: &str =
    "UPDATE outbox_packages SET kind = 'rejected' WHERE entry_id = ?1 AND role = 'uses'";
const UNPARK: &str = "UPDATE outbox_packages SET kind = ?2 WHERE entry_id = ?1";

pub(crate) fn insert(
    conn: &Connection,
    entry_id: i64,
    label: &str,
    kind: EntryKind,
    role: Role,
) -> Result<(), StoreError> {
    conn.prepare_cached(INSERT)?
        .execute(params![entry_id, label, kind.as_str(), role.as_str()])?;
    Ok(())
}

/// The entry became terminal: it blocks nothing any more.
pub(crate) fn remove_all(conn: &Connection, entry_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(DELETE_ALL)?
        .execute(params![entry_id])?;
    Ok(())
}

/// The entry was rejected: it keeps blocking only through the labels it creates.
pub(crate) fn park_uses(conn: &Connection, entry_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(PARK_USES)?.execute(params![entry_id])?;
    Ok(())
}

/// The rejected entry is resent unchanged: it blocks through all its labels again.
pub(crate) fn unpark(conn: &Connection, entry_id: i64, kind: EntryKind) -> Result<(), StoreError> {
    conn.prepare_cached(UNPARK)?
        .execute(params![entry_id, kind.as_str()])?;
    Ok(())
}

/// SQL condition (on `mine.label`): some order of the package's pending records could drive it
/// below zero in Metrc. `pending_delta` is every local and peer effect not yet in
/// `metrc_quantity`; taking the increases back out leaves Metrc's quantity after every decrease.
const TIGHT: &str = "NOT EXISTS (SELECT 1 FROM packages p WHERE p.label = mine.label
        AND p.metrc_quantity + p.pending_delta
            - (SELECT COALESCE(SUM(e.delta), 0) FROM package_effects e
               WHERE e.label = p.label AND e.delta > 0) >= 0)";

/// SQL condition (on outer alias `o` of kind `kind`) that is true when `o` may be sent now as far
/// as causal order is concerned. Kind names are constants, never user input.
pub(crate) fn unblocked_condition(kind: EntryKind) -> String {
    let others = EntryKind::ALL
        .into_iter()
        .filter(|k| *k != kind)
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "NOT EXISTS (SELECT 1 FROM outbox_packages mine
                JOIN outbox_packages other INDEXED BY outbox_packages_by_label
                  ON other.label = mine.label AND other.kind IN ({others}) AND other.entry_id < o.id
                WHERE mine.entry_id = o.id AND {TIGHT})
         AND NOT EXISTS (SELECT 1 FROM outbox_packages mine
                JOIN outbox_packages other INDEXED BY outbox_packages_creates
                  ON other.label = mine.label AND other.role = 'creates' AND other.entry_id < o.id
                WHERE mine.entry_id = o.id)
         AND (o.depends_on IS NULL
              OR EXISTS (SELECT 1 FROM outbox d WHERE d.id = o.depends_on AND d.state = 'confirmed'))"
    )
}
