//! Inventory data cached from Metrc for offline use, beyond the package table itself: the
//! refresh watermarks, the one-transaction apply of a refresh, and incoming manifests.
//!
//! Guarantees: see each module; nothing here touches local records, the outbox or a package's
//! unconfirmed local effects.

pub(crate) mod apply;
pub mod manifests;
pub mod watermarks;

pub use manifests::{Manifest, ManifestPackage, ManifestsRefreshed, refresh_manifests};
pub use watermarks::{Dataset, Watermark};
