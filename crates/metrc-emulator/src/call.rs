//! The per-request context handlers receive (`Call`), and parsing of write bodies into rows.
//!
//! Guarantees: query parameter names are matched case-insensitively, as Metrc does; write bodies
//! get Metrc's error shapes: malformed JSON, wrong types, non-arrays and empty arrays are
//! 400 `{"Message"}`, more objects than the object limit is 413 `{"Message"}`.

use crate::auth::{Need, authorize};
use crate::reply::{bad_request, message, unauthorized};
use crate::server::ConnHandle;
use crate::state::Shared;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Everything a Metrc handler needs about its request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub shared: Arc<Shared>,
    pub params: HashMap<String, String>,
    pub headers: HeaderMap,
    pub path: String,
    pub conn: Option<ConnHandle>,
}

impl FromRequestParts<Arc<Shared>> for Call {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Shared>) -> Result<Self, Response> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|_| bad_request("The query string is invalid."))?;
        let params = pairs
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Ok(Call {
            shared: state.clone(),
            params,
            headers: parts.headers.clone(),
            path: parts.uri.path().to_owned(),
            conn: parts.extensions.get::<ConnHandle>().cloned(),
        })
    }
}

impl Call {
    /// The `licenseNumber` query parameter (400 when missing).
    pub fn license(&self) -> Result<String, Response> {
        match self.params.get("licensenumber") {
            Some(l) if !l.trim().is_empty() => Ok(l.trim().to_owned()),
            _ => Err(bad_request("licenseNumber is required.")),
        }
    }

    /// A query parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Authorises for `license` and returns the user name, or a bare 401.
    pub fn auth(&self, license: Option<&str>, need: Need) -> Result<String, Response> {
        let world = self.shared.lock();
        authorize(&world, &self.headers, license, need).ok_or_else(unauthorized)
    }
}

/// Parses a write body: a non-empty JSON array of at most `object_limit` objects of `T`.
pub(crate) fn parse_rows<T: DeserializeOwned>(
    body: &[u8],
    object_limit: usize,
) -> Result<Vec<T>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad_request("No data was submitted."));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("The request body is not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(bad_request("The request body must be a JSON array."));
    };
    if items.is_empty() {
        return Err(bad_request("No data was submitted."));
    }
    if items.len() > object_limit {
        return Err(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request contains {} objects; at most {object_limit} are allowed.",
                items.len()
            ),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if !item.is_object() {
                return Err(bad_request(format!("Row {i} is not an object.")));
            }
            serde_json::from_value(item)
                .map_err(|e| bad_request(format!("Row {i} is invalid: {e}")))
        })
        .collect()
}
