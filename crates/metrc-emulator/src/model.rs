//! The records the emulator keeps: users, facilities, items (with Metrc's item facts), packages,
//! receipts, adjustments, transfers and the small lookups. They are both the seed format and the
//! state snapshot format.
//!
//! Guarantees: plain data with serde (snake_case JSON); no behaviour beyond small accessors.

use crate::permission::Permission;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

fn epoch() -> Timestamp {
    Timestamp::UNIX_EPOCH
}

/// A Metrc user: one user key that reaches some licences, with permissions per licence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// Unique user name (used by the control API and the request log; never the key).
    pub name: String,
    /// The user's API key (password of HTTP Basic).
    pub user_key: String,
    /// A revoked key answers 401 everywhere.
    #[serde(default)]
    pub revoked: bool,
    /// Licences this user reaches, with permissions.
    #[serde(default)]
    pub licenses: Vec<UserLicense>,
}

/// One licence a user reaches and what they may do there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserLicense {
    /// Facility licence number.
    pub license_number: String,
    /// Permissions at that facility.
    #[serde(default)]
    pub permissions: BTreeSet<Permission>,
}

/// A facility (licence).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Facility {
    /// Metrc's `FacilityId`.
    pub facility_id: u64,
    /// Licence number, e.g. `403R-00001`.
    pub license_number: String,
    /// Facility name.
    pub name: String,
    /// `License.LicenseType`, e.g. "Retail Marijuana Store".
    #[serde(default)]
    pub license_type: String,
    /// IANA time zone; used only to validate back-dated `SalesDateTime` values.
    pub time_zone: String,
    /// `FacilityType` exactly as Metrc returns it (PascalCase flags).
    pub facility_type: Map<String, Value>,
}

/// An item (product) of a facility, with the facts Metrc keeps about it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Item {
    /// Metrc item Id.
    pub id: u64,
    /// Owning facility.
    pub license_number: String,
    /// Item name.
    pub name: String,
    /// Product category name, e.g. "Buds" or "Pre-Roll Flower" (the state's own names).
    pub category: String,
    /// Unit of measure name, e.g. "Grams".
    pub unit_of_measure: String,
    /// Last change.
    #[serde(default = "epoch")]
    pub last_modified: Timestamp,
    /// `ProductCategoryType`, Metrc's fixed kind behind the category (`Buds`, `ShakeTrim`,
    /// `Concentrate`, `InfusedEdible`, `InfusedNonEdible`, `Seeds`, `Clone`, `Plants`, …).
    /// `None`: derived from the category name (see [`Item::category_type`]).
    #[serde(default)]
    pub category_type: Option<String>,
    /// `UnitWeight` with its unit: what one piece weighs (items sold by the piece).
    #[serde(default)]
    pub unit_weight: Option<Measure>,
    /// `UnitThcContent` with its unit: the THC in one piece (infused items sold by the piece).
    #[serde(default)]
    pub unit_thc_content: Option<Measure>,
}

/// An amount with its unit of measure name, e.g. 0.5 "Grams" or 100 "Milligrams".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measure {
    /// The amount.
    pub value: f64,
    /// Metrc's unit name, e.g. "Grams".
    pub unit: String,
}

impl Measure {
    /// `value` in `unit`.
    pub fn new(value: f64, unit: &str) -> Measure {
        Measure {
            value,
            unit: unit.to_owned(),
        }
    }
}

/// Metrc's facts about an item beyond its name, category and unit, for
/// `Seed::add_item_with_facts` and `Control::set_item_facts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemFacts {
    /// `ProductCategoryType` (`None`: derived from the category name).
    pub category_type: Option<String>,
    /// `UnitWeight` with its unit.
    pub unit_weight: Option<Measure>,
    /// `UnitThcContent` with its unit.
    pub unit_thc_content: Option<Measure>,
}

impl ItemFacts {
    /// Facts with this `ProductCategoryType` and nothing else.
    pub fn of_type(category_type: &str) -> ItemFacts {
        ItemFacts {
            category_type: Some(category_type.to_owned()),
            ..ItemFacts::default()
        }
    }

    /// Sets the unit weight, e.g. `(0.5, "Grams")`.
    pub fn unit_weight(mut self, value: f64, unit: &str) -> ItemFacts {
        self.unit_weight = Some(Measure::new(value, unit));
        self
    }

    /// Sets the unit THC content, e.g. `(100.0, "Milligrams")`.
    pub fn unit_thc_content(mut self, value: f64, unit: &str) -> ItemFacts {
        self.unit_thc_content = Some(Measure::new(value, unit));
        self
    }
}

impl Item {
    /// The `ProductCategoryType` Metrc shows: the one set, else the one the category name
    /// suggests ([`default_category_type`]).
    pub fn category_type(&self) -> String {
        self.category_type
            .clone()
            .unwrap_or_else(|| default_category_type(&self.category))
    }
}

/// The `ProductCategoryType` a category name suggests, for items seeded without one: shake or
/// trim → `ShakeTrim`; edibles → `InfusedEdible` (non-edibles → `InfusedNonEdible`);
/// concentrates, extracts, vapes, wax → `Concentrate`; buds, flower, pre-rolls → `Buds`;
/// tinctures, topicals, other infused → `InfusedNonEdible`; seeds → `Seeds`; clones → `Clone`;
/// plants → `Plants`; anything else keeps its category name (what the emulator showed before
/// items had a category type).
pub fn default_category_type(category: &str) -> String {
    let key: String = category
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| key.contains(w));
    let kind = if has(&["shake", "trim"]) {
        "ShakeTrim"
    } else if has(&["nonedible"]) {
        "InfusedNonEdible"
    } else if has(&["edible"]) {
        "InfusedEdible"
    } else if has(&[
        "concentrate",
        "extract",
        "vape",
        "cartridge",
        "wax",
        "shatter",
        "rosin",
        "resin",
        "budder",
    ]) {
        "Concentrate"
    } else if has(&["bud", "flower", "preroll"]) {
        "Buds"
    } else if has(&["tincture", "topical", "infused"]) {
        "InfusedNonEdible"
    } else if has(&["seed"]) {
        "Seeds"
    } else if has(&["clone"]) {
        "Clone"
    } else if has(&["plant"]) {
        "Plants"
    } else {
        return category.to_owned();
    };
    kind.to_owned()
}

/// A package on hand.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Package {
    /// Metrc package Id.
    pub id: u64,
    /// Owning facility.
    pub license_number: String,
    /// The 24-character tag.
    pub label: String,
    /// The item's Id.
    pub item_id: u64,
    /// Quantity on hand.
    pub quantity: f64,
    /// Unit of measure name.
    pub unit_of_measure: String,
    /// `PackagedDate`, `YYYY-MM-DD`.
    #[serde(default)]
    pub packaged_date: String,
    /// Labels this package was made from (merge/split).
    #[serde(default)]
    pub source_package_labels: Vec<String>,
    /// `FinishedDate` (`YYYY-MM-DD`) once finished: the package is then inactive.
    #[serde(default)]
    pub finished_date: Option<String>,
    /// Last change.
    #[serde(default = "epoch")]
    pub last_modified: Timestamp,
}

/// One line of a receipt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SaleLine {
    /// Package sold from.
    pub package_label: String,
    /// Quantity sold.
    pub quantity: f64,
    /// Unit as sent.
    pub unit_of_measure: String,
    /// `TotalAmount` as sent.
    pub total_amount: f64,
}

/// A sales receipt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Receipt {
    /// Metrc receipt Id.
    pub id: u64,
    /// Owning facility.
    pub license_number: String,
    /// Our identifier (`ExternalReceiptNumber`).
    #[serde(default)]
    pub external_receipt_number: Option<String>,
    /// `SalesDateTime` exactly as sent (facility local time, no offset).
    pub sales_date_time: String,
    /// `SalesCustomerType`.
    pub sales_customer_type: String,
    /// `PatientLicenseNumber`.
    #[serde(default)]
    pub patient_license_number: Option<String>,
    /// `CaregiverLicenseNumber`.
    #[serde(default)]
    pub caregiver_license_number: Option<String>,
    /// `IdentificationMethod`.
    #[serde(default)]
    pub identification_method: Option<String>,
    /// The lines.
    #[serde(default)]
    pub transactions: Vec<SaleLine>,
    /// Voided (archived, "inactive").
    #[serde(default)]
    pub voided: bool,
    /// When Metrc recorded it.
    #[serde(default = "epoch")]
    pub recorded_date_time: Timestamp,
    /// Which user recorded it (user name).
    #[serde(default)]
    pub recorded_by_user_name: Option<String>,
    /// Last change.
    #[serde(default = "epoch")]
    pub last_modified: Timestamp,
    /// Not visible to lookups and lists before this time (read-after-write lag).
    #[serde(default = "epoch")]
    pub visible_at: Timestamp,
}

/// One recorded package adjustment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Adjustment {
    /// Id returned by the POST.
    pub id: u64,
    /// Owning facility.
    pub license_number: String,
    /// Package adjusted.
    pub package_label: String,
    /// Signed delta.
    pub quantity: f64,
    /// Unit as sent.
    pub unit_of_measure: String,
    /// Reason name.
    pub reason: String,
    /// `ReasonNote`.
    #[serde(default)]
    pub note: Option<String>,
    /// `AdjustmentDate` as sent.
    pub adjustment_date: String,
    /// Which user made it.
    #[serde(default)]
    pub adjusted_by_user_name: Option<String>,
    /// When Metrc recorded it.
    #[serde(default = "epoch")]
    pub recorded: Timestamp,
}

/// An adjustment reason.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AdjustReason {
    /// Reason name, e.g. "Drying".
    pub name: String,
    /// Whether `ReasonNote` is required.
    #[serde(default)]
    pub requires_note: bool,
}

/// A unit of measure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Unit {
    /// "CountBased", "WeightBased" or "VolumeBased".
    pub quantity_type: String,
    /// e.g. "Grams".
    pub name: String,
    /// e.g. "g".
    pub abbreviation: String,
}

/// An employee of a facility.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Employee {
    /// The facility.
    pub license_number: String,
    /// Full name.
    pub full_name: String,
    /// The employee's own licence number.
    pub employee_license_number: String,
    /// `IsManager`.
    #[serde(default)]
    pub is_manager: bool,
    /// `IsOwner`.
    #[serde(default)]
    pub is_owner: bool,
    /// The Metrc user (by name) this employee logs in as, if any.
    #[serde(default)]
    pub user: Option<String>,
}

/// An incoming transfer (manifest).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Transfer {
    /// Transfer Id.
    pub id: u64,
    /// Recipient facility.
    pub license_number: String,
    /// Manifest number.
    pub manifest_number: String,
    /// Shipper licence.
    pub shipper_license_number: String,
    /// Shipper name.
    pub shipper_name: String,
    /// Created.
    #[serde(default = "epoch")]
    pub created: Timestamp,
    /// Last change.
    #[serde(default = "epoch")]
    pub last_modified: Timestamp,
    /// When the recipient received it (`None`: still on its way).
    #[serde(default)]
    pub received: Option<Timestamp>,
    /// Deliveries.
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// One delivery of a transfer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    /// Delivery Id.
    pub id: u64,
    /// Estimated arrival, local time as Metrc shows it.
    #[serde(default)]
    pub estimated_arrival: String,
    /// Packages on the delivery.
    #[serde(default)]
    pub packages: Vec<TransferPackage>,
}

/// A package on a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TransferPackage {
    /// Package Id.
    pub package_id: u64,
    /// Tag.
    pub label: String,
    /// Item name.
    pub item_name: String,
    /// Category.
    pub item_category: String,
    /// Shipped quantity.
    pub quantity: f64,
    /// Unit.
    pub unit_of_measure: String,
}
