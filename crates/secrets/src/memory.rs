//! An in-memory [`SecretStore`] for unit tests, which can pretend to be locked or unavailable.
//!
//! Guarantees: secrets stay in process memory as [`SecretString`] and are never written anywhere;
//! while locked or unavailable every call fails the way the real keychain does and changes
//! nothing; `Debug` shows how many entries there are, never what they hold.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::{ExposeSecret, SecretString};

use super::{EntryId, SecretStore, SecretStoreError};

/// How the simulated keychain behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryState {
    /// Reachable and unlocked.
    #[default]
    Available,
    /// Reachable but locked: every call fails with `keychain_locked`.
    Locked,
    /// Not running: every call fails with `keychain_unavailable`.
    Unavailable,
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<EntryId, SecretString>>,
    state: Mutex<MemoryState>,
    reads: AtomicUsize,
}

impl MemoryStore {
    /// An empty, available store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches the simulated state (lock, unlock, stop, start).
    pub fn set_state(&self, state: MemoryState) {
        *lock(&self.state) = state;
    }

    /// How many `get` calls reached this store (to check the cache in front of it).
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// How many entries are saved.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// True when nothing is saved.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self) -> Result<(), SecretStoreError> {
        match *lock(&self.state) {
            MemoryState::Available => Ok(()),
            MemoryState::Locked => Err(SecretStoreError::Locked {
                detail: "the in-memory test keychain is locked".into(),
            }),
            MemoryState::Unavailable => Err(SecretStoreError::Unavailable {
                detail: "the in-memory test keychain is stopped".into(),
            }),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SecretStore for MemoryStore {
    fn get(&self, entry: &EntryId) -> Result<SecretString, SecretStoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.check()?;
        lock(&self.entries)
            .get(entry)
            .map(|s| SecretString::from(s.expose_secret()))
            .ok_or_else(|| SecretStoreError::NotFound {
                entry: entry.to_string(),
            })
    }

    fn set(&self, entry: &EntryId, secret: &SecretString) -> Result<(), SecretStoreError> {
        self.check()?;
        lock(&self.entries).insert(entry.clone(), SecretString::from(secret.expose_secret()));
        Ok(())
    }

    fn delete(&self, entry: &EntryId) -> Result<(), SecretStoreError> {
        self.check()?;
        match lock(&self.entries).remove(entry) {
            Some(_) => Ok(()),
            None => Err(SecretStoreError::NotFound {
                entry: entry.to_string(),
            }),
        }
    }

    fn probe(&self) -> Result<(), SecretStoreError> {
        self.check()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .field("state", &*lock(&self.state))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn set_read_replace_delete() {
        let store = MemoryStore::new();
        let e = EntryId::user("sandbox", "jdoe").unwrap();
        assert_eq!(store.get(&e).unwrap_err().code(), "key_not_found");
        store.set(&e, &key("first-key-value")).unwrap();
        assert_eq!(store.get(&e).unwrap().expose_secret(), "first-key-value");
        store.set(&e, &key("second-key-value")).unwrap();
        assert_eq!(store.get(&e).unwrap().expose_secret(), "second-key-value");
        assert_eq!(store.len(), 1);
        store.delete(&e).unwrap();
        assert_eq!(store.get(&e).unwrap_err().code(), "key_not_found");
        assert_eq!(store.delete(&e).unwrap_err().code(), "key_not_found");
    }

    #[test]
    fn locked_and_unavailable_fail_and_change_nothing() {
        let store = MemoryStore::new();
        let e = EntryId::user("sandbox", "jdoe").unwrap();
        store.set(&e, &key("kept-key-value")).unwrap();
        for (state, code) in [
            (MemoryState::Locked, "keychain_locked"),
            (MemoryState::Unavailable, "keychain_unavailable"),
        ] {
            store.set_state(state);
            assert_eq!(store.probe().unwrap_err().code(), code);
            assert_eq!(store.get(&e).unwrap_err().code(), code);
            assert_eq!(
                store.set(&e, &key("other-key-value")).unwrap_err().code(),
                code
            );
            assert_eq!(store.delete(&e).unwrap_err().code(), code);
            store.set_state(MemoryState::Available);
            assert_eq!(store.get(&e).unwrap().expose_secret(), "kept-key-value");
        }
        store.probe().unwrap();
    }
}
