//! Metrc v2 wire models, one module per area.
//!
//! Guarantees: field names are exactly those of Metrc's reference (`.bru` files), PascalCase on
//! the wire; unknown fields are ignored; anything Metrc may omit or send as `null` is an `Option`
//! or has a default. Response timestamps are kept as Metrc's strings (their formats vary between
//! endpoints); request times use typed `jiff` values serialized exactly as Metrc expects.

pub mod employees;
pub mod facilities;
pub mod items;
pub mod lookups;
pub mod packages;
pub mod patients;
pub mod sales;
pub mod transfers;
pub(crate) mod wire;

use serde::{Deserialize, Serialize};

/// The reply of a v2 POST: the new object ids and Metrc's warnings, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteOutcome {
    /// New object ids, in submission order.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// Metrc's warnings, passed through untouched.
    #[serde(default)]
    pub warnings: Option<serde_json::Value>,
}

/// A `lastModifiedStart`/`lastModifiedEnd` filter, sent as UTC with `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastModifiedWindow {
    /// Inclusive start.
    pub start: jiff::Timestamp,
    /// End.
    pub end: jiff::Timestamp,
}

impl LastModifiedWindow {
    /// The window of one minute ending at `end`.
    pub fn one_minute_before(end: jiff::Timestamp) -> Self {
        Self {
            start: end
                .checked_sub(jiff::SignedDuration::from_secs(60))
                .unwrap_or(jiff::Timestamp::MIN),
            end,
        }
    }

    /// The query parameters, e.g. `lastModifiedStart=2026-11-22T10:00:00Z`.
    pub(crate) fn query(&self) -> [(&'static str, String); 2] {
        [
            ("lastModifiedStart", wire::utc(self.start)),
            ("lastModifiedEnd", wire::utc(self.end)),
        ]
    }
}
