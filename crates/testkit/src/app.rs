//! Shared by the app facade's demo-mode tests: an app on a fresh data folder with fast delivery
//! timings and its first manager (Max, PIN 2468), logging in, selling the first package, and
//! waiting for a condition.

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use stateline_api::dto::{
    CartLine, CreateManagerRequest, LoginRequest, Receipt, SaleRequest, SearchRequest,
};
use stateline_api::{App, AppConfig, MemoryStore, SecretStore};
use stateline_delivery::{BackoffPolicy, DeliveryConfig};

/// Opens the app in `dir` (demo mode) with quick retries and seeded randomness.
pub async fn open(dir: &std::path::Path) -> App {
    open_with(dir, Arc::new(MemoryStore::new())).await
}

/// [`open`] with the keychain stand-in given (to put a secret in it first).
pub async fn open_with(dir: &std::path::Path, secret_store: Arc<dyn SecretStore>) -> App {
    let mut config = AppConfig::new(dir, secret_store);
    config.store_link_idle = Duration::from_millis(200);
    config.worker_idle = Duration::from_millis(100);
    config.request_timeout = Duration::from_millis(1500);
    config.rng_seed = Some(9);
    config.delivery = DeliveryConfig {
        settle: SignedDuration::from_millis(300),
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
        },
        seed: 3,
        ..DeliveryConfig::default()
    };
    let app = App::open(config).await.expect("the app opens");
    app.create_first_manager(CreateManagerRequest {
        name: "Max".into(),
        pin: "2468".into(),
    })
    .await
    .expect("first manager");
    app
}

pub async fn login(app: &App, name: &str, pin: &str) {
    app.login(LoginRequest {
        name: name.into(),
        pin: pin.into(),
    })
    .await
    .expect("login");
}

/// Sells one unit of the first package found, at 5.00.
pub async fn sell_first(app: &App) -> Receipt {
    let package = app
        .search_packages(SearchRequest {
            query: String::new(),
            licence: None,
            limit: Some(1),
        })
        .await
        .unwrap()
        .remove(0);
    app.complete_sale(SaleRequest {
        licence: None,
        lines: vec![CartLine {
            label: package.label,
            quantity: "1".into(),
            price: "5.00".into(),
        }],
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        approval: None,
    })
    .await
    .expect("selling never waits on Metrc")
}

/// Polls `done` every 50 ms for up to 15 s.
pub async fn eventually(mut done: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}
