//! Behaviour switches for everything Metrc does not promise (the "unconfirmed" list of the Metrc
//! README), plus limits.
//!
//! Guarantees: `Options::default()` is Metrc's most likely behaviour; every field has a serde
//! default, so a partial JSON options file is valid.

use serde::{Deserialize, Serialize};

/// Emulator behaviour options. Change at run time with `Control::set_options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Reject a sale whose `ExternalReceiptNumber` already exists at the licence (400 row error).
    /// Default `false`: Metrc does not promise to reject duplicates.
    pub reject_duplicate_external_receipt_number: bool,
    /// A new receipt becomes visible to the external-number lookup and the lists only after this
    /// many milliseconds. Default 0.
    pub lookup_lag_ms: u64,
    /// Whether a batch with bad rows saves its good rows. Default all-or-nothing.
    pub batch_mode: BatchMode,
    /// How a 429 carries `Retry-After`. Default seconds.
    pub retry_after: RetryAfter,
    /// The delay `Retry-After` announces, in seconds. Default 1.
    pub retry_after_seconds: u64,
    /// Whether POST/PUT/DELETE count against (and can hit) the rate limits. Default `false`.
    pub rate_limit_writes: bool,
    /// Objects allowed per write request; more answers 413. Default 10.
    pub object_limit: usize,
    /// Reject a `SalesDateTime` older than this many hours (facility time). Default none.
    pub backdate_limit_hours: Option<u64>,
    /// Reject a `SalesDateTime` more than this many minutes in the future. Default none.
    pub future_limit_minutes: Option<u64>,
    /// Request body limit in bytes; larger answers 413. Default 1 MiB.
    pub body_limit_bytes: usize,
    /// Published GET rate limits.
    pub rate_limits: RateLimits,
    /// Status of the external-number lookup when the number is unknown: 404 (default) or 401
    /// (Metrc documents 401 for "not valid for the specified License Number").
    pub external_lookup_unknown_status: u16,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reject_duplicate_external_receipt_number: false,
            lookup_lag_ms: 0,
            batch_mode: BatchMode::AllOrNothing,
            retry_after: RetryAfter::Seconds,
            retry_after_seconds: 1,
            rate_limit_writes: false,
            object_limit: 10,
            backdate_limit_hours: None,
            future_limit_minutes: None,
            body_limit_bytes: 1024 * 1024,
            rate_limits: RateLimits::default(),
            external_lookup_unknown_status: 404,
        }
    }
}

/// What happens to the good rows of a batch that has bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BatchMode {
    /// Nothing is saved (the default).
    #[default]
    AllOrNothing,
    /// Good rows are saved; the reply is still 400 with the bad rows.
    Partial,
}

/// The form of `Retry-After` on a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfter {
    /// `Retry-After: <seconds>` (the default).
    #[default]
    Seconds,
    /// `Retry-After: <HTTP date>`.
    HttpDate,
    /// No `Retry-After` header.
    Absent,
}

/// Metrc's published GET limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Switch all rate limiting off.
    pub enabled: bool,
    /// Requests per second per licence. Default 50.
    pub per_license_per_second: u32,
    /// Requests per second per vendor key. Default 150.
    pub per_vendor_per_second: u32,
    /// Concurrent requests per licence. Default 10.
    pub concurrent_per_license: u32,
    /// Concurrent requests per vendor key. Default 30.
    pub concurrent_per_vendor: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_license_per_second: 50,
            per_vendor_per_second: 150,
            concurrent_per_license: 10,
            concurrent_per_vendor: 30,
        }
    }
}
