//! The audit entries compliance work writes: a manager's action on a reconciliation difference
//! and a changed state deadline.
//!
//! Guarantees: each function is called inside the transaction of the change it records, so the
//! change and its entry commit together; entries carry names, ids and values, never a key.

use jiff::Timestamp;
use rusqlite::Connection;

use crate::audit::{self, AuditAction, AuditEvent};
use crate::{Actor, CoreError};

/// A manager changed a state's default deadline.
pub(crate) fn state_deadline_set(
    conn: &Connection,
    at: Timestamp,
    actor: &Actor,
    state: &str,
    was: &str,
    hours: u32,
) -> Result<(), CoreError> {
    let event = AuditEvent::by(
        actor.name(),
        AuditAction::DeadlineChanged,
        format!("state {state}"),
        format!("default reporting deadline {was} -> {hours} h"),
    );
    audit::append(conn, at, &event).map(drop)
}

/// A manager acted on a reconciliation difference.
pub(crate) fn difference_resolved(
    conn: &Connection,
    at: Timestamp,
    actor: &Actor,
    subject: &str,
    detail: &str,
) -> Result<(), CoreError> {
    let event = AuditEvent::by(
        actor.name(),
        AuditAction::ReconciliationAction,
        subject,
        detail,
    );
    audit::append(conn, at, &event).map(drop)
}
