//! People across the store: a user added at one register logs in at another after a pass; a
//! lockout at a register cut off from the store wins over an older PIN reset made elsewhere, and
//! a later reset unlocks everywhere; passes that bring nothing new change nothing.

use jiff::SignedDuration;
use stateline_link::{RegisterIdentity, StoreServer, SyncReport, sync_pass};
use stateline_store::{Clock, Pin, Role};
use stateline_testkit::store::{self as fixture, Store};

use crate::server::{cluster, config, raw};

const MANAGER_PIN: &str = "73195284";
const BEA_PIN: &str = "640258";
const NEW_PIN: &str = "91827364";

async fn joined(
    store: &Store,
    name: &str,
    cluster: &stateline_testkit::postgres::Cluster,
) -> StoreServer {
    let server = StoreServer::connect(&config(cluster)).await.unwrap();
    server
        .join(store.db.install_id(), name, "0.1.0", store.db.now())
        .await
        .unwrap();
    server
}

async fn pass(store: &Store, server: &mut StoreServer) -> SyncReport {
    let identity = RegisterIdentity {
        name: "any".into(),
        app_version: "0.1.0".into(),
    };
    sync_pass(&store.db, server, &identity, 50, &store.clock, |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn users_reach_every_register_and_a_later_lockout_wins_over_an_older_reset() {
    let cluster = cluster();
    let one = fixture::register(1);
    let two = fixture::register(2);
    let mut at_one = joined(&one, "Register 1", &cluster).await;
    let mut at_two = joined(&two, "Register 2", &cluster).await;

    let morgan = one
        .db
        .create_first_manager("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap();
    one.db
        .add_user(&morgan.actor, "Bea", Role::Budtender, &Pin::new(BEA_PIN))
        .unwrap();
    assert_eq!(pass(&one, &mut at_one).await.people.merged_there, 2);
    assert!(two.db.needs_first_manager().unwrap());
    assert_eq!(pass(&two, &mut at_two).await.people.merged_here, 2);
    assert_eq!(
        two.db
            .verify_pin("Bea", &Pin::new(BEA_PIN))
            .unwrap()
            .actor
            .role(),
        Role::Budtender,
        "Bea logs in at register 2 with the PIN set at register 1"
    );
    let quiet = pass(&two, &mut at_two).await;
    assert_eq!(
        (quiet.people.merged_here, quiet.people.merged_there),
        (0, 0),
        "nothing new: nothing changes"
    );

    // Cut off from each other: register 1 resets Bea's PIN at +60 min; register 2 locks her out
    // at +65 min. Then both pass again, in either order.
    one.clock.advance(SignedDuration::from_mins(60));
    one.db
        .reset_pin(&morgan.actor, "Bea", &Pin::new(NEW_PIN))
        .unwrap();
    two.clock.advance(SignedDuration::from_mins(65));
    for _ in 0..5 {
        let _ = two.db.verify_pin("Bea", &Pin::new("000000"));
    }
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    pass(&one, &mut at_one).await;
    for (store, register) in [(&one, 1), (&two, 2)] {
        assert_eq!(
            store
                .db
                .verify_pin("Bea", &Pin::new(NEW_PIN))
                .unwrap_err()
                .code(),
            "user_locked",
            "register {register}: the later lockout wins"
        );
    }
    let stored: bool = raw(&cluster)
        .await
        .query_one("SELECT locked FROM people WHERE name_key = 'bea'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(stored, "the store holds the merged user too");

    // A reset after the lockout unlocks her at every register.
    one.clock
        .set(two.clock.now() + SignedDuration::from_mins(1));
    one.db
        .reset_pin(&morgan.actor, "Bea", &Pin::new(NEW_PIN))
        .unwrap();
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    two.db.verify_pin("Bea", &Pin::new(NEW_PIN)).unwrap();

    // No PIN reached the store server: only Argon2id hashes.
    let pins_in_store: i64 = raw(&cluster)
        .await
        .query_one(
            "SELECT count(*) FROM people WHERE pin_hash LIKE '%' || $1 || '%'
                 OR pin_hash LIKE '%' || $2 || '%' OR pin_hash NOT LIKE '$argon2id$%'",
            &[&NEW_PIN, &BEA_PIN],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pins_in_store, 0);
}
