//! A test harness for the delivery engine: a real SQLite file in a temporary folder, the Metrc
//! emulator on loopback (demo seed), the real Metrc client, static keys and a manual clock.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{
    Control, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, DEMO_VENDOR_KEY,
    Emulator, Options, Seed,
};
use stateline_delivery::{DeliveryConfig, DeliveryEngine, PassReport};
use stateline_keys::StaticKeys;
use stateline_store::{
    Database, EntryState, Licence, ManualClock, Money, NewSale, NewSaleLine, OpenOptions, Package,
    Quantity,
};

pub const BUDTENDER: &str = "bea";
pub const MANAGER: &str = "max";
pub const START: &str = "2026-11-22T18:00:00Z";

#[derive(Debug)]
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db: Database,
    pub clock: ManualClock,
    pub emulator: Emulator,
    pub control: Control,
    pub client: metrc::MetrcClient,
    pub keys: StaticKeys,
    pub engine: DeliveryEngine,
}

/// One register: its own database in a temp folder (its install id and client ids from
/// `rng_seed`), manual clock, static keys of both demo users, and delivery engine.
#[derive(Debug)]
pub struct Register {
    pub dir: tempfile::TempDir,
    pub db: Database,
    pub clock: ManualClock,
    pub keys: StaticKeys,
    pub engine: DeliveryEngine,
}

impl Register {
    /// Opens a register on the demo licence, refreshed from the emulator behind `client`, its
    /// clock at `start`.
    pub async fn open(
        client: &metrc::MetrcClient,
        rng_seed: u64,
        start: Timestamp,
        config: DeliveryConfig,
    ) -> Register {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(start);
        let db = Database::open_with(
            dir.path().join("stateline.sqlite"),
            OpenOptions {
                clock: Arc::new(clock.clone()),
                rng_seed: Some(rng_seed),
                ..OpenOptions::default()
            },
        )
        .expect("database opens");
        db.upsert_licence(&Licence {
            number: DEMO_LICENSE.into(),
            name: "Demo".into(),
            time_zone: DEMO_TIME_ZONE.into(),
            reporting_deadline_hours: 24,
            object_limit: None,
        })
        .expect("licence");
        stateline_delivery::refresh::refresh_licence(
            &db,
            client,
            &user_key(DEMO_MANAGER_KEY),
            DEMO_LICENSE,
        )
        .await
        .expect("refresh from the emulator");
        let keys = StaticKeys::new();
        keys.set_user_key(BUDTENDER, user_key(DEMO_BUDTENDER_KEY));
        keys.set_user_key(MANAGER, user_key(DEMO_MANAGER_KEY));
        let engine =
            DeliveryEngine::new(db.clone(), client.clone(), Arc::new(keys.clone()), config);
        Register {
            dir,
            db,
            clock,
            keys,
            engine,
        }
    }
}

pub fn user_key(key: &str) -> metrc::UserKey {
    metrc::UserKey::new(key).expect("valid key")
}

pub fn client_for(base_url: &str, timeout: Duration) -> metrc::MetrcClient {
    let mut config = metrc::ClientConfig::new(
        base_url.parse().expect("emulator URL"),
        metrc::VendorKey::new(DEMO_VENDOR_KEY).expect("valid vendor key"),
    );
    config.request_timeout = timeout;
    config.connect_timeout = Duration::from_millis(500);
    metrc::MetrcClient::new(config).expect("client")
}

pub fn test_config() -> DeliveryConfig {
    DeliveryConfig {
        concurrency: 2,
        seed: 7,
        ..DeliveryConfig::default()
    }
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with(
            Seed::demo(jiff::Timestamp::now()),
            Options::default(),
            test_config(),
        )
        .await
    }

    pub async fn with(seed: Seed, options: Options, config: DeliveryConfig) -> Harness {
        let emulator = Emulator::start("127.0.0.1:0".parse().expect("addr"), seed, options)
            .await
            .expect("emulator starts");
        let client = client_for(&emulator.base_url(), Duration::from_millis(800));
        let Register {
            dir,
            db,
            clock,
            keys,
            engine,
        } = Register::open(&client, 11, START.parse().expect("start time"), config).await;
        let control = emulator.control();
        Harness {
            dir,
            db,
            clock,
            emulator,
            control,
            client,
            keys,
            engine,
        }
    }

    /// Another register against this harness's emulator (see [`Register::open`]).
    pub async fn another_register(
        &self,
        rng_seed: u64,
        start: Timestamp,
        config: DeliveryConfig,
    ) -> Register {
        Register::open(&self.client, rng_seed, start, config).await
    }

    /// A package of the demo inventory sold by `unit` ("Grams" or "Each") with at least `min` on hand.
    pub fn package(&self, unit: &str, nth: usize) -> Package {
        self.db
            .packages(DEMO_LICENSE)
            .expect("packages")
            .into_iter()
            .filter(|p| p.unit_of_measure == unit && !p.local_only)
            .nth(nth)
            .expect("the demo seed has enough packages of this unit")
    }

    pub fn sell(&self, user: &str, label: &str, quantity: &str) -> stateline_store::RecordedSale {
        let package = self.db.package(label).expect("known package");
        self.db
            .record_sale(&NewSale {
                licence: DEMO_LICENSE.into(),
                acting_user: user.into(),
                occurred_at: self.clock.now_ts(),
                customer_type: "Consumer".into(),
                patient_number: None,
                caregiver_number: None,
                identification_method: None,
                lines: vec![NewSaleLine {
                    label: label.into(),
                    quantity: Quantity::parse(quantity).expect("quantity"),
                    unit_of_measure: package.unit_of_measure,
                    total_amount: Money::parse("12.50").expect("money"),
                }],
            })
            .expect("sale recorded")
    }

    pub async fn pass(&self) -> PassReport {
        self.engine.run_once().await.expect("a delivery pass")
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(SignedDuration::from_secs(seconds));
    }

    /// Runs passes, moving the clock a minute after each, until nothing waits (or gives up).
    pub async fn drain(&self) {
        for _ in 0..60 {
            self.pass().await;
            if self.waiting() == 0 {
                return;
            }
            self.advance(60);
        }
        panic!("the backlog did not drain: {:?}", self.db.counts(None));
    }

    pub fn count(&self, state: EntryState) -> u64 {
        self.db
            .counts(None)
            .expect("counts")
            .iter()
            .filter(|c| c.state == state)
            .map(|c| c.count)
            .sum()
    }

    pub fn waiting(&self) -> u64 {
        self.db
            .counts(None)
            .expect("counts")
            .iter()
            .filter(|c| !c.state.is_terminal() && c.state != EntryState::Rejected)
            .map(|c| c.count)
            .sum()
    }

    pub fn state_of(&self, entry_id: i64) -> EntryState {
        self.db.entry(entry_id).expect("entry").state
    }

    /// Receipts in the emulator carrying `external`.
    pub fn receipts_in_metrc(&self, external: &str) -> usize {
        self.control
            .receipts(DEMO_LICENSE)
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(external))
            .count()
    }

    /// Write requests the emulator saw (POST/PUT/DELETE to Metrc routes).
    pub fn writes_seen(&self) -> usize {
        self.control
            .request_log()
            .iter()
            .filter(|r| r.method != "GET" && !r.path.starts_with("/__emulator"))
            .count()
    }
}

pub trait NowTs {
    fn now_ts(&self) -> Timestamp;
}

impl NowTs for ManualClock {
    fn now_ts(&self) -> Timestamp {
        stateline_store::Clock::now(self)
    }
}
