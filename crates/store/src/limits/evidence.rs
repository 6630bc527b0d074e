//! The `sale_limit_checks` table: for every sale, the limit check made inside its transaction —
//! what it counted as, each limit's total, the patient reading and any approval used — so an
//! inspector can see why each sale was allowed, also for sales made offline.
//!
//! Guarantees: one row per sale, written in the sale's own transaction (a sale without its row
//! was recorded before limits existed); rows are never changed; nothing here is a secret.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use stateline_limits::Amounts;

use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError};

/// Whose earlier sales a window summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryScope {
    /// This sale alone: the customer was not identified (an adult-use sale).
    Sale,
    /// This register's sales to the patient (it is not joined to a store).
    Register,
    /// Every register's sales to the patient, the others' as pulled at `pulled_as_of`.
    Store {
        /// When the other registers' records were last pulled (`None`: never yet).
        pulled_as_of: Option<Timestamp>,
    },
}

impl HistoryScope {
    /// In words, for screens and reports, as of the check made at `checked_at` (how long before
    /// it the other registers' sales were pulled; never a raw instant).
    pub fn describe(&self, checked_at: Timestamp) -> String {
        match self {
            HistoryScope::Sale => "this sale alone (customer not identified)".into(),
            HistoryScope::Register => "this register's sales".into(),
            HistoryScope::Store {
                pulled_as_of: Some(at),
            } => format!(
                "the whole store's sales (other registers' as pulled {} before)",
                crate::time::spoken_span(checked_at.duration_since(*at))
            ),
            HistoryScope::Store { pulled_as_of: None } => {
                "this register's sales (the other registers' not pulled yet)".into()
            }
        }
    }
}

/// On what the check rested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBasis {
    /// No state chosen at this register: no limits could be checked.
    NoState,
    /// No rules ship for the register's state: no limits could be checked.
    NoRules,
    /// The state's rules, from local data only.
    Rules,
    /// The state's rules and a reading of the patient's allotment from Metrc.
    PatientReading,
    /// A medical sale without a reading, sold within the adult-use limits as the state allows.
    AdultUseWithoutReading,
    /// A medical sale without a reading, approved by a manager as the state allows.
    ManagerOverride,
}

/// One limit's total as checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitTotal {
    /// The rule's id, or `metrc-allotment:<registration>:<category>` for a patient's allotment.
    pub rule: String,
    /// `transaction` or `days:N`.
    pub window: String,
    /// The limit.
    pub limit: f64,
    /// This sale plus the window's earlier sales.
    pub total: f64,
    /// What the figures count.
    pub unit: String,
    /// Whether the figure is certain (rules files mark the uncertain ones).
    pub certain: bool,
    /// Whether the total exceeds the limit.
    pub over: bool,
}

/// The patient reading a check used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingUsed {
    /// Its row in `patient_readings`.
    pub id: i64,
    /// When it was read.
    pub read_at: Timestamp,
    /// How old it was when the sale was checked, in seconds.
    pub age_seconds: i64,
}

/// A manager's approval used by a sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalUsed {
    /// `late_sale` or `without_patient_data`.
    pub kind: String,
    /// The manager.
    pub manager: String,
    /// Why.
    pub reason: String,
}

/// Why a sale was allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitEvidence {
    /// The register's state, if chosen.
    pub state: Option<String>,
    /// The rules file's version.
    pub rules_version: Option<u32>,
    /// The customer as the sale named them (`adult_use`, `medical`, `caregiver`).
    pub customer: String,
    /// Whose rules were applied (differs when a state has none for the customer).
    pub rules_applied: String,
    /// On what the check rested.
    pub basis: LimitBasis,
    /// Whose earlier sales the windows summed.
    pub scope: HistoryScope,
    /// What this sale counted as, per category.
    pub counted: Amounts,
    /// Every limit checked.
    pub totals: Vec<LimitTotal>,
    /// The patient reading used.
    pub reading: Option<ReadingUsed>,
    /// The store's overrides in force ("rule: limit, by, reason").
    pub overrides: Vec<String>,
    /// Approvals used.
    pub approvals: Vec<ApprovalUsed>,
}

impl LimitEvidence {
    /// One line for reports: the rules and basis, whose sales were summed, each limit's total,
    /// the reading and approvals used ("CO rules v1, adult_use: adult-use-transaction 3.50/28
    /// g of flower; …"), for the check made at `checked_at` (when the sale was recorded).
    pub fn summary(&self, checked_at: Timestamp) -> String {
        let rules = match (&self.state, self.rules_version) {
            (Some(state), Some(version)) => format!("{state} rules v{version}"),
            (Some(state), None) => format!("no rules for {state}: not checked"),
            (None, _) => "no state chosen: not checked".into(),
        };
        let basis = match self.basis {
            LimitBasis::NoState | LimitBasis::NoRules => String::new(),
            LimitBasis::Rules => format!(", {}", self.rules_applied),
            LimitBasis::PatientReading => {
                format!(", {} with Metrc's patient reading", self.customer)
            }
            LimitBasis::AdultUseWithoutReading => {
                format!(", {} without a reading: adult-use limits", self.customer)
            }
            LimitBasis::ManagerOverride => {
                format!(", {} without a reading: manager's approval", self.customer)
            }
        };
        let mut parts = vec![format!("{rules}{basis}")];
        if !self.totals.is_empty() {
            parts.push(format!("summed {}", self.scope.describe(checked_at)));
            parts.push(
                self.totals
                    .iter()
                    .map(|t| format!("{} {:.2}/{:.2} {}", t.rule, t.total, t.limit, t.unit))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if let Some(r) = &self.reading {
            parts.push(format!(
                "Metrc's patient reading, {} old",
                crate::time::spoken_span(jiff::SignedDuration::from_secs(r.age_seconds))
            ));
        }
        for o in &self.overrides {
            parts.push(format!("store override {o}"));
        }
        for a in &self.approvals {
            parts.push(format!(
                "{} approved by {}: {}",
                a.kind.replace('_', " "),
                a.manager,
                a.reason
            ));
        }
        parts.join("; ")
    }
}

/// Writes the check of sale `sale_id` (in the sale's transaction).
pub(crate) fn insert(
    tx: &Connection,
    sale_id: i64,
    patient: Option<&str>,
    evidence: &LimitEvidence,
    now: Timestamp,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO sale_limit_checks (sale_id, patient_number, counted, evidence, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        sale_id,
        patient,
        to_json(&evidence.counted)?,
        to_json(evidence)?,
        to_ms(now)
    ])?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Internal(format!("limit evidence as JSON: {e}")))
}

/// What sale `sale_id` counted as, if it was checked.
pub(crate) fn counted_of(c: &Connection, sale_id: i64) -> Result<Option<Amounts>, StoreError> {
    let text: Option<String> = c
        .prepare_cached("SELECT counted FROM sale_limit_checks WHERE sale_id = ?1")?
        .query_row(params![sale_id], |r| r.get(0))
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// A sale's check, for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleCheck {
    /// The sale's client id.
    pub client_id: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Who rang it up.
    pub acting_user: String,
    /// When the check was made.
    pub checked_at: Timestamp,
    /// The check.
    pub evidence: LimitEvidence,
}

fn parse_evidence(text: &str) -> Result<LimitEvidence, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Internal(format!("stored limit evidence unreadable: {e}")))
}

impl Database {
    /// The limit check of sale `sale_id` (`None` for a sale recorded before limits existed).
    pub fn sale_limit_check(&self, sale_id: i64) -> Result<Option<LimitEvidence>, StoreError> {
        self.read(|c| {
            let text: Option<String> = c
                .prepare_cached("SELECT evidence FROM sale_limit_checks WHERE sale_id = ?1")?
                .query_row(params![sale_id], |r| r.get(0))
                .optional()?;
            text.as_deref().map(parse_evidence).transpose()
        })
    }

    /// The checks of this register's sales that happened in `[from, to)`, oldest first.
    pub fn sale_limit_checks_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SaleCheck>, StoreError> {
        self.read(|c| {
            let rows: Vec<(String, i64, String, i64, String)> = c
                .prepare_cached(
                    "SELECT s.client_id, s.occurred_at, s.acting_user, k.checked_at, k.evidence
                     FROM sale_limit_checks k JOIN sales s ON s.id = k.sale_id
                     WHERE s.occurred_at >= ?1 AND s.occurred_at < ?2
                     ORDER BY s.occurred_at, s.id",
                )?
                .query_map(params![to_ms(from), to_ms(to)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(client_id, at, user, checked, text)| {
                    Ok(SaleCheck {
                        client_id,
                        occurred_at: from_ms(at),
                        acting_user: user,
                        checked_at: from_ms(checked),
                        evidence: parse_evidence(&text)?,
                    })
                })
                .collect()
        })
    }
}
