//! The limits crate's tests: every embedded rules file loads and passes the format's checks;
//! table tests generated from every file (each rule at, just under and just over its limit, in
//! each category it counts); day windows add the customer's earlier purchases; malformed files
//! are refused by name; items are counted from Metrc's facts or left unmapped with the reason.

mod classify;
mod files;
mod rules_props;
mod table;
