//! A full disk at the till: the app facade (what the UI calls) in demo mode, its data folder a
//! tmpfs of its own (see `stateline_local_fault_tests::on_own_tmpfs`) filled by a filler file
//! while the register sells and its delivery worker sends in the background.
//!
//! Guarantees checked: the sale that does not fit is refused at the IPC boundary as
//! `{code: "disk_full", message}`, the message naming the data folder and saying to free space;
//! the refused sales leave nothing in the file and every acknowledged one is intact; the app
//! keeps running (its delivery worker too, though its own writes meet the full disk);
//! once space is freed the same app sells again, no restart; every acknowledged sale reaches
//! Metrc exactly once.

use std::time::Duration;

use metrc_emulator::DEMO_LICENSE;
use stateline_api::dto::{CartLine, LoginRequest, SaleRequest, SearchRequest};
use stateline_api::{ApiError, App, IpcError};
use stateline_local_fault_tests::on_own_tmpfs;

use crate::full_disk::fill_leaving;
use crate::register::{assert_each_in_metrc_once, assert_intact};

/// The demo app of `stateline_testkit::app` (quick retries, seeded), with its manager logged in.
async fn open_app(dir: &std::path::Path) -> App {
    let app = stateline_testkit::app::open(dir).await;
    app.login(LoginRequest {
        name: "Max".into(),
        pin: "2468".into(),
    })
    .await
    .expect("login");
    app
}

async fn sell(app: &App, label: &str) -> Result<String, ApiError> {
    let receipt = app
        .complete_sale(SaleRequest {
            licence: None,
            lines: vec![CartLine {
                label: label.into(),
                quantity: "1".into(),
                price: "5.00".into(),
            }],
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            approval: None,
        })
        .await?;
    Ok(receipt.client_id)
}

#[test]
fn the_app_says_disk_full_at_the_till_and_sells_again_once_space_is_freed() {
    on_own_tmpfs(
        "app_full_disk::the_app_says_disk_full_at_the_till_and_sells_again_once_space_is_freed",
        "16m",
        |dir| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let app = open_app(dir).await;
                let packages = app
                    .search_packages(SearchRequest {
                        query: String::new(),
                        licence: None,
                        limit: Some(20),
                    })
                    .await
                    .expect("packages");
                let labels: Vec<String> = packages
                    .into_iter()
                    .filter(|p| p.unit_of_measure == "Each")
                    .map(|p| p.label)
                    .collect();
                assert!(!labels.is_empty(), "the demo has packages sold by the unit");
                let filler = dir.join("filler");
                fill_leaving(&filler, 1024 * 1024);

                let mut acknowledged = Vec::new();
                let refusal = loop {
                    match sell(&app, &labels[acknowledged.len() % labels.len()]).await {
                        Ok(client_id) => acknowledged.push(client_id),
                        Err(error) => break error,
                    }
                    assert!(acknowledged.len() < 2000, "the disk never filled");
                };
                let ipc = IpcError::from(refusal);
                println!("refused after {} sales: {ipc}", acknowledged.len());
                assert_eq!(ipc.code, "disk_full", "{ipc}");
                assert!(ipc.message.contains(&dir.display().to_string()), "{ipc}");
                assert!(ipc.message.contains("free space"), "{ipc}");
                let error = sell(&app, &labels[0]).await.expect_err("still full");
                assert_eq!(error.code(), "disk_full", "{error}");

                assert_eq!(
                    assert_intact(&dir.join("stateline.sqlite"), &acknowledged),
                    acknowledged.len(),
                    "the refused sales left nothing behind"
                );
                std::fs::remove_file(&filler).expect("the filler is removed");
                for n in 0..3 {
                    let client_id = sell(&app, &labels[n % labels.len()])
                        .await
                        .expect("selling resumes once space is freed");
                    acknowledged.push(client_id);
                }
                let control = app.demo_control().expect("the demo emulator");
                let landed = |control: &metrc_emulator::Control| {
                    let receipts = control.receipts(DEMO_LICENSE);
                    acknowledged.iter().all(|id| {
                        receipts
                            .iter()
                            .any(|r| r.external_receipt_number.as_deref() == Some(id.as_str()))
                    })
                };
                for _ in 0..600 {
                    if landed(&control) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                assert_each_in_metrc_once(&control, DEMO_LICENSE, &acknowledged);
            });
        },
    );
}
