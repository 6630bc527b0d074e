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

/// One stored row of the chain, as read back (from this register, or from a store server's copy
/// of another register's log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRow {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it was written (ms since the epoch, as stored).
    pub at_ms: i64,
    /// Who did it (`None`: Stateline itself).
    pub actor: Option<String>,
    /// The action's code.
    pub action: String,
    /// What it was about.
    pub subject: String,
    /// Its words.
    pub detail: String,
    /// The previous row's hash.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

pub(crate) fn chain_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChainRow> {
    Ok(ChainRow {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        detail: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

/// Walks rows in `seq` order from the first and reports the first break (see the module doc).
pub fn verify_rows(rows: impl IntoIterator<Item = ChainRow>) -> AuditVerification {
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS.to_owned();
    for row in rows {
        let seq = row.seq;
        let broken = |reason: String| AuditVerification::Broken { seq, reason };
        if seq != expected_seq {
            return broken(format!(
                "entry {expected_seq} is missing (the next entry is {seq}): rows were removed"
            ));
        }
        if row.prev_hash != prev {
            return broken(format!(
                "entry {seq} does not link to entry {}: an earlier row was changed or removed",
                seq - 1
            ));
        }
        let fields = RowFields {
            seq,
            at_ms: row.at_ms,
            actor: row.actor.as_deref(),
            action: &row.action,
            subject: &row.subject,
            detail: &row.detail,
        };
        if row_hash(&row.prev_hash, &fields) != row.hash {
            return broken(format!(
                "entry {seq}'s content does not match its hash: it was edited"
            ));
        }
        prev = row.hash;
        expected_seq += 1;
    }
    AuditVerification::Intact {
        entries: (expected_seq - 1) as u64,
        head_hash: prev,
    }
}

/// Walks the log from the first row and reports the first break.
pub(crate) fn verify(conn: &Connection) -> Result<AuditVerification, StoreError> {
    let mut stmt = conn.prepare(ALL_ROWS)?;
    let mut failed = None;
    let rows = stmt.query_map([], chain_row)?.map_while(|row| match row {
        Ok(row) => Some(row),
        Err(error) => {
            failed = Some(error);
            None
        }
    });
    let verdict = verify_rows(rows);
    match failed {
        Some(error) => Err(error.into()),
        None => Ok(verdict),
    }
}
