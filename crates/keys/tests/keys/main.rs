//! The key service's tests: the real keychain port in memory, the emulator on loopback.
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod service;
mod validation;
