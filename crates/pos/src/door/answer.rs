//! How the door answers a refusal: in Metrc's own shapes, never Stateline's `{code, message}`.
//!
//! Guarantees: a bad key is `401` with an empty body (Metrc's); a refused row is `400`
//! `[{"row": i, "message": …}]` (Metrc's lower-case keys, one entry per problem); anything else is
//! `{"Message": …}` with a status a Metrc client classifies the same way (`403` the user may not,
//! `404` not found, `413` too many rows, `503` Stateline cannot write or read now — try again);
//! every message says what to do and carries no key (the store's errors never hold one).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use stateline_store::StoreError;

/// One problem with one row of a submitted array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RowProblem {
    /// Index into the submitted array.
    pub row: usize,
    /// What is wrong and what to do.
    pub message: String,
}

/// A refusal, as Metrc would shape it.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// `401`, empty body: the key is not one Stateline accepts.
    Unauthorized,
    /// `400` with one entry per problem row.
    Rows(Vec<RowProblem>),
    /// `{"Message": …}` with this status.
    Message(StatusCode, String),
}

impl Refusal {
    /// `400 {"Message": …}`.
    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::Message(StatusCode::BAD_REQUEST, message.into())
    }

    /// `404 {"Message": …}`.
    pub fn not_found(message: impl Into<String>) -> Refusal {
        Refusal::Message(StatusCode::NOT_FOUND, message.into())
    }

    /// Every row checked: the rows that passed, in order, or a refusal naming every problem of
    /// every row that did not (`checked[i]` is row `i`: its value, or its problems).
    pub fn unless_all_pass<T>(checked: Vec<Result<T, Vec<String>>>) -> Result<Vec<T>, Refusal> {
        let mut passed = Vec::with_capacity(checked.len());
        let mut problems = Vec::new();
        for (row, outcome) in checked.into_iter().enumerate() {
            match outcome {
                Ok(value) => passed.push(value),
                Err(messages) => problems.extend(
                    messages
                        .into_iter()
                        .map(|message| RowProblem { row, message }),
                ),
            }
        }
        if problems.is_empty() {
            Ok(passed)
        } else {
            Err(Refusal::Rows(problems))
        }
    }

    /// A refusal of row `row` for `error`.
    pub fn row(row: usize, message: impl Into<String>) -> Refusal {
        Refusal::Rows(vec![RowProblem {
            row,
            message: message.into(),
        }])
    }
}

/// A receipt Id from a path, or Metrc's `404` for one that is not a number.
pub(crate) fn receipt_id(text: &str) -> Result<i64, Refusal> {
    text.trim()
        .parse()
        .map_err(|_| Refusal::not_found(format!("{text:?} is not a receipt Id")))
}

/// The HTTP status a store error is answered with when it is not about one row.
fn status_of_store(e: &StoreError) -> StatusCode {
    match e.code() {
        "not_allowed" | "user_disabled" | "user_locked" | "unknown_user" => StatusCode::FORBIDDEN,
        "unknown_entry" | "unknown_sale" => StatusCode::NOT_FOUND,
        code => {
            let status = crate::status_of(code);
            if status.is_server_error() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

/// Whether a store error is the register's own trouble (disk, database), not the request's.
pub(crate) fn is_register_trouble(e: &StoreError) -> bool {
    crate::status_of(e.code()).is_server_error()
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        let status = status_of_store(&e);
        if status.is_server_error() {
            tracing::warn!(code = e.code(), error = %e, "the door could not use the store");
            return Refusal::Message(
                status,
                format!(
                    "Stateline could not do this now: {e}. Nothing was recorded; send the same request again later."
                ),
            );
        }
        Refusal::Message(status, e.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Refusal::Rows(rows) => (StatusCode::BAD_REQUEST, axum::Json(rows)).into_response(),
            Refusal::Message(status, message) => {
                (status, axum::Json(json!({ "Message": message }))).into_response()
            }
        }
    }
}
