//! Metrc's reply shapes: row errors, `{"Message"}` errors, empty 401, `{"Ids","Warnings"}`, 429
//! with the configured `Retry-After`.
//!
//! Guarantees: every error reply the emulator sends is built here, so shapes stay consistent.

use crate::options::{Options, RetryAfter};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// A handler's result: the success or the error reply.
pub(crate) type Reply = Result<Response, Response>;

/// One row error, `{"row":N,"message":"..."}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RowError {
    pub row: usize,
    pub message: String,
}

pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn ok_json(v: &Value) -> Response {
    json_response(StatusCode::OK, v)
}

pub(crate) fn message(status: StatusCode, msg: impl Into<String>) -> Response {
    json_response(status, &json!({ "Message": msg.into() }))
}

pub(crate) fn bad_request(msg: impl Into<String>) -> Response {
    message(StatusCode::BAD_REQUEST, msg)
}

pub(crate) fn row_errors(errors: &[RowError]) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!(errors))
}

pub(crate) fn unauthorized() -> Response {
    StatusCode::UNAUTHORIZED.into_response()
}

pub(crate) fn unavailable() -> Response {
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

pub(crate) fn server_error() -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, "An error has occurred.")
}

pub(crate) fn ids(ids: &[u64]) -> Response {
    ok_json(&json!({ "Ids": ids, "Warnings": null }))
}

pub(crate) fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

pub(crate) fn too_many_requests(options: &Options, now: jiff::Timestamp) -> Response {
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
    let value = match options.retry_after {
        RetryAfter::Seconds => Some(options.retry_after_seconds.to_string()),
        RetryAfter::HttpDate => Some(httpdate::fmt_http_date(
            std::time::SystemTime::from(now)
                + std::time::Duration::from_secs(options.retry_after_seconds),
        )),
        RetryAfter::Absent => None,
    };
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
