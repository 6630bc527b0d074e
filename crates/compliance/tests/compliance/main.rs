//! Compliance's tests: reconciliation and the outage report against the emulator.
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod outage;
mod reconcile;
mod reconcile_voids;
mod store_wide;
