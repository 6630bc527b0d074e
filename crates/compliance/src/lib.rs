//! Compliance: what lets a store manager answer a regulator and catch where the register and
//! Metrc disagree (issue #6).
//!
//! - [`reconciliation`]: a licence's local day compared with Metrc's receipts, differences with
//!   suggested fixes, a manager's audited actions, and the once-a-day run;
//! - [`outage`]: every record made while the register was not in step with Metrc, as CSV or a
//!   printable page;
//! - the audit trail of a manager's fixes (`audit_log`);
//! - [`deadlines`]: every open record of the store against its reporting deadline (issue #13).
//!
//! In a store (issue #13) the outage report and the deadlines include the other registers'
//! records from this register's copy (`peer_records`), each naming its register, and
//! reconciliation counts their sales as the store's, so all of it works while cut off.
//!
//! Reporting deadlines per state live with the licences in the store
//! (`stateline_store::inventory::deadlines`), since a licence needs one when it is added.
//!
//! Guarantees: nothing here changes anything in Metrc on its own; every change a manager makes
//! here is audited in the same transaction; tables are in migration 0005. This crate is handed a
//! key and a read limiter; it never looks keys up itself.

mod audit_log;
pub mod deadlines;
mod error;
pub mod outage;
pub mod reconciliation;

pub use deadlines::{DeadlineRow, RegisterDeadlines, StoreDeadlines, store_deadlines};
pub use error::ComplianceError;
pub use outage::{OutageQuery, OutageReport, OutageReports, OutageRow, WaitReason};
pub use reconciliation::{
    Difference, DifferenceKind, DueOutcome, DueRun, FixCode, ReconciliationRun,
    ReconciliationStore, RunReport, Trigger, reconcile_day, reconcile_due, resolve_difference,
};
