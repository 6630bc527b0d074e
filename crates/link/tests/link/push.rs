//! This register's records to the store: in order, after the local mark, and again harmlessly
//! after a kill between the push and the mark.

use stateline_link::StoreServer;
use stateline_link::push::{self, pushed_through};
use stateline_testkit::store::{self as fixture, A, B, line, sale};

use crate::server::{cluster, config};

#[tokio::test]
async fn records_go_to_the_store_in_order_and_the_mark_follows() {
    let cluster = cluster();
    let mut server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let local = fixture::store();
    let db = &local.db;
    let now = db.now();
    server
        .join(db.install_id(), "Register 1", "0.1.0", now)
        .await
        .unwrap();
    let ids: Vec<String> = (0..3)
        .map(|_| {
            db.record_sale(&sale(vec![line(A, "1"), line(B, "1")]))
                .unwrap()
                .client_id
        })
        .collect();

    let first = push::push_once(db, &mut server, 2, now).await.unwrap();
    assert_eq!((first.pushed.inserted, first.pushed.already_there), (2, 0));
    assert_eq!(pushed_through(db).unwrap(), first.through);
    let second = push::push_once(db, &mut server, 2, now).await.unwrap();
    assert_eq!(second.pushed.inserted, 1);
    let idle = push::push_once(db, &mut server, 2, now).await.unwrap();
    assert_eq!(idle.pushed, Default::default());
    assert_eq!(idle.through, second.through, "nothing new: the mark stays");

    let stored = server
        .records_since("another register", &[], 10)
        .await
        .unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|r| r.client_id.clone())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(
        stored
            .iter()
            .all(|r| r.register_id == db.install_id() && r.kind == "sale")
    );
    assert_eq!(
        stored[0].body["lines"].as_array().map(Vec::len),
        Some(2),
        "{}",
        stored[0].body
    );
}

#[tokio::test]
async fn a_register_killed_between_the_push_and_its_mark_pushes_again_harmlessly() {
    let cluster = cluster();
    let mut server = StoreServer::connect(&config(&cluster)).await.unwrap();
    let local = fixture::store();
    let db = &local.db;
    let now = db.now();
    server
        .join(db.install_id(), "Register 1", "0.1.0", now)
        .await
        .unwrap();
    for _ in 0..2 {
        db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    }
    // The store committed the push; the register died before moving its mark.
    let batch = push::next_batch(db, 10).await.unwrap();
    assert_eq!(batch.after, 0);
    server.push(&batch.records, now).await.unwrap();
    assert_eq!(pushed_through(db).unwrap(), 0);
    db.record_sale(&sale(vec![line(A, "1")])).unwrap();

    let after_restart = push::push_once(db, &mut server, 10, now).await.unwrap();
    assert_eq!(
        (
            after_restart.pushed.inserted,
            after_restart.pushed.already_there
        ),
        (1, 2)
    );
    assert_eq!(
        server.records_since("x", &[], 10).await.unwrap().len(),
        3,
        "each once"
    );
}
