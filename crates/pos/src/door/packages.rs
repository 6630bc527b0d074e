//! Packages through the door: `GET /packages/v2/active`, `GET /packages/v2/{label}`,
//! `GET /packages/v2/adjust/reasons` and `POST /packages/v2/adjust`.
//!
//! Guarantees:
//! - a package the register holds is shown with its local on hand (every sale and adjustment
//!   recorded here and not yet confirmed already counted), over Metrc's own record when Metrc
//!   answered, so a POS never sells what the register has already sold; packages created here and
//!   not yet in Metrc are listed too; when Metrc does not answer, the register's packages with
//!   something on hand are the answer;
//! - adjustment reasons come from the register's cache, else from Metrc;
//! - an adjustment needs a user allowed to adjust (`403` otherwise); every row is checked before
//!   any is recorded (package of this licence, unit, a non-zero change, on hand for the batch, a
//!   known reason, its note, a date not in the future); each row is recorded through
//!   `record_adjustment_for_ticket` with a ticket made from the row's canonical hash, so the same
//!   row sent again is the same adjustment (a second identical adjustment needs a different
//!   `ReasonNote`); the ids answered are local outbox entry ids, after the commit.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;
use stateline_store::{
    AdjustmentReason, Database, NewAdjustment, Permission, Quantity, StoreError, Ticket,
    TicketKind, TicketOutcome,
};
use stateline_tasks::StoreCall;

use super::answer::{Refusal, RowProblem, is_register_trouble};
use super::auth::identify;
use super::reads::{Params, Reached, envelope, licence_here, reached, within};
use super::receipts::{source, stopped_at};
use super::views::package_view;
use super::wire::DoorAdjustment;
use super::{parse_rows, respond};
use crate::{PosContext, canonical_hash};

async fn active(ctx: PosContext, headers: HeaderMap, params: Params) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let paging = params.paging()?;
    let windowed = params.has_window();
    let window = params.window(ctx.db.now(), 24)?;
    let l = licence.clone();
    let locals = ctx
        .db
        .call(move |db| -> Result<_, Refusal> {
            licence_here(db, &l)?;
            Ok(db.packages(&l)?)
        })
        .await?;
    let answer = budtender
        .link
        .client
        .active_packages(&budtender.key, &licence, windowed.then_some(window))
        .await;
    let mut by_label: HashMap<&str, &stateline_store::Package> =
        locals.iter().map(|p| (p.label.as_str(), p)).collect();
    let list: Vec<metrc::Package> = match reached(answer)? {
        Reached::Answer(from_metrc) => {
            let mut out: Vec<metrc::Package> = from_metrc
                .into_iter()
                .map(|m| match by_label.remove(m.label.as_str()) {
                    Some(local) => package_view(local, Some(m)),
                    None => m,
                })
                .collect();
            let mut new_here: Vec<_> = by_label.values().filter(|p| p.local_only).collect();
            new_here.sort_by(|a, b| a.label.cmp(&b.label));
            out.extend(new_here.into_iter().map(|p| package_view(p, None)));
            out
        }
        Reached::Down(_) => locals
            .iter()
            .filter(|p| p.on_hand.is_positive())
            .filter(|p| {
                !windowed
                    || p.local_only
                    || p.on_hand != p.metrc_quantity
                    || p.last_modified.is_some_and(|t| within(&window, t))
            })
            .map(|p| package_view(p, None))
            .collect(),
    };
    Ok(axum::Json(envelope(list, paging)).into_response())
}

/// `GET /packages/v2/active`.
pub(crate) async fn get_active(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(active(ctx, headers, Params::new(query)).await)
}

async fn by_label(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    label: String,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let (l, wanted) = (licence.clone(), label.clone());
    let local = ctx
        .db
        .call(move |db| -> Result<_, Refusal> {
            licence_here(db, &l)?;
            match db.package(wanted.trim()) {
                Ok(p) if p.licence == l => Ok(Some(p)),
                Ok(_) | Err(StoreError::UnknownPackage { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let answer = budtender
        .link
        .client
        .package_by_label(&budtender.key, &licence, label.trim())
        .await;
    let answer = match (&local, answer) {
        (Some(_), Err(metrc::MetrcError::NotFound)) => Ok(None),
        (_, other) => other,
    };
    match (local, reached(answer)?) {
        (Some(local), Reached::Answer(m)) => {
            Ok(axum::Json(package_view(&local, m)).into_response())
        }
        (Some(local), Reached::Down(_)) => {
            Ok(axum::Json(package_view(&local, None)).into_response())
        }
        (None, Reached::Answer(Some(m))) => Ok(axum::Json(m).into_response()),
        (None, Reached::Answer(None)) => Err(Refusal::not_found(format!(
            "no package {label} at licence {licence}, here or in Metrc"
        ))),
        (None, Reached::Down(why)) => Err(Refusal::Message(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "package {label} is not one this register holds, and Metrc could not be asked: {why}"
            ),
        )),
    }
}

/// `GET /packages/v2/{label}`.
pub(crate) async fn get_by_label(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Path(label): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(by_label(ctx, headers, Params::new(query), label).await)
}

async fn reasons(ctx: PosContext, headers: HeaderMap, params: Params) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let paging = params.paging()?;
    let l = licence.clone();
    let cached = ctx
        .db
        .call(move |db| -> Result<_, Refusal> {
            licence_here(db, &l)?;
            Ok(db.adjustment_reasons(&l)?)
        })
        .await?;
    let list: Vec<metrc::AdjustReason> = if cached.is_empty() {
        let answer = budtender
            .link
            .client
            .adjust_reasons(&budtender.key, &licence)
            .await;
        match reached(answer)? {
            Reached::Answer(list) => list,
            Reached::Down(why) => {
                return Err(Refusal::Message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "this register has no adjustment reasons cached for {licence} yet, and \
                         Metrc could not be asked: {why}"
                    ),
                ));
            }
        }
    } else {
        cached
            .into_iter()
            .map(|r| metrc::AdjustReason {
                name: r.name,
                requires_note: r.requires_note,
                ..metrc::AdjustReason::default()
            })
            .collect()
    };
    Ok(axum::Json(envelope(list, paging)).into_response())
}

/// `GET /packages/v2/adjust/reasons`.
pub(crate) async fn get_reasons(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    respond(reasons(ctx, headers, Params::new(query)).await)
}

/// The instant an adjustment dated `date` (local) is recorded at: now for today, noon of an
/// earlier day.
fn adjusted_at(date: Date, tz: &TimeZone, now: jiff::Timestamp) -> Result<jiff::Timestamp, String> {
    let today = now.to_zoned(tz.clone()).date();
    if date > today {
        return Err(format!(
            "AdjustmentDate {date} is after today at the facility ({today}); send the local date \
             of the adjustment"
        ));
    }
    if date == today {
        return Ok(now);
    }
    date.at(12, 0, 0, 0)
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| format!("AdjustmentDate {date} cannot be placed in the facility's zone: {e}"))
}

#[allow(clippy::too_many_arguments)]
fn prepare(
    db: &Database,
    licence: &str,
    tz: &TimeZone,
    user: &str,
    row: &DoorAdjustment,
    reasons: &[AdjustmentReason],
    taken: &mut HashMap<String, Quantity>,
) -> Result<Result<(Ticket, NewAdjustment), Vec<String>>, StoreError> {
    let mut problems = Vec::new();
    let body_hash = canonical_hash(row);
    let ticket = Ticket {
        source: source(licence),
        ticket: format!("adjust-{}", &body_hash[..48]),
        body_hash,
    };
    let label = row.label.trim().to_owned();
    let package = match db.package(&label) {
        Ok(p) if p.licence == licence => Some(p),
        Ok(_) | Err(StoreError::UnknownPackage { .. }) => {
            problems.push(format!(
                "package {label:?} is not one this register holds at licence {licence}; check \
                 the Label"
            ));
            None
        }
        Err(e) => return Err(e),
    };
    let quantity = match row.quantity {
        Some(q) if q.is_finite() && Quantity::from_f64(q).milli() != 0 => {
            Some(Quantity::from_f64(q))
        }
        _ => {
            problems.push("Quantity must be a non-zero number (negative removes stock)".into());
            None
        }
    };
    let reason = row.adjustment_reason.trim().to_owned();
    let note = row
        .reason_note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if reason.is_empty() {
        problems.push("AdjustmentReason is required".into());
    } else if !reasons.is_empty() {
        match reasons.iter().find(|r| r.name == reason) {
            None => problems.push(format!(
                "AdjustmentReason {reason:?} is not one of this licence's: {}",
                reasons
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(r) if r.requires_note && note.is_none() => {
                problems.push(format!("the reason {reason:?} needs a ReasonNote; add one"))
            }
            Some(_) => {}
        }
    }
    let now = db.now();
    let occurred_at = match row.adjustment_date.as_deref().map(str::trim) {
        None | Some("") => Some(now),
        Some(text) => match text.get(..10).unwrap_or(text).parse::<Date>() {
            Ok(date) => match adjusted_at(date, tz, now) {
                Ok(at) => Some(at),
                Err(message) => {
                    problems.push(message);
                    None
                }
            },
            Err(_) => {
                problems.push(format!(
                    "AdjustmentDate {text:?} is not a date; send YYYY-MM-DD"
                ));
                None
            }
        },
    };
    let unit = match (&package, row.unit_of_measure.as_deref().map(str::trim)) {
        (_, Some(u)) if !u.is_empty() => u.to_owned(),
        (Some(p), _) => p.unit_of_measure.clone(),
        (None, _) => String::new(),
    };
    if let Some(p) = &package
        && unit != p.unit_of_measure
    {
        problems.push(format!(
            "package {label} is counted in {}, not {unit}; send its unit",
            p.unit_of_measure
        ));
    }
    if let (Some(p), Some(q)) = (&package, quantity) {
        let sum = taken.get(&label).copied().unwrap_or(Quantity::ZERO) + q;
        if (p.on_hand + sum).milli() < 0 {
            problems.push(format!(
                "only {} of package {label} is on hand at this register; this batch removes {} \
                 of it up to this row",
                p.on_hand, -sum
            ));
        }
        taken.insert(label.clone(), sum);
    }
    match (quantity, occurred_at) {
        (Some(quantity), Some(occurred_at)) if problems.is_empty() => Ok(Ok((
            ticket,
            NewAdjustment {
                licence: licence.to_owned(),
                acting_user: user.to_owned(),
                label,
                quantity,
                unit_of_measure: unit,
                reason,
                note,
                occurred_at,
            },
        ))),
        _ => Ok(Err(problems)),
    }
}

fn adjust_batch(
    db: &Database,
    licence: &str,
    user: &str,
    rows: &[DoorAdjustment],
) -> Result<(Vec<i64>, bool), Refusal> {
    let tz = licence_here(db, licence)?.tz()?;
    db.require_user_may(user, Permission::Adjust)?;
    let reasons = db.adjustment_reasons(licence)?;
    let mut taken = HashMap::new();
    let mut ready = Vec::new();
    let mut problems = Vec::new();
    for (row, adjustment) in rows.iter().enumerate() {
        match prepare(db, licence, &tz, user, adjustment, &reasons, &mut taken)? {
            Ok(r) => ready.push(r),
            Err(found) => {
                problems.extend(found.into_iter().map(|message| RowProblem { row, message }))
            }
        }
    }
    if !problems.is_empty() {
        return Err(Refusal::Rows(problems));
    }
    let mut ids = Vec::new();
    let mut wrote = false;
    for (row, (ticket, adjustment)) in ready.into_iter().enumerate() {
        if let Some(prior) = db.prior_ticket(&ticket, TicketKind::Adjustment)? {
            ids.push(prior.entry_id);
            continue;
        }
        match db.record_adjustment_for_ticket(&ticket, &adjustment) {
            Ok(TicketOutcome::Recorded(recorded)) => {
                wrote = true;
                ids.push(recorded.entry_id);
            }
            Ok(TicketOutcome::Replayed(prior)) => ids.push(prior.entry_id),
            Err(e) if is_register_trouble(&e) => {
                return Err(Refusal::Message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("row {row}: {}", stopped_at(row, &e, &ids)),
                ));
            }
            Err(e) => return Err(Refusal::row(row, stopped_at(row, &e, &ids))),
        }
    }
    Ok((ids, wrote))
}

async fn adjust(
    ctx: PosContext,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let licence = params.licence()?;
    let rows: Vec<DoorAdjustment> = parse_rows(&body)?;
    let (user, l) = (budtender.user.clone(), licence.clone());
    let (ids, wrote) = ctx
        .db
        .call(move |db| adjust_batch(db, &l, &user, &rows))
        .await?;
    if wrote {
        ctx.host.recorded(&licence);
    }
    Ok(axum::Json(json!({ "Ids": ids, "Warnings": null })).into_response())
}

/// `POST /packages/v2/adjust`.
pub(crate) async fn post_adjust(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    respond(adjust(ctx, headers, Params::new(query), body).await)
}
