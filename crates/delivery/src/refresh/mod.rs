//! Refreshing the local caches of one licence from Metrc: packages on hand, items and adjustment
//! reasons, so the register can sell and adjust while offline.
//!
//! A refresh is incremental: it asks only for packages (active, and inactive to retire finished
//! ones) modified since the licence's watermark, in `lastModified` windows of at most 24 hours,
//! oldest first, overlapping the previous one a little so a clock difference with Metrc loses
//! nothing. The first refresh, one whose watermark is older than the horizon, or one asked to be
//! full pulls the whole active list instead. Items and reasons are always pulled whole (they are
//! small).
//!
//! Guarantees: a refresh only replaces cached Metrc data (never local records or the outbox, and
//! never a package's unconfirmed local effects); everything is fetched first and applied in one
//! transaction together with the watermark, so a failed call anywhere leaves the caches and the
//! watermark exactly as they were; every GET first takes a permit from the read limiter when one
//! is given; quantities are converted exactly (Metrc's decimals to milli-units, rounded to the
//! nearest thousandth).

pub mod manifests;

use jiff::{SignedDuration, Timestamp};
use metrc::{ReadLimiter, ReadPermit};
use stateline_store::inventory::apply::Fetched;
use stateline_store::inventory::watermarks::{self, Dataset, Plan};
use stateline_store::{AdjustmentReason, Database, Item, Measure, MetrcPackage, Quantity};
use stateline_tasks::run_blocking as blocking;

use crate::DeliveryError;

/// How a refresh runs.
#[derive(Debug, Clone)]
pub struct RefreshOptions {
    /// Pull everything even if a recent watermark exists.
    pub full: bool,
    /// A watermark older than this is not trusted: the refresh is full.
    pub horizon: SignedDuration,
    /// How far each incremental refresh reaches back before the watermark.
    pub overlap: SignedDuration,
    /// Window length (capped at 24 hours).
    pub window: SignedDuration,
    /// The engine's GET limiter, if the refresh should share it.
    pub limiter: Option<ReadLimiter>,
}

impl Default for RefreshOptions {
    /// Incremental, 7-day horizon, 5-minute overlap, 24-hour windows, no limiter.
    fn default() -> Self {
        Self {
            full: false,
            horizon: SignedDuration::from_hours(24 * 7),
            overlap: SignedDuration::from_mins(5),
            window: watermarks::MAX_WINDOW,
            limiter: None,
        }
    }
}

/// What a refresh brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    /// Active packages received.
    pub packages: usize,
    /// Items received.
    pub items: usize,
    /// Adjustment reasons received.
    pub reasons: usize,
    /// Whether the whole active list was pulled.
    pub full: bool,
    /// `lastModified` windows asked (0 for a full pull).
    pub windows: usize,
    /// Packages retired locally (finished or gone in Metrc).
    pub retired: usize,
}

pub(crate) fn package_from_metrc(package: &metrc::Package) -> MetrcPackage {
    let item = package.item.as_ref();
    MetrcPackage {
        label: package.label.clone(),
        item_name: item.and_then(|i| i.name.clone()).unwrap_or_default(),
        unit_of_measure: package
            .unit_of_measure_name
            .clone()
            .or_else(|| item.and_then(|i| i.unit_of_measure_name.clone()))
            .unwrap_or_default(),
        quantity: Quantity::from_f64(package.quantity),
        last_modified: package
            .last_modified
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok()),
    }
}

/// The store's planned window as the Metrc client's filter.
pub(crate) fn metrc_window(window: &watermarks::Window) -> metrc::LastModifiedWindow {
    metrc::LastModifiedWindow {
        start: window.start,
        end: window.end,
    }
}

/// Waits for a GET permit when a limiter is given.
pub(crate) async fn permit(limiter: Option<&ReadLimiter>, licence: &str) -> Option<ReadPermit> {
    match limiter {
        Some(l) => Some(l.acquire(licence).await),
        None => None,
    }
}

/// Refreshes `licence` with the default options (incremental after the first time).
pub async fn refresh_licence(
    db: &Database,
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
) -> Result<Refreshed, DeliveryError> {
    refresh_licence_with(db, client, key, licence, &RefreshOptions::default()).await
}

/// The item a package embeds, with its facts, when Metrc gives its id and name.
fn item_of_package(package: &metrc::Package) -> Option<Item> {
    let item = package.item.as_ref()?;
    Some(Item {
        metrc_id: item.id?,
        name: item.name.clone()?,
        category: item.product_category_name.clone(),
        unit_of_measure: item
            .unit_of_measure_name
            .clone()
            .or_else(|| package.unit_of_measure_name.clone())
            .unwrap_or_default(),
        category_type: item.product_category_type.clone(),
        unit_weight: measure(
            item.unit_weight,
            item.unit_weight_unit_of_measure_name.clone(),
        ),
        unit_thc_content: measure(
            item.unit_thc_content,
            item.unit_thc_content_unit_of_measure_name.clone(),
        ),
    })
}

/// One of Metrc's per-unit figures with its unit, when it gives both (and a positive amount).
fn measure(amount: Option<f64>, unit: Option<String>) -> Option<Measure> {
    let amount = amount.filter(|a| a.is_finite() && *a > 0.0)?;
    Some(Measure {
        amount: Quantity((amount * 1000.0).round() as i64),
        unit: unit.filter(|u| !u.trim().is_empty())?,
    })
}

/// Refreshes packages, items and adjustment reasons of `licence` with `key` (see the module doc).
pub async fn refresh_licence_with(
    db: &Database,
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
    options: &RefreshOptions,
) -> Result<Refreshed, DeliveryError> {
    let started = watermarks::whole_second(db.now());
    let mark = {
        let (db, licence) = (db.clone(), licence.to_owned());
        blocking(move || db.inventory_watermark(&licence, Dataset::Packages)).await?
    };
    let plan = watermarks::plan(
        mark.map(|m| m.window_end),
        started,
        options.horizon,
        options.overlap,
        options.window,
        options.full,
    );
    let limiter = options.limiter.as_ref();
    // Items as packages embed them: the limits' facts even when the key may not read items.
    let mut embedded: Vec<Item> = Vec::new();
    let mut fetched = Fetched {
        window_end: started,
        ..Fetched::default()
    };
    let windows = match plan {
        Plan::Full => {
            fetched.full = true;
            let _p = permit(limiter, licence).await;
            let active = client.active_packages(key, licence, None).await?;
            embedded.extend(active.iter().filter_map(item_of_package));
            fetched.active = active.iter().map(package_from_metrc).collect();
            0
        }
        Plan::Windows(windows) => {
            for window in windows.iter().map(metrc_window) {
                let active = {
                    let _p = permit(limiter, licence).await;
                    client.active_packages(key, licence, Some(window)).await?
                };
                embedded.extend(active.iter().filter_map(item_of_package));
                fetched.active.extend(active.iter().map(package_from_metrc));
                let inactive = {
                    let _p = permit(limiter, licence).await;
                    client.inactive_packages(key, licence, window).await?
                };
                fetched.inactive.extend(
                    inactive
                        .iter()
                        .map(|p| (package_from_metrc(p), p.finished_date.clone())),
                );
            }
            windows.len()
        }
    };
    latest_state_per_label(&mut fetched);
    fetch_settling(db, client, key, licence, limiter, &mut fetched).await?;
    fetched.reasons = {
        let _p = permit(limiter, licence).await;
        client.adjust_reasons(key, licence).await?
    }
    .into_iter()
    .map(|r| AdjustmentReason {
        name: r.name,
        requires_note: r.requires_note,
    })
    .collect();
    let items = {
        let _p = permit(limiter, licence).await;
        client.active_items(key, licence).await
    };
    fetched.items = match items {
        Ok(items) => Some(
            items
                .into_iter()
                .map(|i| Item {
                    metrc_id: i.id,
                    name: i.name,
                    category: i.product_category_name,
                    unit_of_measure: i.unit_of_measure_name.unwrap_or_default(),
                    category_type: i.product_category_type,
                    unit_weight: measure(i.unit_weight, i.unit_weight_unit_of_measure_name),
                    unit_thc_content: measure(
                        i.unit_thc_content,
                        i.unit_thc_content_unit_of_measure_name,
                    ),
                })
                .collect(),
        ),
        // Items need "Manage Items"; a budtender's key may lack it, and selling does not need it:
        // the items the packages embed (with the facts the limits count) are kept instead.
        Err(e)
            if matches!(
                e.class(),
                metrc::ErrorClass::Unauthorized | metrc::ErrorClass::Forbidden
            ) =>
        {
            (!embedded.is_empty()).then_some(embedded)
        }
        Err(e) => return Err(e.into()),
    };
    let mut refreshed = Refreshed {
        packages: fetched.active.len(),
        items: fetched.items.as_ref().map_or(0, Vec::len),
        reasons: fetched.reasons.len(),
        full: fetched.full,
        windows,
        retired: 0,
    };
    let (db, licence) = (db.clone(), licence.to_owned());
    let applied = blocking(move || db.apply_inventory_refresh(&licence, &fetched, started)).await?;
    refreshed.retired = applied.retired;
    Ok(refreshed)
}

/// Fetches, one by one, the packages that other registers' confirmed records took from and that
/// this refresh did not bring in already, so the apply can settle their effects
/// (`stateline_store::link::peer_effects`): a finished one joins the inactive, one Metrc no
/// longer has the missing.
async fn fetch_settling(
    db: &Database,
    client: &metrc::MetrcClient,
    key: &metrc::UserKey,
    licence: &str,
    limiter: Option<&ReadLimiter>,
    fetched: &mut Fetched,
) -> Result<(), DeliveryError> {
    let settling = {
        let (db, licence) = (db.clone(), licence.to_owned());
        blocking(move || db.settling_labels(&licence)).await?
    };
    let already: std::collections::HashSet<String> = fetched
        .active
        .iter()
        .map(|p| p.label.clone())
        .chain(fetched.inactive.iter().map(|(p, _)| p.label.clone()))
        .collect();
    for label in settling.into_iter().filter(|l| !already.contains(l)) {
        let found = {
            let _p = permit(limiter, licence).await;
            client.package_by_label(key, licence, &label).await?
        };
        match found {
            Some(p) if p.finished_date.is_some() => fetched
                .inactive
                .push((package_from_metrc(&p), p.finished_date.clone())),
            Some(p) => fetched.active.push(package_from_metrc(&p)),
            None => fetched.missing.push(label),
        }
    }
    Ok(())
}

/// Keeps one entry per label: the one Metrc modified last (windows overlap at their edges, and a
/// package may have been finished or unfinished between two windows).
fn latest_state_per_label(fetched: &mut Fetched) {
    use std::collections::HashMap;
    let mut latest: HashMap<String, (Option<Timestamp>, bool)> = HashMap::new();
    let all = fetched
        .active
        .iter()
        .map(|p| (p, true))
        .chain(fetched.inactive.iter().map(|(p, _)| (p, false)));
    for (p, active) in all {
        let entry = latest
            .entry(p.label.clone())
            .or_insert((p.last_modified, active));
        if p.last_modified >= entry.0 {
            *entry = (p.last_modified, active);
        }
    }
    let keep = |p: &MetrcPackage, active: bool| {
        latest
            .get(&p.label)
            .is_some_and(|(at, a)| *a == active && p.last_modified == *at)
    };
    fetched.active.retain(|p| keep(p, true));
    fetched.inactive.retain(|(p, _)| keep(p, false));
    let mut seen = std::collections::HashSet::new();
    fetched.active.retain(|p| seen.insert(p.label.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(label: &str, at: &str, milli: i64) -> MetrcPackage {
        MetrcPackage {
            label: label.into(),
            item_name: "x".into(),
            unit_of_measure: "Each".into(),
            quantity: Quantity::from_milli(milli),
            last_modified: Some(at.parse().unwrap()),
        }
    }

    #[test]
    fn the_latest_change_of_a_label_wins() {
        let mut f = Fetched {
            active: vec![
                pkg("A", "2026-11-22T10:00:00Z", 1000),
                pkg("B", "2026-11-22T10:00:00Z", 1000),
                pkg("A", "2026-11-22T11:00:00Z", 2000),
                pkg("A", "2026-11-22T11:00:00Z", 2000),
            ],
            inactive: vec![(pkg("B", "2026-11-22T12:00:00Z", 0), None)],
            ..Fetched::default()
        };
        latest_state_per_label(&mut f);
        assert_eq!(f.active.len(), 1);
        assert_eq!(f.active[0].quantity.milli(), 2000);
        assert_eq!(f.inactive.len(), 1);
        assert_eq!(f.inactive[0].0.label, "B");
    }
}
