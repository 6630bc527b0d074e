//! The `licences` table: the Metrc licences this register is bound to.
//!
//! Guarantees: every stored licence has a time zone that jiff recognises (IANA name) and a positive
//! reporting deadline; records can only be made for a stored licence.

use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::{Database, StoreError};

/// A licence (facility) this register works for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    /// Metrc licence number.
    pub number: String,
    /// Facility name.
    pub name: String,
    /// IANA time zone of the facility (Metrc times are local wall-clock times).
    pub time_zone: String,
    /// The state's reporting deadline in hours.
    pub reporting_deadline_hours: u32,
    /// Overrides the default object limit per write request.
    pub object_limit: Option<u32>,
}

impl Licence {
    /// The facility's time zone.
    pub fn tz(&self) -> Result<TimeZone, StoreError> {
        TimeZone::get(&self.time_zone).map_err(|_| StoreError::InvalidTimeZone {
            zone: self.time_zone.clone(),
        })
    }
}

const UPSERT: &str = "INSERT INTO licences (number, name, time_zone, reporting_deadline_hours, object_limit)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (number) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,
        reporting_deadline_hours = excluded.reporting_deadline_hours, object_limit = excluded.object_limit";
const SELECT: &str =
    "SELECT number, name, time_zone, reporting_deadline_hours, object_limit FROM licences";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Licence> {
    Ok(Licence {
        number: r.get(0)?,
        name: r.get(1)?,
        time_zone: r.get(2)?,
        reporting_deadline_hours: r.get(3)?,
        object_limit: r.get(4)?,
    })
}

/// Fails with `unknown_licence` unless the licence is stored.
pub(crate) fn require(conn: &Connection, number: &str) -> Result<Licence, StoreError> {
    conn.prepare_cached(&format!("{SELECT} WHERE number = ?1"))?
        .query_row(params![number], from_row)
        .optional()?
        .ok_or_else(|| StoreError::UnknownLicence(number.to_owned()))
}

/// Checks and stores `licence` (in the caller's transaction): a known time zone, a number, a
/// deadline of at least an hour, an object limit of at least 1.
pub(crate) fn upsert(tx: &Connection, licence: &Licence) -> Result<(), StoreError> {
    licence.tz()?;
    if licence.number.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            field: "licence number",
            detail: "it is empty; enter the Metrc licence number".into(),
        });
    }
    if licence.reporting_deadline_hours == 0 {
        return Err(StoreError::InvalidInput {
            field: "reporting deadline",
            detail: "it must be at least 1 hour".into(),
        });
    }
    if licence.object_limit == Some(0) {
        return Err(StoreError::InvalidInput {
            field: "object limit",
            detail: "it must be at least 1 (leave it empty for the default)".into(),
        });
    }
    tx.prepare_cached(UPSERT)?.execute(params![
        licence.number,
        licence.name,
        licence.time_zone,
        licence.reporting_deadline_hours,
        licence.object_limit
    ])?;
    Ok(())
}

impl Database {
    /// Adds or updates a licence after validating its time zone and deadline.
    pub fn upsert_licence(&self, licence: &Licence) -> Result<(), StoreError> {
        self.write(|tx| upsert(tx, licence))
    }

    /// One licence, or `unknown_licence`.
    pub fn licence(&self, number: &str) -> Result<Licence, StoreError> {
        self.read(|c| require(c, number))
    }

    /// All licences, by number.
    pub fn licences(&self) -> Result<Vec<Licence>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("{SELECT} ORDER BY number"))?;
            let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}
