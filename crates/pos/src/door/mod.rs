//! The Metrc-compatible door: the subset of Metrc's v2 API a register uses, answered by
//! Stateline in Metrc's own shapes, so a POS that already speaks Metrc points its base URL here
//! and gains the offline queue and per-user keys (`docs/door.md`).
//!
//! - `auth`: HTTP Basic as Metrc takes it, and which Stateline user a key belongs to;
//! - `receipts`: `POST /sales/v2/receipts`; `changes`: `PUT /sales/v2/receipts` and
//!   `DELETE /sales/v2/receipts/{id}`; `receipt_reads`: the receipt reads, merged with Metrc's;
//! - `packages`: packages with local on hand, adjustment reasons, `POST /packages/v2/adjust`;
//! - `lookups`: facilities, customer types, units;
//! - `views` (local records in Metrc's shapes), `wire` (request bodies, Metrc's time formats),
//!   `reads` (parameters, envelopes, forwarded calls), `answer` (refusals in Metrc's shapes).
//!
//! Guarantees: the door listens on this computer only; every route needs a key the door accepts
//! (see `auth`), else Metrc's `401` with an empty body; a write is answered `200` only after its
//! durable local commit, through the same store calls as the Sell screen, and is then delivered
//! to Metrc by the app's delivery, exactly once, under the budtender's own key; reads answer from
//! the register when Metrc is down; refusals are in Metrc's shapes (`answer`); no key reaches
//! SQLite, a log line, an error or an answer. An unknown route is `404` with an empty body, as
//! Metrc answers one.

mod answer;
mod auth;
mod changes;
mod lookups;
mod packages;
mod reads;
mod receipt_reads;
mod receipts;
mod views;
mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::{PosContext, PosError, Served};
use answer::Refusal;

/// The door's default port.
pub const DEFAULT_PORT: u16 = 7421;

/// The largest body a write reads.
const MAX_BODY_BYTES: usize = crate::body::MAX_BODY_BYTES;

/// A JSON array of rows, as Metrc's writes take (1 to [`receipts::MAX_ROWS`] of them).
fn parse_rows<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, Refusal> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Refusal::Message(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is larger than {} KiB; send fewer rows per call",
                MAX_BODY_BYTES / 1024
            ),
        ));
    }
    let rows: Vec<T> = crate::body::parse(bytes).map_err(|e| match e {
        PosError::BadRequest { detail } => Refusal::bad_request(format!(
            "{detail}; the body must be a JSON array of rows as Metrc's reference shows; nothing \
             was recorded"
        )),
        other => Refusal::bad_request(other.to_string()),
    })?;
    if rows.is_empty() {
        return Err(Refusal::bad_request(
            "the body is an empty array; send at least one row",
        ));
    }
    if rows.len() > receipts::MAX_ROWS {
        return Err(Refusal::Message(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} rows in one call; send at most {} per call",
                rows.len(),
                receipts::MAX_ROWS
            ),
        ));
    }
    Ok(rows)
}

/// A route's answer, or its refusal in Metrc's shape.
fn respond(result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn no_route() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// The door's routes.
fn router(ctx: PosContext) -> Router {
    Router::new()
        .route("/facilities/v2", get(lookups::get_facilities))
        .route("/facilities/v2/", get(lookups::get_facilities))
        .route("/sales/v2/customertypes", get(lookups::get_customer_types))
        .route("/unitsofmeasure/v2/active", get(lookups::get_units))
        .route(
            "/sales/v2/receipts",
            post(receipts::post_receipts).put(changes::put_receipts),
        )
        .route("/sales/v2/receipts/active", get(receipt_reads::get_active))
        .route(
            "/sales/v2/receipts/external/{number}",
            get(receipt_reads::get_by_external),
        )
        .route(
            "/sales/v2/receipts/{id}",
            get(receipt_reads::get_by_id).delete(changes::delete_receipt),
        )
        .route("/packages/v2/active", get(packages::get_active))
        .route("/packages/v2/adjust", post(packages::post_adjust))
        .route("/packages/v2/adjust/reasons", get(packages::get_reasons))
        .route("/packages/v2/{label}", get(packages::get_by_label))
        .fallback(no_route)
        .with_state(ctx)
}

/// The door being served, and its owner.
#[derive(Debug)]
pub struct DoorServer {
    served: Served,
}

impl DoorServer {
    /// Serves the door on `address` (this computer only).
    pub async fn start(ctx: PosContext, address: SocketAddr) -> Result<DoorServer, PosError> {
        let (ending_tx, _ending) = watch::channel(false);
        let served = Served::start(address, router(ctx), None, ending_tx).await?;
        tracing::info!(address = %served.address(), "Metrc-compatible door listening");
        Ok(DoorServer { served })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.served.address()
    }

    /// Stops serving.
    pub async fn stop(self, timeout: Duration) -> Result<(), PosError> {
        self.served.stop(timeout).await
    }
}
