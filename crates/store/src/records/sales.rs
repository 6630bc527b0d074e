//! The `sales` and `sale_lines` tables: sales recorded at the register, and `record_sale`.
//!
//! Guarantees: a sale, its lines, its outbox entry, its causal rows and its package effects commit
//! in ONE transaction or not at all; validation (licence, the licence's patient/caregiver number
//! rule, labels, units, positive quantities, enough on hand) happens inside that transaction, so a refused sale leaves no row anywhere. The
//! sale's client id is its `ExternalReceiptNumber`. `occurred_at` is stored in UTC; the engine
//! converts it to the licence's local wall-clock time when it sends.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::limits::assess::{self, CartLine, SaleFacts};
use crate::limits::evidence::{self, ApprovalUsed};
use crate::limits::{SaleExceptions, readings};
use crate::outbox::{self, EntryKind, EntryState, NewEntry, OutboxEntry};
use crate::records::entry_checks;
use crate::records::tickets::{self, Ticket, TicketKind, TicketOutcome};
use crate::time::{from_ms, to_ms};
use crate::{
    Database, Money, Quantity, StoreError,
    inventory::licence_rules::{self, SaleParties},
    inventory::licences,
    inventory::packages,
    records::effects,
};

/// One line of a sale (also used for corrections and edits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSaleLine {
    /// Package label.
    pub label: String,
    /// Quantity sold (positive).
    pub quantity: Quantity,
    /// Unit of measure (must be the package's).
    pub unit_of_measure: String,
    /// Total price of the line.
    pub total_amount: Money,
}

/// A sale to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSale {
    /// Licence.
    pub licence: String,
    /// The budtender who made it.
    pub acting_user: String,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
    /// Metrc customer type (`Consumer`, `Patient`, ...).
    pub customer_type: String,
    /// Patient licence number, when required.
    pub patient_number: Option<String>,
    /// Caregiver licence number, when required.
    pub caregiver_number: Option<String>,
    /// How an external patient was identified (Metrc's `IdentificationMethod`), when required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification_method: Option<String>,
    /// Lines (at least one).
    pub lines: Vec<NewSaleLine>,
}

/// What a recording function created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Id in the record's own table.
    pub record_id: i64,
    /// Outbox entry id.
    pub entry_id: i64,
    /// Client identifier (ExternalReceiptNumber / note token).
    pub client_id: String,
}

/// What `record_sale` returns: the ids, and the receipt's rows as the transaction wrote them
/// (each package read once), so a receipt needs no second trip to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedSale {
    /// Id in `sales`.
    pub record_id: i64,
    /// Outbox entry id.
    pub entry_id: i64,
    /// Client identifier (ExternalReceiptNumber).
    pub client_id: String,
    /// When it happened, as stored (whole milliseconds, UTC).
    pub occurred_at: Timestamp,
    /// The outbox entry's state as committed (`pending`).
    pub state: EntryState,
    /// Blank patient and caregiver numbers are stored as none; these are what was stored.
    pub patient_number: Option<String>,
    /// See `patient_number`.
    pub caregiver_number: Option<String>,
    /// The lines, in the order given, with each package's item name.
    pub lines: Vec<ReceiptRow>,
}

/// One line of a recorded sale, for its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRow {
    /// Package label.
    pub label: String,
    /// The package's item name.
    pub item_name: String,
    /// Quantity sold.
    pub quantity: Quantity,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// Total price of the line.
    pub total_amount: Money,
}

impl From<RecordedSale> for Recorded {
    fn from(sale: RecordedSale) -> Recorded {
        Recorded {
            record_id: sale.record_id,
            entry_id: sale.entry_id,
            client_id: sale.client_id,
        }
    }
}

/// A recorded sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// Row id.
    pub id: i64,
    /// Client id = ExternalReceiptNumber.
    pub client_id: String,
    /// Licence.
    pub licence: String,
    /// Budtender.
    pub acting_user: String,
    /// When it happened (UTC).
    pub occurred_at: Timestamp,
    /// Customer type.
    pub customer_type: String,
    /// Patient number.
    pub patient_number: Option<String>,
    /// Caregiver number.
    pub caregiver_number: Option<String>,
    /// Identification method (sales recorded before schema 17, and other registers' from before
    /// it, have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification_method: Option<String>,
    /// Lines as rung up.
    pub lines: Vec<NewSaleLine>,
    /// Lines after the latest correction that was not withdrawn (equal to `lines` if none).
    pub current_lines: Vec<NewSaleLine>,
}

const INSERT_SALE: &str =
    "INSERT INTO sales (client_id, licence, acting_user, occurred_at, customer_type,
        patient_number, caregiver_number, identification_method, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const INSERT_LINE: &str =
    "INSERT INTO sale_lines (sale_id, line_no, label, quantity, unit_of_measure, total_cents)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const SALE_COLUMNS: &str = "id, client_id, licence, acting_user, occurred_at, customer_type, patient_number, caregiver_number, identification_method";

/// `None` for a missing or blank number (stored as NULL), else the number.
fn non_blank(number: Option<&str>) -> Option<&str> {
    number.filter(|n| !n.trim().is_empty())
}

fn line_from_row(r: &Row<'_>) -> rusqlite::Result<NewSaleLine> {
    Ok(NewSaleLine {
        label: r.get(0)?,
        quantity: Quantity(r.get(1)?),
        unit_of_measure: r.get(2)?,
        total_amount: Money(r.get(3)?),
    })
}

/// Validates lines for `licence` and returns per-label deltas (negative: taken from stock).
/// `give_back(label)` is what the record being replaced had taken from that label.
pub(crate) fn validate_lines(
    conn: &Connection,
    licence: &str,
    lines: &[NewSaleLine],
    give_back: &dyn Fn(&str) -> Result<Quantity, StoreError>,
) -> Result<effects::Deltas, StoreError> {
    validate_lines_and_name_items(conn, licence, lines, give_back).map(|(deltas, _)| deltas)
}

/// [`validate_lines`], also giving each label's item name (each package is read once).
fn validate_lines_and_name_items(
    conn: &Connection,
    licence: &str,
    lines: &[NewSaleLine],
    give_back: &dyn Fn(&str) -> Result<Quantity, StoreError>,
) -> Result<(effects::Deltas, BTreeMap<String, String>), StoreError> {
    if lines.is_empty() {
        return Err(StoreError::InvalidInput {
            field: "sale lines",
            detail: "a sale needs at least one line; add a package".into(),
        });
    }
    let mut taken: BTreeMap<&str, (packages::Package, Quantity)> = BTreeMap::new();
    for line in lines {
        if !line.quantity.is_positive() {
            return Err(StoreError::InvalidQuantity {
                what: line.label.clone(),
                detail: format!(
                    "{} is not more than zero; enter a positive quantity",
                    line.quantity
                ),
            });
        }
        if line.total_amount.cents() < 0 {
            return Err(StoreError::InvalidInput {
                field: "amount",
                detail: format!("{} is negative; enter the price paid", line.total_amount),
            });
        }
        let package = packages::require(conn, licence, &line.label, &line.unit_of_measure)?;
        let slot = taken
            .entry(&line.label)
            .or_insert((package, Quantity::ZERO));
        slot.1 = slot.1 + line.quantity;
    }
    let mut deltas = effects::Deltas::new();
    let mut item_names = BTreeMap::new();
    for (label, (package, qty)) in taken {
        packages::ensure_on_hand(&package, qty, give_back(label)?)?;
        deltas.insert(label.to_owned(), -qty.milli());
        item_names.insert(label.to_owned(), package.item_name);
    }
    Ok((deltas, item_names))
}

/// Copies a sale Metrc lost as a new sale (new client id, same time, user and lines) with a
/// pending outbox entry and no stock effect (zero deltas keep causal order on its packages);
/// returns the copy's row id and the original's client id. Called inside the caller's
/// transaction (a reconciliation fix records which difference it resends in the same one).
pub fn queue_copy(
    conn: &Connection,
    sale_id: i64,
    new_client_id: &str,
    now_ms: i64,
) -> Result<(i64, String), StoreError> {
    let sale =
        find(conn, sale_id)?.ok_or_else(|| StoreError::UnknownSale(format!("#{sale_id}")))?;
    conn.prepare_cached(INSERT_SALE)?.execute(params![
        new_client_id,
        sale.licence,
        sale.acting_user,
        to_ms(sale.occurred_at),
        sale.customer_type,
        sale.patient_number,
        sale.caregiver_number,
        sale.identification_method,
        now_ms
    ])?;
    let copy_id = conn.last_insert_rowid();
    insert_lines(
        conn,
        "INSERT INTO sale_lines (sale_id, line_no, label, quantity, unit_of_measure, total_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        copy_id,
        &sale.current_lines,
    )?;
    // Zero deltas: the copy keeps causal order on its packages but changes no on-hand quantity.
    let deltas: BTreeMap<String, i64> = sale
        .current_lines
        .iter()
        .map(|l| (l.label.clone(), 0))
        .collect();
    outbox::insert(
        conn,
        &NewEntry {
            client_id: new_client_id,
            kind: EntryKind::Sale,
            licence: &sale.licence,
            acting_user: &sale.acting_user,
            record_id: copy_id,
            occurred_at_ms: to_ms(sale.occurred_at),
            depends_on: None,
            deltas: &deltas,
            creates: &[],
        },
        now_ms,
    )?;
    Ok((copy_id, sale.client_id))
}

pub(crate) fn insert_lines(
    conn: &Connection,
    sql: &str,
    parent_id: i64,
    lines: &[NewSaleLine],
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (no, l) in lines.iter().enumerate() {
        stmt.execute(params![
            parent_id,
            no as i64 + 1,
            l.label,
            l.quantity.milli(),
            l.unit_of_measure,
            l.total_amount.cents()
        ])?;
    }
    Ok(())
}

pub(crate) fn find_by_client_id(
    conn: &Connection,
    client_id: &str,
) -> Result<Option<Sale>, StoreError> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM sales WHERE client_id = ?1")?
        .query_row(params![client_id], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => find(conn, id),
        None => Ok(None),
    }
}

/// The sale with row id `id`, with its current lines.
pub fn find(conn: &Connection, id: i64) -> Result<Option<Sale>, StoreError> {
    let sale = conn
        .prepare_cached(&format!("SELECT {SALE_COLUMNS} FROM sales WHERE id = ?1"))?
        .query_row(params![id], |r| {
            Ok(Sale {
                id: r.get(0)?,
                client_id: r.get(1)?,
                licence: r.get(2)?,
                acting_user: r.get(3)?,
                occurred_at: from_ms(r.get(4)?),
                customer_type: r.get(5)?,
                patient_number: r.get(6)?,
                caregiver_number: r.get(7)?,
                identification_method: r.get(8)?,
                lines: Vec::new(),
                current_lines: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut sale) = sale else {
        return Ok(None);
    };
    sale.lines = conn
        .prepare_cached(
            "SELECT label, quantity, unit_of_measure, total_cents FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no",
        )?
        .query_map(params![id], line_from_row)?
        .collect::<Result<_, _>>()?;
    sale.current_lines = match crate::records::corrections::latest_live(conn, id)? {
        Some(correction_id) => crate::records::corrections::lines(conn, correction_id)?,
        None => sale.lines.clone(),
    };
    Ok(Some(sale))
}

/// Replaces a rejected sale's lines (validated; nothing changes on failure).
pub(crate) fn replace_rejected_lines(
    conn: &Connection,
    entry: &OutboxEntry,
    lines: &[NewSaleLine],
) -> Result<(), StoreError> {
    let give_back = |label: &str| Ok(Quantity(-effects::entry_delta(conn, entry.id, label)?));
    let deltas = validate_lines(conn, &entry.licence, lines, &give_back)?;
    conn.prepare_cached("DELETE FROM sale_lines WHERE sale_id = ?1")?
        .execute(params![entry.record_id])?;
    insert_lines(conn, INSERT_LINE, entry.record_id, lines)?;
    outbox::transitions_replace_effects(conn, entry, &deltas)
}

/// What a sale's checks outside the transaction found (see `Database::precheck_sale`).
struct Prechecked {
    checked_at: jiff::Timestamp,
    client_id: String,
    now: i64,
    patient: Option<String>,
    caregiver: Option<String>,
    identification_method: Option<String>,
}

/// Records one prechecked sale inside the caller's write transaction (see
/// [`Database::record_sale_with`] for what is checked and written).
fn record_sale_in(
    tx: &Connection,
    sale: &NewSale,
    exceptions: &SaleExceptions,
    ticket: Option<&Ticket>,
    pre: &Prechecked,
) -> Result<TicketOutcome<RecordedSale>, StoreError> {
    let (checked_at, now) = (pre.checked_at, pre.now);
    let client_id = pre.client_id.clone();
    let (patient, caregiver) = (pre.patient.as_deref(), pre.caregiver.as_deref());
    if let Some(ticket) = ticket
        && let Some(prior) = tickets::prior(tx, ticket, TicketKind::Sale)?
    {
        return Ok(TicketOutcome::Replayed(prior));
    }
    let licence = licences::require(tx, &sale.licence)?;
    entry_checks::within_reporting_window(
        sale.occurred_at,
        checked_at,
        &licence,
        exceptions.late.as_ref(),
    )?;
    entry_checks::known_customer_type(tx, &sale.customer_type)?;
    licence_rules::require_for_customer(
        tx,
        &sale.licence,
        SaleParties {
            customer_type: &sale.customer_type,
            patient,
            caregiver,
            identification_method: pre.identification_method.as_deref(),
        },
    )?;
    let (deltas, item_names) =
        validate_lines_and_name_items(tx, &sale.licence, &sale.lines, &|_| Ok(Quantity::ZERO))?;
    let cart: Vec<CartLine> = sale
        .lines
        .iter()
        .map(|l| CartLine {
            label: l.label.clone(),
            quantity: l.quantity,
        })
        .collect();
    let mut assessment = assess::assess(
        tx,
        &SaleFacts {
            licence: &sale.licence,
            customer_type: &sale.customer_type,
            patient,
            occurred_at: sale.occurred_at,
            lines: &cart,
            without_patient_data: exceptions.without_patient_data.as_ref(),
        },
        checked_at,
    )?;
    assess::refuse_over(&assessment)?;
    tx.prepare_cached(INSERT_SALE)?.execute(params![
        client_id,
        sale.licence,
        sale.acting_user,
        to_ms(sale.occurred_at),
        sale.customer_type,
        patient,
        caregiver,
        pre.identification_method,
        now
    ])?;
    let sale_id = tx.last_insert_rowid();
    insert_lines(tx, INSERT_LINE, sale_id, &sale.lines)?;
    if let Some(late) = &exceptions.late {
        assessment.evidence.approvals.push(ApprovalUsed {
            kind: "late_sale".into(),
            manager: late.manager().into(),
            reason: late.reason().into(),
        });
    }
    evidence::insert(tx, sale_id, patient, &assessment.evidence, checked_at)?;
    for used in &assessment.evidence.approvals {
        crate::people::audit::append(
            tx,
            checked_at,
            &crate::people::audit::AuditEvent::by(
                &used.manager,
                crate::people::audit::AuditAction::SaleExceptionApproved,
                &client_id,
                format!(
                    "{} for {}'s sale at {} (happened {}): {}",
                    used.kind.replace('_', " "),
                    sale.acting_user,
                    sale.licence,
                    sale.occurred_at,
                    used.reason
                ),
            ),
        )?;
    }
    let entry_id = outbox::insert(
        tx,
        &NewEntry {
            client_id: &client_id,
            kind: EntryKind::Sale,
            licence: &sale.licence,
            acting_user: &sale.acting_user,
            record_id: sale_id,
            occurred_at_ms: to_ms(sale.occurred_at),
            depends_on: None,
            deltas: &deltas,
            creates: &[],
        },
        now,
    )?;
    crate::people::audit::append(
        tx,
        crate::time::from_ms(now),
        &crate::people::audit::AuditEvent::by(
            &sale.acting_user,
            crate::people::audit::AuditAction::SaleRecorded,
            &client_id,
            format!("licence {}, {} line(s)", sale.licence, sale.lines.len()),
        ),
    )?;
    let lines = sale
        .lines
        .iter()
        .map(|l| ReceiptRow {
            label: l.label.clone(),
            item_name: item_names.get(&l.label).cloned().unwrap_or_default(),
            quantity: l.quantity,
            unit_of_measure: l.unit_of_measure.clone(),
            total_amount: l.total_amount,
        })
        .collect();
    if let Some(ticket) = ticket {
        tickets::insert(tx, ticket, TicketKind::Sale, entry_id, now)?;
    }
    Ok(TicketOutcome::Recorded(RecordedSale {
        record_id: sale_id,
        entry_id,
        client_id: client_id.clone(),
        occurred_at: from_ms(to_ms(sale.occurred_at)),
        state: EntryState::Pending,
        patient_number: patient.map(str::to_owned),
        caregiver_number: caregiver.map(str::to_owned),
        lines,
    }))
}

impl Database {
    /// Records a sale, its lines and its outbox entry in one transaction (no exceptions; see
    /// [`Database::record_sale_with`]).
    pub fn record_sale(&self, sale: &NewSale) -> Result<RecordedSale, StoreError> {
        self.record_sale_with(sale, &SaleExceptions::default())
    }

    /// Records a sale, its lines, its outbox entry and its limit check in one transaction, with
    /// the exceptions a manager approved (a late paper sale; a medical sale without Metrc's
    /// patient data). Refused, with nothing written: a time in the future or before the
    /// licence's reporting window (unless approved late), a customer type Metrc does not know,
    /// a missing or malformed patient or caregiver number, too little on hand, an item the
    /// limits cannot count, a patient Metrc refused, or any purchase limit exceeded.
    pub fn record_sale_with(
        &self,
        sale: &NewSale,
        exceptions: &SaleExceptions,
    ) -> Result<RecordedSale, StoreError> {
        match self.record_sale_ticketed(sale, exceptions, None)? {
            TicketOutcome::Recorded(recorded) => Ok(recorded),
            TicketOutcome::Replayed(_) => Err(StoreError::Internal(
                "a sale without a ticket was taken for a replay".into(),
            )),
        }
    }

    /// Records a sale for a POS ticket, as [`Database::record_sale_with`] does, with the ticket
    /// row in the same transaction; the same ticket and body again replays the first sale and
    /// writes nothing; the same ticket with another body is refused (`ticket_conflict`).
    pub fn record_sale_for_ticket(
        &self,
        ticket: &Ticket,
        sale: &NewSale,
        exceptions: &SaleExceptions,
    ) -> Result<TicketOutcome<RecordedSale>, StoreError> {
        tickets::check_shape(ticket)?;
        self.record_sale_ticketed(sale, exceptions, Some(ticket))
    }

    fn record_sale_ticketed(
        &self,
        sale: &NewSale,
        exceptions: &SaleExceptions,
        ticket: Option<&Ticket>,
    ) -> Result<TicketOutcome<RecordedSale>, StoreError> {
        let pre = self.precheck_sale(sale)?;
        self.write(|tx| record_sale_in(tx, sale, exceptions, ticket, &pre))
    }

    /// Records sales for POS tickets in ONE write transaction (one durable commit for all), each
    /// in a savepoint of its own: a sale refused (on hand, limits, a ticket conflict, …) is rolled
    /// back alone and answered with its error, the others commit together. Each sale is checked
    /// against the ones before it in the batch (on hand, limits), as if recorded one by one.
    /// The outer error is the transaction's (the disk, the database): then none was recorded.
    #[allow(clippy::type_complexity)]
    pub fn record_sales_for_tickets(
        &self,
        batch: &[(Ticket, NewSale)],
    ) -> Result<Vec<Result<TicketOutcome<RecordedSale>, StoreError>>, StoreError> {
        // One sale alone needs no savepoint: its transaction is its own (a savepoint keeps a
        // sub-journal of every page the sale touches, which a lone sale would pay for nothing).
        if let [(ticket, sale)] = batch {
            return Ok(vec![self.record_sale_for_ticket(
                ticket,
                sale,
                &SaleExceptions::default(),
            )]);
        }
        let prechecked: Vec<Result<Prechecked, StoreError>> = batch
            .iter()
            .map(|(ticket, sale)| {
                tickets::check_shape(ticket)?;
                self.precheck_sale(sale)
            })
            .collect();
        let none = SaleExceptions::default();
        self.write(|tx| {
            let mut answers = Vec::with_capacity(batch.len());
            for ((ticket, sale), pre) in batch.iter().zip(prechecked) {
                let pre = match pre {
                    Ok(pre) => pre,
                    Err(e) => {
                        answers.push(Err(e));
                        continue;
                    }
                };
                tx.execute_batch("SAVEPOINT pos_sale")?;
                match record_sale_in(tx, sale, &none, Some(ticket), &pre) {
                    Ok(outcome) => {
                        tx.execute_batch("RELEASE pos_sale")?;
                        answers.push(Ok(outcome));
                    }
                    Err(e) => {
                        tx.execute_batch("ROLLBACK TO pos_sale; RELEASE pos_sale")?;
                        answers.push(Err(e));
                    }
                }
            }
            Ok(answers)
        })
    }

    /// A sale's checks that need no transaction, and its client id and check time.
    fn precheck_sale(&self, sale: &NewSale) -> Result<Prechecked, StoreError> {
        packages::non_empty("acting user", &sale.acting_user)?;
        packages::non_empty("customer type", &sale.customer_type)?;
        entry_checks::short_text("acting user", &sale.acting_user)?;
        entry_checks::short_text("customer type", &sale.customer_type)?;
        entry_checks::short_text(
            "patient number",
            sale.patient_number.as_deref().unwrap_or(""),
        )?;
        entry_checks::short_text(
            "caregiver number",
            sale.caregiver_number.as_deref().unwrap_or(""),
        )?;
        let checked_at = self.now();
        entry_checks::not_in_future(sale.occurred_at, checked_at)?;
        let client_id = self.new_client_id();
        let now = to_ms(checked_at);
        let patient = non_blank(sale.patient_number.as_deref())
            .map(|n| readings::licence_number_shape("patient number", n))
            .transpose()?;
        let caregiver = non_blank(sale.caregiver_number.as_deref())
            .map(|n| readings::licence_number_shape("caregiver number", n))
            .transpose()?;
        let identification_method = non_blank(sale.identification_method.as_deref())
            .map(licence_rules::identification_method_shape)
            .transpose()?;
        Ok(Prechecked {
            checked_at,
            client_id,
            now,
            patient,
            caregiver,
            identification_method,
        })
    }

    /// A sale by row id.
    pub fn sale(&self, id: i64) -> Result<Sale, StoreError> {
        self.read(|c| find(c, id)?.ok_or_else(|| StoreError::UnknownSale(format!("#{id}"))))
    }

    /// A sale by its client id (ExternalReceiptNumber).
    pub fn sale_by_client_id(&self, client_id: &str) -> Result<Sale, StoreError> {
        self.read(|c| {
            find_by_client_id(c, client_id)?
                .ok_or_else(|| StoreError::UnknownSale(client_id.to_owned()))
        })
    }
}
