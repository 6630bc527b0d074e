//! Batch validation against working package quantities, shared by sales, adjustments and new
//! packages.
//!
//! Guarantees: rows are validated in order against the quantities left by the earlier *good*
//! rows of the same batch, so two rows drawing on one package cannot oversell it together; nothing
//! touches the world until `Pending::apply`.

use crate::model::Package;
use crate::reply::RowError;
use crate::state::World;
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// Rounds away float noise (quantities have at most 6 decimals here).
pub(crate) fn round(q: f64) -> f64 {
    (q * 1_000_000.0).round() / 1_000_000.0
}

/// Working quantities for one licence during a batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    pub quantities: HashMap<String, f64>,
    pub new_tags: HashSet<String>,
}

impl Pending {
    /// The package with this label at `license`, if any.
    pub fn package<'w>(world: &'w World, license: &str, label: &str) -> Option<&'w Package> {
        world
            .db
            .packages
            .iter()
            .find(|p| p.license_number == license && p.label == label)
    }

    /// Quantity on hand including this batch's earlier rows.
    pub fn on_hand(&self, package: &Package) -> f64 {
        self.quantities
            .get(&package.label)
            .copied()
            .unwrap_or(package.quantity)
    }

    /// Changes the working quantity by `delta`.
    pub fn add(&mut self, package: &Package, delta: f64) {
        let q = round(self.on_hand(package) + delta);
        self.quantities.insert(package.label.clone(), q);
    }

    /// Writes the working quantities into the world.
    pub fn apply(self, world: &mut World, license: &str, now: Timestamp) {
        for p in world.db.packages.iter_mut() {
            if p.license_number == license
                && let Some(q) = self.quantities.get(&p.label)
                && (*q != p.quantity)
            {
                p.quantity = *q;
                p.last_modified = now;
            }
        }
    }
}

/// The result of validating a batch.
#[derive(Debug)]
pub(crate) struct Batch<P> {
    pub plans: Vec<P>,
    pub errors: Vec<RowError>,
    pub pending: Pending,
}

/// Validates each row with `check` (which may change its own copy of the pending quantities); a
/// row's changes are kept only if it has no errors.
pub(crate) fn run_batch<R, P>(
    rows: &[R],
    mut check: impl FnMut(&mut Pending, &R) -> Result<P, Vec<String>>,
) -> Batch<P> {
    let mut pending = Pending::default();
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut scratch = pending.clone();
        match check(&mut scratch, row) {
            Ok(plan) => {
                pending = scratch;
                plans.push(plan);
            }
            Err(messages) => errors.extend(
                messages
                    .into_iter()
                    .map(|message| RowError { row: i, message }),
            ),
        }
    }
    Batch {
        plans,
        errors,
        pending,
    }
}
