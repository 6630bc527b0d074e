//! The secret store: Metrc API keys in the OS keychain, and nowhere else.
//!
//! Each Metrc user's key is one keychain entry (service `stateline`, account
//! `metrc-user:<environment>:<metrc user id>`); the vendor key is `metrc-vendor:<environment>`, or
//! the installer's [`VENDOR_KEY_ENV`] when the keychain has none. [`KeychainStore`] talks to the
//! platform keychain (Secret Service on Linux, Credential Manager on Windows, Keychain on macOS);
//! [`MemoryStore`] stands in for it in unit tests; [`Secrets`] is the async, cached handle the
//! key service uses.
//!
//! Guarantees: keys are held only in redacting types (`metrc::UserKey`, `metrc::VendorKey`,
//! `secrecy::SecretString`) and stored only in the keychain — never on disk, in SQLite, in logs,
//! in errors or in events; there is no fallback to a file when the keychain is missing or locked
//! (the call fails with `keychain_unavailable` / `keychain_locked` and selling goes on). What the
//! users/keys tables may keep about a key is [`KeyMetadata`]: the entry id and the last four
//! characters.

mod entry;
mod error;
mod facade;
mod keychain;
mod memory;
mod store;

pub use entry::{EntryId, EntryKind, SERVICE};
pub use error::SecretStoreError;
pub use facade::{DEFAULT_TIMEOUT, Secrets, VENDOR_KEY_ENV, VendorKeySource};
pub use keychain::KeychainStore;
pub use memory::{MemoryState, MemoryStore};
pub use store::SecretStore;

/// What may be kept about a saved key outside the keychain (SQLite, the UI): which entry holds it
/// and its last (up to) four characters. Never the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyMetadata {
    /// The keychain account name, e.g. `metrc-user:production:jdoe`.
    pub entry: String,
    /// The last (up to) four characters of the key, as `metrc::UserKey::last_four` gives them.
    pub last_four: String,
}

#[cfg(test)]
mod tests;
