//! The Metrc delivery engine (SPEC section 3): the outbox is drained to Metrc in the background,
//! exactly once, with original times, in causal order, under the right key.
//!
//! - [`engine`]: one pass — reconcile ambiguous records, then drain pending ones in batches;
//! - [`send`]: one batch and the classification of Metrc's answer into record states;
//! - [`reconcile`]: lookups of records that might have landed;
//! - [`gate`]: the per-licence backoff gate, persisted; [`backoff`]: its timing;
//! - [`read_limiter`]: Metrc's published GET limits;
//! - [`payload`]: local records → Metrc rows with original local times;
//! - [`keys`]: where keys come from (SPEC guarantee 5);
//! - [`status`]: the snapshot published to the UI; [`worker`]: the owned background loop.

pub mod backoff;
pub mod engine;
mod gate;
pub mod keys;
pub mod payload;
pub mod read_limiter;
mod reconcile;
mod send;
pub mod status;
pub mod worker;

pub use backoff::BackoffPolicy;
pub use engine::{DeliveryConfig, DeliveryEngine, PassReport};
pub use keys::{KeyOwner, KeySource, SendingKey, StaticKeys};
pub use read_limiter::{ReadLimiter, ReadLimits};
pub use reconcile::MISSES_BEFORE_RESEND;
pub use status::{Health, LicenceStatus, StateCounts, StatusSnapshot, UserStatus};
pub use worker::DeliveryWorker;
