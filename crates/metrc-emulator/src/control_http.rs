//! The HTTP control API under `/__emulator/`, for the demo panel and the standalone binary.
//!
//! Guarantees: no authentication (bind to loopback); JSON in and out; bad input (a malformed
//! patient too) is 400 `{"Message"}`, an unknown user or patient 404 `{"Message"}`; never returns
//! keys except what the caller sent.

use crate::control::Control;
use crate::faults::Faults;
use crate::model::Receipt;
use crate::options::Options;
use crate::patient::Patient;
use crate::permission::Permission;
use crate::reply::{bad_request, empty_ok, message, ok_json};
use crate::state::Shared;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

fn control(shared: &Arc<Shared>) -> Control {
    Control {
        shared: shared.clone(),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid JSON: {e}")))
}

fn found(ok: bool, user: &str) -> Response {
    if ok {
        ok_json(&json!({"ok": true}))
    } else {
        message(StatusCode::NOT_FOUND, format!("no such user: {user}"))
    }
}

async fn get_faults(State(s): State<Arc<Shared>>) -> Response {
    ok_json(&json!(control(&s).faults()))
}

async fn put_faults(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, Response> {
    let f: Faults = parse(&body)?;
    control(&s).set_faults(f);
    Ok(ok_json(&json!(control(&s).faults())))
}

async fn get_options(State(s): State<Arc<Shared>>) -> Response {
    ok_json(&json!(control(&s).options()))
}

async fn put_options(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, Response> {
    let o: Options = parse(&body)?;
    control(&s).set_options(o);
    Ok(ok_json(&json!(control(&s).options())))
}

async fn revoke(State(s): State<Arc<Shared>>, Path(user): Path<String>) -> Response {
    found(control(&s).revoke_user_key(&user), &user)
}

#[derive(Deserialize)]
struct NewKey {
    key: String,
}

async fn set_key(
    State(s): State<Arc<Shared>>,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let k: NewKey = parse(&body)?;
    if k.key.trim().is_empty() {
        return Err(bad_request("key must not be empty"));
    }
    Ok(found(control(&s).set_user_key(&user, &k.key), &user))
}

#[derive(Deserialize)]
struct PermissionChange {
    license: String,
    permission: String,
}

fn permission_change(body: &[u8]) -> Result<(String, Permission), Response> {
    let c: PermissionChange = parse(body)?;
    let p: Permission = c
        .permission
        .parse()
        .map_err(|e: crate::permission::UnknownPermission| bad_request(e.to_string()))?;
    Ok((c.license, p))
}

async fn grant(
    State(s): State<Arc<Shared>>,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let (license, p) = permission_change(&body)?;
    Ok(found(
        control(&s).grant_permission(&user, &license, p),
        &user,
    ))
}

async fn remove(
    State(s): State<Arc<Shared>>,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let (license, p) = permission_change(&body)?;
    Ok(found(
        control(&s).remove_permission(&user, &license, p),
        &user,
    ))
}

async fn state(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let license = q
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("licenseNumber"))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| bad_request("licenseNumber is required"))?;
    Ok(ok_json(&json!(control(&s).state(&license))))
}

async fn requests(State(s): State<Arc<Shared>>) -> Response {
    ok_json(&json!(control(&s).request_log()))
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> Response {
    control(&s).clear_request_log();
    empty_ok()
}

#[derive(Deserialize)]
struct QuantityChange {
    #[serde(rename = "licenseNumber")]
    license_number: String,
    quantity: f64,
}

async fn set_quantity(
    State(s): State<Arc<Shared>>,
    Path(label): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let c: QuantityChange = parse(&body)?;
    if control(&s).set_package_quantity(&c.license_number, &label, c.quantity) {
        Ok(ok_json(&json!({"ok": true})))
    } else {
        Err(message(
            StatusCode::NOT_FOUND,
            format!("no package {label} at {}", c.license_number),
        ))
    }
}

async fn insert_receipt(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, Response> {
    let r: Receipt = parse(&body)?;
    let id = control(&s).insert_receipt(r);
    Ok(ok_json(&json!({"Id": id})))
}

#[derive(Deserialize)]
struct ReceiptAt {
    #[serde(rename = "licenseNumber")]
    license_number: String,
}

async fn reactivate_receipt(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let id: u64 = id
        .parse()
        .map_err(|_| bad_request(format!("{id:?} is not a receipt Id")))?;
    let at: ReceiptAt = parse(&body)?;
    if control(&s).reactivate_receipt(&at.license_number, id) {
        Ok(ok_json(&json!({"ok": true})))
    } else {
        Err(message(
            StatusCode::NOT_FOUND,
            format!("no voided receipt {id} at {}", at.license_number),
        ))
    }
}

async fn patients(State(s): State<Arc<Shared>>) -> Response {
    ok_json(&json!(control(&s).patients()))
}

async fn upsert_patient(State(s): State<Arc<Shared>>, body: Bytes) -> Result<Response, Response> {
    let p: Patient = parse(&body)?;
    let added = control(&s).upsert_patient(p).map_err(bad_request)?;
    Ok(ok_json(&json!({"ok": true, "added": added})))
}

#[derive(Deserialize)]
struct Activity {
    active: bool,
}

async fn set_patient_active(
    State(s): State<Arc<Shared>>,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let a: Activity = parse(&body)?;
    if control(&s).set_patient_active(&number, a.active) {
        Ok(ok_json(&json!({"ok": true})))
    } else {
        Err(message(
            StatusCode::NOT_FOUND,
            format!("no such patient: {number}"),
        ))
    }
}

async fn clear_patient_cache(State(s): State<Arc<Shared>>) -> Response {
    control(&s).clear_patient_cache();
    ok_json(&json!({"ok": true}))
}

/// The control routes.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__emulator/faults", get(get_faults).put(put_faults))
        .route("/__emulator/options", get(get_options).put(put_options))
        .route("/__emulator/users/{user}/revoke", post(revoke))
        .route("/__emulator/users/{user}/key", post(set_key))
        .route(
            "/__emulator/users/{user}/permissions",
            post(grant).delete(remove),
        )
        .route("/__emulator/state", get(state))
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route("/__emulator/packages/{label}/quantity", put(set_quantity))
        .route("/__emulator/receipts", post(insert_receipt))
        .route(
            "/__emulator/receipts/{id}/reactivate",
            post(reactivate_receipt),
        )
        .route("/__emulator/patients", get(patients).put(upsert_patient))
        .route(
            "/__emulator/patients/{number}/active",
            post(set_patient_active),
        )
        .route("/__emulator/patients/cache", delete(clear_patient_cache))
}
