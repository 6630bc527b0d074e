//! `Sensitive`: a secret the UI sends in a request (a Metrc user key, the vendor key, a PIN).
//!
//! Guarantees: it is read from a JSON string and can never be written back (no `Serialize`), its
//! `Debug` prints `Sensitive(..)` and nothing of the text, and the text is held in a
//! `SecretString` (zeroed when dropped). The TypeScript side sees a plain `string` (each field says
//! `#[ts(type = "string")]`). Only [`Sensitive::expose`] gives the text, at the one place that
//! hands it to the keychain, Metrc or the PIN check.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// A secret in a request DTO.
#[derive(Clone)]
pub struct Sensitive(SecretString);

impl Sensitive {
    /// The secret text, for the one call that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(..)")
    }
}

impl From<String> for Sensitive {
    fn from(text: String) -> Sensitive {
        Sensitive(SecretString::from(text))
    }
}

impl From<&str> for Sensitive {
    fn from(text: &str) -> Sensitive {
        Sensitive::from(text.to_owned())
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sensitive, D::Error> {
        String::deserialize(deserializer).map(Sensitive::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_nothing_of_the_secret_and_json_reads_it() {
        let secret: Sensitive = serde_json::from_str("\"canary-key-7431\"").unwrap();
        assert_eq!(secret.expose(), "canary-key-7431");
        let shown = format!("{secret:?} {:?}", Some(secret.clone()));
        assert!(!shown.contains("canary"), "{shown}");
        assert!(!shown.contains("7431"), "{shown}");
    }
}
