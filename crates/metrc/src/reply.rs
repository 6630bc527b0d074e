//! Decoding Metrc's replies apart from the network: what the client makes of a status, a
//! `Retry-After` header and a body once they have been read. The transport calls exactly these
//! functions; they are public so that every reply shape can be tested and fuzzed without a server.
//!
//! Guarantees: no input panics, and the work is linear in the body (serde_json's nesting limit
//! bounds recursion); a 2xx body that cannot be decoded is [`MetrcError::Ambiguous`] (a write may
//! have landed); any other status is classified by [`error`] from the status alone, the body only
//! adding Metrc's words (sanitized, at most [`crate::error::EXCERPT_LEN`] characters a text) and
//! the header only the wait of a 429. Every outcome carries a code ([`MetrcError::code`]).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{MetrcError, classify_status, sanitize};
use crate::models::WriteOutcome;

/// One page of a paged list (`GET` with `pageNumber`/`pageSize`).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's objects.
    pub items: Vec<T>,
    /// `TotalPages` as Metrc sent it; `Some(1)` for a bare array (paging ignored by the server).
    pub total_pages: Option<u32>,
}

/// The v2 list envelope (only the fields paging needs).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    data: serde_json::Value,
    #[serde(default)]
    total_pages: Option<u32>,
}

fn undecodable(status: u16, reason: impl std::fmt::Display) -> MetrcError {
    MetrcError::ambiguous(
        Some(status),
        format!(
            "the reply could not be decoded: {}",
            sanitize(&reason.to_string())
        ),
    )
}

fn json<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, MetrcError> {
    serde_json::from_slice(body).map_err(|e| undecodable(status, e))
}

fn from_value<T: DeserializeOwned>(status: u16, v: serde_json::Value) -> Result<T, MetrcError> {
    serde_json::from_value(v).map_err(|e| undecodable(status, e))
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// A 2xx page of a list: `{"Data":[…],"TotalPages":n,…}` or a bare array.
pub fn page<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Page<T>, MetrcError> {
    let value: serde_json::Value = json(status, body)?;
    let (data, total_pages) = match value {
        serde_json::Value::Array(_) => (value, Some(1)),
        serde_json::Value::Object(_) => {
            let env: Envelope = from_value(status, value)?;
            (env.data, env.total_pages)
        }
        _ => {
            return Err(MetrcError::ambiguous(
                Some(status),
                "the reply was neither a list nor a page of results",
            ));
        }
    };
    Ok(Page {
        items: from_value(status, data)?,
        total_pages,
    })
}

/// A 2xx reply of a small lookup: a bare array, or an envelope whose `Data` is one.
pub fn list<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Vec<T>, MetrcError> {
    let value: serde_json::Value = json(status, body)?;
    let data = match value {
        serde_json::Value::Object(_) => from_value::<Envelope>(status, value)?.data,
        other => other,
    };
    from_value(status, data)
}

/// A 2xx reply to a GET of one object: an empty body or `null` is "not found".
pub fn optional<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Option<T>, MetrcError> {
    if is_blank(body) {
        return Ok(None);
    }
    json(status, body)
}

/// A 2xx reply to a POST: `{"Ids":[…],"Warnings":…}`; an empty body is a success without ids.
pub fn write(status: u16, body: &[u8]) -> Result<WriteOutcome, MetrcError> {
    if is_blank(body) {
        return Ok(WriteOutcome::default());
    }
    json(status, body)
}

/// A reply whose status is not 2xx: 400 with row errors or a message, 401, 403, 404, 413, 429
/// with its `Retry-After` (seconds or an HTTP date; anything else is no wait), other 4xx, 5xx.
/// A status that is not an HTTP status at all (outside 100–999) is an unexpected reply.
pub fn error(status: u16, retry_after: Option<&str>, body: &[u8]) -> MetrcError {
    match reqwest::StatusCode::from_u16(status) {
        Ok(s) => classify_status(s, retry_after, body),
        Err(_) => MetrcError::ambiguous(Some(status), "unexpected reply from Metrc"),
    }
}
