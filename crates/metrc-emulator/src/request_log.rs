//! The request log: every Metrc request the emulator received, for tests to assert on.
//!
//! Guarantees: records hold the user *name*, never a key; body field names only, never values;
//! the log is bounded (oldest records are dropped past `MAX_RECORDS`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;

/// At most this many records are kept.
pub const MAX_RECORDS: usize = 100_000;

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Sequence number (1-based, increasing).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Query pairs in order.
    pub query: Vec<(String, String)>,
    /// JSON body field names: top-level object keys, or the keys of the objects of a top-level
    /// array; nested arrays of objects add `Parent.Child` names. First occurrence order, no repeats.
    pub body_fields: Vec<String>,
    /// Status sent; `None` when no reply was sent (hung or dropped, or still running).
    pub status: Option<u16>,
    /// User name of the user key, if the key is known.
    pub user: Option<String>,
    /// When the request arrived.
    pub time: Timestamp,
}

/// Bounded log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: VecDeque<RequestRecord>,
    next_seq: u64,
}

impl RequestLog {
    pub fn push(&mut self, mut record: RequestRecord) -> u64 {
        self.next_seq += 1;
        record.seq = self.next_seq;
        if self.records.len() >= MAX_RECORDS {
            self.records.pop_front();
        }
        self.records.push_back(record);
        self.next_seq
    }

    pub fn set_status(&mut self, seq: u64, status: u16) {
        if let Some(r) = self.records.iter_mut().rev().find(|r| r.seq == seq) {
            r.status = Some(status);
        }
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.records.clear();
    }
}

/// Field names of a JSON body, as described on [`RequestRecord::body_fields`].
pub fn body_field_names(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(body, "", &mut out);
    out
}

fn collect(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for item in items {
                if item.is_object() {
                    collect(item, prefix, out);
                }
            }
        }
        Value::Object(map) => {
            for (k, child) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if !out.contains(&name) {
                    out.push(name.clone());
                }
                if child.is_array() {
                    collect(child, &name, out);
                }
            }
        }
        _ => {}
    }
}
