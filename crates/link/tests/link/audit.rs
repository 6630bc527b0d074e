//! Audit chains across the store: every register's log reaches the store row for row, its chain
//! verifies from there with the register's own head hash, and a row changed or removed in the
//! store's copy is found.

use stateline_link::{RegisterIdentity, StoreServer, sync_pass};
use stateline_store::people::audit::AuditVerification;
use stateline_store::{Pin, Role};
use stateline_testkit::store::{self as fixture, A, line, sale_by};

use crate::server::{cluster, config, raw};

#[tokio::test]
async fn every_registers_audit_chain_verifies_from_the_store_and_tampering_there_is_found() {
    let cluster = cluster();
    let one = fixture::register(1);
    let mut server = StoreServer::connect(&config(&cluster)).await.unwrap();
    server
        .join(one.db.install_id(), "Register 1", "0.1.0", one.db.now())
        .await
        .unwrap();
    let morgan = one
        .db
        .create_first_manager("Morgan", &Pin::new("73195284"))
        .unwrap();
    one.db
        .add_user(&morgan.actor, "Bea", Role::Budtender, &Pin::new("640258"))
        .unwrap();
    for _ in 0..3 {
        one.db
            .record_sale(&sale_by("Bea", vec![line(A, "1")]))
            .unwrap();
    }
    let identity = RegisterIdentity {
        name: "Register 1".into(),
        app_version: "0.1.0".into(),
    };
    let first = sync_pass(&one.db, &mut server, &identity, 2, &one.clock, |_| {})
        .await
        .unwrap();
    let local = one.db.verify_audit().unwrap();
    let AuditVerification::Intact { entries, head_hash } = &local else {
        panic!("the register's chain is intact: {local:?}");
    };
    assert_eq!(first.audit_pushed, *entries, "every row, in batches of 2");
    assert_eq!(
        server
            .verify_register_audit(one.db.install_id())
            .await
            .unwrap(),
        local,
        "the same rows, the same head hash ({head_hash})"
    );
    let again = sync_pass(&one.db, &mut server, &identity, 2, &one.clock, |_| {})
        .await
        .unwrap();
    assert_eq!(again.audit_pushed, 0, "each row once");

    let store = raw(&cluster).await;
    store
        .execute(
            "UPDATE audit_entries SET detail = 'nothing happened' WHERE seq = 2",
            &[],
        )
        .await
        .unwrap();
    match server
        .verify_register_audit(one.db.install_id())
        .await
        .unwrap()
    {
        AuditVerification::Broken { seq, reason } => {
            assert_eq!(seq, 2);
            assert!(reason.contains("edited"), "{reason}");
        }
        intact => panic!("an edited row must be found: {intact:?}"),
    }
    store
        .execute("DELETE FROM audit_entries WHERE seq = 2", &[])
        .await
        .unwrap();
    match server
        .verify_register_audit(one.db.install_id())
        .await
        .unwrap()
    {
        AuditVerification::Broken { seq, reason } => {
            assert_eq!(seq, 3);
            assert!(reason.contains("missing"), "{reason}");
        }
        intact => panic!("a removed row must be found: {intact:?}"),
    }
}
