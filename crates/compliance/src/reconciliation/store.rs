//! The `reconciliation_runs` and `reconciliation_differences` tables, and the local side of a
//! reconciliation (the day's sales with what Metrc should hold for each).
//!
//! Guarantees: a run and its differences are inserted in one transaction; reads use one
//! consistent snapshot; a second daily run for the same licence and day fails with
//! `invalid_input` and stores nothing (a unique index backs the check).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use stateline_store::outbox::EntryState;
use stateline_store::records::{corrections, sales};
use stateline_store::time::{from_ms, to_ms};
use stateline_store::{Database, StoreError};

use super::compare::LocalSale;
use super::{
    Difference, DifferenceKind, FixCode, NewDifference, ReconciliationRun, RunReport, Trigger,
};
use crate::ComplianceError;

/// Counts and times of a finished comparison.
#[derive(Debug, Clone)]
pub(crate) struct RunFacts<'a> {
    pub licence: &'a str,
    pub day: &'a str,
    pub trigger: Trigger,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub local_sales: u32,
    pub not_compared: u32,
    pub metrc_receipts: u32,
}

const RUN_COLUMNS: &str = "id, licence, day, trigger, started_at, finished_at, local_sales, not_compared, metrc_receipts, differences";
const DIFF_COLUMNS: &str = "id, run_id, kind, sale_id, client_id, metrc_receipt_id, label, local_value, metrc_value, fix, fix_text, resolution, resolved_by, resolved_at, resolution_note";

fn bad_code(what: &str, code: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {code:?}").into(),
    )
}

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<ReconciliationRun> {
    let trigger: String = r.get(3)?;
    Ok(ReconciliationRun {
        id: r.get(0)?,
        licence: r.get(1)?,
        day: r.get(2)?,
        trigger: match trigger.as_str() {
            "daily" => Trigger::Daily,
            "manual" => Trigger::Manual,
            other => return Err(bad_code("trigger", other)),
        },
        started_at: from_ms(r.get(4)?),
        finished_at: from_ms(r.get(5)?),
        local_sales: r.get(6)?,
        not_compared: r.get(7)?,
        metrc_receipts: r.get(8)?,
        differences: r.get(9)?,
    })
}

pub(crate) fn difference_from_row(r: &Row<'_>) -> rusqlite::Result<Difference> {
    let kind: String = r.get(2)?;
    let fix: String = r.get(9)?;
    let resolution: Option<String> = r.get(11)?;
    let fix_of = |code: &str| FixCode::parse(code).ok_or_else(|| bad_code("fix", code));
    Ok(Difference {
        id: r.get(0)?,
        run_id: r.get(1)?,
        kind: DifferenceKind::parse(&kind).ok_or_else(|| bad_code("difference", &kind))?,
        sale_id: r.get(3)?,
        client_id: r.get(4)?,
        metrc_receipt_id: r.get(5)?,
        label: r.get(6)?,
        local_value: r.get(7)?,
        metrc_value: r.get(8)?,
        fix: fix_of(&fix)?,
        fix_text: r.get(10)?,
        resolution: resolution.as_deref().map(fix_of).transpose()?,
        resolved_by: r.get(12)?,
        resolved_at: r.get::<_, Option<i64>>(13)?.map(from_ms),
        resolution_note: r.get(14)?,
    })
}

pub(crate) fn difference(
    conn: &Connection,
    id: i64,
) -> Result<Option<Difference>, ComplianceError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DIFF_COLUMNS} FROM reconciliation_differences WHERE id = ?1"
        ))?
        .query_row(params![id], difference_from_row)
        .optional()?)
}

pub(crate) fn run(conn: &Connection, id: i64) -> Result<Option<RunReport>, ComplianceError> {
    let run = conn
        .prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM reconciliation_runs WHERE id = ?1"
        ))?
        .query_row(params![id], run_from_row)
        .optional()?;
    let Some(run) = run else {
        return Ok(None);
    };
    let differences = conn
        .prepare_cached(&format!(
            "SELECT {DIFF_COLUMNS} FROM reconciliation_differences WHERE run_id = ?1 ORDER BY id"
        ))?
        .query_map(params![id], difference_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(Some(RunReport { run, differences }))
}

/// Whether a daily run exists for the licence and day.
pub(crate) fn daily_run_exists(
    conn: &Connection,
    licence: &str,
    day: &str,
) -> Result<bool, ComplianceError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM reconciliation_runs
                            WHERE licence = ?1 AND day = ?2 AND trigger = 'daily')",
        )?
        .query_row(params![licence, day], |r| r.get(0))?)
}

/// Stores a run and its differences in one transaction.
pub(crate) fn insert_run(
    db: &Database,
    facts: &RunFacts<'_>,
    differences: &[NewDifference],
) -> Result<RunReport, ComplianceError> {
    db.write(|tx| {
        if facts.trigger == Trigger::Daily && daily_run_exists(tx, facts.licence, facts.day)? {
            return Err(StoreError::InvalidInput {
                field: "reconciliation",
                detail: format!(
                    "the daily reconciliation of {} for {} has already run; run it by hand to compare again",
                    facts.licence, facts.day
                ),
            }.into());
        }
        tx.prepare_cached(
            "INSERT INTO reconciliation_runs (licence, day, trigger, started_at, finished_at,
                 local_sales, not_compared, metrc_receipts, differences)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            facts.licence,
            facts.day,
            facts.trigger.as_str(),
            to_ms(facts.started_at),
            to_ms(facts.finished_at),
            facts.local_sales,
            facts.not_compared,
            facts.metrc_receipts,
            differences.len() as i64
        ])?;
        let run_id = tx.last_insert_rowid();
        let mut stmt = tx.prepare_cached(
            "INSERT INTO reconciliation_differences (run_id, kind, sale_id, client_id,
                 metrc_receipt_id, label, local_value, metrc_value, fix, fix_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for d in differences {
            stmt.execute(params![
                run_id,
                d.kind.as_str(),
                d.sale_id,
                d.client_id,
                d.metrc_receipt_id,
                d.label,
                d.local_value,
                d.metrc_value,
                d.fix.as_str(),
                d.fix_text
            ])?;
        }
        run(tx, run_id)?.ok_or_else(|| ComplianceError::Internal("run not stored".into()))
    })
}

/// The sales of a licence made in `[start, end)`, with what Metrc should hold for each.
pub(crate) fn local_sales(
    conn: &Connection,
    licence: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<LocalSale>, ComplianceError> {
    let rows: Vec<(i64, String, EntryState, Option<i64>)> = conn
        .prepare_cached(
            "SELECT s.id, s.client_id, o.state, o.metrc_id FROM sales s
             JOIN outbox o ON o.client_id = s.client_id
             WHERE s.licence = ?1 AND s.occurred_at >= ?2 AND s.occurred_at < ?3
             ORDER BY s.id",
        )?
        .query_map(params![licence, to_ms(start), to_ms(end)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (sale_id, client_id, entry_state, metrc_id) in rows {
        let sale = sales::find(conn, sale_id)?
            .ok_or_else(|| ComplianceError::Internal(format!("sale #{sale_id} vanished")))?;
        let confirmed_correction: Option<i64> = conn
            .prepare_cached(
                "SELECT c.id FROM sale_corrections c JOIN outbox o ON o.client_id = c.client_id
                 WHERE c.sale_id = ?1 AND o.state = 'confirmed' ORDER BY c.id DESC LIMIT 1",
            )?
            .query_row(params![sale_id], |r| r.get(0))
            .optional()?;
        let expected_lines = match confirmed_correction {
            Some(id) => corrections::lines(conn, id)?,
            None => sale.lines,
        };
        let (change_in_flight, voided, resent): (bool, bool, bool) = conn
            .prepare_cached(
                "SELECT
                   EXISTS (SELECT 1 FROM sale_corrections c JOIN outbox o ON o.client_id = c.client_id
                           WHERE c.sale_id = ?1 AND o.state NOT IN ('confirmed', 'voided'))
                   OR EXISTS (SELECT 1 FROM sale_voids v JOIN outbox o ON o.client_id = v.client_id
                              WHERE v.sale_id = ?1 AND o.state NOT IN ('confirmed', 'voided')),
                   EXISTS (SELECT 1 FROM sale_voids v JOIN outbox o ON o.client_id = v.client_id
                           WHERE v.sale_id = ?1 AND o.state = 'confirmed'),
                   EXISTS (SELECT 1 FROM reconciliation_resends WHERE original_sale_id = ?1)",
            )?
            .query_row(params![sale_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        out.push(LocalSale {
            sale_id,
            client_id,
            entry_state,
            metrc_id,
            expected_lines,
            change_in_flight,
            voided,
            resent,
        });
    }
    Ok(out)
}

/// Whether `client_id` is a sale made on this register.
pub(crate) fn is_our_sale(conn: &Connection, client_id: &str) -> Result<bool, ComplianceError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sales WHERE client_id = ?1)")?
        .query_row(params![client_id], |r| r.get(0))?)
}

/// Stored reconciliation runs and differences (import this trait to call them on a `Database`).
pub trait ReconciliationStore {
    /// A stored run with its differences, or `unknown_entry`-like `invalid_input`.
    fn reconciliation_run(&self, id: i64) -> Result<RunReport, ComplianceError>;

    /// Runs of a licence (all licences when `None`), newest first, at most `limit`.
    fn reconciliation_runs(
        &self,
        licence: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReconciliationRun>, ComplianceError>;

    /// One difference.
    fn reconciliation_difference(&self, id: i64) -> Result<Difference, ComplianceError>;
}

impl ReconciliationStore for Database {
    fn reconciliation_run(&self, id: i64) -> Result<RunReport, ComplianceError> {
        self.read(|c| {
            run(c, id)?.ok_or_else(|| {
                StoreError::InvalidInput {
                    field: "reconciliation run",
                    detail: format!("there is no reconciliation run #{id}; list them first"),
                }
                .into()
            })
        })
    }

    fn reconciliation_runs(
        &self,
        licence: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReconciliationRun>, ComplianceError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM reconciliation_runs
                 WHERE (?1 IS NULL OR licence = ?1) ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(params![licence, limit], run_from_row)?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn reconciliation_difference(&self, id: i64) -> Result<Difference, ComplianceError> {
        self.read(|c| {
            difference(c, id)?.ok_or_else(|| {
                StoreError::InvalidInput {
                    field: "difference",
                    detail: format!(
                        "there is no reconciliation difference #{id}; run the reconciliation again"
                    ),
                }
                .into()
            })
        })
    }
}
