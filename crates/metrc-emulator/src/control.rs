//! `Control`: the in-process handle tests and the app use to steer a running emulator (faults,
//! options, keys, permissions, patients, item facts) and to inspect its state and request log.
//!
//! Guarantees: cheap to clone, `Send + Sync`; every call takes the world lock briefly and never
//! awaits; users can be named by user name, employee full name, employee licence number or their
//! current key; changing a patient does not reach answers Metrc's one-minute cache already holds
//! (as in Metrc), unless the cache is cleared with [`Control::clear_patient_cache`].

use crate::faults::{FaultState, Faults};
use crate::model::{Adjustment, ItemFacts, Receipt, Transfer, UserLicense};
use crate::options::Options;
use crate::patient::Patient;
use crate::permission::Permission;
use crate::request_log::RequestRecord;
use crate::seed::Seed;
use crate::state::{Shared, World};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A package as the emulator holds it, with its item's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageView {
    /// Package Id.
    pub id: u64,
    /// Tag.
    pub label: String,
    /// Quantity on hand.
    pub quantity: f64,
    /// Unit of measure name.
    pub unit_of_measure: String,
    /// Item Id.
    pub item_id: u64,
    /// Item name.
    pub item_name: String,
    /// Labels it was made from.
    pub source_package_labels: Vec<String>,
    /// Last change.
    pub last_modified: Timestamp,
}

/// Everything of one licence (the `GET /__emulator/state` body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicenseState {
    /// Licence number.
    pub license_number: String,
    /// Packages.
    pub packages: Vec<PackageView>,
    /// Receipts, active and voided, including ones still hidden by lookup lag.
    pub receipts: Vec<Receipt>,
    /// Adjustment history.
    pub adjustments: Vec<Adjustment>,
}

/// Handle to a running emulator.
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

fn user_index(world: &World, who: &str) -> Option<usize> {
    let db = &world.db;
    db.users
        .iter()
        .position(|u| u.name == who)
        .or_else(|| {
            let e = db
                .employees
                .iter()
                .find(|e| e.full_name == who || e.employee_license_number == who)?;
            let name = e.user.as_deref()?;
            db.users.iter().position(|u| u.name == name)
        })
        .or_else(|| {
            db.users
                .iter()
                .position(|u| !who.is_empty() && u.user_key == who)
        })
}

impl Control {
    /// Replaces the faults (and reseeds the fault RNG from `f.rng_seed`).
    pub fn set_faults(&self, f: Faults) {
        self.shared.lock().faults = FaultState::new(f);
        self.shared.notify_faults_changed();
    }

    /// The faults now in force (counted faults show what is left).
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.faults.clone()
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        self.set_faults(Faults::default());
    }

    /// Replaces the options.
    pub fn set_options(&self, o: Options) {
        self.shared.lock().options = o;
    }

    /// The options in force.
    pub fn options(&self) -> Options {
        self.shared.lock().options.clone()
    }

    /// Revokes a user's key (by key or by user): it answers 401 everywhere. Returns whether the
    /// user was found.
    pub fn revoke_user_key(&self, user_key_or_user: &str) -> bool {
        let mut world = self.shared.lock();
        match user_index(&world, user_key_or_user) {
            Some(i) => {
                world.db.users[i].revoked = true;
                true
            }
            None => false,
        }
    }

    /// Gives a user a new key; the old key stops working. Returns whether the user was found.
    pub fn set_user_key(&self, user: &str, new_key: &str) -> bool {
        let mut world = self.shared.lock();
        match user_index(&world, user) {
            Some(i) => {
                let u = &mut world.db.users[i];
                u.user_key = new_key.to_owned();
                u.revoked = false;
                true
            }
            None => false,
        }
    }

    /// Removes one permission of a user at a licence. Returns whether the user was found.
    pub fn remove_permission(
        &self,
        user_key_or_user: &str,
        license: &str,
        permission: Permission,
    ) -> bool {
        let mut world = self.shared.lock();
        let Some(i) = user_index(&world, user_key_or_user) else {
            return false;
        };
        for l in world.db.users[i].licenses.iter_mut() {
            if l.license_number == license {
                l.permissions.remove(&permission);
            }
        }
        true
    }

    /// Grants one permission of a user at a licence (adding the licence to the user's reach if
    /// needed). Returns whether the user was found.
    pub fn grant_permission(
        &self,
        user_key_or_user: &str,
        license: &str,
        permission: Permission,
    ) -> bool {
        let mut world = self.shared.lock();
        let Some(i) = user_index(&world, user_key_or_user) else {
            return false;
        };
        let user = &mut world.db.users[i];
        match user
            .licenses
            .iter_mut()
            .find(|l| l.license_number == license)
        {
            Some(l) => {
                l.permissions.insert(permission);
            }
            None => user.licenses.push(UserLicense {
                license_number: license.to_owned(),
                permissions: [permission].into_iter().collect(),
            }),
        }
        true
    }

    /// Removes a licence from a user's reach (every call for it then answers 401).
    pub fn remove_license_access(&self, user_key_or_user: &str, license: &str) -> bool {
        let mut world = self.shared.lock();
        let Some(i) = user_index(&world, user_key_or_user) else {
            return false;
        };
        world.db.users[i]
            .licenses
            .retain(|l| l.license_number != license);
        true
    }

    /// Receipts of a licence (active and voided, including ones still hidden by lookup lag).
    pub fn receipts(&self, license: &str) -> Vec<Receipt> {
        let world = self.shared.lock();
        world
            .db
            .receipts
            .iter()
            .filter(|r| r.license_number == license)
            .cloned()
            .collect()
    }

    /// Packages of a licence.
    pub fn packages(&self, license: &str) -> Vec<PackageView> {
        let world = self.shared.lock();
        world
            .db
            .packages
            .iter()
            .filter(|p| p.license_number == license)
            .map(|p| PackageView {
                id: p.id,
                label: p.label.clone(),
                quantity: p.quantity,
                unit_of_measure: p.unit_of_measure.clone(),
                item_id: p.item_id,
                item_name: world
                    .db
                    .items
                    .iter()
                    .find(|i| i.id == p.item_id)
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                source_package_labels: p.source_package_labels.clone(),
                last_modified: p.last_modified,
            })
            .collect()
    }

    /// One package by label, if the licence has it.
    pub fn package(&self, license: &str, label: &str) -> Option<PackageView> {
        self.packages(license)
            .into_iter()
            .find(|p| p.label == label)
    }

    /// Adjustment history of a licence.
    pub fn adjustments(&self, license: &str) -> Vec<Adjustment> {
        let world = self.shared.lock();
        world
            .db
            .adjustments
            .iter()
            .filter(|a| a.license_number == license)
            .cloned()
            .collect()
    }

    /// Packages, receipts and adjustments of a licence.
    pub fn state(&self, license: &str) -> LicenseState {
        LicenseState {
            license_number: license.to_owned(),
            packages: self.packages(license),
            receipts: self.receipts(license),
            adjustments: self.adjustments(license),
        }
    }

    /// Every request received, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.lock().log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Sets a package's quantity (as if changed outside this register). Returns whether found.
    pub fn set_package_quantity(&self, license: &str, label: &str, quantity: f64) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        match world
            .db
            .packages
            .iter_mut()
            .find(|p| p.license_number == license && p.label == label)
        {
            Some(p) => {
                p.quantity = quantity;
                p.last_modified = now;
                true
            }
            None => false,
        }
    }

    /// Finishes a package (as if done in Metrc's web interface): it leaves `/packages/v2/active`
    /// and shows in `/packages/v2/inactive`. Returns whether found.
    pub fn finish_package(&self, license: &str, label: &str) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        let date = now.strftime("%Y-%m-%d").to_string();
        match world
            .db
            .packages
            .iter_mut()
            .find(|p| p.license_number == license && p.label == label)
        {
            Some(p) => {
                p.finished_date = Some(date);
                p.last_modified = now;
                true
            }
            None => false,
        }
    }

    /// Marks incoming transfer `id` received now (its `LastModified` moves to now, so an
    /// incremental manifests refresh lists it again); `false` when there is no such transfer.
    pub fn receive_transfer(&self, id: u64) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        let Some(transfer) = world.db.transfers.iter_mut().find(|t| t.id == id) else {
            return false;
        };
        transfer.received = Some(now);
        transfer.last_modified = now;
        true
    }

    /// Adds an incoming transfer (manifest) modified now. An `id` of 0 (or one in use) gets the
    /// next free Id; returns the Id used.
    pub fn add_transfer(&self, mut transfer: Transfer) -> u64 {
        let mut world = self.shared.lock();
        let now = world.now();
        let next = world.db.transfers.iter().map(|t| t.id).max().unwrap_or(0) + 1;
        if transfer.id == 0 || world.db.transfers.iter().any(|t| t.id == transfer.id) {
            transfer.id = next;
        }
        transfer.created = now;
        transfer.last_modified = now;
        let id = transfer.id;
        world.db.transfers.push(transfer);
        id
    }

    /// Inserts a receipt directly (e.g. a foreign duplicate), without touching quantities.
    /// An `id` of 0 gets the next Id; returns the Id used.
    /// The emulator's current time (its injected clock).
    pub fn now(&self) -> Timestamp {
        self.shared.lock().now()
    }

    /// Inserts a receipt as if another system had sent it; returns its id.
    pub fn insert_receipt(&self, mut receipt: Receipt) -> u64 {
        let mut world = self.shared.lock();
        if receipt.id == 0 || world.db.receipts.iter().any(|r| r.id == receipt.id) {
            receipt.id = world.next_receipt_id;
        }
        world.next_receipt_id = world.next_receipt_id.max(receipt.id + 1);
        let id = receipt.id;
        world.db.receipts.push(receipt);
        id
    }

    /// Removes a receipt as if Metrc had lost it (quantities are not touched). Returns whether
    /// it was found.
    pub fn remove_receipt(&self, license: &str, id: u64) -> bool {
        let mut world = self.shared.lock();
        let before = world.db.receipts.len();
        world
            .db
            .receipts
            .retain(|r| !(r.id == id && r.license_number == license));
        world.db.receipts.len() != before
    }

    /// Changes the quantity of one line of a receipt (as if edited outside this register),
    /// updating its `LastModified`; quantities of packages are not touched. Returns whether the
    /// receipt and line were found.
    pub fn set_receipt_line_quantity(
        &self,
        license: &str,
        id: u64,
        line: usize,
        quantity: f64,
    ) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        let Some(r) = world
            .db
            .receipts
            .iter_mut()
            .find(|r| r.id == id && r.license_number == license)
        else {
            return false;
        };
        let Some(l) = r.transactions.get_mut(line) else {
            return false;
        };
        l.quantity = quantity;
        r.last_modified = now;
        true
    }

    /// Makes a voided receipt active again (as if the void never reached Metrc or was undone
    /// outside this register), updating its `LastModified`; quantities of packages are not
    /// touched. Returns whether a voided receipt with that Id was found at the licence.
    pub fn reactivate_receipt(&self, license: &str, id: u64) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        match world
            .db
            .receipts
            .iter_mut()
            .find(|r| r.id == id && r.license_number == license && r.voided)
        {
            Some(r) => {
                r.voided = false;
                r.last_modified = now;
                true
            }
            None => false,
        }
    }

    /// Adds a patient registration, or replaces the one with the same patient licence number and
    /// registration number. Returns `Ok(true)` when it was new; `Err` names what is wrong with it.
    pub fn upsert_patient(&self, patient: Patient) -> Result<bool, String> {
        patient.check()?;
        let mut world = self.shared.lock();
        let same = |p: &Patient| {
            p.patient_license_number == patient.patient_license_number
                && p.registration_number == patient.registration_number
        };
        match world.db.patients.iter_mut().find(|p| same(p)) {
            Some(p) => {
                *p = patient;
                Ok(false)
            }
            None => {
                world.db.patients.push(patient);
                Ok(true)
            }
        }
    }

    /// Activates or deactivates every registration of a patient. Returns whether the patient
    /// was found.
    pub fn set_patient_active(&self, patient_license_number: &str, active: bool) -> bool {
        let mut world = self.shared.lock();
        let mut found = false;
        for p in world
            .db
            .patients
            .iter_mut()
            .filter(|p| p.patient_license_number == patient_license_number)
        {
            p.active = active;
            found = true;
        }
        found
    }

    /// Every patient registration.
    pub fn patients(&self) -> Vec<Patient> {
        self.shared.lock().db.patients.clone()
    }

    /// Forgets the patient status answers Metrc's one-minute cache holds, so the next lookup of
    /// each patient is computed afresh.
    pub fn clear_patient_cache(&self) {
        self.shared.lock().patient_cache.clear();
    }

    /// Replaces the facts (category type, unit weight, unit THC content) of the item named
    /// `item_name` at `license`, as if edited in Metrc; its `LastModified` moves to now. A
    /// category type left out is the one the category name suggests. Returns whether found.
    pub fn set_item_facts(&self, license: &str, item_name: &str, facts: ItemFacts) -> bool {
        let mut world = self.shared.lock();
        let now = world.now();
        match world
            .db
            .items
            .iter_mut()
            .find(|i| i.license_number == license && i.name == item_name)
        {
            Some(i) => {
                i.category_type = facts.category_type;
                i.unit_weight = facts.unit_weight;
                i.unit_thc_content = facts.unit_thc_content;
                i.last_modified = now;
                true
            }
            None => false,
        }
    }

    /// Replaces all records with a new seed (options, faults and the log are kept).
    pub fn reset(&self, seed: Seed) {
        let mut world = self.shared.lock();
        let options = world.options.clone();
        let faults = world.faults.faults.clone();
        let mut fresh = World::new(seed, options, faults, Arc::clone(&world.clock));
        std::mem::swap(&mut world.log, &mut fresh.log);
        *world = fresh;
    }
}

impl Receipt {
    /// A receipt for `insert_receipt`: recorded at `now` (e.g. [`Control::now`]), visible at
    /// once, consumer sale.
    pub fn new_simple(
        now: Timestamp,
        license: &str,
        external_receipt_number: Option<&str>,
        sales_date_time: &str,
        lines: Vec<crate::model::SaleLine>,
    ) -> Receipt {
        Receipt {
            id: 0,
            license_number: license.to_owned(),
            external_receipt_number: external_receipt_number.map(str::to_owned),
            sales_date_time: sales_date_time.to_owned(),
            sales_customer_type: "Consumer".into(),
            patient_license_number: None,
            caregiver_license_number: None,
            identification_method: None,
            transactions: lines,
            voided: false,
            recorded_date_time: now,
            recorded_by_user_name: None,
            last_modified: now,
            visible_at: now,
        }
    }
}
