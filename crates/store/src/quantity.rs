//! Exact decimal amounts: [`Quantity`] (milli-units of a unit of measure) and [`Money`] (cents).
//!
//! Guarantees: ledgers never use floating point; parsing accepts at most 3 (quantity) or 2 (money)
//! decimal places and refuses anything else rather than rounding; `Display` round-trips through
//! `FromStr`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::StoreError;

/// A quantity in thousandths of its unit of measure (3.5 g is `Quantity(3500)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(pub i64);

/// An amount of money in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

fn parse_fixed(text: &str, places: u32, what: &str) -> Result<i64, StoreError> {
    let bad = |detail: String| StoreError::InvalidQuantity {
        what: what.to_owned(),
        detail,
    };
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(bad(format!(
            "{text:?} is not a number; enter digits like 3.5"
        )));
    }
    if frac_part.len() > places as usize {
        return Err(bad(format!(
            "{text:?} has more than {places} decimal places; round it to {places}"
        )));
    }
    let scale = 10i64.pow(places);
    let int: i64 = if int_part.is_empty() {
        0
    } else {
        int_part
            .parse()
            .map_err(|_| bad(format!("{text:?} is too large")))?
    };
    let mut frac: i64 = if frac_part.is_empty() {
        0
    } else {
        frac_part
            .parse()
            .map_err(|_| bad(format!("{text:?} is not a number")))?
    };
    frac *= 10i64.pow(places - frac_part.len() as u32);
    let value = int
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(|| bad(format!("{text:?} is too large")))?;
    Ok(if negative { -value } else { value })
}

fn fmt_fixed(value: i64, places: u32, trim: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let scale = 10u64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let int = abs / scale;
    let frac = abs % scale;
    if trim && frac == 0 {
        return write!(f, "{sign}{int}");
    }
    let mut frac_text = format!("{frac:0width$}", width = places as usize);
    if trim {
        while frac_text.ends_with('0') {
            frac_text.pop();
        }
    }
    write!(f, "{sign}{int}.{frac_text}")
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity(0);

    /// From thousandths of the unit.
    pub const fn from_milli(milli: i64) -> Self {
        Quantity(milli)
    }

    /// Thousandths of the unit.
    pub const fn milli(self) -> i64 {
        self.0
    }

    /// Parses a decimal such as `"3.5"` or `"-2"` (at most 3 decimal places).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        parse_fixed(text, 3, "quantity").map(Quantity)
    }

    /// The value as `f64`, only for building Metrc JSON numbers (exact for any realistic quantity).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// A decimal number as Metrc sends it, rounded to the nearest thousandth (exact milli-units).
    pub fn from_f64(value: f64) -> Self {
        Quantity((value * 1000.0).round() as i64)
    }

    /// True when strictly greater than zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, rhs: Quantity) -> Quantity {
        Quantity(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Quantity {
    type Output = Quantity;
    fn sub(self, rhs: Quantity) -> Quantity {
        Quantity(self.0 - rhs.0)
    }
}

impl std::ops::Neg for Quantity {
    type Output = Quantity;
    fn neg(self) -> Quantity {
        Quantity(-self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed(self.0, 3, true, f)
    }
}

impl FromStr for Quantity {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl Money {
    /// From cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// Cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses `"25"`, `"25.5"` or `"25.50"` (at most 2 decimal places).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        parse_fixed(text, 2, "amount").map(Money)
    }

    /// The value as `f64`, only for building Metrc JSON numbers.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_fixed(self.0, 2, false, f)
    }
}

impl FromStr for Money {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

macro_rules! serde_as_string {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
serde_as_string!(Quantity);
serde_as_string!(Money);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrc_decimals_become_exact_milli_units() {
        assert_eq!(Quantity::from_f64(3.5).milli(), 3500);
        assert_eq!(Quantity::from_f64(0.1 + 0.2).milli(), 300);
        assert_eq!(Quantity::from_f64(-2.0).milli(), -2000);
    }

    #[test]
    fn quantity_parses_and_displays_exactly() {
        assert_eq!(Quantity::parse("3.5").unwrap(), Quantity(3500));
        assert_eq!(Quantity::parse("-2").unwrap(), Quantity(-2000));
        assert_eq!(Quantity::parse("0.001").unwrap(), Quantity(1));
        assert_eq!(Quantity::parse(".25").unwrap(), Quantity(250));
        assert_eq!(Quantity(3500).to_string(), "3.5");
        assert_eq!(Quantity(-2000).to_string(), "-2");
        assert_eq!(Quantity(-1).to_string(), "-0.001");
        assert!(Quantity::parse("1.0001").is_err());
        assert!(Quantity::parse("abc").is_err());
        assert!(Quantity::parse("").is_err());
        assert!(Quantity::parse("1e3").is_err());
        let tenth = Quantity::parse("0.1").unwrap();
        let sum = (0..10).fold(Quantity::ZERO, |acc, _| acc + tenth);
        assert_eq!(sum, Quantity::parse("1").unwrap());
    }

    #[test]
    fn money_parses_and_displays_cents() {
        assert_eq!(Money::parse("25").unwrap(), Money(2500));
        assert_eq!(Money::parse("25.5").unwrap(), Money(2550));
        assert_eq!(Money(2550).to_string(), "25.50");
        assert!(Money::parse("1.999").is_err());
    }
}
