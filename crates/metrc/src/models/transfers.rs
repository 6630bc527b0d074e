//! Incoming transfers (manifests), their deliveries and the packages on a delivery. Read only:
//! Metrc has no API to receive a licensed transfer.

use serde::{Deserialize, Serialize};

/// An incoming transfer (`GET /transfers/v2/incoming`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Transfer {
    /// Transfer id (for `/transfers/v2/{id}/deliveries`).
    pub id: i64,
    /// Manifest number.
    pub manifest_number: Option<String>,
    /// Shipper licence.
    pub shipper_facility_license_number: Option<String>,
    /// Shipper name.
    pub shipper_facility_name: Option<String>,
    /// Transporter licence.
    pub transporter_facility_license_number: Option<String>,
    /// Transporter name.
    pub transporter_facility_name: Option<String>,
    /// Driver name.
    pub driver_name: Option<String>,
    /// Number of deliveries.
    pub delivery_count: Option<i64>,
    /// Number of packages.
    pub package_count: Option<i64>,
    /// Packages received so far.
    pub received_package_count: Option<i64>,
    /// Voided.
    pub is_voided: Option<bool>,
    /// Created (with offset).
    pub created_date_time: Option<String>,
    /// Last modified (with offset).
    pub last_modified: Option<String>,
    /// The delivery to this facility.
    pub delivery_id: Option<i64>,
    /// Recipient licence.
    pub recipient_facility_license_number: Option<String>,
    /// Recipient name.
    pub recipient_facility_name: Option<String>,
    /// Shipment type.
    pub shipment_type_name: Option<String>,
    /// Estimated departure.
    pub estimated_departure_date_time: Option<String>,
    /// Estimated arrival.
    pub estimated_arrival_date_time: Option<String>,
    /// Received.
    pub received_date_time: Option<String>,
}

/// One delivery of a transfer (`GET /transfers/v2/{id}/deliveries`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TransferDelivery {
    /// Delivery id (for `/transfers/v2/deliveries/{id}/packages`).
    pub id: i64,
    /// Manifest number.
    pub manifest_number: Option<String>,
    /// Delivery number.
    pub delivery_number: Option<i64>,
    /// Recipient licence.
    pub recipient_facility_license_number: Option<String>,
    /// Recipient name.
    pub recipient_facility_name: Option<String>,
    /// Shipment type.
    pub shipment_type_name: Option<String>,
    /// Estimated departure.
    pub estimated_departure_date_time: Option<String>,
    /// Estimated arrival.
    pub estimated_arrival_date_time: Option<String>,
    /// Packages on the delivery.
    pub delivery_package_count: Option<i64>,
    /// Packages received.
    pub delivery_received_package_count: Option<i64>,
    /// Received.
    pub received_date_time: Option<String>,
}

/// A package on a delivery (`GET /transfers/v2/deliveries/{id}/packages`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeliveryPackage {
    /// Package id.
    pub package_id: Option<i64>,
    /// Package label.
    pub package_label: String,
    /// Package type.
    pub package_type: Option<String>,
    /// Item id.
    pub item_id: Option<i64>,
    /// Item name.
    pub item_name: Option<String>,
    /// Item category.
    pub item_category_name: Option<String>,
    /// Strain.
    pub item_strain_name: Option<String>,
    /// Lab testing state.
    pub lab_testing_state: Option<String>,
    /// `Accepted`, `Rejected`, `Shipped`, …
    pub shipment_package_state: Option<String>,
    /// Shipped quantity.
    pub shipped_quantity: Option<f64>,
    /// Shipped unit.
    pub shipped_unit_of_measure_name: Option<String>,
    /// Received quantity.
    pub received_quantity: Option<f64>,
    /// Received unit.
    pub received_unit_of_measure_name: Option<String>,
    /// Packaged date.
    pub packaged_date: Option<String>,
    /// Trade sample.
    pub is_trade_sample: Option<bool>,
    /// Donation.
    pub is_donation: Option<bool>,
}
