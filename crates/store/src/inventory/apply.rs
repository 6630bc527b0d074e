//! Applying a fetched inventory refresh to the caches in one transaction.
//!
//! Guarantees: packages, inactive packages, items, adjustment reasons and the watermark are
//! written in one `BEGIN IMMEDIATE` transaction, so a failure leaves all of them as they were;
//! only Metrc's side of a package changes (`metrc_quantity`, names, `last_modified`) — its
//! `pending_delta` (effects of local and other registers' records that Metrc's quantity does not
//! show yet) changes only by settling, so on-hand stays Metrc quantity + pending effects: every
//! package fetched settles the other registers' confirmed effects on it that this register
//! learned of before the fetch began (`link::peer_effects`). A package Metrc no longer lists is
//! removed only when no local record refers to it (otherwise it is kept and listed in
//! `inventory_finished` until it is free), and a full pull never removes a package changed
//! locally after the fetch began.

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::packages;
use super::watermarks::{self, Dataset};
use crate::link::peer_effects;
use crate::time::to_ms;
use crate::{AdjustmentReason, Database, Item, MetrcPackage, StoreError, inventory::licences};

/// A whole refresh, fetched and ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Whether this was a full pull (packages not listed are gone).
    pub full: bool,
    /// Active packages (latest state per label).
    pub active: Vec<MetrcPackage>,
    /// Inactive (finished) packages with their finished date.
    pub inactive: Vec<(MetrcPackage, Option<String>)>,
    /// Items (`None` when the key may not read them: the cache is kept).
    pub items: Option<Vec<Item>>,
    /// Adjustment reasons.
    pub reasons: Vec<AdjustmentReason>,
    /// Labels asked for one by one that Metrc no longer has.
    pub missing: Vec<String>,
    /// Where the watermark moves to.
    pub window_end: Timestamp,
}

/// What the apply changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Packages retired (removed, or kept aside because local records use them).
    pub retired: usize,
}

// A package new here starts with the effects other registers' records already have on it.
const UPSERT_PACKAGE: &str = "INSERT INTO packages
        (label, licence, item_name, unit_of_measure, metrc_quantity, last_modified, local_only, updated_at,
         pending_delta)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7,
        (SELECT COALESCE(SUM(delta), 0) FROM peer_effects WHERE label = ?1))
    ON CONFLICT (label) DO UPDATE SET licence = excluded.licence, item_name = excluded.item_name,
        unit_of_measure = excluded.unit_of_measure, metrc_quantity = excluded.metrc_quantity,
        last_modified = excluded.last_modified, local_only = 0, updated_at = excluded.updated_at";
const UNUSED: &str = "NOT EXISTS (SELECT 1 FROM package_effects e WHERE e.label = packages.label)
    AND NOT EXISTS (SELECT 1 FROM peer_effects e WHERE e.label = packages.label)
    AND NOT EXISTS (SELECT 1 FROM outbox_packages o WHERE o.label = packages.label)
    AND pending_delta = 0 AND local_only = 0";

fn upsert(conn: &Connection, licence: &str, p: &MetrcPackage, now: i64) -> Result<(), StoreError> {
    crate::inventory::packages::non_empty("package label", &p.label)?;
    conn.prepare_cached(UPSERT_PACKAGE)?.execute(params![
        p.label,
        licence,
        p.item_name,
        p.unit_of_measure,
        p.quantity.0,
        p.last_modified.map(to_ms),
        now
    ])?;
    conn.prepare_cached("DELETE FROM inventory_finished WHERE label = ?1")?
        .execute(params![p.label])?;
    Ok(())
}

/// Removes the package if nothing local uses it, else keeps it listed as finished. Returns
/// whether the package was known locally.
fn retire(
    conn: &Connection,
    licence: &str,
    label: &str,
    finished_date: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let removed = conn
        .prepare_cached(&format!(
            "DELETE FROM packages WHERE label = ?1 AND licence = ?2 AND {UNUSED}"
        ))?
        .execute(params![label, licence])?;
    if removed > 0 {
        conn.prepare_cached("DELETE FROM inventory_finished WHERE label = ?1")?
            .execute(params![label])?;
        return Ok(true);
    }
    let kept = conn
        .prepare_cached(
            "INSERT INTO inventory_finished (label, licence, finished_date, seen_at)
             SELECT label, licence, ?3, ?4 FROM packages WHERE label = ?1 AND licence = ?2
             ON CONFLICT (label) DO UPDATE SET
                 finished_date = COALESCE(excluded.finished_date, finished_date),
                 seen_at = excluded.seen_at",
        )?
        .execute(params![label, licence, finished_date, now])?;
    Ok(kept > 0)
}

/// Removes finished packages kept earlier whose local records have since been confirmed or voided.
fn purge_freed(conn: &Connection, licence: &str) -> Result<usize, StoreError> {
    let freed = conn
        .prepare_cached(&format!(
            "DELETE FROM packages WHERE licence = ?1 AND {UNUSED}
             AND label IN (SELECT label FROM inventory_finished WHERE licence = ?1)"
        ))?
        .execute(params![licence])?;
    conn.prepare_cached(
        "DELETE FROM inventory_finished WHERE licence = ?1
         AND NOT EXISTS (SELECT 1 FROM packages p WHERE p.label = inventory_finished.label)",
    )?
    .execute(params![licence])?;
    Ok(freed)
}

/// After a full pull: packages of the licence Metrc did not list, not local-only and unchanged
/// locally since the fetch began (`started`), are retired.
fn retire_unlisted(
    conn: &Connection,
    licence: &str,
    listed: &[MetrcPackage],
    started: i64,
    now: i64,
) -> Result<usize, StoreError> {
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS refresh_listed (label TEXT PRIMARY KEY) STRICT; DELETE FROM temp.refresh_listed;")?;
    {
        let mut insert =
            conn.prepare_cached("INSERT OR IGNORE INTO temp.refresh_listed (label) VALUES (?1)")?;
        for p in listed {
            insert.execute(params![p.label])?;
        }
    }
    let gone: Vec<String> = conn
        .prepare_cached(
            "SELECT label FROM packages WHERE licence = ?1 AND local_only = 0 AND updated_at <= ?2
             AND label NOT IN (SELECT label FROM temp.refresh_listed)",
        )?
        .query_map(params![licence, started], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.execute_batch("DELETE FROM temp.refresh_listed;")?;
    let mut retired = 0;
    for label in gone {
        if retire(conn, licence, &label, None, now)? {
            retired += 1;
        }
    }
    Ok(retired)
}

impl Database {
    /// Applies a fetched refresh of `licence` in one transaction (see the module guarantees).
    /// `started` is when the fetch began.
    pub fn apply_inventory_refresh(
        &self,
        licence: &str,
        fetched: &Fetched,
        started: Timestamp,
    ) -> Result<Applied, StoreError> {
        let now_ts = self.now();
        let now = to_ms(now_ts);
        self.write(|tx| {
            licences::require(tx, licence)?;
            for p in &fetched.active {
                upsert(tx, licence, p, now)?;
            }
            let mut retired = 0;
            for (p, finished) in &fetched.inactive {
                if retire(tx, licence, &p.label, finished.as_deref(), now)? {
                    retired += 1;
                }
            }
            if fetched.full {
                retired += retire_unlisted(tx, licence, &fetched.active, to_ms(started), now)?;
            }
            let fetched_labels = fetched.active.iter().map(|p| &p.label);
            let inactive_labels = fetched.inactive.iter().map(|(p, _)| &p.label);
            for label in fetched_labels
                .chain(inactive_labels)
                .chain(fetched.missing.iter())
            {
                peer_effects::settle(tx, label, started)?;
            }
            purge_freed(tx, licence)?;
            if let Some(items) = &fetched.items {
                let mut stmt = tx.prepare_cached(packages::UPSERT_ITEM_SQL)?;
                for i in items {
                    packages::upsert_item(&mut stmt, licence, i)?;
                }
            }
            let mut stmt = tx.prepare_cached(
                "INSERT INTO adjustment_reasons (licence, name, requires_note) VALUES (?1, ?2, ?3)
                 ON CONFLICT (licence, name) DO UPDATE SET requires_note = excluded.requires_note",
            )?;
            for r in &fetched.reasons {
                stmt.execute(params![licence, r.name, r.requires_note])?;
            }
            watermarks::advance(
                tx,
                licence,
                Dataset::Packages,
                fetched.window_end,
                fetched.full,
                now_ts,
            )?;
            Ok(Applied { retired })
        })
    }

    /// Labels of a licence's packages that Metrc no longer lists as active but that are kept
    /// because unconfirmed local records use them.
    pub fn finished_packages(&self, licence: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT label FROM inventory_finished WHERE licence = ?1 ORDER BY label",
            )?
            .query_map(params![licence], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
        })
    }
}
