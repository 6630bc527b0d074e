//! [`Secrets`]: the async handle the rest of Stateline uses to save, read and clear Metrc keys.
//!
//! It also keeps the store server password of a register that joined a store (issue #13), the
//! same way.
//!
//! Guarantees:
//! - Every store call runs on a `spawn_blocking` thread with a time limit (an unlock dialog may
//!   keep the keychain busy), so no async task ever blocks on D-Bus or the OS.
//! - Keys read once are cached in memory as [`SecretString`] only, so the delivery engine does not
//!   ask the keychain per batch. A successful save or clear invalidates the entry's cached value
//!   (a failed one leaves it, since the keychain still holds that key), and a read that started
//!   before a save or clear never puts its (older) value back in the cache.
//!   [`Secrets::forget_cached`] drops cached keys (e.g. after Metrc answered 401).
//! - Vendor key precedence: the keychain entry `metrc-vendor:<environment>` first (set in
//!   Settings); when there is none, or the keychain cannot be reached, the value of the
//!   environment variable [`VENDOR_KEY_ENV`] (set by an installer) is used. Clearing the keychain
//!   entry therefore falls back to the installer's key.
//! - Nothing here logs, returns or stores a key other than as [`UserKey`] / [`VendorKey`] /
//!   [`SecretString`]; logs name the entry and at most the last four characters.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use metrc::{UserKey, VendorKey};
use secrecy::{ExposeSecret, SecretString};

use super::{EntryId, EntryKind, KeyMetadata, SecretStore, SecretStoreError};

/// The environment variable an installer may set to provide the vendor (integrator) key.
pub const VENDOR_KEY_ENV: &str = "STATELINE_VENDOR_KEY";

/// How long one keychain call may take before the caller gets [`SecretStoreError::Timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the vendor key in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorKeySource {
    /// The keychain entry `metrc-vendor:<environment>`.
    Keychain,
    /// The [`VENDOR_KEY_ENV`] environment variable.
    Environment,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<EntryId, SecretString>,
    /// Bumped by every save and clear; a read caches its value only if it did not change meanwhile.
    generation: u64,
}

/// The async, cached handle to the secret store. Cheap to clone; clones share the cache, so the
/// app should create one and clone it (two separately created handles cache separately).
#[derive(Clone)]
pub struct Secrets {
    store: Arc<dyn SecretStore>,
    cache: Arc<Mutex<Cache>>,
    env_vendor: Arc<Result<Option<VendorKey>, String>>,
    timeout: Duration,
}

impl Secrets {
    /// A handle over `store`, taking the installer's vendor key from [`VENDOR_KEY_ENV`] (read
    /// once, now).
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        let raw = std::env::var(VENDOR_KEY_ENV).ok();
        Self::with_installer_vendor_key(store, raw)
    }

    /// A handle over `store` with the installer's vendor key given explicitly (`None`: none).
    /// An empty value counts as none; a malformed one is reported when the vendor key is needed.
    pub fn with_installer_vendor_key(store: Arc<dyn SecretStore>, raw: Option<String>) -> Self {
        let env_vendor = match raw.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(raw) => VendorKey::new(raw).map(Some).map_err(|e| e.to_string()),
        };
        Self {
            store,
            cache: Arc::new(Mutex::new(Cache::default())),
            env_vendor: Arc::new(env_vendor),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same handle with another time limit per keychain call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Saves a Metrc user's key, replacing the one saved before, and returns what SQLite may keep.
    pub async fn set_user_key(
        &self,
        entry: &EntryId,
        key: &UserKey,
    ) -> Result<KeyMetadata, SecretStoreError> {
        expect_kind(entry, EntryKind::User)?;
        let meta = self
            .save(entry, SecretString::from(key.expose_for_keychain()))
            .await?;
        Ok(KeyMetadata {
            last_four: key.last_four(),
            ..meta
        })
    }

    /// A Metrc user's key (from the cache after the first read).
    pub async fn user_key(&self, entry: &EntryId) -> Result<UserKey, SecretStoreError> {
        expect_kind(entry, EntryKind::User)?;
        let secret = self.read(entry).await?;
        UserKey::new(secret.expose_secret()).map_err(|e| SecretStoreError::InvalidKey {
            entry: entry.to_string(),
            reason: e.to_string(),
        })
    }

    /// Deletes a Metrc user's key. Clearing a key that is not saved is not an error.
    pub async fn clear_user_key(&self, entry: &EntryId) -> Result<(), SecretStoreError> {
        expect_kind(entry, EntryKind::User)?;
        self.clear(entry).await
    }

    /// Saves the vendor key in the keychain; it then takes precedence over [`VENDOR_KEY_ENV`].
    pub async fn set_vendor_key(
        &self,
        entry: &EntryId,
        key: &VendorKey,
    ) -> Result<KeyMetadata, SecretStoreError> {
        expect_kind(entry, EntryKind::Vendor)?;
        let meta = self
            .save(entry, SecretString::from(key.expose_for_keychain()))
            .await?;
        Ok(KeyMetadata {
            last_four: key.last_four(),
            ..meta
        })
    }

    /// The vendor key: the keychain's, or else the installer's (see the module docs).
    pub async fn vendor_key(&self, entry: &EntryId) -> Result<VendorKey, SecretStoreError> {
        self.vendor_key_with_source(entry).await.map(|(k, _)| k)
    }

    /// The vendor key and where it came from.
    pub async fn vendor_key_with_source(
        &self,
        entry: &EntryId,
    ) -> Result<(VendorKey, VendorKeySource), SecretStoreError> {
        expect_kind(entry, EntryKind::Vendor)?;
        let from_keychain = self.read(entry).await;
        let keychain_err = match from_keychain {
            Ok(secret) => {
                return VendorKey::new(secret.expose_secret())
                    .map(|k| (k, VendorKeySource::Keychain))
                    .map_err(|e| SecretStoreError::InvalidKey {
                        entry: entry.to_string(),
                        reason: e.to_string(),
                    });
            }
            Err(e) if matches!(e, SecretStoreError::NotFound { .. }) || e.is_keychain_down() => e,
            Err(e) => return Err(e),
        };
        match self.env_vendor.as_ref() {
            Ok(Some(key)) => Ok((key.clone(), VendorKeySource::Environment)),
            Ok(None) => Err(keychain_err),
            Err(reason) => Err(SecretStoreError::InvalidKey {
                entry: VENDOR_KEY_ENV.to_string(),
                reason: reason.clone(),
            }),
        }
    }

    /// Deletes the vendor key from the keychain (the installer's key, if any, then applies).
    pub async fn clear_vendor_key(&self, entry: &EntryId) -> Result<(), SecretStoreError> {
        expect_kind(entry, EntryKind::Vendor)?;
        self.clear(entry).await
    }

    /// Saves the store server password of this register, replacing the one saved before.
    pub async fn set_store_server_password(
        &self,
        entry: &EntryId,
        password: SecretString,
    ) -> Result<(), SecretStoreError> {
        expect_kind(entry, EntryKind::StoreServer)?;
        self.save(entry, password).await.map(|_| ())
    }

    /// The store server password of this register.
    pub async fn store_server_password(
        &self,
        entry: &EntryId,
    ) -> Result<SecretString, SecretStoreError> {
        expect_kind(entry, EntryKind::StoreServer)?;
        self.read(entry).await
    }

    /// Deletes the store server password (not saved is not an error).
    pub async fn clear_store_server_password(
        &self,
        entry: &EntryId,
    ) -> Result<(), SecretStoreError> {
        expect_kind(entry, EntryKind::StoreServer)?;
        self.clear(entry).await
    }

    /// Whether the keychain is reachable and unlocked right now (writes, reads back and deletes
    /// a harmless marker).
    pub async fn probe(&self) -> Result<(), SecretStoreError> {
        self.blocking(|store| store.probe()).await
    }

    /// Drops the cached key of `entry`, so the next read asks the keychain.
    pub fn forget_cached(&self, entry: &EntryId) {
        let mut cache = self.lock_cache();
        cache.keys.remove(entry);
        cache.generation += 1;
    }

    /// Drops every cached key.
    pub fn forget_all_cached(&self) {
        let mut cache = self.lock_cache();
        cache.keys.clear();
        cache.generation += 1;
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn read(&self, entry: &EntryId) -> Result<SecretString, SecretStoreError> {
        let generation = {
            let cache = self.lock_cache();
            if let Some(secret) = cache.keys.get(entry) {
                return Ok(secret.clone());
            }
            cache.generation
        };
        let id = entry.clone();
        let secret = self.blocking(move |store| store.get(&id)).await?;
        let mut cache = self.lock_cache();
        if cache.generation == generation {
            cache.keys.insert(entry.clone(), secret.clone());
        }
        Ok(secret)
    }

    /// Bumps the generation so reads already under way do not cache what they get.
    fn begin_change(&self) {
        self.lock_cache().generation += 1;
    }

    async fn save(
        &self,
        entry: &EntryId,
        secret: SecretString,
    ) -> Result<KeyMetadata, SecretStoreError> {
        self.begin_change();
        let id = entry.clone();
        let result = self
            .blocking(move |store| {
                store
                    .set(&id, &secret)
                    .map_err(|e| e.scrubbed(secret.expose_secret()))
            })
            .await;
        match &result {
            Ok(()) => {
                self.forget_cached(entry);
                tracing::info!(entry = %entry, "saved a Metrc key in the keychain");
            }
            Err(e) => {
                tracing::warn!(entry = %entry, code = e.code(), "could not save a Metrc key: {e}")
            }
        }
        result?;
        Ok(KeyMetadata {
            entry: entry.to_string(),
            last_four: String::new(),
        })
    }

    async fn clear(&self, entry: &EntryId) -> Result<(), SecretStoreError> {
        self.begin_change();
        let id = entry.clone();
        let result = self.blocking(move |store| store.delete(&id)).await;
        match result {
            Ok(()) | Err(SecretStoreError::NotFound { .. }) => {
                self.forget_cached(entry);
                tracing::info!(entry = %entry, "cleared a Metrc key from the keychain");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(entry = %entry, code = e.code(), "could not clear a Metrc key: {e}");
                Err(e)
            }
        }
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, SecretStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretStore) -> Result<T, SecretStoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let task = tokio::task::spawn_blocking(move || f(store.as_ref()));
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(SecretStoreError::Failed {
                detail: if join.is_panic() {
                    "the keychain call panicked".into()
                } else {
                    "the keychain call was cancelled".into()
                },
            }),
            Err(_) => Err(SecretStoreError::Timeout {
                seconds: self.timeout.as_secs().max(1),
            }),
        }
    }
}

fn expect_kind(entry: &EntryId, kind: EntryKind) -> Result<(), SecretStoreError> {
    if entry.kind() == kind {
        Ok(())
    } else {
        Err(SecretStoreError::InvalidEntry {
            reason: format!("{entry} is not the entry of a {kind:?} key"),
        })
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.lock_cache().keys.len();
        let installer_vendor_key = match self.env_vendor.as_ref() {
            Ok(Some(_)) => "set",
            Ok(None) => "not set",
            Err(_) => "malformed",
        };
        f.debug_struct("Secrets")
            .field("store", &self.store)
            .field("cached_keys", &cached)
            .field("installer_vendor_key", &installer_vendor_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}
