//! A sale against a state's rules: for each rule that applies to the customer, the weighted sum
//! of what this sale holds (and, for a rule over days, of what the customer bought in that
//! window) must stay within the limit.
//!
//! Guarantees: every applicable rule is evaluated and every one exceeded is reported, most
//! exceeded first, with the limit, the total and by how much, in the rule's own unit; amounts of
//! a category a rule does not count never count against it; an amount at the limit passes (the
//! limit is "at most"); sums are compared with a tolerance of a millionth of the limit so unit
//! conversions do not refuse a sale exactly at it.

use std::collections::BTreeMap;

use crate::rules::{Customer, Rule, RuleSet, Window};

/// Amounts per category id, in each category's unit.
pub type Amounts = BTreeMap<String, f64>;

/// A limit this sale would exceed.
#[derive(Debug, Clone, PartialEq)]
pub struct OverLimit {
    /// The rule's id.
    pub rule: String,
    /// Its window.
    pub window: Window,
    /// The limit.
    pub limit: f64,
    /// This sale plus, for a rule over days, the customer's window.
    pub total: f64,
    /// `total - limit`.
    pub by: f64,
    /// What the figures count ("g of flower").
    pub unit: String,
}

impl OverLimit {
    /// "28.00 g of flower per transaction; this sale makes 31.50 (3.50 over)".
    pub fn describe(&self) -> String {
        let window = match self.window {
            Window::Transaction => "per transaction".to_owned(),
            Window::Days(1) => "per day".to_owned(),
            Window::Days(n) => format!("per {n} days"),
        };
        format!(
            "the limit is {:.2} {} {window}; this sale makes {:.2} ({:.2} over)",
            self.limit, self.unit, self.total, self.by
        )
    }
}

impl Rule {
    /// The weighted sum of `amounts` this rule counts (its equivalences applied).
    pub fn weighted(&self, amounts: &Amounts) -> f64 {
        self.counts
            .iter()
            .map(|(category, factor)| amounts.get(category).copied().unwrap_or(0.0) * factor)
            .sum()
    }

    /// Whether `total` exceeds this rule's limit (with the tolerance of the module doc).
    pub fn exceeded_by(&self, total: f64) -> bool {
        total - self.limit > self.limit * 1e-6
    }
}

fn weighted(rule: &Rule, amounts: &Amounts) -> f64 {
    rule.weighted(amounts)
}

impl RuleSet {
    /// Checks a sale of `cart` to a customer of `customer`, who bought `earlier` within each
    /// day window (`earlier(n)`: the amounts of their sales of the last `n` days before this
    /// one). Returns the limits exceeded (see the module doc); empty means allowed.
    pub fn check(
        &self,
        customer: Customer,
        cart: &Amounts,
        earlier: impl Fn(u32) -> Amounts,
    ) -> Vec<OverLimit> {
        let mut over: Vec<OverLimit> = self
            .rules_for(customer)
            .filter_map(|rule| {
                let mut total = weighted(rule, cart);
                if total == 0.0 {
                    return None;
                }
                if let Window::Days(n) = rule.window {
                    total += weighted(rule, &earlier(n));
                }
                let by = total - rule.limit;
                rule.exceeded_by(total).then(|| OverLimit {
                    rule: rule.id.clone(),
                    window: rule.window,
                    limit: rule.limit,
                    total,
                    by,
                    unit: rule.unit.clone(),
                })
            })
            .collect();
        over.sort_by(|a, b| (b.by / b.limit).total_cmp(&(a.by / a.limit)));
        over
    }
}
