//! The small lookups a register makes: `GET /facilities/v2`, `GET /sales/v2/customertypes` and
//! `GET /unitsofmeasure/v2/active`, as Metrc's bare arrays.
//!
//! Guarantees: customer types come from the register's cache (the very list its sales are checked
//! against; Metrc's standard four until one was cached), so the POS is offered only what the
//! register accepts; facilities and units are Metrc's answer
//! to the caller's key when Metrc answers, else built from what the register holds (its
//! licences; the units of its packages) — never an error only because Metrc is down.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use stateline_store::StoreError;
use stateline_tasks::StoreCall;

use super::answer::Refusal;
use super::auth::identify;
use super::reads::{Reached, reached};
use super::receipts::customer_types;
use super::respond;
use crate::PosContext;

async fn facilities(ctx: PosContext, headers: HeaderMap) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let answer = budtender.link.client.facilities(&budtender.key).await;
    let list = match reached(answer)? {
        Reached::Answer(list) => list,
        Reached::Down(_) => ctx
            .db
            .call(|db| db.licences())
            .await?
            .into_iter()
            .map(|l| metrc::Facility {
                name: Some(l.name.clone()),
                display_name: Some(l.name),
                license: metrc::License {
                    number: l.number,
                    ..metrc::License::default()
                },
                ..metrc::Facility::default()
            })
            .collect(),
    };
    Ok(axum::Json(list).into_response())
}

/// `GET /facilities/v2`.
pub(crate) async fn get_facilities(State(ctx): State<PosContext>, headers: HeaderMap) -> Response {
    respond(facilities(ctx, headers).await)
}

async fn types(ctx: PosContext, headers: HeaderMap) -> Result<Response, Refusal> {
    let _budtender = identify(&ctx, &headers).await?;
    let list = ctx.db.call(customer_types).await?;
    Ok(axum::Json(list).into_response())
}

/// `GET /sales/v2/customertypes`.
pub(crate) async fn get_customer_types(
    State(ctx): State<PosContext>,
    headers: HeaderMap,
) -> Response {
    respond(types(ctx, headers).await)
}

async fn units(ctx: PosContext, headers: HeaderMap) -> Result<Response, Refusal> {
    let budtender = identify(&ctx, &headers).await?;
    let answer = budtender.link.client.units_of_measure(&budtender.key).await;
    let list = match reached(answer)? {
        Reached::Answer(list) => list,
        Reached::Down(_) => ctx
            .db
            .call(|db| -> Result<_, StoreError> {
                let mut names = BTreeSet::new();
                for licence in db.licences()? {
                    for p in db.packages(&licence.number)? {
                        names.insert(p.unit_of_measure);
                    }
                }
                Ok(names)
            })
            .await?
            .into_iter()
            .map(|name| metrc::UnitOfMeasure {
                name,
                ..metrc::UnitOfMeasure::default()
            })
            .collect(),
    };
    Ok(axum::Json(list).into_response())
}

/// `GET /unitsofmeasure/v2/active`.
pub(crate) async fn get_units(State(ctx): State<PosContext>, headers: HeaderMap) -> Response {
    respond(units(ctx, headers).await)
}
