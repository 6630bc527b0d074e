//! Shared helpers for the emulator's HTTP tests.
#![allow(dead_code)]

use metrc_emulator::{DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_VENDOR_KEY, Emulator, Options, Seed};
use serde_json::Value;
use std::time::Duration;

pub async fn start() -> Emulator {
    start_with(Seed::demo(jiff::Timestamp::now()), Options::default()).await
}

pub async fn start_with(seed: Seed, options: Options) -> Emulator {
    Emulator::start("127.0.0.1:0".parse().unwrap(), seed, options)
        .await
        .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub user_key: String,
}

impl Api {
    pub fn new(emu: &Emulator, user_key: &str) -> Api {
        Api {
            base: emu.base_url(),
            client: client(),
            user_key: user_key.to_owned(),
        }
    }
    pub fn manager(emu: &Emulator) -> Api {
        Api::new(emu, DEMO_MANAGER_KEY)
    }
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .basic_auth(DEMO_VENDOR_KEY, Some(&self.user_key))
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.req(reqwest::Method::GET, path).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    pub async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let r = self.req(method, path).json(body).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }
}

pub fn lic(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}licenseNumber={DEMO_LICENSE}")
}

/// First gram-based and first each-based demo package labels.
pub const GRAMS_LABEL: &str = "1A4FF0100000022000000001";
pub const EACH_LABEL: &str = "1A4FF0100000022000000013";

pub fn sale(ext: &str, label: &str, qty: f64, unit: &str) -> Value {
    serde_json::json!({
        "SalesDateTime": "2026-11-22T14:02:11.000",
        "ExternalReceiptNumber": ext,
        "SalesCustomerType": "Consumer",
        "PatientLicenseNumber": null,
        "CaregiverLicenseNumber": null,
        "IdentificationMethod": null,
        "Transactions": [{"PackageLabel": label, "Quantity": qty, "UnitOfMeasure": unit, "TotalAmount": 25.0}]
    })
}
