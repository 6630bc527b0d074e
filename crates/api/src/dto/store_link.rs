//! Store-screen shapes of the IPC contract (issue #13): this register's link to its store server,
//! the store at a glance, joining and leaving, and the `store_changed` event.
//!
//! Guarantees: the store server's password travels only inward, in [`StoreJoinRequest`]
//! (`Sensitive`), and is never in a view or an event; times are RFC 3339 UTC strings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{IpcError, Sensitive};

/// This register's link to its store server (the `store_changed` payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreLinkView {
    /// This register belongs to a store.
    pub joined: bool,
    /// The link is connected to the store server now.
    pub connected: bool,
    /// When the store last confirmed a whole pass.
    #[ts(type = "string | null")]
    pub last_success: Option<jiff::Timestamp>,
    /// Since when the store server has not answered (the first failure in a row); `null` while
    /// it answers.
    #[ts(type = "string | null")]
    pub unreachable_since: Option<jiff::Timestamp>,
    /// Failures in a row.
    pub failures: u32,
    /// The code of the last failure (`store_server_unreachable`, …), while failing.
    pub last_error: Option<String>,
    /// The local entry id the store has everything up to.
    #[ts(type = "number")]
    pub pushed_through: i64,
    /// Other registers' records pulled since the link started.
    #[ts(type = "number")]
    pub pulled: u64,
}

/// The store this register joined (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreMembershipView {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// This register's name in the store.
    pub register_name: String,
    /// This register's id in the store.
    pub register_id: String,
    /// How the connection is protected ("not encrypted", "TLS, checked against …").
    pub tls: String,
}

/// One register of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreRegisterView {
    pub id: String,
    pub name: String,
    pub app_version: String,
    #[ts(type = "string")]
    pub last_seen_at: jiff::Timestamp,
    /// Records it pushed.
    #[ts(type = "number")]
    pub records: i64,
    /// Of those, not yet with Metrc.
    #[ts(type = "number")]
    pub open: i64,
    /// It is this register.
    pub this_register: bool,
}

/// Open records of one licence and user, store-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreBacklogView {
    pub licence: String,
    pub acting_user: String,
    #[ts(type = "number")]
    pub open: i64,
    /// When the oldest of them happened.
    #[ts(type = "string")]
    pub oldest: jiff::Timestamp,
}

/// A Metrc key some register of the store holds (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreKeyView {
    /// The user whose key it is; `null` for the facility key.
    pub user: Option<String>,
    /// The register that holds it.
    pub register_name: String,
    /// It is this register.
    pub this_register: bool,
    /// When the store last heard from that register.
    #[ts(type = "string")]
    pub register_seen_at: jiff::Timestamp,
    /// The key's last four characters.
    pub last_four: String,
    /// When it was saved there.
    #[ts(type = "string")]
    pub saved_at: jiff::Timestamp,
    /// The last check's verdict (`all_good`, `missing_permissions`, `key_invalid`,
    /// `could_not_check`); `null` when not checked yet.
    pub verdict: Option<String>,
    /// The newest key saved for this holder anywhere in the store (an older copy is stale).
    pub newest: bool,
}

/// `key_whereabouts`: a user's usable, current Metrc key held at another register of the store,
/// as this register last heard (also while cut off); never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyWhereaboutsView {
    /// The user whose key it is.
    pub user: String,
    /// The register that holds it.
    pub register_name: String,
    /// When the store last heard from that register.
    #[ts(type = "string")]
    pub register_seen_at: jiff::Timestamp,
    /// The key's last four characters.
    pub last_four: String,
}

/// What the store server said, or why it did not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreServerView {
    /// The server answered; `registers` and `backlog` are its.
    pub reachable: bool,
    /// Why it did not answer (`store_server_unreachable`, `store_server_login_refused`, …).
    pub error: Option<IpcError>,
    pub registers: Vec<StoreRegisterView>,
    pub backlog: Vec<StoreBacklogView>,
    /// Whose key is where, in this register's environment.
    pub keys: Vec<StoreKeyView>,
}

/// `store_overview`: this register in its store, and the store at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreOverviewView {
    pub joined: bool,
    pub membership: Option<StoreMembershipView>,
    pub link: StoreLinkView,
    /// This register's records the store does not have yet.
    #[ts(type = "number")]
    pub not_pushed: i64,
    /// `null` when this register is on its own.
    pub server: Option<StoreServerView>,
}

/// `store_join`: the store server and this register's name in the store.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct StoreJoinRequest {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// The store server's password: kept in the OS keychain, never echoed.
    #[ts(type = "string")]
    pub password: Sensitive,
    pub register_name: String,
    /// Connect over TLS, checking the server's certificate.
    #[serde(default)]
    pub tls: bool,
    /// With `tls`: the PEM file of the store's certificate authority (or the server's
    /// self-signed certificate) on this register; empty or absent: the public roots.
    #[serde(default)]
    pub ca_file: Option<String>,
}

/// `store_leave`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct StoreLeaveRequest {
    /// Leave even though records have not reached the store and the server does not answer.
    pub force: bool,
}
