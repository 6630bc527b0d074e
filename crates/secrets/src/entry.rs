//! Names of keychain entries: which item holds which Metrc key.
//!
//! Guarantees: every entry lives under the keychain service [`SERVICE`] (`"stateline"`); a Metrc
//! user's key is the account `metrc-user:<environment>:<metrc user id>` (one per Metrc user, not
//! per licence, so updating it once updates it for every licence on the register) and the vendor
//! key is `metrc-vendor:<environment>`; the password a register logs in to its store server with
//! is `store-server:<register id>` (one per register: a register belongs to one store). Environment labels are short lower-case ASCII words
//! (`production`, `sandbox`, `demo`), so ids parse back unambiguously. An entry id names a key; it
//! is never a key, and it is what SQLite may store.

use std::fmt;

use super::SecretStoreError;

/// The keychain service every Stateline entry is stored under.
pub const SERVICE: &str = "stateline";

/// Longest environment label accepted.
const MAX_ENVIRONMENT_LEN: usize = 32;
/// Longest Metrc user id accepted (Metrc user names and e-mail addresses are far shorter).
const MAX_USER_LEN: usize = 128;

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// One Metrc user's API key.
    User,
    /// The vendor (integrator) key of this install.
    Vendor,
    /// The password this register logs in to its store server (PostgreSQL) with.
    StoreServer,
    /// The harmless marker [`super::SecretStore::probe`] writes and deletes.
    Probe,
}

/// The id of one keychain entry: service [`SERVICE`] plus an account name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EntryId {
    kind: EntryKind,
    account: String,
}

impl EntryId {
    /// The entry of a Metrc user's key in an environment (`"production"`, `"sandbox"`, `"demo"`).
    pub fn user(environment: &str, metrc_user: &str) -> Result<Self, SecretStoreError> {
        let environment = check_environment(environment)?;
        let user = metrc_user.trim();
        if user.is_empty() {
            return Err(SecretStoreError::InvalidEntry {
                reason: "the Metrc user id is empty; pick the Metrc user the key belongs to".into(),
            });
        }
        if user.chars().count() > MAX_USER_LEN
            || user.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(SecretStoreError::InvalidEntry {
                reason: format!(
                    "a Metrc user id has at most {MAX_USER_LEN} characters and no spaces or control \
                     characters; use the user name shown in Metrc"
                ),
            });
        }
        Ok(Self {
            kind: EntryKind::User,
            account: format!("metrc-user:{environment}:{user}"),
        })
    }

    /// The entry of the vendor (integrator) key in an environment.
    pub fn vendor(environment: &str) -> Result<Self, SecretStoreError> {
        let environment = check_environment(environment)?;
        Ok(Self {
            kind: EntryKind::Vendor,
            account: format!("metrc-vendor:{environment}"),
        })
    }

    /// The entry of the store server password of register `register_id` (its install id).
    pub fn store_server(register_id: &str) -> Result<Self, SecretStoreError> {
        let ok = !register_id.is_empty()
            && register_id.len() <= MAX_USER_LEN
            && register_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(SecretStoreError::InvalidEntry {
                reason: "a register id is 1 to 128 letters, digits, '-' or '_'; the register's \
                         database gives it"
                    .into(),
            });
        }
        Ok(Self {
            kind: EntryKind::StoreServer,
            account: format!("store-server:{register_id}"),
        })
    }

    /// The marker entry used to check that the keychain can be written and read.
    pub fn probe() -> Self {
        Self {
            kind: EntryKind::Probe,
            account: "probe".into(),
        }
    }

    /// What this entry holds.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The keychain service (always [`SERVICE`]).
    pub fn service(&self) -> &'static str {
        SERVICE
    }

    /// The keychain account name, e.g. `metrc-user:production:jdoe`.
    pub fn account(&self) -> &str {
        &self.account
    }
}

fn check_environment(environment: &str) -> Result<&str, SecretStoreError> {
    let ok = !environment.is_empty()
        && environment.len() <= MAX_ENVIRONMENT_LEN
        && environment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(environment)
    } else {
        Err(SecretStoreError::InvalidEntry {
            reason: format!(
                "{:?} is not an environment name; use a lower-case word such as \"production\", \
                 \"sandbox\" or \"demo\"",
                environment
                    .chars()
                    .take(MAX_ENVIRONMENT_LEN)
                    .collect::<String>()
            ),
        })
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.account)
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({SERVICE}/{})", self.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_shape() {
        let u = EntryId::user("production", "jdoe").unwrap();
        assert_eq!(u.account(), "metrc-user:production:jdoe");
        assert_eq!(u.service(), "stateline");
        assert_eq!(u.kind(), EntryKind::User);
        assert_eq!(u.to_string(), "metrc-user:production:jdoe");
        let v = EntryId::vendor("sandbox").unwrap();
        assert_eq!(v.account(), "metrc-vendor:sandbox");
        assert_eq!(v.kind(), EntryKind::Vendor);
        let s = EntryId::store_server("0f3a-77").unwrap();
        assert_eq!(s.account(), "store-server:0f3a-77");
        assert_eq!(s.kind(), EntryKind::StoreServer);
        for bad in ["", "a b", "a:b", &"r".repeat(129)] {
            assert_eq!(
                EntryId::store_server(bad).unwrap_err().code(),
                "invalid_entry"
            );
        }
        assert_eq!(
            EntryId::user("demo", " a@b.example ").unwrap().account(),
            "metrc-user:demo:a@b.example"
        );
    }

    #[test]
    fn bad_parts_are_refused() {
        for env in ["", "Production", "prod:x", "a b", &"x".repeat(33)] {
            let err = EntryId::user(env, "jdoe").unwrap_err();
            assert_eq!(err.code(), "invalid_entry", "{env:?}");
            assert_eq!(EntryId::vendor(env).unwrap_err().code(), "invalid_entry");
        }
        for user in ["", "  ", "j doe", "j\u{7}", &"u".repeat(129)] {
            assert_eq!(
                EntryId::user("production", user).unwrap_err().code(),
                "invalid_entry"
            );
        }
    }
}
