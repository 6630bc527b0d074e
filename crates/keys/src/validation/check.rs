//! Running the checks: `GET /facilities/v2`, then one probe per applicable area per licence, the
//! best-effort permission list, and the verdict.
//!
//! Guarantees: only 401/403 count as a refusal; anything else is "could not check"; no request for
//! an area the licence type cannot use; no write is ever made.

use futures::future::join_all;
use metrc::{Area, ErrorClass, Facility, FacilityType, MetrcClient, MetrcError, UserKey};
use stateline_clock::{Clock, SystemClock};

use super::model::{
    AreaOutcome, AreaResult, KEY_REFUSED, KeyValidation, LicenceMatrix, MissingAreas, Verdict,
    area_label,
};

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
