//! Oracle of the `rules_file` target: a state's purchase-limit rules file (`crates/limits/rules/
//! *.toml`), parsed and checked by `stateline_limits::RuleSet::parse`, then used as a sale uses it.
//!
//! Input: the file's text (bytes that are not UTF-8 are read lossily); its state is the one its
//! `state = "…"` line names (so a file passes the state check and reaches the others), "XX"
//! without one. Checks: nothing panics; a refused file is `limits_file_invalid` with a message; an
//! accepted one keeps every promise of the rules module (positive finite limits and factors,
//! counted categories declared and declared ones counted, unique ids, sources, windows of at least
//! a day that a sale's time can be moved back by), and checking carts against it — empty, ordinary,
//! huge, with earlier purchases — and overriding its limits never panic.

use jiff::{SignedDuration, Timestamp};
use stateline_limits::{Amounts, Customer, RuleSet, Window};

fn state_of(text: &str) -> String {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("state"))
        .filter_map(|l| l.trim_start().strip_prefix('='))
        .map(|l| l.trim().trim_matches('"').to_owned())
        .next()
        .unwrap_or_else(|| "XX".to_owned())
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let state = state_of(&text);
    match RuleSet::parse(&state, &text) {
        Err(e) => {
            assert_eq!(e.code(), "limits_file_invalid", "{e:?}");
            assert!(!e.to_string().is_empty());
        }
        Ok(rules) => check_accepted(&rules),
    }
}

fn check_accepted(rules: &RuleSet) {
    let mut ids = std::collections::BTreeSet::new();
    let a_sale = Timestamp::new(1_795_467_731, 0).expect("2026 is a timestamp");
    for rule in &rules.rules {
        assert!(ids.insert(&rule.id), "rule id {} twice", rule.id);
        assert!(rule.limit.is_finite() && rule.limit > 0.0, "{rule:?}");
        assert!(!rule.counts.is_empty() && !rule.source.trim().is_empty());
        for (category, factor) in &rule.counts {
            assert!(rules.category(category).is_some(), "{category} undeclared");
            assert!(factor.is_finite() && *factor > 0.0, "{rule:?}");
        }
        if let Window::Days(n) = rule.window {
            assert!(n >= 1);
            // The store sums a customer's purchases since `sale − n days`.
            let back = SignedDuration::from_hours(24 * i64::from(n));
            assert!(
                a_sale.checked_sub(back).is_ok(),
                "rule {}: a window of {n} days reaches before the start of time",
                rule.id
            );
        }
        assert_eq!(Window::parse(&rule.window.as_text()), Some(rule.window));
    }
    for category in &rules.categories {
        assert!(
            rules
                .rules
                .iter()
                .any(|r| r.counts.contains_key(&category.id)),
            "{} counted by no rule",
            category.id
        );
    }
    let each = |amount: f64| -> Amounts {
        rules
            .categories
            .iter()
            .map(|c| (c.id.clone(), amount))
            .collect()
    };
    for customer in [Customer::AdultUse, Customer::Medical, Customer::Caregiver] {
        assert!(rules.rules_for(customer).next().is_some() || rules.rules.is_empty());
        for amount in [0.0, 1.0, 1e300, f64::MAX] {
            let over = rules.check(customer, &each(amount), |_| each(amount));
            for o in &over {
                assert!(!o.describe().is_empty());
            }
            if amount == 0.0 {
                assert!(over.is_empty(), "an empty cart is over a limit: {over:?}");
            }
        }
    }
    let overrides: Vec<(String, f64)> = rules.rules.iter().map(|r| (r.id.clone(), 1.0)).collect();
    let changed = rules
        .with_limits(&overrides)
        .expect("overrides of its own rules");
    assert!(changed.rules.iter().all(|r| r.limit == 1.0));
    let refused = rules.with_limits(&[(String::new(), f64::NAN)]);
    assert_eq!(refused.map_err(|e| e.code()), Err("limits_file_invalid"));
}
