//! Property tests of the rules files' parser: every shipped file, damaged at random — cut short,
//! a byte replaced, a line dropped, a value swapped for a wrong type or an extreme number — is
//! either refused as `limits_file_invalid` or accepted only when it keeps every promise of the
//! format; it never panics. Also fuzzed by `fuzz/` (target `rules_file`); the inputs that found
//! bugs are kept in `fuzz/regressions/rules_file/` and checked again here.
//!
//! `PROPTEST_CASES` raises the case count of a long run (CI keeps the defaults below).

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use stateline_limits::rules::EMBEDDED;
use stateline_limits::{Customer, RuleSet, Window};

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig::with_cases(cases)
}

/// Parses `text` as `state`'s file and checks the outcome against the format's promises.
fn parse_and_check(state: &str, text: &str) -> Result<(), TestCaseError> {
    match RuleSet::parse(state, text) {
        Err(e) => {
            prop_assert_eq!(e.code(), "limits_file_invalid");
            prop_assert!(e.to_string().contains(state));
        }
        Ok(rules) => {
            let a_sale = Timestamp::from_second(1_795_467_731).unwrap();
            for rule in &rules.rules {
                prop_assert!(rule.limit.is_finite() && rule.limit > 0.0);
                prop_assert!(rule.counts.values().all(|f| f.is_finite() && *f > 0.0));
                if let Window::Days(n) = rule.window {
                    prop_assert!((1..=Window::MAX_DAYS).contains(&n));
                    let back = SignedDuration::from_hours(24 * i64::from(n));
                    prop_assert!(a_sale.checked_sub(back).is_ok());
                }
            }
            for customer in [Customer::AdultUse, Customer::Medical, Customer::Caregiver] {
                let cart = rules
                    .categories
                    .iter()
                    .map(|c| (c.id.clone(), f64::MAX))
                    .collect();
                let _ = rules.check(customer, &cart, |_| cart.clone());
            }
        }
    }
    Ok(())
}

/// One shipped file, by index.
fn shipped() -> impl Strategy<Value = (&'static str, &'static str)> {
    (0..EMBEDDED.len()).prop_map(|i| EMBEDDED[i])
}

/// A value a damaged file might hold where a number, a date or a window belongs.
fn odd_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("inf".to_owned()),
        Just("nan".to_owned()),
        Just("-0.0".to_owned()),
        Just("1e309".to_owned()),
        Just("\"days:4294967295\"".to_owned()),
        Just("\"days:367\"".to_owned()),
        Just("\"days:0\"".to_owned()),
        Just("\"9999-12-31\"".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<i64>().prop_map(|i| i.to_string()),
        "\"[ -~]{0,12}\"",
    ]
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_file_cut_short_is_refused_or_sound((state, text) in shipped(), cut in 0.0f64..1.0) {
        let mut at = (text.len() as f64 * cut) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        parse_and_check(state, &text[..at])?;
    }

    #[test]
    fn a_byte_replaced_is_refused_or_sound(
        (state, text) in shipped(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = text.as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        parse_and_check(state, &String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn a_line_dropped_is_refused_or_sound((state, text) in shipped(), at in any::<prop::sample::Index>()) {
        let lines: Vec<&str> = text.lines().collect();
        let drop = at.index(lines.len());
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, l)| *l)
            .collect();
        parse_and_check(state, &kept.join("\n"))?;
    }

    #[test]
    fn a_value_swapped_is_refused_or_sound(
        (state, text) in shipped(),
        at in any::<prop::sample::Index>(),
        value in odd_value(),
    ) {
        let lines: Vec<&str> = text.lines().collect();
        let values: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains(" = ") && !l.trim_start().starts_with('#'))
            .map(|(i, _)| i)
            .collect();
        let target = values[at.index(values.len())];
        let mut changed: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        let key = changed[target].split(" = ").next().unwrap_or_default().to_owned();
        changed[target] = format!("{key} = {value}");
        parse_and_check(state, &changed.join("\n"))?;
    }
}

/// Found by fuzzing (`fuzz/regressions/rules_file/window-of-4294967295-days.toml`): a window of
/// 4294967295 days was accepted, and a medical sale checked against it would move its time back
/// past the start of time (a panic in the store's limit check). Windows now end at a year.
#[test]
fn a_window_longer_than_a_year_is_refused() {
    let (_, co) = EMBEDDED.iter().find(|(s, _)| *s == "CO").unwrap();
    for (window, accepted) in [
        ("days:366", true),
        ("days:367", false),
        ("days:4294967295", false),
    ] {
        let text = co.replacen(
            "window = \"transaction\"",
            &format!("window = \"{window}\""),
            1,
        );
        let parsed = RuleSet::parse("CO", &text);
        assert_eq!(parsed.is_ok(), accepted, "{window}: {parsed:?}");
        if let Err(e) = parsed {
            assert_eq!(e.code(), "limits_file_invalid");
            assert!(e.to_string().contains("days:N"), "{e}");
        }
    }
    let regression = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/rules_file/window-of-4294967295-days.toml");
    let text = std::fs::read_to_string(regression).unwrap();
    assert_eq!(
        RuleSet::parse("CO", &text).map_err(|e| e.code()),
        Err("limits_file_invalid")
    );
}
