//! A demo-mode app serving the door on a free loopback port; its keychain is a `MemoryStore`
//! the tests can look at. Max (manager) has the demo manager key saved; Bea (budtender) has no
//! key until she presents one at the door.

use std::sync::Arc;

use metrc::{ClientConfig, MetrcClient, NewReceipt, NewTransaction, VendorKey};
use metrc_emulator::{DEMO_LICENSE, DEMO_TIME_ZONE};
use stateline_api::App;
use stateline_api::dto::{ApiSettings, SearchRequest};
use stateline_secrets::MemoryStore;
use stateline_testkit::app::open_with;

pub use metrc_emulator::{DEMO_BUDTENDER_KEY, DEMO_MANAGER_KEY};
pub use stateline_testkit::app::eventually;

/// A user key as the client takes it.
pub fn key(text: &str) -> metrc::UserKey {
    metrc::UserKey::new(text).unwrap()
}

pub struct Door {
    pub app: App,
    /// `http://127.0.0.1:<port>` of the door.
    pub base: String,
    pub keychain: Arc<MemoryStore>,
    dir: tempfile::TempDir,
}

impl Door {
    pub async fn start() -> Door {
        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryStore::new());
        let app = open_with(dir.path(), keychain.clone()).await;
        let view = app
            .serve_pos_api(&ApiSettings {
                enabled: false,
                port: 0,
                lan: false,
                door_enabled: true,
                door_port: 0,
            })
            .await;
        assert_eq!(view.problem, None);
        let address = app.door_address().await.expect("the door runs");
        assert!(address.ip().is_loopback());
        Door {
            app,
            base: format!("http://{address}"),
            keychain,
            dir,
        }
    }

    /// A POS's Metrc client pointed at the door, with `name` in the vendor-key slot (each call
    /// takes the user key).
    pub fn pos(&self, name: &str) -> MetrcClient {
        let config = ClientConfig::new(self.base.parse().unwrap(), VendorKey::new(name).unwrap());
        MetrcClient::new(config).unwrap()
    }

    pub fn licence(&self) -> &'static str {
        DEMO_LICENSE
    }

    pub fn control(&self) -> metrc_emulator::Control {
        self.app.demo_control().expect("demo mode runs an emulator")
    }

    /// The first package with at least 5 on hand: (label, unit).
    pub async fn package(&self) -> (String, String) {
        let found = self
            .app
            .search_packages(SearchRequest {
                query: String::new(),
                licence: None,
                limit: Some(50),
            })
            .await
            .unwrap();
        let p = found
            .into_iter()
            .find(|p| p.on_hand.parse::<f64>().unwrap_or(0.0) >= 5.0)
            .expect("a package with stock");
        let unit = self
            .app
            .database()
            .package(&p.label)
            .unwrap()
            .unit_of_measure;
        (p.label, unit)
    }

    /// A receipt of one unit of `label`, sold two minutes ago at the facility.
    pub fn receipt(&self, number: &str, label: &str, unit: &str, quantity: f64) -> NewReceipt {
        let tz = jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap();
        let sold = self.app.database().now() - jiff::SignedDuration::from_mins(2);
        NewReceipt {
            sales_date_time: sold.to_zoned(tz).datetime(),
            external_receipt_number: number.into(),
            sales_customer_type: "Consumer".into(),
            patient_license_number: None,
            caregiver_license_number: None,
            identification_method: None,
            patient_registration_location_id: None,
            transactions: vec![NewTransaction {
                package_label: label.into(),
                quantity,
                unit_of_measure: unit.into(),
                total_amount: 12.5,
                ..NewTransaction::default()
            }],
        }
    }

    /// Outbox entries of kind sale.
    pub fn sales(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM outbox WHERE kind = 'sale'")
    }

    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.dir.path().join("stateline.sqlite")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A raw call (to see bodies exactly as sent).
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<(&str, &str)>,
        body: Option<&serde_json::Value>,
    ) -> (u16, String) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some((user, key)) = auth {
            request = request.basic_auth(user, Some(key));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the door answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}
