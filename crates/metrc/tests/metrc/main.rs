//! The Metrc client's tests: against the emulator on loopback, the contract with Metrc's reference,
//! transport faults.
//!
//! One test binary for the crate, one module per subject; `bru` is the shared set-up.

mod against_emulator;
mod bru;
mod contract;
mod decode_props;
mod logging;
mod patients;
mod transport;
