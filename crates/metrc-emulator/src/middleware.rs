//! The gate every Metrc request passes before its handler: body limit, request log, 503 outage,
//! 429 storms, the published rate limits, then latency (while holding the concurrency slot).
//!
//! Guarantees: control routes (`/__emulator/`) bypass the gate; bodies over the limit get 413
//! `{"Message"}` without being buffered past the limit; the request is logged before it is
//! handled and its status filled in when a reply is sent; the world lock is never held across an
//! await.

use crate::auth::{basic_credentials, user_by_key};
use crate::rate_limit::Slot;
use crate::reply::{message, too_many_requests, unavailable};
use crate::request_log::{RequestRecord, body_field_names};
use crate::state::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Prefix of the control API.
pub const CONTROL_PREFIX: &str = "/__emulator";

struct SlotGuard {
    shared: Arc<Shared>,
    slot: Slot,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.shared.lock().limiter.release(&self.slot);
    }
}

fn finish(
    shared: &Shared,
    seq: u64,
    method: &Method,
    path: &str,
    user: Option<&str>,
    resp: Response,
) -> Response {
    let status = resp.status().as_u16();
    shared.lock().log.set_status(seq, status);
    tracing::debug!(%method, path, status, user, "metrc request");
    resp
}

/// The gate (an axum `from_fn_with_state` middleware).
pub(crate) async fn gate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with(CONTROL_PREFIX) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let query: Vec<(String, String)> = Query::try_from_uri(&parts.uri)
        .map(|q: Query<Vec<(String, String)>>| q.0)
        .unwrap_or_default();
    let license = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("licenseNumber"))
        .map(|(_, v)| v.clone());
    let creds = basic_credentials(&parts.headers);
    let (user, limit) = {
        let world = shared.lock();
        let user = creds
            .as_ref()
            .and_then(|(_, key)| user_by_key(&world, key).map(|u| u.name.clone()));
        (user, world.options.body_limit_bytes)
    };
    let read = axum::body::to_bytes(body, limit).await;
    let (bytes, too_large) = match read {
        Ok(b) => (b, false),
        Err(_) => (Bytes::new(), true),
    };
    let body_fields = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(|v| body_field_names(&v))
        .unwrap_or_default();
    let seq = {
        let mut world = shared.lock();
        let time = world.now();
        world.log.push(RequestRecord {
            seq: 0,
            method: method.to_string(),
            path: path.clone(),
            query,
            body_fields,
            status: None,
            user: user.clone(),
            time,
        })
    };
    let done = |resp: Response| finish(&shared, seq, &method, &path, user.as_deref(), resp);
    if too_large {
        return done(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than {limit} bytes."),
        ));
    }
    let is_get = method == Method::GET;
    let verdict = {
        let mut world = shared.lock();
        if world.faults.outage(&path) {
            Err(unavailable())
        } else if world.faults.storm(&path, is_get) {
            Err(too_many_requests(&world.options, world.now()))
        } else if world.options.rate_limits.enabled && (is_get || world.options.rate_limit_writes) {
            let vendor = creds.as_ref().map(|(v, _)| v.clone()).unwrap_or_default();
            let limits = world.options.rate_limits.clone();
            match world.limiter.admit(license.as_deref(), &vendor, &limits) {
                Some(slot) => Ok(Some(slot)),
                None => Err(too_many_requests(&world.options, world.now())),
            }
        } else {
            Ok(None)
        }
    };
    let guard = match verdict {
        Err(resp) => return done(resp),
        Ok(slot) => slot.map(|slot| SlotGuard {
            shared: shared.clone(),
            slot,
        }),
    };
    let delay = shared.lock().faults.latency(&path);
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(guard);
    done(resp)
}
