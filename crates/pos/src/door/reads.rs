//! What every door route shares: query parameters (names ignoring case, as Metrc takes them),
//! the licence a call is for, the `lastModified` window, v2 list envelopes and paging, and what
//! a call forwarded to Metrc came back with.
//!
//! Guarantees: envelopes are Metrc's `{Data, Total, TotalRecords, PageSize, RecordsOnPage, Page,
//! CurrentPage, TotalPages}`, unpaged unless both `pageNumber` and `pageSize` (1 to 20) are given;
//! Metrc refusing the caller's key is answered as Metrc does (`401`, empty body); Metrc not
//! answering (unreachable, outage, rate limited) is [`Reached::Down`], so the route answers from
//! the local store instead of failing.

use std::collections::HashMap;

use jiff::Timestamp;
use metrc::{ErrorClass, LastModifiedWindow, MetrcError};
use serde::Serialize;
use serde_json::{Value, json};
use stateline_store::{Database, Licence};

use super::answer::Refusal;

/// The query parameters, by lower-cased name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// From the query string's pairs.
    pub fn new(pairs: HashMap<String, String>) -> Params {
        Params(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        )
    }

    /// A non-blank parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(&name.to_ascii_lowercase())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// `licenseNumber`, required.
    pub fn licence(&self) -> Result<String, Refusal> {
        self.get("licenseNumber").map(str::to_owned).ok_or_else(|| {
            Refusal::bad_request(
                "licenseNumber is required; add ?licenseNumber=<the facility's licence> to the call",
            )
        })
    }

    fn time(&self, name: &str) -> Result<Option<Timestamp>, Refusal> {
        self.get(name)
            .map(|t| {
                t.parse::<Timestamp>().map_err(|_| {
                    Refusal::bad_request(format!(
                        "{name} {t:?} is not a time; send ISO-8601 with an offset, like \
                         2026-11-22T10:00:00Z"
                    ))
                })
            })
            .transpose()
    }

    /// The `lastModifiedStart`/`lastModifiedEnd` window; `default_hours` back from now when
    /// neither is given.
    pub fn window(
        &self,
        now: Timestamp,
        default_hours: i64,
    ) -> Result<LastModifiedWindow, Refusal> {
        let start = self.time("lastModifiedStart")?;
        let end = self.time("lastModifiedEnd")?;
        let end = end.unwrap_or(now);
        let start = start.unwrap_or_else(|| {
            end.checked_sub(jiff::SignedDuration::from_hours(default_hours))
                .unwrap_or(Timestamp::MIN)
        });
        if end < start {
            return Err(Refusal::bad_request(
                "lastModifiedEnd is before lastModifiedStart; swap them",
            ));
        }
        Ok(LastModifiedWindow { start, end })
    }

    /// Whether a window was asked for at all.
    pub fn has_window(&self) -> bool {
        self.get("lastModifiedStart").is_some() || self.get("lastModifiedEnd").is_some()
    }

    fn number(&self, name: &str) -> Result<Option<usize>, Refusal> {
        self.get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    Refusal::bad_request(format!("The value '{v}' is not valid for {name}."))
                })
            })
            .transpose()
    }

    /// `(pageNumber, pageSize)` when both are given, checked as Metrc does.
    pub fn paging(&self) -> Result<Option<(usize, usize)>, Refusal> {
        let page = self.number("pageNumber")?;
        let size = self.number("pageSize")?;
        if let Some(size) = size
            && (size == 0 || size > metrc::MAX_PAGE_SIZE as usize)
        {
            return Err(Refusal::bad_request(format!(
                "The value of pageSize must be 1 to {}.",
                metrc::MAX_PAGE_SIZE
            )));
        }
        if page == Some(0) {
            return Err(Refusal::bad_request(
                "The value of pageNumber must be greater than 0.",
            ));
        }
        Ok(page.zip(size))
    }
}

/// A licence this register works for (its time zone converts Metrc's local times).
pub(crate) fn licence_here(db: &Database, number: &str) -> Result<Licence, Refusal> {
    db.licence(number).map_err(|e| match e {
        stateline_store::StoreError::UnknownLicence(_) => Refusal::bad_request(format!(
            "This register does not work for licence {number}; use the licence Stateline was set \
             up with (GET /facilities/v2 lists it)"
        )),
        other => other.into(),
    })
}

/// Whether `at` is inside `window` (both ends inclusive).
pub(crate) fn within(window: &LastModifiedWindow, at: Timestamp) -> bool {
    window.start <= at && at <= window.end
}

/// `items` in Metrc's v2 envelope, paged as asked.
pub(crate) fn envelope<T: Serialize>(items: Vec<T>, paging: Option<(usize, usize)>) -> Value {
    let total = items.len();
    let (data, page, size, pages): (Vec<T>, usize, usize, usize) = match paging {
        Some((page, size)) => (
            items
                .into_iter()
                .skip((page - 1).saturating_mul(size))
                .take(size)
                .collect(),
            page,
            size,
            total.div_ceil(size),
        ),
        None => (items, 1, total, usize::from(total > 0)),
    };
    json!({
        "Data": data,
        "Total": total,
        "TotalRecords": total,
        "PageSize": size,
        "RecordsOnPage": data.len(),
        "Page": page,
        "CurrentPage": page,
        "TotalPages": pages,
    })
}

/// What a call forwarded to Metrc came back with.
#[derive(Debug)]
pub(crate) enum Reached<T> {
    /// Metrc answered.
    Answer(T),
    /// Metrc did not answer (why, in words): answer from the local store.
    Down(String),
}

/// Sorts a forwarded call's outcome: Metrc's refusals become the door's, in Metrc's shapes.
pub(crate) fn reached<T>(outcome: Result<T, MetrcError>) -> Result<Reached<T>, Refusal> {
    match outcome {
        Ok(answer) => Ok(Reached::Answer(answer)),
        Err(e) => match e.class() {
            ErrorClass::NotSent | ErrorClass::Ambiguous | ErrorClass::RateLimited => {
                tracing::debug!(code = e.code(), "Metrc did not answer the door's read");
                Ok(Reached::Down(e.to_string()))
            }
            ErrorClass::Unauthorized | ErrorClass::Forbidden => Err(Refusal::Unauthorized),
            ErrorClass::NotFound => Err(Refusal::not_found(
                "Metrc does not know this object; check the licence, label, number or id",
            )),
            ErrorClass::Validation | ErrorClass::TooLarge | ErrorClass::InvalidInput => {
                Err(Refusal::bad_request(e.to_string()))
            }
        },
    }
}
