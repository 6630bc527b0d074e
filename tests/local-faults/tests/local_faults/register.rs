//! One register for the local-fault tests: its database at a path the test chooses (a tmpfs,
//! a folder made read-only), the Metrc emulator on loopback, static keys of the demo users, a
//! delivery engine, and a manual clock — plus what the tests check afterwards: the file's
//! integrity, every acknowledged sale with its outbox entry, and Metrc holding each sale once.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{
    Control, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, Emulator, Options,
    Seed,
};
use stateline_delivery::DeliveryEngine;
use stateline_keys::StaticKeys;
use stateline_store::{
    Database, EntryState, Licence, ManualClock, Money, NewSale, NewSaleLine, OpenOptions, Quantity,
    RecordedSale, StoreError,
};

pub use stateline_testkit::delivery::{
    BUDTENDER, MANAGER, START, client_for, test_config, user_key,
};

/// The emulator and a client of it.
pub struct Metrc {
    /// Held so the emulator runs as long as this does.
    _running: Emulator,
    pub control: Control,
    pub client: metrc::MetrcClient,
}

pub async fn metrc() -> Metrc {
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().expect("addr"),
        Seed::demo(Timestamp::now()),
        Options::default(),
    )
    .await
    .expect("emulator starts");
    let client = client_for(&emulator.base_url(), Duration::from_millis(800));
    let control = emulator.control();
    Metrc {
        _running: emulator,
        control,
        client,
    }
}

/// A register: database, clock, and a delivery engine with static keys of both demo users.
pub struct Register {
    pub db: Database,
    pub clock: ManualClock,
    pub engine: DeliveryEngine,
    /// Labels of the packages it sells, one unit at a time.
    pub labels: Vec<String>,
}

pub fn open_db(path: &Path, clock: &ManualClock) -> Result<Database, StoreError> {
    Database::open_with(
        path,
        OpenOptions {
            clock: Arc::new(clock.clone()),
            rng_seed: Some(Timestamp::now().as_nanosecond() as u64),
            ..OpenOptions::default()
        },
    )
}

impl Register {
    /// Opens (creating) the register's database at `path`, refreshed from Metrc.
    pub async fn open(path: &Path, metrc: &Metrc) -> Register {
        let clock = ManualClock::new(START.parse().expect("start"));
        let db = open_db(path, &clock).expect("the database opens");
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
            &metrc.client,
            &user_key(DEMO_MANAGER_KEY),
            DEMO_LICENSE,
        )
        .await
        .expect("refresh from the emulator");
        Self::with_db(db, clock, metrc)
    }

    /// A register over an already opened database.
    pub fn with_db(db: Database, clock: ManualClock, metrc: &Metrc) -> Register {
        let engine = engine_for(&db, metrc);
        let mut packages: Vec<_> = db
            .packages(DEMO_LICENSE)
            .expect("packages")
            .into_iter()
            .filter(|p| !p.local_only && p.unit_of_measure == "Each")
            .collect();
        packages.sort_by_key(|p| std::cmp::Reverse(p.on_hand));
        let labels = packages.into_iter().take(4).map(|p| p.label).collect();
        Register {
            db,
            clock,
            engine,
            labels,
        }
    }

    /// A new delivery engine on the same database, as after the app restarted.
    pub fn restart_delivery(&mut self, metrc: &Metrc) {
        self.engine = engine_for(&self.db, metrc);
    }

    /// Sells one unit of the `n`th label (round robin) as `user`, at the clock's time.
    pub fn sell(&self, user: &str, n: usize) -> Result<RecordedSale, StoreError> {
        let label = &self.labels[n % self.labels.len()];
        self.db.record_sale(&NewSale {
            licence: DEMO_LICENSE.into(),
            acting_user: user.into(),
            occurred_at: stateline_store::Clock::now(&self.clock),
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            lines: vec![NewSaleLine {
                label: label.clone(),
                quantity: Quantity::parse("1").expect("quantity"),
                unit_of_measure: "Each".into(),
                total_amount: Money::parse("12.50").expect("money"),
            }],
        })
    }

    /// Records not yet in Metrc (neither confirmed nor rejected).
    pub fn waiting(&self) -> u64 {
        self.db
            .counts(None)
            .expect("counts")
            .iter()
            .filter(|c| !c.state.is_terminal() && c.state != EntryState::Rejected)
            .map(|c| c.count)
            .sum()
    }

    /// Records in `state` (a state before confirmed: `counts` keeps no confirmed ones).
    pub fn count(&self, state: EntryState) -> u64 {
        self.db
            .counts(None)
            .expect("counts")
            .iter()
            .filter(|c| c.state == state)
            .map(|c| c.count)
            .sum()
    }

    /// Runs passes, moving the clock a minute after each, until nothing waits.
    pub async fn drain(&self) {
        for _ in 0..60 {
            self.engine.run_once().await.expect("a delivery pass");
            if self.waiting() == 0 {
                return;
            }
            self.clock.advance(SignedDuration::from_secs(60));
        }
        panic!("the backlog did not drain: {:?}", self.db.counts(None));
    }
}

/// A delivery engine on `db` with static keys of both demo users.
fn engine_for(db: &Database, metrc: &Metrc) -> DeliveryEngine {
    let keys = StaticKeys::new();
    keys.set_user_key(BUDTENDER, user_key(DEMO_BUDTENDER_KEY));
    keys.set_user_key(MANAGER, user_key(DEMO_MANAGER_KEY));
    DeliveryEngine::new(
        db.clone(),
        metrc.client.clone(),
        Arc::new(keys),
        test_config(),
    )
}

/// Checks the database file at `path` through a connection of its own: `integrity_check` is ok
/// and every sale in `acknowledged` is there with its outbox entry. Returns how many sales the
/// file holds.
pub fn assert_intact(path: &Path, acknowledged: &[String]) -> usize {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("a read-only connection");
    assert_intact_in(&conn, acknowledged)
}

/// [`assert_intact`] for a closed database on a read-only disk, where SQLite cannot make the
/// `-shm` a WAL database needs: there must be no `-wal` left (all of it is in the main file),
/// which is then read as immutable.
pub fn assert_intact_on_read_only_disk(path: &Path, acknowledged: &[String]) -> usize {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    assert!(
        !Path::new(&wal).exists(),
        "the register closed without checkpointing its WAL"
    );
    let uri = format!("file:{}?immutable=1", path.display());
    let conn = rusqlite::Connection::open_with_flags(
        uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .expect("an immutable connection");
    assert_intact_in(&conn, acknowledged)
}

fn assert_intact_in(conn: &rusqlite::Connection, acknowledged: &[String]) -> usize {
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check runs");
    assert_eq!(check, "ok", "the database file is damaged");
    for client_id in acknowledged {
        let entries: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sales s JOIN outbox o
                   ON o.kind = 'sale' AND o.record_id = s.id AND o.client_id = s.client_id
                 WHERE s.client_id = ?1",
                [client_id],
                |r| r.get(0),
            )
            .expect("the sale is looked up");
        assert_eq!(
            entries, 1,
            "acknowledged sale {client_id} lost or without its outbox entry"
        );
    }
    let sales: i64 = conn
        .query_row("SELECT COUNT(*) FROM sales", [], |r| r.get(0))
        .expect("sales counted");
    sales as usize
}

/// Metrc's receipts of the demo licence by external receipt number: every acknowledged sale
/// exactly once, and nothing else.
pub fn assert_in_metrc_once(control: &Control, acknowledged: &[String]) {
    let seen = assert_each_in_metrc_once(control, DEMO_LICENSE, acknowledged);
    assert_eq!(
        seen.len(),
        acknowledged.len(),
        "Metrc holds sales nobody acknowledged"
    );
}

/// Every acknowledged sale is in Metrc (licence `licence`) exactly once; returns how many times
/// Metrc holds each external receipt number.
pub fn assert_each_in_metrc_once(
    control: &Control,
    licence: &str,
    acknowledged: &[String],
) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for receipt in control.receipts(licence) {
        if let Some(external) = receipt.external_receipt_number {
            *seen.entry(external).or_default() += 1;
        }
    }
    for client_id in acknowledged {
        assert_eq!(
            seen.get(client_id).copied(),
            Some(1),
            "sale {client_id} is not in Metrc exactly once"
        );
    }
    seen
}
