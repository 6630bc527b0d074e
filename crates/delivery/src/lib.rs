//! The Metrc delivery engine (SPEC section 3): the outbox is drained to Metrc in the background,
//! exactly once, with original times, in causal order, under the right key.
//!
//! - [`engine`]: one pass — reconcile ambiguous records, then drain pending ones in batches;
//! - [`send`]: one batch and the classification of Metrc's answer into record states;
//! - [`reconcile`]: lookups of records that might have landed;
//! - [`gate`]: the per-licence backoff gate, persisted; [`backoff`]: its timing;
//! - [`payload`]: local records → Metrc rows with original local times;
//! - [`refresh`]: Metrc → the local caches (packages, items, reasons, incoming manifests);
//! - [`crash`]: named abort points for the crash tests;
//! - [`status`]: the snapshot published to the UI; [`worker`]: the owned background loop.
//!
//! Keys come from a `stateline_keys::KeySource` (the port only: this crate never names the key
//! service); GETs take permits from `metrc::ReadLimiter`.

pub mod backoff;
pub mod crash;
pub mod engine;
mod error;
mod gate;
pub mod lookup;
pub mod payload;
mod reconcile;
pub mod refresh;
mod send;
pub mod status;
pub mod worker;

pub use backoff::BackoffPolicy;
pub use engine::{DeliveryConfig, DeliveryEngine, PassReport};
pub use error::DeliveryError;
pub use reconcile::MISSES_BEFORE_RESEND;
pub use status::{Health, LicenceStatus, StateCounts, StatusSnapshot, UserStatus};
pub use worker::DeliveryWorker;
