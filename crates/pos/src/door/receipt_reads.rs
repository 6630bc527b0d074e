//! Reading receipts through the door: `GET /sales/v2/receipts/active`, `/sales/v2/receipts/{id}`
//! and `/sales/v2/receipts/external/{number}` — the register's own sales merged with Metrc's.
//!
//! Guarantees:
//! - the register's sales are always shown from the local store, under the door's ids and the
//!   POS's numbers (see `views`), whatever Metrc's copy of them says: Metrc's copy of a sale this
//!   register recorded (same Metrc id, or its external number is the sale's client id) is
//!   replaced by the local one, never listed twice;
//! - Metrc is asked with the caller's own key; receipts Metrc holds that this register did not
//!   record are passed through as Metrc gave them;
//! - a sale still queued here is listed when its `LastModified` (its last state change) falls in
//!   the window; without a window the last 24 hours are meant;
//! - when Metrc does not answer, the answer is the register's own sales alone (never an error),
//!   and a lookup of something the register does not hold says Metrc could not be asked.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use metrc::Receipt;
use stateline_store::StoreError;
use stateline_tasks::StoreCall;

use super::answer::{Refusal, receipt_id};
use super::auth::identify;
use super::reads::{Params, Reached, envelope, licence_here, reached, within};
use super::receipts::source;
use super::respond;
use super::views::{LocalSale, local_sale, local_sales};
use crate::PosContext;

/// Merges Metrc's receipts with the register's sales (see the module's guarantees).
fn merge(
    locals: &[LocalSale],
    metrc: Option<Vec<Receipt>>,
    window: &metrc::LastModifiedWindow,
    tz: &jiff::tz::TimeZone,
) -> Vec<Receipt> {
    let mut by_metrc_id = HashMap::new();
    let mut by_client_id = HashMap::new();
    for (i, l) in locals.iter().enumerate() {
        if let Some(id) = l.entry.metrc_id {
            by_metrc_id.insert(id, i);
        }
        by_client_id.insert(l.sale.client_id.as_str(), i);
    }
    let mut shown = HashSet::new();
    let mut out = Vec::new();
    for r in metrc.unwrap_or_default() {
        let ours = by_metrc_id.get(&r.id).copied().or_else(|| {
            r.external_receipt_number
                .as_deref()
                .and_then(|n| by_client_id.get(n).copied())
        });
        match ours {
            Some(i) => {
                if locals[i].is_active() && shown.insert(i) {
                    out.push(locals[i].receipt(tz));
                }
            }
            None => out.push(r),
        }
    }
    let mut queued: Vec<&LocalSale> = locals
        .iter()
        .enumerate()
        .filter(|(i, l)| !shown.contains(i) && l.is_active() && within(window, l.last_modified()))
        .map(|(_, l)| l)
        .collect();
    queued.sort_by_key(|l| l.entry.id);
    out.extend(queued.into_iter().map(|l| l.receipt(tz)));
    out
}

async fn active(ctx: PosContext, headers: HeaderMap, params: Params) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let paging = params.paging()?;
    let window = params.window(ctx.db.now(), 24)?;
    let l = licence.clone();
    let (tz, locals) = ctx
        .db
        .call(move |db| -> Result<_, Refusal> {
            Ok((licence_here(db, &l)?.tz()?, local_sales(db, &l)?))
        })
        .await?;
    let answer = budtender
        .link
        .client
        .active_receipts(&budtender.key, &licence, window)
        .await;
    let metrc = match reached(answer)? {
        Reached::Answer(list) => Some(list),
        Reached::Down(_) => None,
    };
    let merged = merge(&locals, metrc, &window, &tz);
    Ok(axum::Json(envelope(merged, paging)).into_response())
}

/// `GET /sales/v2/receipts/active`.
pub(crate) async fn get_active(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(active(ctx, headers, Params::new(query)).await)
}

/// A receipt Metrc did not answer for.
fn metrc_down(what: &str, why: &str) -> Refusal {
    Refusal::Message(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{what} is not one this register recorded, and Metrc could not be asked: {why}"),
    )
}

async fn by_id(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    id: String,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let id = receipt_id(&id)?;
    let licence = params.get("licenseNumber").map(str::to_owned);
    let l = licence.clone();
    let local = ctx
        .db
        .call(move |db| -> Result<_, StoreError> {
            match local_sale(db, l.as_deref(), id)? {
                Some(sale) => {
                    let tz = db.licence(&sale.entry.licence)?.tz()?;
                    Ok(Some(sale.receipt(&tz)))
                }
                None => Ok(None),
            }
        })
        .await?;
    if let Some(receipt) = local {
        return Ok(axum::Json(receipt).into_response());
    }
    let licence = params.licence()?;
    let answer = budtender
        .link
        .client
        .receipt(&budtender.key, &licence, id)
        .await;
    match reached(answer)? {
        Reached::Answer(Some(receipt)) => Ok(axum::Json(receipt).into_response()),
        Reached::Answer(None) => Err(Refusal::not_found(format!(
            "no receipt {id} at licence {licence}, here or in Metrc"
        ))),
        Reached::Down(why) => Err(metrc_down(&format!("Receipt {id}"), &why)),
    }
}

/// `GET /sales/v2/receipts/{id}`.
pub(crate) async fn get_by_id(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(by_id(ctx, headers, Params::new(query), id).await)
}

async fn by_external(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    number: String,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let (l, n) = (licence.clone(), number.clone());
    let local = ctx
        .db
        .call(move |db| -> Result<_, Refusal> {
            let tz = licence_here(db, &l)?.tz()?;
            let entry = match db.ticket_entry(&source(&l), &n)? {
                Some(entry) => Some(entry),
                None => db
                    .entry_by_client_id(n.trim())?
                    .filter(|e| e.kind == stateline_store::EntryKind::Sale)
                    .map(|e| e.id),
            };
            match entry {
                Some(id) => Ok(local_sale(db, Some(&l), id)?.map(|s| s.receipt(&tz))),
                None => Ok(None),
            }
        })
        .await?;
    if let Some(receipt) = local {
        return Ok(axum::Json(receipt).into_response());
    }
    let answer = budtender
        .link
        .client
        .receipt_by_external_number(&budtender.key, &licence, &number)
        .await;
    match reached(answer)? {
        Reached::Answer(Some(receipt)) => Ok(axum::Json(receipt).into_response()),
        Reached::Answer(None) => Err(Refusal::not_found(format!(
            "no receipt with ExternalReceiptNumber {number} at licence {licence}, here or in Metrc"
        ))),
        Reached::Down(why) => Err(metrc_down(&format!("ExternalReceiptNumber {number}"), &why)),
    }
}

/// `GET /sales/v2/receipts/external/{number}`.
pub(crate) async fn get_by_external(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(by_external(ctx, headers, Params::new(query), number).await)
}
