//! The `new_packages` and `new_package_ingredients` tables: merges (one new tag from several
//! ingredients) and splits (several new tags from one source), and `record_new_packages`.
//!
//! Guarantees: each new tag is one record with its ingredient rows and its own outbox entry; all
//! tags of one request commit together in one transaction or none does; a tag already known
//! (locally or from Metrc) or repeated in the request is refused; ingredients must be on hand in
//! total across the request. The new tag appears at once as a local-only package with its quantity
//! on hand, and records using it wait (causal order) until Metrc confirms the tag.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::outbox::{self, EntryKind, NewEntry};
use crate::records::entry_checks;
use crate::records::sales::Recorded;
use crate::time::{from_ms, to_ms};
use crate::{
    Database, Quantity, StoreError, inventory::licences, inventory::packages, records::effects,
};

/// One ingredient of a new package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ingredient {
    /// Source package label.
    pub label: String,
    /// Quantity taken (positive).
    pub quantity: Quantity,
    /// Unit (must be the source package's).
    pub unit_of_measure: String,
}

/// One new tag to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPackageOutput {
    /// The new tag.
    pub tag: String,
    /// Item name; `None` = same item as the first ingredient (`UseSameItem`).
    pub item_name: Option<String>,
    /// Quantity of the new package (positive).
    pub quantity: Quantity,
    /// Unit of the new package.
    pub unit_of_measure: String,
    /// Ingredients (at least one).
    pub ingredients: Vec<Ingredient>,
}

/// A merge or split to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPackages {
    /// Licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
    /// New tags (one for a merge, several for a split).
    pub outputs: Vec<NewPackageOutput>,
}

/// A recorded new package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPackageRecord {
    /// Row id.
    pub id: i64,
    /// Client id.
    pub client_id: String,
    /// Licence.
    pub licence: String,
    /// Who made it.
    pub acting_user: String,
    /// The new tag.
    pub tag: String,
    /// Item name, or `None` for "same item".
    pub item_name: Option<String>,
    /// Quantity.
    pub quantity: Quantity,
    /// Unit.
    pub unit_of_measure: String,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
    /// Ingredients.
    pub ingredients: Vec<Ingredient>,
}

fn positive(what: &str, q: Quantity) -> Result<(), StoreError> {
    if q.is_positive() {
        Ok(())
    } else {
        Err(StoreError::InvalidQuantity {
            what: what.to_owned(),
            detail: format!("{q} is not more than zero; enter a positive quantity"),
        })
    }
}

impl Database {
    /// Records a merge or split: one record and outbox entry per new tag, all in one transaction.
    pub fn record_new_packages(&self, req: &NewPackages) -> Result<Vec<Recorded>, StoreError> {
        packages::non_empty("acting user", &req.acting_user)?;
        entry_checks::short_text("acting user", &req.acting_user)?;
        entry_checks::not_in_future(req.occurred_at, self.now())?;
        if req.outputs.is_empty() {
            return Err(StoreError::InvalidInput {
                field: "new packages",
                detail: "no new tag was given; scan at least one new tag".into(),
            });
        }
        let client_ids: Vec<String> = req.outputs.iter().map(|_| self.new_client_id()).collect();
        let now = to_ms(self.now());
        self.write(|tx| {
            licences::require(tx, &req.licence)?;
            let mut tags = BTreeSet::new();
            let mut taken: BTreeMap<&str, (packages::Package, Quantity)> = BTreeMap::new();
            for out in &req.outputs {
                packages::non_empty("new tag", &out.tag)?;
                positive(&out.tag, out.quantity)?;
                packages::non_empty("unit of measure", &out.unit_of_measure)?;
                let known: bool = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM packages WHERE label = ?1)
                             OR EXISTS (SELECT 1 FROM new_packages WHERE tag = ?1)",
                    )?
                    .query_row(params![out.tag], |r| r.get(0))?;
                if known || !tags.insert(out.tag.as_str()) {
                    return Err(StoreError::DuplicateTag {
                        tag: out.tag.clone(),
                    });
                }
                if out.ingredients.is_empty() {
                    return Err(StoreError::InvalidInput {
                        field: "ingredients",
                        detail: format!("new tag {} has no ingredients; add a source package", out.tag),
                    });
                }
                for ing in &out.ingredients {
                    positive(&ing.label, ing.quantity)?;
                    let package = packages::require(tx, &req.licence, &ing.label, &ing.unit_of_measure)?;
                    let slot = taken.entry(&ing.label).or_insert((package, Quantity::ZERO));
                    slot.1 = slot.1 + ing.quantity;
                }
            }
            for (package, qty) in taken.values() {
                packages::ensure_on_hand(package, *qty, Quantity::ZERO)?;
            }
            let mut recorded = Vec::with_capacity(req.outputs.len());
            for (out, client_id) in req.outputs.iter().zip(&client_ids) {
                tx.prepare_cached(
                    "INSERT INTO new_packages (client_id, licence, acting_user, tag, item_name, quantity,
                         unit_of_measure, occurred_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    client_id,
                    req.licence,
                    req.acting_user,
                    out.tag,
                    out.item_name,
                    out.quantity.milli(),
                    out.unit_of_measure,
                    to_ms(req.occurred_at),
                    now
                ])?;
                let record_id = tx.last_insert_rowid();
                let mut deltas = effects::Deltas::new();
                {
                    let mut stmt = tx.prepare_cached(
                        "INSERT INTO new_package_ingredients (new_package_id, label, quantity, unit_of_measure)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (new_package_id, label) DO UPDATE SET quantity = quantity + excluded.quantity",
                    )?;
                    for ing in &out.ingredients {
                        stmt.execute(params![record_id, ing.label, ing.quantity.milli(), ing.unit_of_measure])?;
                        *deltas.entry(ing.label.clone()).or_default() -= ing.quantity.milli();
                    }
                }
                let item_name = match &out.item_name {
                    Some(name) => name.clone(),
                    None => taken
                        .get(out.ingredients[0].label.as_str())
                        .map(|(p, _)| p.item_name.clone())
                        .unwrap_or_default(),
                };
                packages::insert_local(tx, &req.licence, &out.tag, &item_name, &out.unit_of_measure, now)?;
                deltas.insert(out.tag.clone(), out.quantity.milli());
                let entry_id = outbox::insert(
                    tx,
                    &NewEntry {
                        client_id,
                        kind: EntryKind::NewPackage,
                        licence: &req.licence,
                        acting_user: &req.acting_user,
                        record_id,
                        occurred_at_ms: to_ms(req.occurred_at),
                        depends_on: None,
                        deltas: &deltas,
                        creates: std::slice::from_ref(&out.tag),
                    },
                    now,
                )?;
                recorded.push(Recorded {
                    record_id,
                    entry_id,
                    client_id: client_id.clone(),
                });
            }
            Ok(recorded)
        })
    }

    /// A new-package record with its ingredients.
    pub fn new_package(&self, id: i64) -> Result<NewPackageRecord, StoreError> {
        self.read(|c| {
            let mut rec = c
                .prepare_cached(
                    "SELECT id, client_id, licence, acting_user, tag, item_name, quantity, unit_of_measure, occurred_at
                     FROM new_packages WHERE id = ?1",
                )?
                .query_row(params![id], |r| {
                    Ok(NewPackageRecord {
                        id: r.get(0)?,
                        client_id: r.get(1)?,
                        licence: r.get(2)?,
                        acting_user: r.get(3)?,
                        tag: r.get(4)?,
                        item_name: r.get(5)?,
                        quantity: Quantity(r.get(6)?),
                        unit_of_measure: r.get(7)?,
                        occurred_at: from_ms(r.get(8)?),
                        ingredients: Vec::new(),
                    })
                })
                .optional()?
                .ok_or(StoreError::UnknownEntry(id))?;
            rec.ingredients = c
                .prepare_cached(
                    "SELECT label, quantity, unit_of_measure FROM new_package_ingredients
                     WHERE new_package_id = ?1 ORDER BY label",
                )?
                .query_map(params![id], |r| {
                    Ok(Ingredient {
                        label: r.get(0)?,
                        quantity: Quantity(r.get(1)?),
                        unit_of_measure: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rec)
        })
    }
}
