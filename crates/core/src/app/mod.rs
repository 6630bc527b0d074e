//! The application facade the desktop app (and its tests) drive: one cheap, cloneable handle over
//! the store, the secrets, the Metrc client, the delivery worker and the session, with one method
//! per IPC command. It knows nothing of Tauri; `src-tauri` adapts each method in one line.
//!
//! Guarantees: every method checks the session's permission first and fails with a `CoreError`
//! (code + message); nothing returned or emitted carries a key or a PIN; no lock is held across an
//! `.await`.

pub mod dto;
mod ipc_error;

pub use ipc_error::IpcError;
