//! Shapes of the local API's settings (the POS API and the Metrc-compatible door) on the IPC
//! contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The local API's settings as a manager sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiSettings {
    /// Serve the local API (the POS API) at all.
    pub enabled: bool,
    /// Its port.
    pub port: u16,
    /// Open it to the store's network (TLS with this register's certificate) instead of this
    /// computer only.
    pub lan: bool,
    /// Serve the Metrc-compatible door.
    pub door_enabled: bool,
    /// The door's port.
    pub door_port: u16,
}

/// The settings and what is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiSettingsView {
    pub settings: ApiSettings,
    /// Where the local API answers now (`https://…` on the local network), if it runs.
    pub api_url: Option<String>,
    /// Where the door answers now, if it runs.
    pub door_url: Option<String>,
    /// SHA-256 fingerprint of the certificate a POS pins (local network only).
    pub certificate_fingerprint: Option<String>,
    /// Why a listener could not start (its code and words), if one could not.
    pub problem: Option<crate::IpcError>,
}
