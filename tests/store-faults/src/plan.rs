//! The sale plan the register binary and the driver agree on, and the demo users.
//!
//! A register's n-th sale — n counts every sale its database already holds, so a register
//! restarted on its data folder carries on where it stopped instead of selling its plan again —
//! is one unit of `labels[n % labels]`, sold by `sellers[(n / labels) % sellers]`. The driver
//! stocks each label with exactly the units all plans sell ([`units_per_label`]), so a sale
//! refused for insufficient quantity is a count gone wrong, never a real shortage.
//!
//! Guarantees: the plan is a pure function of n (no clock, no randomness); the demo users map
//! to the emulator's demo Metrc users and keys and nothing else.

use metrc_emulator::{DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_MANAGER, DEMO_MANAGER_KEY};

/// The budtender whose key is at only one register (her sales elsewhere are handed over).
pub const BEA: &str = "bea";
/// The manager, whose key is at every register.
pub const MAX: &str = "max";

/// Who sells which label as sale number `n`.
pub fn sale(n: u64, sellers: &[String], labels: &[String]) -> (String, String) {
    let per_round = labels.len().max(1) as u64;
    let label = labels[(n % per_round) as usize].clone();
    let seller = sellers[((n / per_round) % sellers.len().max(1) as u64) as usize].clone();
    (seller, label)
}

/// Units of each label (in the order of `labels`) that plans of `sales` sales take, summed.
pub fn units_per_label(sales: &[u64], labels: usize) -> Vec<u64> {
    let mut units = vec![0; labels];
    for &n in sales {
        for (i, unit) in units.iter_mut().enumerate() {
            *unit += n / labels as u64 + u64::from((i as u64) < n % labels as u64);
        }
    }
    units
}

/// The emulator's Metrc user behind a Stateline user (whose key records the sale in Metrc).
pub fn metrc_user(user: &str) -> Option<&'static str> {
    match user {
        BEA => Some(DEMO_BUDTENDER),
        MAX => Some(DEMO_MANAGER),
        _ => None,
    }
}

/// The emulator's demo key of a Stateline user.
pub fn demo_key(user: &str) -> Option<&'static str> {
    match user {
        BEA => Some(DEMO_BUDTENDER_KEY),
        MAX => Some(DEMO_MANAGER_KEY),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_alternates_labels_then_sellers_and_its_units_add_up() {
        let sellers = vec![BEA.to_owned(), MAX.to_owned()];
        let labels = vec!["A".to_owned(), "B".to_owned()];
        let made: Vec<(String, String)> = (0..5).map(|n| sale(n, &sellers, &labels)).collect();
        let expected = [
            ("bea", "A"),
            ("bea", "B"),
            ("max", "A"),
            ("max", "B"),
            ("bea", "A"),
        ];
        for ((seller, label), (s, l)) in made.iter().zip(expected) {
            assert_eq!((seller.as_str(), label.as_str()), (s, l));
        }
        assert_eq!(units_per_label(&[5, 2, 1], 2), vec![5, 3]);
    }
}
