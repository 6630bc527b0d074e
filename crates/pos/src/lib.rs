//! The local API a store's own POS hands its sales to: per-integration tokens with scopes,
//! idempotent sales and adjustments on the POS's ticket id, each record's state and a stream of
//! its changes, packages with on hand, the register's status, and the OpenAPI document — served
//! by the desktop app and by the headless `stateline serve`.
//!
//! - [`tokens`]: integrations, their hashed tokens, scopes, revocation, clerk mapping;
//! - [`calls`]: the call log (every call, by integration) and its owned writer;
//! - `batch`: the group commit of sales from several tills (one transaction, one durable commit);
//! - `routes`: the handlers and the OpenAPI document generated from them;
//! - [`server`]: listening (loopback, or the local network over TLS) and stopping;
//! - [`tls`]: the certificate the store pins when the API is open to the local network.
//!
//! Guarantees: nothing is answered `200`/`201` before the durable local commit; a record goes
//! through the same store call as the Sell screen's, so the same rules hold; no key, PIN or token
//! reaches SQLite (tokens as SHA-256 only), a log line or an answer. This crate knows nothing of
//! Tauri or of the delivery engine: the composer hands in a [`Host`] that wakes delivery and
//! signals state changes.

mod batch;
mod body;
pub mod calls;
pub mod door;
pub mod dto;
mod error;
mod routes;
pub mod server;
pub mod tls;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use stateline_store::Database;
use stateline_tasks::OwnedTask;
use tokio::sync::{broadcast, watch};
use utoipa::OpenApi;

pub use body::canonical_hash;
pub use error::{ErrorBody, PosError, status_of};
pub use server::Served;

/// The default port of the local API.
pub const DEFAULT_PORT: u16 = 7420;

/// What the composer (the app, or `stateline serve`) tells the status route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusLines {
    /// How the link to Metrc is, in words.
    pub delivery: String,
    /// The store the register is in, in words.
    pub store: Option<String>,
}

/// The composer's side of the local API.
pub trait Host: Send + Sync + 'static {
    /// A record was committed through the API: wake the delivery worker, tell the screens.
    fn recorded(&self, licence: &str);
    /// A signal sent whenever records may have changed state.
    fn record_changes(&self) -> broadcast::Receiver<()>;
    /// The delivery and store lines of the status.
    fn status_lines(&self) -> StatusLines;
    /// Reads a patient's allotment from Metrc with `budtender`'s key before a medical sale, as
    /// the Sell screen does when a patient number is entered, and keeps the reading. Best
    /// effort: with Metrc out of reach the state's rule for sales without a reading applies when
    /// the sale is recorded.
    fn read_patient(
        &self,
        budtender: stateline_store::Actor,
        licence: String,
        patient: String,
    ) -> futures::future::BoxFuture<'static, ()>;
    /// The key service and Metrc client now (`None` while the register is not set up or is
    /// switching environment): what the door checks keys with and reads Metrc through.
    fn metrc_link(&self) -> Option<MetrcLink>;
}

/// The register's way to Metrc, for the door.
#[derive(Clone)]
pub struct MetrcLink {
    /// The key service (keys in the OS keychain; checking and saving them).
    pub keys: stateline_keys::Keys,
    /// The Metrc client.
    pub client: metrc::MetrcClient,
}

impl std::fmt::Debug for MetrcLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetrcLink").finish_non_exhaustive()
    }
}

/// What the local API works on.
#[derive(Clone)]
pub struct PosContext {
    /// The register's store.
    pub db: Database,
    /// The composer.
    pub host: Arc<dyn Host>,
}

impl std::fmt::Debug for PosContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PosContext").finish_non_exhaustive()
    }
}

/// The OpenAPI 3.1 document of the local API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::ApiDoc::openapi()
}

/// [`openapi`] as pretty JSON (what `/openapi.json` serves and `docs/openapi.json` holds).
pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The local API being served, and its owner.
#[derive(Debug)]
pub struct PosServer {
    served: Served,
    sales: batch::SaleWriter,
    calls: OwnedTask,
}

impl PosServer {
    /// Serves the local API on `address` (TLS when `tls` is given: the local network).
    pub async fn start(
        ctx: PosContext,
        address: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<PosServer, PosError> {
        let (calls, writer) = calls::start(ctx.db.clone());
        let sales = batch::SaleWriter::new(ctx.db.clone());
        let (ending_tx, ending) = watch::channel(false);
        let router = routes::router(routes::ApiState {
            ctx,
            calls,
            ending,
            sales: sales.clone(),
            known: Arc::default(),
        });
        let served = Served::start(address, router, tls, ending_tx).await?;
        tracing::info!(address = %served.address(), "local API listening");
        Ok(PosServer {
            served,
            sales,
            calls: writer,
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.served.address()
    }

    /// Stops serving, then records the sales already handed over, then writes out the call log.
    pub async fn stop(self, timeout: Duration) -> Result<(), PosError> {
        let served = self.served.stop(timeout).await;
        self.sales.stop(timeout).await;
        self.calls.stop(timeout).await?;
        served
    }
}
