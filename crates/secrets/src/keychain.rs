//! The OS keychain as a [`SecretStore`], through `keyring-core` and the platform's store:
//! Secret Service over D-Bus on Linux (gnome-keyring, KWallet), Credential Manager on Windows,
//! the login Keychain on macOS.
//!
//! Guarantees: keys go only to the platform keychain; there is no fallback of any kind (no file,
//! no SQLite, no environment). Connecting is lazy and retried: a register started without a
//! keychain keeps selling, and keys work as soon as the keychain runs (a lost D-Bus connection is
//! dropped and reopened on the next call). Platform errors are mapped to
//! [`SecretStoreError`] without ever copying secret bytes (`keyring-core` attaches the raw value to
//! some of its errors; those bytes are dropped here).
//!
//! On Linux the store uses the Secret Service's blocking API (its own `async-io` reactor thread,
//! no tokio runtime), which is why the `crypto-rust` feature alone is enabled: calls come from
//! `spawn_blocking` threads and never nest a runtime.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use secrecy::{ExposeSecret, SecretString};

use super::{EntryId, SecretStore, SecretStoreError};

/// What the probe marker holds (not a secret).
const PROBE_VALUE: &str = "stateline-keychain-probe";

/// The platform keychain.
pub struct KeychainStore {
    store: Mutex<Option<Arc<CredentialStore>>>,
}

impl Default for KeychainStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeychainStore {
    /// A keychain handle. It connects on first use, so this never fails; a missing keychain is
    /// reported by the first call (or by [`SecretStore::probe`]).
    pub fn new() -> Self {
        Self {
            store: Mutex::new(None),
        }
    }

    fn store(&self) -> Result<Arc<CredentialStore>, SecretStoreError> {
        let mut guard = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = guard.as_ref() {
            return Ok(store.clone());
        }
        let store = connect().map_err(|e| match map_error(e, None) {
            SecretStoreError::Locked { detail } => SecretStoreError::Locked { detail },
            other => SecretStoreError::Unavailable {
                detail: detail_of(&other),
            },
        })?;
        *guard = Some(store.clone());
        Ok(store)
    }

    fn forget_connection(&self) {
        *self.store.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn entry(&self, id: &EntryId) -> Result<Entry, SecretStoreError> {
        let store = self.store()?;
        let label = format!("Stateline Metrc key ({})", id.account());
        let modifiers = modifiers(&label);
        store
            .build(id.service(), id.account(), modifiers.as_ref())
            .map_err(|e| self.failed(e, id))
    }

    /// Maps a platform error and drops the connection when it is the connection that failed.
    fn failed(&self, e: KeyringError, id: &EntryId) -> SecretStoreError {
        let err = map_error(e, Some(id));
        if matches!(err, SecretStoreError::Unavailable { .. }) {
            self.forget_connection();
        }
        err
    }
}

fn detail_of(err: &SecretStoreError) -> String {
    match err {
        SecretStoreError::Unavailable { detail }
        | SecretStoreError::Locked { detail }
        | SecretStoreError::Failed { detail } => detail.clone(),
        other => other.to_string(),
    }
}

#[cfg(target_os = "linux")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(windows)]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore(
        "Stateline has no keychain support on this operating system".into(),
    ))
}

/// Store-specific entry options: a readable label in the Secret Service (shown by Seahorse).
#[cfg(target_os = "linux")]
fn modifiers(label: &str) -> Option<HashMap<&str, &str>> {
    Some(HashMap::from([("label", label)]))
}

#[cfg(not(target_os = "linux"))]
fn modifiers(_label: &str) -> Option<HashMap<&str, &str>> {
    None
}

/// Classifies an error of the platform store into what the caller can act on.
fn map_error(e: KeyringError, id: Option<&EntryId>) -> SecretStoreError {
    let entry = || id.map_or_else(|| "the keychain".to_string(), EntryId::to_string);
    match e {
        KeyringError::NoEntry => SecretStoreError::NotFound { entry: entry() },
        KeyringError::NoStorageAccess(inner) => SecretStoreError::Locked {
            detail: inner.to_string(),
        },
        KeyringError::PlatformFailure(inner) => classify_platform(inner),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(_, _) => {
            SecretStoreError::InvalidKey {
                entry: entry(),
                reason: "the keychain holds something that is not text".into(),
            }
        }
        KeyringError::Ambiguous(items) => SecretStoreError::Duplicate {
            entry: entry(),
            count: items.len(),
        },
        KeyringError::NoDefaultStore | KeyringError::NotSupportedByStore(_) => {
            SecretStoreError::Unavailable {
                detail: e.to_string(),
            }
        }
        KeyringError::Invalid(attr, reason) => SecretStoreError::InvalidEntry {
            reason: format!("the keychain refused the {attr} of {}: {reason}", entry()),
        },
        KeyringError::TooLong(attr, limit) => SecretStoreError::InvalidEntry {
            reason: format!(
                "the {attr} of {} is longer than the keychain allows ({limit})",
                entry()
            ),
        },
        other => SecretStoreError::Failed {
            detail: other.to_string(),
        },
    }
}

#[cfg(target_os = "linux")]
fn classify_platform(inner: keyring_core::error::PlatformError) -> SecretStoreError {
    use secret_service::Error as Ss;
    let detail = inner.to_string();
    match inner.downcast_ref::<Ss>() {
        Some(Ss::Locked | Ss::Prompt | Ss::PromptDisconnected | Ss::NoResult) => {
            SecretStoreError::Locked { detail }
        }
        Some(Ss::Unavailable | Ss::Zbus(_) | Ss::ZbusFdo(_)) => {
            SecretStoreError::Unavailable { detail }
        }
        _ => SecretStoreError::Failed { detail },
    }
}

#[cfg(not(target_os = "linux"))]
fn classify_platform(inner: keyring_core::error::PlatformError) -> SecretStoreError {
    SecretStoreError::Failed {
        detail: inner.to_string(),
    }
}

impl SecretStore for KeychainStore {
    fn get(&self, entry: &EntryId) -> Result<SecretString, SecretStoreError> {
        let item = self.entry(entry)?;
        item.get_password()
            .map(SecretString::from)
            .map_err(|e| self.failed(e, entry))
    }

    fn set(&self, entry: &EntryId, secret: &SecretString) -> Result<(), SecretStoreError> {
        let item = self.entry(entry)?;
        item.set_password(secret.expose_secret())
            .map_err(|e| self.failed(e, entry).scrubbed(secret.expose_secret()))
    }

    fn delete(&self, entry: &EntryId) -> Result<(), SecretStoreError> {
        let item = self.entry(entry)?;
        item.delete_credential().map_err(|e| self.failed(e, entry))
    }

    fn probe(&self) -> Result<(), SecretStoreError> {
        let id = EntryId::probe();
        let marker = SecretString::from(PROBE_VALUE);
        self.set(&id, &marker)?;
        let back = self.get(&id)?;
        let deleted = self.delete(&id);
        if back.expose_secret() != PROBE_VALUE {
            return Err(SecretStoreError::Failed {
                detail: "the keychain gave back something other than what was saved".into(),
            });
        }
        deleted
    }
}

impl fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let connected = self
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        f.debug_struct("KeychainStore")
            .field("connected", &connected)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(s: &str) -> keyring_core::error::PlatformError {
        Box::new(std::io::Error::other(s.to_string()))
    }

    #[test]
    fn keyring_errors_map_to_codes_without_secret_bytes() {
        let id = EntryId::user("sandbox", "jdoe").unwrap();
        let secret = b"RAWSECRETBYTES".to_vec();
        let cases = [
            (KeyringError::NoEntry, "key_not_found"),
            (
                KeyringError::NoStorageAccess(boxed("locked")),
                "keychain_locked",
            ),
            (
                KeyringError::PlatformFailure(boxed("boom")),
                "keychain_error",
            ),
            (KeyringError::BadEncoding(secret.clone()), "invalid_key"),
            (
                KeyringError::BadDataFormat(secret.clone(), boxed("x")),
                "invalid_key",
            ),
            (KeyringError::Ambiguous(Vec::new()), "keychain_duplicate"),
            (KeyringError::NoDefaultStore, "keychain_unavailable"),
            (
                KeyringError::Invalid("user".into(), "bad".into()),
                "invalid_entry",
            ),
            (KeyringError::TooLong("user".into(), 10), "invalid_entry"),
        ];
        for (e, code) in cases {
            let mapped = map_error(e, Some(&id));
            assert_eq!(mapped.code(), code);
            let shown = format!("{mapped} {mapped:?}");
            assert!(!shown.contains("RAWSECRETBYTES"), "{shown}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn secret_service_errors_are_classified() {
        use secret_service::Error as Ss;
        let cases: [(Ss, &str); 4] = [
            (Ss::Locked, "keychain_locked"),
            (Ss::Prompt, "keychain_locked"),
            (Ss::Unavailable, "keychain_unavailable"),
            (Ss::Crypto("bad padding"), "keychain_error"),
        ];
        for (e, code) in cases {
            let mapped = map_error(KeyringError::PlatformFailure(Box::new(e)), None);
            assert_eq!(mapped.code(), code);
        }
    }

    #[test]
    fn debug_shows_no_secrets() {
        assert_eq!(
            format!("{:?}", KeychainStore::new()),
            "KeychainStore { connected: false }"
        );
    }
}
