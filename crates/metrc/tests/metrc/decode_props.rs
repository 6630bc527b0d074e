//! Property tests of reply decoding (`metrc::reply`), the code every endpoint's reply goes
//! through: arbitrary bodies under every status, 400s with and without row errors, `Retry-After`
//! in seconds and as a date, truncated, oversized and wrongly typed bodies. The same decoding is
//! fuzzed by `fuzz/` (targets `metrc_reply`, `retry_after`); inputs that once failed are kept in
//! `fuzz/regressions/` and replayed by `stateline-testkit`.
//!
//! `PROPTEST_CASES` raises the case count of a long run (CI keeps the defaults below).

use std::time::Duration;

use metrc::error::EXCERPT_LEN;
use metrc::reply;
use metrc::{ErrorClass, MetrcError, Package, Receipt, RetryAfter, RowError};
use proptest::prelude::*;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig::with_cases(cases)
}

fn texts_are_clean(e: &MetrcError) -> bool {
    let mut texts: Vec<&str> = Vec::new();
    match e {
        MetrcError::Validation { rows, message, .. } => {
            texts.extend(rows.iter().map(|r| r.message.as_str()));
            texts.extend(message.as_deref());
        }
        MetrcError::Unauthorized { message }
        | MetrcError::Forbidden { message }
        | MetrcError::TooLarge { message } => texts.extend(message.as_deref()),
        MetrcError::Ambiguous { reason, .. } => texts.push(reason),
        _ => {}
    }
    texts
        .iter()
        .all(|t| !t.chars().any(char::is_control) && t.chars().count() <= EXCERPT_LEN + 60)
}

/// Any Metrc row error message: printable text, control characters, quotes, long runs.
fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        any::<String>(),
        "[a-z]{200,400}",
        Just("\"quoted\"\n\ttab".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes under any status: no panic; a 2xx is decoded or ambiguous, anything else is
    /// classified with its status, a code, and clean texts.
    #[test]
    fn any_body_under_any_status_is_decoded_or_classified(
        status in prop_oneof![100u16..1000, Just(0u16), Just(u16::MAX)],
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        if (200..300).contains(&status) {
            for r in [
                reply::page::<Package>(status, &body).map(drop),
                reply::list::<String>(status, &body).map(drop),
                reply::optional::<Receipt>(status, &body).map(drop),
                reply::write(status, &body).map(drop),
            ] {
                if let Err(e) = r {
                    prop_assert_eq!(e.class(), ErrorClass::Ambiguous);
                    prop_assert_eq!(e.status(), Some(status));
                    prop_assert!(texts_are_clean(&e), "{:?}", e);
                }
            }
        } else {
            let e = reply::error(status, None, &body);
            prop_assert!(!e.code().is_empty());
            prop_assert_eq!(e.status(), Some(status));
            prop_assert!(texts_are_clean(&e), "{:?}", e);
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// A 400 with row errors keeps every row, in order, with its index and its sanitized message.
    #[test]
    fn row_errors_are_kept_row_by_row(
        rows in proptest::collection::vec((0usize..10_000, message()), 0..20),
        pascal in any::<bool>(),
    ) {
        let (r, m) = if pascal { ("Row", "Message") } else { ("row", "message") };
        let body = serde_json::to_vec(
            &rows
                .iter()
                .map(|(row, message)| serde_json::json!({ r: row, m: message }))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let e = reply::error(400, None, &body);
        let MetrcError::Validation { rows: got, message: None, status: 400 } = &e else {
            return Err(TestCaseError::fail(format!("{e:?}")));
        };
        prop_assert_eq!(got.len(), rows.len());
        for (g, (row, message)) in got.iter().zip(&rows) {
            prop_assert_eq!(g.row, *row);
            let words: Vec<String> = message
                .split(|c: char| c.is_control() || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            let kept = g.message.trim_end_matches('…');
            prop_assert!(
                words.join(" ").starts_with(kept),
                "{:?} from {:?}",
                g.message,
                message
            );
        }
        prop_assert!(texts_are_clean(&e));
    }

    /// A 400 without row errors keeps Metrc's `{"Message"}`, or an excerpt of any other body.
    #[test]
    fn a_400_without_rows_keeps_the_message(text in message()) {
        let body = serde_json::to_vec(&serde_json::json!({ "Message": text })).unwrap();
        let e = reply::error(400, None, &body);
        prop_assert!(matches!(&e, MetrcError::Validation { rows, .. } if rows.is_empty()), "{e:?}");
        prop_assert!(texts_are_clean(&e));
    }

    /// `Retry-After` in seconds is exactly that delay; as an HTTP date, exactly that instant.
    #[test]
    fn retry_after_seconds_and_dates_round_trip(
        secs in any::<u64>(),
        unix in 0i64..253_402_300_799,
        pad in "[ \t]{0,2}",
    ) {
        let e = reply::error(429, Some(&format!("{pad}{secs}{pad}")), b"");
        prop_assert_eq!(
            e,
            MetrcError::RateLimited { retry_after: Some(RetryAfter::Delay(Duration::from_secs(secs))) }
        );
        let at = jiff::Timestamp::from_second(unix).unwrap();
        let date = httpdate::fmt_http_date(std::time::SystemTime::from(at));
        prop_assert_eq!(RetryAfter::parse(&date), Some(RetryAfter::At(at)));
        let received = jiff::Timestamp::from_second(unix / 2).unwrap();
        prop_assert!(RetryAfter::At(at).not_before(received) >= received);
        prop_assert!(RetryAfter::Delay(Duration::from_secs(secs)).not_before(received) >= received);
    }

    /// Any other header value is "no wait said", never a panic, and the 429 stays a 429.
    #[test]
    fn a_garbled_retry_after_is_no_wait(value in any::<String>()) {
        let e = reply::error(429, Some(&value), b"");
        prop_assert_eq!(e.class(), ErrorClass::RateLimited);
        if let Some(r) = RetryAfter::parse(&value) {
            prop_assert!(r.not_before(jiff::Timestamp::MAX) == jiff::Timestamp::MAX);
            let _ = r.delay_from(jiff::Timestamp::MIN);
        }
    }

    /// A page cut off anywhere is ambiguous, never a shorter list.
    #[test]
    fn a_truncated_page_is_ambiguous(cut in 1usize..200) {
        let body = page_body(3);
        let cut = body.len() - cut.min(body.len() - 1);
        let r = reply::page::<Package>(200, &body[..cut]);
        prop_assert!(matches!(&r, Err(e) if e.class() == ErrorClass::Ambiguous), "{r:?}");
    }
}

fn page_body(n: usize) -> Vec<u8> {
    let data: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({
                "Id": i, "Label": format!("1A40000000000000000{i:05}"), "Quantity": 1.5,
                "UnitOfMeasureName": "Grams"
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "Data": data, "TotalPages": 1 })).unwrap()
}

#[test]
fn an_oversized_page_decodes_whole_and_a_wrong_type_is_ambiguous() {
    let page = reply::page::<Package>(200, &page_body(20_000)).expect("a large page decodes");
    assert_eq!(page.items.len(), 20_000);
    let wrong = br#"{"Data":[{"Id":"one","Label":7}],"TotalPages":"2"}"#;
    let e = reply::page::<Package>(200, wrong).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous);
    assert_eq!(e.code(), "metrc_unavailable");
}

#[test]
fn row_errors_stay_distinct_from_a_message() {
    let e = reply::error(400, None, br#"[{"row":1,"message":"bad\u0000unit"}]"#);
    assert_eq!(
        e,
        MetrcError::Validation {
            rows: vec![RowError {
                row: 1,
                message: "bad unit".into()
            }],
            message: None,
            status: 400
        }
    );
}

/// Found by fuzzing (`fuzz/regressions/metrc_reply/http-402-read-as-a-lost-reply`): a 402 fell
/// outside the 4xx ranges and was `Ambiguous` ("might have landed"), so a refused write would be
/// looked up instead of shown as refused. Every 4xx but 401, 403, 404, 408, 413 and 429 is a
/// refusal.
#[test]
fn every_plain_4xx_is_a_refusal() {
    for status in (400..500).filter(|s| ![401, 403, 404, 408, 413, 429].contains(s)) {
        let e = reply::error(status, None, br#"{"Message":"no"}"#);
        assert_eq!(e.class(), ErrorClass::Validation, "HTTP {status}");
        assert!(!e.might_have_landed(), "HTTP {status}");
        assert_eq!(e.status(), Some(status));
    }
    let regression = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/metrc_reply/http-402-read-as-a-lost-reply");
    let input = std::fs::read(regression).unwrap();
    let body = &input[input.iter().position(|&b| b == b'\n').unwrap() + 1..];
    assert_eq!(
        reply::error(402, None, body).class(),
        ErrorClass::Validation
    );
}
