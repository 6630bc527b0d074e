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
