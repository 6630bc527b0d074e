//! Demo-panel shapes of the IPC contract: the emulator faults a person can switch.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A fault of the embedded emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DemoFault {
    /// Metrc answers every request with 503.
    Outage,
    /// Connections are refused (the network is down).
    NetworkDown,
    /// A user's Metrc key is revoked (switching off gives the emulator user a new key, which
    /// that user then pastes).
    RevokeKey,
    /// Metrc answers 429 (rate limiting storm).
    RateLimit,
    /// Every request takes about 1.5 s.
    SlowResponses,
    /// Writes are committed but the reply never comes.
    LostResponses,
}

/// One switch of the demo panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DemoFaultView {
    pub fault: DemoFault,
    pub on: bool,
    pub label: String,
    pub description: String,
    /// For `revoke_key`: the users whose key is revoked now.
    pub users: Vec<String>,
}

/// `set_demo_fault`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DemoFaultRequest {
    pub fault: DemoFault,
    pub on: bool,
    /// For `revoke_key`: whose key (an app user with a saved demo key).
    pub user: Option<String>,
}
