//! Metrc v2 client for Stateline.
//!
//! A typed client for the Metrc track-and-trace API: hosts ([`metrc_host`]), redacting key types
//! ([`VendorKey`], [`UserKey`]), Basic auth, v2 paging, wire models, and one error enum
//! ([`MetrcError`]) whose [`ErrorClass`] tells the delivery engine whether a request was not
//! sent, might have landed, or was refused and why. The client never retries anything.

pub mod client;
pub mod error;
pub mod host;
mod http;
pub mod keys;
pub mod models;
pub mod read_limiter;
pub mod reply;

pub use client::{ClientConfig, MetrcClient};
pub use error::{ErrorClass, MetrcError, RetryAfter, RowError};
pub use host::{Environment, metrc_host};
pub use http::MAX_PAGE_SIZE;
pub use keys::{UserKey, VendorKey};
pub use models::employees::Employee;
pub use models::facilities::{Facility, FacilityType, License};
pub use models::items::Item;
pub use models::lookups::{Area, UnitOfMeasure};
pub use models::packages::{
    AdjustReason, AdjustmentRecord, NewPackage, Package, PackageAdjustment, PackageIngredient,
    PackageItem,
};
pub use models::patients::PatientStatus;
pub use models::sales::{NewReceipt, NewTransaction, Receipt, ReceiptTransaction, ReceiptUpdate};
pub use models::transfers::{DeliveryPackage, Transfer, TransferDelivery};
pub use models::{LastModifiedWindow, WriteOutcome};
pub use read_limiter::{ReadLimiter, ReadLimits, ReadPermit};
