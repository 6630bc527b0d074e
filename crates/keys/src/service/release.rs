//! The port through which a usable key releases its holder's waiting records.
//!
//! Guarantees: the key service never names the delivery engine; whoever composes the crates (the
//! api) hands in a [`Releases`] that goes through the engine, so its status updates at once; the
//! CLI and tests use [`StoreReleases`], which releases in the store directly (the next delivery
//! pass sends them). Either way a release is one store transaction per user.

use futures::future::BoxFuture;
use stateline_store::{Database, StoreError};
use stateline_tasks::StoreCall;

/// Where released records go.
pub trait Releases: Send + Sync + std::fmt::Debug {
    /// `user`'s `waiting_for_key` records may be sent now; returns how many were released.
    fn release_user<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<usize, StoreError>>;

    /// The facility key was replaced: problems remembered about the old one are forgotten.
    fn facility_key_replaced(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}

/// Releases straight in the store (no engine to tell).
#[derive(Debug, Clone)]
pub struct StoreReleases(pub Database);

impl Releases for StoreReleases {
    fn release_user<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<usize, StoreError>> {
        let user = user.to_owned();
        Box::pin(self.0.call(move |db| db.release_waiting_for_key(&user)))
    }

    fn facility_key_replaced(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}
