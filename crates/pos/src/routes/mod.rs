//! The local API's router: its routes, the token check and call log every route passes through,
//! and the OpenAPI document generated from the handlers.
//!
//! Guarantees: every route but `/openapi.json` needs a live token; every call through a route
//! is queued to the call log with its integration, route pattern, status and error code; an
//! unknown path is a `404` with `{code, message}`. A token found live is remembered (by its
//! SHA-256) so a call costs no extra trip to the store; each route confirms the integration is
//! still live inside its own store call (`tokens::confirm_live`), so a revocation by any process
//! refuses the very next call, and the token is then forgotten.

mod events;
mod inventory;
mod records;

pub(crate) use records::record_sales;
mod status;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use stateline_tasks::StoreCall;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use crate::calls::{Call, CallLog};
use crate::error::ErrorCode;
use crate::tokens::{self, Integration, Scope};
use crate::{PosContext, PosError};

/// What every handler gets.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub ctx: PosContext,
    pub calls: CallLog,
    pub ending: watch::Receiver<bool>,
    /// The group commit of sales.
    pub sales: crate::batch::SaleWriter,
    /// Live tokens seen, by SHA-256 (never the token itself).
    pub known: Arc<Mutex<HashMap<String, Integration>>>,
}

impl ApiState {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Integration>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How the caller's token checked out (set by the middleware).
#[derive(Debug, Clone)]
enum Checked {
    Live(Integration),
    Missing,
    Revoked(i64),
    Failed(String),
}

/// The integration making the call.
#[derive(Debug)]
pub(crate) struct Caller(Result<Integration, PosError>);

impl Caller {
    /// The integration, if it may do what `scope` covers.
    pub fn require(self, scope: Scope, action: &'static str) -> Result<Integration, PosError> {
        self.require_any(&[scope], action)
    }

    /// The integration, if it has one of `scopes`.
    pub fn require_any(
        self,
        scopes: &[Scope],
        action: &'static str,
    ) -> Result<Integration, PosError> {
        let integration = self.0?;
        if scopes.iter().any(|s| integration.may(*s)) {
            Ok(integration)
        } else {
            Err(PosError::ScopeMissing {
                scope: scopes[0].as_str(),
                action,
            })
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = PosError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller(match parts.extensions.get::<Checked>() {
            Some(Checked::Live(integration)) => Ok(integration.clone()),
            Some(Checked::Revoked(_)) => Err(PosError::TokenRevoked),
            Some(Checked::Failed(detail)) => Err(PosError::Internal(detail.clone())),
            Some(Checked::Missing) | None => Err(PosError::Unauthorized),
        }))
    }
}

/// The bearer token of a request, if it has one.
fn bearer(parts: &axum::http::HeaderMap) -> Option<String> {
    let value = parts
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Checks the token, runs the route, and queues the call line.
async fn check_and_log(State(api): State<ApiState>, mut req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().chars().take(200).collect());
    let hash = bearer(req.headers()).map(|token| (tokens::token_hash(&token), token));
    let remembered = hash.as_ref().and_then(|(h, _)| api.known().get(h).cloned());
    let checked = match (hash.clone(), remembered) {
        (None, _) => Checked::Missing,
        (Some(_), Some(integration)) => Checked::Live(integration),
        (Some((hash, token)), None) => match api
            .ctx
            .db
            .call(move |db| tokens::find_by_token(db, &token))
            .await
        {
            Ok(Some(integration)) if integration.revoked_at.is_some() => {
                Checked::Revoked(integration.id)
            }
            Ok(Some(integration)) => {
                api.known().insert(hash, integration.clone());
                Checked::Live(integration)
            }
            Ok(None) => Checked::Missing,
            Err(e) => Checked::Failed(e.to_string()),
        },
    };
    let integration_id = match &checked {
        Checked::Live(integration) => Some(integration.id),
        Checked::Revoked(id) => Some(*id),
        _ => None,
    };
    req.extensions_mut().insert(checked);
    let response = next.run(req).await;
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    if matches!(code, Some("token_revoked" | "unauthorized"))
        && let Some((hash, _)) = &hash
    {
        api.known().remove(hash);
    }
    api.calls.push(Call {
        integration_id,
        at: api.ctx.db.now(),
        method,
        route,
        status: response.status().as_u16(),
        code: code.map(str::to_owned),
    });
    response
}

/// The OpenAPI document of the local API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stateline local API",
        description = "Hand sales and adjustments from the store's own POS to Stateline, which \
                       records them durably on the register and reports them to Metrc in the \
                       background, under the budtender's own key, with their original times, \
                       exactly once. Errors are `{code, message}`; branch on `code`.",
        version = "1"
    ),
    paths(
        records::post_sale,
        records::post_adjustment,
        records::get_record,
        events::get_events,
        inventory::get_packages,
        status::get_status,
    ),
    components(schemas(crate::ErrorBody, tokens::Scope)),
    modifiers(&TokenScheme),
    tags(
        (name = "records", description = "Sales and adjustments, idempotent on the POS's ticket id"),
        (name = "inventory", description = "Packages and what is on hand"),
        (name = "status", description = "The register's status"),
    )
)]
pub(crate) struct ApiDoc;

struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

async fn openapi_json() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        crate::openapi_json(),
    )
        .into_response()
}

async fn not_found() -> PosError {
    PosError::NoRoute
}

/// The router of the local API.
pub(crate) fn router(state: ApiState) -> Router {
    let guarded = Router::new()
        .route("/v1/sales", post(records::post_sale))
        .route("/v1/adjustments", post(records::post_adjustment))
        .route("/v1/records/{ticket_id}", get(records::get_record))
        .route("/v1/events", get(events::get_events))
        .route("/v1/packages", get(inventory::get_packages))
        .route("/v1/status", get(status::get_status))
        .route_layer(middleware::from_fn_with_state(state.clone(), check_and_log));
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(guarded)
        .fallback(not_found)
        .with_state(state)
}
