//! Which key the delivery engine sends a user's records with (SPEC guarantee 5).
//!
//! Guarantees: the engine asks this interface for every batch and never picks a key itself. With
//! individual keys required, a user's records go only under that user's own key, unless a manager
//! explicitly chose (and the audit log recorded) to send that user's records under the facility
//! key, and only where the store's setting allows it. A user with no usable key gets `None`, and
//! that user's records wait. The keys issue puts the OS keychain behind this trait; tests use
//! [`StaticKeys`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use metrc::UserKey;

/// Whose key a batch goes under; recorded with every attempt (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// The acting user's own key.
    User(String),
    /// The facility (master) key.
    Facility,
}

impl std::fmt::Display for KeyOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(user) => write!(f, "{user}'s key"),
            Self::Facility => f.write_str("the facility key"),
        }
    }
}

/// A key chosen for a batch.
#[derive(Debug, Clone)]
pub struct SendingKey {
    pub owner: KeyOwner,
    pub key: UserKey,
}

/// Where keys come from. Implementations must be cheap (cache what they read from the keychain);
/// the engine calls them from async code.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The key for records made by `acting_user`, or `None` when that user's records must wait.
    fn key_for(&self, acting_user: &str) -> Option<SendingKey>;

    /// Whether records of different users can share a batch (true only when every record goes
    /// under the one facility key).
    fn batches_across_users(&self) -> bool;

    /// The key this register holds for `owner` itself, whatever the key mode: a user's own key,
    /// or the facility key. Another register's handed-over record names the key it needs, and
    /// goes under exactly that one. By default only a user's own key as [`Self::key_for`] gives
    /// it.
    fn held_key(&self, owner: &KeyOwner) -> Option<SendingKey> {
        match owner {
            KeyOwner::User(user) => self.key_for(user).filter(|k| k.owner == *owner),
            KeyOwner::Facility => None,
        }
    }

    /// Why keys cannot be read now although some may be saved (the OS keychain cannot be
    /// reached: its daemon stopped, the session bus is gone), or `None`. While this says why, a
    /// user for whom [`Self::key_for`] gives nothing is not known to have no key: the engine
    /// leaves that user's records pending (never parked, never sent under another key) until the
    /// keys can be read again.
    fn unreadable(&self) -> Option<String> {
        None
    }

    /// Metrc refused `owner`'s key (401/403) while sending. Implementations may re-validate the
    /// key in the background; they must not block.
    fn key_refused(&self, owner: &KeyOwner) {
        let _ = owner;
    }
}

/// An in-memory key source for tests and demos: each user's key, and an optional facility key
/// used for everyone (facility mode) or for explicitly overridden users.
#[derive(Debug, Clone, Default)]
pub struct StaticKeys {
    inner: Arc<Mutex<StaticKeysInner>>,
}

#[derive(Debug, Default)]
struct StaticKeysInner {
    users: HashMap<String, UserKey>,
    facility: Option<UserKey>,
    facility_mode: bool,
    overridden_users: Vec<String>,
}

impl StaticKeys {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut StaticKeysInner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn set_user_key(&self, user: &str, key: UserKey) {
        self.with(|inner| inner.users.insert(user.to_owned(), key));
    }

    pub fn clear_user_key(&self, user: &str) {
        self.with(|inner| inner.users.remove(user));
    }

    /// Facility mode: every record goes under `key`.
    pub fn use_facility_key_for_everyone(&self, key: UserKey) {
        self.with(|inner| {
            inner.facility = Some(key);
            inner.facility_mode = true;
        });
    }

    /// Facility mode on or off, leaving the keys as they are (on with no facility key: every
    /// record waits for one).
    pub fn set_facility_mode(&self, on: bool) {
        self.with(|inner| inner.facility_mode = on);
    }

    /// Individual mode with a facility key available for explicit overrides.
    pub fn set_facility_key(&self, key: UserKey) {
        self.with(|inner| inner.facility = Some(key));
    }

    /// A manager's explicit choice to send `user`'s records under the facility key.
    pub fn send_under_facility_key(&self, user: &str) {
        self.with(|inner| inner.overridden_users.push(user.to_owned()));
    }
}

impl KeySource for StaticKeys {
    fn key_for(&self, acting_user: &str) -> Option<SendingKey> {
        self.with(|inner| {
            let facility = || {
                inner.facility.clone().map(|key| SendingKey {
                    owner: KeyOwner::Facility,
                    key,
                })
            };
            if inner.facility_mode || inner.overridden_users.iter().any(|u| u == acting_user) {
                return facility();
            }
            inner.users.get(acting_user).map(|key| SendingKey {
                owner: KeyOwner::User(acting_user.to_owned()),
                key: key.clone(),
            })
        })
    }

    fn batches_across_users(&self) -> bool {
        self.with(|inner| inner.facility_mode)
    }

    fn held_key(&self, owner: &KeyOwner) -> Option<SendingKey> {
        self.with(|inner| {
            let key = match owner {
                KeyOwner::User(user) => inner.users.get(user).cloned(),
                KeyOwner::Facility => inner.facility.clone(),
            };
            key.map(|key| SendingKey {
                owner: owner.clone(),
                key,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> UserKey {
        UserKey::new(s).expect("valid test key")
    }

    #[test]
    fn individual_mode_never_lends_another_users_key() {
        let keys = StaticKeys::new();
        keys.set_user_key("ana", key("ana-key-0001"));
        keys.set_facility_key(key("facility-key-0003"));
        assert_eq!(
            keys.key_for("ana").map(|k| k.owner),
            Some(KeyOwner::User("ana".into()))
        );
        assert!(
            keys.key_for("ben").is_none(),
            "ben has no key: his records wait"
        );
        keys.send_under_facility_key("ben");
        assert_eq!(
            keys.key_for("ben").map(|k| k.owner),
            Some(KeyOwner::Facility)
        );
        assert!(!keys.batches_across_users());
    }

    #[test]
    fn facility_mode_sends_everyone_under_the_facility_key() {
        let keys = StaticKeys::new();
        keys.set_user_key("ana", key("ana-key-0001"));
        keys.use_facility_key_for_everyone(key("facility-key-0003"));
        assert_eq!(
            keys.key_for("ana").map(|k| k.owner),
            Some(KeyOwner::Facility)
        );
        assert!(keys.batches_across_users());
    }
}
