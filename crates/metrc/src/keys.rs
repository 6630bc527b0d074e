//! Metrc API keys held in redacting types.
//!
//! A [`VendorKey`] identifies the software integrator (the same on every install); a [`UserKey`]
//! belongs to one Metrc user and works for every licence that user can reach. Both are wrapped in
//! [`secrecy::SecretString`], so the key is zeroed on drop and never printed: `Debug` and
//! `Display` show at most the last four characters (and fewer for short keys), there is no
//! `Serialize`, and the only accessor is [`UserKey::expose_for_keychain`] /
//! [`VendorKey::expose_for_keychain`]. Construction validates the format and the error never
//! contains the key.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::MetrcError;

/// Longest key accepted. Metrc keys are around 48 characters; anything past this is a paste of
/// something else (a whole e-mail, a file).
pub const MAX_KEY_LEN: usize = 256;

/// Checks a pasted key and wraps it. `what` names the key in the error message.
fn validate(what: &'static str, raw: String) -> Result<SecretString, MetrcError> {
    let secret = SecretString::from(raw);
    let s = secret.expose_secret();
    let problem = if s.is_empty() {
        Some("is empty. Paste the key shown in Metrc under the user's profile, API Keys")
    } else if s.chars().count() > MAX_KEY_LEN {
        Some("is far too long to be a Metrc key. Copy only the key itself and paste it again")
    } else if s.chars().any(char::is_whitespace) {
        Some("contains spaces or line breaks. Copy the key again without them")
    } else if s.chars().any(char::is_control) {
        Some("contains invisible control characters. Copy the key again from Metrc")
    } else if !s.is_ascii() {
        Some("contains characters a Metrc key never has. Copy the key again from Metrc")
    } else if s.contains(':') {
        Some("contains ':', which a Metrc key never has. Copy the key again from Metrc")
    } else {
        None
    };
    match problem {
        Some(p) => Err(MetrcError::InvalidInput {
            message: format!("The {what} {p}."),
        }),
        None => Ok(secret),
    }
}

/// The last characters of a key that may be shown: four, but never more than a quarter of the key,
/// so a short (test) key is not revealed.
fn tail(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let shown = (s.len() / 4).min(4);
    s[s.len() - shown..].to_owned()
}

fn redacted(f: &mut fmt::Formatter<'_>, name: &str, secret: &SecretString) -> fmt::Result {
    let t = tail(secret);
    if t.is_empty() {
        write!(f, "{name}([redacted])")
    } else {
        write!(f, "{name}(…{t})")
    }
}

macro_rules! key_type {
    ($name:ident, $what:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Validates and wraps a key: rejects empty keys, whitespace, control or non-ASCII
            /// characters, ':' and absurd lengths. The error message never contains the key.
            pub fn new(s: impl Into<String>) -> Result<Self, MetrcError> {
                validate($what, s.into()).map(Self)
            }

            /// The last (up to) four characters, for showing which key is stored. Never more than
            /// a quarter of the key.
            pub fn last_four(&self) -> String {
                tail(&self.0)
            }

            /// The key itself. This is the only way to read it, and it exists for exactly two
            /// callers: the OS keychain (which must store the real key) and this crate's HTTP
            /// layer (which must put it in the Basic auth header). Anything else — logs, SQLite,
            /// errors, events, the UI — must use [`Self::last_four`] instead.
            pub fn expose_for_keychain(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                redacted(f, stringify!($name), &self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                redacted(f, stringify!($name), &self.0)
            }
        }
    };
}

key_type!(
    VendorKey,
    "Metrc vendor (integrator) key",
    "The software integrator's Metrc key: the Basic auth username."
);
key_type!(
    UserKey,
    "Metrc user key",
    "One Metrc user's API key: the Basic auth password."
);

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_SECRETz9Q1";

    #[test]
    fn debug_and_display_show_only_last_four() {
        let k = UserKey::new(KEY).unwrap();
        assert_eq!(format!("{k:?}"), "UserKey(…z9Q1)");
        assert_eq!(format!("{k}"), "UserKey(…z9Q1)");
        assert_eq!(k.last_four(), "z9Q1");
        let v = VendorKey::new(KEY).unwrap();
        assert_eq!(format!("{v:?}"), "VendorKey(…z9Q1)");
        assert!(!format!("{v:#?}").contains("SECRET"));
    }

    #[test]
    fn short_keys_reveal_at_most_a_quarter() {
        let k = UserKey::new("abcdefgh").unwrap();
        assert_eq!(k.last_four(), "gh");
        let k = UserKey::new("abc").unwrap();
        assert_eq!(k.last_four(), "");
        assert_eq!(format!("{k:?}"), "UserKey([redacted])");
    }

    #[test]
    fn expose_returns_the_key() {
        assert_eq!(UserKey::new(KEY).unwrap().expose_for_keychain(), KEY);
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        let long = "X".repeat(MAX_KEY_LEN + 1);
        let cases = [
            String::new(),
            format!("{KEY} "),
            format!("{KEY}\n"),
            format!("ab cd{KEY}"),
            format!("{KEY}\u{7}"),
            format!("{KEY}é"),
            format!("{KEY}:x"),
            long,
        ];
        for case in cases {
            let err = UserKey::new(case.clone()).unwrap_err();
            assert!(matches!(err, MetrcError::InvalidInput { .. }), "{case:?}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(!shown.contains("XXXX"), "{shown}");
            assert!(shown.contains("Metrc user key"), "{shown}");
        }
        let err = VendorKey::new("").unwrap_err();
        assert!(err.to_string().contains("vendor"));
    }

    #[test]
    fn max_length_is_accepted() {
        assert!(UserKey::new("k".repeat(MAX_KEY_LEN)).is_ok());
    }
}
