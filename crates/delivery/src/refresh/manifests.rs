//! Refreshing the cached incoming manifests (licensed transfers to this licence) from Metrc.
//!
//! Guarantees: asks `/transfers/v2/incoming` in `lastModified` windows of at most 24 hours from
//! the manifests watermark (or from the horizon the first time), then each listed transfer's
//! deliveries and their packages; every GET takes a read-limiter permit when one is given;
//! everything is fetched first and handed to the store's `save_manifests`, which writes it with
//! the prune and the watermark in one transaction, so a failure leaves the cache as it was.

use jiff::Timestamp;
use serde::Serialize;
use stateline_store::inventory::watermarks::{self, Dataset};
use stateline_store::inventory::{Manifest, ManifestPackage};
use stateline_store::{Database, Quantity};
use stateline_tasks::run_blocking as blocking;

use super::{RefreshOptions, metrc_window, permit};
use crate::DeliveryError;

/// What a manifests refresh brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ManifestsRefreshed {
    /// Manifests received (new or changed).
    pub manifests: usize,
    /// Packages on them.
    pub packages: usize,
    /// `lastModified` windows asked.
    pub windows: usize,
    /// Settled cached manifests pruned (see `stateline_store::inventory::manifests`).
    pub pruned: usize,
}

/// Reads incoming manifests of `licence` changed since the last refresh (see the module doc).
pub async fn refresh_manifests(
    db: &Database,
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
    options: &RefreshOptions,
) -> Result<ManifestsRefreshed, DeliveryError> {
    let started = watermarks::whole_second(db.now());
    let mark = {
        let (db, licence) = (db.clone(), licence.to_owned());
        blocking(move || {
            db.licence(&licence)?;
            Ok::<_, DeliveryError>(db.inventory_watermark(&licence, Dataset::Manifests)?)
        })
        .await?
    };
    let horizon_start = started
        .checked_sub(options.horizon)
        .unwrap_or(Timestamp::MIN);
    let start = match mark {
        Some(m) if !options.full => m
            .window_end
            .checked_sub(options.overlap)
            .unwrap_or(m.window_end)
            .max(horizon_start),
        _ => horizon_start,
    };
    let windows = watermarks::windows(start, started, options.window);
    let limiter = options.limiter.as_ref();
    let mut fetched: Vec<Manifest> = Vec::new();
    for window in windows.iter().map(metrc_window) {
        let transfers = {
            let _p = permit(limiter, licence).await;
            client.incoming_transfers(key, licence, window).await?
        };
        for transfer in transfers {
            fetched.retain(|f| f.transfer_id != transfer.id);
            let deliveries = {
                let _p = permit(limiter, licence).await;
                client.transfer_deliveries(key, transfer.id).await?
            };
            let mut packages = Vec::new();
            for delivery in deliveries {
                let list = {
                    let _p = permit(limiter, licence).await;
                    client.delivery_packages(key, delivery.id).await?
                };
                packages.extend(list.iter().map(|p| package_from_metrc(delivery.id, p)));
            }
            fetched.push(manifest_from_metrc(&transfer, packages, started));
        }
    }
    let listed = fetched.len();
    let packages: usize = fetched.iter().map(|f| f.packages.len()).sum();
    let (db, licence) = (db.clone(), licence.to_owned());
    let pruned = blocking(move || db.save_manifests(&licence, &fetched, started)).await?;
    Ok(ManifestsRefreshed {
        manifests: listed,
        packages,
        windows: windows.len(),
        pruned,
    })
}

fn manifest_from_metrc(
    t: &metrc::Transfer,
    packages: Vec<ManifestPackage>,
    fetched_at: Timestamp,
) -> Manifest {
    Manifest {
        transfer_id: t.id,
        manifest_number: t.manifest_number.clone().unwrap_or_default(),
        shipper_licence: t.shipper_facility_license_number.clone(),
        shipper_name: t.shipper_facility_name.clone(),
        transporter_name: t.transporter_facility_name.clone(),
        driver_name: t.driver_name.clone(),
        package_count: t.package_count,
        received_package_count: t.received_package_count,
        voided: t.is_voided.unwrap_or(false),
        created: t.created_date_time.clone(),
        estimated_arrival: t.estimated_arrival_date_time.clone(),
        received: t.received_date_time.clone(),
        last_modified: t
            .last_modified
            .as_deref()
            .and_then(|s| s.parse::<Timestamp>().ok()),
        fetched_at,
        packages,
    }
}

fn package_from_metrc(delivery_id: i64, p: &metrc::DeliveryPackage) -> ManifestPackage {
    ManifestPackage {
        delivery_id,
        label: p.package_label.clone(),
        item_name: p.item_name.clone(),
        item_category: p.item_category_name.clone(),
        shipment_state: p.shipment_package_state.clone(),
        shipped_quantity: p.shipped_quantity.map(Quantity::from_f64),
        shipped_unit: p.shipped_unit_of_measure_name.clone(),
        received_quantity: p.received_quantity.map(Quantity::from_f64),
        received_unit: p.received_unit_of_measure_name.clone(),
    }
}
