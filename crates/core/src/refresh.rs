//! Refreshing the local caches of one licence from Metrc: packages on hand, items and adjustment
//! reasons, so the register can sell and adjust while offline.
//!
//! Guarantees: a refresh only replaces cached Metrc data (never local records or the outbox); a
//! failed call leaves the cache as it was (each list is written in one transaction after it was
//! fetched whole); quantities are converted exactly (Metrc's decimals to milli-units, rounded to
//! the nearest thousandth).

use jiff::Timestamp;

use crate::{AdjustmentReason, CoreError, Database, Item, MetrcPackage, Quantity};

/// What a refresh brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub packages: usize,
    pub items: usize,
    pub reasons: usize,
}

/// Metrc's decimal quantity as an exact milli-unit quantity.
pub fn quantity_from_metrc(value: f64) -> Quantity {
    Quantity::from_milli((value * 1000.0).round() as i64)
}

fn package_from_metrc(package: &metrc::Package) -> MetrcPackage {
    let item = package.item.as_ref();
    MetrcPackage {
        label: package.label.clone(),
        item_name: item.and_then(|i| i.name.clone()).unwrap_or_default(),
        unit_of_measure: package
            .unit_of_measure_name
            .clone()
            .or_else(|| item.and_then(|i| i.unit_of_measure_name.clone()))
            .unwrap_or_default(),
        quantity: quantity_from_metrc(package.quantity),
        last_modified: package
            .last_modified
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok()),
    }
}

/// Fetches packages, items and adjustment reasons of `licence` with `key` and stores them.
pub async fn refresh_licence(
    db: &Database,
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
) -> Result<Refreshed, CoreError> {
    let packages: Vec<MetrcPackage> = client
        .active_packages(key, licence, None)
        .await?
        .iter()
        .map(package_from_metrc)
        .collect();
    let reasons: Vec<AdjustmentReason> = client
        .adjust_reasons(key, licence)
        .await?
        .into_iter()
        .map(|r| AdjustmentReason {
            name: r.name,
            requires_note: r.requires_note,
        })
        .collect();
    let items: Vec<Item> = match client.active_items(key, licence).await {
        Ok(items) => items
            .into_iter()
            .map(|i| Item {
                metrc_id: i.id,
                name: i.name,
                category: i.product_category_name,
                unit_of_measure: i.unit_of_measure_name.unwrap_or_default(),
            })
            .collect(),
        // Items need "Manage Items"; a budtender's key may lack it, and selling does not need it.
        Err(e)
            if matches!(
                e.class(),
                metrc::ErrorClass::Unauthorized | metrc::ErrorClass::Forbidden
            ) =>
        {
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let refreshed = Refreshed {
        packages: packages.len(),
        items: items.len(),
        reasons: reasons.len(),
    };
    let (db, licence) = (db.clone(), licence.to_owned());
    tokio::task::spawn_blocking(move || {
        db.upsert_packages_from_metrc(&licence, &packages)?;
        db.upsert_adjustment_reasons(&licence, &reasons)?;
        if !items.is_empty() {
            db.upsert_items(&licence, &items)?;
        }
        Ok::<_, CoreError>(())
    })
    .await
    .map_err(|e| CoreError::Internal(format!("the refresh did not finish: {e}")))??;
    Ok(refreshed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrc_decimals_become_exact_milli_units() {
        assert_eq!(quantity_from_metrc(3.5).milli(), 3500);
        assert_eq!(quantity_from_metrc(0.1 + 0.2).milli(), 300);
        assert_eq!(quantity_from_metrc(-2.0).milli(), -2000);
    }
}
