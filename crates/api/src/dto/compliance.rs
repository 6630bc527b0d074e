//! Compliance shapes of the IPC contract: audit verification, the outage report (CSV file or
//! printable page), reconciliation with Metrc (runs, differences, a manager's fixes, the daily
//! run), per-state reporting deadlines and backups.
//!
//! Guarantees: plain data only; nothing here can carry a key or a PIN; times are RFC 3339 UTC
//! strings, days are `YYYY-MM-DD` in the licence's time zone.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `verify_audit`: the audit chain checked from its first entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AuditVerificationView {
    /// Every entry links to the one before and matches its hash.
    Intact {
        /// Entries checked.
        #[ts(type = "number")]
        entries: u64,
        /// The last entry's hash (note it down to notice a later truncation).
        head_hash: String,
    },
    /// The first entry that does not check out, and why.
    Broken {
        #[ts(type = "number")]
        seq: i64,
        reason: String,
    },
}

/// `export_outage_csv` / `outage_report_page`: records made from the start of `from` to the end
/// of `to` (days in the licence's time zone; the register's first licence when `licence` is null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutageRequest {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`.
    pub to: String,
    /// Only this licence (`null`: every licence; days in the first licence's time zone).
    pub licence: Option<String>,
}

/// The outage report saved as a CSV file (the window cannot download files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutageCsvView {
    /// Where it was written: `<data folder>/exports/outage-<UTC stamp>.csv`.
    pub path: String,
    /// Records in the report.
    pub rows: u32,
}

/// The outage report as a standalone printable page (no external assets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutagePageView {
    pub html: String,
    /// Records in the report.
    pub rows: u32,
}

pub use super::wire::DifferenceKind;

pub use super::wire::FixCode;

/// One stored reconciliation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconciliationRunView {
    #[ts(type = "number")]
    pub id: i64,
    pub licence: String,
    /// The local day compared, `YYYY-MM-DD`.
    pub day: String,
    /// "manual" or "daily".
    pub trigger: String,
    #[ts(type = "string")]
    pub started_at: jiff::Timestamp,
    #[ts(type = "string")]
    pub finished_at: jiff::Timestamp,
    /// Local sales made that day.
    pub local_sales: u32,
    /// Local sales not compared because they are still on their way to Metrc.
    pub not_compared: u32,
    /// Metrc receipts of that day.
    pub metrc_receipts: u32,
    pub differences: u32,
}

/// One difference with its suggested fix and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DifferenceView {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub run_id: i64,
    pub kind: DifferenceKind,
    #[ts(type = "number | null")]
    pub sale_id: Option<i64>,
    /// The sale's receipt number here (or the unknown number Metrc holds).
    pub client_id: Option<String>,
    #[ts(type = "number | null")]
    pub metrc_receipt_id: Option<i64>,
    /// The package, for quantity and amount differences.
    pub label: Option<String>,
    pub local_value: Option<String>,
    pub metrc_value: Option<String>,
    pub suggested_fix: FixCode,
    /// The suggested fix in words.
    pub fix_text: String,
    /// The fixes a manager may choose for this kind (the suggested one among them).
    pub fixes: Vec<FixCode>,
    /// What a manager did (`null`: open).
    pub resolution: Option<FixCode>,
    pub resolved_by: Option<String>,
    #[ts(type = "string | null")]
    pub resolved_at: Option<jiff::Timestamp>,
    pub resolution_note: Option<String>,
}

/// A run with its differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconciliationView {
    pub run: ReconciliationRunView,
    pub differences: Vec<DifferenceView>,
}

/// `reconcile_day`: compare one local day of a licence with Metrc (reads only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconcileRequest {
    /// `null` = the register's first licence.
    pub licence: Option<String>,
    /// `YYYY-MM-DD` in the licence's time zone.
    pub day: String,
}

/// `reconciliation_run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RunIdRequest {
    #[ts(type = "number")]
    pub id: i64,
}

/// `resolve_difference`: a manager's explicit fix (audited in the same transaction as the fix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResolveDifferenceRequest {
    #[ts(type = "number")]
    pub id: i64,
    pub fix: FixCode,
    /// Why (kept with the resolution and in the audit log).
    pub note: Option<String>,
}

/// What the last background daily reconciliation did for one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DailyReconciliationView {
    pub licence: String,
    /// The day compared (yesterday in the licence's time zone).
    pub day: String,
    /// "ran", "already_ran", "no_key" or "failed".
    pub outcome: String,
    /// The stored run when it ran now.
    #[ts(type = "number | null")]
    pub run_id: Option<i64>,
    /// Why it failed or did not run (never a key).
    pub message: Option<String>,
    #[ts(type = "string")]
    pub checked_at: jiff::Timestamp,
}

/// `reconciliation_overview`: recent runs, the latest daily run in full, and what the last
/// background check did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconciliationOverview {
    /// Newest first (at most 20).
    pub runs: Vec<ReconciliationRunView>,
    pub last_daily: Option<ReconciliationView>,
    /// Empty until the background check has run since the app started.
    pub daily_checks: Vec<DailyReconciliationView>,
}

/// One state's default reporting deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StateDeadlineView {
    /// Two-letter code, e.g. `CO`.
    pub state: String,
    pub hours: u32,
    /// Still the shipped assumption (not checked against the state's rules by a manager).
    pub assumed: bool,
    #[ts(type = "string | null")]
    pub updated_at: Option<jiff::Timestamp>,
    pub updated_by: Option<String>,
}

/// `set_state_deadline` (licences already bound keep their own deadline; edit those in the
/// licence settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StateDeadlineRequest {
    pub state: String,
    pub hours: u32,
}

/// When the daily backup runs and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupSettingsView {
    /// Local time, `HH:MM`.
    pub daily_at: String,
    /// How many backups to keep (at least 1).
    pub keep: u32,
    /// IANA time zone of `daily_at`; `null` = the computer's.
    pub time_zone: Option<String>,
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupView {
    pub path: String,
    #[ts(type = "string")]
    pub taken_at: jiff::Timestamp,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// `backup_overview`: settings, backups (newest first) and how to restore one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupOverview {
    pub settings: BackupSettingsView,
    /// `<data folder>/backups`.
    pub folder: String,
    pub backups: Vec<BackupView>,
    /// Whether the daily backup is due now (the app takes it in the background).
    pub due: bool,
    /// Why the app's last daily backup attempt failed (`null`: it did not fail); it is tried
    /// again at the next check.
    pub last_failure: Option<String>,
    /// The command a manager runs to restore (with the app closed): replace `<FILE>` and
    /// `<MANAGER>`; the PIN is asked on standard input.
    pub restore_command: String,
}
