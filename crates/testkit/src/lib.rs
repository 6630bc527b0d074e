//! The one shared test harness of the workspace (a dev-dependency only): every crate's test
//! binary builds its fixtures from here instead of keeping its own copy.
//!
//! - [`store`]: a real database file in a temporary folder, a manual clock, one licence with
//!   packages and adjustment reasons;
//! - [`delivery`]: the store plus the Metrc emulator on loopback (demo seed), the real Metrc
//!   client, static keys and a delivery engine;
//! - [`app`]: the app facade in demo mode on a fresh data folder, with its first manager;
//! - [`postgres`]: a private, throw-away PostgreSQL cluster (the store server of the tests);
//! - [`fuzzing`]: the oracles of the fuzz targets in `fuzz/`, replayed on the committed inputs.
//!
//! Guarantees: nothing here is a mock of a part that can run for real; time comes from a manual
//! clock; every folder is a temporary one removed when its owner drops.

pub mod app;
pub mod delivery;
pub mod fuzzing;
pub mod postgres;
pub mod store;
