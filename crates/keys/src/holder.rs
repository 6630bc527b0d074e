//! Whose key: a register user's own Metrc key, or the facility (master) key; and which keychain
//! entry holds it.
//!
//! Guarantees: one keychain entry per holder, environment and install (a Metrc key is per person,
//! not per licence, so one entry serves every licence the person reaches); the entry's account is
//! derived from this install's id and the app user's stable row id (`<install>.user-<id>`), never
//! from free text, so renaming, odd characters in a name, or a second data folder on the same
//! computer cannot make two holders share an entry.

use std::fmt;

use serde::{Deserialize, Serialize};
use stateline_secrets::EntryId;
use stateline_store::StoreError;

use crate::KeysError;

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
    install_id: &str,
    holder: &KeyHolder,
    user_id: Option<i64>,
) -> Result<EntryId, KeysError> {
    let account = match (holder, user_id) {
        (KeyHolder::Facility, _) => format!("{install_id}.facility"),
        (KeyHolder::User(_), Some(id)) => format!("{install_id}.user-{id}"),
        (KeyHolder::User(name), None) => {
            return Err(StoreError::UnknownUser { name: name.clone() }.into());
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
        let entry = entry_for("demo", "AB12", &bea, Some(7)).unwrap();
        assert_eq!(entry.account(), "metrc-user:demo:AB12.user-7");
        assert_eq!(
            entry_for("demo", "AB12", &KeyHolder::Facility, None)
                .unwrap()
                .account(),
            "metrc-user:demo:AB12.facility"
        );
        assert_eq!(
            entry_for("demo", "AB12", &bea, None).unwrap_err().code(),
            "unknown_user"
        );
    }
}
