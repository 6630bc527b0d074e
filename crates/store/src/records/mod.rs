//! Local records: what a budtender or manager did at the register, each committed together with
//! its outbox entry and its effects on package quantities.
//!
//! Guarantees: a record, its outbox entry and its effects are one transaction; a record is never
//! changed after it is written (a correction or void is a new record that refers to it).

pub mod adjustments;
pub mod corrections;
pub(crate) mod effects;
pub mod new_packages;
pub mod sales;
pub mod voids;
