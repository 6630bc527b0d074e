//! The Metrc v2 routes the emulator serves, and the router that joins them with the gate and the
//! control API.
//!
//! Guarantees: `ROUTES` lists exactly the Metrc routes served, with path templates as written in
//! Metrc's reference (`.bru` files); unknown paths answer 404 with an empty body.

pub(crate) mod employees;
pub(crate) mod facilities;
pub(crate) mod items;
pub(crate) mod lookups;
pub(crate) mod packages;
pub(crate) mod patients;
pub(crate) mod sales;
pub(crate) mod transfers;

use crate::control_http;
use crate::middleware::gate;
use crate::state::Shared;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use std::sync::Arc;

/// Every Metrc route served: (method, path template as in the reference).
/// `/packages/v2/{label}` and `/packages/v2/{id}` are one route (a numeric segment that is a
/// package Id finds that package).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/facilities/v2"),
    ("GET", "/employees/v2"),
    ("GET", "/employees/v2/permissions"),
    ("GET", "/unitsofmeasure/v2/active"),
    ("GET", "/sales/v2/customertypes"),
    ("POST", "/sales/v2/receipts"),
    ("PUT", "/sales/v2/receipts"),
    ("GET", "/sales/v2/receipts/active"),
    ("GET", "/sales/v2/receipts/inactive"),
    ("GET", "/sales/v2/receipts/external/{externalNumber}"),
    ("GET", "/sales/v2/receipts/{id}"),
    ("DELETE", "/sales/v2/receipts/{id}"),
    ("GET", "/packages/v2/active"),
    ("GET", "/packages/v2/inactive"),
    ("GET", "/packages/v2/types"),
    ("GET", "/packages/v2/{label}"),
    ("GET", "/packages/v2/{id}"),
    ("GET", "/packages/v2/adjust/reasons"),
    ("POST", "/packages/v2/adjust"),
    ("GET", "/packages/v2/adjustments"),
    ("POST", "/packages/v2"),
    ("GET", "/transfers/v2/incoming"),
    ("GET", "/transfers/v2/{id}/deliveries"),
    ("GET", "/transfers/v2/deliveries/{id}/packages"),
    ("GET", "/items/v2/active"),
    ("GET", "/patients/v2/statuses/{patientLicenseNumber}"),
    ("GET", "/plants/v2/vegetative"),
    ("GET", "/harvests/v2/active"),
];

/// The full application: Metrc routes behind the gate, plus `/__emulator/` control routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/facilities/v2", get(facilities::list))
        .route("/employees/v2", get(employees::list))
        .route("/employees/v2/permissions", get(employees::permissions))
        .route("/unitsofmeasure/v2/active", get(lookups::units))
        .route("/sales/v2/customertypes", get(lookups::customer_types))
        .route("/sales/v2/receipts", post(sales::create).put(sales::update))
        .route("/sales/v2/receipts/active", get(sales::active))
        .route("/sales/v2/receipts/inactive", get(sales::inactive))
        .route(
            "/sales/v2/receipts/external/{external_number}",
            get(sales::by_external),
        )
        .route(
            "/sales/v2/receipts/{id}",
            get(sales::by_id).delete(sales::void),
        )
        .route("/packages/v2/active", get(packages::active))
        .route("/packages/v2/inactive", get(packages::inactive))
        .route("/packages/v2/types", get(lookups::package_types))
        .route("/packages/v2/{label}", get(packages::one))
        .route("/packages/v2/adjust/reasons", get(packages::adjust_reasons))
        .route("/packages/v2/adjust", post(packages::adjust))
        .route("/packages/v2/adjustments", get(packages::adjustments))
        .route("/packages/v2", post(packages::create))
        .route("/packages/v2/", post(packages::create))
        .route("/transfers/v2/incoming", get(transfers::incoming))
        .route("/transfers/v2/{id}/deliveries", get(transfers::deliveries))
        .route(
            "/transfers/v2/deliveries/{id}/packages",
            get(transfers::delivery_packages),
        )
        .route("/items/v2/active", get(items::active))
        .route(
            "/patients/v2/statuses/{patient_license_number}",
            get(patients::statuses),
        )
        .route("/plants/v2/vegetative", get(facilities::vegetative_plants))
        .route("/harvests/v2/active", get(facilities::active_harvests))
        .merge(control_http::router())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}
