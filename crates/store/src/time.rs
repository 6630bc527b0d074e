//! Conversions between [`jiff::Timestamp`] and the store's INTEGER milliseconds (UTC), and the
//! one way the store puts a span of time into words for a person.
//!
//! Guarantees: every time column holds milliseconds since the Unix epoch, so ordering and range
//! queries use plain integer indexes; values outside jiff's range are clamped, never panicking.
//! Messages a person reads say how long ago or ahead something is ([`spoken_span`]), never a raw
//! instant: the screens show instants in the licence's time zone themselves.

use jiff::{SignedDuration, Timestamp};

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

/// A span as a person says it, sign ignored, to two units at most: "40 s", "3 min",
/// "2 h 5 min", "3 days 2 h".
pub fn spoken_span(span: SignedDuration) -> String {
    let secs = span.as_secs().unsigned_abs();
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let day_word = if days == 1 { "day" } else { "days" };
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} {day_word}"),
        (d, h, _) => format!("{d} {day_word} {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_spoken_in_two_units_at_most() {
        let cases = [
            (40, "40 s"),
            (-40, "40 s"),
            (180, "3 min"),
            (7_200, "2 h"),
            (7_500, "2 h 5 min"),
            (86_400, "1 day"),
            (3 * 86_400 + 7_300, "3 days 2 h"),
        ];
        for (secs, words) in cases {
            assert_eq!(spoken_span(SignedDuration::from_secs(secs)), words);
        }
    }
}
