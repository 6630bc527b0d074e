//! Oracle of the `metrc_reply` target: any status and body, decoded as each endpoint's reply
//! (`metrc::reply`, the functions the client itself calls).
//!
//! Input: a first line `<endpoint> <status>` (see [`ENDPOINTS`]), then the body. A first line
//! that does not name an endpoint still picks one and a status from its bytes, so every input
//! reaches a decoder. Checks: nothing panics; a 2xx reply decodes or is `Ambiguous` with its
//! status (a write may have landed); any other status is classified by the status alone —
//! the class, the code and the status the error reports all follow from it — and every text kept
//! from the body is sanitized (no control characters) and short.

use metrc::error::EXCERPT_LEN;
use metrc::models::patients::PatientStatus;
use metrc::reply;
use metrc::{
    AdjustReason, AdjustmentRecord, DeliveryPackage, Employee, ErrorClass, Facility, Item,
    MetrcError, Package, Receipt, Transfer, TransferDelivery, UnitOfMeasure,
};
use serde::de::DeserializeOwned;

/// Every decoded reply shape, by the name the first line uses (the client call it serves).
pub const ENDPOINTS: &[&str] = &[
    "facilities",
    "employees",
    "employee_permissions",
    "units_of_measure",
    "customer_types",
    "create_receipts",
    "receipt",
    "active_receipts",
    "package",
    "active_packages",
    "package_types",
    "adjust_reasons",
    "adjust_packages",
    "package_adjustments",
    "create_packages",
    "incoming_transfers",
    "transfer_deliveries",
    "delivery_packages",
    "active_items",
    "patient_statuses",
    "no_body",
];

/// Statuses an input without a readable first line is given, by its bytes.
const STATUSES: &[u16] = &[
    200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 500, 502, 503, 302, 100, 0,
    999,
];

fn split(data: &[u8]) -> (&'static str, u16, &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let text = String::from_utf8_lossy(head);
    let mut words = text.split_whitespace();
    let named = words
        .next()
        .and_then(|w| ENDPOINTS.iter().find(|e| **e == w).copied());
    let status = words.next().and_then(|w| w.parse::<u16>().ok());
    let sum = head
        .iter()
        .fold(0usize, |a, &b| a.wrapping_mul(31).wrapping_add(b.into()));
    let endpoint = named.unwrap_or(ENDPOINTS[sum % ENDPOINTS.len()]);
    let status = status.unwrap_or(STATUSES[(sum / ENDPOINTS.len()) % STATUSES.len()]);
    (endpoint, status, body)
}

/// Runs one input through the oracle (panics on a finding).
pub fn check(data: &[u8]) {
    let (endpoint, status, body) = split(data);
    if (200..300).contains(&status) {
        if let Err(e) = decode(endpoint, status, body) {
            assert_eq!(
                e.class(),
                ErrorClass::Ambiguous,
                "{endpoint}: an undecodable 2xx reply must be ambiguous, got {e:?}"
            );
            assert_eq!(e.status(), Some(status), "{endpoint}: {e:?}");
            check_texts(&e);
        }
    } else {
        let e = reply::error(status, None, body);
        check_error(status, body, &e);
    }
}

fn page<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(), MetrcError> {
    reply::page::<T>(status, body).map(drop)
}

fn list<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(), MetrcError> {
    reply::list::<T>(status, body).map(drop)
}

fn optional<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(), MetrcError> {
    reply::optional::<T>(status, body).map(drop)
}

fn decode(endpoint: &str, status: u16, body: &[u8]) -> Result<(), MetrcError> {
    match endpoint {
        "facilities" => list::<Facility>(status, body),
        "employees" => page::<Employee>(status, body),
        "employee_permissions" | "customer_types" | "package_types" => list::<String>(status, body),
        "units_of_measure" => list::<UnitOfMeasure>(status, body),
        "create_receipts" | "adjust_packages" | "create_packages" => {
            reply::write(status, body).map(drop)
        }
        "receipt" => optional::<Receipt>(status, body),
        "active_receipts" => page::<Receipt>(status, body),
        "package" => optional::<Package>(status, body),
        "active_packages" => page::<Package>(status, body),
        "adjust_reasons" => page::<AdjustReason>(status, body),
        "package_adjustments" => page::<AdjustmentRecord>(status, body),
        "incoming_transfers" => page::<Transfer>(status, body),
        "transfer_deliveries" => page::<TransferDelivery>(status, body),
        "delivery_packages" => page::<DeliveryPackage>(status, body),
        "active_items" => page::<Item>(status, body),
        "patient_statuses" => optional::<Vec<PatientStatus>>(status, body),
        _ => Ok(()),
    }
}

/// The class a non-2xx status must get, whatever the body says.
fn expected_class(status: u16) -> ErrorClass {
    match status {
        400 | 405..=407 | 409..=412 | 414..=428 | 430..=499 => ErrorClass::Validation,
        401 => ErrorClass::Unauthorized,
        403 => ErrorClass::Forbidden,
        402 => ErrorClass::Validation,
        404 => ErrorClass::NotFound,
        413 => ErrorClass::TooLarge,
        429 => ErrorClass::RateLimited,
        _ => ErrorClass::Ambiguous,
    }
}

/// Checks an error reply's classification and texts; shared with the `retry_after` oracle.
pub fn check_error(status: u16, body: &[u8], e: &MetrcError) {
    assert_eq!(
        e.class(),
        expected_class(status),
        "HTTP {status} classified as {e:?}"
    );
    assert_eq!(e.status(), Some(status), "HTTP {status}: {e:?}");
    assert!(!e.code().is_empty(), "HTTP {status}: no code");
    check_texts(e);
    if let MetrcError::Validation { rows, .. } = e {
        assert!(
            rows.len() <= body.len() / 2,
            "{} row errors from a body of {} bytes",
            rows.len(),
            body.len()
        );
    }
}

/// Every text an error keeps from a reply is one line, without control characters, and short.
fn check_texts(e: &MetrcError) {
    let mut texts: Vec<&str> = Vec::new();
    match e {
        MetrcError::NotSent { reason } | MetrcError::Ambiguous { reason, .. } => texts.push(reason),
        MetrcError::Unauthorized { message }
        | MetrcError::Forbidden { message }
        | MetrcError::TooLarge { message } => texts.extend(message.as_deref()),
        MetrcError::Validation { rows, message, .. } => {
            texts.extend(rows.iter().map(|r| r.message.as_str()));
            texts.extend(message.as_deref());
        }
        MetrcError::InvalidInput { message } => texts.push(message),
        MetrcError::RateLimited { .. } | MetrcError::NotFound => {}
    }
    for t in texts {
        assert!(
            !t.chars().any(char::is_control),
            "a control character reached an error text: {t:?}"
        );
        assert!(
            t.chars().count() <= EXCERPT_LEN + 60,
            "an error text of {} characters",
            t.chars().count()
        );
    }
    let shown = e.to_string();
    assert!(!shown.is_empty());
}
