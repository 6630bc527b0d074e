//! Metrc keys on this register (SPEC guarantees 5 and 6, section 4): whose key each record goes
//! under, where keys live (the OS keychain, through [`stateline_secrets`]), what SQLite knows about
//! them (only metadata), the key mode, facility-key overrides, and when keys are checked (on
//! save, at login, daily, after Metrc refused one).
//!
//! - [`source`]: the port the delivery engine reads keys through ([`KeySource`]), and
//!   [`StaticKeys`] for tests; the only part of this crate the engine may name;
//! - [`validation`]: the key matrix (what a key may do, per licence and area);
//! - the key service ([`Keys`]): save, policy, login checks, licence discovery, split by verb.
//!
//! Guarantees: see the service (roles, check-before-save, keychain-first, release on a usable
//! key, audit), the ring (attribution), the checks (owned background checks) and the metadata
//! (never a key in SQLite). This crate never names the delivery engine: a usable key's waiting
//! records are released through the [`Releases`] port the composer (the api crate) hands in.

mod checks;
mod error;
mod holder;
mod metadata;
mod mode;
mod ring;
mod service;
pub mod source;
pub mod validation;

pub use checks::{CheckSchedule, KeyChecks};
pub use error::KeysError;
pub use holder::KeyHolder;
pub use metadata::{FacilityOverride, KeyInfo};
pub use mode::{KeyMode, KeyPolicy};
pub use ring::{KeyRefusals, KeyRing};
pub use service::{
    DiscoveredLicence, KeySaved, KeychainProblem, Keys, KeysOverview, KeysParts, LoginKeyCheck,
    Releases, StoreReleases,
};
pub use source::{KeyOwner, KeySource, SendingKey, StaticKeys};
