//! A whole pass between two registers and one store: records pushed and pulled (each once, also
//! when a pass runs again), delivery states pushed when they change, the overview's counts, and
//! the local membership kept without the password.

use secrecy::SecretString;
use stateline_link::membership::{self, StoreSettings};
use stateline_link::{RegisterIdentity, StoreServer, sync_pass};
use stateline_store::{Confirmation, EntryKind, EntryState};
use stateline_testkit::store::{self as fixture, A, LIC, line, sale, sale_by};

use crate::server::{cluster, config};

fn identity(name: &str) -> RegisterIdentity {
    RegisterIdentity {
        name: name.into(),
        app_version: "0.1.0".into(),
    }
}

#[tokio::test]
async fn two_registers_exchange_records_and_the_store_sees_what_metrc_has() {
    let cluster = cluster();
    let one = fixture::register(1);
    let two = fixture::register(2);
    assert_ne!(one.db.install_id(), two.db.install_id());
    let mut at_one = StoreServer::connect(&config(&cluster)).await.unwrap();
    let mut at_two = StoreServer::connect(&config(&cluster)).await.unwrap();
    let now = one.db.now();
    at_one
        .join(one.db.install_id(), "Register 1", "0.1.0", now)
        .await
        .unwrap();
    at_two
        .join(two.db.install_id(), "Register 2", "0.1.0", now)
        .await
        .unwrap();

    for user in ["bea", "bea", "cy"] {
        one.db
            .record_sale(&sale_by(user, vec![line(A, "1")]))
            .unwrap();
    }
    two.db.record_sale(&sale(vec![line(A, "1")])).unwrap();

    let first = sync_pass(
        &one.db,
        &mut at_one,
        &identity("Register 1"),
        2,
        &one.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((first.pushed, first.states, first.pulled), (3, 3, 0));
    let second = sync_pass(
        &two.db,
        &mut at_two,
        &identity("Register 2"),
        2,
        &two.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((second.pushed, second.states, second.pulled), (1, 1, 3));
    let again = sync_pass(
        &one.db,
        &mut at_one,
        &identity("Register 1"),
        2,
        &one.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (again.pushed, again.states, again.pulled),
        (0, 0, 1),
        "only what is new"
    );
    let repeat = sync_pass(
        &two.db,
        &mut at_two,
        &identity("Register 2"),
        2,
        &two.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((repeat.pushed, repeat.states, repeat.pulled), (0, 0, 0));

    // On-hand is the store's: 10 g of A less the four sales of both registers, at each register,
    // and neither may sell what the other already sold.
    assert_eq!(one.db.on_hand(A).unwrap(), fixture::q("6"));
    assert_eq!(two.db.on_hand(A).unwrap(), fixture::q("6"));
    let oversold = two.db.record_sale(&sale(vec![line(A, "7")])).unwrap_err();
    assert_eq!(oversold.code(), "insufficient_quantity");
    fixture::assert_pending_in_step(&one);
    fixture::assert_pending_in_step(&two);

    let counts = two.db.peer_counts().unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (counts[0].register_id.as_str(), counts[0].records),
        (one.db.install_id(), 3)
    );
    let own = two.db.entries_after(0, 10).unwrap();
    let pulled_back = two.db.peer_records_since(LIC, fixture::t0()).unwrap();
    assert!(
        pulled_back
            .iter()
            .all(|p| own.iter().all(|e| e.client_id != p.client_id)),
        "a register never pulls its own records back"
    );

    // Saving the same pulled rows again (a kill before the pass ended) changes nothing.
    assert_eq!(two.db.save_peer_records(&pulled_back, now).unwrap(), 0);

    let overview = at_one.overview().await.unwrap();
    let open: Vec<(String, i64, i64)> = overview
        .registers
        .iter()
        .map(|r| (r.name.clone(), r.records, r.open))
        .collect();
    assert_eq!(
        open,
        [("Register 1".into(), 3, 3), ("Register 2".into(), 1, 1)]
    );
    let by_user: Vec<(String, i64)> = overview
        .backlog
        .iter()
        .map(|b| (b.acting_user.clone(), b.open))
        .collect();
    assert_eq!(by_user.iter().map(|b| b.1).sum::<i64>(), 4);
    assert!(by_user.contains(&("cy".into(), 1)), "{by_user:?}");

    // Register 1 delivers two sales: the next pass tells the store, and only those two.
    let claimed = one
        .db
        .claim_batch(LIC, EntryKind::Sale, Some("bea"), 10, now)
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let confirmations: Vec<Confirmation> = claimed
        .iter()
        .enumerate()
        .map(|(i, e)| Confirmation {
            entry_id: e.id,
            metrc_id: Some(9000 + i as i64),
        })
        .collect();
    one.db.mark_confirmed(&confirmations, now).unwrap();
    let told = sync_pass(
        &one.db,
        &mut at_one,
        &identity("Register 1"),
        10,
        &one.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(told.states, 2);
    let overview = at_two.overview().await.unwrap();
    assert_eq!(overview.registers[0].open, 1, "{overview:?}");

    // Register 2's copy learns the same, so it knows the store's backlog while cut off too.
    let before = two.db.peer_counts().unwrap();
    assert_eq!((before[0].records, before[0].open), (3, 3));
    let heard = sync_pass(
        &two.db,
        &mut at_two,
        &identity("Register 2"),
        2,
        &two.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert!(heard.states_pulled >= 2, "{heard:?}");
    let after = two.db.peer_counts().unwrap();
    assert_eq!((after[0].records, after[0].open), (3, 1));
    let confirmed_there: Vec<_> = two
        .db
        .peer_entries(&stateline_store::link::peer_records::PeerFilter {
            states: vec![EntryState::Confirmed],
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|p| p.state_changed_at)
        .collect();
    assert_eq!(
        confirmed_there,
        [Some(now), Some(now)],
        "when Metrc accepted them, by Register 1's clock"
    );
    assert_eq!(
        two.db.on_hand(A).unwrap(),
        fixture::q("6"),
        "a confirmed sale counts until a refresh fetches A"
    );
    assert_eq!(two.db.settling_labels(LIC).unwrap(), vec![A]);
    let idle = sync_pass(
        &two.db,
        &mut at_two,
        &identity("Register 2"),
        2,
        &two.clock,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(idle.states_pulled, 0, "each change is applied once");
    assert!(
        !overview
            .backlog
            .iter()
            .any(|b| b.acting_user == "bea" && b.open > 1)
    );
}

#[tokio::test]
async fn a_pass_after_the_register_left_is_refused_and_leaving_frees_the_name() {
    let cluster = cluster();
    let one = fixture::store();
    let mut server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let now = one.db.now();
    server
        .join(one.db.install_id(), "Register 1", "0.1.0", now)
        .await
        .unwrap();
    server.leave(one.db.install_id(), now).await.unwrap();
    let refused = sync_pass(
        &one.db,
        &mut server,
        &identity("Register 1"),
        10,
        &one.clock,
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "store_not_joined");
    assert!(server.registers().await.unwrap().is_empty());
    let replacement = fixture::register(2);
    server
        .join(replacement.db.install_id(), "register 1", "0.1.0", now)
        .await
        .expect("the name of a register that left is free");
}

#[test]
fn membership_is_checked_kept_without_the_password_and_forgotten_whole() {
    let local = fixture::store();
    let db = &local.db;
    assert_eq!(
        membership::joined(db).unwrap(),
        None,
        "on its own by default"
    );
    let good = StoreSettings {
        host: " 10.0.0.5 ".into(),
        port: 5432,
        database: "store".into(),
        user: "stateline".into(),
        register_name: " Register 2 ".into(),
        tls: stateline_link::StoreTls::Off,
    };
    let not_pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_pem.path(), "not a certificate").unwrap();
    for (bad, field) in [
        (
            StoreSettings {
                tls: stateline_link::StoreTls::Verified {
                    ca_file: Some("/nowhere/store-ca.pem".into()),
                },
                ..good.clone()
            },
            "CA file",
        ),
        (
            StoreSettings {
                tls: stateline_link::StoreTls::Verified {
                    ca_file: Some(not_pem.path().to_owned()),
                },
                ..good.clone()
            },
            "CA file",
        ),
        (
            StoreSettings {
                host: " ".into(),
                ..good.clone()
            },
            "host",
        ),
        (
            StoreSettings {
                port: 0,
                ..good.clone()
            },
            "port",
        ),
        (
            StoreSettings {
                database: "".into(),
                ..good.clone()
            },
            "database",
        ),
        (
            StoreSettings {
                register_name: "R\u{7}".into(),
                ..good.clone()
            },
            "register name",
        ),
        (
            StoreSettings {
                register_name: "r".repeat(81),
                ..good.clone()
            },
            "register name",
        ),
    ] {
        let error = bad.check().unwrap_err();
        assert_eq!(error.code(), "invalid_store_server");
        assert!(error.to_string().contains(field), "{error}");
    }
    let checked = good.check().unwrap();
    assert_eq!(
        (checked.host.as_str(), checked.register_name.as_str()),
        ("10.0.0.5", "Register 2")
    );
    membership::remember(db, &checked).unwrap();
    assert_eq!(membership::joined(db).unwrap(), Some(checked.clone()));
    let config = checked.server_config(SecretString::from("canary-password-4Kq".to_owned()));
    assert!(!format!("{config:?}").contains("canary-password-4Kq"));
    assert!(
        !db.setting(membership::STORE_SETTING)
            .unwrap()
            .unwrap()
            .contains("password"),
        "the membership never holds a password"
    );

    db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    db.set_setting(stateline_link::push::PUSHED_THROUGH, "1")
        .unwrap();
    membership::forget(db).unwrap();
    assert_eq!(membership::joined(db).unwrap(), None);
    assert_eq!(stateline_link::push::pushed_through(db).unwrap(), 0);
    assert_eq!(
        db.entries_after(0, 10).unwrap().len(),
        1,
        "its own records stay"
    );
}
