//! The `app_licence_rules` table (migrations 7 and 17): who a licence may sell to and what a sale
//! to a patient or caregiver there must carry — the patient's or caregiver's licence number, the
//! identification method — as Metrc's facility type says (`GET /facilities/v2`, read when the
//! licence is bound) or as a manager states when binding it from the command line.
//!
//! Guarantees: the rule is enforced by [`Database::record_sale`] inside the sale's own
//! transaction ([`require_for_customer`]), so the app, the command line and any other caller
//! refuse alike; a refused sale writes nothing; a licence without a row sells to everyone and
//! requires nothing. Numbers and the identification method are asked of sales to patients and
//! caregivers only (a consumer has none); the identification method of sales to external
//! patients, as Metrc's `SalesRequireExternalPatientIdentificationMethod` says.

use rusqlite::{Connection, OptionalExtension, params};
use stateline_limits::Customer;

use crate::{Database, StoreError};

/// Who a licence sells to and what its sales must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenceRules {
    /// A sale to a patient or caregiver needs the patient's licence number.
    pub requires_patient_number: bool,
    /// A sale to a caregiver needs the caregiver's licence number.
    pub requires_caregiver_number: bool,
    /// A sale to an external patient needs the identification method.
    pub requires_identification_method: bool,
    /// The licence may sell to consumers (adult-use customers); false for a medical-only licence.
    pub sells_to_consumers: bool,
}

impl Default for LicenceRules {
    fn default() -> LicenceRules {
        LicenceRules {
            requires_patient_number: false,
            requires_caregiver_number: false,
            requires_identification_method: false,
            sells_to_consumers: true,
        }
    }
}

/// Whether a sale asks for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Not for this customer (a consumer has no patient number).
    No,
    /// Taken when given.
    Optional,
    /// The sale is refused without it.
    Required,
}

impl Ask {
    fn required_if(required: bool) -> Ask {
        if required {
            Ask::Required
        } else {
            Ask::Optional
        }
    }
}

/// What a sale to one customer type at a licence asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asks {
    /// The patient's licence number (patients and caregivers).
    pub patient_number: Ask,
    /// The caregiver's licence number (caregivers).
    pub caregiver_number: Ask,
    /// How the patient was identified (external patients).
    pub identification_method: Ask,
}

impl LicenceRules {
    /// What a sale to `customer_type` asks for under these rules: nothing of a consumer; the
    /// patient's number of a patient or caregiver, the caregiver's of a caregiver, the
    /// identification method of an external patient, each required where the rules say.
    pub fn asks(&self, customer_type: &str) -> Asks {
        let customer = Customer::of_metrc_type(customer_type);
        let medical = customer != Customer::AdultUse;
        let only = |applies: bool, required: bool| {
            if applies {
                Ask::required_if(required)
            } else {
                Ask::No
            }
        };
        Asks {
            patient_number: only(medical, self.requires_patient_number),
            caregiver_number: only(
                customer == Customer::Caregiver,
                self.requires_caregiver_number,
            ),
            identification_method: only(
                is_external_patient(customer_type),
                self.requires_identification_method,
            ),
        }
    }
}

/// What a sale carries that the rules ask for (each already trimmed; blank is none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SaleParties<'a> {
    pub customer_type: &'a str,
    pub patient: Option<&'a str>,
    pub caregiver: Option<&'a str>,
    pub identification_method: Option<&'a str>,
}

const SELECT: &str = "SELECT requires_patient_number, requires_caregiver_number,
                             requires_identification_method, sells_to_consumers
                      FROM app_licence_rules WHERE licence = ?1";

const UPSERT: &str = "INSERT INTO app_licence_rules (licence, requires_patient_number,
        requires_caregiver_number, requires_identification_method, sells_to_consumers)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (licence) DO UPDATE SET
        requires_patient_number = excluded.requires_patient_number,
        requires_caregiver_number = excluded.requires_caregiver_number,
        requires_identification_method = excluded.requires_identification_method,
        sells_to_consumers = excluded.sells_to_consumers";

fn read(c: &Connection, licence: &str) -> Result<LicenceRules, StoreError> {
    Ok(c.prepare_cached(SELECT)?
        .query_row(params![licence], |r| {
            Ok(LicenceRules {
                requires_patient_number: r.get(0)?,
                requires_caregiver_number: r.get(1)?,
                requires_identification_method: r.get(2)?,
                sells_to_consumers: r.get(3)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Whether a Metrc customer type is an external patient (a patient registered in another state).
pub fn is_external_patient(customer_type: &str) -> bool {
    let lower = customer_type.to_ascii_lowercase();
    lower.contains("external") && lower.contains("patient")
}

/// Refuses a sale at `licence` to a customer it may not sell to, or that lacks something its
/// rules require of that customer.
pub(crate) fn require_for_customer(
    c: &Connection,
    licence: &str,
    sale: SaleParties<'_>,
) -> Result<(), StoreError> {
    let rules = read(c, licence)?;
    let refuse = |field: &'static str, detail: &str| {
        Err(StoreError::InvalidInput {
            field,
            detail: detail.to_owned(),
        })
    };
    if !rules.sells_to_consumers
        && Customer::of_metrc_type(sale.customer_type) == Customer::AdultUse
    {
        return refuse(
            "customer type",
            "this licence sells only to patients and caregivers; choose the patient's customer type",
        );
    }
    let asks = rules.asks(sale.customer_type);
    let missing = |ask: Ask, given: Option<&str>| ask == Ask::Required && given.is_none();
    if missing(asks.patient_number, sale.patient) {
        return refuse(
            "patient number",
            "this licence requires the patient's licence number; enter it",
        );
    }
    if missing(asks.caregiver_number, sale.caregiver) {
        return refuse(
            "caregiver number",
            "this licence requires the caregiver's licence number; enter it",
        );
    }
    if missing(asks.identification_method, sale.identification_method) {
        return refuse(
            "identification method",
            "this licence requires how an external patient was identified (for example the ID card's kind); enter it",
        );
    }
    Ok(())
}

/// An identification method as entered: trimmed, words of letters, digits, spaces and `' . - /`,
/// at most 50 characters.
pub fn identification_method_shape(method: &str) -> Result<String, StoreError> {
    let method = method.trim();
    crate::records::entry_checks::short_text("identification method", method)?;
    let fits = !method.is_empty()
        && method.chars().count() <= 50
        && method
            .chars()
            .all(|ch| ch.is_alphanumeric() || matches!(ch, ' ' | '\'' | '.' | '-' | '/'));
    if !fits {
        return Err(StoreError::InvalidInput {
            field: "identification method",
            detail: format!(
                "{:?} is not an identification method: name the document, e.g. \"Driver's License\" (letters, digits, spaces, at most 50)",
                method.chars().take(60).collect::<String>()
            ),
        });
    }
    Ok(method.to_owned())
}

impl Database {
    /// The rules of `licence` (sells to everyone, requires nothing, when none were stored).
    pub fn licence_rules(&self, licence: &str) -> Result<LicenceRules, StoreError> {
        self.read(|c| read(c, licence))
    }

    /// Stores the rules of `licence` (replacing earlier ones).
    pub fn set_licence_rules(&self, licence: &str, rules: LicenceRules) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(UPSERT)?.execute(params![
                licence,
                rules.requires_patient_number,
                rules.requires_caregiver_number,
                rules.requires_identification_method,
                rules.sells_to_consumers
            ])?;
            Ok(())
        })
    }
}
