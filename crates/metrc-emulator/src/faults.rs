//! Fault injection: which faults are switched on, and deciding per request whether one fires.
//!
//! Guarantees: `Faults::default()` injects nothing. A fault with `trigger.count = Some(n)` fires
//! for exactly the next `n` matching requests and is then removed; with a `probability` it fires
//! by a seeded RNG (`Faults::rng_seed`), so a simulation replays identically for the same request
//! sequence. Control routes (`/__emulator/`) are never faulted.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Which requests a fault applies to, and how often.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Trigger {
    /// Only requests whose path starts with this (e.g. `/sales/`). None = every Metrc route.
    pub path_prefix: Option<String>,
    /// Fire for the next N matching requests, then switch off. None = until switched off.
    pub count: Option<u32>,
    /// Fire with this probability (0..=1) per matching request, drawn from the seeded RNG.
    pub probability: Option<f64>,
}

impl Trigger {
    /// Every matching request until switched off.
    pub fn always() -> Trigger {
        Trigger::default()
    }
    /// The next `n` requests.
    pub fn next(n: u32) -> Trigger {
        Trigger {
            count: Some(n),
            ..Trigger::default()
        }
    }
    /// Restrict to a path prefix.
    pub fn on_path(mut self, prefix: &str) -> Trigger {
        self.path_prefix = Some(prefix.to_owned());
        self
    }
    /// Fire with a probability.
    pub fn with_probability(mut self, p: f64) -> Trigger {
        self.probability = Some(p);
        self
    }
    fn matches(&self, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
            && self.count != Some(0)
    }
}

/// Added delay before every Metrc request is handled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    /// Fixed delay in milliseconds.
    pub fixed_ms: u64,
    /// Plus a uniform random delay in `0..=jitter_ms` (seeded RNG).
    pub jitter_ms: u64,
    /// Only requests whose path starts with this.
    pub path_prefix: Option<String>,
}

/// Close the listening socket and drop open connections (connection refused), reopening on the
/// same port when switched off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefuseConnections {
    /// Heal by itself after this many milliseconds (needed when the HTTP control API is the only
    /// way in, since it is refused too).
    pub heal_after_ms: Option<u64>,
}

/// A 429 storm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitStorm {
    /// Only GETs get 429 (writes pass).
    pub gets_only: bool,
    /// Which requests and how many.
    pub trigger: Trigger,
}

/// What goes wrong around a write (POST, PUT, DELETE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum WriteFaultKind {
    /// The write is committed, then the reply never comes (the client times out).
    LostReplyHang,
    /// The write is committed, then the connection is dropped without a reply.
    LostReplyReset,
    /// The write is committed, then the reply is a 500.
    #[serde(rename = "commit_then_500")]
    CommitThen500,
    /// The client is answered first (`reply`), and the write lands `delay_ms` later.
    LateWrite {
        /// Delay after the reply before the write is applied.
        delay_ms: u64,
        /// What the client gets.
        reply: LateReply,
    },
}

/// The reply a client gets for a late-landing write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateReply {
    /// 500 with a message.
    #[serde(rename = "status_500")]
    Status500,
    /// 503.
    #[serde(rename = "status_503")]
    Status503,
    /// No reply (hangs until the client gives up).
    Hang,
    /// Connection dropped.
    Reset,
}

/// A write fault and when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteFault {
    /// What happens.
    pub kind: WriteFaultKind,
    /// Which writes and how many.
    #[serde(default)]
    pub trigger: Trigger,
}

/// All faults. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Seed of the RNG used by probabilities and jitter (reseeded on every `set_faults`).
    pub rng_seed: u64,
    /// Outage as 503 (empty body).
    pub outage_503: Option<Trigger>,
    /// Outage as refused connections.
    pub refuse_connections: Option<RefuseConnections>,
    /// Latency.
    pub latency: Option<Latency>,
    /// 429 storm.
    pub rate_limit_storm: Option<RateLimitStorm>,
    /// Write faults, checked in order; the first that fires wins.
    pub write_faults: Vec<WriteFault>,
}

/// The live fault set with its RNG.
#[derive(Debug)]
pub(crate) struct FaultState {
    pub faults: Faults,
    rng: StdRng,
}

fn fire(trigger: &mut Trigger, rng: &mut StdRng) -> bool {
    if let Some(p) = trigger.probability
        && !rng.random_bool(p.clamp(0.0, 1.0))
    {
        return false;
    }
    if let Some(n) = trigger.count.as_mut() {
        *n = n.saturating_sub(1);
    }
    true
}

impl FaultState {
    pub fn new(faults: Faults) -> FaultState {
        let rng = StdRng::seed_from_u64(faults.rng_seed);
        FaultState { faults, rng }
    }

    /// Delay to add before handling `path`, if any.
    pub fn latency(&mut self, path: &str) -> Option<std::time::Duration> {
        let l = self.faults.latency.as_ref()?;
        if !l.path_prefix.as_deref().is_none_or(|p| path.starts_with(p)) {
            return None;
        }
        let jitter = if l.jitter_ms > 0 {
            self.rng.random_range(0..=l.jitter_ms)
        } else {
            0
        };
        Some(std::time::Duration::from_millis(l.fixed_ms + jitter))
    }

    /// Whether this request gets a 503.
    pub fn outage(&mut self, path: &str) -> bool {
        let Some(t) = self.faults.outage_503.as_mut() else {
            return false;
        };
        if !t.matches(path) {
            return false;
        }
        let fired = fire(t, &mut self.rng);
        if t.count == Some(0) {
            self.faults.outage_503 = None;
        }
        fired
    }

    /// Whether this request gets a storm 429.
    pub fn storm(&mut self, path: &str, is_get: bool) -> bool {
        let Some(s) = self.faults.rate_limit_storm.as_mut() else {
            return false;
        };
        if (s.gets_only && !is_get) || !s.trigger.matches(path) {
            return false;
        }
        let fired = fire(&mut s.trigger, &mut self.rng);
        if s.trigger.count == Some(0) {
            self.faults.rate_limit_storm = None;
        }
        fired
    }

    /// The write fault that fires for this write, if any.
    pub fn write_fault(&mut self, path: &str) -> Option<WriteFaultKind> {
        let idx = self
            .faults
            .write_faults
            .iter()
            .position(|w| w.trigger.matches(path))?;
        let mut found = None;
        for i in idx..self.faults.write_faults.len() {
            let w = &mut self.faults.write_faults[i];
            if w.trigger.matches(path) && fire(&mut w.trigger, &mut self.rng) {
                found = Some(w.kind.clone());
                break;
            }
        }
        self.faults
            .write_faults
            .retain(|w| w.trigger.count != Some(0));
        found
    }
}
