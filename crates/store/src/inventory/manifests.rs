//! Incoming manifests (licensed transfers to this licence) with their packages, cached for the
//! inventory screen. Metrc has no API to receive a transfer; this cache is read-only to people.
//!
//! Guarantees: [`Database::save_manifests`] writes what one refresh fetched (the delivery crate
//! asks Metrc), the prune below and the manifests watermark in one transaction, so a failed
//! refresh leaves the cache as it was; [`Database::incoming_manifests`] reads only the cache and
//! works offline.
//!
//! Pruning: in the same transaction as a successful refresh, a licence's settled manifests
//! (received or voided, with their packages) that no refresh has listed for [`PRUNE_AFTER_DAYS`]
//! days by the register's clock (`fetched_at`) are deleted. Metrc lists a transfer as incoming
//! again whenever it changes (shipped, received, voided, edited), so this drops manifests
//! received or voided more than 30 days ago and not touched since. A manifest still on its way is
//! never pruned, however long Metrc leaves it unchanged; nor is one the refresh just listed; a
//! failed refresh prunes nothing.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::packages::non_empty;
use super::watermarks::{self, Dataset};
use crate::time::{from_ms, to_ms};
use crate::{Database, Quantity, StoreError, inventory::licences};

/// Days without being listed by any refresh after which a settled cached manifest is pruned.
pub const PRUNE_AFTER_DAYS: i64 = 30;

/// One incoming manifest as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Metrc transfer id.
    pub transfer_id: i64,
    /// Manifest number.
    pub manifest_number: String,
    /// Shipper licence.
    pub shipper_licence: Option<String>,
    /// Shipper name.
    pub shipper_name: Option<String>,
    /// Transporter name.
    pub transporter_name: Option<String>,
    /// Driver name.
    pub driver_name: Option<String>,
    /// Packages on the manifest, as Metrc counts them.
    pub package_count: Option<i64>,
    /// Packages received so far.
    pub received_package_count: Option<i64>,
    /// Voided by the shipper.
    pub voided: bool,
    /// Created, as Metrc writes it.
    pub created: Option<String>,
    /// Estimated arrival, as Metrc writes it (facility local time).
    pub estimated_arrival: Option<String>,
    /// Received, as Metrc writes it.
    pub received: Option<String>,
    /// Metrc's `LastModified`.
    pub last_modified: Option<Timestamp>,
    /// When this register last read it from Metrc.
    pub fetched_at: Timestamp,
    /// Its packages, by delivery then label.
    pub packages: Vec<ManifestPackage>,
}

/// A package on an incoming manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestPackage {
    /// Delivery id.
    pub delivery_id: i64,
    /// Package label.
    pub label: String,
    /// Item name.
    pub item_name: Option<String>,
    /// Item category.
    pub item_category: Option<String>,
    /// `Shipped`, `Accepted`, `Rejected`, …
    pub shipment_state: Option<String>,
    /// Shipped quantity.
    pub shipped_quantity: Option<Quantity>,
    /// Shipped unit.
    pub shipped_unit: Option<String>,
    /// Received quantity.
    pub received_quantity: Option<Quantity>,
    /// Received unit.
    pub received_unit: Option<String>,
}

/// Deletes the settled (received or voided) manifests of `licence`, with their packages, that no
/// refresh has listed for [`PRUNE_AFTER_DAYS`] days before `now`; returns how many manifests went.
fn prune(conn: &Connection, licence: &str, now: Timestamp) -> Result<usize, StoreError> {
    const SETTLED_AND_STALE: &str =
        "licence = ?1 AND fetched_at < ?2 AND (received IS NOT NULL OR voided = 1)";
    let cutoff = to_ms(now) - PRUNE_AFTER_DAYS * 24 * 3600 * 1000;
    conn.prepare_cached(&format!(
        "DELETE FROM manifest_packages WHERE licence = ?1 AND transfer_id IN
             (SELECT transfer_id FROM manifests WHERE {SETTLED_AND_STALE})"
    ))?
    .execute(params![licence, cutoff])?;
    Ok(conn
        .prepare_cached(&format!("DELETE FROM manifests WHERE {SETTLED_AND_STALE}"))?
        .execute(params![licence, cutoff])?)
}

fn store(conn: &Connection, licence: &str, m: &Manifest, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO manifests (licence, transfer_id, manifest_number, shipper_licence, shipper_name,
             transporter_name, driver_name, package_count, received_package_count, voided, created,
             estimated_arrival, received, last_modified, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (licence, transfer_id) DO UPDATE SET manifest_number = excluded.manifest_number,
             shipper_licence = excluded.shipper_licence, shipper_name = excluded.shipper_name,
             transporter_name = excluded.transporter_name, driver_name = excluded.driver_name,
             package_count = excluded.package_count,
             received_package_count = excluded.received_package_count, voided = excluded.voided,
             created = excluded.created, estimated_arrival = excluded.estimated_arrival,
             received = excluded.received, last_modified = excluded.last_modified,
             fetched_at = excluded.fetched_at",
    )?
    .execute(params![
        licence,
        m.transfer_id,
        m.manifest_number,
        m.shipper_licence,
        m.shipper_name,
        m.transporter_name,
        m.driver_name,
        m.package_count.filter(|n| *n >= 0),
        m.received_package_count.filter(|n| *n >= 0),
        m.voided,
        m.created,
        m.estimated_arrival,
        m.received,
        m.last_modified.map(to_ms),
        now
    ])?;
    conn.prepare_cached("DELETE FROM manifest_packages WHERE licence = ?1 AND transfer_id = ?2")?
        .execute(params![licence, m.transfer_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO manifest_packages (licence, transfer_id, delivery_id, label, item_name,
             item_category, shipment_state, shipped_quantity, shipped_unit, received_quantity,
             received_unit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for p in &m.packages {
        non_empty("package label", &p.label)?;
        insert.execute(params![
            licence,
            m.transfer_id,
            p.delivery_id,
            p.label,
            p.item_name,
            p.item_category,
            p.shipment_state,
            p.shipped_quantity.map(Quantity::milli),
            p.shipped_unit,
            p.received_quantity.map(Quantity::milli),
            p.received_unit,
        ])?;
    }
    Ok(())
}

fn packages_of(
    conn: &Connection,
    licence: &str,
    transfer_id: i64,
) -> Result<Vec<ManifestPackage>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT delivery_id, label, item_name, item_category, shipment_state, shipped_quantity,
                 shipped_unit, received_quantity, received_unit
             FROM manifest_packages WHERE licence = ?1 AND transfer_id = ?2
             ORDER BY delivery_id, label",
        )?
        .query_map(params![licence, transfer_id], |r| {
            Ok(ManifestPackage {
                delivery_id: r.get(0)?,
                label: r.get(1)?,
                item_name: r.get(2)?,
                item_category: r.get(3)?,
                shipment_state: r.get(4)?,
                shipped_quantity: r.get::<_, Option<i64>>(5)?.map(Quantity::from_milli),
                shipped_unit: r.get(6)?,
                received_quantity: r.get::<_, Option<i64>>(7)?.map(Quantity::from_milli),
                received_unit: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

impl Database {
    /// Writes the manifests one refresh of `licence` fetched (their `fetched_at` is set to now),
    /// prunes settled stale ones and moves the manifests watermark to `started`, all in one
    /// transaction. Returns how many manifests were pruned.
    pub fn save_manifests(
        &self,
        licence: &str,
        fetched: &[Manifest],
        started: Timestamp,
    ) -> Result<usize, StoreError> {
        let now = self.now();
        self.write(|tx| {
            licences::require(tx, licence)?;
            for m in fetched {
                store(tx, licence, m, to_ms(now))?;
            }
            let pruned = prune(tx, licence, now)?;
            watermarks::advance(tx, licence, Dataset::Manifests, started, false, now)?;
            Ok(pruned)
        })
    }

    /// The cached incoming manifests of `licence`, newest change first, with their packages.
    /// Reads only the local cache (works offline).
    pub fn incoming_manifests(&self, licence: &str) -> Result<Vec<Manifest>, StoreError> {
        self.read(|c| {
            licences::require(c, licence)?;
            let mut manifests: Vec<Manifest> = c
                .prepare_cached(
                    "SELECT transfer_id, manifest_number, shipper_licence, shipper_name,
                         transporter_name, driver_name, package_count, received_package_count,
                         voided, created, estimated_arrival, received, last_modified, fetched_at
                     FROM manifests WHERE licence = ?1
                     ORDER BY last_modified DESC, transfer_id DESC",
                )?
                .query_map(params![licence], |r| {
                    Ok(Manifest {
                        transfer_id: r.get(0)?,
                        manifest_number: r.get(1)?,
                        shipper_licence: r.get(2)?,
                        shipper_name: r.get(3)?,
                        transporter_name: r.get(4)?,
                        driver_name: r.get(5)?,
                        package_count: r.get(6)?,
                        received_package_count: r.get(7)?,
                        voided: r.get(8)?,
                        created: r.get(9)?,
                        estimated_arrival: r.get(10)?,
                        received: r.get(11)?,
                        last_modified: r.get::<_, Option<i64>>(12)?.map(from_ms),
                        fetched_at: from_ms(r.get(13)?),
                        packages: Vec::new(),
                    })
                })?
                .collect::<Result<_, _>>()?;
            for m in &mut manifests {
                m.packages = packages_of(c, licence, m.transfer_id)?;
            }
            Ok(manifests)
        })
    }
}
