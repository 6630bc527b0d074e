//! The command line's tests: the real `stateline` binary on temporary data folders, the emulator on
//! loopback, the real keychain.
//!
//! One test binary for the crate, one module per subject; `support` is the shared set-up.

mod backup;
mod canary;
mod cli;
mod compliance;
mod record_json_props;
mod serve;
mod store;
mod support;
mod users_keys;
mod vendor_key;
