//! The facade's tests: the app in demo mode, driven as the desktop shell drives it.
//!
//! One test binary per crate; the shared harness is `stateline-testkit`.

mod bindings;
mod compliance;
mod demo;
mod integrations;
mod ipc_props;
mod journeys;
mod patients;
mod reconcile_keys;
mod store_link;
mod store_views;
