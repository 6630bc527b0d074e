//! Wire formats Metrc expects that `jiff`'s defaults do not produce, and lenient decoders.

use serde::{Deserialize, Deserializer, Serializer};

/// A timestamp as ISO-8601 UTC with `Z` and whole seconds: `2026-11-22T10:00:00Z`.
pub(crate) fn utc(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `SalesDateTime`: local wall-clock time, no offset, milliseconds: `2026-11-22T14:02:11.000`.
pub(crate) mod local_datetime {
    use super::*;
    use jiff::civil::DateTime;

    pub(crate) fn format(dt: &DateTime) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.subsec_nanosecond() / 1_000_000
        )
    }

    pub(crate) fn serialize<S: Serializer>(dt: &DateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(dt))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<DateTime>().map_err(serde::de::Error::custom)
    }
}

/// Serializes a quantity or amount, refusing NaN and infinities (serde_json would send `null`).
pub(crate) fn finite<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        Err(serde::ser::Error::custom(
            "a quantity or amount is not a finite number",
        ))
    }
}

/// [`finite`] for optional amounts.
pub(crate) fn finite_opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if !x.is_finite() => Err(serde::ser::Error::custom(
            "a quantity or amount is not a finite number",
        )),
        Some(x) => s.serialize_some(x),
        None => s.serialize_none(),
    }
}

/// A field Metrc sends sometimes as a string and sometimes as a number (enum codes such as
/// `QuantityType`): kept as a string either way.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// `null` as the default value (Metrc sends `null` for empty lists and flags at times).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_local_datetime_with_millis_and_no_offset() {
        let dt: jiff::civil::DateTime = "2026-11-22T14:02:11".parse().unwrap();
        assert_eq!(local_datetime::format(&dt), "2026-11-22T14:02:11.000");
        let dt: jiff::civil::DateTime = "2026-01-02T03:04:05.678912".parse().unwrap();
        assert_eq!(local_datetime::format(&dt), "2026-01-02T03:04:05.678");
    }

    #[test]
    fn formats_utc_with_z() {
        let t: jiff::Timestamp = "2026-11-22T09:00:00.5-05:00".parse().unwrap();
        assert_eq!(utc(t), "2026-11-22T14:00:00Z");
    }
}
