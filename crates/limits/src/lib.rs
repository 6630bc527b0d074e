//! Purchase limits as data (issue #14): one rules file per state, shipped inside the app
//! (`rules/<STATE>.toml`, embedded at build time), each figure with its source, the date it took
//! effect and whether it is certain; [`RuleSet::check`] applies a state's rules to what a
//! customer is buying (and, for day windows, what they bought in the window).
//!
//! - [`rules`]: the file format, loading and the checks every file must pass;
//! - [`classify`]: what one unit of a package counts as, from Metrc's item data;
//! - [`check`]: a cart against a state's rules, and what exceeds which limit by how much.
//!
//! Guarantees: every embedded file is loaded and validated by the tests (and by
//! [`RuleSet::for_state`] on first use); a file that names an unknown category, a non-positive
//! factor or limit, an unknown customer or window, a missing source or an unparsable date is
//! refused with the rule and field at fault; nothing here reads the clock, the network or a
//! database — callers hand in amounts already counted per category.

pub mod check;
pub mod classify;
pub mod rules;

pub use check::{Amounts, OverLimit};
pub use classify::{ItemFacts, Unmapped, per_unit};
pub use rules::{Category, Customer, LimitsError, Rule, RuleSet, Window, WithoutData};
