//! Whose key is where: each register tells the store which keys it holds (never a key), the
//! store marks the newest per holder, and a register can say where a user's usable key is.

use jiff::SignedDuration;
use stateline_link::{RegisterIdentity, StoreServer, sync_pass};
use stateline_store::time::to_ms;
use stateline_testkit::store::{self as fixture, Store};

use crate::server::{cluster, config, raw};

/// Saves a key's metadata as the keys crate would (never the key: its last four only).
fn holds(store: &Store, holder: &str, last_four: &str, saved_minutes_ago: i64, verdict: &str) {
    let conn = rusqlite::Connection::open(fixture::db_path(&store.dir)).unwrap();
    let saved = store.db.now() - SignedDuration::from_mins(saved_minutes_ago);
    conn.execute(
        "INSERT INTO key_metadata (environment, holder, entry, last_four, saved_at, saved_by,
             verdict, validated_at)
         VALUES ('demo', ?1, 'entry', ?2, ?3, 'Morgan', ?4, ?3)
         ON CONFLICT (environment, holder) DO UPDATE SET last_four = excluded.last_four,
             saved_at = excluded.saved_at, verdict = excluded.verdict",
        rusqlite::params![holder, last_four, to_ms(saved), verdict],
    )
    .unwrap();
}

async fn pass(store: &Store, server: &mut StoreServer) -> usize {
    let identity = RegisterIdentity {
        name: "any".into(),
        app_version: "0.1.0".into(),
    };
    sync_pass(&store.db, server, &identity, 50, &store.clock, |_| {})
        .await
        .unwrap()
        .keys_in_store
}

#[tokio::test]
async fn the_store_knows_whose_key_is_where_and_a_register_says_where_a_users_key_is() {
    let cluster = cluster();
    let one = fixture::register(1);
    let two = fixture::register(2);
    let mut at_one = StoreServer::connect(&config(&cluster)).await.unwrap();
    let mut at_two = StoreServer::connect(&config(&cluster)).await.unwrap();
    for (store, server, name) in [(&one, &at_one, "Register 1"), (&two, &at_two, "Register 2")] {
        server
            .join(store.db.install_id(), name, "0.1.0", store.db.now())
            .await
            .unwrap();
    }
    // Bea rotated her key at register 1 (…1234, 5 minutes ago); register 2 still has her older
    // one (…9999) and Max's, which Metrc refused.
    holds(&one, "user:Bea", "1234", 5, "all_good");
    holds(&two, "user:Bea", "9999", 60, "all_good");
    holds(&two, "user:Max", "4321", 30, "key_invalid");

    pass(&one, &mut at_one).await;
    assert_eq!(pass(&two, &mut at_two).await, 3);
    pass(&one, &mut at_one).await;

    let overview = at_one.overview().await.unwrap();
    let seen: Vec<(String, String, String, bool)> = overview
        .keys
        .iter()
        .map(|k| {
            (
                k.key.holder.clone(),
                k.register_name.clone(),
                k.key.last_four.clone(),
                k.newest,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("user:Bea".into(), "Register 1".into(), "1234".into(), true),
            ("user:Bea".into(), "Register 2".into(), "9999".into(), false),
            ("user:Max".into(), "Register 2".into(), "4321".into(), true),
        ]
    );

    // Register 2 knows, also while cut off, that Bea's current key is at register 1; register 1
    // knows of no other usable key for Bea or for Max.
    let bea = two.db.where_user_key_is(Some("demo"), "bea").unwrap();
    assert_eq!(bea.len(), 1);
    assert_eq!(bea[0].register_name, "Register 1");
    assert!(
        one.db
            .where_user_key_is(Some("demo"), "Bea")
            .unwrap()
            .is_empty()
    );
    assert!(
        one.db
            .where_user_key_is(Some("demo"), "Max")
            .unwrap()
            .is_empty()
    );

    // A pass with nothing new replaces nothing; a key cleared at register 2 leaves the store.
    let before: i64 = raw(&cluster)
        .await
        .query_one("SELECT count(*) FROM key_holders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, 3);
    let conn = rusqlite::Connection::open(fixture::db_path(&two.dir)).unwrap();
    conn.execute("DELETE FROM key_metadata WHERE holder = 'user:Max'", [])
        .unwrap();
    assert_eq!(pass(&two, &mut at_two).await, 2);
    assert!(
        !format!("{:?}", at_two.overview().await.unwrap().keys).contains("entry"),
        "the keychain entry's name is not the store's business either"
    );
}

#[tokio::test]
async fn a_key_metrc_refused_at_a_register_whose_clock_is_fast_does_not_hide_a_newer_one() {
    let cluster = cluster();
    let fast = fixture::register(1);
    let slow = fixture::register(2);
    let mut at_fast = StoreServer::connect(&config(&cluster)).await.unwrap();
    let mut at_slow = StoreServer::connect(&config(&cluster)).await.unwrap();
    for (store, server, name) in [
        (&fast, &at_fast, "Register 1"),
        (&slow, &at_slow, "Register 2"),
    ] {
        server
            .join(store.db.install_id(), name, "0.1.0", store.db.now())
            .await
            .unwrap();
    }
    // Bea's old key was saved at register 1, whose clock is four minutes fast; she rotated it at
    // register 2 a minute ago (by register 2's clock), and Metrc now refuses the old one there.
    holds(&fast, "user:Bea", "1111", -4, "key_invalid");
    holds(&slow, "user:Bea", "7777", 1, "all_good");

    pass(&slow, &mut at_slow).await;
    pass(&fast, &mut at_fast).await;
    pass(&slow, &mut at_slow).await;

    let newest: Vec<(String, bool)> = at_fast
        .overview()
        .await
        .unwrap()
        .keys
        .iter()
        .map(|k| (k.key.last_four.clone(), k.newest))
        .collect();
    assert_eq!(newest, [("1111".into(), false), ("7777".into(), true)]);
    // So register 1 hands Bea's sales over to register 2, and register 2 keeps its key.
    assert!(
        fast.db
            .users_with_keys_elsewhere(Some("demo"))
            .unwrap()
            .contains("bea")
    );
    assert!(
        slow.db
            .where_user_key_is(Some("demo"), "bea")
            .unwrap()
            .is_empty()
    );
}
