//! The hash chain over `audit_log` rows: how a row's hash is computed, and how the whole log is
//! checked.
//!
//! Guarantees: the hash covers every stored field of a row (seq, time, actor, action, subject,
//! detail) and the previous row's hash, each field length-prefixed so no two different rows
//! serialise alike; verification walks the log in `seq` order and reports the first row whose
//! sequence number, link or hash does not match. An edited or removed row is therefore found.
//! Removing rows from the end cannot be told from a shorter log by the chain alone: compare the
//! head hash with one noted earlier (`stateline audit verify` prints it).

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The `prev_hash` of the first row.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The stored fields of one row, as hashed.
pub(crate) struct RowFields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// SHA-256 (lower-case hex) of `prev_hash` and the row's fields.
pub(crate) fn row_hash(prev_hash: &str, row: &RowFields<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&row.seq.to_be_bytes());
    field(&row.at_ms.to_be_bytes());
    match row.actor {
        Some(actor) => {
            field(b"1");
            field(actor.as_bytes());
        }
        None => field(b"0"),
    }
    field(row.action.as_bytes());
    field(row.subject.as_bytes());
    field(row.detail.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AuditVerification {
    /// Every row links to the one before and its hash matches its content.
    Intact {
        /// Rows checked.
        entries: u64,
        /// The last row's hash (note it to detect later truncation), or the genesis value.
        head_hash: String,
    },
    /// The chain breaks at `seq`.
    Broken {
        /// The first row (by sequence number) that does not check out.
        seq: i64,
        /// What is wrong there.
        reason: String,
    },
}

impl AuditVerification {
    /// Whether the chain checked out.
    pub fn is_intact(&self) -> bool {
        matches!(self, Self::Intact { .. })
    }
}

const ALL_ROWS: &str = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
                        FROM audit_log ORDER BY seq";

/// Walks the log from the first row and reports the first break.
pub(crate) fn verify(conn: &Connection) -> Result<AuditVerification, StoreError> {
    let mut stmt = conn.prepare(ALL_ROWS)?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS.to_owned();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let actor: Option<String> = r.get(2)?;
        let action: String = r.get(3)?;
        let subject: String = r.get(4)?;
        let detail: String = r.get(5)?;
        let prev_hash: String = r.get(6)?;
        let hash: String = r.get(7)?;
        let broken = |reason: String| Ok(AuditVerification::Broken { seq, reason });
        if seq != expected_seq {
            return broken(format!(
                "entry {expected_seq} is missing (the next entry is {seq}): rows were removed"
            ));
        }
        if prev_hash != prev {
            return broken(format!(
                "entry {seq} does not link to entry {}: an earlier row was changed or removed",
                seq - 1
            ));
        }
        let fields = RowFields {
            seq,
            at_ms: r.get(1)?,
            actor: actor.as_deref(),
            action: &action,
            subject: &subject,
            detail: &detail,
        };
        if row_hash(&prev_hash, &fields) != hash {
            return broken(format!(
                "entry {seq}'s content does not match its hash: it was edited"
            ));
        }
        prev = hash;
        expected_seq += 1;
    }
    Ok(AuditVerification::Intact {
        entries: (expected_seq - 1) as u64,
        head_hash: prev,
    })
}
