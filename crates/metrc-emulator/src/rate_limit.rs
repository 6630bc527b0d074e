//! Metrc's published limits: requests per second and concurrent requests, per licence and per
//! vendor key.
//!
//! Guarantees: a request either gets a slot (counted in both windows, concurrency held until its
//! `Slot` is released) or is refused without being counted.

use crate::options::RateLimits;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Sliding one-second windows and in-flight counters.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<String, VecDeque<Instant>>,
    inflight: HashMap<String, u32>,
}

/// The keys a granted request holds concurrency on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slot {
    pub keys: Vec<String>,
}

impl RateLimiter {
    /// Tries to admit a request for `license` (if any) under `vendor`.
    pub fn admit(
        &mut self,
        license: Option<&str>,
        vendor: &str,
        limits: &RateLimits,
    ) -> Option<Slot> {
        let now = Instant::now();
        if self.windows.len() > 4096 {
            self.prune(now);
        }
        let mut checks: Vec<(String, u32, u32)> = vec![(
            format!("vendor:{vendor}"),
            limits.per_vendor_per_second,
            limits.concurrent_per_vendor,
        )];
        if let Some(l) = license {
            checks.push((
                format!("license:{l}"),
                limits.per_license_per_second,
                limits.concurrent_per_license,
            ));
        }
        for (key, per_sec, conc) in &checks {
            let w = self.windows.entry(key.clone()).or_default();
            while w
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                w.pop_front();
            }
            if w.len() >= *per_sec as usize {
                return None;
            }
            if self.inflight.get(key).copied().unwrap_or(0) >= *conc {
                return None;
            }
        }
        for (key, _, _) in &checks {
            self.windows.entry(key.clone()).or_default().push_back(now);
            *self.inflight.entry(key.clone()).or_default() += 1;
        }
        Some(Slot {
            keys: checks.into_iter().map(|(k, _, _)| k).collect(),
        })
    }

    /// Forgets keys with no recent requests and nothing in flight (bounds memory under many keys).
    fn prune(&mut self, now: Instant) {
        let inflight = &self.inflight;
        self.windows.retain(|k, w| {
            w.back()
                .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1))
                || inflight.get(k).copied().unwrap_or(0) > 0
        });
        self.inflight.retain(|_, n| *n > 0);
    }

    /// Releases a slot's concurrency.
    pub fn release(&mut self, slot: &Slot) {
        for k in &slot.keys {
            if let Some(n) = self.inflight.get_mut(k) {
                *n = n.saturating_sub(1);
            }
        }
    }
}
