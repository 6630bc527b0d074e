//! Handed-over records' outcomes come back to their maker in the store's order of changes: an
//! outcome whose transaction took its change number first but commits last is still read, so a
//! maker never moves its mark past an outcome that was not visible yet.

use std::time::{Duration, Instant};

use stateline_link::handover::{Delivered, LeaseTerms};
use stateline_link::{RegisterIdentity, StoreServer, sync_pass};
use stateline_store::{Clock, EntryState, Money, NewSale, NewSaleLine, Quantity};
use stateline_testkit::delivery::{BUDTENDER, Harness, START, test_config};

use crate::server::{cluster, config, raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_committed_after_a_later_numbered_one_still_reaches_the_maker() {
    let cluster = cluster();
    let h = Harness::new().await;
    let start = START.parse().unwrap();
    let maker = h.another_register(41, start, test_config()).await;
    let holder = h.another_register(42, start, test_config()).await;
    maker.keys.clear_user_key(BUDTENDER);
    let conn = rusqlite::Connection::open(holder.dir.path().join("stateline.sqlite")).unwrap();
    conn.execute(
        "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at, saved_by,
             verdict, validated_at)
         VALUES ('demo', 'user:bea', 'entry', '1111', ?1, 'max', 'all_good', ?1)",
        [stateline_store::time::to_ms(holder.db.now())],
    )
    .unwrap();
    let label = h.package("Each", 0).label;
    for _ in 0..3 {
        maker
            .db
            .record_sale(&NewSale {
                licence: metrc_emulator::DEMO_LICENSE.into(),
                acting_user: BUDTENDER.into(),
                occurred_at: maker.clock.now(),
                customer_type: "Consumer".into(),
                patient_number: None,
                caregiver_number: None,
                identification_method: None,
                lines: vec![NewSaleLine {
                    label: label.clone(),
                    quantity: Quantity::parse("1").unwrap(),
                    unit_of_measure: "Each".into(),
                    total_amount: Money::parse("10").unwrap(),
                }],
            })
            .unwrap();
    }
    maker.engine.run_once().await.unwrap();

    let identity = |name: &str| RegisterIdentity {
        name: name.into(),
        app_version: "0.1.0".into(),
    };
    let mut at_maker = StoreServer::connect(&config(&cluster)).await.unwrap();
    let mut at_holder = StoreServer::connect(&config(&cluster)).await.unwrap();
    let mut at_second = StoreServer::connect(&config(&cluster)).await.unwrap();
    for (db, server, name) in [
        (&maker.db, &at_maker, "Register 1"),
        (&holder.db, &at_holder, "Register 2"),
    ] {
        server
            .join(db.install_id(), name, "0.1.0", db.now())
            .await
            .unwrap();
    }
    at_second
        .join("second-holder", "Register 3", "0.1.0", holder.db.now())
        .await
        .unwrap();
    let maker_pass = |server: &mut StoreServer| {
        let (db, clock) = (maker.db.clone(), maker.clock.clone());
        let mut server = server.clone();
        async move {
            sync_pass(
                &db,
                &mut server,
                &identity("Register 1"),
                50,
                &clock,
                |_| {},
            )
            .await
            .unwrap()
        }
    };
    sync_pass(
        &holder.db,
        &mut at_holder,
        &identity("Register 2"),
        50,
        &holder.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(maker_pass(&mut at_maker).await.handovers.handed_over, 3);

    // Two holders lease the three sales: the first holder two, the second one.
    let terms = LeaseTerms {
        lease: Duration::from_secs(60),
        grace: Duration::from_secs(60),
    };
    let holder_id = holder.db.install_id().to_owned();
    let bea = [BUDTENDER.to_owned()];
    let firsts = at_holder
        .take_leases(&holder_id, &bea, false, terms, 2)
        .await
        .unwrap();
    let seconds = at_second
        .take_leases("second-holder", &bea, false, terms, 1)
        .await
        .unwrap();
    assert_eq!((firsts.len(), seconds.len()), (2, 1));

    // The first holder writes both its outcomes in one transaction; it numbers the first and
    // then waits (another session holds the second's row), so it commits late.
    let mut blocker = raw(&cluster).await;
    let held = blocker.transaction().await.unwrap();
    let maker_id = maker.db.install_id().to_owned();
    held.query(
        "SELECT 1 FROM deliveries WHERE register_id = $1 AND local_seq = $2 FOR UPDATE",
        &[&maker_id, &firsts[1].record.local_seq],
    )
    .await
    .unwrap();
    let now = holder.db.now();
    let late = {
        let (mut server, holder_id, firsts) =
            (at_holder.clone(), holder_id.clone(), firsts.clone());
        tokio::spawn(async move {
            let outcomes: Vec<_> = firsts
                .iter()
                .map(|l| (l, Delivered::Confirmed(None)))
                .collect();
            server
                .record_deliveries(&holder_id, &outcomes, now)
                .await
                .unwrap()
        })
    };
    let prober = raw(&cluster).await;
    let first_row_taken = || async {
        prober
            .query(
                "SELECT 1 FROM deliveries WHERE register_id = $1 AND local_seq = $2
                 FOR UPDATE NOWAIT",
                &[&maker_id, &firsts[0].record.local_seq],
            )
            .await
            .is_err()
    };
    let started = Instant::now();
    while !first_row_taken().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first holder never wrote"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Meanwhile the second holder writes its outcome (it may have to wait for the first).
    let early = {
        let (mut server, lease) = (at_second.clone(), seconds[0].clone());
        tokio::spawn(async move {
            server
                .record_delivery("second-holder", &lease, &Delivered::Confirmed(None), now)
                .await
                .unwrap()
        })
    };
    let started = Instant::now();
    while !early.is_finished() && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The maker reads the outcomes it can see now, as a pass does, and moves its mark.
    let after = maker.db.outcomes_pulled_through().unwrap();
    let (outcomes, through) = at_maker
        .handover_outcomes(&maker_id, after, 50)
        .await
        .unwrap();
    maker
        .db
        .apply_handover_outcomes(&outcomes, through)
        .unwrap();

    held.rollback().await.unwrap();
    assert_eq!(late.await.unwrap(), [true, true]);
    assert!(early.await.unwrap());
    maker_pass(&mut at_maker).await;
    maker_pass(&mut at_maker).await;
    let states: Vec<EntryState> = maker
        .db
        .list_entries(&Default::default())
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [EntryState::Confirmed; 3],
        "every outcome came back"
    );
}
