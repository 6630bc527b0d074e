//! [`KeyRing`]: the delivery engine's view of the keys — an in-memory snapshot of the keys read
//! from the keychain, the key mode and the facility overrides.
//!
//! Guarantees (SPEC guarantee 5): with individual keys, a user's records get only that user's own
//! key; the facility key is given for a user only in facility mode, or when a manager's override
//! for that user exists *and* the store allows facility keys; a user with no usable key gets
//! `None` and their records wait — pending while the keychain cannot be read, so they go as soon
//! as it can (see [`KeySource::unreadable`]). The snapshot is replaced as a whole under a short
//! `std::sync::Mutex` (never held across `.await`); keys stay in redacting [`UserKey`]s.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use metrc::UserKey;
use tokio::sync::mpsc;

use super::{KeyHolder, KeyPolicy};
use crate::source::{KeyOwner, KeySource, SendingKey};

#[derive(Debug, Default)]
pub(crate) struct RingState {
    pub policy: KeyPolicy,
    /// Lower-cased user names with a facility-key override.
    pub overrides: HashSet<String>,
    /// Keys by lower-cased user name.
    pub users: HashMap<String, UserKey>,
    pub facility: Option<UserKey>,
    /// Why the keychain could not be read at the last load (`message (code)`), if it could not.
    pub unreadable: Option<String>,
}

/// The keys the engine sends with. Cheap to clone; clones share the snapshot.
#[derive(Debug, Clone)]
pub struct KeyRing {
    state: Arc<Mutex<RingState>>,
    refusals: mpsc::UnboundedSender<KeyHolder>,
}

/// The receiving end of the ring's "Metrc refused this key" reports, read by the key checks.
#[derive(Debug)]
pub struct KeyRefusals(pub(crate) mpsc::UnboundedReceiver<KeyHolder>);

impl KeyRing {
    /// An empty ring and the receiver of its refusal reports (for [`crate::Keys::composed`]).
    pub fn new() -> (Self, KeyRefusals) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self {
                state: Arc::new(Mutex::new(RingState::default())),
                refusals: tx,
            },
            KeyRefusals(rx),
        )
    }

    /// The facility key, when one is loaded.
    pub fn facility_key(&self) -> Option<UserKey> {
        self.with(|s| s.facility.clone())
    }

    /// `user`'s own key (names ignore case), when one is loaded.
    pub fn user_key(&self, user: &str) -> Option<UserKey> {
        self.with(|s| s.users.get(&user.to_lowercase()).cloned())
    }

    /// The key mode and whether facility-key overrides are allowed.
    pub fn policy(&self) -> KeyPolicy {
        self.with(|s| s.policy)
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut RingState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn put(&self, holder: &KeyHolder, key: Option<UserKey>) {
        self.with(|s| match holder {
            KeyHolder::Facility => s.facility = key,
            KeyHolder::User(name) => {
                let name = name.to_lowercase();
                match key {
                    Some(key) => s.users.insert(name, key),
                    None => s.users.remove(&name),
                };
            }
        });
    }

    /// Whether a key for `holder` is loaded.
    pub fn has_key(&self, holder: &KeyHolder) -> bool {
        self.with(|s| match holder {
            KeyHolder::Facility => s.facility.is_some(),
            KeyHolder::User(name) => s.users.contains_key(&name.to_lowercase()),
        })
    }
}

impl KeySource for KeyRing {
    fn key_for(&self, acting_user: &str) -> Option<SendingKey> {
        self.with(|s| {
            let user = acting_user.to_lowercase();
            let overridden = s.policy.facility_overrides_allowed && s.overrides.contains(&user);
            if s.policy.mode == super::KeyMode::Facility || overridden {
                return s.facility.clone().map(|key| SendingKey {
                    owner: KeyOwner::Facility,
                    key,
                });
            }
            s.users.get(&user).map(|key| SendingKey {
                owner: KeyOwner::User(acting_user.to_owned()),
                key: key.clone(),
            })
        })
    }

    fn batches_across_users(&self) -> bool {
        self.with(|s| s.policy.mode == super::KeyMode::Facility)
    }

    fn held_key(&self, owner: &KeyOwner) -> Option<SendingKey> {
        self.with(|s| {
            let key = match owner {
                KeyOwner::User(user) => s.users.get(&user.to_lowercase()).cloned(),
                KeyOwner::Facility => s.facility.clone(),
            };
            key.map(|key| SendingKey {
                owner: owner.clone(),
                key,
            })
        })
    }

    fn unreadable(&self) -> Option<String> {
        self.with(|s| s.unreadable.clone())
    }

    fn key_refused(&self, owner: &KeyOwner) {
        let holder = match owner {
            KeyOwner::User(user) => KeyHolder::User(user.clone()),
            KeyOwner::Facility => KeyHolder::Facility,
        };
        // Nobody listening (checks not started) is fine: the records wait either way.
        let _ = self.refusals.send(holder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyMode;

    fn key(s: &str) -> UserKey {
        UserKey::new(s).unwrap()
    }

    fn ring() -> KeyRing {
        let (ring, _rx) = KeyRing::new();
        ring.put(
            &KeyHolder::User("Ana".into()),
            Some(key("ana-key-00000001")),
        );
        ring.put(&KeyHolder::Facility, Some(key("facility-key-0003")));
        ring
    }

    #[test]
    fn individual_mode_gives_only_the_makers_key() {
        let ring = ring();
        assert_eq!(
            ring.key_for("ana").map(|k| k.owner),
            Some(KeyOwner::User("ana".into()))
        );
        assert!(ring.key_for("ben").is_none());
        assert!(!ring.batches_across_users());
    }

    #[test]
    fn an_override_counts_only_while_the_store_allows_facility_keys() {
        let ring = ring();
        ring.with(|s| {
            s.overrides.insert("ben".into());
        });
        assert!(ring.key_for("ben").is_none(), "overrides not allowed");
        ring.with(|s| s.policy.facility_overrides_allowed = true);
        assert_eq!(
            ring.key_for("Ben").map(|k| k.owner),
            Some(KeyOwner::Facility)
        );
        assert_eq!(
            ring.key_for("ana").map(|k| k.owner),
            Some(KeyOwner::User("ana".into()))
        );
    }

    #[test]
    fn facility_mode_sends_everything_under_the_facility_key() {
        let ring = ring();
        ring.with(|s| s.policy.mode = KeyMode::Facility);
        assert_eq!(
            ring.key_for("ana").map(|k| k.owner),
            Some(KeyOwner::Facility)
        );
        assert!(ring.batches_across_users());
        ring.put(&KeyHolder::Facility, None);
        assert!(ring.key_for("ana").is_none(), "no facility key: all wait");
    }

    #[test]
    fn refusals_reach_the_checker() {
        let (ring, mut rx) = KeyRing::new();
        ring.key_refused(&KeyOwner::User("ana".into()));
        ring.key_refused(&KeyOwner::Facility);
        assert_eq!(rx.0.try_recv().unwrap(), KeyHolder::User("ana".into()));
        assert_eq!(rx.0.try_recv().unwrap(), KeyHolder::Facility);
    }
}
