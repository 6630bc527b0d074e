//! Recording sales and adjustments for POS tickets, and reading a ticket's record.
//!
//! Guarantees: `201` only after the record and its outbox entry committed (one transaction, with
//! the ticket row); `200` with `replayed: true` for the same ticket and contents again (nothing
//! new written); the same rules as the Sell screen (an enabled user allowed to make the record,
//! on hand, customer types, purchase limits, sale times), because the same store call checks
//! them — a medical sale's patient is read from Metrc first, as the Sell screen does; a refusal
//! writes nothing.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use stateline_store::{
    Actor, Database, EntryState, Money, NewAdjustment, NewSale, NewSaleLine, Package, Permission,
    Quantity, SaleExceptions, StoreError, Ticket, TicketKind, TicketOutcome,
};
use stateline_tasks::StoreCall;

use super::{ApiState, Caller};
use crate::PosError;
use crate::body::{JsonBody, PathParam, canonical_hash};
use crate::dto::{AdjustmentRequest, RecordView, SaleLineRequest, SaleRequest};
use crate::tokens::{self, Scope};

/// A time given by the POS, or now.
fn time_or_now(field: &str, text: Option<&str>, now: Timestamp) -> Result<Timestamp, PosError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(now),
        Some(text) => text.parse().map_err(|_| PosError::BadRequest {
            detail: format!(
                "field `{field}`: {text:?} is not a time; give RFC 3339 with an offset, like \
                 2026-11-22T18:02:11Z, or leave it out for now"
            ),
        }),
    }
}

/// The packages a request names, each read once.
#[derive(Default)]
struct Packages(HashMap<String, Package>);

impl Packages {
    fn get(&mut self, db: &Database, label: &str) -> Result<&Package, PosError> {
        let label = label.trim();
        if !self.0.contains_key(label) {
            let package = db.package(label)?;
            self.0.insert(label.to_owned(), package);
        }
        Ok(&self.0[label])
    }
}

/// The sale's lines, each with its package's unit when the POS left it out.
fn sale_lines(
    db: &Database,
    packages: &mut Packages,
    lines: &[SaleLineRequest],
) -> Result<Vec<NewSaleLine>, PosError> {
    if lines.is_empty() || lines.len() > 500 {
        return Err(PosError::BadRequest {
            detail: "field `lines`: a sale has 1 to 500 lines".into(),
        });
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = |e: StoreError| PosError::BadRequest {
                detail: format!("field `lines[{i}]`: {e}"),
            };
            let label = line.label.trim().to_owned();
            let unit_of_measure = match line.unit_of_measure.as_deref().map(str::trim) {
                Some(unit) if !unit.is_empty() => unit.to_owned(),
                _ => packages.get(db, &label)?.unit_of_measure.clone(),
            };
            Ok(NewSaleLine {
                quantity: Quantity::parse(line.quantity.trim()).map_err(at)?,
                total_amount: Money::parse(line.price.trim()).map_err(at)?,
                label,
                unit_of_measure,
            })
        })
        .collect()
}

/// The licence given, or the package's.
fn licence_or_package(
    db: &Database,
    packages: &mut Packages,
    given: Option<&str>,
    label: &str,
) -> Result<String, PosError> {
    match given.map(str::trim).filter(|l| !l.is_empty()) {
        Some(licence) => Ok(licence.to_owned()),
        None => Ok(packages.get(db, label)?.licence.clone()),
    }
}

/// The Stateline user the caller's budtender is, allowed to make `permission`'s records.
fn budtender(
    db: &Database,
    integration: i64,
    named: &str,
    permission: Permission,
) -> Result<Actor, PosError> {
    if named.trim().is_empty() {
        return Err(PosError::BadRequest {
            detail: "field `budtender`: name the budtender (a Stateline user, or a clerk id a \
                     manager mapped to one)"
                .into(),
        });
    }
    let user = db.read(|c| {
        tokens::confirm_live(c, integration)?;
        Ok::<_, PosError>(tokens::resolve_clerk(c, integration, named)?)
    })?;
    Ok(db.acting_as(&user, permission)?)
}

/// What prepares a record: on failure, a ticket recorded before is answered instead (a retry is
/// answered even when its request could no longer be prepared), unless the token itself failed.
fn or_replay(
    db: &Database,
    ticket: &Ticket,
    kind: TicketKind,
    failed: PosError,
) -> Result<(StatusCode, RecordView), PosError> {
    if matches!(failed, PosError::TokenRevoked | PosError::Unauthorized) {
        return Err(failed);
    }
    match db.prior_ticket(ticket, kind)? {
        Some(prior) => answer(db, ticket, prior.entry_id, true),
        None => Err(failed),
    }
}

/// Who sells and for which licence, for a medical sale's patient reading; `None` when the ticket
/// was recorded before (a replay needs no reading).
fn patient_reading_for(
    db: &Database,
    integration: i64,
    ticket: &Ticket,
    req: &SaleRequest,
) -> Result<Option<(Actor, String)>, PosError> {
    if db.prior_ticket(ticket, TicketKind::Sale)?.is_some() {
        return Ok(None);
    }
    let actor = budtender(db, integration, &req.budtender, Permission::Sell)?;
    let label = req
        .lines
        .first()
        .map(|l| l.label.as_str())
        .unwrap_or_default();
    let licence = licence_or_package(db, &mut Packages::default(), req.licence.as_deref(), label)?;
    Ok(Some((actor, licence)))
}

/// The answer for an entry made (or found) for a ticket.
fn answer(
    db: &Database,
    ticket: &Ticket,
    entry_id: i64,
    replayed: bool,
) -> Result<(StatusCode, RecordView), PosError> {
    let entry = db.entry(entry_id)?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        RecordView::of(ticket.ticket.trim().to_owned(), &entry, replayed),
    ))
}

/// The sale a request stands for.
fn prepare_sale(db: &Database, integration: i64, req: &SaleRequest) -> Result<NewSale, PosError> {
    let acting_user = budtender(db, integration, &req.budtender, Permission::Sell)?
        .name()
        .to_owned();
    let occurred_at = time_or_now("sold_at", req.sold_at.as_deref(), db.now())?;
    let mut packages = Packages::default();
    let lines = sale_lines(db, &mut packages, &req.lines)?;
    let licence = licence_or_package(db, &mut packages, req.licence.as_deref(), &lines[0].label)?;
    let customer_type = match req.customer_type.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => "Consumer".to_owned(),
    };
    Ok(NewSale {
        licence,
        acting_user,
        occurred_at,
        customer_type,
        patient_number: req.patient_number.clone(),
        caregiver_number: req.caregiver_number.clone(),
        identification_method: req.identification_method.clone(),
        lines,
    })
}

/// Records a sale for a ticket (or answers the ticket's earlier sale), on its own.
fn record_sale(
    db: &Database,
    integration: i64,
    ticket: &Ticket,
    req: &SaleRequest,
) -> Result<(StatusCode, RecordView), PosError> {
    let sale = match prepare_sale(db, integration, req) {
        Ok(sale) => sale,
        Err(failed) => return or_replay(db, ticket, TicketKind::Sale, failed),
    };
    match db.record_sale_for_ticket(ticket, &sale, &SaleExceptions::default())? {
        TicketOutcome::Recorded(recorded) => answer(db, ticket, recorded.entry_id, false),
        TicketOutcome::Replayed(prior) => answer(db, ticket, prior.entry_id, true),
    }
}

/// Records the sales of several tills in one transaction (the group commit of `batch`): each
/// prepared on its own, then all written together; a batch whose transaction fails as a whole is
/// recorded again one sale at a time.
pub(crate) fn record_sales(
    db: &Database,
    work: &[(i64, Ticket, SaleRequest)],
) -> Vec<Result<(StatusCode, RecordView), PosError>> {
    let mut answers: Vec<Option<Result<(StatusCode, RecordView), PosError>>> =
        work.iter().map(|_| None).collect();
    let mut batch = Vec::new();
    let mut index = Vec::new();
    for (i, (integration, ticket, req)) in work.iter().enumerate() {
        match prepare_sale(db, *integration, req) {
            Ok(sale) => {
                batch.push((ticket.clone(), sale));
                index.push(i);
            }
            Err(failed) => answers[i] = Some(or_replay(db, ticket, TicketKind::Sale, failed)),
        }
    }
    match db.record_sales_for_tickets(&batch) {
        Ok(outcomes) => {
            for ((i, (ticket, _)), outcome) in index.iter().zip(&batch).zip(outcomes) {
                answers[*i] = Some(match outcome {
                    Ok(TicketOutcome::Recorded(recorded)) => {
                        answer(db, ticket, recorded.entry_id, false)
                    }
                    Ok(TicketOutcome::Replayed(prior)) => answer(db, ticket, prior.entry_id, true),
                    Err(e) => Err(e.into()),
                });
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "a batch of sales failed as a whole; recording them one by one");
            for i in index {
                let (integration, ticket, req) = &work[i];
                answers[i] = Some(record_sale(db, *integration, ticket, req));
            }
        }
    }
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(PosError::Internal("a sale was left unanswered".into()))))
        .collect()
}

/// The adjustment a request stands for.
fn prepare_adjustment(
    db: &Database,
    integration: i64,
    req: &AdjustmentRequest,
) -> Result<NewAdjustment, PosError> {
    let acting_user = budtender(db, integration, &req.budtender, Permission::Adjust)?
        .name()
        .to_owned();
    let occurred_at = time_or_now("adjusted_at", req.adjusted_at.as_deref(), db.now())?;
    let label = req.label.trim().to_owned();
    let quantity = Quantity::parse(req.quantity.trim()).map_err(|e| PosError::BadRequest {
        detail: format!("field `quantity`: {e}"),
    })?;
    let mut packages = Packages::default();
    let unit_of_measure = match req.unit_of_measure.as_deref().map(str::trim) {
        Some(unit) if !unit.is_empty() => unit.to_owned(),
        _ => packages.get(db, &label)?.unit_of_measure.clone(),
    };
    Ok(NewAdjustment {
        licence: licence_or_package(db, &mut packages, req.licence.as_deref(), &label)?,
        acting_user,
        label,
        quantity,
        unit_of_measure,
        reason: req.reason.trim().to_owned(),
        note: req.note.clone().filter(|n| !n.trim().is_empty()),
        occurred_at,
    })
}

/// Records an adjustment for a ticket (or answers the ticket's earlier adjustment).
fn record_adjustment(
    db: &Database,
    integration: i64,
    ticket: &Ticket,
    req: &AdjustmentRequest,
) -> Result<(StatusCode, RecordView), PosError> {
    let adjustment = match prepare_adjustment(db, integration, req) {
        Ok(adjustment) => adjustment,
        Err(failed) => return or_replay(db, ticket, TicketKind::Adjustment, failed),
    };
    match db.record_adjustment_for_ticket(ticket, &adjustment)? {
        TicketOutcome::Recorded(recorded) => answer(db, ticket, recorded.entry_id, false),
        TicketOutcome::Replayed(prior) => answer(db, ticket, prior.entry_id, true),
    }
}

/// Record a sale.
#[utoipa::path(
    post, path = "/v1/sales", tag = "records",
    request_body = SaleRequest,
    security(("token" = [])),
    responses(
        (status = 201, description = "Recorded here (durably); it goes to Metrc in the background", body = RecordView),
        (status = 200, description = "This ticket was recorded before with the same contents: its record", body = RecordView),
        (status = 401, description = "No valid token (`unauthorized`, `token_revoked`)", body = crate::ErrorBody),
        (status = 403, description = "The token lacks the `record` scope, or the budtender may not sell", body = crate::ErrorBody),
        (status = 409, description = "The ticket was recorded with other contents (`ticket_conflict`)", body = crate::ErrorBody),
        (status = 422, description = "Refused, nothing recorded: `invalid_input`, `unknown_package`, `insufficient_quantity`, `over_limit`, `unknown_user`, …", body = crate::ErrorBody),
        (status = 503, description = "The register cannot write now; send the same ticket again later", body = crate::ErrorBody),
        (status = 507, description = "The register's disk is full (`disk_full`); nothing was recorded", body = crate::ErrorBody),
    )
)]
pub(crate) async fn post_sale(
    State(api): State<ApiState>,
    caller: Caller,
    JsonBody(req): JsonBody<SaleRequest>,
) -> Result<(StatusCode, Json<RecordView>), PosError> {
    let integration = caller.require(Scope::Record, "record sales")?;
    let ticket = Ticket {
        source: integration.ticket_source(),
        ticket: req.ticket_id.clone(),
        body_hash: canonical_hash(&req),
    };
    let id = integration.id;
    if let Some(patient) = req.patient_number.clone().filter(|p| !p.trim().is_empty()) {
        let (ticket, req) = (ticket.clone(), req.clone());
        let reading = api
            .ctx
            .db
            .call(move |db| patient_reading_for(db, id, &ticket, &req))
            .await?;
        if let Some((actor, licence)) = reading {
            api.ctx.host.read_patient(actor, licence, patient).await;
        }
    }
    let (status, view) = api.sales.record(id, ticket, req).await?;
    if status == StatusCode::CREATED {
        api.ctx.host.recorded(&view.licence);
    }
    Ok((status, Json(view)))
}

/// Record a package adjustment.
#[utoipa::path(
    post, path = "/v1/adjustments", tag = "records",
    request_body = AdjustmentRequest,
    security(("token" = [])),
    responses(
        (status = 201, description = "Recorded here (durably)", body = RecordView),
        (status = 200, description = "Recorded before with the same contents", body = RecordView),
        (status = 401, description = "No valid token", body = crate::ErrorBody),
        (status = 403, description = "The token lacks `record`, or the person is not a manager", body = crate::ErrorBody),
        (status = 409, description = "`ticket_conflict`", body = crate::ErrorBody),
        (status = 422, description = "Refused, nothing recorded (`unknown_adjustment_reason`, `note_required`, …)", body = crate::ErrorBody),
        (status = 503, description = "The register cannot write now", body = crate::ErrorBody),
        (status = 507, description = "The register's disk is full", body = crate::ErrorBody),
    )
)]
pub(crate) async fn post_adjustment(
    State(api): State<ApiState>,
    caller: Caller,
    JsonBody(req): JsonBody<AdjustmentRequest>,
) -> Result<(StatusCode, Json<RecordView>), PosError> {
    let integration = caller.require(Scope::Record, "record adjustments")?;
    let ticket = Ticket {
        source: integration.ticket_source(),
        ticket: req.ticket_id.clone(),
        body_hash: canonical_hash(&req),
    };
    let id = integration.id;
    let (status, view) = api
        .ctx
        .db
        .call(move |db| record_adjustment(db, id, &ticket, &req))
        .await?;
    if status == StatusCode::CREATED {
        api.ctx.host.recorded(&view.licence);
    }
    Ok((status, Json(view)))
}

/// Read the record made for a ticket, with Metrc's answer.
#[utoipa::path(
    get, path = "/v1/records/{ticket_id}", tag = "records",
    params(("ticket_id" = String, Path, description = "The POS's ticket id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The record as it stands", body = RecordView),
        (status = 401, description = "No valid token", body = crate::ErrorBody),
        (status = 403, description = "The token has neither `record` nor `status`", body = crate::ErrorBody),
        (status = 404, description = "No record for this ticket from this integration (`unknown_ticket`)", body = crate::ErrorBody),
        (status = 422, description = "The ticket id in the path cannot be read", body = crate::ErrorBody),
    )
)]
pub(crate) async fn get_record(
    State(api): State<ApiState>,
    caller: Caller,
    PathParam(ticket_id): PathParam,
) -> Result<Json<RecordView>, PosError> {
    let integration = caller.require_any(&[Scope::Status, Scope::Record], "read records")?;
    let source = integration.ticket_source();
    let integration_id = integration.id;
    let view = api
        .ctx
        .db
        .call(move |db| -> Result<_, PosError> {
            db.read(|c| tokens::confirm_live(c, integration_id))?;
            let entry_id =
                db.ticket_entry(&source, &ticket_id)?
                    .ok_or_else(|| PosError::UnknownTicket {
                        ticket: ticket_id.trim().chars().take(100).collect(),
                    })?;
            let entry = db.entry(entry_id)?;
            Ok(RecordView::of(ticket_id.trim().to_owned(), &entry, false))
        })
        .await?;
    Ok(Json(view))
}

/// Whether a state means "not yet in Metrc" (for the status counts).
pub(crate) fn waiting(state: EntryState) -> bool {
    matches!(
        state,
        EntryState::Pending | EntryState::Sending | EntryState::Ambiguous
    )
}
