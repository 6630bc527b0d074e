//! The emulator's tests: its HTTP API as a client sees it, its faults and its binary.
//!
//! One test binary for the crate, one module per subject; `common` is the shared set-up.

mod auth;
mod bad_input;
mod binary;
mod common;
mod faults;
mod items;
mod packages;
mod patients;
mod reactivate;
mod sales;
mod seed;
