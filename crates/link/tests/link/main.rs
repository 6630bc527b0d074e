//! The store link's tests, against a real PostgreSQL cluster the harness starts itself
//! (`stateline_testkit::postgres`): its own folder and port, stopped at the end.
//!
//! One test binary for the crate, one module per subject; `server` is the shared set-up.

mod audit;
mod handover;
mod key_holders;
mod limit_settings;
mod people;
mod push;
mod records;
mod registers;
mod schema;
mod server;
mod simulation;
mod sync;
mod tls;
mod worker;
