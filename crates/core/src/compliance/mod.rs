//! Compliance: what lets a store manager answer a regulator and catch where the register and
//! Metrc disagree (issue #6).
//!
//! - [`reconciliation`]: a licence's local day compared with Metrc's receipts, differences with
//!   suggested fixes, a manager's audited actions, and the once-a-day run;
//! - [`outage`]: every record made while the register was not in step with Metrc, as CSV or a
//!   printable page;
//! - [`deadlines`]: default reporting deadlines per state and the "warn ahead" level.
//!
//! Guarantees: nothing here changes anything in Metrc on its own; every change a manager makes
//! here is audited in the same transaction; tables are in migration 0005.

mod audit_log;
pub mod deadlines;
pub mod outage;
pub mod reconciliation;

pub use deadlines::{DeadlineWarning, NewLicence, StateDeadline};
pub use outage::{OutageQuery, OutageReport, OutageRow, WaitReason};
pub use reconciliation::{
    Difference, DifferenceKind, DueOutcome, DueRun, FixCode, ReconciliationRun, RunReport, Trigger,
    reconcile_day, reconcile_due, resolve_difference,
};
