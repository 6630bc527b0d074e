//! The synchronous secret-store interface the keychain and the in-memory test store implement.
//!
//! Guarantees: secrets cross this interface only as [`SecretString`] (zeroed on drop, redacted
//! when printed); an implementation keeps them only in its own secure storage (the OS keychain, or
//! memory for tests) and never in a file. Calls may block (D-Bus, an unlock prompt), so async code
//! reaches a store only through [`super::Secrets`], which uses `spawn_blocking`.

use std::fmt;

use secrecy::SecretString;

use super::{EntryId, SecretStoreError};

/// A place that keeps secrets by [`EntryId`].
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// The secret saved for `entry`; [`SecretStoreError::NotFound`] when there is none.
    fn get(&self, entry: &EntryId) -> Result<SecretString, SecretStoreError>;

    /// Saves `secret` for `entry`, replacing any secret saved before.
    fn set(&self, entry: &EntryId, secret: &SecretString) -> Result<(), SecretStoreError>;

    /// Deletes the secret saved for `entry`; [`SecretStoreError::NotFound`] when there is none.
    fn delete(&self, entry: &EntryId) -> Result<(), SecretStoreError>;

    /// Checks that the store is reachable and unlocked by writing, reading back and deleting a
    /// harmless marker ([`EntryId::probe`]). `Ok` means keys can be saved and read now.
    fn probe(&self) -> Result<(), SecretStoreError>;
}
