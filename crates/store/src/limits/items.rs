//! What one unit of an item counts as under the limits: Metrc's item facts (the `items` columns
//! of migration 14, through `stateline_limits::per_unit`), or a manager's mapping
//! (`item_limit_maps`), which replaces the facts for that item at that licence.
//!
//! Guarantees: an item is never guessed at — without a mapping, an item Metrc's facts cannot
//! count (no facts fetched, an unknown category type, a piece without weight or THC, or amounts
//! the state's rules count none of while being a cannabis product) is unmapped, with the reason;
//! only a manager (`ManageLimits`) maps an item, with a reason, in one transaction with its audit
//! entry, naming categories of the state's rules and positive amounts — or nothing changes; a
//! manager removes a mapping the same way, leaving a tombstone (`limit_removals`) in the same
//! transaction, so mappings and their removals travel to the store's other registers when the
//! register joined a store ([`super::shared`]: store-wide, the later change wins). A mapping
//! pulled from another register may name a licence not added here; it waits for it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use stateline_limits::{Amounts, ItemFacts, RuleSet, per_unit as facts_per_unit};

use super::overrides::{RulesInForce, rules_in_force};
use super::shared::{self, LimitSettingKind};
use crate::inventory::packages::{self, Measure, non_empty};
use crate::people::audit::{self, AuditAction, AuditEvent};
use crate::people::users::Permission;
use crate::records::entry_checks;
use crate::time::{from_ms, to_ms};
use crate::{Actor, Database, StoreError, inventory::licences};

/// A manager's mapping of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMap {
    /// The item's name.
    pub item_name: String,
    /// What one unit of its packages counts as, per category.
    pub amounts: Amounts,
    /// Why.
    pub reason: String,
    /// The manager.
    pub mapped_by: String,
    /// When.
    pub mapped_at: Timestamp,
}

/// An item sold at a licence that the limits cannot count yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmappedItem {
    /// The item's name.
    pub item_name: String,
    /// The unit its packages are counted in.
    pub unit_of_measure: String,
    /// Metrc's category type, when known.
    pub category_type: Option<String>,
    /// Why it cannot be counted.
    pub reason: String,
    /// How many of the licence's packages hold it.
    pub packages: i64,
}

/// Categories that are not cannabis by weight or THC: a state whose rules count none of them
/// simply does not limit them.
const UNLIMITED_KINDS: [&str; 3] = ["seeds", "plants", "immature_plants"];

fn mapping(c: &Connection, licence: &str, item_name: &str) -> Result<Amounts, StoreError> {
    let rows: Vec<(String, f64)> = c
        .prepare_cached(
            "SELECT category, amount_per_unit FROM item_limit_maps
             WHERE licence = ?1 AND item_name = ?2",
        )?
        .query_map(params![licence, item_name], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows.into_iter().collect())
}

fn measure(m: &Option<Measure>) -> Option<(f64, &str)> {
    m.as_ref()
        .map(|m| (m.amount.milli() as f64 / 1000.0, m.unit.as_str()))
}

/// What one unit of `item_name` (packages counted in `unit`) counts as under `rules`, or why it
/// cannot be counted.
pub(crate) fn per_unit(
    c: &Connection,
    rules: &RuleSet,
    licence: &str,
    item_name: &str,
    unit: &str,
) -> Result<Result<Amounts, String>, StoreError> {
    let mapped = mapping(c, licence, item_name)?;
    if !mapped.is_empty() {
        return Ok(Ok(mapped));
    }
    let Some(item) = packages::item_named(c, licence, item_name)? else {
        return Ok(Err(
            "this register has no Metrc item data for it yet (a refresh with a key allowed to read items fetches it)".into(),
        ));
    };
    let facts = ItemFacts {
        category_type: item.category_type.as_deref(),
        unit_of_measure: unit,
        unit_weight: measure(&item.unit_weight),
        unit_thc_content: measure(&item.unit_thc_content),
    };
    let amounts = match facts_per_unit(&facts) {
        Ok(amounts) => amounts,
        Err(unmapped) => return Ok(Err(unmapped.to_string())),
    };
    let product = amounts
        .keys()
        .any(|k| !UNLIMITED_KINDS.contains(&k.as_str()));
    if product && rules.uncounted(&amounts) {
        let kinds: Vec<&str> = amounts.keys().map(String::as_str).collect();
        return Ok(Err(format!(
            "Metrc's facts count it as {} and {}'s rules count none of that (an edible known only by weight where THC is counted needs its THC per unit)",
            kinds.join(" and "),
            rules.state
        )));
    }
    Ok(Ok(amounts))
}

impl Database {
    /// The items of `licence`'s packages that cannot be sold under the limits until a manager
    /// maps them (none when no rules are in force).
    pub fn unmapped_items(&self, licence: &str) -> Result<Vec<UnmappedItem>, StoreError> {
        self.read(|c| {
            let RulesInForce::Rules { rules, .. } = rules_in_force(c)? else {
                return Ok(Vec::new());
            };
            let held: Vec<(String, String, i64)> = c
                .prepare_cached(
                    "SELECT item_name, unit_of_measure, COUNT(*) FROM packages
                     WHERE licence = ?1 GROUP BY item_name, unit_of_measure ORDER BY item_name",
                )?
                .query_map(params![licence], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mut unmapped = Vec::new();
            for (item_name, unit, count) in held {
                if let Err(reason) = per_unit(c, &rules, licence, &item_name, &unit)? {
                    let category_type =
                        packages::item_named(c, licence, &item_name)?.and_then(|i| i.category_type);
                    unmapped.push(UnmappedItem {
                        item_name,
                        unit_of_measure: unit,
                        category_type,
                        reason,
                        packages: count,
                    });
                }
            }
            Ok(unmapped)
        })
    }

    /// The managers' mappings at `licence`, by item name.
    pub fn item_maps(&self, licence: &str) -> Result<Vec<ItemMap>, StoreError> {
        self.read(|c| {
            let rows: Vec<(String, String, f64, String, String, i64)> = c
                .prepare_cached(
                    "SELECT item_name, category, amount_per_unit, reason, mapped_by, mapped_at
                     FROM item_limit_maps WHERE licence = ?1 ORDER BY item_name, category",
                )?
                .query_map(params![licence], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let mut maps: BTreeMap<String, ItemMap> = BTreeMap::new();
            for (item_name, category, amount, reason, by, at) in rows {
                maps.entry(item_name.clone())
                    .or_insert_with(|| ItemMap {
                        item_name,
                        amounts: Amounts::new(),
                        reason,
                        mapped_by: by,
                        mapped_at: from_ms(at),
                    })
                    .amounts
                    .insert(category, amount);
            }
            Ok(maps.into_values().collect())
        })
    }

    /// Maps `item_name` at `licence`: one unit of its packages counts as `amounts` (category →
    /// amount in the category's unit); replaces an earlier mapping. See the module doc.
    pub fn map_item(
        &self,
        by: &Actor,
        licence: &str,
        item_name: &str,
        amounts: &Amounts,
        reason: &str,
    ) -> Result<ItemMap, StoreError> {
        by.require(Permission::ManageLimits)?;
        non_empty("item", item_name)?;
        non_empty("reason", reason)?;
        entry_checks::short_text("item", item_name)?;
        entry_checks::short_text("reason", reason)?;
        if amounts.is_empty() {
            return Err(StoreError::InvalidInput {
                field: "amounts",
                detail: "give what one unit counts as in at least one category".into(),
            });
        }
        let now = self.now();
        self.write(|tx| {
            licences::require(tx, licence)?;
            let RulesInForce::Rules { rules, .. } = rules_in_force(tx)? else {
                return Err(StoreError::InvalidInput {
                    field: "state",
                    detail: "no purchase-limit rules are in force at this register (no state chosen, or none shipped for it), so there is nothing to map to".into(),
                });
            };
            for (category, amount) in amounts {
                if rules.category(category).is_none() {
                    return Err(StoreError::InvalidInput {
                        field: "category",
                        detail: format!(
                            "{}'s rules have no category {category:?}; use one of: {}",
                            rules.state,
                            rules.categories.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                if !(amount.is_finite() && *amount > 0.0) {
                    return Err(StoreError::InvalidInput {
                        field: "amount",
                        detail: format!("{amount} {category} is not a positive amount; enter what one unit holds"),
                    });
                }
            }
            let key = shared::item_map_key(licence, item_name);
            let mapped_at = shared::change_at(tx, LimitSettingKind::ItemMap, &key, to_ms(now))?;
            shared::forget_removal(tx, LimitSettingKind::ItemMap, &key)?;
            tx.prepare_cached("DELETE FROM item_limit_maps WHERE licence = ?1 AND item_name = ?2")?
                .execute(params![licence, item_name])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO item_limit_maps (licence, item_name, category, amount_per_unit, reason, mapped_by, mapped_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (category, amount) in amounts {
                insert.execute(params![licence, item_name, category, amount, reason.trim(), by.name(), mapped_at])?;
            }
            let described: Vec<String> = amounts
                .iter()
                .map(|(category, amount)| {
                    let unit = rules.category(category).map_or("", |c| c.unit.as_str());
                    format!("{amount} {unit} {category}")
                })
                .collect();
            audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::ItemMapped,
                    item_name,
                    format!("licence {licence}: one unit counts as {}: {}", described.join(" + "), reason.trim()),
                ),
            )?;
            Ok(ItemMap {
                item_name: item_name.to_owned(),
                amounts: amounts.clone(),
                reason: reason.trim().to_owned(),
                mapped_by: by.name().to_owned(),
                mapped_at: from_ms(mapped_at),
            })
        })
    }

    /// Removes the mapping of `item_name` at `licence` (Metrc's facts count it again, or it cannot
    /// be sold until mapped anew); audited, with a tombstone so the removal reaches the store's
    /// other registers (see the module doc).
    pub fn clear_item_map(
        &self,
        by: &Actor,
        licence: &str,
        item_name: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        by.require(Permission::ManageLimits)?;
        non_empty("item", item_name)?;
        non_empty("reason", reason)?;
        entry_checks::short_text("reason", reason)?;
        let now = self.now();
        self.write(|tx| {
            let key = shared::item_map_key(licence, item_name);
            let removed_at = shared::change_at(tx, LimitSettingKind::ItemMap, &key, to_ms(now))?;
            let removed = tx
                .prepare_cached(
                    "DELETE FROM item_limit_maps WHERE licence = ?1 AND item_name = ?2",
                )?
                .execute(params![licence, item_name])?;
            if removed == 0 {
                return Err(StoreError::InvalidInput {
                    field: "item",
                    detail: format!(
                        "licence {licence} has no mapping of {item_name:?}; nothing to remove"
                    ),
                });
            }
            shared::record_removal(tx, LimitSettingKind::ItemMap, &key, removed_at, by.name())?;
            audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::ItemMapped,
                    item_name,
                    format!(
                        "licence {licence}: mapping removed; Metrc's facts decide again: {}",
                        reason.trim()
                    ),
                ),
            )?;
            Ok(())
        })
    }
}
