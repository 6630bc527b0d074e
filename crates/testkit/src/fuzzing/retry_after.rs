//! Oracle of the `retry_after` target: any `Retry-After` header value on a 429, as
//! `metrc::RetryAfter` parses it and the delivery engine uses it.
//!
//! Input: the header value (bytes that are not UTF-8 are read lossily, as a header that is not
//! visible ASCII never reaches the parser). Checks: nothing panics; a value is a delay only when
//! it is all digits (after trimming) and then exactly that many seconds; a date is an HTTP date
//! that formats back to itself; "not before" is never earlier than when the reply arrived and the
//! wait from any instant is never negative, at the ends of time included; the 429 the client
//! builds carries exactly the parsed value.

use std::time::Duration;

use jiff::Timestamp;
use metrc::{MetrcError, RetryAfter, reply};

/// Instants the reply is taken to arrive at: the ends of time and an ordinary evening.
fn instants() -> [Timestamp; 4] {
    [
        Timestamp::MIN,
        Timestamp::UNIX_EPOCH,
        Timestamp::new(1_795_467_731, 0).expect("2026 is a timestamp"),
        Timestamp::MAX,
    ]
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    let value = String::from_utf8_lossy(data);
    let parsed = RetryAfter::parse(&value);
    let trimmed = value.trim();
    match parsed {
        Some(RetryAfter::Delay(d)) => {
            assert!(
                !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()),
                "{value:?} read as a delay"
            );
            assert_eq!(Some(d.as_secs()), trimmed.parse::<u64>().ok(), "{value:?}");
            assert_eq!(d.subsec_nanos(), 0);
        }
        Some(RetryAfter::At(at)) => {
            let system = std::time::SystemTime::from(at);
            let back = httpdate::fmt_http_date(system);
            assert_eq!(
                httpdate::parse_http_date(&back).ok(),
                Some(system),
                "{value:?} read as {at}"
            );
        }
        None => {}
    }
    if let Some(r) = parsed {
        for received in instants() {
            let not_before = r.not_before(received);
            assert!(
                not_before >= received,
                "{value:?}: {not_before} < {received}"
            );
            let wait = r.delay_from(received);
            match r {
                RetryAfter::Delay(d) => assert_eq!(wait, d, "{value:?}"),
                RetryAfter::At(at) if at <= received => {
                    assert_eq!(wait, Duration::ZERO, "{value:?} from {received}");
                }
                RetryAfter::At(_) => assert!(wait > Duration::ZERO, "{value:?} from {received}"),
            }
        }
    }
    let e = reply::error(429, Some(&value), b"");
    assert_eq!(
        e,
        MetrcError::RateLimited {
            retry_after: parsed
        }
    );
    super::metrc_reply::check_error(429, b"", &e);
}
