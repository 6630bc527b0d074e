//! The register's side of a store (issue #13): several registers share one store server, a
//! PostgreSQL database, while each still sells alone on its own SQLite.
//!
//! - [`server`]: connecting to the store server (`tokio-postgres`; the password is handed in as a
//!   secret, never logged) and bringing its schema up to date;
//! - [`schema`]: the store schema's embedded, append-only migrations (a newer schema is refused);
//! - [`registers`]: the registers of the store (join, last seen);
//! - [`records`]: every register's records, pushed append-only and idempotently, pulled by the
//!   others;
//! - [`push`]: this register's outbox to the store, after the local mark;
//! - [`worker`]: the owned background task that pushes (connect, join, push, wait, retry).
//!
//! Guarantees: no Metrc key is ever written to the store server, in any form (nothing here takes
//! one); every schema change is one transaction under an advisory lock, so registers starting
//! together migrate once; a register never needs the store server to sell (the store link is
//! background work, and nothing in `stateline-store` depends on this crate).
//!
//! Left for issue #13: pulling and applying the other registers' records, TLS and pooling, people, on-hand, keys and
//! leases across registers (see the note).

mod error;
pub mod push;
pub mod records;
pub mod registers;
pub mod schema;
pub mod server;
pub mod worker;

pub use error::LinkError;
pub use registers::Register;
pub use server::{ServerConfig, StoreServer};
pub use worker::{PushSchedule, PushStatus, PushWorker, RegisterIdentity};
