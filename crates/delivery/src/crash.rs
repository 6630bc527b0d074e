//! Named crash points for the crash tests: with the `crash-points` feature, a process whose
//! `STATELINE_CRASH_AT` names a point aborts there (no unwinding, no cleanup — as a power cut
//! would). Without the feature every point compiles to nothing.
//!
//! Guarantees: the points sit exactly where a crash is most dangerous — after a batch is claimed
//! and before it is sent, after Metrc answered and before the answer is recorded, and after a
//! lookup answered and before its outcome is recorded — so the tests prove each is recoverable.

/// After `claim_batch` committed `sending`, before the request leaves.
pub const AFTER_CLAIM_BEFORE_SEND: &str = "after_claim_before_send";
/// After Metrc's reply arrived, before any state change is written.
pub const AFTER_REPLY_BEFORE_RECORD: &str = "after_reply_before_record";
/// After a lookup of an ambiguous record answered, before its outcome is written.
pub const DURING_RECONCILIATION: &str = "during_reconciliation";

/// Every crash point, for the tests.
pub const ALL: [&str; 3] = [
    AFTER_CLAIM_BEFORE_SEND,
    AFTER_REPLY_BEFORE_RECORD,
    DURING_RECONCILIATION,
];

/// Aborts the process if `STATELINE_CRASH_AT` names this point (feature `crash-points` only).
#[cfg(feature = "crash-points")]
pub fn point(name: &str) {
    static ARMED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var("STATELINE_CRASH_AT").ok());
    if armed.as_deref() == Some(name) {
        eprintln!("crash point {name}: aborting");
        std::process::abort();
    }
}

/// Without the `crash-points` feature, crash points do nothing.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn point(_name: &str) {}
