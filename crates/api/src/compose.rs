//! Where the crates meet: the key service and the delivery engine are built here, on one key
//! ring, and a saved or re-validated key releases its holder's waiting records through the
//! engine (so its status updates at once). No lower crate names another's service.
//!
//! Guarantees: the engine reads keys only through the ring (`KeySource`); the key service reaches
//! the engine only through [`EngineReleases`]; nothing here holds a key beyond the ring itself.

use std::sync::Arc;

use futures::future::BoxFuture;
use metrc::MetrcClient;
use stateline_delivery::{DeliveryConfig, DeliveryEngine, DeliveryError};
use stateline_keys::{KeyRing, Keys, KeysParts, Releases};
use stateline_secrets::Secrets;
use stateline_store::{Database, StoreError};

/// The key service's releases, carried out by the delivery engine.
#[derive(Debug, Clone)]
pub struct EngineReleases(pub DeliveryEngine);

/// The engine's release calls only touch the store; anything else is a broken invariant.
fn as_store_error(error: DeliveryError) -> StoreError {
    match error {
        DeliveryError::Store(e) => e,
        other => StoreError::Internal(format!("releasing records failed: {other}")),
    }
}

impl Releases for EngineReleases {
    fn release_user<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move { self.0.release_user(user).await.map_err(as_store_error) })
    }

    fn facility_key_replaced(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { self.0.facility_key_replaced().await.map_err(as_store_error) })
    }
}

/// The key service and the delivery engine of one Metrc link, sharing one key ring.
pub fn keys_and_engine(
    db: &Database,
    secrets: &Secrets,
    client: &MetrcClient,
    environment: &str,
    delivery: DeliveryConfig,
) -> (Keys, DeliveryEngine) {
    let (ring, refusals) = KeyRing::new();
    let engine = DeliveryEngine::new(db.clone(), client.clone(), Arc::new(ring.clone()), delivery);
    let keys = Keys::composed(KeysParts {
        db: db.clone(),
        secrets: secrets.clone(),
        client: client.clone(),
        environment: environment.to_owned(),
        ring,
        refusals,
        releases: Arc::new(EngineReleases(engine.clone())),
    });
    (keys, engine)
}
