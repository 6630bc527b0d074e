//! The in-memory world: records, options, faults, request log, rate limiter and the patient status
//! cache behind one Mutex.
//!
//! Guarantees: one `std::sync::Mutex` guards everything; it is never held across `.await` (all
//! access goes through short synchronous closures or guards dropped before awaiting); a poisoned
//! lock is recovered rather than propagated as a panic.

use crate::faults::{FaultState, Faults};
use crate::options::Options;
use crate::patient_status::PatientCache;
use crate::rate_limit::RateLimiter;
use crate::request_log::RequestLog;
use crate::seed::Seed;
use jiff::Timestamp;
use stateline_clock::Clock;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Everything mutable.
#[derive(Debug)]
pub(crate) struct World {
    pub db: Seed,
    pub next_receipt_id: u64,
    pub next_package_id: u64,
    pub next_adjustment_id: u64,
    pub options: Options,
    pub faults: FaultState,
    pub log: RequestLog,
    pub limiter: RateLimiter,
    /// Patient status answers Metrc would still serve from its one-minute cache.
    pub patient_cache: PatientCache,
    /// Where "now" comes from (the system clock unless the emulator was started with another).
    pub clock: Arc<dyn Clock>,
}

impl World {
    pub fn new(seed: Seed, options: Options, faults: Faults, clock: Arc<dyn Clock>) -> World {
        let next_receipt_id = seed.receipts.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        let next_package_id = seed
            .packages
            .iter()
            .map(|p| p.id)
            .chain(seed.transfers.iter().flat_map(|t| {
                t.deliveries
                    .iter()
                    .flat_map(|d| d.packages.iter().map(|p| p.package_id))
            }))
            .max()
            .unwrap_or(0)
            + 1;
        let next_adjustment_id = seed.adjustments.iter().map(|a| a.id).max().unwrap_or(0) + 1;
        World {
            db: seed,
            next_receipt_id,
            next_package_id,
            next_adjustment_id,
            options,
            faults: FaultState::new(faults),
            log: RequestLog::default(),
            limiter: RateLimiter::default(),
            patient_cache: PatientCache::default(),
            clock,
        }
    }

    /// The current time (for `LastModified`, `RecordedDateTime` and lag).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The shared handle behind `Control` and the HTTP handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    world: Mutex<World>,
    /// Bumped whenever faults change, so the listener supervisor re-evaluates refusal.
    pub faults_changed: watch::Sender<u64>,
}

impl Shared {
    pub fn new(world: World) -> Arc<Shared> {
        let (faults_changed, _) = watch::channel(0);
        Arc::new(Shared {
            world: Mutex::new(world),
            faults_changed,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn notify_faults_changed(&self) {
        self.faults_changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}
