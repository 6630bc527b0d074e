//! The validation result: the per-licence, per-area matrix and its verdict, as the UI and the CLI
//! show it.
//!
//! Guarantees: serializable as a table (serde, snake_case codes the UI branches on); holds no key,
//! only its last four characters; every message says what to do next.

use jiff::Timestamp;
use metrc::Area;
use serde::{Deserialize, Serialize};

/// What Metrc refused, in the words shown when the whole key is bad.
pub const KEY_REFUSED: &str = "Metrc refused this key: generate a new key in Metrc and paste it";

/// The result of validating one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValidation {
    /// When the check ran.
    pub checked_at: Timestamp,
    /// Up to the last four characters of the key (never more than a quarter of it).
    pub last_four: String,
    /// One row per licence checked (or asked about).
    pub licences: Vec<LicenceMatrix>,
    /// The overall result.
    pub verdict: Verdict,
}

/// The areas of one licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceMatrix {
    /// Licence number.
    pub licence: String,
    /// The facility's name as Metrc shows it (empty when the key does not reach the licence).
    pub name: String,
    /// Whether the key's user reaches this licence at all.
    pub reachable: bool,
    /// Why the licence could not be checked, when it could not.
    pub detail: Option<String>,
    /// One entry per [`Area`] in display order (empty when the licence is unreachable).
    pub areas: Vec<AreaResult>,
    /// The user's exact Metrc permission list at this licence, when the key may read it.
    pub permissions: Option<Vec<String>>,
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaResult {
    /// The area.
    pub area: Area,
    /// What was found.
    pub outcome: AreaOutcome,
    /// A short explanation saying what to do next, when there is something to say.
    pub detail: Option<String>,
}

/// What one area check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaOutcome {
    /// Metrc answered 200.
    Allowed,
    /// Metrc answered 401/403: the user lacks the permission.
    NotAllowed,
    /// The licence type cannot use this area (e.g. plants at a dispensary).
    NotApplicable,
    /// Only a write could prove it; nothing was written.
    NotVerifiable,
    /// Metrc could not be asked (network, outage, rate limit, …).
    CouldNotCheck,
}

impl AreaOutcome {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::NotAllowed => "not_allowed",
            Self::NotApplicable => "not_applicable",
            Self::NotVerifiable => "not_verifiable",
            Self::CouldNotCheck => "could_not_check",
        }
    }

    /// Words for a table cell.
    pub fn label(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::NotAllowed => "NOT ALLOWED",
            Self::NotApplicable => "not applicable",
            Self::NotVerifiable => "not verifiable",
            Self::CouldNotCheck => "could not check",
        }
    }
}

/// The areas one licence lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingAreas {
    /// Licence number.
    pub licence: String,
    /// Areas Metrc refused.
    pub areas: Vec<Area>,
}

/// The overall result of a validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Verdict {
    /// Every applicable area is allowed at every licence checked.
    AllGood,
    /// The key works, but its Metrc user lacks some permissions or licences.
    MissingPermissions {
        /// Refused areas, per licence (only licences with at least one).
        missing: Vec<MissingAreas>,
        /// Licences asked about that the key's user cannot reach.
        unreachable: Vec<String>,
    },
    /// Metrc refused the key itself.
    KeyInvalid {
        /// What to do.
        message: String,
    },
    /// Metrc could not be asked, so nothing is known (or not everything).
    CouldNotCheck {
        /// Why, and what to do.
        reason: String,
    },
}

impl Verdict {
    /// A stable snake_case code (the same as the serialized `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::AllGood => "all_good",
            Self::MissingPermissions { .. } => "missing_permissions",
            Self::KeyInvalid { .. } => "key_invalid",
            Self::CouldNotCheck { .. } => "could_not_check",
        }
    }

    /// One sentence for people, saying what to do next.
    pub fn message(&self) -> String {
        match self {
            Self::AllGood => "All good: Metrc allowed every area it was asked about at every licence.".to_owned(),
            Self::MissingPermissions {
                missing,
                unreachable,
            } if missing.is_empty() && unreachable.is_empty() => {
                "The key is valid but its Metrc user reaches no licence. Give the user access to the register's licences in Metrc, then validate again.".to_owned()
            }
            Self::MissingPermissions {
                missing,
                unreachable,
            } => {
                let mut parts: Vec<String> = missing
                    .iter()
                    .map(|m| {
                        let names: Vec<&str> = m.areas.iter().map(|a| area_label(*a)).collect();
                        format!("at {}: {}", m.licence, names.join(", "))
                    })
                    .collect();
                parts.extend(
                    unreachable
                        .iter()
                        .map(|l| format!("licence {l} is not reachable")),
                );
                format!(
                    "The key is valid but its Metrc user lacks permissions ({}). Grant them in Metrc, then validate again.",
                    parts.join("; ")
                )
            }
            Self::KeyInvalid { message } => format!("{message}."),
            Self::CouldNotCheck { reason } => {
                format!("The key could not be checked: {reason}. Try again later.")
            }
        }
    }
}

/// A short human name for an area.
pub fn area_label(area: Area) -> &'static str {
    match area {
        Area::Sales => "Sales",
        Area::Packages => "Packages",
        Area::PackageAdjustReasons => "Package adjust",
        Area::Transfers => "Transfers",
        Area::Items => "Items",
        Area::Employees => "Employees",
        Area::Plants => "Plants",
        Area::Harvests => "Harvests",
    }
}
