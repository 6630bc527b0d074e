//! Selling: scanner-friendly package search, customer types, and completing a sale into a receipt.
//!
//! Guarantees: a sale is confirmed to the caller only after it and its outbox entry committed in
//! one transaction (`Database::record_sale`); the receipt is read back from the store, never built
//! from the request; nothing here waits on Metrc (the worker is only woken); a refused sale (bad
//! quantity, too little on hand, missing patient number) leaves no row anywhere.

use stateline_limits::Customer;
use stateline_store::people::users::Permission;
use stateline_store::{
    Money, NewSale, NewSaleLine, Package, Quantity, RecordedSale, SaleExceptions, StoreError,
};

use super::dto::{
    self, CartLine, CustomerTypeAsks, CustomerTypesView, LicenceRequest, PackageView, Receipt,
    ReceiptLine, SaleRequest, SearchRequest,
};
use super::store::AppTables;
use super::{App, AppEvent, convert};
use crate::ApiError;

/// How well a package matches a query (lower is better), or `None`.
fn rank(package: &Package, query: &str) -> Option<u8> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Some(4);
    }
    let label = package.label.to_lowercase();
    if label == q {
        Some(0)
    } else if label.ends_with(&q) {
        Some(1)
    } else if label.contains(&q) {
        Some(2)
    } else if package.item_name.to_lowercase().contains(&q) {
        Some(3)
    } else {
        None
    }
}

/// Orders `packages` for `query`: exact label first, then label suffix (the digits a person types
/// from the end of a tag), label part, item name; ties by item name and label. Packages with
/// nothing on hand are left out unless the label matches exactly.
pub(crate) fn search(mut packages: Vec<Package>, query: &str, limit: usize) -> Vec<Package> {
    let mut ranked: Vec<(u8, Package)> = packages
        .drain(..)
        .filter_map(|p| rank(&p, query).map(|r| (r, p)))
        .filter(|(r, p)| *r == 0 || p.on_hand.is_positive())
        .collect();
    ranked.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb)
            .then_with(|| a.item_name.cmp(&b.item_name))
            .then_with(|| a.label.cmp(&b.label))
    });
    ranked.into_iter().take(limit).map(|(_, p)| p).collect()
}

/// The receipt of a sale, from what `record_sale` committed (no second read of the store).
fn receipt(
    licence: String,
    sold_by: &str,
    customer_type: String,
    recorded: RecordedSale,
) -> Receipt {
    let total = Money(recorded.lines.iter().map(|l| l.total_amount.cents()).sum());
    Receipt {
        total: total.to_string(),
        client_id: recorded.client_id,
        entry_id: recorded.entry_id,
        licence,
        sold_by: sold_by.to_owned(),
        occurred_at: recorded.occurred_at,
        customer_type,
        patient_number: recorded.patient_number,
        caregiver_number: recorded.caregiver_number,
        lines: recorded
            .lines
            .into_iter()
            .map(|l| ReceiptLine {
                item_name: l.item_name,
                label: l.label,
                quantity: l.quantity.to_string(),
                unit_of_measure: l.unit_of_measure,
                price: l.total_amount.to_string(),
            })
            .collect(),
        state: recorded.state.into(),
    }
}

impl App {
    /// `search_packages`.
    pub async fn search_packages(&self, req: SearchRequest) -> Result<Vec<PackageView>, ApiError> {
        self.require(Permission::Sell)?;
        let licences: Vec<String> = match req.licence {
            Some(l) => vec![l],
            None => self
                .db(|db| db.licences())
                .await?
                .into_iter()
                .map(|l| l.number)
                .collect(),
        };
        let packages = self
            .db(move |db| -> Result<_, ApiError> {
                let mut all = Vec::new();
                for l in &licences {
                    all.extend(db.packages(l)?);
                }
                Ok(all)
            })
            .await?;
        let limit = req.limit.unwrap_or(50).clamp(1, 500) as usize;
        Ok(search(packages, &req.query, limit)
            .into_iter()
            .map(convert::package)
            .collect())
    }

    /// `customer_types`.
    pub async fn customer_types(&self, req: LicenceRequest) -> Result<CustomerTypesView, ApiError> {
        self.require(Permission::Sell)?;
        let licence = self.licence_or_first(req.licence).await?;
        let l2 = licence.clone();
        let (mut types, rules) = self
            .db(move |db| -> Result<_, ApiError> {
                Ok((db.customer_types()?, db.licence_rules(&l2)?))
            })
            .await?;
        if types.is_empty() {
            types.push("Consumer".into());
        }
        if !rules.sells_to_consumers {
            types.retain(|t| Customer::of_metrc_type(t) != Customer::AdultUse);
        }
        if let Some(i) = types.iter().position(|t| t == "Consumer") {
            let consumer = types.remove(i);
            types.insert(0, consumer);
        }
        let asks = types
            .iter()
            .map(|t| {
                let asks = rules.asks(t);
                CustomerTypeAsks {
                    customer_type: t.clone(),
                    patient_number: asks.patient_number.into(),
                    caregiver_number: asks.caregiver_number.into(),
                    identification_method: asks.identification_method.into(),
                }
            })
            .collect();
        Ok(CustomerTypesView {
            licence,
            types,
            asks,
        })
    }

    /// `complete_sale`: records the sale (one transaction) and returns its receipt.
    pub async fn complete_sale(&self, req: SaleRequest) -> Result<Receipt, ApiError> {
        let actor = self.require(Permission::Sell)?;
        let occurred_at = self.now();
        let first_label = req.lines.first().map(|l| l.label.trim().to_owned()).ok_or(
            StoreError::InvalidInput {
                field: "sale lines",
                detail: "the cart is empty; scan a package".into(),
            },
        )?;
        let user = actor.name().to_owned();
        let customer_type = req.customer_type.trim().to_owned();
        let recorded_type = customer_type.clone();
        let exceptions = SaleExceptions {
            late: None,
            without_patient_data: match req.approval {
                Some(approval) => Some(self.approval(approval).await?),
                None => None,
            },
        };
        let (licence, recorded) = self
            .db(move |db| -> Result<_, ApiError> {
                let licence = match req.licence.filter(|l| !l.trim().is_empty()) {
                    Some(l) => l,
                    None => db.package(&first_label)?.licence,
                };
                let lines = cart_lines(db, &req.lines)?;
                let recorded = db.record_sale_with(
                    &NewSale {
                        licence: licence.clone(),
                        acting_user: user,
                        occurred_at,
                        customer_type: recorded_type,
                        patient_number: req.patient_number,
                        caregiver_number: req.caregiver_number,
                        identification_method: req.identification_method,
                        lines,
                    },
                    &exceptions,
                )?;
                Ok((licence, recorded))
            })
            .await?;
        self.wake_worker().await;
        let receipt = receipt(licence, actor.name(), customer_type, recorded);
        self.emit(AppEvent::RecordsChanged(dto::RecordsChanged {
            licence: Some(receipt.licence.clone()),
        }));
        self.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
            licence: Some(receipt.licence.clone()),
        }));
        self.audited("sale_recorded");
        Ok(receipt)
    }

    /// Wakes the delivery worker (after a record was made or a fault cleared) and the store link.
    pub(crate) async fn wake_worker(&self) {
        if let Some(worker) = self.inner.owned.lock().await.worker.as_ref() {
            worker.sync_now();
        }
        self.wake_store_link().await;
    }
}

/// Cart lines → sale lines in each package's own unit (quantities and prices parsed exactly).
pub(crate) fn cart_lines(
    db: &stateline_store::Database,
    lines: &[CartLine],
) -> Result<Vec<NewSaleLine>, ApiError> {
    lines
        .iter()
        .map(|l| {
            let label = l.label.trim();
            let package = db.package(label)?;
            Ok(NewSaleLine {
                label: label.to_owned(),
                quantity: Quantity::parse(&l.quantity).map_err(|_| {
                    StoreError::InvalidQuantity {
                        what: label.to_owned(),
                        detail: format!(
                            "{:?} is not a quantity; enter a number like 3.5",
                            l.quantity
                        ),
                    }
                })?,
                unit_of_measure: package.unit_of_measure,
                total_amount: Money::parse(&l.price).map_err(|_| StoreError::InvalidInput {
                    field: "price",
                    detail: format!("{:?} is not an amount; enter a price like 12.50", l.price),
                })?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(label: &str, item: &str, on_hand: i64) -> Package {
        Package {
            label: label.into(),
            licence: "L".into(),
            item_name: item.into(),
            unit_of_measure: "Grams".into(),
            metrc_quantity: Quantity(on_hand),
            on_hand: Quantity(on_hand),
            last_modified: None,
            local_only: false,
        }
    }

    #[test]
    fn an_exact_label_ranks_first_even_with_nothing_on_hand() {
        let all = vec![
            package("1A4000000000000000000012", "Blue Dream", 1000),
            package("1A4000000000000000000001", "Apple Fritter", 0),
            package("1A4000000000000000000011", "Blue Dream 1g", 1000),
        ];
        let found = search(all.clone(), "1a4000000000000000000001", 10);
        assert_eq!(found[0].label, "1A4000000000000000000001");
        let by_name = search(all.clone(), "blue", 10);
        assert_eq!(by_name.len(), 2);
        let suffix = search(all, "12", 10);
        assert_eq!(suffix[0].label, "1A4000000000000000000012");
    }
}
