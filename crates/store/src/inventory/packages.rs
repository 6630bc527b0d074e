//! The `items`, `packages` and `adjustment_reasons` caches of Metrc data, and local on-hand.
//!
//! Guarantees: `metrc_quantity` is Metrc's last known quantity (set by a refresh, or advanced by
//! folding a confirmed local record); local on-hand adds the effects of local records not yet
//! confirmed (see `effects`). Packages created locally (new tags) are `local_only` until their
//! record is confirmed or a refresh from Metrc lists them.
//!
//! Known limit: a refresh taken while a record is `ambiguous` may already include that record; its
//! effect then counts twice until the record is confirmed and the next refresh runs.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::time::{from_ms, to_ms};
use crate::{Database, Quantity, StoreError, inventory::licences};

/// A Metrc item (product) as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Metrc item id.
    pub metrc_id: i64,
    /// Item name.
    pub name: String,
    /// Product category.
    pub category: Option<String>,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Metrc's `ProductCategoryType` (`Buds`, `Concentrate`, `InfusedEdible`, …).
    pub category_type: Option<String>,
    /// Metrc's `UnitWeight` and its unit, for items counted by the piece.
    pub unit_weight: Option<Measure>,
    /// Metrc's `UnitThcContent` and its unit, for infused items counted by the piece.
    pub unit_thc_content: Option<Measure>,
}

/// An amount with its unit as Metrc names it (`1.0 Grams`, `10 Milligrams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// The amount (exact to a thousandth).
    pub amount: Quantity,
    /// Metrc's unit name.
    pub unit: String,
}

/// A package as reported by Metrc (input to a refresh).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetrcPackage {
    /// Package label (tag).
    pub label: String,
    /// Item name.
    pub item_name: String,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Metrc's quantity.
    pub quantity: Quantity,
    /// Metrc's `LastModified`.
    pub last_modified: Option<Timestamp>,
}

/// A package in the local inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Label (tag).
    pub label: String,
    /// Licence holding it.
    pub licence: String,
    /// Item name.
    pub item_name: String,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Metrc's last known quantity (plus confirmed local records).
    pub metrc_quantity: Quantity,
    /// Local on-hand: `metrc_quantity` plus unconfirmed local effects.
    pub on_hand: Quantity,
    /// Metrc's `LastModified`, when known.
    pub last_modified: Option<Timestamp>,
    /// A new package not yet confirmed by Metrc.
    pub local_only: bool,
}

/// An adjustment reason for a licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentReason {
    /// The reason name as Metrc spells it.
    pub name: String,
    /// Whether a note is required.
    pub requires_note: bool,
}

const PACKAGE_COLUMNS: &str =
    "label, licence, item_name, unit_of_measure, metrc_quantity, last_modified, local_only,
    metrc_quantity + pending_delta";
const UPSERT_PACKAGE: &str = "INSERT INTO packages
        (label, licence, item_name, unit_of_measure, metrc_quantity, last_modified, local_only, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)
    ON CONFLICT (label) DO UPDATE SET licence = excluded.licence, item_name = excluded.item_name,
        unit_of_measure = excluded.unit_of_measure, metrc_quantity = excluded.metrc_quantity,
        last_modified = excluded.last_modified, local_only = 0, updated_at = excluded.updated_at";
const INSERT_LOCAL: &str = "INSERT INTO packages
        (label, licence, item_name, unit_of_measure, metrc_quantity, last_modified, local_only, updated_at)
    VALUES (?1, ?2, ?3, ?4, 0, NULL, 1, ?5)";
pub(crate) const UPSERT_ITEM_SQL: &str = "INSERT INTO items (licence, metrc_id, name, category, unit_of_measure,
        category_type, unit_weight, unit_weight_unit, unit_thc_content, unit_thc_content_unit)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
    ON CONFLICT (licence, metrc_id) DO UPDATE SET name = excluded.name, category = excluded.category,
        unit_of_measure = excluded.unit_of_measure, category_type = excluded.category_type,
        unit_weight = excluded.unit_weight, unit_weight_unit = excluded.unit_weight_unit,
        unit_thc_content = excluded.unit_thc_content,
        unit_thc_content_unit = excluded.unit_thc_content_unit";
const ITEM_COLUMNS: &str = "metrc_id, name, category, unit_of_measure, category_type, unit_weight,
    unit_weight_unit, unit_thc_content, unit_thc_content_unit";

/// A measure from its stored value and unit (both or neither).
fn measure(amount: Option<f64>, unit: Option<String>) -> Option<Measure> {
    Some(Measure {
        amount: Quantity((amount? * 1000.0).round() as i64),
        unit: unit?,
    })
}

pub(crate) fn item_from_row(r: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        metrc_id: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        unit_of_measure: r.get(3)?,
        category_type: r.get(4)?,
        unit_weight: measure(r.get(5)?, r.get(6)?),
        unit_thc_content: measure(r.get(7)?, r.get(8)?),
    })
}

/// Writes one item with its facts through `stmt` (prepared from [`UPSERT_ITEM_SQL`]).
pub(crate) fn upsert_item(
    stmt: &mut rusqlite::CachedStatement<'_>,
    licence: &str,
    item: &Item,
) -> Result<(), StoreError> {
    let value = |m: &Option<Measure>| m.as_ref().map(|m| m.amount.milli() as f64 / 1000.0);
    let unit = |m: &Option<Measure>| m.as_ref().map(|m| m.unit.clone());
    stmt.execute(params![
        licence,
        item.metrc_id,
        item.name,
        item.category,
        item.unit_of_measure,
        item.category_type,
        value(&item.unit_weight),
        unit(&item.unit_weight),
        value(&item.unit_thc_content),
        unit(&item.unit_thc_content)
    ])?;
    Ok(())
}

/// The item of that name at `licence` (the newest by Metrc id when Metrc lists two).
pub(crate) fn item_named(
    conn: &Connection,
    licence: &str,
    name: &str,
) -> Result<Option<Item>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE licence = ?1 AND name = ?2
             ORDER BY metrc_id DESC LIMIT 1"
        ))?
        .query_row(params![licence, name], item_from_row)
        .optional()?)
}
const UPSERT_REASON: &str =
    "INSERT INTO adjustment_reasons (licence, name, requires_note) VALUES (?1, ?2, ?3)
    ON CONFLICT (licence, name) DO UPDATE SET requires_note = excluded.requires_note";

fn package_from_row(r: &Row<'_>) -> rusqlite::Result<Package> {
    Ok(Package {
        label: r.get(0)?,
        licence: r.get(1)?,
        item_name: r.get(2)?,
        unit_of_measure: r.get(3)?,
        metrc_quantity: Quantity(r.get(4)?),
        last_modified: r.get::<_, Option<i64>>(5)?.map(from_ms),
        local_only: r.get(6)?,
        on_hand: Quantity(r.get(7)?),
    })
}

pub(crate) fn find(conn: &Connection, label: &str) -> Result<Option<Package>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE label = ?1"
        ))?
        .query_row(params![label], package_from_row)
        .optional()?)
}

/// Looks a package up for a record of `licence` measured in `unit`.
pub(crate) fn require(
    conn: &Connection,
    licence: &str,
    label: &str,
    unit: &str,
) -> Result<Package, StoreError> {
    let p = find(conn, label)?.ok_or_else(|| StoreError::UnknownPackage {
        label: label.to_owned(),
    })?;
    if p.licence != licence {
        return Err(StoreError::PackageWrongLicence {
            label: label.to_owned(),
            package_licence: p.licence,
            licence: licence.to_owned(),
        });
    }
    if p.unit_of_measure != unit {
        return Err(StoreError::UnitMismatch {
            label: label.to_owned(),
            expected: p.unit_of_measure,
            given: unit.to_owned(),
        });
    }
    Ok(p)
}

/// Fails with `insufficient_quantity` unless `take` (positive) is on hand, after adding back
/// `give_back` (what the record being replaced had taken).
pub(crate) fn ensure_on_hand(
    package: &Package,
    take: Quantity,
    give_back: Quantity,
) -> Result<(), StoreError> {
    let on_hand = package.on_hand + give_back;
    if take > on_hand {
        return Err(StoreError::InsufficientQuantity {
            label: package.label.clone(),
            on_hand,
            requested: take,
            unit: package.unit_of_measure.clone(),
        });
    }
    Ok(())
}

pub(crate) fn insert_local(
    conn: &Connection,
    licence: &str,
    label: &str,
    item_name: &str,
    unit: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(INSERT_LOCAL)?
        .execute(params![label, licence, item_name, unit, now_ms])?;
    Ok(())
}

/// Fails with `invalid_input` when a required text is empty.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            field,
            detail: format!("the {field} is empty; enter it"),
        });
    }
    Ok(())
}

impl Database {
    /// Refreshes packages from Metrc: each listed package's `metrc_quantity` becomes Metrc's value
    /// and it stops being local-only. Packages not listed are left as they are.
    pub fn upsert_packages_from_metrc(
        &self,
        licence: &str,
        list: &[MetrcPackage],
    ) -> Result<(), StoreError> {
        let now = to_ms(self.now());
        self.write(|tx| {
            licences::require(tx, licence)?;
            let mut stmt = tx.prepare_cached(UPSERT_PACKAGE)?;
            for p in list {
                non_empty("package label", &p.label)?;
                stmt.execute(params![
                    p.label,
                    licence,
                    p.item_name,
                    p.unit_of_measure,
                    p.quantity.0,
                    p.last_modified.map(to_ms),
                    now
                ])?;
            }
            Ok(())
        })
    }

    /// Refreshes the item cache of a licence.
    pub fn upsert_items(&self, licence: &str, items: &[Item]) -> Result<(), StoreError> {
        self.write(|tx| {
            licences::require(tx, licence)?;
            let mut stmt = tx.prepare_cached(UPSERT_ITEM_SQL)?;
            for i in items {
                upsert_item(&mut stmt, licence, i)?;
            }
            Ok(())
        })
    }

    /// Refreshes the adjustment reasons of a licence.
    pub fn upsert_adjustment_reasons(
        &self,
        licence: &str,
        reasons: &[AdjustmentReason],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            licences::require(tx, licence)?;
            let mut stmt = tx.prepare_cached(UPSERT_REASON)?;
            for r in reasons {
                stmt.execute(params![licence, r.name, r.requires_note])?;
            }
            Ok(())
        })
    }

    /// The adjustment reasons of a licence.
    pub fn adjustment_reasons(&self, licence: &str) -> Result<Vec<AdjustmentReason>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT name, requires_note FROM adjustment_reasons WHERE licence = ?1 ORDER BY name",
            )?;
            let rows = stmt
                .query_map(params![licence], |r| {
                    Ok(AdjustmentReason {
                        name: r.get(0)?,
                        requires_note: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// The cached items of a licence.
    pub fn items(&self, licence: &str) -> Result<Vec<Item>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE licence = ?1 ORDER BY name"
            ))?;
            let rows = stmt
                .query_map(params![licence], item_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// One package with its local on-hand, or `unknown_package`.
    pub fn package(&self, label: &str) -> Result<Package, StoreError> {
        self.read(|c| {
            find(c, label)?.ok_or_else(|| StoreError::UnknownPackage {
                label: label.to_owned(),
            })
        })
    }

    /// Local on-hand of a package.
    pub fn on_hand(&self, label: &str) -> Result<Quantity, StoreError> {
        Ok(self.package(label)?.on_hand)
    }

    /// The packages of a licence, by item name then label.
    pub fn packages(&self, licence: &str) -> Result<Vec<Package>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages WHERE licence = ?1 ORDER BY item_name, label"
            ))?;
            let rows = stmt
                .query_map(params![licence], package_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}
