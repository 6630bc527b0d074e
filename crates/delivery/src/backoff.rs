//! Retry timing for deliveries: capped exponential backoff with full jitter, and `Retry-After`.
//!
//! Guarantees: a delay is never longer than the cap (unless Metrc's `Retry-After` asks for more,
//! which always wins), never shorter than Metrc's `Retry-After`, and is drawn from an injected
//! random source so tests and simulations replay exactly.

use std::time::Duration;

use rand::Rng;

/// How long to wait after failures: `random(0 ..= min(cap, base * 2^(failures-1)))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The ceiling of the first retry's delay.
    pub base: Duration,
    /// No delay drawn from the policy exceeds this.
    pub cap: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
        }
    }
}

impl BackoffPolicy {
    /// The ceiling for the given number of consecutive failures (1 = the first failure).
    pub fn ceiling(&self, consecutive_failures: u32) -> Duration {
        let exponent = consecutive_failures.saturating_sub(1).min(30);
        let grown = self.base.saturating_mul(1u32 << exponent);
        grown.min(self.cap)
    }

    /// A full-jitter delay: uniform between zero and the ceiling, but never less than what Metrc
    /// asked for with `Retry-After`.
    pub fn delay(
        &self,
        consecutive_failures: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let ceiling = self.ceiling(consecutive_failures);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let drawn = Duration::from_millis(rng.random_range(0..=ceiling_ms));
        match retry_after {
            Some(asked) => drawn.max(asked),
            None => drawn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn ceiling_doubles_until_the_cap() {
        let policy = BackoffPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        let ceilings: Vec<u64> = (1..=6).map(|n| policy.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 10, 10]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_spreads_out() {
        let policy = BackoffPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| policy.delay(4, None, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(8)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "full jitter should spread delays");
    }

    #[test]
    fn retry_after_is_a_floor_even_above_the_cap() {
        let policy = BackoffPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let delay = policy.delay(1, Some(Duration::from_secs(30)), &mut rng);
            assert_eq!(delay, Duration::from_secs(30));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let policy = BackoffPolicy::default();
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (1..10)
                .map(|n| policy.delay(n, None, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }
}
