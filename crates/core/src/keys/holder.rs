//! Whose key: a register user's own Metrc key, or the facility (master) key; and which keychain
//! entry holds it.
//!
//! Guarantees: one keychain entry per holder and environment (a Metrc key is per person, not per
//! licence, so one entry serves every licence the person reaches); the entry's account is derived
//! from the app user's stable id (`user-<id>`), never from free text, so renaming or odd
//! characters in a name cannot make two holders share an entry.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::secrets::EntryId;

/// Whose Metrc key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "user", rename_all = "snake_case")]
pub enum KeyHolder {
    /// A register user's own key (the app user name).
    User(String),
    /// The facility (master) key.
    Facility,
}

impl KeyHolder {
    /// The value stored in `key_metadata.holder`.
    pub(crate) fn stored(&self) -> String {
        match self {
            Self::User(name) => format!("user:{name}"),
            Self::Facility => "facility".to_owned(),
        }
    }

    /// The holder of a stored `key_metadata.holder` value.
    pub(crate) fn from_stored(text: &str) -> Option<Self> {
        match text {
            "facility" => Some(Self::Facility),
            other => other
                .strip_prefix("user:")
                .filter(|name| !name.is_empty())
                .map(|name| Self::User(name.to_owned())),
        }
    }

    /// The user name, for a user's key.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::User(name) => Some(name),
            Self::Facility => None,
        }
    }
}

impl fmt::Display for KeyHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(name) => write!(f, "{name}"),
            Self::Facility => f.write_str("the facility"),
        }
    }
}

/// The keychain entry for a holder: `user_id` is the app user's row id (`None` for the facility).
pub(crate) fn entry_for(
    environment: &str,
    holder: &KeyHolder,
    user_id: Option<i64>,
) -> Result<EntryId, CoreError> {
    let account = match (holder, user_id) {
        (KeyHolder::Facility, _) => "facility".to_owned(),
        (KeyHolder::User(_), Some(id)) => format!("user-{id}"),
        (KeyHolder::User(name), None) => {
            return Err(CoreError::UnknownUser { name: name.clone() });
        }
    };
    Ok(EntryId::user(environment, &account)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_round_trip_through_storage() {
        for holder in [KeyHolder::Facility, KeyHolder::User("Bea Lopez".into())] {
            assert_eq!(KeyHolder::from_stored(&holder.stored()), Some(holder));
        }
        assert_eq!(KeyHolder::from_stored("user:"), None);
        assert_eq!(KeyHolder::from_stored("somebody"), None);
    }

    #[test]
    fn entries_use_the_user_id_not_the_name() {
        let bea = KeyHolder::User("Bea Lopez".into());
        let entry = entry_for("demo", &bea, Some(7)).unwrap();
        assert_eq!(entry.account(), "metrc-user:demo:user-7");
        assert_eq!(
            entry_for("demo", &KeyHolder::Facility, None)
                .unwrap()
                .account(),
            "metrc-user:demo:facility"
        );
        assert_eq!(
            entry_for("demo", &bea, None).unwrap_err().code(),
            "unknown_user"
        );
    }
}
