//! Inventory: packages with local on-hand, refresh from Metrc, adjustment reasons, adjustments,
//! merges and splits, and incoming manifests (online only).
//!
//! Guarantees: each record commits with its outbox entry in one transaction (the store's recording
//! functions); quantities are parsed exactly and units are the package's own; a refresh only
//! replaces cached Metrc data and uses the caller's own key (or the facility key when that is the
//! mode), never someone else's.

use stateline_store::people::users::Permission;
use stateline_store::{
    Ingredient, NewAdjustment, NewPackageOutput, NewPackages, Quantity, StoreError,
};

use super::dto::{
    self, AdjustReasonView, AdjustRequest, LicenceRequest, ManifestPackage, ManifestView,
    NewPackagesRequest, PackageView, RecordedView, RefreshSummary,
};
use super::{App, AppEvent, convert};
use crate::ApiError;

fn quantity(what: &str, text: &str) -> Result<Quantity, ApiError> {
    Quantity::parse(text).map_err(|_| {
        ApiError::from(StoreError::InvalidQuantity {
            what: what.to_owned(),
            detail: format!("{text:?} is not a quantity; enter a number like 3.5"),
        })
    })
}

impl App {
    /// `list_packages`.
    pub async fn list_packages(&self, req: LicenceRequest) -> Result<Vec<PackageView>, ApiError> {
        self.current_actor()?;
        let licence = self.licence_or_first(req.licence).await?;
        let packages = self.db(move |db| db.packages(&licence)).await?;
        Ok(packages.into_iter().map(convert::package).collect())
    }

    /// `refresh_inventory`: packages, items and reasons from Metrc (needs Metrc).
    pub async fn refresh_inventory(&self, req: LicenceRequest) -> Result<RefreshSummary, ApiError> {
        let actor = self.current_actor()?;
        let licence = self.licence_or_first(req.licence).await?;
        let key = self.reading_key(&actor)?;
        let link = self.link()?;
        let refreshed = stateline_delivery::refresh::refresh_licence(
            &self.inner.db,
            &link.client,
            &key,
            &licence,
        )
        .await?;
        self.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
            licence: Some(licence.clone()),
        }));
        Ok(RefreshSummary {
            licence,
            packages: refreshed.packages as u32,
            items: refreshed.items as u32,
            reasons: refreshed.reasons as u32,
        })
    }

    /// `adjust_reasons`.
    pub async fn adjust_reasons(
        &self,
        req: LicenceRequest,
    ) -> Result<Vec<AdjustReasonView>, ApiError> {
        self.current_actor()?;
        let licence = self.licence_or_first(req.licence).await?;
        let reasons = self.db(move |db| db.adjustment_reasons(&licence)).await?;
        Ok(reasons
            .into_iter()
            .map(|r| AdjustReasonView {
                name: r.name,
                requires_note: r.requires_note,
            })
            .collect())
    }

    /// `adjust_package`.
    pub async fn adjust_package(&self, req: AdjustRequest) -> Result<RecordedView, ApiError> {
        let actor = self.require(Permission::Adjust)?;
        let occurred_at = self.now();
        let user = actor.name().to_owned();
        let (recorded, licence) = self
            .db(move |db| -> Result<_, ApiError> {
                let label = req.label.trim();
                let package = db.package(label)?;
                let recorded = db.record_adjustment(&NewAdjustment {
                    licence: package.licence.clone(),
                    acting_user: user,
                    label: label.to_owned(),
                    quantity: quantity(label, &req.quantity)?,
                    unit_of_measure: package.unit_of_measure,
                    reason: req.reason,
                    note: req.note.filter(|n| !n.trim().is_empty()),
                    occurred_at,
                })?;
                Ok((recorded, package.licence))
            })
            .await?;
        self.recorded(&licence).await;
        Ok(RecordedView {
            entry_id: recorded.entry_id,
            client_id: recorded.client_id,
        })
    }

    /// `new_packages`: a merge or a split, one record per new tag, all in one transaction.
    pub async fn new_packages(
        &self,
        req: NewPackagesRequest,
    ) -> Result<Vec<RecordedView>, ApiError> {
        let actor = self.require(Permission::MergeOrSplit)?;
        let occurred_at = self.now();
        let user = actor.name().to_owned();
        let (recorded, licence) = self
            .db(move |db| -> Result<_, ApiError> {
                let first = req
                    .outputs
                    .first()
                    .and_then(|o| o.ingredients.first())
                    .ok_or(StoreError::InvalidInput {
                        field: "new packages",
                        detail: "give at least one new tag with at least one ingredient".into(),
                    })?;
                let licence = db.package(first.label.trim())?.licence;
                let mut outputs = Vec::new();
                for o in &req.outputs {
                    let mut ingredients = Vec::new();
                    for i in &o.ingredients {
                        let label = i.label.trim();
                        let source = db.package(label)?;
                        ingredients.push(Ingredient {
                            label: label.to_owned(),
                            quantity: quantity(label, &i.quantity)?,
                            unit_of_measure: source.unit_of_measure,
                        });
                    }
                    let unit = ingredients
                        .first()
                        .map(|i| i.unit_of_measure.clone())
                        .ok_or_else(|| StoreError::InvalidInput {
                            field: "ingredients",
                            detail: format!("new tag {} has no ingredient; add one", o.tag),
                        })?;
                    outputs.push(NewPackageOutput {
                        tag: o.tag.trim().to_owned(),
                        item_name: o.item_name.clone().filter(|n| !n.trim().is_empty()),
                        quantity: quantity(&o.tag, &o.quantity)?,
                        unit_of_measure: unit,
                        ingredients,
                    });
                }
                let recorded = db.record_new_packages(&NewPackages {
                    licence: licence.clone(),
                    acting_user: user,
                    occurred_at,
                    outputs,
                })?;
                Ok((recorded, licence))
            })
            .await?;
        self.recorded(&licence).await;
        Ok(recorded
            .into_iter()
            .map(|r| RecordedView {
                entry_id: r.entry_id,
                client_id: r.client_id,
            })
            .collect())
    }

    /// After a record was made: wake the worker and tell the UI.
    pub(crate) async fn recorded(&self, licence: &str) {
        self.wake_worker().await;
        self.emit(AppEvent::RecordsChanged(dto::RecordsChanged {
            licence: Some(licence.to_owned()),
        }));
        self.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
            licence: Some(licence.to_owned()),
        }));
    }

    /// `incoming_manifests`: reads incoming transfers from Metrc (online only) and returns them.
    pub async fn incoming_manifests(
        &self,
        req: LicenceRequest,
    ) -> Result<Vec<ManifestView>, ApiError> {
        let actor = self.current_actor()?;
        let licence = self.licence_or_first(req.licence).await?;
        let key = self.reading_key(&actor)?;
        let link = self.link()?;
        stateline_delivery::refresh::manifests::refresh_manifests(
            &self.inner.db,
            &link.client,
            &key,
            &licence,
            &stateline_delivery::refresh::RefreshOptions::default(),
        )
        .await?;
        let manifests = self.db(move |db| db.incoming_manifests(&licence)).await?;
        Ok(manifests
            .into_iter()
            .map(|m| ManifestView {
                id: m.transfer_id,
                manifest_number: Some(m.manifest_number),
                shipper: m.shipper_name.or(m.shipper_licence),
                estimated_arrival: m.estimated_arrival,
                received_at: m.received,
                packages: m
                    .packages
                    .into_iter()
                    .map(|p| ManifestPackage {
                        label: p.label,
                        item_name: p.item_name,
                        quantity: p.shipped_quantity.map(|q| q.to_string()),
                        unit_of_measure: p.shipped_unit,
                        state: p.shipment_state,
                    })
                    .collect(),
            })
            .collect())
    }
}
