//! Crash-loop suites for Stateline: a recorder process that writes sales in a tight loop and is
//! killed with SIGKILL at random moments, and checks that nothing it acknowledged was lost.
//!
//! Shared here: the fixed licence, package and sale the recorder and the checks agree on.

use stateline_store::{Money, NewSale, NewSaleLine, Quantity};

/// The licence the crash loop records under.
pub const LICENCE: &str = "403R-CRASH";
/// The one package, with enough on hand that sales never run out.
pub const LABEL: &str = "1A4FF0100000022000CRASH1";
/// Its unit of measure.
pub const UNIT: &str = "Grams";
/// Who records the sales.
pub const USER: &str = "crash-budtender";

/// One sale of one gram of [`LABEL`].
pub fn sale(at: jiff::Timestamp) -> NewSale {
    NewSale {
        licence: LICENCE.into(),
        acting_user: USER.into(),
        occurred_at: at,
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        lines: vec![NewSaleLine {
            label: LABEL.into(),
            quantity: Quantity::from_milli(1000),
            unit_of_measure: UNIT.into(),
            total_amount: Money::parse("10.00").expect("a valid amount"),
        }],
    }
}
