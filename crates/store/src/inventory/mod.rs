//! Inventory: packages on hand, the licences they belong to (with their rules and reporting
//! deadlines), and the data cached from Metrc for offline use — refresh watermarks, the
//! one-transaction apply of a refresh, and incoming manifests.
//!
//! Guarantees: see each module; nothing that applies Metrc data touches local records, the outbox
//! or a package's unconfirmed local effects.

pub mod apply;
pub mod deadlines;
pub mod licence_rules;
pub mod licences;
pub mod manifests;
pub mod packages;
pub mod watermarks;

pub use manifests::{Manifest, ManifestPackage};
pub use watermarks::{Dataset, Watermark};
