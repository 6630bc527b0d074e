//! The events the facade publishes (a `tokio::sync::broadcast`), with their IPC names and payloads.
//!
//! Guarantees: payloads are the `dto` types, which hold no key and no PIN; publishing never blocks
//! and never fails (with no subscriber the event is dropped; a slow subscriber loses the oldest).

use serde::Serialize;

use super::dto;

/// Something the UI should hear about.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Status(dto::SyncStatus),
    RecordsChanged(dto::RecordsChanged),
    InventoryChanged(dto::InventoryChanged),
    SessionChanged(Box<dto::AppState>),
    KeysChanged(dto::KeysChanged),
    AuditAppended(dto::AuditAppended),
    StoreChanged(dto::StoreLinkView),
}

impl AppEvent {
    /// The event name on the IPC channel (see `docs/ipc.md`).
    pub fn name(&self) -> &'static str {
        match self {
            AppEvent::Status(_) => dto::STATUS_CHANGED,
            AppEvent::RecordsChanged(_) => dto::RECORDS_CHANGED,
            AppEvent::InventoryChanged(_) => dto::INVENTORY_CHANGED,
            AppEvent::SessionChanged(_) => dto::SESSION_CHANGED,
            AppEvent::KeysChanged(_) => dto::KEYS_CHANGED,
            AppEvent::AuditAppended(_) => dto::AUDIT_APPENDED,
            AppEvent::StoreChanged(_) => dto::STORE_CHANGED,
        }
    }

    /// The payload as JSON.
    pub fn payload(&self) -> serde_json::Value {
        fn json<T: Serialize>(value: &T) -> serde_json::Value {
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
        }
        match self {
            AppEvent::Status(p) => json(p),
            AppEvent::RecordsChanged(p) => json(p),
            AppEvent::InventoryChanged(p) => json(p),
            AppEvent::SessionChanged(p) => json(p),
            AppEvent::KeysChanged(p) => json(p),
            AppEvent::AuditAppended(p) => json(p),
            AppEvent::StoreChanged(p) => json(p),
        }
    }
}
