//! v2 list envelopes and paging, and the `lastModifiedStart/End` filter.
//!
//! Guarantees: paging is off unless both `pageNumber` (1-based) and `pageSize` are given;
//! `pageSize` over 20, zero or non-numeric values answer 400 `{"Message"}`; filter timestamps must
//! be ISO-8601 with an offset (400 otherwise).

use crate::reply::bad_request;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Largest page Metrc allows.
pub const MAX_PAGE_SIZE: usize = 20;

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, Response> {
    match params.get(&name.to_ascii_lowercase()) {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse::<usize>()
            .map(Some)
            .map_err(|_| bad_request(format!("The value '{s}' is not valid for {name}."))),
    }
}

/// Wraps `items` in the envelope, paging if asked.
pub(crate) fn envelope(
    items: Vec<Value>,
    params: &HashMap<String, String>,
) -> Result<Value, Response> {
    let page_number = number(params, "pageNumber")?;
    let page_size = number(params, "pageSize")?;
    if let Some(size) = page_size {
        if size > MAX_PAGE_SIZE {
            return Err(bad_request(format!(
                "The value of pageSize cannot exceed {MAX_PAGE_SIZE}."
            )));
        }
        if size == 0 {
            return Err(bad_request("The value of pageSize must be greater than 0."));
        }
    }
    if page_number == Some(0) {
        return Err(bad_request(
            "The value of pageNumber must be greater than 0.",
        ));
    }
    let total = items.len();
    let (data, page, size, pages) = match (page_number, page_size) {
        (Some(page), Some(size)) => {
            let pages = total.div_ceil(size);
            let data: Vec<Value> = items
                .into_iter()
                .skip((page - 1).saturating_mul(size))
                .take(size)
                .collect();
            (data, page, size, pages)
        }
        _ => (items, 1, total, usize::from(total > 0)),
    };
    Ok(json!({
        "Data": data,
        "Total": total,
        "TotalRecords": total,
        "PageSize": size,
        "RecordsOnPage": data.len(),
        "Page": page,
        "CurrentPage": page,
        "TotalPages": pages,
    }))
}

/// The `lastModifiedStart`/`lastModifiedEnd` window (both inclusive, both optional).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Window {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

impl Window {
    pub fn from_params(params: &HashMap<String, String>) -> Result<Window, Response> {
        let parse = |name: &str| -> Result<Option<Timestamp>, Response> {
            match params.get(&name.to_ascii_lowercase()) {
                None => Ok(None),
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => s.trim().parse::<Timestamp>().map(Some).map_err(|_| {
                    bad_request(format!(
                        "The value '{s}' is not valid for {name}: use ISO-8601 with an offset."
                    ))
                }),
            }
        };
        let w = Window {
            start: parse("lastModifiedStart")?,
            end: parse("lastModifiedEnd")?,
        };
        if let (Some(s), Some(e)) = (w.start, w.end)
            && s > e
        {
            return Err(bad_request(
                "lastModifiedStart must not be after lastModifiedEnd.",
            ));
        }
        Ok(w)
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e)
    }
}

/// Metrc's timestamp form with an offset, e.g. `2026-11-22T14:02:11.123456+00:00`.
pub(crate) fn fmt_ts(t: Timestamp) -> String {
    t.display_with_offset(jiff::tz::Offset::UTC).to_string()
}
