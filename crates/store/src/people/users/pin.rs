//! PINs: the redacting input type, the format rule (4 to 8 digits) and Argon2id hashing.
//!
//! Guarantees:
//! - a [`Pin`] never shows its digits: `Debug` prints `Pin(<redacted>)`, there is no `Display` and
//!   no serialisation, and the memory is zeroed on drop (`secrecy`); format errors describe the
//!   problem without repeating the PIN;
//! - only Argon2id PHC strings (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`) leave this module, each
//!   with its own 16-byte random salt from the OS-seeded thread RNG.
//!
//! Parameters: argon2's defaults, `Argon2::default()` — Argon2id, version 0x13, m = 19 456 KiB
//! (19 MiB), t = 2 passes, p = 1 lane (OWASP's minimum recommendation); a hash or a check costs
//! tens of milliseconds on a register PC and in the tests. They are deliberately modest: a PIN has
//! at most 10^8 values, so no hashing cost would make a stolen hash safe; the protection is the
//! lockout after 5 wrong PINs and the store never leaving the register. Every stored string carries
//! its own parameters, so raising them later keeps existing hashes verifiable.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use crate::StoreError;

/// Shortest PIN accepted.
pub const MIN_PIN_DIGITS: usize = 4;
/// Longest PIN accepted.
pub const MAX_PIN_DIGITS: usize = 8;

/// A PIN as typed, held so it cannot be printed or logged.
pub struct Pin(SecretString);

impl Pin {
    /// Wraps the typed text; the format is checked where the PIN is used.
    pub fn new(text: impl Into<String>) -> Pin {
        Pin(SecretString::from(text.into()))
    }

    fn digits(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for Pin {
    fn from(text: String) -> Pin {
        Pin::new(text)
    }
}

impl From<&str> for Pin {
    fn from(text: &str) -> Pin {
        Pin::new(text)
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// Fails with `invalid_pin` unless the PIN is 4 to 8 ASCII digits.
pub(crate) fn check_format(pin: &Pin) -> Result<(), StoreError> {
    let digits = pin.digits();
    let detail = if !digits.bytes().all(|b| b.is_ascii_digit()) {
        "a PIN may contain only digits"
    } else if digits.len() < MIN_PIN_DIGITS {
        "that PIN is too short"
    } else if digits.len() > MAX_PIN_DIGITS {
        "that PIN is too long"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidPin { detail })
}

fn hashing_failed(what: &str, error: password_hash::Error) -> StoreError {
    // password_hash errors describe parameters and encodings, never the password.
    StoreError::Internal(format!("{what} failed ({error})"))
}

/// The Argon2id PHC string of `pin` with a fresh random salt.
pub(crate) fn hash(pin: &Pin) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| hashing_failed("encoding a salt", e))?;
    Argon2::default()
        .hash_password(pin.digits().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| hashing_failed("hashing a PIN", e))
}

/// Whether `pin` matches the stored PHC string (using the parameters stored in it).
pub(crate) fn matches(pin: &Pin, phc: &str) -> Result<bool, StoreError> {
    let stored =
        PasswordHash::new(phc).map_err(|e| hashing_failed("reading a stored PIN hash", e))?;
    match Argon2::default().verify_password(pin.digits().as_bytes(), &stored) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(e) => Err(hashing_failed("checking a PIN", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_digits() {
        let pin = Pin::new("482913");
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
    }

    #[test]
    fn format_rule() {
        for ok in ["0000", "12345678", "9081"] {
            check_format(&Pin::new(ok)).unwrap();
        }
        for (bad, code_detail) in [
            ("123", "too short"),
            ("", "too short"),
            ("123456789", "too long"),
            ("12a4", "only digits"),
            ("12 34", "only digits"),
            ("١٢٣٤", "only digits"),
        ] {
            let err = check_format(&Pin::new(bad)).unwrap_err();
            assert_eq!(err.code(), "invalid_pin");
            let msg = err.to_string();
            assert!(msg.contains(code_detail), "{msg}");
            assert!(bad.is_empty() || !msg.contains(bad), "{msg}");
        }
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let pin = Pin::new("2468");
        let a = hash(&pin).unwrap();
        let b = hash(&pin).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("2468"));
        assert!(matches(&pin, &a).unwrap());
        assert!(!matches(&Pin::new("2469"), &a).unwrap());
    }
}
