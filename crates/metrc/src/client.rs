//! `MetrcClient`: the typed Metrc v2 calls Stateline makes.
//!
//! Guarantees: every call takes the acting user's key and makes exactly the requests listed in
//! its doc (one per page for lists); nothing is retried, split or cached here — the delivery
//! engine decides. Facility-scoped calls send `licenseNumber` as a query parameter.

mod inactive;
mod patients;

use std::sync::Arc;
use std::time::Duration;

use stateline_clock::Clock;
use url::Url;

use crate::error::MetrcError;
use crate::http::{Http, Query};
use crate::keys::{UserKey, VendorKey};
use crate::models::employees::Employee;
use crate::models::facilities::Facility;
use crate::models::items::Item;
use crate::models::lookups::{Area, UnitOfMeasure};
use crate::models::packages::{
    AdjustReason, AdjustmentRecord, NewPackage, Package, PackageAdjustment,
};
use crate::models::sales::{NewReceipt, Receipt, ReceiptUpdate};
use crate::models::transfers::{DeliveryPackage, Transfer, TransferDelivery};
use crate::models::{LastModifiedWindow, WriteOutcome};

/// How to reach Metrc.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://api-<st>.metrc.com` (see [`crate::metrc_host`]) or a loopback emulator.
    pub base_url: Url,
    /// The integrator's key (Basic auth username).
    pub vendor_key: VendorKey,
    /// Whole-request timeout (connect, send, and read the reply).
    pub request_timeout: Duration,
    /// Connect timeout (a connect timeout is "not sent").
    pub connect_timeout: Duration,
    /// Page size for list calls, 1 to 20.
    pub page_size: u32,
    /// Where "now" comes from (the probe's one-minute `lastModified` window).
    pub clock: Arc<dyn Clock>,
}

impl ClientConfig {
    /// Defaults: 30 s request timeout, 10 s connect timeout, pages of 20.
    pub fn new(base_url: Url, vendor_key: VendorKey) -> Self {
        Self {
            base_url,
            vendor_key,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            page_size: crate::http::MAX_PAGE_SIZE,
            clock: stateline_clock::system(),
        }
    }
}

/// The Metrc v2 client. Cheap to clone (one shared `reqwest::Client` inside).
#[derive(Debug, Clone)]
pub struct MetrcClient {
    http: Arc<Http>,
    clock: Arc<dyn Clock>,
}

fn license_query(license: &str) -> Result<Query, MetrcError> {
    let l = license.trim();
    if l.is_empty() || l.len() > 64 || l.chars().any(char::is_control) {
        return Err(MetrcError::invalid(
            "The licence number is missing or malformed. Choose a licence from the list Metrc returns.",
        ));
    }
    Ok(vec![("licenseNumber", l.to_owned())])
}

fn with_window(mut q: Query, window: Option<LastModifiedWindow>) -> Result<Query, MetrcError> {
    if let Some(w) = window {
        if w.end < w.start {
            return Err(MetrcError::invalid(
                "The time window ends before it starts. Swap the start and end times.",
            ));
        }
        q.extend(w.query());
    }
    Ok(q)
}

/// A path segment as given, or `InvalidInput` when it is empty, over 128 bytes, holds a control
/// character, or is `.` or `..` (which a URL path drops or climbs instead of sending).
fn segment<'a>(what: &str, value: &'a str) -> Result<&'a str, MetrcError> {
    if value.trim().is_empty()
        || value.len() > 128
        || value.chars().any(char::is_control)
        || value == "."
        || value == ".."
    {
        return Err(MetrcError::invalid(format!(
            "The {what} is empty or malformed. Check it and try again."
        )));
    }
    Ok(value)
}

impl MetrcClient {
    /// Builds the client. Fails (InvalidInput) on a page size outside 1..=20, zero timeouts, a
    /// non-https address (http is allowed on loopback only) or an address carrying credentials.
    pub fn new(config: ClientConfig) -> Result<Self, MetrcError> {
        let clock = Arc::clone(&config.clock);
        Ok(Self {
            http: Arc::new(Http::new(config)?),
            clock,
        })
    }

    /// `GET /facilities/v2`: the licences the key reaches. Success proves the key pair.
    pub async fn facilities(&self, key: &UserKey) -> Result<Vec<Facility>, MetrcError> {
        self.http.get_list(key, &["facilities", "v2"], vec![]).await
    }

    /// `GET /employees/v2?licenseNumber=`, all pages.
    pub async fn employees(
        &self,
        key: &UserKey,
        license: &str,
    ) -> Result<Vec<Employee>, MetrcError> {
        let q = license_query(license)?;
        self.http.get_all(key, &["employees", "v2"], q).await
    }

    /// `GET /employees/v2/permissions?licenseNumber=&employeeLicenseNumber=`.
    pub async fn employee_permissions(
        &self,
        key: &UserKey,
        license: &str,
        employee_license_number: &str,
    ) -> Result<Vec<String>, MetrcError> {
        let mut q = license_query(license)?;
        q.push((
            "employeeLicenseNumber",
            segment("employee licence number", employee_license_number)?.to_owned(),
        ));
        self.http
            .get_list(key, &["employees", "v2", "permissions"], q)
            .await
    }

    /// `GET /unitsofmeasure/v2/active`.
    pub async fn units_of_measure(&self, key: &UserKey) -> Result<Vec<UnitOfMeasure>, MetrcError> {
        self.http
            .get_list(key, &["unitsofmeasure", "v2", "active"], vec![])
            .await
    }

    /// `GET /sales/v2/customertypes`.
    pub async fn customer_types(&self, key: &UserKey) -> Result<Vec<String>, MetrcError> {
        self.http
            .get_list(key, &["sales", "v2", "customertypes"], vec![])
            .await
    }

    /// `POST /sales/v2/receipts?licenseNumber=`: one request with all `receipts` (the caller
    /// keeps batches within the object limit). Never retried: on `Ambiguous`, look the receipts
    /// up by external number.
    pub async fn create_receipts(
        &self,
        key: &UserKey,
        license: &str,
        receipts: &[NewReceipt],
    ) -> Result<WriteOutcome, MetrcError> {
        let q = license_query(license)?;
        self.http
            .post(key, &["sales", "v2", "receipts"], q, receipts)
            .await
    }

    /// `GET /sales/v2/receipts/external/{number}?licenseNumber=`. `None` when Metrc says not
    /// found (404, or an empty / `null` reply).
    pub async fn receipt_by_external_number(
        &self,
        key: &UserKey,
        license: &str,
        external_number: &str,
    ) -> Result<Option<Receipt>, MetrcError> {
        let q = license_query(license)?;
        let n = segment("external receipt number", external_number)?;
        self.http
            .get_optional(key, &["sales", "v2", "receipts", "external", n], q)
            .await
    }

    /// `GET /sales/v2/receipts/active?licenseNumber=&lastModifiedStart=&lastModifiedEnd=`, all pages.
    pub async fn active_receipts(
        &self,
        key: &UserKey,
        license: &str,
        window: LastModifiedWindow,
    ) -> Result<Vec<Receipt>, MetrcError> {
        let q = with_window(license_query(license)?, Some(window))?;
        self.http
            .get_all(key, &["sales", "v2", "receipts", "active"], q)
            .await
    }

    /// `GET /sales/v2/receipts/inactive?…` (voided receipts), all pages.
    pub async fn inactive_receipts(
        &self,
        key: &UserKey,
        license: &str,
        window: LastModifiedWindow,
    ) -> Result<Vec<Receipt>, MetrcError> {
        let q = with_window(license_query(license)?, Some(window))?;
        self.http
            .get_all(key, &["sales", "v2", "receipts", "inactive"], q)
            .await
    }

    /// `GET /sales/v2/receipts/{id}?licenseNumber=`. `None` when not found.
    pub async fn receipt(
        &self,
        key: &UserKey,
        license: &str,
        id: i64,
    ) -> Result<Option<Receipt>, MetrcError> {
        let q = license_query(license)?;
        let id = id.to_string();
        self.http
            .get_optional(key, &["sales", "v2", "receipts", &id], q)
            .await
    }

    /// `PUT /sales/v2/receipts?licenseNumber=`: corrections, each carrying the receipt's `Id`.
    pub async fn update_receipts(
        &self,
        key: &UserKey,
        license: &str,
        receipts: &[ReceiptUpdate],
    ) -> Result<(), MetrcError> {
        let q = license_query(license)?;
        self.http
            .put(key, &["sales", "v2", "receipts"], q, receipts)
            .await
    }

    /// `DELETE /sales/v2/receipts/{id}?licenseNumber=`: voids (archives) a receipt.
    pub async fn void_receipt(
        &self,
        key: &UserKey,
        license: &str,
        id: i64,
    ) -> Result<(), MetrcError> {
        let q = license_query(license)?;
        let id = id.to_string();
        self.http
            .delete(key, &["sales", "v2", "receipts", &id], q)
            .await
    }

    /// `GET /packages/v2/active?licenseNumber=[&lastModifiedStart=&lastModifiedEnd=]`, all pages.
    pub async fn active_packages(
        &self,
        key: &UserKey,
        license: &str,
        window: Option<LastModifiedWindow>,
    ) -> Result<Vec<Package>, MetrcError> {
        let q = with_window(license_query(license)?, window)?;
        self.http
            .get_all(key, &["packages", "v2", "active"], q)
            .await
    }

    /// `GET /packages/v2/{label}?licenseNumber=`. `None` when not found.
    pub async fn package_by_label(
        &self,
        key: &UserKey,
        license: &str,
        label: &str,
    ) -> Result<Option<Package>, MetrcError> {
        let q = license_query(license)?;
        let label = segment("package label", label)?;
        self.http
            .get_optional(key, &["packages", "v2", label], q)
            .await
    }

    /// `GET /packages/v2/types`: package type names.
    pub async fn package_types(&self, key: &UserKey) -> Result<Vec<String>, MetrcError> {
        self.http
            .get_list(key, &["packages", "v2", "types"], vec![])
            .await
    }

    /// `GET /packages/v2/adjust/reasons?licenseNumber=`, all pages.
    pub async fn adjust_reasons(
        &self,
        key: &UserKey,
        license: &str,
    ) -> Result<Vec<AdjustReason>, MetrcError> {
        let q = license_query(license)?;
        self.http
            .get_all(key, &["packages", "v2", "adjust", "reasons"], q)
            .await
    }

    /// `POST /packages/v2/adjust?licenseNumber=`. Never retried.
    pub async fn adjust_packages(
        &self,
        key: &UserKey,
        license: &str,
        adjustments: &[PackageAdjustment],
    ) -> Result<WriteOutcome, MetrcError> {
        let q = license_query(license)?;
        self.http
            .post(key, &["packages", "v2", "adjust"], q, adjustments)
            .await
    }

    /// `GET /packages/v2/adjustments?licenseNumber=`, all pages.
    pub async fn package_adjustments(
        &self,
        key: &UserKey,
        license: &str,
    ) -> Result<Vec<AdjustmentRecord>, MetrcError> {
        let q = license_query(license)?;
        self.http
            .get_all(key, &["packages", "v2", "adjustments"], q)
            .await
    }

    /// `POST /packages/v2?licenseNumber=`: new packages from ingredients. Never retried.
    pub async fn create_packages(
        &self,
        key: &UserKey,
        license: &str,
        packages: &[NewPackage],
    ) -> Result<WriteOutcome, MetrcError> {
        let q = license_query(license)?;
        self.http.post(key, &["packages", "v2"], q, packages).await
    }

    /// `GET /transfers/v2/incoming?licenseNumber=&lastModifiedStart=&lastModifiedEnd=`, all pages.
    pub async fn incoming_transfers(
        &self,
        key: &UserKey,
        license: &str,
        window: LastModifiedWindow,
    ) -> Result<Vec<Transfer>, MetrcError> {
        let q = with_window(license_query(license)?, Some(window))?;
        self.http
            .get_all(key, &["transfers", "v2", "incoming"], q)
            .await
    }

    /// `GET /transfers/v2/{id}/deliveries`, all pages.
    pub async fn transfer_deliveries(
        &self,
        key: &UserKey,
        transfer_id: i64,
    ) -> Result<Vec<TransferDelivery>, MetrcError> {
        let id = transfer_id.to_string();
        self.http
            .get_all(key, &["transfers", "v2", &id, "deliveries"], vec![])
            .await
    }

    /// `GET /transfers/v2/deliveries/{id}/packages`, all pages.
    pub async fn delivery_packages(
        &self,
        key: &UserKey,
        delivery_id: i64,
    ) -> Result<Vec<DeliveryPackage>, MetrcError> {
        let id = delivery_id.to_string();
        self.http
            .get_all(
                key,
                &["transfers", "v2", "deliveries", &id, "packages"],
                vec![],
            )
            .await
    }

    /// `GET /items/v2/active?licenseNumber=`, all pages.
    pub async fn active_items(
        &self,
        key: &UserKey,
        license: &str,
    ) -> Result<Vec<Item>, MetrcError> {
        let q = license_query(license)?;
        self.http.get_all(key, &["items", "v2", "active"], q).await
    }

    /// One cheap GET proving the key may read `area` at `license`: `pageNumber=1&pageSize=1`,
    /// plus the one-minute `lastModified` window ending now for areas that take a window.
    /// `Ok(())` on any 2xx; 401/403 mean "not allowed". The body is not decoded.
    pub async fn probe(&self, key: &UserKey, license: &str, area: Area) -> Result<(), MetrcError> {
        let mut q = license_query(license)?;
        if area.takes_window() {
            q = with_window(
                q,
                Some(LastModifiedWindow::one_minute_before(self.clock.now())),
            )?;
        }
        q.push(("pageNumber", "1".to_owned()));
        q.push(("pageSize", "1".to_owned()));
        self.http.probe(key, area.path(), q).await
    }

    /// The configured page size.
    pub fn page_size(&self) -> u32 {
        self.http.page_size()
    }
}
