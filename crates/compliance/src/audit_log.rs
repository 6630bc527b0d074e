//! The audit entry compliance work writes: a manager's action on a reconciliation difference.
//!
//! Guarantees: each function is called inside the transaction of the change it records, so the
//! change and its entry commit together; entries carry names, ids and values, never a key.

use jiff::Timestamp;
use rusqlite::Connection;
use stateline_store::Actor;
use stateline_store::people::audit::{self, AuditAction, AuditEvent};

use crate::ComplianceError;

/// A manager acted on a reconciliation difference.
pub(crate) fn difference_resolved(
    conn: &Connection,
    at: Timestamp,
    actor: &Actor,
    subject: &str,
    detail: &str,
) -> Result<(), ComplianceError> {
    let event = AuditEvent::by(
        actor.name(),
        AuditAction::ReconciliationAction,
        subject,
        detail,
    );
    Ok(audit::append(conn, at, &event).map(drop)?)
}
