//! The work travels to the key, against a real store server (a private PostgreSQL cluster) and the
//! Metrc emulator on loopback: a sale made at a register without Bea's key is handed over, the
//! register holding her key delivers it under a lease — once, with its original time, under her
//! key — and the outcome comes back to the register that made it; a holder that POSTed and
//! vanished before writing its outcome leaves the record to the next holder, who waits out the
//! lease and the grace, finds it in Metrc by its external number and does not POST it again.

use std::time::Duration;

use secrecy::SecretString;
use stateline_courier::{Courier, CourierConfig};
use stateline_delivery::payload;
use stateline_link::handover::{Delivered, LeaseTerms};
use stateline_link::{RegisterIdentity, ServerConfig, StoreServer, sync_pass};
use stateline_store::time::to_ms;
use stateline_store::{Clock, EntryState};
use stateline_testkit::delivery::{BUDTENDER, Harness, MANAGER, Register, START, test_config};
use stateline_testkit::postgres::{Cluster, USER};

fn config(cluster: &Cluster) -> ServerConfig {
    cluster.server_config("store")
}

/// A register of the store, joined, with its own connection.
struct Till {
    name: &'static str,
    register: Register,
    server: StoreServer,
}

impl Till {
    async fn open(h: &Harness, cluster: &Cluster, name: &'static str, seed: u64) -> Till {
        let register = h
            .another_register(seed, START.parse().unwrap(), test_config())
            .await;
        let server = StoreServer::connect(&config(cluster)).await.unwrap();
        let db = &register.db;
        server
            .join(db.install_id(), name, "0.1.0", db.now())
            .await
            .unwrap();
        Till {
            name,
            register,
            server,
        }
    }

    /// This register holds `user`'s key (its metadata, as the keys crate writes it; the key
    /// itself is in the register's key source).
    fn holds_key_of(&self, user: &str) {
        self.holds_key(&format!("user:{user}"));
    }

    /// This register holds the key of `holder` (`user:<name>` or `facility`), as metadata.
    fn holds_key(&self, holder: &str) {
        let conn =
            rusqlite::Connection::open(self.register.dir.path().join("stateline.sqlite")).unwrap();
        conn.execute(
            "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at, saved_by,
                 verdict, validated_at)
             VALUES ('demo', ?1, 'entry', '2222', ?2, 'max', 'all_good', ?2)",
            rusqlite::params![holder, to_ms(self.register.db.now())],
        )
        .unwrap();
    }

    async fn pass(&mut self) -> stateline_link::SyncReport {
        let identity = RegisterIdentity {
            name: self.name.into(),
            app_version: "0.1.0".into(),
        };
        let r = &self.register;
        sync_pass(&r.db, &mut self.server, &identity, 50, &r.clock, |_| {})
            .await
            .unwrap()
    }

    fn courier(&self, h: &Harness, config: CourierConfig) -> Courier {
        Courier::new(
            self.register.db.clone(),
            h.client.clone(),
            std::sync::Arc::new(self.register.keys.clone()),
            std::sync::Arc::new(self.register.clock.clone()),
            config,
        )
    }
}

/// Bea sells one at `maker`, whose register has no key for her; its engine parks the sale.
async fn bea_sells_without_her_key(h: &Harness, maker: &Till) -> (i64, String) {
    maker.register.keys.clear_user_key(BUDTENDER);
    let package = h.package("Each", 0);
    let sale = maker
        .register
        .db
        .record_sale(&stateline_store::NewSale {
            licence: metrc_emulator::DEMO_LICENSE.into(),
            acting_user: BUDTENDER.into(),
            occurred_at: maker.register.clock.now(),
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            lines: vec![stateline_store::NewSaleLine {
                label: package.label,
                quantity: stateline_store::Quantity::parse("1").unwrap(),
                unit_of_measure: package.unit_of_measure,
                total_amount: stateline_store::Money::parse("12.50").unwrap(),
            }],
        })
        .unwrap();
    maker.register.engine.run_once().await.unwrap();
    let entry = maker
        .register
        .db
        .entry_by_client_id(&sale.client_id)
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, EntryState::WaitingForKey);
    (entry.id, sale.client_id)
}

fn receipt_posts(h: &Harness) -> Vec<Option<String>> {
    h.control
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/sales/v2/receipts")
        .map(|r| r.user.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_made_without_bea_s_key_reaches_metrc_once_under_her_key_from_the_register_holding_it()
 {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let h = Harness::new().await;
    let mut maker = Till::open(&h, &cluster, "Register 2", 21).await;
    let mut holder = Till::open(&h, &cluster, "Register 1", 22).await;
    holder.holds_key_of(BUDTENDER);
    let (entry_id, client_id) = bea_sells_without_her_key(&h, &maker).await;
    h.control.clear_request_log();

    // The holder tells the store whose key it holds; the maker pushes the sale, learns where
    // Bea's key is and hands the sale over.
    holder.pass().await;
    let handed = maker.pass().await.handovers;
    assert_eq!(handed.handed_over, 1);
    assert!(maker.register.db.is_handed_over(entry_id).unwrap());
    // A key for Bea saved at the maker now would not release it to the maker's own engine.
    assert_eq!(
        maker
            .register
            .db
            .release_waiting_for_key(BUDTENDER)
            .unwrap(),
        0
    );

    // The maker may not leave the store while another register is delivering its sale (its
    // outcome could not come back), not even when forced.
    stateline_link::membership::remember(
        &maker.register.db,
        &stateline_link::StoreSettings {
            host: "127.0.0.1".into(),
            port: cluster.port(),
            database: "store".into(),
            user: USER.into(),
            register_name: maker.name.into(),
            tls: stateline_link::StoreTls::Off,
        },
    )
    .unwrap();
    let refused = stateline_link::joining::depart(
        &maker.register.db,
        Some(SecretString::from(cluster.password().to_owned())),
        true,
        "0.1.0",
        &maker.register.clock,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "store_records_handed_over", "{refused}");

    let courier = holder.courier(&h, CourierConfig::default());
    let report = courier.run_once(&mut holder.server).await.unwrap();
    assert_eq!((report.leased, report.sent), (1, 1), "{report:?}");
    assert_eq!(
        receipt_posts(&h),
        [Some(metrc_emulator::DEMO_BUDTENDER.to_owned())],
        "one POST, under Bea's key"
    );
    let again = courier.run_once(&mut holder.server).await.unwrap();
    assert_eq!(again.leased, 0, "delivered records are not leased again");

    // The outcome comes back to the maker: confirmed with Metrc's id, at its original time.
    assert_eq!(maker.pass().await.handovers.outcomes, 1);
    let entry = maker.register.db.entry(entry_id).unwrap();
    assert_eq!(entry.state, EntryState::Confirmed);
    assert!(entry.metrc_id.is_some());
    let receipts: Vec<_> = h
        .control
        .receipts(metrc_emulator::DEMO_LICENSE)
        .into_iter()
        .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
        .collect();
    assert_eq!(receipts.len(), 1);
    let tz = maker
        .register
        .db
        .licence(metrc_emulator::DEMO_LICENSE)
        .unwrap()
        .tz()
        .unwrap();
    assert_eq!(
        receipts[0].sales_date_time,
        format!("{}.000", payload::local_date_time(entry.occurred_at, &tz))
    );
    assert_eq!(maker.pass().await.handovers.outcomes, 0, "applied once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_vanished_after_posting_leaves_the_record_to_be_found_not_sent_twice() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let h = Harness::new().await;
    let mut maker = Till::open(&h, &cluster, "Register 3", 31).await;
    let mut first = Till::open(&h, &cluster, "Register 1", 32).await;
    let mut second = Till::open(&h, &cluster, "Register 2", 33).await;
    first.holds_key_of(BUDTENDER);
    second.holds_key_of(BUDTENDER);
    let (entry_id, client_id) = bea_sells_without_her_key(&h, &maker).await;
    first.pass().await;
    second.pass().await;
    assert_eq!(maker.pass().await.handovers.handed_over, 1);
    h.control.clear_request_log();

    // The first holder takes the lease, POSTs, and is gone before it writes what Metrc said.
    let terms = LeaseTerms {
        lease: Duration::from_millis(600),
        grace: Duration::from_millis(600),
    };
    let first_id = first.register.db.install_id().to_owned();
    let leased = first
        .server
        .take_leases(&first_id, &[BUDTENDER.to_owned()], false, terms, 10)
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    assert!(!leased[0].leased_before);
    let sale: stateline_store::Sale =
        serde_json::from_value(leased[0].record.body.clone()).unwrap();
    let tz = first
        .register
        .db
        .licence(metrc_emulator::DEMO_LICENSE)
        .unwrap()
        .tz()
        .unwrap();
    h.client
        .create_receipts(
            &stateline_testkit::delivery::user_key(metrc_emulator::DEMO_BUDTENDER_KEY),
            metrc_emulator::DEMO_LICENSE,
            &[payload::receipt_of(&sale, &tz)],
        )
        .await
        .unwrap();

    // While the lease and its grace run, nobody else may take the record.
    let config = CourierConfig {
        terms,
        margin: Duration::from_millis(100),
        batch: 10,
        object_limit: 10,
        concurrency: 2,
    };
    let courier = second.courier(&h, config);
    assert_eq!(
        courier.run_once(&mut second.server).await.unwrap().leased,
        0
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let report = courier.run_once(&mut second.server).await.unwrap();
    assert_eq!(
        (report.leased, report.found, report.sent),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(
        receipt_posts(&h).len(),
        1,
        "the record was not POSTed again"
    );

    // The first holder comes back with its old fence: its outcome is not written.
    let late = first
        .server
        .record_delivery(
            &first_id,
            &leased[0],
            &Delivered::Confirmed(None),
            first.register.db.now(),
        )
        .await
        .unwrap();
    assert!(!late);

    maker.pass().await;
    assert_eq!(
        maker.register.db.entry(entry_id).unwrap().state,
        EntryState::Confirmed
    );
    let in_metrc = h
        .control
        .receipts(metrc_emulator::DEMO_LICENSE)
        .iter()
        .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
        .count();
    assert_eq!(in_metrc, 1);
}

/// Records of every kind made at a register without their makers' keys — Max's split to a new
/// tag and adjustment, Bea's sale from the new tag and two more of hers that Max then corrects
/// and voids (a budtender's key may neither change packages nor edit receipts) — are handed over
/// in causal order and each reaches Metrc once, under its maker's key, from the register that
/// holds both keys; every outcome comes back to the maker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_every_kind_travel_to_the_key_in_causal_order() {
    use stateline_store::{
        Ingredient, Money, NewAdjustment, NewPackageOutput, NewPackages, NewSale,
        NewSaleCorrection, NewSaleLine, Quantity,
    };
    let cluster = Cluster::start();
    cluster.create_database("store");
    let h = Harness::new().await;
    let mut maker = Till::open(&h, &cluster, "Register 2", 31).await;
    let mut holder = Till::open(&h, &cluster, "Register 1", 32).await;
    holder.holds_key_of(BUDTENDER);
    holder.holds_key_of(MANAGER);
    maker.register.keys.clear_user_key(BUDTENDER);
    maker.register.keys.clear_user_key(MANAGER);
    let db = maker.register.db.clone();
    let licence = metrc_emulator::DEMO_LICENSE;
    let now = maker.register.clock.now();
    let (grams, each) = (h.package("Grams", 0), h.package("Each", 0));
    let tag = "1A4FF0100000022000099002";
    let q = |text: &str| Quantity::parse(text).unwrap();
    let line = |label: &str, unit: &str, quantity: &str| NewSaleLine {
        label: label.into(),
        quantity: q(quantity),
        unit_of_measure: unit.into(),
        total_amount: Money::parse("10").unwrap(),
    };
    let sell = |lines: Vec<NewSaleLine>| {
        db.record_sale(&NewSale {
            licence: licence.into(),
            acting_user: BUDTENDER.into(),
            occurred_at: now,
            customer_type: "Consumer".into(),
            patient_number: None,
            caregiver_number: None,
            identification_method: None,
            lines,
        })
        .unwrap()
    };
    let split = db
        .record_new_packages(&NewPackages {
            licence: licence.into(),
            acting_user: MANAGER.into(),
            occurred_at: now,
            outputs: vec![NewPackageOutput {
                tag: tag.into(),
                item_name: None,
                quantity: q("3"),
                unit_of_measure: grams.unit_of_measure.clone(),
                ingredients: vec![Ingredient {
                    label: grams.label.clone(),
                    quantity: q("3"),
                    unit_of_measure: grams.unit_of_measure.clone(),
                }],
            }],
        })
        .unwrap();
    let from_new_tag = sell(vec![line(tag, &grams.unit_of_measure, "1")]);
    let adjusted = db
        .record_adjustment(&NewAdjustment {
            licence: licence.into(),
            acting_user: MANAGER.into(),
            label: each.label.clone(),
            quantity: q("-1"),
            unit_of_measure: each.unit_of_measure.clone(),
            reason: "Drying".into(),
            note: None,
            occurred_at: now,
        })
        .unwrap();
    let corrected = sell(vec![line(&each.label, &each.unit_of_measure, "2")]);
    let voided = sell(vec![line(&each.label, &each.unit_of_measure, "1")]);
    let correction = db
        .record_sale_correction(&NewSaleCorrection {
            sale_client_id: corrected.client_id.clone(),
            acting_user: MANAGER.into(),
            lines: vec![line(&each.label, &each.unit_of_measure, "1")],
        })
        .unwrap();
    let void = db
        .record_sale_void(&voided.client_id, "customer changed her mind", MANAGER)
        .unwrap();
    maker.register.engine.run_once().await.unwrap();
    h.control.clear_request_log();

    let courier = holder.courier(&h, CourierConfig::default());
    let open = || {
        db.list_entries(&stateline_store::EntryFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.state != EntryState::Confirmed)
            .count()
    };
    for _ in 0..12 {
        if open() == 0 {
            break;
        }
        holder.pass().await;
        maker.pass().await;
        courier.run_once(&mut holder.server).await.unwrap();
        maker.pass().await;
    }
    assert_eq!(
        open(),
        0,
        "every record came back confirmed: {:?}",
        db.list_entries(&stateline_store::EntryFilter::default())
            .unwrap()
            .iter()
            .map(|e| (
                e.id,
                e.kind,
                e.state,
                e.metrc_id,
                e.depends_on,
                e.depends_on_metrc_id
            ))
            .collect::<Vec<_>>()
    );

    let writes: Vec<_> = h
        .control
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    let sale_posts: Vec<_> = writes
        .iter()
        .filter(|r| r.path == "/sales/v2/receipts" && r.method == "POST")
        .map(|r| r.user.clone())
        .collect();
    assert_eq!(
        sale_posts,
        vec![Some(metrc_emulator::DEMO_BUDTENDER.to_owned()); sale_posts.len()],
        "Bea's sales under her key"
    );
    assert!(
        writes
            .iter()
            .filter(|r| r.path.starts_with("/sales/") && r.method != "POST")
            .all(|r| r.user.as_deref() == Some(metrc_emulator::DEMO_MANAGER)),
        "Max's correction and void under his key: {writes:?}"
    );
    assert!(
        writes
            .iter()
            .filter(|r| r.path.starts_with("/packages/"))
            .all(|r| r.user.as_deref() == Some(metrc_emulator::DEMO_MANAGER)),
        "Max's records under his key: {writes:?}"
    );
    let creates_tag = writes
        .iter()
        .position(|r| {
            r.path.starts_with("/packages/v2") && r.method == "POST" && !r.path.ends_with("adjust")
        })
        .expect("the split was sent");
    let first_receipt = writes
        .iter()
        .position(|r| r.path == "/sales/v2/receipts" && r.method == "POST")
        .expect("sales were sent");
    assert!(
        creates_tag < first_receipt,
        "the new tag exists before a sale from it: {writes:?}"
    );
    assert!(h.control.package(licence, tag).is_some());
    let receipts = h.control.receipts(licence);
    let receipt = |client_id: &str| {
        let found: Vec<_> = receipts
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(client_id))
            .collect();
        assert_eq!(found.len(), 1, "{client_id} once in Metrc");
        found[0].clone()
    };
    receipt(&from_new_tag.client_id);
    let corrected_receipt = receipt(&corrected.client_id);
    assert_eq!(
        corrected_receipt
            .transactions
            .iter()
            .map(|t| t.quantity)
            .sum::<f64>(),
        1.0,
        "the correction's lines"
    );
    assert!(receipt(&voided.client_id).voided, "voided");
    let token = stateline_store::records::adjustments::note_token(&adjusted.client_id);
    assert_eq!(
        h.control
            .adjustments(licence)
            .iter()
            .filter(|a| a.note.as_deref().is_some_and(|n| n.contains(&token)))
            .count(),
        1,
        "the adjustment once"
    );
    for recorded in split.iter().chain([&adjusted, &correction, &void]) {
        let entry = db.entry_by_client_id(&recorded.client_id).unwrap().unwrap();
        assert_eq!(entry.state, EntryState::Confirmed, "{}", entry.client_id);
    }
}

/// A register in facility mode without the facility key hands its records over to the register
/// holding that key, which sends them under the facility key — even though it holds no key of
/// the seller's and runs in individual mode itself — and never under a user's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_facility_mode_the_work_travels_to_the_facility_key() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let h = Harness::new().await;
    let mut maker = Till::open(&h, &cluster, "Register 2", 41).await;
    let mut holder = Till::open(&h, &cluster, "Register 1", 42).await;
    maker.register.keys.set_facility_mode(true);
    maker
        .register
        .db
        .set_setting(stateline_store::settings::KEY_MODE, "facility")
        .unwrap();
    let (entry_id, client_id) = bea_sells_without_her_key(&h, &maker).await;
    holder.holds_key_of(BUDTENDER);
    holder.pass().await;
    maker.pass().await;
    let courier = holder.courier(&h, CourierConfig::default());
    assert_eq!(
        courier.run_once(&mut holder.server).await.unwrap().leased,
        0,
        "Bea's own key is not the key this record needs"
    );

    holder.register.keys.clear_user_key(BUDTENDER);
    holder
        .register
        .keys
        .set_facility_key(stateline_testkit::delivery::user_key(
            metrc_emulator::DEMO_MANAGER_KEY,
        ));
    holder.holds_key("facility");
    holder.pass().await;
    maker.pass().await;
    h.control.clear_request_log();
    let report = courier.run_once(&mut holder.server).await.unwrap();
    assert_eq!((report.leased, report.sent), (1, 1), "{report:?}");
    assert_eq!(
        receipt_posts(&h),
        [Some(metrc_emulator::DEMO_MANAGER.to_owned())],
        "one POST, under the facility key"
    );
    maker.pass().await;
    assert_eq!(
        maker.register.db.entry(entry_id).unwrap().state,
        EntryState::Confirmed
    );
    assert_eq!(
        h.control
            .receipts(metrc_emulator::DEMO_LICENSE)
            .iter()
            .filter(|r| r.external_receipt_number.as_deref() == Some(client_id.as_str()))
            .count(),
        1
    );
}
