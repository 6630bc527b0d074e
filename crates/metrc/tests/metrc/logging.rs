//! Debug logs carry method, path and status, and never a key. Its own test binary: tracing caches
//! per-callsite interest process-wide, so other tests running without a subscriber would race.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use metrc::{ClientConfig, MetrcClient, NewReceipt, NewTransaction, UserKey, VendorKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const VENDOR: &str = "VENDORsecretKEY-0123456789abcdef";
const USER: &str = "USERsecretKEY-fedcba9876543210";

/// A `MakeWriter` collecting everything logged.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answers every request with an empty 401.
async fn refusing_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 16384];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                    .await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn debug_logs_carry_method_path_status_but_no_key() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let base = refusing_server().await;
        let mut config = ClientConfig::new(base.parse().unwrap(), VendorKey::new(VENDOR).unwrap());
        config.request_timeout = Duration::from_secs(2);
        let c = MetrcClient::new(config).unwrap();
        let key = UserKey::new(USER).unwrap();
        let sale = NewReceipt {
            sales_date_time: "2026-11-22T14:02:11".parse().unwrap(),
            external_receipt_number: "SL-LOG-1".into(),
            sales_customer_type: "Consumer".into(),
            patient_license_number: None,
            caregiver_license_number: None,
            identification_method: None,
            patient_registration_location_id: None,
            transactions: vec![NewTransaction {
                package_label: "1A4FF0100000022000000001".into(),
                quantity: 1.0,
                unit_of_measure: "Grams".into(),
                total_amount: 10.0,
                ..Default::default()
            }],
        };
        let _ = c.create_receipts(&key, "403R-00001", &[sale]).await;
        let _ = c.facilities(&key).await;
    });
    let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("metrc request"), "{logged}");
    assert!(
        logged.contains("/sales/v2/receipts") && logged.contains("401"),
        "{logged}"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{VENDOR}:{USER}"));
    for secret in [VENDOR, USER, basic.as_str(), "secretKEY"] {
        assert!(!logged.contains(secret), "log leaks {secret:?}: {logged}");
    }
}
