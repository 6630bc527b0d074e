//! HTTP Basic authentication (vendor key : user key) and authorisation per licence, permission
//! and facility capability.
//!
//! Guarantees: every failure is the same bare 401 (Metrc gives no reason); keys are only compared,
//! never logged or returned.

use crate::facility_type;
use crate::model::{Facility, User};
use crate::permission::Permission;
use crate::state::World;
use axum::http::{HeaderMap, header};
use base64::Engine;

/// What a route needs beyond a valid key pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    /// Any one of these permissions (empty = none needed).
    pub any_of: &'static [Permission],
    /// A `FacilityType` flag that must be true (any one of them; empty = none).
    pub capability_any: &'static [&'static str],
}

impl Need {
    pub const NONE: Need = Need {
        any_of: &[],
        capability_any: &[],
    };
    pub const fn perms(any_of: &'static [Permission]) -> Need {
        Need {
            any_of,
            capability_any: &[],
        }
    }
    pub const fn with_capability(mut self, caps: &'static [&'static str]) -> Need {
        self.capability_any = caps;
        self
    }
}

/// The (vendor key, user key) of a Basic `Authorization` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (vendor, user) = text.split_once(':')?;
    Some((vendor.to_owned(), user.to_owned()))
}

/// The user owning an active (not revoked) user key.
pub(crate) fn user_by_key<'a>(world: &'a World, key: &str) -> Option<&'a User> {
    world
        .db
        .users
        .iter()
        .find(|u| !u.revoked && !key.is_empty() && u.user_key == key)
}

/// Checks the key pair and returns the user, or `None` (→ 401).
pub(crate) fn authenticate<'a>(world: &'a World, headers: &HeaderMap) -> Option<&'a User> {
    let (vendor, user_key) = basic_credentials(headers)?;
    if !world
        .db
        .vendor_keys
        .iter()
        .any(|v| !vendor.is_empty() && *v == vendor)
    {
        return None;
    }
    user_by_key(world, &user_key)
}

/// Checks key pair, licence reach, capability and permission. Returns the user name.
pub(crate) fn authorize(
    world: &World,
    headers: &HeaderMap,
    license: Option<&str>,
    need: Need,
) -> Option<String> {
    let user = authenticate(world, headers)?;
    let Some(license) = license else {
        return need.any_of.is_empty().then(|| user.name.clone());
    };
    let reach = user.licenses.iter().find(|l| l.license_number == license)?;
    let facility: &Facility = world
        .db
        .facilities
        .iter()
        .find(|f| f.license_number == license)?;
    if !need.capability_any.is_empty()
        && !need
            .capability_any
            .iter()
            .any(|c| facility_type::has(&facility.facility_type, c))
    {
        return None;
    }
    if !need.any_of.is_empty() && !need.any_of.iter().any(|p| reach.permissions.contains(p)) {
        return None;
    }
    Some(user.name.clone())
}
