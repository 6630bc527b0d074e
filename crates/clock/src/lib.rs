//! Injected time, shared by every Stateline crate (the Metrc client, the emulator, the store and
//! the crates above it, the command line and the app).
//!
//! Guarantees: [`SystemClock`] is the only place in the project's Rust code that reads the
//! system clock for a timestamp (tests check sources for `Timestamp::now()` and friends);
//! everything else is handed an `Arc<dyn Clock>`. Tests and simulations drive time with
//! [`ManualClock`], whose clones share one settable instant. This crate depends on nothing of
//! ours, so the leaf crates (`metrc`, `metrc-emulator`) may use it too.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The system clock as a shared handle (the default wherever a clock is optional).
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that only moves when told to. Clones share the same instant.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the current instant.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    /// Moves the clock by `by` (may be negative, to simulate a clock step back).
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let start: Timestamp = "2030-06-01T12:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let clone = clock.clone();
        assert_eq!(clock.now(), start);
        clone.advance(SignedDuration::from_secs(90));
        assert_eq!(clock.now(), start + SignedDuration::from_secs(90));
        clock.set(start);
        assert_eq!(clone.now(), start);
        clock.advance(SignedDuration::from_secs(-3600));
        assert_eq!(clone.now(), start - SignedDuration::from_secs(3600));
    }
}
