//! Conversions between [`jiff::Timestamp`] and the store's INTEGER milliseconds (UTC).
//!
//! Guarantees: every time column holds milliseconds since the Unix epoch, so ordering and range
//! queries use plain integer indexes; values outside jiff's range are clamped, never panicking.

use jiff::Timestamp;

/// A timestamp as stored (milliseconds since the epoch, UTC).
pub fn to_ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// A stored value back to a timestamp.
pub fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}
