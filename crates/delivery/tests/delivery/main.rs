//! The delivery engine's tests: real SQLite, the emulator on loopback, the real Metrc client.
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod faults;
mod inventory_refresh;
mod simulation;
mod worker;
