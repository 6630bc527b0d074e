//! `PUT /sales/v2/receipts` (corrections) and `DELETE /sales/v2/receipts/{id}` (voids) of sales
//! recorded at this register, through the store's own correction and void.
//!
//! Guarantees: only a user allowed to void or correct sales may (`403` otherwise); the `Id` is
//! the one the door answered the sale with (see `views`) — a receipt this register did not record
//! is refused with a message saying to change it in Metrc; a correction replaces the sale's lines
//! (the store checks on hand with the old lines given back) and must keep its time, customer type
//! and numbers; every row is checked before any is recorded; a correction equal to the sale's
//! current lines, or a void of a sale already voided, writes nothing (a retried call is
//! harmless); the answer (`200`, empty body, as Metrc) comes only after the commit; the store
//! sends each change after the sale it changes is confirmed.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use stateline_store::{Database, NewSaleCorrection, NewSaleLine, Permission, StoreError};
use stateline_tasks::StoreCall;

use super::answer::{Refusal, is_register_trouble, receipt_id};
use super::auth::identify;
use super::reads::{Params, licence_here};
use super::receipts::{lines, stopped_at};
use super::views::{LocalSale, local_sale};
use super::wire::{DoorReceiptUpdate, sales_instant};
use super::{parse_rows, respond};
use crate::PosContext;

/// The reason a void through the door is recorded with.
const VOID_REASON: &str = "voided by the POS through the Metrc-compatible door";

fn not_here(id: i64) -> String {
    format!(
        "receipt {id} was not recorded at this register (the door knows its sales by the Ids it \
         answered them with); change it in Metrc itself"
    )
}

/// A sale and its new lines.
type Change = (LocalSale, Vec<NewSaleLine>);

/// What a row of a correction changes (nothing when the lines are already so), or why it cannot.
fn check_update(
    db: &Database,
    licence: &str,
    tz: &TimeZone,
    update: &DoorReceiptUpdate,
) -> Result<Result<Option<Change>, Vec<String>>, StoreError> {
    let Some(sale) = local_sale(db, Some(licence), update.id)? else {
        return Ok(Err(vec![not_here(update.id)]));
    };
    let mut problems = Vec::new();
    let r = &update.receipt;
    if let Some(text) = r.sales_date_time.as_deref() {
        match sales_instant(text, tz) {
            Ok(at) if at.as_second() != sale.sale.occurred_at.as_second() => problems.push(
                "SalesDateTime differs from the sale's; only the lines (Transactions) of a sale \
                 can be corrected here — void it and record it again to change its time"
                    .to_owned(),
            ),
            Ok(_) => {}
            Err(message) => problems.push(message),
        }
    }
    if let Some(t) = r.sales_customer_type.as_deref()
        && t.trim() != sale.sale.customer_type
    {
        problems.push(
            "SalesCustomerType differs from the sale's; only the lines (Transactions) of a sale \
             can be corrected here — void it and record it again"
                .to_owned(),
        );
    }
    let same = |given: &Option<String>, had: &Option<String>| {
        given.as_deref().map(str::trim).filter(|s| !s.is_empty())
            == had.as_deref().map(str::trim).filter(|s| !s.is_empty())
    };
    if !same(&r.patient_license_number, &sale.sale.patient_number)
        || !same(&r.caregiver_license_number, &sale.sale.caregiver_number)
        || !same(&r.identification_method, &sale.sale.identification_method)
    {
        problems.push(
            "the patient or caregiver number or the identification method differs from the \
             sale's; void the sale and record it again"
                .to_owned(),
        );
    }
    let new_lines = lines(db, licence, &r.transactions, None, &mut problems)?;
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if new_lines == sale.sale.current_lines {
        return Ok(Ok(None));
    }
    Ok(Ok(Some((sale, new_lines))))
}

fn correct_batch(
    db: &Database,
    licence: &str,
    user: &str,
    updates: &[DoorReceiptUpdate],
) -> Result<bool, Refusal> {
    let tz = licence_here(db, licence)?.tz()?;
    db.require_user_may(user, Permission::VoidOrCorrectSale)?;
    let checked = updates
        .iter()
        .map(|update| check_update(db, licence, &tz, update))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let ready = Refusal::unless_all_pass(checked)?;
    let mut done = Vec::new();
    for (row, change) in ready.into_iter().enumerate() {
        let Some((sale, lines)) = change else {
            continue;
        };
        let correction = NewSaleCorrection {
            sale_client_id: sale.sale.client_id.clone(),
            acting_user: user.to_owned(),
            lines,
        };
        match db.record_sale_correction(&correction) {
            Ok(_) => done.push(sale.entry.id),
            Err(e) if is_register_trouble(&e) => {
                return Err(Refusal::Message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("row {row}: {}", stopped_at(row, &e, &done)),
                ));
            }
            Err(e) => return Err(Refusal::row(row, stopped_at(row, &e, &done))),
        }
    }
    Ok(!done.is_empty())
}

async fn put(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let updates: Vec<DoorReceiptUpdate> = parse_rows(&body)?;
    let (user, l) = (budtender.user.clone(), licence.clone());
    let wrote = ctx
        .db
        .call(move |db| correct_batch(db, &l, &user, &updates))
        .await?;
    if wrote {
        ctx.host.recorded(&licence);
    }
    Ok(StatusCode::OK.into_response())
}

/// `PUT /sales/v2/receipts`.
pub(crate) async fn put_receipts(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    respond(put(ctx, headers, Params::new(query), body).await)
}

fn void(
    db: &Database,
    licence: Option<&str>,
    user: &str,
    id: i64,
) -> Result<Option<String>, Refusal> {
    db.require_user_may(user, Permission::VoidOrCorrectSale)?;
    let Some(sale) = local_sale(db, licence, id)? else {
        return Err(Refusal::not_found(not_here(id)));
    };
    if sale.voided_at.is_some() {
        return Ok(None);
    }
    db.record_sale_void(&sale.sale.client_id, VOID_REASON, user)?;
    Ok(Some(sale.entry.licence))
}

async fn delete(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    id: String,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let id = receipt_id(&id)?;
    let licence = params.get("licenseNumber").map(str::to_owned);
    let user = budtender.user.clone();
    let voided = ctx
        .db
        .call(move |db| void(db, licence.as_deref(), &user, id))
        .await?;
    if let Some(licence) = voided {
        ctx.host.recorded(&licence);
    }
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /sales/v2/receipts/{id}`.
pub(crate) async fn delete_receipt(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(delete(ctx, headers, Params::new(query), id).await)
}
