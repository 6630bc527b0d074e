//! Purchase limits at the register (issue #14): what each sale counts as, checked against the
//! state's rules (`stateline-limits`) inside the sale's own transaction, with the evidence of why
//! it was allowed kept beside it.
//!
//! - [`items`]: what one unit of an item counts as — Metrc's item facts, or a manager's mapping;
//! - [`overrides`]: a store's audited overrides of its state's figures, and the rules in force;
//! - [`shared`]: the overrides and mappings (removals included) as the store's registers share
//!   them, and the merge that makes them store-wide (the later change wins);
//! - [`readings`]: readings of a patient's allotment from Metrc, kept with their time;
//! - [`history`]: what a patient bought in a window, at this register and (when joined) the store;
//! - [`evidence`]: the `sale_limit_checks` table — each sale's check, for inspectors;
//! - [`assess`]: the check itself, shared by `record_sale` and the Sell screen's running totals.
//!
//! Guarantees: the check needs no network (a patient reading is read by the caller and stored
//! first); a sale over a limit, with an item the limits cannot count, or to a patient Metrc says
//! may not buy is refused before anything is written; every exception (a late paper sale, a
//! medical sale without Metrc's data where the state allows a manager's override) needs a
//! manager's [`Approval`] and is audited in the sale's transaction.

pub mod assess;
pub mod evidence;
pub mod history;
pub mod items;
pub mod overrides;
pub mod readings;
pub mod shared;

use crate::StoreError;
use crate::inventory::packages::non_empty;
use crate::people::users::{Actor, Permission};
use crate::records::entry_checks;

pub use assess::{Assessment, CartLine, LimitPreview};
pub use evidence::{HistoryScope, LimitBasis, LimitEvidence, LimitTotal, ReadingUsed};
pub use items::{ItemMap, UnmappedItem};
pub use overrides::LimitOverride;
pub use readings::{PatientReading, Registration};
pub use shared::{LimitSettingKind, SharedLimitSetting};

/// A manager's approval of an exception, with the reason that goes into the audit log.
#[derive(Debug, Clone)]
pub struct Approval {
    by: Actor,
    reason: String,
}

impl Approval {
    /// An approval by `by` (who must be allowed to approve exceptions) for `reason`.
    pub fn new(by: Actor, reason: &str) -> Result<Approval, StoreError> {
        by.require(Permission::ApproveSaleExceptions)?;
        non_empty("reason", reason)?;
        entry_checks::short_text("reason", reason)?;
        Ok(Approval {
            by,
            reason: reason.trim().to_owned(),
        })
    }

    /// The approving manager's name.
    pub fn manager(&self) -> &str {
        self.by.name()
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The exceptions a manager approved for one sale (none, usually).
#[derive(Debug, Clone, Default)]
pub struct SaleExceptions {
    /// The sale happened before its licence's reporting window (a paper sale from an outage).
    pub late: Option<Approval>,
    /// A medical sale without a reading of the patient's allotment, where the state's rule is a
    /// manager's override.
    pub without_patient_data: Option<Approval>,
}
