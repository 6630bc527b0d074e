//! The `patient_readings` table: readings of a medical patient's allotment from Metrc
//! (`GET /patients/v2/statuses/{number}`), kept with the time they were read.
//!
//! Guarantees: append-only (a reading is evidence; later ones supersede it for new sales, never
//! rewrite it); the caller reads Metrc and stores the reading before the sale, so a sale's check
//! never waits on the network; the latest reading of a patient at a licence is the one a sale
//! uses, whatever its age — the evidence records the age.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use stateline_limits::Amounts;

use crate::records::entry_checks;
use crate::time::{from_ms, to_ms};
use crate::{Database, StoreError, inventory::licences};

/// Grams in one of Metrc's ounces.
const GRAMS_PER_OUNCE: f64 = 28.0;

/// One registration of a patient as Metrc listed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// Metrc's registration number.
    pub registration_number: Option<String>,
    /// Whether the registration is active.
    pub active: bool,
    /// Ounces of flower the patient may still buy in the window.
    pub flower_ounces_available: f64,
    /// Ounces of THC the patient may still buy (infused products by THC content).
    pub thc_ounces_available: f64,
    /// Ounces of concentrate the patient may still buy.
    pub concentrate_ounces_available: f64,
    /// Ounces of infused product the patient may still buy (by weight).
    pub infused_ounces_available: f64,
    /// Whether Metrc tracks an allotment for this registration at all (any figure allowed or
    /// available); a registration with every figure zero carries none.
    pub tracks_allotment: bool,
    /// The window Metrc's figures cover, in days.
    pub purchase_amount_days: Option<f64>,
    /// When the patient's licence expires.
    pub licence_expires: Option<jiff::civil::Date>,
}

impl Registration {
    /// What the registration still allows, per limit category: flower, concentrate and infused
    /// weight in grams (an ounce is 28 g), THC in milligrams.
    pub fn available(&self) -> Amounts {
        [
            ("flower", self.flower_ounces_available * GRAMS_PER_OUNCE),
            (
                "concentrate",
                self.concentrate_ounces_available * GRAMS_PER_OUNCE,
            ),
            (
                "edible_weight",
                self.infused_ounces_available * GRAMS_PER_OUNCE,
            ),
            (
                "infused_thc",
                self.thc_ounces_available * GRAMS_PER_OUNCE * 1000.0,
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.max(0.0)))
        .collect()
    }
}

/// A reading of one patient at one licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientReading {
    /// Row id.
    pub id: i64,
    /// The licence it was read under.
    pub licence: String,
    /// The patient's licence number.
    pub patient_number: String,
    /// When it was read (this register's clock).
    pub read_at: Timestamp,
    /// Who looked the patient up.
    pub read_by: String,
    /// Metrc's registrations (none: Metrc does not know the number).
    pub registrations: Vec<Registration>,
}

const COLUMNS: &str = "id, licence, patient_number, read_at, read_by, registrations";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(PatientReading, String)> {
    Ok((
        PatientReading {
            id: r.get(0)?,
            licence: r.get(1)?,
            patient_number: r.get(2)?,
            read_at: from_ms(r.get(3)?),
            read_by: r.get(4)?,
            registrations: Vec::new(),
        },
        r.get(5)?,
    ))
}

fn parse(row: (PatientReading, String)) -> Result<PatientReading, StoreError> {
    let (mut reading, json) = row;
    reading.registrations = serde_json::from_str(&json).map_err(|e| {
        StoreError::Internal(format!("patient reading {} unreadable: {e}", reading.id))
    })?;
    Ok(reading)
}

/// The latest reading of `patient` at `licence`.
pub(crate) fn latest(
    c: &Connection,
    licence: &str,
    patient: &str,
) -> Result<Option<PatientReading>, StoreError> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM patient_readings WHERE licence = ?1 AND patient_number = ?2
         ORDER BY read_at DESC, id DESC LIMIT 1"
    ))?
    .query_row(params![licence, patient], from_row)
    .optional()?
    .map(parse)
    .transpose()
}

/// Trims a patient or caregiver number and refuses one that cannot be a licence number:
/// 1 to 50 letters, digits, `-`, `.`, `/` or spaces.
pub fn licence_number_shape(field: &'static str, number: &str) -> Result<String, StoreError> {
    let number = number.trim();
    entry_checks::short_text(field, number)?;
    let fits = !number.is_empty()
        && number.chars().count() <= 50
        && number
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '/' | ' '));
    if !fits {
        return Err(StoreError::InvalidInput {
            field,
            detail: format!(
                "{:?} is not a licence number: use the number on the card (letters, digits and dashes, at most 50)",
                number.chars().take(60).collect::<String>()
            ),
        });
    }
    Ok(number.to_owned())
}

impl Database {
    /// Stores a reading of `patient` at `licence` taken now by `read_by`; returns it.
    pub fn save_patient_reading(
        &self,
        licence: &str,
        patient: &str,
        read_by: &str,
        registrations: &[Registration],
    ) -> Result<PatientReading, StoreError> {
        let patient = licence_number_shape("patient number", patient)?;
        let now = self.now();
        let json = serde_json::to_string(registrations)
            .map_err(|e| StoreError::Internal(format!("patient reading as JSON: {e}")))?;
        self.write(|tx| {
            licences::require(tx, licence)?;
            tx.prepare_cached(
                "INSERT INTO patient_readings (licence, patient_number, read_at, read_by, registrations)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![licence, patient, to_ms(now), read_by, json])?;
            Ok(PatientReading {
                id: tx.last_insert_rowid(),
                licence: licence.to_owned(),
                patient_number: patient.clone(),
                read_at: from_ms(to_ms(now)),
                read_by: read_by.to_owned(),
                registrations: registrations.to_vec(),
            })
        })
    }

    /// The latest reading of `patient` at `licence`, if any.
    pub fn latest_patient_reading(
        &self,
        licence: &str,
        patient: &str,
    ) -> Result<Option<PatientReading>, StoreError> {
        let patient = patient.trim().to_owned();
        self.read(|c| latest(c, licence, &patient))
    }
}
