//! Reconciliation of one licence's local day with Metrc's receipts (not to be confused with
//! `delivery::reconcile`, the engine's lookups of ambiguous records).
//!
//! A run pulls the licence's receipts from Metrc (active and voided, last-modified windows of at
//! most 24 hours from the start of the day to now, oldest first, every page), keeps those whose
//! `SalesDateTime` falls on the day in the licence's time zone, looks up by external number any
//! confirmed sale the windows did not return, fetches the lines of the receipts it compares, and
//! reports each difference with a kind, the ids, local and Metrc values and a suggested fix. In a
//! store, a receipt carrying the external number of another register's sale (from this
//! register's copy, `peer_records`) is the store's, not an unknown one.
//!
//! Guarantees:
//! - a run only reads from Metrc (GETs); nothing is voided, deleted or re-sent by a run. Changes
//!   happen only through [`resolve_difference`], a manager's explicit, audited action;
//! - a run and its differences are stored in one transaction; a daily run is stored at most once
//!   per licence and day (a unique index enforces it even against a concurrent caller);
//! - a run that fails (Metrc unreachable, key refused) stores nothing and says why;
//! - windows reach at most [`MAX_LOOKAHEAD_DAYS`] days past the day (receipts last modified
//!   later are still found for our own sales by the external-number lookup).

mod actions;
mod compare;
mod daily;
mod fetch;
mod store;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use actions::resolve_difference;
pub use daily::{DueOutcome, DueRun, reconcile_due};
pub use fetch::reconcile_day;
pub use store::ReconciliationStore;

/// How far past the reconciled day Metrc's last-modified windows reach.
pub const MAX_LOOKAHEAD_DAYS: i64 = 31;

/// What a difference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// Confirmed here, but Metrc has no receipt with its external number.
    MissingInMetrc,
    /// An active receipt whose external number is not one of this store's sales (this register's
    /// or, in a store, another register's as pulled), or has none.
    UnknownExternalNumber,
    /// More than one active receipt carries the same external number of ours.
    DuplicateExternalNumber,
    /// The quantity of a package on the receipt differs.
    QuantityDiffers,
    /// The amount of a package on the receipt differs.
    AmountDiffers,
    /// Voided here (void confirmed) but the receipt is still active in Metrc.
    VoidMissingInMetrc,
    /// Voided in Metrc but not here.
    VoidedOnlyInMetrc,
    /// Withdrawn here before it was confirmed, yet active in Metrc.
    WithdrawnButInMetrc,
}

impl DifferenceKind {
    /// Every kind.
    pub const ALL: [DifferenceKind; 8] = [
        DifferenceKind::MissingInMetrc,
        DifferenceKind::UnknownExternalNumber,
        DifferenceKind::DuplicateExternalNumber,
        DifferenceKind::QuantityDiffers,
        DifferenceKind::AmountDiffers,
        DifferenceKind::VoidMissingInMetrc,
        DifferenceKind::VoidedOnlyInMetrc,
        DifferenceKind::WithdrawnButInMetrc,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceKind::MissingInMetrc => "missing_in_metrc",
            DifferenceKind::UnknownExternalNumber => "unknown_external_number",
            DifferenceKind::DuplicateExternalNumber => "duplicate_external_number",
            DifferenceKind::QuantityDiffers => "quantity_differs",
            DifferenceKind::AmountDiffers => "amount_differs",
            DifferenceKind::VoidMissingInMetrc => "void_missing_in_metrc",
            DifferenceKind::VoidedOnlyInMetrc => "voided_only_in_metrc",
            DifferenceKind::WithdrawnButInMetrc => "withdrawn_but_in_metrc",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// What a manager may do about a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixCode {
    /// Queue the sale again, as a copy under a new external number.
    ResendSale,
    /// Void (archive) the receipt in Metrc.
    VoidInMetrc,
    /// Queue the sale's lines again as a correction of its receipt.
    ResendCorrection,
    /// Accept the difference as explained; nothing changes.
    Acknowledge,
}

impl FixCode {
    /// Every fix.
    pub const ALL: [FixCode; 4] = [
        FixCode::ResendSale,
        FixCode::VoidInMetrc,
        FixCode::ResendCorrection,
        FixCode::Acknowledge,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            FixCode::ResendSale => "resend_sale",
            FixCode::VoidInMetrc => "void_in_metrc",
            FixCode::ResendCorrection => "resend_correction",
            FixCode::Acknowledge => "acknowledge",
        }
    }

    /// The fix with that code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// Who or what started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Asked for (CLI, screen).
    Manual,
    /// The once-a-day run for yesterday.
    Daily,
}

impl Trigger {
    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Daily => "daily",
        }
    }
}

/// A difference before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewDifference {
    pub kind: DifferenceKind,
    pub sale_id: Option<i64>,
    pub client_id: Option<String>,
    pub metrc_receipt_id: Option<i64>,
    pub label: Option<String>,
    pub local_value: Option<String>,
    pub metrc_value: Option<String>,
    pub fix: FixCode,
    pub fix_text: String,
}

/// A stored difference and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub id: i64,
    pub run_id: i64,
    pub kind: DifferenceKind,
    /// The local sale concerned, if any.
    pub sale_id: Option<i64>,
    /// The sale's client id (= external number), or the unknown external number.
    pub client_id: Option<String>,
    /// Metrc's receipt id, if a receipt is concerned.
    pub metrc_receipt_id: Option<i64>,
    /// The package label, for quantity and amount differences.
    pub label: Option<String>,
    pub local_value: Option<String>,
    pub metrc_value: Option<String>,
    /// The suggested fix.
    pub fix: FixCode,
    /// The suggested fix in words.
    pub fix_text: String,
    /// What a manager did, once done.
    pub resolution: Option<FixCode>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub resolution_note: Option<String>,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationRun {
    pub id: i64,
    pub licence: String,
    /// The local day, `YYYY-MM-DD`.
    pub day: String,
    pub trigger: Trigger,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// Local sales made that day.
    pub local_sales: u32,
    /// Local sales not compared because they are still on their way to Metrc.
    pub not_compared: u32,
    /// Metrc receipts of that day.
    pub metrc_receipts: u32,
    pub differences: u32,
}

/// A run with its differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub run: ReconciliationRun,
    pub differences: Vec<Difference>,
}
