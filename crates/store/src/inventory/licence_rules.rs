//! The `app_licence_rules` table (migration 7): what a sale at a licence must carry — a patient's
//! or a caregiver's licence number — as Metrc's facility type says (`GET /facilities/v2`, read
//! when the licence is bound) or as a manager states when binding it from the command line.
//!
//! Guarantees: the rule is enforced by [`Database::record_sale`] inside the sale's own
//! transaction ([`require_numbers`]), so the app, the command line and any other caller refuse
//! alike; a refused sale writes nothing; a licence without a row requires neither number.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Database, StoreError};

/// What a sale at a licence must carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LicenceRules {
    /// A sale needs the patient's licence number.
    pub requires_patient_number: bool,
    /// A sale needs the caregiver's licence number.
    pub requires_caregiver_number: bool,
}

const SELECT: &str = "SELECT requires_patient_number, requires_caregiver_number
                      FROM app_licence_rules WHERE licence = ?1";

const UPSERT: &str =
    "INSERT INTO app_licence_rules (licence, requires_patient_number, requires_caregiver_number)
     VALUES (?1, ?2, ?3)
     ON CONFLICT (licence) DO UPDATE SET
        requires_patient_number = excluded.requires_patient_number,
        requires_caregiver_number = excluded.requires_caregiver_number";

fn read(c: &Connection, licence: &str) -> Result<LicenceRules, StoreError> {
    Ok(c.prepare_cached(SELECT)?
        .query_row(params![licence], |r| {
            Ok(LicenceRules {
                requires_patient_number: r.get(0)?,
                requires_caregiver_number: r.get(1)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Refuses a sale at `licence` that lacks a number its rules require (blank counts as missing).
pub(crate) fn require_numbers(
    c: &Connection,
    licence: &str,
    patient: Option<&str>,
    caregiver: Option<&str>,
) -> Result<(), StoreError> {
    let rules = read(c, licence)?;
    let missing = |n: Option<&str>| n.is_none_or(|n| n.trim().is_empty());
    if rules.requires_patient_number && missing(patient) {
        return Err(StoreError::InvalidInput {
            field: "patient number",
            detail: "this licence requires the patient's licence number; enter it".into(),
        });
    }
    if rules.requires_caregiver_number && missing(caregiver) {
        return Err(StoreError::InvalidInput {
            field: "caregiver number",
            detail: "this licence requires the caregiver's licence number; enter it".into(),
        });
    }
    Ok(())
}

impl Database {
    /// The rules of `licence` (neither number required when none were stored).
    pub fn licence_rules(&self, licence: &str) -> Result<LicenceRules, StoreError> {
        self.read(|c| read(c, licence))
    }

    /// Stores the rules of `licence` (replacing earlier ones).
    pub fn set_licence_rules(&self, licence: &str, rules: LicenceRules) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(UPSERT)?.execute(params![
                licence,
                rules.requires_patient_number,
                rules.requires_caregiver_number
            ])?;
            Ok(())
        })
    }
}
