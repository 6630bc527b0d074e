//! The register's side of a store (issue #13): several registers share one store server, a
//! PostgreSQL database, while each still sells alone on its own SQLite.
//!
//! - [`server`]: the store server as a pool of connections (`deadpool-postgres` over
//!   `tokio-postgres`; the password is handed in as a secret, never logged) plus one listening
//!   connection, and bringing its schema up to date; [`tls`]: plain or TLS with the server's
//!   certificate checked (rustls);
//! - [`schema`]: the store schema's embedded, append-only migrations (a newer schema is refused);
//! - [`registers`]: the registers of the store (join, last seen);
//! - [`records`]: every register's records, pushed append-only and idempotently, pulled by the
//!   others;
//! - [`deliveries`]: where each record stands with Metrc, as its register last said;
//! - [`audit`]: every register's audit log with its hash chain, verifiable from the store;
//! - [`people`]: every register's users, merged part by part, so each register can log them in;
//! - [`limit_settings`]: every register's purchase-limit overrides and item mappings (removals
//!   included), merged so every register checks sales against the same figures;
//! - [`key_holders`]: which register holds a Metrc key for whom (never the key);
//! - [`handover`]: records handed over to the register that holds their user's key, leases,
//!   outcomes (the work travels to the key);
//! - [`push`]: this register's outbox and the delivery states that changed to the store, then
//!   the local mark; [`pull`]: the other registers' records into the local copy;
//! - [`membership`]: which store this register joined (its settings; the password stays in the
//!   OS keychain, the caller's); [`joining`]: the join and leave procedure the CLI and the app
//!   share, in halves around the caller's keychain step;
//! - [`overview`]: the store at a glance (registers, backlog);
//! - [`sync`]: one pass of all of that over a live connection;
//! - [`worker`]: the owned background task (connect, join, heartbeat, push, pull, wait, retry).
//!
//! Guarantees: no Metrc key is ever written to the store server, in any form (nothing here takes
//! one); every schema change is one transaction under an advisory lock, so registers starting
//! together migrate once; a register never needs the store server to sell (the store link is
//! background work, and nothing in `stateline-store` depends on this crate).

pub mod audit;
mod changes;
pub mod deliveries;
mod error;
pub mod handover;
pub mod joining;
pub mod key_holders;
pub mod limit_settings;
pub mod membership;
pub mod overview;
pub mod people;
pub mod pull;
pub mod push;
pub mod records;
pub mod registers;
pub mod schema;
pub mod server;
pub mod sync;
pub mod tls;
pub mod worker;

pub use error::LinkError;
pub use joining::{Departure, Enrolment};
pub use membership::StoreSettings;
pub use overview::{Backlog, RegisterSummary, StoreOverview};
pub use registers::Register;
pub use server::{ServerConfig, StoreServer};
pub use sync::{SyncReport, sync_pass};
pub use tls::StoreTls;
pub use worker::{LinkSchedule, LinkStatus, LinkWorker, RegisterIdentity};
