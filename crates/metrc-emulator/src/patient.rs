//! Medical patients as the state's registry holds them: one record per registration (a patient
//! licence number may have several, as Metrc's example shows), with what each allows per period
//! and the purchases made where the emulator does not look (other dispensaries).
//!
//! Guarantees: plain data with serde (snake_case JSON, every field but the two numbers optional);
//! dates left out are reckoned from the emulator's clock when asked (the licence runs a year past
//! today, the registration began a year before), so no seed carries a fixed calendar date unless
//! it sets one; [`Patient::check`] refuses empty numbers, negative or non-finite amounts and a
//! purchase period under one day.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Amounts in ounces in Metrc's four patient categories: flower, THC (of infused products),
/// concentrate and infused product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ounces {
    /// Flower (buds, shake and trim), by weight.
    pub flower: f64,
    /// THC content of infused products.
    pub thc: f64,
    /// Concentrate, by weight.
    pub concentrate: f64,
    /// Infused product, by weight.
    pub infused: f64,
}

impl Ounces {
    /// The four amounts in Metrc's order: flower, THC, concentrate, infused.
    pub fn new(flower: f64, thc: f64, concentrate: f64, infused: f64) -> Ounces {
        Ounces {
            flower,
            thc,
            concentrate,
            infused,
        }
    }

    /// Each amount plus `other`'s.
    pub fn plus(self, other: Ounces) -> Ounces {
        Ounces {
            flower: self.flower + other.flower,
            thc: self.thc + other.thc,
            concentrate: self.concentrate + other.concentrate,
            infused: self.infused + other.infused,
        }
    }

    fn values(&self) -> [f64; 4] {
        [self.flower, self.thc, self.concentrate, self.infused]
    }
}

/// A purchase the patient made where the emulator keeps no receipts (another dispensary): it
/// counts against every registration of the patient while it is inside their purchase period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsidePurchase {
    /// When it was made.
    pub at: Timestamp,
    /// What it counts as.
    #[serde(default)]
    pub ounces: Ounces,
}

fn yes() -> bool {
    true
}

fn thirty() -> u32 {
    30
}

/// One registration of a medical patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// `PatientLicenseNumber`: what a sale's `PatientLicenseNumber` names.
    pub patient_license_number: String,
    /// `RegistrationNumber`.
    pub registration_number: String,
    /// `IdentificationMethod`, if the state records one.
    #[serde(default)]
    pub identification_method: Option<String>,
    /// `Active`: an inactive patient is still listed, with `Active` false.
    #[serde(default = "yes")]
    pub active: bool,
    /// What the registration allows per purchase period (`…OuncesAllowed`).
    #[serde(default)]
    pub allowed: Ounces,
    /// `PurchaseAmountDays`: the rolling period purchases count in.
    #[serde(default = "thirty")]
    pub purchase_amount_days: u32,
    /// `PatientLicenseExpirationDate`; `None`: a year after the emulator's today.
    #[serde(default)]
    pub license_expiration_date: Option<Date>,
    /// `PatientRegistrationStartDate`; `None`: a year before the emulator's today.
    #[serde(default)]
    pub registration_start_date: Option<Date>,
    /// Purchases made elsewhere.
    #[serde(default)]
    pub purchases_elsewhere: Vec<OutsidePurchase>,
}

impl Patient {
    /// An active registration that allows nothing yet, counted over 30 days, with dates
    /// reckoned from the emulator's clock; the other methods fill it in.
    pub fn new(patient_license_number: &str, registration_number: &str) -> Patient {
        Patient {
            patient_license_number: patient_license_number.to_owned(),
            registration_number: registration_number.to_owned(),
            identification_method: None,
            active: true,
            allowed: Ounces::default(),
            purchase_amount_days: thirty(),
            license_expiration_date: None,
            registration_start_date: None,
            purchases_elsewhere: Vec::new(),
        }
    }

    /// Sets what the registration allows per period.
    pub fn allowing(mut self, allowed: Ounces) -> Patient {
        self.allowed = allowed;
        self
    }

    /// Sets the purchase period in days.
    pub fn per_days(mut self, days: u32) -> Patient {
        self.purchase_amount_days = days;
        self
    }

    /// Marks the registration inactive.
    pub fn inactive(mut self) -> Patient {
        self.active = false;
        self
    }

    /// Sets the licence expiration and registration start dates.
    pub fn dated(mut self, registration_start: Date, license_expiration: Date) -> Patient {
        self.registration_start_date = Some(registration_start);
        self.license_expiration_date = Some(license_expiration);
        self
    }

    /// Adds a purchase made elsewhere at `at`.
    pub fn bought_elsewhere(mut self, at: Timestamp, ounces: Ounces) -> Patient {
        self.purchases_elsewhere
            .push(OutsidePurchase { at, ounces });
        self
    }

    /// What is wrong with the record, if anything (a message for a 400 or an invalid seed).
    pub fn check(&self) -> Result<(), String> {
        let name = &self.patient_license_number;
        if name.trim().is_empty() {
            return Err("patient_license_number must not be empty".into());
        }
        if self.registration_number.trim().is_empty() {
            return Err(format!(
                "patient {name}: registration_number must not be empty"
            ));
        }
        if self.purchase_amount_days == 0 {
            return Err(format!(
                "patient {name}: purchase_amount_days must be at least 1"
            ));
        }
        let amounts = self
            .purchases_elsewhere
            .iter()
            .flat_map(|p| p.ounces.values())
            .chain(self.allowed.values());
        for v in amounts {
            if !v.is_finite() || v < 0.0 {
                return Err(format!(
                    "patient {name}: amounts must be finite and not negative, not {v}"
                ));
            }
        }
        Ok(())
    }
}
