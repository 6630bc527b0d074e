//! A manager's explicit action on a reconciliation difference: void a receipt in Metrc, re-send
//! a sale Metrc lost, re-send a sale's lines as a correction, or acknowledge.
//!
//! Guarantees:
//! - only an actor with [`Permission::ReconcileWithMetrc`] may act; anyone else is refused with
//!   `not_allowed` before anything is read from Metrc or written here;
//! - a fix must fit the difference (a void needs a receipt, a re-send a lost sale, ...) and a
//!   difference is resolved once; a refusal changes nothing;
//! - the resolution and its audit entry commit in one transaction; a re-sent sale (a copy under a
//!   new external number, with no stock effect: the goods left with the original) and its outbox
//!   entry commit in that same transaction;
//! - only a void reaches Metrc, so only a void needs a Metrc key; a void without one is refused
//!   with `no_key` and records nothing, while the other fixes never ask for a key;
//! - the receipt our confirmed sale points to is never voided as a "duplicate"; a void is sent
//!   to Metrc before the resolution is written, so a failed void records nothing (run the
//!   reconciliation again to see where it stands).

use metrc::{MetrcClient, UserKey};
use rusqlite::{Connection, params};
use stateline_store::people::users::Permission;
use stateline_store::records::corrections::NewSaleCorrection;
use stateline_store::records::sales;
use stateline_store::time::to_ms;
use stateline_store::{Actor, Database, StoreError};

use super::store::{self, ReconciliationStore, difference};
use super::{Difference, DifferenceKind, FixCode};
use crate::{ComplianceError, audit_log};

fn refuse(detail: String) -> ComplianceError {
    StoreError::InvalidInput {
        field: "reconciliation fix",
        detail,
    }
    .into()
}

fn fits(kind: DifferenceKind, fix: FixCode) -> bool {
    match fix {
        FixCode::Acknowledge => true,
        FixCode::ResendSale => kind == DifferenceKind::MissingInMetrc,
        FixCode::ResendCorrection => matches!(
            kind,
            DifferenceKind::QuantityDiffers | DifferenceKind::AmountDiffers
        ),
        FixCode::VoidInMetrc => matches!(
            kind,
            DifferenceKind::DuplicateExternalNumber
                | DifferenceKind::UnknownExternalNumber
                | DifferenceKind::VoidMissingInMetrc
                | DifferenceKind::WithdrawnButInMetrc
        ),
    }
}

impl DifferenceKind {
    /// The fixes [`resolve_difference`] accepts for a difference of this kind.
    pub fn fixes(self) -> Vec<FixCode> {
        FixCode::ALL
            .into_iter()
            .filter(|fix| fits(self, *fix))
            .collect()
    }
}

fn run_licence(conn: &Connection, run_id: i64) -> Result<String, ComplianceError> {
    Ok(conn
        .prepare_cached("SELECT licence FROM reconciliation_runs WHERE id = ?1")?
        .query_row(params![run_id], |r| r.get(0))?)
}

fn mark_resolved(
    conn: &Connection,
    ids: &[i64],
    fix: FixCode,
    actor: &Actor,
    at_ms: i64,
    note: Option<&str>,
) -> Result<(), ComplianceError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE reconciliation_differences SET resolution = ?2, resolved_by = ?3, resolved_at = ?4,
             resolution_note = ?5
         WHERE id = ?1 AND resolution IS NULL",
    )?;
    for id in ids {
        if stmt.execute(params![id, fix.as_str(), actor.name(), at_ms, note])? != 1 {
            return Err(refuse(format!(
                "difference #{id} was resolved meanwhile; refresh the list"
            )));
        }
    }
    Ok(())
}

/// Copies a sale Metrc lost as a new sale (see `stateline_store::records::sales::queue_copy`)
/// and remembers which difference it resends; returns the original's client id.
fn queue_copy(
    conn: &Connection,
    sale_id: i64,
    new_client_id: &str,
    difference_id: i64,
    now_ms: i64,
) -> Result<String, ComplianceError> {
    let (copy_id, original) = sales::queue_copy(conn, sale_id, new_client_id, now_ms)?;
    conn.prepare_cached(
        "INSERT INTO reconciliation_resends (original_sale_id, resend_sale_id, difference_id)
         VALUES (?1, ?2, ?3)",
    )?
    .execute(params![sale_id, copy_id, difference_id])?;
    Ok(original)
}

/// Applies a manager's `fix` to difference `difference_id`.
///
/// Only [`FixCode::VoidInMetrc`] talks to Metrc, so only a void uses `metrc` (the client and a
/// key with Metrc's Manage Sales permission at the licence); the other fixes work without a key.
/// A void with `metrc` `None` is refused with `no_key` after the fix is checked, and nothing is
/// written.
pub async fn resolve_difference(
    db: &Database,
    metrc: Option<(&MetrcClient, &UserKey)>,
    actor: &Actor,
    difference_id: i64,
    fix: FixCode,
    note: Option<&str>,
) -> Result<Difference, ComplianceError> {
    actor.require(Permission::ReconcileWithMetrc)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let (diff, licence, primary) = db.read(|c| -> Result<_, ComplianceError> {
        let diff = difference(c, difference_id)?.ok_or_else(|| {
            refuse(format!(
                "there is no difference #{difference_id}; run the reconciliation again"
            ))
        })?;
        let licence = run_licence(c, diff.run_id)?;
        let primary: Option<i64> = match &diff.client_id {
            Some(number) => c
                .prepare_cached("SELECT metrc_id FROM outbox WHERE client_id = ?1")?
                .query_row(params![number], |r| r.get(0))
                .unwrap_or(None),
            None => None,
        };
        Ok((diff, licence, primary))
    })?;
    if let Some(done) = diff.resolution {
        return Err(refuse(format!(
            "difference #{difference_id} was already resolved ({}) by {}",
            done.as_str(),
            diff.resolved_by.as_deref().unwrap_or("someone")
        )));
    }
    if !fits(diff.kind, fix) {
        return Err(refuse(format!(
            "{} does not fit a {} difference; the suggested fix is {}",
            fix.as_str(),
            diff.kind.as_str(),
            diff.fix.as_str()
        )));
    }
    let subject = format!("reconciliation difference #{difference_id}");
    let mut ids = vec![difference_id];
    let detail = match fix {
        FixCode::Acknowledge => format!("acknowledged {}", diff.kind.as_str()),
        FixCode::VoidInMetrc => {
            let receipt = diff
                .metrc_receipt_id
                .ok_or_else(|| refuse("this difference names no Metrc receipt to void".into()))?;
            if diff.kind == DifferenceKind::DuplicateExternalNumber && primary == Some(receipt) {
                return Err(refuse(format!(
                    "receipt {receipt} is the one this register's sale was confirmed as; void the other copy"
                )));
            }
            let (client, key) = metrc.ok_or_else(|| ComplianceError::NoKey {
                holder: actor.name().to_owned(),
            })?;
            client.void_receipt(key, &licence, receipt).await?;
            format!(
                "voided Metrc receipt {receipt} at {licence} ({})",
                diff.kind.as_str()
            )
        }
        FixCode::ResendCorrection => {
            let sale_id = diff
                .sale_id
                .ok_or_else(|| refuse("this difference names no local sale".into()))?;
            let sale = db.sale(sale_id)?;
            db.record_sale_correction(&NewSaleCorrection {
                sale_client_id: sale.client_id.clone(),
                acting_user: actor.name().to_owned(),
                lines: sale.current_lines.clone(),
            })?;
            let siblings = db.reconciliation_run(diff.run_id)?.differences;
            ids = siblings
                .iter()
                .filter(|d| {
                    d.sale_id == Some(sale_id)
                        && d.resolution.is_none()
                        && matches!(
                            d.kind,
                            DifferenceKind::QuantityDiffers | DifferenceKind::AmountDiffers
                        )
                })
                .map(|d| d.id)
                .collect();
            format!(
                "queued the lines of sale {} again as a correction",
                sale.client_id
            )
        }
        FixCode::ResendSale => String::new(),
    };
    let new_client_id = db.new_client_id();
    let now = db.now();
    db.write(|tx| {
        let detail = if fix == FixCode::ResendSale {
            let sale_id = diff
                .sale_id
                .ok_or_else(|| refuse("this difference names no local sale".into()))?;
            let original = queue_copy(tx, sale_id, &new_client_id, difference_id, to_ms(now))?;
            format!("re-sent sale {original} as {new_client_id}")
        } else {
            detail
        };
        mark_resolved(tx, &ids, fix, actor, to_ms(now), note)?;
        let detail = match note {
            Some(n) => format!("{detail}; note: {n}"),
            None => detail,
        };
        audit_log::difference_resolved(tx, now, actor, &subject, &detail)?;
        store::difference(tx, difference_id)?
            .ok_or_else(|| ComplianceError::Internal("difference vanished".into()))
    })
}
