//! Keeps Stateline's GET requests under Metrc's published rate limits.
//!
//! Metrc allows 50 GETs per second and 10 concurrent GETs per facility, and 150 per second and 30
//! concurrent per vendor key. This limiter stays below those numbers with a safety margin: every
//! GET first takes a [`ReadPermit`], which waits for both token buckets (licence and vendor) and
//! both concurrency slots. The permit releases its concurrency slots when dropped. No lock is held
//! while waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The limits to stay under. The defaults are 80% of Metrc's published numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadLimits {
    pub per_licence_per_second: f64,
    pub per_vendor_per_second: f64,
    pub concurrent_per_licence: usize,
    pub concurrent_per_vendor: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            per_licence_per_second: 40.0,
            per_vendor_per_second: 120.0,
            concurrent_per_licence: 8,
            concurrent_per_vendor: 24,
        }
    }
}

#[derive(Debug)]
struct TokenBucket {
    rate_per_second: f64,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    fn new(rate_per_second: f64, now: Instant) -> Self {
        // A burst of at most a fifth of a second's worth keeps short windows under the limit too.
        let capacity = (rate_per_second / 5.0).max(1.0);
        Self {
            rate_per_second,
            capacity,
            tokens: capacity,
            refilled_at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate_per_second).min(self.capacity);
        self.refilled_at = now;
    }

    /// How long until one token is available (zero when one is available now).
    fn wait_for_one(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate_per_second)
        }
    }
}

#[derive(Debug)]
struct Buckets {
    vendor: TokenBucket,
    licences: HashMap<String, TokenBucket>,
}

/// A cheap, cloneable handle shared by everything in the register that reads from Metrc.
#[derive(Debug, Clone)]
pub struct ReadLimiter {
    limits: ReadLimits,
    buckets: Arc<Mutex<Buckets>>,
    vendor_slots: Arc<Semaphore>,
    licence_slots: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// Held for the duration of one GET.
#[derive(Debug)]
pub struct ReadPermit {
    _licence: OwnedSemaphorePermit,
    _vendor: OwnedSemaphorePermit,
}

impl ReadLimiter {
    pub fn new(limits: ReadLimits) -> Self {
        Self {
            limits,
            buckets: Arc::new(Mutex::new(Buckets {
                vendor: TokenBucket::new(limits.per_vendor_per_second, Instant::now()),
                licences: HashMap::new(),
            })),
            vendor_slots: Arc::new(Semaphore::new(limits.concurrent_per_vendor)),
            licence_slots: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Waits until a GET for `licence` may start. Calls that are not scoped to a facility (such
    /// as `/facilities/v2`) pass an empty licence and count against the vendor limits only, plus
    /// a shared pseudo-facility.
    pub async fn acquire(&self, licence: &str) -> ReadPermit {
        let licence_semaphore = self.licence_semaphore(licence);
        let licence_permit = licence_semaphore
            .acquire_owned()
            .await
            .expect("the limiter never closes its semaphores");
        let vendor_permit = Arc::clone(&self.vendor_slots)
            .acquire_owned()
            .await
            .expect("the limiter never closes its semaphores");
        loop {
            let wait = self.take_token(licence);
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        ReadPermit {
            _licence: licence_permit,
            _vendor: vendor_permit,
        }
    }

    fn licence_semaphore(&self, licence: &str) -> Arc<Semaphore> {
        let mut slots = self
            .licence_slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            slots
                .entry(licence.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.limits.concurrent_per_licence))),
        )
    }

    /// Takes a token from both buckets if both have one; otherwise returns how long to wait.
    fn take_token(&self, licence: &str) -> Duration {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rate = self.limits.per_licence_per_second;
        let licence_wait = buckets
            .licences
            .entry(licence.to_owned())
            .or_insert_with(|| TokenBucket::new(rate, now))
            .wait_for_one(now);
        let vendor_wait = buckets.vendor.wait_for_one(now);
        let wait = licence_wait.max(vendor_wait);
        if wait.is_zero() {
            buckets.vendor.tokens -= 1.0;
            if let Some(bucket) = buckets.licences.get_mut(licence) {
                bucket.tokens -= 1.0;
            }
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_licence_stays_under_its_rate() {
        let limiter = ReadLimiter::new(ReadLimits::default());
        let started = Instant::now();
        for _ in 0..200 {
            drop(limiter.acquire("L1").await);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let rate = 200.0 / elapsed;
        assert!(
            rate <= 50.0,
            "{rate} GETs/s breaks Metrc's 50/s per facility"
        );
        assert!(rate >= 30.0, "{rate} GETs/s is needlessly slow");
    }

    #[tokio::test(start_paused = true)]
    async fn many_licences_share_the_vendor_rate() {
        let limiter = ReadLimiter::new(ReadLimits::default());
        let started = Instant::now();
        for round in 0..100 {
            for licence in ["A", "B", "C", "D", "E", "F"] {
                drop(limiter.acquire(&format!("{licence}{}", round % 2)).await);
            }
        }
        let rate = 600.0 / started.elapsed().as_secs_f64();
        assert!(
            rate <= 150.0,
            "{rate} GETs/s breaks Metrc's 150/s per vendor key"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_per_licence_is_bounded() {
        let limiter = ReadLimiter::new(ReadLimits::default());
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(limiter.acquire("L1").await);
        }
        let ninth = tokio::time::timeout(Duration::from_secs(5), limiter.acquire("L1")).await;
        assert!(ninth.is_err(), "a ninth concurrent GET must wait");
        let other = tokio::time::timeout(Duration::from_secs(5), limiter.acquire("L2")).await;
        assert!(other.is_ok(), "another licence has its own slots");
        held.pop();
        let after_release =
            tokio::time::timeout(Duration::from_secs(5), limiter.acquire("L1")).await;
        assert!(after_release.is_ok());
    }
}
