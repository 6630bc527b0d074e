//! The store's key mode: individual keys required, or one facility key for every record; and
//! whether a manager may send a user's records under the facility key.
//!
//! Guarantees: the mode lives in the `settings` table (never a key), defaults to individual keys
//! with facility overrides not allowed (the strictest reading of SPEC guarantee 5), and an unknown
//! stored value is reported rather than guessed.

use serde::{Deserialize, Serialize};
use stateline_store::settings;

use crate::KeysError;

/// Setting: `individual` or `facility`.
pub(crate) const KEY_MODE: &str = settings::KEY_MODE;
/// Setting: `true` when managers may send a user's records under the facility key.
pub(crate) const FACILITY_OVERRIDES_ALLOWED: &str = "facility_overrides_allowed";

/// Which key records go under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// Each record under the key of the user who made it.
    #[default]
    Individual,
    /// Every record under the one facility key (the acting user is kept locally).
    Facility,
}

impl KeyMode {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Facility => "facility",
        }
    }
}

/// The mode and override setting as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyPolicy {
    pub mode: KeyMode,
    /// Whether a manager may send a user's records under the facility key.
    pub facility_overrides_allowed: bool,
}

pub(crate) fn read(conn: &rusqlite::Connection) -> Result<KeyPolicy, KeysError> {
    let mode = match settings::get(conn, KEY_MODE)?.as_deref() {
        None | Some("individual") => KeyMode::Individual,
        Some("facility") => KeyMode::Facility,
        Some(other) => {
            return Err(KeysError::Internal(format!(
                "the stored key mode {other:?} is not known"
            )));
        }
    };
    let allowed = settings::get(conn, FACILITY_OVERRIDES_ALLOWED)?.as_deref() == Some("true");
    Ok(KeyPolicy {
        mode,
        facility_overrides_allowed: allowed,
    })
}

pub(crate) fn write(conn: &rusqlite::Connection, policy: KeyPolicy) -> Result<(), KeysError> {
    settings::set(conn, KEY_MODE, policy.mode.as_str())?;
    settings::set(
        conn,
        FACILITY_OVERRIDES_ALLOWED,
        if policy.facility_overrides_allowed {
            "true"
        } else {
            "false"
        },
    )?;
    Ok(())
}
