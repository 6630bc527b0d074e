//! Error classification: every outcome of a Metrc call that the delivery engine must tell apart.
//!
//! Guarantees:
//! - [`MetrcError::NotSent`] only when the request provably never left this machine (connection
//!   refused, DNS, TLS handshake, connect timeout): safe to retry blindly.
//! - Anything that might have reached Metrc and been committed (timeout after sending, reset,
//!   truncated or undecodable reply, any 5xx, an unexpected 1xx/3xx) is [`MetrcError::Ambiguous`].
//! - Messages are short, say what to do next, and never contain a key, an `Authorization`
//!   header or a URL (reqwest errors are stripped with `without_url` and reworded).

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// Longest excerpt of a Metrc reply kept in an error.
pub const EXCERPT_LEN: usize = 300;

/// One row error from a 400 reply: `row` indexes the submitted array.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct RowError {
    /// Index into the array that was sent.
    pub row: usize,
    /// Metrc's message for that row.
    pub message: String,
}

/// A parsed `Retry-After` header, in the form Metrc sent it.
///
/// The engine needs "not before instant X": call [`RetryAfter::not_before`] with the time the
/// reply was received (from its injected clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`, relative to when the reply arrived.
    Delay(Duration),
    /// `Retry-After: <HTTP date>`, an absolute instant.
    At(jiff::Timestamp),
}

impl RetryAfter {
    /// Parses a header value: non-negative integer seconds or an HTTP date. `None` otherwise.
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return v
                .parse::<u64>()
                .ok()
                .map(|s| Self::Delay(Duration::from_secs(s)));
        }
        let t = httpdate::parse_http_date(v).ok()?;
        jiff::Timestamp::try_from(t).ok().map(Self::At)
    }

    /// The earliest instant to try again, given when the reply was received.
    pub fn not_before(&self, received_at: jiff::Timestamp) -> jiff::Timestamp {
        match *self {
            Self::Delay(d) => jiff::SignedDuration::try_from(d)
                .ok()
                .and_then(|d| received_at.checked_add(d).ok())
                .unwrap_or(jiff::Timestamp::MAX),
            Self::At(at) => at.max(received_at),
        }
    }

    /// How long to wait from `now` (zero for a date already past).
    pub fn delay_from(&self, now: jiff::Timestamp) -> Duration {
        match *self {
            Self::Delay(d) => d,
            Self::At(at) => Duration::try_from(now.duration_until(at)).unwrap_or(Duration::ZERO),
        }
    }
}

/// The class of a [`MetrcError`]: what the delivery engine does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Never left this machine: retry with backoff.
    NotSent,
    /// Might have landed: look the record up before sending again.
    Ambiguous,
    /// 401: the key is bad, or the user lacks a permission / licence.
    Unauthorized,
    /// 403: no access to the resource (treat like 401 for permissions).
    Forbidden,
    /// 400: Metrc rejected the content; a person must fix it.
    Validation,
    /// 413: too many objects in one request; split the batch.
    TooLarge,
    /// 429: wait (honouring `Retry-After`) and try again.
    RateLimited,
    /// 404: no such route or object.
    NotFound,
    /// Our own input was bad; nothing was sent.
    InvalidInput,
}

impl ErrorClass {
    /// A stable snake_case code for the IPC boundary and the attempt log.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotSent => "not_sent",
            Self::Ambiguous => "ambiguous",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Validation => "validation",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::InvalidInput => "invalid_input",
        }
    }
}

/// Every outcome of a Metrc call other than success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetrcError {
    /// The request never left this machine.
    #[error(
        "Metrc could not be reached ({reason}); nothing was sent. Check the internet connection; sending will be retried."
    )]
    NotSent {
        /// Short cause, e.g. "connection refused".
        reason: String,
    },
    /// The request may have reached Metrc and been saved.
    #[error(
        "Metrc's answer was lost or unusable ({reason}{}); the request may have been saved. Look it up before sending again.",
        status.map(|s| format!(", HTTP {s}")).unwrap_or_default()
    )]
    Ambiguous {
        /// HTTP status, when a reply line arrived.
        status: Option<u16>,
        /// Short cause.
        reason: String,
    },
    /// HTTP 401.
    #[error(
        "Metrc refused the key (HTTP 401): the key is wrong or was regenerated, or its user lacks permission for this licence. Validate the key{}.",
        message.as_deref().map(|m| format!("; Metrc said: {m}")).unwrap_or_default()
    )]
    Unauthorized {
        /// Metrc's message, if the body had one.
        message: Option<String>,
    },
    /// HTTP 403.
    #[error(
        "Metrc denied access (HTTP 403): the key's user lacks permission for this. Check the user's permissions in Metrc{}.",
        message.as_deref().map(|m| format!("; Metrc said: {m}")).unwrap_or_default()
    )]
    Forbidden {
        /// Metrc's message, if the body had one.
        message: Option<String>,
    },
    /// HTTP 400 (or another 4xx that means "rejected").
    #[error("Metrc rejected the request: {}. Correct it and send again.", validation_summary(rows, message.as_deref()))]
    Validation {
        /// Per-row errors (several per row possible), when Metrc sent the array form.
        rows: Vec<RowError>,
        /// Metrc's `{"Message":…}`, or a short sanitized excerpt of an unrecognised body.
        message: Option<String>,
        /// The HTTP status (400, or another 4xx such as 409/422).
        status: u16,
    },
    /// HTTP 413.
    #[error(
        "Metrc refused the request as too large (HTTP 413){}. Send fewer records per request.",
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    TooLarge {
        /// Metrc's message.
        message: Option<String>,
    },
    /// HTTP 429.
    #[error("Metrc is rate limiting this register (HTTP 429){}. Wait before sending again.",
        retry_after.map(|r| match r {
            RetryAfter::Delay(d) => format!("; retry after {} s", d.as_secs()),
            RetryAfter::At(t) => format!("; retry after {t}"),
        }).unwrap_or_default())]
    RateLimited {
        /// The parsed `Retry-After` header, if present and valid.
        retry_after: Option<RetryAfter>,
    },
    /// HTTP 404.
    #[error(
        "Metrc does not know this address or object (HTTP 404). Check the licence, label or number."
    )]
    NotFound,
    /// Our own input was bad; nothing was sent.
    #[error("{message}")]
    InvalidInput {
        /// What was wrong and what to do.
        message: String,
    },
}

fn validation_summary(rows: &[RowError], message: Option<&str>) -> String {
    let mut parts: Vec<String> = rows
        .iter()
        .map(|r| format!("row {}: {}", r.row, r.message))
        .collect();
    if let Some(m) = message {
        parts.push(m.to_owned());
    }
    if parts.is_empty() {
        "no reason given".to_owned()
    } else {
        parts.join("; ")
    }
}

impl MetrcError {
    /// The class the delivery engine branches on.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotSent { .. } => ErrorClass::NotSent,
            Self::Ambiguous { .. } => ErrorClass::Ambiguous,
            Self::Unauthorized { .. } => ErrorClass::Unauthorized,
            Self::Forbidden { .. } => ErrorClass::Forbidden,
            Self::Validation { .. } => ErrorClass::Validation,
            Self::TooLarge { .. } => ErrorClass::TooLarge,
            Self::RateLimited { .. } => ErrorClass::RateLimited,
            Self::NotFound => ErrorClass::NotFound,
            Self::InvalidInput { .. } => ErrorClass::InvalidInput,
        }
    }

    /// The stable code this failure has at the IPC boundary, by class (prefixed `metrc_` so it
    /// never collides with Stateline's own codes). Every crate that wraps a Metrc error uses it.
    pub fn code(&self) -> &'static str {
        match self.class() {
            ErrorClass::NotSent => "metrc_unreachable",
            ErrorClass::Ambiguous => "metrc_unavailable",
            ErrorClass::Unauthorized | ErrorClass::Forbidden => "metrc_key_refused",
            ErrorClass::Validation => "metrc_rejected",
            ErrorClass::TooLarge => "metrc_too_large",
            ErrorClass::RateLimited => "metrc_rate_limited",
            ErrorClass::NotFound => "metrc_not_found",
            ErrorClass::InvalidInput => "metrc_invalid_input",
        }
    }

    /// True when a write with this outcome may have been saved by Metrc.
    pub fn might_have_landed(&self) -> bool {
        self.class() == ErrorClass::Ambiguous
    }

    /// The HTTP status Metrc answered with, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::NotSent { .. } | Self::InvalidInput { .. } => None,
            Self::Ambiguous { status, .. } => *status,
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::Validation { status, .. } => Some(*status),
            Self::TooLarge { .. } => Some(413),
            Self::RateLimited { .. } => Some(429),
            Self::NotFound => Some(404),
        }
    }

    pub(crate) fn ambiguous(status: Option<u16>, reason: impl Into<String>) -> Self {
        Self::Ambiguous {
            status,
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput {
            message: message.into(),
        }
    }

    /// Replaces any occurrence of the given secrets in the error's texts with `[redacted]`, in case
    /// a reply echoed a key back.
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        let fix = |t: &mut String| {
            for s in secrets.iter().filter(|s| !s.is_empty()) {
                if t.contains(s) {
                    *t = t.replace(s, "[redacted]");
                }
            }
        };
        match &mut self {
            Self::NotSent { reason } | Self::Ambiguous { reason, .. } => fix(reason),
            Self::Unauthorized { message }
            | Self::Forbidden { message }
            | Self::TooLarge { message } => {
                if let Some(m) = message {
                    fix(m);
                }
            }
            Self::Validation { rows, message, .. } => {
                rows.iter_mut().for_each(|r| fix(&mut r.message));
                if let Some(m) = message {
                    fix(m);
                }
            }
            Self::InvalidInput { message } => fix(message),
            Self::RateLimited { .. } | Self::NotFound => {}
        }
        self
    }

    /// Classifies a transport error from reqwest. The URL is stripped and the wording is ours,
    /// so nothing of the request (URL, headers, keys) can leak into the message.
    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_builder() {
            return Self::invalid(
                "The Metrc request could not be built. Check the Metrc address in the settings.",
            );
        }
        if err.is_connect() {
            return Self::NotSent {
                reason: connect_reason(&err).into(),
            };
        }
        if err.is_timeout() {
            return Self::ambiguous(None, "timed out waiting for Metrc's reply");
        }
        if err.is_body() || err.is_decode() {
            return Self::ambiguous(None, "the reply was cut off");
        }
        Self::ambiguous(None, "the connection failed after the request was sent")
    }
}

/// A short, fixed-vocabulary reason for a connect failure (no URL, no host names).
fn connect_reason(err: &reqwest::Error) -> &'static str {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    while let Some(s) = source {
        chain.push_str(&s.to_string().to_ascii_lowercase());
        chain.push(' ');
        source = s.source();
    }
    if err.is_timeout() || chain.contains("timed out") {
        "connecting timed out"
    } else if chain.contains("refused") {
        "connection refused"
    } else if chain.contains("dns") || chain.contains("resolve") || chain.contains("lookup") {
        "the Metrc address could not be resolved"
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        "the secure connection could not be set up"
    } else {
        "could not connect"
    }
}

/// Trims, flattens and caps a piece of reply text for an error message.
pub(crate) fn sanitize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.chars().count() > EXCERPT_LEN {
        let mut s: String = cleaned.chars().take(EXCERPT_LEN).collect();
        s.push('…');
        s
    } else {
        cleaned
    }
}

#[derive(Deserialize)]
struct RawRow {
    #[serde(alias = "Row")]
    row: usize,
    #[serde(alias = "Message")]
    message: String,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(alias = "message")]
    #[serde(rename = "Message")]
    message: String,
}

/// Metrc's message from a body, when it is `{"Message":…}`; otherwise a sanitized excerpt of a
/// non-empty body.
pub(crate) fn body_message(body: &[u8]) -> Option<String> {
    if let Ok(m) = serde_json::from_slice::<RawMessage>(body) {
        return Some(sanitize(&m.message));
    }
    let text = String::from_utf8_lossy(body);
    let s = sanitize(&text);
    (!s.is_empty()).then_some(s)
}

/// Parses a 400 body: the row array, `{"Message":…}`, or a sanitized excerpt.
pub(crate) fn parse_validation(status: u16, body: &[u8]) -> MetrcError {
    if let Ok(rows) = serde_json::from_slice::<Vec<RawRow>>(body) {
        return MetrcError::Validation {
            rows: rows
                .into_iter()
                .map(|r| RowError {
                    row: r.row,
                    message: sanitize(&r.message),
                })
                .collect(),
            message: None,
            status,
        };
    }
    MetrcError::Validation {
        rows: Vec::new(),
        message: body_message(body),
        status,
    }
}

/// Classifies a non-success HTTP status with its headers and body.
pub(crate) fn classify_status(
    status: StatusCode,
    retry_after: Option<&str>,
    body: &[u8],
) -> MetrcError {
    let code = status.as_u16();
    match code {
        400 => parse_validation(code, body),
        401 => MetrcError::Unauthorized {
            message: body_message(body),
        },
        403 => MetrcError::Forbidden {
            message: body_message(body),
        },
        404 => MetrcError::NotFound,
        413 => MetrcError::TooLarge {
            message: body_message(body),
        },
        429 => MetrcError::RateLimited {
            retry_after: retry_after.and_then(RetryAfter::parse),
        },
        // 408 means the server gave up reading the request; conservatively it might have landed.
        408 => MetrcError::ambiguous(Some(code), "Metrc timed out reading the request"),
        // Every other 4xx refuses the request (402 included: a refusal, not a lost reply).
        402 | 405..=499 => parse_validation(code, body),
        500..=599 => MetrcError::ambiguous(
            Some(code),
            body_message(body).unwrap_or_else(|| "Metrc server error".to_owned()),
        ),
        _ => MetrcError::ambiguous(Some(code), "unexpected reply from Metrc"),
    }
}

#[cfg(test)]
mod tests;
