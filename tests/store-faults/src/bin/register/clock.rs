//! The register's clock: the system time plus a fixed skew, as a register whose clock is wrong
//! by minutes has it. Everything of the register reads time through it (sale times, the
//! delivery gate, the link's heartbeats); leases run on the store server's clock and the
//! courier's margin on the monotonic clock, so neither is skewed.

use jiff::{SignedDuration, Timestamp};
use stateline_clock::{Clock, SystemClock};

/// The system time moved by `skew`.
#[derive(Debug, Clone, Copy)]
pub struct SkewedClock {
    skew: SignedDuration,
}

impl SkewedClock {
    /// A clock `seconds` ahead of the system time (behind, when negative).
    pub fn new(seconds: i64) -> SkewedClock {
        SkewedClock {
            skew: SignedDuration::from_secs(seconds),
        }
    }
}

impl Clock for SkewedClock {
    fn now(&self) -> Timestamp {
        let now = SystemClock.now();
        now.checked_add(self.skew).unwrap_or(now)
    }
}
