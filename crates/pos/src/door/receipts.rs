//! `POST /sales/v2/receipts?licenseNumber=`: a POS's receipts recorded at the register, each
//! once, and answered with Metrc's `{"Ids": […], "Warnings": null}`.
//!
//! Guarantees:
//! - every row is checked before any is recorded (shape, time, customer type, packages of this
//!   licence, units, on hand for the whole batch together, the ticket not taken by other
//!   contents); any problem refuses the whole batch with Metrc's `400 [{"row", "message"}]`
//!   and nothing is written;
//! - each row is then recorded through the store's `record_sale_for_ticket` (the Sell screen's
//!   rules: an enabled user allowed to sell, on hand, purchase limits, customer types, sale
//!   times), with the ticket `door:<licence>` / `ExternalReceiptNumber` (or, without one, a
//!   number derived from the receipt's canonical hash) and the receipt's canonical hash, so the
//!   same receipt again is the same sale and other contents under the same number are refused;
//! - a refusal only the recording itself can find (a purchase limit) stops the batch at that
//!   row: the rows before it stay recorded and the answer says which, with their ids — sending
//!   the batch again after fixing the row records each earlier row no second time;
//! - `200` only after each recorded row committed durably; the ids are the local outbox entry
//!   ids (see `views`), then `Host::recorded` wakes delivery.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use serde_json::json;
use stateline_store::{
    Database, Money, NewSale, NewSaleLine, Permission, Quantity, SaleExceptions, StoreError,
    Ticket, TicketKind, TicketOutcome,
};
use stateline_tasks::StoreCall;

use super::answer::{Refusal, is_register_trouble};
use super::auth::identify;
use super::reads::{Params, licence_here};
use super::wire::{DoorReceipt, DoorTransaction, sales_instant};
use super::{parse_rows, respond};
use crate::{PosContext, canonical_hash};

/// Most rows a write takes in one call.
pub(crate) const MAX_ROWS: usize = 100;
/// How far ahead of the register's clock a sale time may be (tills drift).
const FUTURE_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Metrc's customer types, until the register cached the licence's own.
const STANDARD_TYPES: [&str; 4] = ["Consumer", "Patient", "Caregiver", "ExternalPatient"];

/// The ticket source of the door at `licence`.
pub(crate) fn source(licence: &str) -> String {
    format!("door:{licence}")
}

/// The customer types sales are checked against (the cached list, else Metrc's standard four).
pub(crate) fn customer_types(db: &Database) -> Result<Vec<String>, StoreError> {
    let cached: Vec<String> = db.read(|c| {
        let mut stmt = c.prepare_cached("SELECT name FROM app_customer_types ORDER BY position")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok::<_, StoreError>(rows)
    })?;
    Ok(if cached.is_empty() {
        STANDARD_TYPES.iter().map(|t| (*t).to_owned()).collect()
    } else {
        cached
    })
}

/// The lines of a receipt, checked against this licence's packages; quantities taken are added
/// to `taken` (label → quantity) so a batch is checked against on hand as a whole.
pub(crate) fn lines(
    db: &Database,
    licence: &str,
    transactions: &[DoorTransaction],
    taken: Option<&mut HashMap<String, Quantity>>,
    problems: &mut Vec<String>,
) -> Result<Vec<NewSaleLine>, StoreError> {
    if transactions.is_empty() || transactions.len() > 500 {
        problems.push("Transactions must hold 1 to 500 lines".into());
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut wanted: HashMap<String, Quantity> = HashMap::new();
    for (i, t) in transactions.iter().enumerate() {
        let label = t.package_label.trim().to_owned();
        if label.is_empty() {
            problems.push(format!("Transactions[{i}]: PackageLabel is required"));
            continue;
        }
        let package = match db.package(&label) {
            Ok(p) => p,
            Err(StoreError::UnknownPackage { .. }) => {
                problems.push(format!(
                    "Transactions[{i}]: package {label} is not known at this register; check \
                     the label, or refresh the packages in Stateline"
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        if package.licence != licence {
            problems.push(format!(
                "Transactions[{i}]: package {label} belongs to licence {}, not {licence}",
                package.licence
            ));
            continue;
        }
        let quantity = match t.quantity {
            Some(q) if q.is_finite() && Quantity::from_f64(q).is_positive() => {
                Quantity::from_f64(q)
            }
            _ => {
                problems.push(format!(
                    "Transactions[{i}]: Quantity must be a number above zero"
                ));
                continue;
            }
        };
        let unit = match t.unit_of_measure.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u.to_owned(),
            _ => package.unit_of_measure.clone(),
        };
        if unit != package.unit_of_measure {
            problems.push(format!(
                "Transactions[{i}]: package {label} is counted in {}, not {unit}; send its unit",
                package.unit_of_measure
            ));
            continue;
        }
        let total = match t.total_amount {
            Some(a) if (0.0..1e12).contains(&a) => Money::from_cents((a * 100.0).round() as i64),
            _ => {
                problems.push(format!(
                    "Transactions[{i}]: TotalAmount must be a number, zero or more"
                ));
                continue;
            }
        };
        *wanted.entry(label.clone()).or_insert(Quantity::ZERO) =
            wanted.get(&label).copied().unwrap_or(Quantity::ZERO) + quantity;
        out.push(NewSaleLine {
            label,
            quantity,
            unit_of_measure: unit,
            total_amount: total,
        });
    }
    if let Some(taken) = taken {
        for (label, quantity) in wanted {
            let sum = taken.get(&label).copied().unwrap_or(Quantity::ZERO) + quantity;
            let on_hand = db.on_hand(&label)?;
            if sum.milli() > on_hand.milli() {
                problems.push(format!(
                    "only {on_hand} of package {label} is on hand at this register, and this \
                     batch sells {sum} of it up to this receipt; sell less, or adjust the package"
                ));
            }
            taken.insert(label, sum);
        }
    }
    Ok(out)
}

/// A row ready to record, or the id it was recorded under before.
enum Prepared {
    Record(Box<(Ticket, NewSale)>),
    Replay(i64),
}

/// The ticket of a receipt: its `ExternalReceiptNumber`, or one derived from its contents.
fn ticket_of(licence: &str, receipt: &DoorReceipt) -> Ticket {
    let body_hash = canonical_hash(receipt);
    let ticket = match receipt.external_receipt_number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => format!("sha256-{}", &body_hash[..40]),
    };
    Ticket {
        source: source(licence),
        ticket,
        body_hash,
    }
}

/// Why a ticket's number cannot be used for these contents.
fn conflict_message(ticket: &Ticket, recorded_as: &str) -> String {
    format!(
        "ExternalReceiptNumber {} was already recorded at this register with other contents (as \
         sale {recorded_as}); give a new sale a new number, or send exactly the first contents \
         again to get its Id",
        ticket.ticket
    )
}

#[allow(clippy::too_many_arguments)]
fn prepare(
    db: &Database,
    licence: &str,
    tz: &TimeZone,
    user: &str,
    receipt: &DoorReceipt,
    types: &[String],
    seen: &mut HashMap<String, String>,
    taken: &mut HashMap<String, Quantity>,
) -> Result<Result<Prepared, Vec<String>>, StoreError> {
    let ticket = ticket_of(licence, receipt);
    let mut problems = Vec::new();
    if ticket.ticket.chars().count() > 100 || ticket.ticket.chars().any(char::is_control) {
        problems.push("ExternalReceiptNumber must be 1 to 100 printable characters".into());
        return Ok(Err(problems));
    }
    match seen.get(&ticket.ticket) {
        Some(hash) if *hash != ticket.body_hash => {
            problems.push(format!(
                "ExternalReceiptNumber {} appears twice in this batch with different contents; \
                 give each sale its own number",
                ticket.ticket
            ));
            return Ok(Err(problems));
        }
        _ => {
            seen.insert(ticket.ticket.clone(), ticket.body_hash.clone());
        }
    }
    match db.prior_ticket(&ticket, TicketKind::Sale) {
        Ok(Some(prior)) => return Ok(Ok(Prepared::Replay(prior.entry_id))),
        Ok(None) => {}
        Err(StoreError::TicketConflict { recorded_as, .. }) => {
            return Ok(Err(vec![conflict_message(&ticket, &recorded_as)]));
        }
        Err(e) if e.code() == "invalid_input" => return Ok(Err(vec![e.to_string()])),
        Err(e) => return Err(e),
    }
    let now = db.now();
    let occurred_at = match receipt.sales_date_time.as_deref() {
        None => {
            problems.push(
                "SalesDateTime is required: the facility's local time of the sale, without an \
                 offset"
                    .into(),
            );
            None
        }
        Some(text) => match sales_instant(text, tz) {
            Ok(at) if at > now + FUTURE_SLACK => {
                problems.push(format!(
                    "SalesDateTime {text} is in the future at the facility (time zone {}); check \
                     the POS's clock and send the facility's local time",
                    tz.iana_name().unwrap_or("of the licence")
                ));
                None
            }
            Ok(at) => Some(at),
            Err(message) => {
                problems.push(message);
                None
            }
        },
    };
    let customer_type = receipt
        .sales_customer_type
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    if !types.iter().any(|t| t == customer_type) {
        problems.push(format!(
            "SalesCustomerType {customer_type:?} is not one Metrc knows here; use one of: {}",
            types.join(", ")
        ));
    }
    let lines = lines(
        db,
        licence,
        &receipt.transactions,
        Some(taken),
        &mut problems,
    )?;
    match occurred_at {
        Some(occurred_at) if problems.is_empty() => Ok(Ok(Prepared::Record(Box::new((
            ticket,
            NewSale {
                licence: licence.to_owned(),
                acting_user: user.to_owned(),
                occurred_at,
                customer_type: customer_type.to_owned(),
                patient_number: receipt.patient_license_number.clone(),
                caregiver_number: receipt.caregiver_license_number.clone(),
                identification_method: receipt.identification_method.clone(),
                lines,
            },
        ))))),
        _ => Ok(Err(problems)),
    }
}

/// What a batch did: the ids, and whether anything new was written.
struct Outcome {
    ids: Vec<i64>,
    wrote: bool,
}

/// The message for a row refused while recording, saying what happened to the rows before it.
pub(crate) fn stopped_at(row: usize, e: &StoreError, done: &[i64]) -> String {
    if done.is_empty() {
        format!("{e}; nothing of this batch was recorded")
    } else {
        format!(
            "{e}; rows 0 to {} of this batch were recorded (Ids {:?}) and are kept, row {row} and \
             the rows after it were not: fix this row and send the batch again (the recorded rows \
             are answered with the same Ids, not recorded twice)",
            row - 1,
            done
        )
    }
}

fn record_batch(
    db: &Database,
    licence: &str,
    user: &str,
    receipts: &[DoorReceipt],
) -> Result<Outcome, Refusal> {
    let tz = licence_here(db, licence)?.tz()?;
    db.require_user_may(user, Permission::Sell)?;
    let types = customer_types(db)?;
    let mut seen = HashMap::new();
    let mut taken = HashMap::new();
    let checked = receipts
        .iter()
        .map(|receipt| {
            prepare(
                db, licence, &tz, user, receipt, &types, &mut seen, &mut taken,
            )
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let prepared = Refusal::unless_all_pass(checked)?;
    let mut outcome = Outcome {
        ids: Vec::new(),
        wrote: false,
    };
    for (row, p) in prepared.into_iter().enumerate() {
        let (ticket, sale) = match p {
            Prepared::Replay(id) => {
                outcome.ids.push(id);
                continue;
            }
            Prepared::Record(boxed) => *boxed,
        };
        match db.record_sale_for_ticket(&ticket, &sale, &SaleExceptions::default()) {
            Ok(TicketOutcome::Recorded(recorded)) => {
                outcome.wrote = true;
                outcome.ids.push(recorded.entry_id);
            }
            Ok(TicketOutcome::Replayed(prior)) => outcome.ids.push(prior.entry_id),
            Err(StoreError::TicketConflict { recorded_as, .. }) => {
                return Err(Refusal::row(row, conflict_message(&ticket, &recorded_as)));
            }
            Err(e) if is_register_trouble(&e) => {
                return Err(Refusal::Message(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    format!("row {row}: {}", stopped_at(row, &e, &outcome.ids)),
                ));
            }
            Err(e) => return Err(Refusal::row(row, stopped_at(row, &e, &outcome.ids))),
        }
    }
    Ok(outcome)
}

async fn post(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let receipts: Vec<DoorReceipt> = parse_rows(&body)?;
    let user = budtender.user.clone();
    let l = licence.clone();
    let outcome = ctx
        .db
        .call(move |db| record_batch(db, &l, &user, &receipts))
        .await?;
    if outcome.wrote {
        ctx.host.recorded(&licence);
    }
    Ok(axum::Json(json!({ "Ids": outcome.ids, "Warnings": null })).into_response())
}

/// `POST /sales/v2/receipts`.
pub(crate) async fn post_receipts(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    respond(post(ctx, headers, Params::new(query), body).await)
}
