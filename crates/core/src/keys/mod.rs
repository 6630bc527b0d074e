//! Metrc keys on this register (SPEC guarantees 5 and 6, section 4): whose key each record goes
//! under, where keys live (the OS keychain, through [`crate::secrets`]), what SQLite knows about
//! them (only metadata), the key mode, facility-key overrides, and when keys are checked (on
//! save, at login, daily, after Metrc refused one).
//!
//! Guarantees: see [`service`] (roles, check-before-save, keychain-first, release on a usable
//! key, audit), [`ring`] (attribution), [`checks`] (owned background checks) and [`metadata`]
//! (never a key in SQLite).

mod checks;
mod holder;
mod metadata;
mod mode;
mod ring;
mod service;

pub use checks::{CheckSchedule, KeyChecks};
pub use holder::KeyHolder;
pub use metadata::{FacilityOverride, KeyInfo};
pub use mode::{KeyMode, KeyPolicy};
pub use ring::KeyRing;
pub use service::{
    DiscoveredLicence, KeySaved, KeychainProblem, Keys, KeysOverview, LoginKeyCheck,
    waiting_for_key_by_user,
};
