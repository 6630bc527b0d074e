//! The JSON body of a request, read whole and parsed with the path of a field at fault.
//!
//! Guarantees: a body larger than [`MAX_BODY_BYTES`] or not valid JSON of the expected shape is
//! refused with `invalid_input` naming the field, before anything is written; a request's
//! canonical SHA-256 (of the parsed request, re-serialised) is what ticket idempotency compares,
//! so whitespace or key order in a retry does not make it a conflict.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::PosError;

/// The largest request body read (a sale with hundreds of lines is tens of KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A parsed JSON body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = PosError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| PosError::BadRequest {
                detail: format!("the request body could not be read ({e})"),
            })?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(PosError::BadRequest {
                detail: format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
            });
        }
        parse(&bytes).map(JsonBody)
    }
}

/// Parses `bytes` as `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PosError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        PosError::BadRequest {
            detail: if path.is_empty() || path == "." {
                format!("the body is not the JSON expected: {inner}")
            } else {
                format!("field `{path}`: {inner}")
            },
        }
    })?;
    de.end().map_err(|e| PosError::BadRequest {
        detail: format!("the body has more after its JSON: {e}"),
    })?;
    Ok(value)
}

/// SHA-256 (hex) of `request` serialised again: the same request, however it was written.
pub fn canonical_hash<T: Serialize>(request: &T) -> String {
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    crate::tokens::hex(&Sha256::digest(bytes))
}

/// Query parameters, refused in the API's own shape (`422 invalid_input` naming the parameter)
/// rather than axum's plain-text answer.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = PosError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| PosError::BadRequest {
                detail: format!("the query parameters are not understood: {}", e.body_text()),
            })
    }
}

/// One path parameter, refused in the API's own shape when it cannot be read.
#[derive(Debug)]
pub struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = PosError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|e| PosError::BadRequest {
                detail: format!("the path is not understood: {}", e.body_text()),
            })
    }
}
