//! The one error type of `stateline-pos`, and how it goes on the wire.
//!
//! Guarantees: every answer that is not a success is `{"code", "message"}` with a stable code
//! the POS branches on (the store's codes pass through unchanged, so they are the ones the app's
//! screens use) and an HTTP status chosen from the code; no message carries a token, a key or a
//! PIN (tokens are never put in an error; the store never holds a secret).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use stateline_store::StoreError;
use utoipa::ToSchema;

/// Everything the local API can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum PosError {
    /// A store error (validation, on hand, limits, users, disk): its code passes through.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token, or one that matches no integration.
    #[error(
        "this call needs an integration token: send `Authorization: Bearer slk_…`; a manager \
         creates one in Stateline (the Integrations screen, or `stateline integrations add`)"
    )]
    Unauthorized,
    /// The token was revoked by a manager.
    #[error(
        "this integration's token was revoked by a manager; ask them for a new one (the \
         Integrations screen)"
    )]
    TokenRevoked,
    /// The token may not do this.
    #[error(
        "this integration's token may not {action} (it lacks the `{scope}` scope); a manager can \
         create a token with that scope"
    )]
    ScopeMissing {
        /// The scope needed.
        scope: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The request could not be understood.
    #[error("{detail}; nothing was recorded")]
    BadRequest {
        /// What is wrong, naming the field.
        detail: String,
    },
    /// No record was made for this ticket id (by this integration).
    #[error(
        "no record was made for ticket {ticket} by this integration; check the ticket id, or send \
         the sale"
    )]
    UnknownTicket {
        /// The ticket id asked for.
        ticket: String,
    },
    /// The server is stopping: the sale was not handed over.
    #[error(
        "the register's local API is stopping: this sale was not recorded; send the same ticket \
         again in a moment"
    )]
    Stopping,
    /// No route at this path.
    #[error("there is no such route in the local API; see /openapi.json for its routes")]
    NoRoute,
    /// The address to listen on is taken or cannot be used.
    #[error(
        "the local API cannot listen on {address}: {source}; choose another port on the \
         Integrations screen, or stop the program using it"
    )]
    Listen {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate for the local network could not be made or read.
    #[error("the local API's certificate in {path} cannot be used: {detail}; {hint}")]
    Certificate {
        /// The folder or file.
        path: String,
        /// What went wrong.
        detail: String,
        /// What to do.
        hint: &'static str,
    },
    /// A bug.
    #[error("internal error: {0}; please report it")]
    Internal(String),
}

impl From<stateline_tasks::TaskError> for PosError {
    fn from(e: stateline_tasks::TaskError) -> Self {
        PosError::Internal(e.to_string())
    }
}

impl PosError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PosError::Store(e) => e.code(),
            PosError::Unauthorized => "unauthorized",
            PosError::TokenRevoked => "token_revoked",
            PosError::ScopeMissing { .. } => "scope_missing",
            PosError::BadRequest { .. } => "invalid_input",
            PosError::UnknownTicket { .. } => "unknown_ticket",
            PosError::NoRoute => "not_found",
            PosError::Stopping => "api_stopping",
            PosError::Listen { .. } => "api_listen_failed",
            PosError::Certificate { .. } => "api_certificate_failed",
            PosError::Internal(_) => "internal",
        }
    }

    /// The HTTP status the code is answered with.
    pub fn status(&self) -> StatusCode {
        status_of(self.code())
    }
}

/// The HTTP status of an error code: the caller's fault (4xx) unless the register itself cannot
/// record (5xx, worth retrying the same ticket later).
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "unauthorized" | "token_revoked" => StatusCode::UNAUTHORIZED,
        "scope_missing" | "not_allowed" | "user_disabled" | "user_locked" => StatusCode::FORBIDDEN,
        "unknown_ticket" | "unknown_entry" | "unknown_sale" | "not_found" => StatusCode::NOT_FOUND,
        "ticket_conflict" => StatusCode::CONFLICT,
        "disk_full" => StatusCode::INSUFFICIENT_STORAGE,
        "storage_error"
        | "data_folder_read_only"
        | "io_error"
        | "database_in_use"
        | "api_stopping" => StatusCode::SERVICE_UNAVAILABLE,
        "internal" | "api_listen_failed" | "api_certificate_failed" => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// An error as the POS receives it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code to branch on (`invalid_input`, `insufficient_quantity`, `over_limit`,
    /// `ticket_conflict`, `unauthorized`, …).
    pub code: String,
    /// What went wrong and what to do, in words for a person.
    pub message: String,
}

impl IntoResponse for PosError {
    fn into_response(self) -> Response {
        if matches!(self, PosError::Internal(_)) {
            tracing::error!(error = %self, "local API call failed");
        }
        let status = self.status();
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"stateline\""),
            );
        }
        response.extensions_mut().insert(ErrorCode(self.code()));
        response
    }
}

/// The code of an error answer, for the call log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub &'static str);
