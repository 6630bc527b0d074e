//! What a patient bought in a window: this register's sales (from `sale_limit_checks`, what each
//! sale counted as when it was checked) and, when the register is joined to a store, the other
//! registers' sales as last pulled (`peer_records`, whose sale bodies carry the same figures).
//!
//! Guarantees: read-only and offline; a sale withdrawn before Metrc, or voided by a live void at
//! this register, no longer counts; another register's sale counts until its register says it
//! was withdrawn (a void made there is not matched to its sale here — the stricter reading);
//! with `not_in_reading` set, a sale counts only if Metrc's reading could not have included it
//! (it happened after the reading, or Metrc had not confirmed it a minute — Metrc's cache —
//! before the reading).

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, params};
use stateline_limits::Amounts;

use super::evidence::HistoryScope;
use crate::link::store_registers::{KnownRegisters, STORE_REGISTERS};
use crate::time::to_ms;
use crate::{StoreError, settings};

/// The setting that says this register is joined to a store (written by the store link).
pub const STORE_MEMBERSHIP: &str = "link.store";

/// How long Metrc may serve a cached patient status.
pub const METRC_PATIENT_CACHE: SignedDuration = SignedDuration::from_secs(60);

/// Whose sales a window sums, and as of when the other registers' were pulled.
pub(crate) fn scope(c: &Connection) -> Result<HistoryScope, StoreError> {
    if settings::get(c, STORE_MEMBERSHIP)?.is_none() {
        return Ok(HistoryScope::Register);
    }
    let as_of = settings::get(c, STORE_REGISTERS)?
        .and_then(|text| serde_json::from_str::<KnownRegisters>(&text).ok())
        .and_then(|known| known.as_of);
    Ok(HistoryScope::Store {
        pulled_as_of: as_of,
    })
}

fn add_json(total: &mut Amounts, json: Option<String>) {
    let Some(parsed) = json.and_then(|text| serde_json::from_str::<Amounts>(&text).ok()) else {
        return;
    };
    for (category, amount) in parsed {
        *total.entry(category).or_insert(0.0) += amount;
    }
}

/// What `patient` bought after `from` up to and including `until` (see the module doc).
pub(crate) fn bought(
    c: &Connection,
    scope: &HistoryScope,
    patient: &str,
    from: Timestamp,
    until: Timestamp,
    not_in_reading: Option<Timestamp>,
) -> Result<Amounts, StoreError> {
    let read_at = not_in_reading.map(to_ms);
    let known_by = not_in_reading.map(|t| to_ms(t - METRC_PATIENT_CACHE));
    let mut total = Amounts::new();
    let own: Vec<Option<String>> = c
        .prepare_cached(
            "SELECT k.counted FROM sale_limit_checks k
             JOIN sales s ON s.id = k.sale_id
             JOIN outbox o ON o.kind = 'sale' AND o.record_id = s.id
             WHERE k.patient_number = ?1 AND s.occurred_at > ?2 AND s.occurred_at <= ?3
               AND o.state <> 'voided'
               AND NOT EXISTS (
                   SELECT 1 FROM sale_voids v
                   JOIN outbox vo ON vo.kind = 'sale_void' AND vo.record_id = v.id
                   WHERE v.sale_id = s.id AND vo.state <> 'voided')
               AND (?4 IS NULL OR s.occurred_at > ?4 OR o.state <> 'confirmed'
                    OR o.state_changed_at > ?5)",
        )?
        .query_map(
            params![patient, to_ms(from), to_ms(until), read_at, known_by],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    for json in own {
        add_json(&mut total, json);
    }
    if matches!(scope, HistoryScope::Store { .. }) {
        let peers: Vec<Option<String>> = c
            .prepare_cached(
                "SELECT json_extract(body, '$.counted') FROM peer_records
                 WHERE kind = 'sale' AND json_extract(body, '$.patient_number') = ?1
                   AND occurred_at > ?2 AND occurred_at <= ?3
                   AND coalesce(state, '') <> 'voided'
                   AND (?4 IS NULL OR occurred_at > ?4 OR coalesce(state, '') <> 'confirmed'
                        OR state_changed_at IS NULL OR state_changed_at > ?5)",
            )?
            .query_map(
                params![patient, to_ms(from), to_ms(until), read_at, known_by],
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        for json in peers {
            add_json(&mut total, json);
        }
    }
    Ok(total)
}
