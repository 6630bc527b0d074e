//! Table tests generated from every embedded rules file: for each rule and each category it
//! counts, a cart of only that category at the limit, just under it and just over it; and the
//! day windows with earlier purchases.

use stateline_limits::rules::{EMBEDDED, all};
use stateline_limits::{Amounts, Customer, RuleSet, Window};

fn cart(category: &str, amount: f64) -> Amounts {
    [(category.to_owned(), amount)].into_iter().collect()
}

fn nothing_earlier(_: u32) -> Amounts {
    Amounts::new()
}

#[test]
fn every_rule_of_every_state_allows_its_limit_and_refuses_just_over_it() {
    let mut checked = 0;
    for (state, loaded) in all() {
        let rules = loaded.as_ref().unwrap_or_else(|e| panic!("{state}: {e}"));
        for rule in &rules.rules {
            for (category, factor) in &rule.counts {
                let at = rule.limit / factor;
                let fires = |amount: f64| {
                    rules
                        .check(rule.customer, &cart(category, amount), nothing_earlier)
                        .iter()
                        .any(|o| o.rule == rule.id)
                };
                let place = format!("{state} {} in {category}", rule.id);
                assert!(!fires(at), "{place}: exactly the limit ({at}) is allowed");
                assert!(!fires(at * 0.99), "{place}: just under is allowed");
                assert!(fires(at * 1.01), "{place}: just over is refused");
                let over = rules
                    .check(rule.customer, &cart(category, at * 1.5), nothing_earlier)
                    .into_iter()
                    .find(|o| o.rule == rule.id)
                    .expect("over");
                assert!(
                    (over.by - rule.limit * 0.5).abs() < rule.limit * 1e-9,
                    "{place}: {over:?} says by how much"
                );
                assert!(over.describe().contains(&rule.unit));
                checked += 1;
            }
        }
    }
    assert!(
        checked >= EMBEDDED.len() * 2,
        "{checked} rule/category pairs"
    );
}

#[test]
fn a_day_window_counts_what_the_customer_bought_earlier_in_it() {
    let co = RuleSet::for_state("co").unwrap();
    let rule = co
        .rules
        .iter()
        .find(|r| r.customer == Customer::AdultUse && r.window == Window::Days(1))
        .expect("Colorado counts concentrate per day");
    let category = rule.counts.keys().next().unwrap().clone();
    let earlier = |days: u32| {
        assert_eq!(days, 1, "asked for the rule's own window");
        cart(&category, rule.limit - 1.0)
    };
    let over = co.check(Customer::AdultUse, &cart(&category, 2.0), earlier);
    let this = over.iter().find(|o| o.rule == rule.id).expect("over today");
    assert!((this.by - 1.0).abs() < 1e-9, "{this:?}");
    assert!(
        co.check(Customer::AdultUse, &cart(&category, 1.0), earlier)
            .iter()
            .all(|o| o.rule != rule.id),
        "up to the limit with what was bought earlier"
    );
    assert!(
        co.check(Customer::AdultUse, &cart("flower", 1.0), |_| cart(
            &category, 100.0
        ))
        .iter()
        .all(|o| o.rule != rule.id),
        "a sale that adds nothing to a rule's categories is not refused by it"
    );
}

#[test]
fn colorado_counts_concentrate_and_edibles_as_flower() {
    let co = RuleSet::for_state("CO").unwrap();
    let mixed: Amounts = [
        ("flower".to_owned(), 14.0),
        ("concentrate".to_owned(), 2.0),
        ("infused_thc".to_owned(), 200.0),
    ]
    .into_iter()
    .collect();
    assert!(
        co.check(Customer::AdultUse, &mixed, nothing_earlier)
            .is_empty(),
        "14 g + 2 g (7 g) + 200 mg (7 g) = 28 g of flower"
    );
    let more: Amounts = [("flower".to_owned(), 14.5), ("concentrate".to_owned(), 4.0)]
        .into_iter()
        .collect();
    let over = co.check(Customer::AdultUse, &more, nothing_earlier);
    assert_eq!(over[0].rule, "adult-use-transaction", "{over:?}");
    assert!((over[0].by - 0.5).abs() < 1e-9, "{over:?}");
}

#[test]
fn caregivers_follow_the_medical_rules_and_patients_the_adult_use_ones_where_a_state_has_none() {
    for (state, loaded) in all() {
        let rules = loaded.as_ref().unwrap();
        let has = |c: Customer| rules.rules.iter().any(|r| r.customer == c);
        for customer in [Customer::Caregiver, Customer::Medical, Customer::AdultUse] {
            let expected_customer = if has(customer) {
                customer
            } else if customer != Customer::Medical && has(Customer::Medical) {
                Customer::Medical
            } else {
                Customer::AdultUse
            };
            assert_eq!(
                rules.rules_applying_to(customer),
                expected_customer,
                "{state} {customer:?}"
            );
            let got: Vec<&str> = rules.rules_for(customer).map(|r| r.id.as_str()).collect();
            let expected: Vec<&str> = rules
                .rules
                .iter()
                .filter(|r| r.customer == expected_customer)
                .map(|r| r.id.as_str())
                .collect();
            assert_eq!(got, expected, "{state} {customer:?}");
            assert!(
                !got.is_empty(),
                "{state}: {customer:?} would buy without any limit"
            );
        }
    }
}
