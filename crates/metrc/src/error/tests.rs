//! Unit tests of the outcome taxonomy: every status and transport failure lands in its class.

use super::*;

fn s(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

#[test]
fn parses_row_errors_several_per_row() {
    let body = br#"[{"row":0,"message":"Package ABC not found"},{"row":0,"message":"Quantity too high"},{"row":2,"message":"Bad unit"}]"#;
    let err = classify_status(s(400), None, body);
    let MetrcError::Validation {
        rows,
        message,
        status,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 400);
    assert!(message.is_none());
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        RowError {
            row: 0,
            message: "Quantity too high".into()
        }
    );
    assert_eq!(rows[2].row, 2);
    assert_eq!(err.class(), ErrorClass::Validation);
    assert!(err.to_string().contains("row 2: Bad unit"));
}

#[test]
fn parses_message_body() {
    let err = classify_status(s(400), None, br#"{"Message":"No data was submitted."}"#);
    let MetrcError::Validation { rows, message, .. } = &err else {
        panic!()
    };
    assert!(rows.is_empty());
    assert_eq!(message.as_deref(), Some("No data was submitted."));
}

#[test]
fn keeps_a_short_excerpt_of_other_bodies() {
    let body = format!("<html>\n<body>{}</body></html>", "x".repeat(2000));
    let err = classify_status(s(400), None, body.as_bytes());
    let MetrcError::Validation {
        message: Some(m), ..
    } = &err
    else {
        panic!()
    };
    assert!(m.starts_with("<html> <body>xxx"));
    assert!(m.chars().count() <= EXCERPT_LEN + 1);
    let err = classify_status(s(400), None, b"");
    let MetrcError::Validation { message, rows, .. } = &err else {
        panic!()
    };
    assert!(message.is_none() && rows.is_empty());
    assert!(err.to_string().contains("no reason given"));
}

#[test]
fn classifies_statuses() {
    assert_eq!(
        classify_status(s(401), None, b"").class(),
        ErrorClass::Unauthorized
    );
    assert_eq!(
        classify_status(s(403), None, b"").class(),
        ErrorClass::Forbidden
    );
    assert_eq!(
        classify_status(s(404), None, b"").class(),
        ErrorClass::NotFound
    );
    let e = classify_status(
        s(413),
        None,
        br#"{"Message":"Too many objects: limit is 10"}"#,
    );
    let MetrcError::TooLarge { message } = &e else {
        panic!()
    };
    assert_eq!(message.as_deref(), Some("Too many objects: limit is 10"));
    for code in [500, 502, 503, 504, 408, 302] {
        let e = classify_status(s(code), None, b"oops");
        assert_eq!(e.class(), ErrorClass::Ambiguous, "{code}");
        assert_eq!(e.status(), Some(code));
        assert!(e.might_have_landed());
    }
    assert_eq!(
        classify_status(s(409), None, b"dup").class(),
        ErrorClass::Validation
    );
}

#[test]
fn retry_after_seconds() {
    let e = classify_status(s(429), Some("7"), b"");
    let MetrcError::RateLimited {
        retry_after: Some(r),
    } = e
    else {
        panic!()
    };
    assert_eq!(r, RetryAfter::Delay(Duration::from_secs(7)));
    let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
    assert_eq!(r.not_before(now).to_string(), "2026-11-22T10:00:07Z");
    assert_eq!(r.delay_from(now), Duration::from_secs(7));
}

#[test]
fn retry_after_http_date() {
    let r = RetryAfter::parse("Sun, 22 Nov 2026 10:00:30 GMT").unwrap();
    let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
    assert_eq!(r.not_before(now).to_string(), "2026-11-22T10:00:30Z");
    assert_eq!(r.delay_from(now), Duration::from_secs(30));
    let later: jiff::Timestamp = "2026-11-22T11:00:00Z".parse().unwrap();
    assert_eq!(r.delay_from(later), Duration::ZERO);
    assert_eq!(r.not_before(later), later);
}

#[test]
fn retry_after_absent_or_garbage() {
    let e = classify_status(s(429), None, b"");
    assert!(matches!(e, MetrcError::RateLimited { retry_after: None }));
    for bad in ["", "soon", "-5", "1.5", "Sun, 99 Nov"] {
        assert_eq!(RetryAfter::parse(bad), None, "{bad}");
    }
    assert!(e.to_string().contains("429"));
}

#[test]
fn scrub_removes_echoed_keys() {
    let e = parse_validation(400, br#"[{"row":0,"message":"key SECRETKEY123 is bad"}]"#)
        .scrub(&["SECRETKEY123"]);
    assert!(!format!("{e} {e:?}").contains("SECRETKEY123"));
    let e = MetrcError::Unauthorized {
        message: Some("SECRETKEY123".into()),
    }
    .scrub(&["SECRETKEY123"]);
    assert!(!format!("{e} {e:?}").contains("SECRETKEY123"));
}

#[test]
fn every_error_class_has_a_message_with_no_secret() {
    let all = [
        MetrcError::NotSent {
            reason: "connection refused".into(),
        },
        MetrcError::ambiguous(Some(503), "Service Unavailable"),
        MetrcError::Unauthorized { message: None },
        MetrcError::Forbidden {
            message: Some("no".into()),
        },
        parse_validation(400, br#"[{"row":0,"message":"bad"}]"#),
        MetrcError::TooLarge { message: None },
        MetrcError::RateLimited {
            retry_after: RetryAfter::parse("3"),
        },
        MetrcError::NotFound,
        MetrcError::invalid("Page size must be 1 to 20."),
    ];
    for e in all {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("Authorization") && !shown.contains("http"),
            "{shown}"
        );
    }
}
