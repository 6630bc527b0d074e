//! The `key_metadata` and `facility_overrides` tables: what the register knows about each saved
//! key without holding it.
//!
//! Guarantees: rows hold the keychain entry's name, the last four characters and the last
//! validation verdict — never a key; one row per holder and environment, replaced on every save;
//! a verdict is only recorded for the key it was computed for (same last four and save time).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use stateline_store::time::{from_ms, to_ms};

use super::KeyHolder;
use crate::KeysError;
use crate::validation::Verdict;

/// What the register knows about one saved key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub holder: KeyHolder,
    /// The keychain entry's account name.
    pub entry: String,
    pub last_four: String,
    pub saved_at: Timestamp,
    pub saved_by: String,
    /// The last verdict's code (`all_good`, `missing_permissions`, `key_invalid`,
    /// `could_not_check`), if the key was checked.
    pub verdict: Option<String>,
    /// The last verdict's message.
    pub verdict_message: Option<String>,
    pub validated_at: Option<Timestamp>,
}

impl KeyInfo {
    /// Whether the last check found the key refused by Metrc.
    pub fn known_invalid(&self) -> bool {
        self.verdict.as_deref() == Some("key_invalid")
    }
}

/// A manager's standing choice to send one user's records under the facility key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityOverride {
    pub user: String,
    pub granted_by: String,
    pub granted_at: Timestamp,
    pub reason: String,
}

const UPSERT: &str =
    "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at, saved_by)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                      ON CONFLICT (environment, holder) DO UPDATE SET entry = excluded.entry,
                          last_four = excluded.last_four, saved_at = excluded.saved_at,
                          saved_by = excluded.saved_by, verdict = NULL, verdict_message = NULL,
                          validated_at = NULL";
const SET_VERDICT: &str =
    "UPDATE key_metadata SET verdict = ?4, verdict_message = ?5, validated_at = ?6
                           WHERE environment = ?1 AND holder = ?2 AND last_four = ?3";
const DELETE: &str = "DELETE FROM key_metadata WHERE environment = ?1 AND holder = ?2";
const SELECT: &str =
    "SELECT holder, entry, last_four, saved_at, saved_by, verdict, verdict_message,
                             validated_at
                      FROM key_metadata WHERE environment = ?1";

pub(crate) fn upsert(
    conn: &Connection,
    environment: &str,
    holder: &KeyHolder,
    entry: &str,
    last_four: &str,
    saved_at: Timestamp,
    saved_by: &str,
) -> Result<(), KeysError> {
    conn.prepare_cached(UPSERT)?.execute(params![
        environment,
        holder.stored(),
        entry,
        last_four,
        to_ms(saved_at),
        saved_by
    ])?;
    Ok(())
}

pub(crate) fn set_verdict(
    conn: &Connection,
    environment: &str,
    holder: &KeyHolder,
    last_four: &str,
    verdict: &Verdict,
    at: Timestamp,
) -> Result<bool, KeysError> {
    let n = conn.prepare_cached(SET_VERDICT)?.execute(params![
        environment,
        holder.stored(),
        last_four,
        verdict.code(),
        verdict.message(),
        to_ms(at)
    ])?;
    Ok(n == 1)
}

pub(crate) fn delete(
    conn: &Connection,
    environment: &str,
    holder: &KeyHolder,
) -> Result<bool, KeysError> {
    Ok(conn
        .prepare_cached(DELETE)?
        .execute(params![environment, holder.stored()])?
        == 1)
}

pub(crate) fn all(conn: &Connection, environment: &str) -> Result<Vec<KeyInfo>, KeysError> {
    let mut stmt = conn.prepare_cached(SELECT)?;
    let rows = stmt.query_map(params![environment], |r| {
        let holder: String = r.get(0)?;
        Ok((
            holder,
            KeyInfo {
                holder: KeyHolder::Facility,
                entry: r.get(1)?,
                last_four: r.get(2)?,
                saved_at: from_ms(r.get(3)?),
                saved_by: r.get(4)?,
                verdict: r.get(5)?,
                verdict_message: r.get(6)?,
                validated_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (stored, mut info) = row?;
        info.holder = KeyHolder::from_stored(&stored).ok_or_else(|| {
            KeysError::Internal(format!("key metadata names an unknown holder {stored:?}"))
        })?;
        out.push(info);
    }
    out.sort_by(|a, b| a.holder.cmp(&b.holder));
    Ok(out)
}

pub(crate) fn one(
    conn: &Connection,
    environment: &str,
    holder: &KeyHolder,
) -> Result<Option<KeyInfo>, KeysError> {
    Ok(all(conn, environment)?
        .into_iter()
        .find(|k| &k.holder == holder))
}

pub(crate) fn grant_override(
    conn: &Connection,
    user: &str,
    by: &str,
    at: Timestamp,
    reason: &str,
) -> Result<(), KeysError> {
    conn.prepare_cached(
        "INSERT INTO facility_overrides (user_name, granted_by, granted_at, reason)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_name) DO UPDATE SET granted_by = excluded.granted_by,
             granted_at = excluded.granted_at, reason = excluded.reason",
    )?
    .execute(params![user, by, to_ms(at), reason])?;
    Ok(())
}

pub(crate) fn end_override(conn: &Connection, user: &str) -> Result<bool, KeysError> {
    Ok(conn
        .prepare_cached("DELETE FROM facility_overrides WHERE user_name = ?1")?
        .execute(params![user])?
        == 1)
}

pub(crate) fn overrides(conn: &Connection) -> Result<Vec<FacilityOverride>, KeysError> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_name, granted_by, granted_at, reason FROM facility_overrides ORDER BY user_name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(FacilityOverride {
            user: r.get(0)?,
            granted_by: r.get(1)?,
            granted_at: from_ms(r.get(2)?),
            reason: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The app user's row id by name (for the keychain entry name).
pub(crate) fn user_id(conn: &Connection, name: &str) -> Result<Option<(i64, String)>, KeysError> {
    Ok(conn
        .prepare_cached("SELECT id, name FROM users WHERE name = ?1")?
        .query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}
