//! Measures the register's side of SPEC §9 "completing a sale shows its receipt within 50 ms":
//! `App::complete_sale` in demo mode (permission check, one durable SQLite transaction with
//! `synchronous=FULL`, the receipt read back), with the delivery worker and the embedded emulator
//! running; and how long `App::open` takes in demo mode (part of the start-up target). Prints
//! the median, p95 and max of N sales; not a test (run with
//! `cargo bench -p stateline-api --features demo --bench app_sale`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use stateline_api::dto::{CartLine, CreateManagerRequest, SaleRequest, SearchRequest};
use stateline_api::{App, AppConfig};
use stateline_secrets::MemoryStore;

const SALES: usize = 300;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = AppConfig::new(dir.path(), Arc::new(MemoryStore::new()));
        let opening = Instant::now();
        let app = App::open(config).await.expect("the app opens");
        println!(
            "App::open in demo mode (store, emulator, demo licence and inventory, worker): {:.1} ms",
            ms(opening.elapsed())
        );
        app.create_first_manager(CreateManagerRequest {
            name: "Max".into(),
            pin: "2468".into(),
        })
        .await
        .expect("manager");
        let packages = app
            .search_packages(SearchRequest {
                query: String::new(),
                licence: None,
                limit: Some(12),
            })
            .await
            .expect("packages");
        let mut times = Vec::with_capacity(SALES);
        for n in 0..SALES {
            let package = &packages[n % packages.len()];
            let started = Instant::now();
            let receipt = app
                .complete_sale(SaleRequest {
                    licence: None,
                    lines: vec![CartLine {
                        label: package.label.clone(),
                        quantity: "0.1".into(),
                        price: "1.00".into(),
                    }],
                    customer_type: "Consumer".into(),
                    patient_number: None,
                    caregiver_number: None,
                    identification_method: None,
                    approval: None,
                })
                .await
                .expect("a sale");
            times.push(started.elapsed());
            std::hint::black_box(receipt);
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "complete_sale -> receipt over {SALES} sales: median {:.2} ms, p95 {:.2} ms, max {:.2} ms (target: 50 ms)",
            ms(at(0.5)),
            ms(at(0.95)),
            ms(times[times.len() - 1])
        );
        app.shutdown(Duration::from_secs(10)).await.expect("stops");
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
