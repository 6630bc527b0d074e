//! The error shape at the IPC boundary: `{code, message}`.
//!
//! Guarantees: `code` is [`ApiError::code`] (stable snake_case; the UI branches on it, never on
//! the text) and `message` is the error's own message, which says what to do next and never holds
//! a key or a PIN (see `ApiError`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ApiError;

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<ApiError> for IpcError {
    fn from(error: ApiError) -> Self {
        IpcError {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for IpcError {}

#[cfg(test)]
mod tests {
    use super::*;
    use stateline_store::StoreError;

    #[test]
    fn carries_the_stable_code_and_the_message() {
        let error = IpcError::from(ApiError::from(StoreError::UnknownEntry(7)));
        assert_eq!(error.code, "unknown_entry");
        assert!(error.message.contains("#7"), "{}", error.message);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["code"], "unknown_entry");
    }
}
