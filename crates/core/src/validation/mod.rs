//! Key validation: what a Metrc user key may do, as a per-licence, per-area matrix with a verdict
//! (SPEC §4, `metrc/README.md` "Checking what a key may do").
//!
//! Guarantees:
//! - The result never holds the key: only its last four characters ([`metrc::UserKey::last_four`]);
//!   details are our own wording or [`metrc::MetrcError`] messages, which never carry a key.
//! - A network problem (not sent, lost reply, 5xx, 429, …) is never reported as an invalid key or a
//!   missing permission: it is [`AreaOutcome::CouldNotCheck`] / [`Verdict::CouldNotCheck`]. Only a
//!   401/403 counts as a refusal.
//! - Requests are few: one `GET /facilities/v2`, then at most one probe GET per applicable area per
//!   licence, plus one best-effort `GET /employees/v2/permissions` per licence where the key could
//!   read employees. Areas the licence type cannot use are not requested at all.
//! - Nothing is stored here; the caller decides what to keep.

mod table;

use futures::future::join_all;
use jiff::Timestamp;
use metrc::{Area, ErrorClass, Facility, FacilityType, MetrcClient, MetrcError, UserKey};
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};

pub use table::render_table;

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
            Self::AllGood => "All good: the key may do everything this register needs.".to_owned(),
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

/// Whether a licence type can use an area at all.
fn applicable(area: Area, t: &FacilityType) -> bool {
    match area {
        Area::Plants | Area::Harvests => t.can_grow_plants,
        Area::Sales => {
            t.can_sell_to_consumers
                || t.can_sell_to_patients
                || t.can_sell_to_external_patients
                || t.can_sell_to_caregivers
        }
        _ => true,
    }
}

/// Why a check could not be made, in words that fit a read (no "look it up before sending").
fn unchecked_reason(err: &MetrcError) -> String {
    match err {
        MetrcError::NotSent { reason } => {
            format!("Metrc could not be reached ({reason}); check the internet connection")
        }
        MetrcError::Ambiguous { status, reason } => match status {
            Some(s) => format!("Metrc did not answer usably ({reason}, HTTP {s})"),
            None => format!("Metrc did not answer usably ({reason})"),
        },
        MetrcError::RateLimited { .. } => {
            "Metrc is rate limiting this register; wait a minute".to_owned()
        }
        other => other.to_string(),
    }
}

fn refused(err: &MetrcError) -> bool {
    matches!(
        err.class(),
        ErrorClass::Unauthorized | ErrorClass::Forbidden
    )
}

/// Validates `key` against Metrc now (see [`validate_key_at`]).
pub async fn validate_key(
    client: &MetrcClient,
    key: &UserKey,
    only_licences: Option<&[String]>,
) -> KeyValidation {
    validate_key_at(client, key, only_licences, &SystemClock).await
}

/// Validates `key`: `GET /facilities/v2`, then the area matrix of every licence it reaches, or of
/// `only_licences` when given (a requested licence it does not reach becomes an unreachable row).
/// `checked_at` comes from `clock`.
pub async fn validate_key_at(
    client: &MetrcClient,
    key: &UserKey,
    only_licences: Option<&[String]>,
    clock: &dyn Clock,
) -> KeyValidation {
    let checked_at = clock.now();
    let last_four = key.last_four();
    let facilities = match client.facilities(key).await {
        Ok(f) => f,
        Err(err) => {
            let verdict = if refused(&err) {
                Verdict::KeyInvalid {
                    message: KEY_REFUSED.to_owned(),
                }
            } else {
                Verdict::CouldNotCheck {
                    reason: unchecked_reason(&err),
                }
            };
            return KeyValidation {
                checked_at,
                last_four,
                licences: Vec::new(),
                verdict,
            };
        }
    };

    let mut licences = Vec::new();
    match only_licences {
        None => {
            for f in &facilities {
                licences.push(check_licence(client, key, f).await);
            }
        }
        Some(wanted) => {
            let mut seen: Vec<&str> = Vec::new();
            for w in wanted.iter().map(|w| w.trim()) {
                if seen.contains(&w) {
                    continue;
                }
                seen.push(w);
                match facilities.iter().find(|f| f.license.number == w) {
                    Some(f) => licences.push(check_licence(client, key, f).await),
                    None => licences.push(unreachable(w)),
                }
            }
        }
    }

    let verdict = verdict_of(&licences);
    KeyValidation {
        checked_at,
        last_four,
        licences,
        verdict,
    }
}

fn unreachable(licence: &str) -> LicenceMatrix {
    LicenceMatrix {
        licence: licence.to_owned(),
        name: String::new(),
        reachable: false,
        detail: Some(format!(
            "this key's user cannot reach licence {licence}: give the user access to it in Metrc, or use another key"
        )),
        areas: Vec::new(),
        permissions: None,
    }
}

async fn check_licence(client: &MetrcClient, key: &UserKey, f: &Facility) -> LicenceMatrix {
    let licence = f.license.number.clone();
    let name = f
        .display_name
        .clone()
        .or_else(|| f.name.clone())
        .unwrap_or_default();
    let probes = Area::ALL.iter().map(|&area| {
        let licence = licence.as_str();
        async move { check_area(client, key, licence, &f.facility_type, area).await }
    });
    let mut areas: Vec<AreaResult> = join_all(probes).await;

    let can_read_employees = areas
        .iter()
        .any(|a| a.area == Area::Employees && a.outcome == AreaOutcome::Allowed);
    let employee_licence = f
        .license
        .employee_license_number
        .as_deref()
        .filter(|e| !e.trim().is_empty());
    let permissions = match (can_read_employees, employee_licence) {
        (true, Some(e)) => client.employee_permissions(key, &licence, e).await.ok(),
        _ => None,
    };
    if let Some(list) = &permissions {
        apply_permission_list(&mut areas, list);
    }
    LicenceMatrix {
        licence,
        name,
        reachable: true,
        detail: None,
        areas,
        permissions,
    }
}

async fn check_area(
    client: &MetrcClient,
    key: &UserKey,
    licence: &str,
    facility_type: &FacilityType,
    area: Area,
) -> AreaResult {
    if !applicable(area, facility_type) {
        return AreaResult {
            area,
            outcome: AreaOutcome::NotApplicable,
            detail: Some("this licence type does not use it".to_owned()),
        };
    }
    if area == Area::PackageAdjustReasons {
        return AreaResult {
            area,
            outcome: AreaOutcome::NotVerifiable,
            detail: Some(
                "adjusting packages needs Manage Packages Inventory, which only a write could prove"
                    .to_owned(),
            ),
        };
    }
    match client.probe(key, licence, area).await {
        Ok(()) => AreaResult {
            area,
            outcome: AreaOutcome::Allowed,
            detail: None,
        },
        Err(err) if refused(&err) => AreaResult {
            area,
            outcome: AreaOutcome::NotAllowed,
            detail: Some(format!(
                "Metrc refused (HTTP {}): grant the user this permission in Metrc",
                err.status().unwrap_or(401)
            )),
        },
        Err(err) => AreaResult {
            area,
            outcome: AreaOutcome::CouldNotCheck,
            detail: Some(unchecked_reason(&err)),
        },
    }
}

/// Normalises a permission name for comparison ("Manage Packages Inventory",
/// "ManagePackagesInventory" and "manage packages inventory" are the same).
fn normalise(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// With the exact permission list in hand, the package-adjust write permission is known.
fn apply_permission_list(areas: &mut [AreaResult], list: &[String]) {
    let has_adjust = list
        .iter()
        .any(|p| normalise(p) == "managepackagesinventory");
    for a in areas
        .iter_mut()
        .filter(|a| a.area == Area::PackageAdjustReasons && a.outcome == AreaOutcome::NotVerifiable)
    {
        if has_adjust {
            a.outcome = AreaOutcome::Allowed;
            a.detail =
                Some("Metrc's permission list includes Manage Packages Inventory".to_owned());
        } else {
            a.outcome = AreaOutcome::NotAllowed;
            a.detail = Some(
                "Metrc's permission list lacks Manage Packages Inventory: grant it in Metrc"
                    .to_owned(),
            );
        }
    }
}

fn verdict_of(licences: &[LicenceMatrix]) -> Verdict {
    let missing: Vec<MissingAreas> = licences
        .iter()
        .filter(|l| l.reachable)
        .filter_map(|l| {
            let areas: Vec<Area> = l
                .areas
                .iter()
                .filter(|a| a.outcome == AreaOutcome::NotAllowed)
                .map(|a| a.area)
                .collect();
            (!areas.is_empty()).then(|| MissingAreas {
                licence: l.licence.clone(),
                areas,
            })
        })
        .collect();
    let unreachable: Vec<String> = licences
        .iter()
        .filter(|l| !l.reachable)
        .map(|l| l.licence.clone())
        .collect();
    if !missing.is_empty() || !unreachable.is_empty() {
        return Verdict::MissingPermissions {
            missing,
            unreachable,
        };
    }
    let unchecked = licences.iter().find_map(|l| {
        l.areas
            .iter()
            .find(|a| a.outcome == AreaOutcome::CouldNotCheck)
            .map(|a| (l, a))
    });
    if let Some((l, a)) = unchecked {
        return Verdict::CouldNotCheck {
            reason: format!(
                "{} at {}: {}",
                area_label(a.area),
                l.licence,
                a.detail.as_deref().unwrap_or("no answer")
            ),
        };
    }
    if licences.is_empty() {
        return Verdict::MissingPermissions {
            missing: Vec::new(),
            unreachable: Vec::new(),
        };
    }
    Verdict::AllGood
}
