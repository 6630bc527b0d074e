//! Injected time: the project's one clock (`stateline-clock`), re-exported for the store and the crates above it.
//!
//! Guarantees: nothing in Stateline reads the system clock except [`SystemClock`]; tests and
//! simulations drive time with [`ManualClock`], whose clones share one settable instant.

pub use stateline_clock::{Clock, ManualClock, SystemClock};
