//! What `GET /patients/v2/statuses/{patientLicenseNumber}` answers: each registration of the
//! patient with what it allows, what was bought inside its purchase period and what is left, and
//! Metrc's one-minute cache of that answer.
//!
//! Guarantees:
//! - Purchases are every receipt not voided, at any licence, whose `PatientLicenseNumber` is the
//!   patient's, dated (its `SalesDateTime` in its facility's zone) at or after the period's start,
//!   plus the registration's purchases made elsewhere. The period starts `PurchaseAmountDays`
//!   calendar days before now in the looking-up facility's zone (never `now − N × 24 h`).
//! - A sale line counts by its item's facts: `Buds` and `ShakeTrim` by weight as flower,
//!   `Concentrate` by weight as concentrate, `InfusedEdible` and `InfusedNonEdible` by THC
//!   (pieces × `UnitThcContent`) as THC and by weight, where known, as infused. Weight is the
//!   quantity in a weight unit, or pieces × `UnitWeight`. Anything else (seeds, clones, plants, an
//!   item missing the fact it needs) counts as nothing. An ounce is 28 g, as the states' limits
//!   reckon it; figures are rounded to six decimals; what is available never drops below zero.
//! - The cache: the first answer for a (facility, patient) pair is kept with the time it was
//!   made; for the next 60 s by the emulator's clock every read of that pair gets it unchanged,
//!   whatever was sold or changed since; the first read after that makes and keeps a new one.
//!   An unknown patient's answer (an empty list) is cached like any other.

use crate::inventory::round;
use crate::model::{Item, Measure, Receipt};
use crate::patient::{Ounces, Patient};
use crate::state::World;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{Value, json};
use std::collections::HashMap;

/// How long Metrc keeps a patient status answer.
pub const CACHE_FOR: SignedDuration = SignedDuration::from_secs(60);

/// Grams in an ounce, as the states' purchase limits count it.
const GRAMS_PER_OUNCE: f64 = 28.0;

/// Answers kept per (facility licence, patient licence number), with when they were made.
#[derive(Debug, Default)]
pub(crate) struct PatientCache {
    answers: HashMap<(String, String), (Timestamp, Value)>,
}

impl PatientCache {
    /// Forgets every kept answer.
    pub fn clear(&mut self) {
        self.answers.clear();
    }
}

/// The answer for `patient` looked up at `license` now: the kept one if it is less than
/// [`CACHE_FOR`] old, else a new one (kept from now on).
pub(crate) fn answer(world: &mut World, license: &str, patient: &str) -> Value {
    let now = world.now();
    let key = (license.to_owned(), patient.to_owned());
    if let Some((made, kept)) = world.patient_cache.answers.get(&key)
        && *made <= now
        && now.duration_since(*made) < CACHE_FOR
    {
        return kept.clone();
    }
    let fresh = compute(world, license, patient, now);
    world
        .patient_cache
        .answers
        .insert(key, (now, fresh.clone()));
    fresh
}

fn zone_of(world: &World, license: &str) -> TimeZone {
    world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license)
        .and_then(|f| TimeZone::get(&f.time_zone).ok())
        .unwrap_or(TimeZone::UTC)
}

fn compute(world: &World, license: &str, patient: &str, now: Timestamp) -> Value {
    let zone = zone_of(world, license);
    let today = now.to_zoned(zone.clone()).date();
    let list = world
        .db
        .patients
        .iter()
        .filter(|p| p.patient_license_number == patient)
        .map(|p| {
            let start = now
                .to_zoned(zone.clone())
                .checked_sub(i64::from(p.purchase_amount_days).days())
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::MIN);
            let bought = purchased(world, p, start);
            let left = |allowed: f64, used: f64| round((allowed - used).max(0.0));
            let expires = p
                .license_expiration_date
                .unwrap_or_else(|| today.checked_add(1.year()).unwrap_or(today));
            let registered = p
                .registration_start_date
                .unwrap_or_else(|| today.checked_sub(1.year()).unwrap_or(today));
            json!({
                "PatientLicenseNumber": p.patient_license_number,
                "IdentificationMethod": p.identification_method,
                "RegistrationNumber": p.registration_number,
                "Active": p.active,
                "FlowerOuncesAllowed": p.allowed.flower,
                "ThcOuncesAllowed": p.allowed.thc,
                "ConcentrateOuncesAllowed": p.allowed.concentrate,
                "InfusedOuncesAllowed": p.allowed.infused,
                "FlowerOuncesPurchased": round(bought.flower),
                "ThcOuncesPurchased": round(bought.thc),
                "ConcentrateOuncesPurchased": round(bought.concentrate),
                "InfusedOuncesPurchased": round(bought.infused),
                "FlowerOuncesAvailable": left(p.allowed.flower, bought.flower),
                "ThcOuncesAvailable": left(p.allowed.thc, bought.thc),
                "ConcentrateOuncesAvailable": left(p.allowed.concentrate, bought.concentrate),
                "InfusedOuncesAvailable": left(p.allowed.infused, bought.infused),
                "PurchaseAmountDays": f64::from(p.purchase_amount_days),
                "PatientLicenseExpirationDate": expires.to_string(),
                "PatientRegistrationStartDate": registered.to_string(),
            })
        })
        .collect();
    Value::Array(list)
}

/// Everything counted against `p` from `start` on.
fn purchased(world: &World, p: &Patient, start: Timestamp) -> Ounces {
    let here = world
        .db
        .receipts
        .iter()
        .filter(|r| {
            !r.voided
                && r.patient_license_number.as_deref().map(str::trim)
                    == Some(p.patient_license_number.as_str())
                && sold_at(world, r) >= start
        })
        .flat_map(|r| {
            r.transactions.iter().map(move |l| {
                world
                    .db
                    .packages
                    .iter()
                    .find(|k| k.license_number == r.license_number && k.label == l.package_label)
                    .and_then(|k| world.db.items.iter().find(|i| i.id == k.item_id))
                    .map(|item| line_ounces(item, &l.unit_of_measure, l.quantity))
                    .unwrap_or_default()
            })
        })
        .fold(Ounces::default(), Ounces::plus);
    p.purchases_elsewhere
        .iter()
        .filter(|o| o.at >= start)
        .fold(here, |sum, o| sum.plus(o.ounces))
}

/// When a receipt's sale happened: its `SalesDateTime` in its facility's zone, else when Metrc
/// recorded it.
fn sold_at(world: &World, r: &Receipt) -> Timestamp {
    r.sales_date_time
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(zone_of(world, &r.license_number)).ok())
        .map(|z| z.timestamp())
        .unwrap_or(r.recorded_date_time)
}

/// Grams in one of a weight unit.
fn grams_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "Grams" => 1.0,
        "Milligrams" => 0.001,
        "Kilograms" => 1000.0,
        "Ounces" => GRAMS_PER_OUNCE,
        "Pounds" => 16.0 * GRAMS_PER_OUNCE,
        _ => return None,
    })
}

fn measure_grams(m: &Measure) -> Option<f64> {
    grams_per(&m.unit).map(|g| m.value * g)
}

/// What `quantity` of `unit` of `item` counts as.
pub(crate) fn line_ounces(item: &Item, unit: &str, quantity: f64) -> Ounces {
    let pieces = unit == "Each";
    let grams = grams_per(unit).map(|g| quantity * g).or_else(|| {
        pieces
            .then(|| item.unit_weight.as_ref().and_then(measure_grams))
            .flatten()
            .map(|g| quantity * g)
    });
    let ounces = grams.map_or(0.0, |g| g / GRAMS_PER_OUNCE);
    match item.category_type().as_str() {
        "Buds" | "ShakeTrim" => Ounces {
            flower: ounces,
            ..Ounces::default()
        },
        "Concentrate" => Ounces {
            concentrate: ounces,
            ..Ounces::default()
        },
        "InfusedEdible" | "InfusedNonEdible" => {
            let thc = pieces
                .then(|| item.unit_thc_content.as_ref().and_then(measure_grams))
                .flatten()
                .map_or(0.0, |g| quantity * g / GRAMS_PER_OUNCE);
            Ounces {
                thc,
                infused: ounces,
                ..Ounces::default()
            }
        }
        _ => Ounces::default(),
    }
}
