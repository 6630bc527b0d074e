//! `MetrcClient::inactive_packages`: the packages finished (or otherwise made inactive) in Metrc,
//! which an incremental inventory refresh needs to retire local packages.
//!
//! Guarantees: exactly one request per page; `licenseNumber` as a query parameter; nothing is
//! retried or cached here.

use super::{MetrcClient, license_query, with_window};
use crate::error::MetrcError;
use crate::keys::UserKey;
use crate::models::LastModifiedWindow;
use crate::models::packages::Package;

impl MetrcClient {
    /// `GET /packages/v2/inactive?licenseNumber=&lastModifiedStart=&lastModifiedEnd=`, all pages.
    pub async fn inactive_packages(
        &self,
        key: &UserKey,
        license: &str,
        window: LastModifiedWindow,
    ) -> Result<Vec<Package>, MetrcError> {
        let q = with_window(license_query(license)?, Some(window))?;
        self.http
            .get_all(key, &["packages", "v2", "inactive"], q)
            .await
    }
}
