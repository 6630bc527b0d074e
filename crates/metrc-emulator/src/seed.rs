//! The starting state of an emulator: `Seed::demo(now)`, JSON seed files, and a small builder.
//!
//! Guarantees: `Seed::demo(now)` is deterministic for a given `now` (same keys, labels and
//! quantities every time) and dated relative to it — packages stocked 30 days before, the incoming
//! transfer shipped two days before and due yesterday, the patients' dates and purchases counted
//! from it — so the demo tells the same story on any date; every demo item carries Metrc's facts
//! (category type, unit weight or unit THC where it is sold by the piece); `validate` rejects
//! seeds whose records point at unknown facilities, items or users, or whose patients are
//! malformed, so a bad seed fails at start rather than as a confusing 401 or 400 later.

use crate::error::EmulatorError;
use crate::facility_type::{CULTIVATION_FLAGS, DISPENSARY_FLAGS, facility_type};
use crate::model::Adjustment;
use crate::model::{
    AdjustReason, Delivery, Employee, Facility, Item, ItemFacts, Package, Receipt, Transfer,
    TransferPackage, Unit, User, UserLicense, default_category_type,
};
use crate::patient::{Ounces, Patient};
use crate::permission::Permission;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Demo vendor (integrator) key.
pub const DEMO_VENDOR_KEY: &str = "demo-vendor-key-00000000";
/// Demo budtender user key (sales permissions only).
pub const DEMO_BUDTENDER_KEY: &str = "demo-budtender-key-1111";
/// Demo manager user key (all permissions).
pub const DEMO_MANAGER_KEY: &str = "demo-manager-key-2222";
/// Demo dispensary licence.
pub const DEMO_LICENSE: &str = "403R-00001";
/// Second licence of [`Seed::demo_two_licences`] (reached by the manager only).
pub const DEMO_LICENSE_2: &str = "403R-00002";
/// Demo facility time zone.
pub const DEMO_TIME_ZONE: &str = "America/Denver";
/// Demo patient with room left in every category.
pub const DEMO_PATIENT_WITH_ROOM: &str = "PAT-0001";
/// Demo patient who bought nearly all of the period's allowance elsewhere three days ago.
pub const DEMO_PATIENT_NEARLY_USED: &str = "PAT-0002";
/// Demo patient whose registration is inactive (the licence expired ten days ago).
pub const DEMO_PATIENT_INACTIVE: &str = "PAT-0003";
/// Demo budtender user name.
pub const DEMO_BUDTENDER: &str = "budtender";
/// Demo manager user name.
pub const DEMO_MANAGER: &str = "manager";

/// The whole starting state. JSON field names are snake_case; every list may be omitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Seed {
    /// Vendor (integrator) keys accepted as the Basic-auth user name.
    pub vendor_keys: Vec<String>,
    /// Metrc users with their keys, licences and permissions.
    pub users: Vec<User>,
    /// Facilities.
    pub facilities: Vec<Facility>,
    /// Items.
    pub items: Vec<Item>,
    /// Packages.
    pub packages: Vec<Package>,
    /// Existing receipts.
    pub receipts: Vec<Receipt>,
    /// Existing adjustment history.
    pub adjustments: Vec<Adjustment>,
    /// Adjustment reasons (the same list for every facility).
    pub adjust_reasons: Vec<AdjustReason>,
    /// Active units of measure.
    pub units_of_measure: Vec<Unit>,
    /// Sales customer types.
    pub customer_types: Vec<String>,
    /// Employees.
    pub employees: Vec<Employee>,
    /// Incoming transfers.
    pub transfers: Vec<Transfer>,
    /// Medical patients' registrations (state-wide: every facility looks up the same ones).
    pub patients: Vec<Patient>,
}

/// How long before "now" the demo's items and packages were last changed.
const DEMO_STOCKED_DAYS_AGO: i64 = 30;

fn days_before(now: Timestamp, days: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_hours(24 * days))
        .unwrap_or(now)
}

/// 10:00 local time on the facility's calendar day before `now`, in Metrc's local form
/// (`2026-11-21T10:00:00.000`).
fn yesterday_morning(now: Timestamp, time_zone: &str) -> String {
    let zone = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let today = now.to_zoned(zone).date();
    let yesterday = today.yesterday().unwrap_or(today);
    format!("{yesterday}T10:00:00.000")
}

impl Seed {
    /// An empty seed with Metrc's standard units of measure, customer types and adjust reasons.
    pub fn empty() -> Seed {
        let unit = |q: &str, n: &str, a: &str| Unit {
            quantity_type: q.into(),
            name: n.into(),
            abbreviation: a.into(),
        };
        let reason = |n: &str, r: bool| AdjustReason {
            name: n.into(),
            requires_note: r,
        };
        Seed {
            units_of_measure: vec![
                unit("CountBased", "Each", "ea"),
                unit("WeightBased", "Ounces", "oz"),
                unit("WeightBased", "Pounds", "lb"),
                unit("WeightBased", "Grams", "g"),
                unit("WeightBased", "Milligrams", "mg"),
                unit("WeightBased", "Kilograms", "kg"),
            ],
            customer_types: [
                "Consumer",
                "Patient",
                "Caregiver",
                "ExternalPatient",
                "NonResidentConsumer",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            adjust_reasons: vec![
                reason("Drying", false),
                reason("Entry Error", false),
                reason("Scale Variance", false),
                reason("Spoilage", false),
                reason("Theft", true),
                reason("Waste (Unusable Product)", true),
            ],
            ..Seed::default()
        }
    }

    /// The demo dispensary as of `now`: licence `403R-00001` (America/Denver), which sells to
    /// consumers, to medical patients and to external patients (who must say how they were
    /// identified), a budtender with sales permissions and Lookup Patients,
    /// a manager with all, 24 packages, adjust reasons, one incoming transfer that left the
    /// shipper two days before `now` and was due yesterday morning, and three patients
    /// ([`DEMO_PATIENT_WITH_ROOM`], [`DEMO_PATIENT_NEARLY_USED`], [`DEMO_PATIENT_INACTIVE`]).
    pub fn demo(now: Timestamp) -> Seed {
        let mut seed = Seed::empty();
        seed.vendor_keys.push(DEMO_VENDOR_KEY.into());
        let flags: Vec<&str> = DISPENSARY_FLAGS
            .iter()
            .copied()
            .chain([
                "IsMedical",
                "CanSellToPatients",
                "CanSellToExternalPatients",
                "SalesRequireExternalPatientIdentificationMethod",
            ])
            .collect();
        seed.add_facility(
            DEMO_LICENSE,
            "Stateline Demo Dispensary",
            DEMO_TIME_ZONE,
            "Retail Marijuana Store",
            &flags,
        );
        let mut budtender = Permission::sales_only();
        budtender.push(Permission::LookupPatients);
        seed.add_user(
            DEMO_BUDTENDER,
            DEMO_BUDTENDER_KEY,
            &[(DEMO_LICENSE, budtender)],
        );
        seed.add_user(
            DEMO_MANAGER,
            DEMO_MANAGER_KEY,
            &[(DEMO_LICENSE, Permission::all())],
        );
        seed.employees.push(Employee {
            license_number: DEMO_LICENSE.into(),
            full_name: "Bea Budtender".into(),
            employee_license_number: "EMP-0001".into(),
            is_manager: false,
            is_owner: false,
            user: Some(DEMO_BUDTENDER.into()),
        });
        seed.employees.push(Employee {
            license_number: DEMO_LICENSE.into(),
            full_name: "Max Manager".into(),
            employee_license_number: "EMP-0002".into(),
            is_manager: true,
            is_owner: false,
            user: Some(DEMO_MANAGER.into()),
        });
        seed.add_demo_inventory(DEMO_LICENSE, "1A4FF01000000220000", 1, now);
        let created = days_before(now, 2);
        seed.transfers.push(Transfer {
            id: 1,
            license_number: DEMO_LICENSE.into(),
            manifest_number: "0000000101".into(),
            shipper_license_number: "403-X0099".into(),
            shipper_name: "Front Range Cultivation (demo)".into(),
            created,
            last_modified: created,
            received: None,
            deliveries: vec![Delivery {
                id: 1,
                estimated_arrival: yesterday_morning(now, DEMO_TIME_ZONE),
                packages: (1..=3)
                    .map(|n| TransferPackage {
                        package_id: 1000 + n,
                        label: format!("1A4FF0100000022000000{}", 900 + n),
                        item_name: "Blue Dream Flower".into(),
                        item_category: "Buds".into(),
                        quantity: 448.0,
                        unit_of_measure: "Grams".into(),
                    })
                    .collect(),
            }],
        });
        seed.add_demo_patients(now);
        seed
    }

    /// The demo's patients, allowed 2 oz of flower, 0.1 oz (2,800 mg) of THC, 0.5 oz of
    /// concentrate and 2 oz of infused product per 30 days: one with all of it left, one who
    /// bought 1.9 oz flower, 0.09 oz THC and 0.45 oz concentrate elsewhere three days before
    /// `now`, and one inactive whose licence expired ten days before.
    fn add_demo_patients(&mut self, now: Timestamp) {
        let zone = TimeZone::get(DEMO_TIME_ZONE).unwrap_or(TimeZone::UTC);
        let today = now.to_zoned(zone).date();
        let day = |days: i64| {
            today
                .checked_add(jiff::Span::new().days(days))
                .unwrap_or(today)
        };
        let allowed = Ounces::new(2.0, 0.1, 0.5, 2.0);
        self.add_patient(
            Patient::new(DEMO_PATIENT_WITH_ROOM, "REG-0001")
                .allowing(allowed)
                .dated(day(-165), day(200)),
        );
        self.add_patient(
            Patient::new(DEMO_PATIENT_NEARLY_USED, "REG-0002")
                .allowing(allowed)
                .dated(day(-300), day(65))
                .bought_elsewhere(days_before(now, 3), Ounces::new(1.9, 0.09, 0.45, 0.0)),
        );
        self.add_patient(
            Patient::new(DEMO_PATIENT_INACTIVE, "REG-0003")
                .allowing(allowed)
                .dated(day(-375), day(-10))
                .inactive(),
        );
    }

    /// Adds a patient registration.
    pub fn add_patient(&mut self, patient: Patient) -> &mut Seed {
        self.patients.push(patient);
        self
    }

    /// [`Seed::demo`] plus a second dispensary `403R-00002` (with its own packages) that only the
    /// manager reaches: the budtender key reaches one of the two licences.
    pub fn demo_two_licences(now: Timestamp) -> Seed {
        let mut seed = Seed::demo(now);
        seed.add_dispensary(
            DEMO_LICENSE_2,
            "Stateline Demo Dispensary 2",
            DEMO_TIME_ZONE,
        );
        if let Some(m) = seed.users.iter_mut().find(|u| u.name == DEMO_MANAGER) {
            m.licenses.push(UserLicense {
                license_number: DEMO_LICENSE_2.into(),
                permissions: Permission::all().into_iter().collect(),
            });
        }
        seed.add_demo_inventory(DEMO_LICENSE_2, "1A4FF02000000220000", 101, now);
        seed
    }

    /// Reads a JSON seed file (the literal `demo` is not a path; handle it before calling).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Seed, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        let seed: Seed =
            serde_json::from_str(&text).map_err(|source| EmulatorError::ParseFile {
                path: path.to_owned(),
                what: "seed",
                source,
            })?;
        seed.validate()?;
        Ok(seed)
    }

    /// Adds a retail dispensary (sells to consumers, cannot grow plants).
    pub fn add_dispensary(&mut self, license: &str, name: &str, time_zone: &str) -> &mut Seed {
        self.add_facility(
            license,
            name,
            time_zone,
            "Retail Marijuana Store",
            DISPENSARY_FLAGS,
        )
    }

    /// Adds a cultivation facility (grows plants, cannot sell).
    pub fn add_cultivation(&mut self, license: &str, name: &str, time_zone: &str) -> &mut Seed {
        self.add_facility(
            license,
            name,
            time_zone,
            "Retail Cultivation",
            CULTIVATION_FLAGS,
        )
    }

    /// Adds a facility with the given `FacilityType` flags set.
    pub fn add_facility(
        &mut self,
        license: &str,
        name: &str,
        time_zone: &str,
        license_type: &str,
        flags: &[&str],
    ) -> &mut Seed {
        let facility_id = self
            .facilities
            .iter()
            .map(|f| f.facility_id)
            .max()
            .unwrap_or(0)
            + 1;
        self.facilities.push(Facility {
            facility_id,
            license_number: license.into(),
            name: name.into(),
            license_type: license_type.into(),
            time_zone: time_zone.into(),
            facility_type: facility_type(flags),
        });
        self
    }

    /// Adds a user with a key and permissions per licence.
    pub fn add_user(
        &mut self,
        name: &str,
        user_key: &str,
        licenses: &[(&str, Vec<Permission>)],
    ) -> &mut Seed {
        self.users.push(User {
            name: name.into(),
            user_key: user_key.into(),
            revoked: false,
            licenses: licenses
                .iter()
                .map(|(l, p)| UserLicense {
                    license_number: (*l).into(),
                    permissions: p.iter().copied().collect(),
                })
                .collect(),
        });
        self
    }

    /// Adds an item last changed at `last_modified` and returns its Id. Its category type is the
    /// one the category name suggests ([`default_category_type`]); it has no unit weight or THC
    /// (see [`Seed::add_item_with_facts`]).
    pub fn add_item(
        &mut self,
        license: &str,
        name: &str,
        category: &str,
        unit: &str,
        last_modified: Timestamp,
    ) -> u64 {
        self.add_item_with_facts(
            license,
            name,
            category,
            unit,
            ItemFacts::default(),
            last_modified,
        )
    }

    /// [`Seed::add_item`] with Metrc's item facts; a category type left out is the one the
    /// category name suggests.
    pub fn add_item_with_facts(
        &mut self,
        license: &str,
        name: &str,
        category: &str,
        unit: &str,
        facts: ItemFacts,
        last_modified: Timestamp,
    ) -> u64 {
        let id = self.items.iter().map(|i| i.id).max().unwrap_or(0) + 1;
        self.items.push(Item {
            id,
            license_number: license.into(),
            name: name.into(),
            category: category.into(),
            unit_of_measure: unit.into(),
            last_modified,
            category_type: Some(
                facts
                    .category_type
                    .unwrap_or_else(|| default_category_type(category)),
            ),
            unit_weight: facts.unit_weight,
            unit_thc_content: facts.unit_thc_content,
        });
        id
    }

    /// Adds a package of an item (its unit is the item's unit), packaged and last changed at
    /// `last_modified` (its packaged date is that instant's UTC date), and returns its Id.
    pub fn add_package(
        &mut self,
        license: &str,
        label: &str,
        item_id: u64,
        quantity: f64,
        last_modified: Timestamp,
    ) -> u64 {
        let id = self.packages.iter().map(|p| p.id).max().unwrap_or(0) + 1;
        let unit = self
            .items
            .iter()
            .find(|i| i.id == item_id)
            .map(|i| i.unit_of_measure.clone())
            .unwrap_or_else(|| "Each".into());
        self.packages.push(Package {
            id,
            license_number: license.into(),
            label: label.into(),
            item_id,
            quantity,
            unit_of_measure: unit,
            packaged_date: last_modified.strftime("%Y-%m-%d").to_string(),
            source_package_labels: Vec::new(),
            finished_date: None,
            last_modified,
        });
        id
    }

    fn add_demo_inventory(
        &mut self,
        license: &str,
        label_prefix: &str,
        first: u64,
        now: Timestamp,
    ) {
        let stocked = days_before(now, DEMO_STOCKED_DAYS_AGO);
        let grams = [
            ("Blue Dream Flower", "Buds", ItemFacts::of_type("Buds")),
            ("OG Kush Flower", "Buds", ItemFacts::of_type("Buds")),
            ("Sour Diesel Flower", "Buds", ItemFacts::of_type("Buds")),
            (
                "Gelato Shake",
                "Shake/Trim",
                ItemFacts::of_type("ShakeTrim"),
            ),
        ];
        let each = [
            (
                "Blue Dream Pre-Roll 1g",
                "Pre-Roll Flower",
                ItemFacts::of_type("Buds").unit_weight(1.0, "Grams"),
            ),
            (
                "Watermelon Gummies 100mg",
                "Edible",
                ItemFacts::of_type("InfusedEdible").unit_thc_content(100.0, "Milligrams"),
            ),
            (
                "Hybrid Vape Cartridge 0.5g",
                "Vape Cartridge",
                ItemFacts::of_type("Concentrate").unit_weight(0.5, "Grams"),
            ),
            (
                "CBD Tincture 30ml",
                "Tincture",
                ItemFacts::of_type("InfusedNonEdible").unit_thc_content(300.0, "Milligrams"),
            ),
        ];
        let mut n = first;
        for (name, cat, facts) in grams {
            let item = self.add_item_with_facts(license, name, cat, "Grams", facts, stocked);
            for q in [448.0, 112.0, 28.0] {
                self.add_package(license, &format!("{label_prefix}{n:05}"), item, q, stocked);
                n += 1;
            }
        }
        for (name, cat, facts) in each {
            let item = self.add_item_with_facts(license, name, cat, "Each", facts, stocked);
            for q in [100.0, 40.0, 12.0] {
                self.add_package(license, &format!("{label_prefix}{n:05}"), item, q, stocked);
                n += 1;
            }
        }
    }

    /// Checks that records point at known facilities, items and users.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        let facility = |l: &str| self.facilities.iter().any(|f| f.license_number == l);
        for u in &self.users {
            for l in &u.licenses {
                if !facility(&l.license_number) {
                    return Err(EmulatorError::InvalidSeed(format!(
                        "user {} reaches unknown licence {}",
                        u.name, l.license_number
                    )));
                }
            }
        }
        for f in &self.facilities {
            if jiff::tz::TimeZone::get(&f.time_zone).is_err() {
                return Err(EmulatorError::InvalidSeed(format!(
                    "facility {} has unknown time zone {}",
                    f.license_number, f.time_zone
                )));
            }
        }
        for p in &self.packages {
            if !self.items.iter().any(|i| i.id == p.item_id) {
                return Err(EmulatorError::InvalidSeed(format!(
                    "package {} names unknown item {}",
                    p.label, p.item_id
                )));
            }
            if !facility(&p.license_number) {
                return Err(EmulatorError::InvalidSeed(format!(
                    "package {} belongs to unknown licence {}",
                    p.label, p.license_number
                )));
            }
        }
        let mut registrations = std::collections::HashSet::new();
        for p in &self.patients {
            p.check().map_err(EmulatorError::InvalidSeed)?;
            if !registrations.insert((&p.patient_license_number, &p.registration_number)) {
                return Err(EmulatorError::InvalidSeed(format!(
                    "patient {} has registration {} twice",
                    p.patient_license_number, p.registration_number
                )));
            }
        }
        let mut labels = std::collections::HashSet::new();
        for p in &self.packages {
            if !labels.insert(p.label.as_str()) {
                return Err(EmulatorError::InvalidSeed(format!(
                    "package label {} is used twice",
                    p.label
                )));
            }
        }
        Ok(())
    }
}
