//! Checks every record passes before it is written, whichever door it came in by (the app, the
//! command line, a later API): free-text fields have a size, a record's time is not in the
//! future, and a sale's customer type is one Metrc knows.
//!
//! Guarantees: the checks run before the record's transaction writes anything, so a refused
//! record leaves nothing behind; each refusal is `invalid_input` naming the field and saying what
//! to enter; the customer types are Metrc's list as last cached at this register
//! (`app_customer_types`, refreshed when a licence is bound) or, before any list was fetched,
//! Metrc's standard four — never anything a caller typed.

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;

use crate::StoreError;

/// The most characters a short free-text field (customer type, user name, licence or patient
/// number, reason) may hold: far more than Metrc's own values, far less than a pasted document.
pub const MAX_FIELD_CHARS: usize = 200;

/// How far past this register's clock a record's time may be (clocks of tills and phones drift).
pub const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);

/// Metrc's customer types, used until the licence's own list was fetched.
pub const STANDARD_CUSTOMER_TYPES: [&str; 4] =
    ["Consumer", "Patient", "Caregiver", "ExternalPatient"];

/// Refuses `value` in `field` when it is longer than [`MAX_FIELD_CHARS`].
pub(crate) fn short_text(field: &'static str, value: &str) -> Result<(), StoreError> {
    let chars = value.chars().count();
    if chars > MAX_FIELD_CHARS {
        return Err(StoreError::InvalidInput {
            field,
            detail: format!(
                "the {field} is {chars} characters long; it may have at most {MAX_FIELD_CHARS}"
            ),
        });
    }
    Ok(())
}

/// Refuses a record dated more than [`FUTURE_TOLERANCE`] after `now`.
pub(crate) fn not_in_future(occurred_at: Timestamp, now: Timestamp) -> Result<(), StoreError> {
    if occurred_at.duration_since(now) > FUTURE_TOLERANCE {
        return Err(StoreError::InvalidInput {
            field: "time",
            detail: format!(
                "the time given is {} ahead of this register's clock; enter when it happened, or correct the clock",
                crate::time::spoken_span(occurred_at.duration_since(now))
            ),
        });
    }
    Ok(())
}

/// Refuses a record dated before its licence's reporting window (`now` minus the licence's
/// reporting deadline): Metrc would take it late, so only a manager's approved late entry may
/// record it (a paper sale from an outage).
pub(crate) fn within_reporting_window(
    occurred_at: Timestamp,
    now: Timestamp,
    licence: &crate::Licence,
    late_approval: Option<&crate::limits::Approval>,
) -> Result<(), StoreError> {
    let window = SignedDuration::from_hours(i64::from(licence.reporting_deadline_hours));
    if late_approval.is_some() || now.duration_since(occurred_at) <= window {
        return Ok(());
    }
    Err(StoreError::SaleTooOld {
        detail: format!(
            "the sale was {} ago, more than {} hours ago, before licence {}'s reporting window; check the date, or have a manager record it as a late sale (audited)",
            crate::time::spoken_span(now.duration_since(occurred_at)),
            licence.reporting_deadline_hours,
            licence.number
        ),
    })
}

/// Refuses a customer type Metrc does not know (see the module doc).
pub(crate) fn known_customer_type(c: &Connection, customer_type: &str) -> Result<(), StoreError> {
    let cached: Vec<String> = c
        .prepare_cached("SELECT name FROM app_customer_types ORDER BY position")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let known: Vec<&str> = if cached.is_empty() {
        STANDARD_CUSTOMER_TYPES.to_vec()
    } else {
        cached.iter().map(String::as_str).collect()
    };
    if known.contains(&customer_type) {
        return Ok(());
    }
    Err(StoreError::InvalidInput {
        field: "customer type",
        detail: format!(
            "Metrc does not know the customer type {:?}; use one of: {}",
            customer_type.chars().take(40).collect::<String>(),
            known.join(", ")
        ),
    })
}
