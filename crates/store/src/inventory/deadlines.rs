//! Reporting deadlines: the default deadline (hours) per US state that a manager can edit, and
//! the "warn ahead" level of a licence's countdown to its deadline.
//!
//! Guarantees:
//! - the `state_deadlines` table holds one row per state (two upper-case letters) with 1 to 8760
//!   hours; a manager's change is made with [`Permission::ChangeSettings`], together with its audit
//!   entry, in one transaction; a budtender is refused and nothing changes;
//! - **every shipped default is an assumption**: 24 hours for each of the 50 states and DC. None
//!   was checked against the state's current rules (which differ by record type and change over
//!   time); rows keep `assumed = true` until a manager sets them, so screens can say so;
//! - [`Database::add_licence_in_state`] uses the state's default when no explicit deadline is given;
//! - [`DeadlineWarning::at`] is a pure function of the deadline, its length and the clock:
//!   `overdue` at or after the deadline, `soon` when less than a quarter of the deadline or less
//!   than two hours is left (whichever is longer), `ok` otherwise (and when nothing waits).

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::people::audit::{self, AuditAction, AuditEvent};
use crate::people::users::Permission;
use crate::time::{from_ms, to_ms};
use crate::{Actor, Database, Licence, StoreError};

/// The default deadline of one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDeadline {
    /// Two-letter postal code, e.g. `CO`.
    pub state: String,
    /// Hours a record may take to reach Metrc.
    pub hours: u32,
    /// Whether this is the shipped assumption (not yet set by a manager).
    pub assumed: bool,
    /// When a manager last set it.
    pub updated_at: Option<Timestamp>,
    /// Who last set it.
    pub updated_by: Option<String>,
}

/// How close a licence is to its reporting deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineWarning {
    /// Nothing waits, or plenty of time is left.
    Ok,
    /// Less than 25% of the deadline (or less than 2 hours) is left.
    Soon,
    /// The deadline has passed for the oldest waiting record.
    Overdue,
}

impl DeadlineWarning {
    /// The stable code shown to the UI.
    pub fn code(self) -> &'static str {
        match self {
            DeadlineWarning::Ok => "ok",
            DeadlineWarning::Soon => "soon",
            DeadlineWarning::Overdue => "overdue",
        }
    }

    /// The level at `now` for a deadline of `deadline_hours` ending at `deadline_at` (`None`:
    /// nothing waits).
    pub fn at(
        deadline_at: Option<Timestamp>,
        deadline_hours: u32,
        now: Timestamp,
    ) -> DeadlineWarning {
        let Some(deadline_at) = deadline_at else {
            return DeadlineWarning::Ok;
        };
        let left = deadline_at.duration_since(now);
        if left <= SignedDuration::ZERO {
            return DeadlineWarning::Overdue;
        }
        let quarter = SignedDuration::from_hours(i64::from(deadline_hours)) / 4;
        let margin = quarter.max(SignedDuration::from_hours(2));
        if left < margin {
            DeadlineWarning::Soon
        } else {
            DeadlineWarning::Ok
        }
    }
}

/// A licence to add whose deadline may come from its state's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLicence {
    /// Metrc licence number.
    pub number: String,
    /// Facility name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Two-letter state code.
    pub state: String,
    /// An explicit deadline in hours; `None` uses the state's default.
    pub reporting_deadline_hours: Option<u32>,
    /// Object limit override.
    pub object_limit: Option<u32>,
}

/// Normalises and checks a state code.
pub(crate) fn state_code(state: &str) -> Result<String, StoreError> {
    let code = state.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(StoreError::InvalidInput {
            field: "state",
            detail: format!("{state:?} is not a two-letter US state code; enter e.g. CO or MI"),
        })
    }
}

fn row(conn: &Connection, state: &str) -> Result<Option<StateDeadline>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT state, hours, assumed, updated_at, updated_by FROM state_deadlines WHERE state = ?1",
        )?
        .query_row(params![state], from_row)
        .optional()?)
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StateDeadline> {
    Ok(StateDeadline {
        state: r.get(0)?,
        hours: r.get(1)?,
        assumed: r.get(2)?,
        updated_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
        updated_by: r.get(4)?,
    })
}

impl Database {
    /// Every state's default deadline, by state code.
    pub fn state_deadlines(&self) -> Result<Vec<StateDeadline>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT state, hours, assumed, updated_at, updated_by FROM state_deadlines ORDER BY state",
            )?;
            let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// One state's default deadline in hours.
    pub fn state_deadline(&self, state: &str) -> Result<StateDeadline, StoreError> {
        let code = state_code(state)?;
        self.read(|c| {
            row(c, &code)?.ok_or_else(|| StoreError::InvalidInput {
                field: "state",
                detail: format!("{code} has no deadline; set one with `stateline deadlines set`"),
            })
        })
    }

    /// Sets a state's default deadline (a manager's change, audited in the same transaction).
    /// Licences already added keep their own deadline.
    pub fn set_state_deadline(
        &self,
        actor: &Actor,
        state: &str,
        hours: u32,
    ) -> Result<StateDeadline, StoreError> {
        actor.require(Permission::ChangeSettings)?;
        let code = state_code(state)?;
        if !(1..=8760).contains(&hours) {
            return Err(StoreError::InvalidInput {
                field: "deadline",
                detail: format!("{hours} hours is out of range; enter 1 to 8760 hours"),
            });
        }
        let now = self.now();
        self.write(|tx| {
            let before = row(tx, &code)?;
            tx.prepare_cached(
                "INSERT INTO state_deadlines (state, hours, assumed, updated_at, updated_by)
                 VALUES (?1, ?2, 0, ?3, ?4)
                 ON CONFLICT (state) DO UPDATE SET hours = excluded.hours, assumed = 0,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )?
            .execute(params![code, hours, to_ms(now), actor.name()])?;
            let was = before
                .map(|b| format!("{} h{}", b.hours, if b.assumed { " (assumed)" } else { "" }))
                .unwrap_or_else(|| "none".into());
            let event = AuditEvent::by(
                actor.name(),
                AuditAction::DeadlineChanged,
                format!("state {code}"),
                format!("default reporting deadline {was} -> {hours} h"),
            );
            audit::append(tx, now, &event)?;
            row(tx, &code)?.ok_or_else(|| StoreError::Internal("deadline not stored".into()))
        })
    }

    /// Adds (or updates) a licence; without an explicit deadline it gets its state's default.
    pub fn add_licence_in_state(&self, new: &NewLicence) -> Result<Licence, StoreError> {
        let hours = match new.reporting_deadline_hours {
            Some(hours) => hours,
            None => self.state_deadline(&new.state)?.hours,
        };
        let licence = Licence {
            number: new.number.clone(),
            name: new.name.clone(),
            time_zone: new.time_zone.clone(),
            reporting_deadline_hours: hours,
            object_limit: new.object_limit,
        };
        self.upsert_licence(&licence)?;
        Ok(licence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn state_codes_are_two_letters() {
        assert_eq!(state_code(" co ").unwrap(), "CO");
        for bad in ["", "C", "COL", "C1", "é1"] {
            assert_eq!(
                state_code(bad).unwrap_err().code(),
                "invalid_input",
                "{bad}"
            );
        }
    }

    #[test]
    fn nothing_waiting_is_ok() {
        assert_eq!(
            DeadlineWarning::at(None, 24, t("2026-11-22T00:00:00Z")),
            DeadlineWarning::Ok
        );
    }
}
