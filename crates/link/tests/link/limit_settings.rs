//! Purchase-limit settings across the store: an override and an item mapping made by a manager at
//! one register check the sales of another after a pass at each; a removal travels too (the file's
//! figure applies again everywhere); changes made at both registers while cut off converge on the
//! later one, in the store and at every register; passes that bring nothing new change nothing.

use jiff::SignedDuration;
use stateline_link::{RegisterIdentity, StoreServer, SyncReport, sync_pass};
use stateline_store::settings::REGISTER_STATE;
use stateline_store::{Clock, Item, Money, NewSale, NewSaleLine, Pin, StoreError};
use stateline_testkit::store::{self as fixture, Store};
use std::collections::BTreeMap;

use crate::server::{cluster, config, raw};

const MANAGER_PIN: &str = "73195284";
const FLOWER: &str = "1A4000000000000000000101";
const TINCTURE: &str = "1A4000000000000000000104";
const RULE: &str = "adult-use-transaction";

/// A Colorado register of the store: flower Metrc's facts count, a tincture they cannot.
fn colorado(seed: u64) -> Store {
    let s = fixture::register(seed);
    s.db.set_setting(REGISTER_STATE, "CO").unwrap();
    s.db.upsert_packages_from_metrc(
        fixture::LIC,
        &[
            fixture::pkg(FLOWER, "House Flower", "Grams", "10000"),
            fixture::pkg(TINCTURE, "Mystery Tincture", "Each", "10"),
        ],
    )
    .unwrap();
    let item = |id, name: &str, category_type: Option<&str>, unit: &str| Item {
        metrc_id: id,
        name: name.into(),
        category: category_type.map(str::to_owned),
        unit_of_measure: unit.into(),
        category_type: category_type.map(str::to_owned),
        unit_weight: None,
        unit_thc_content: None,
    };
    s.db.upsert_items(
        fixture::LIC,
        &[
            item(1, "House Flower", Some("Buds"), "Grams"),
            item(4, "Mystery Tincture", None, "Each"),
        ],
    )
    .unwrap();
    s
}

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

fn sell(store: &Store, label: &str, quantity: &str) -> Result<i64, StoreError> {
    let unit = if label == FLOWER { "Grams" } else { "Each" };
    let sale = NewSale {
        occurred_at: store.clock.now(),
        ..fixture::sale(vec![NewSaleLine {
            label: label.into(),
            quantity: fixture::q(quantity),
            unit_of_measure: unit.into(),
            total_amount: Money::parse("10").unwrap(),
        }])
    };
    store.db.record_sale(&sale).map(|r| r.record_id)
}

fn override_at(store: &Store) -> Option<f64> {
    store
        .db
        .limit_overrides()
        .unwrap()
        .into_iter()
        .find(|o| o.rule_id == RULE)
        .map(|o| o.limit)
}

#[tokio::test]
async fn an_override_and_a_mapping_made_at_one_register_check_the_sales_of_another() {
    let cluster = cluster();
    let one = colorado(1);
    let two = colorado(2);
    let mut at_one = joined(&one, "Register 1", &cluster).await;
    let mut at_two = joined(&two, "Register 2", &cluster).await;
    let morgan = one
        .db
        .create_first_manager("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor;

    // Register 1's manager lowers the per-transaction figure and maps the tincture.
    one.db
        .set_limit_override(&morgan, RULE, 20.0, "state bulletin of the week")
        .unwrap();
    let tincture: BTreeMap<String, f64> = [("infused_thc".to_owned(), 100.0)].into_iter().collect();
    one.db
        .map_item(
            &morgan,
            fixture::LIC,
            "Mystery Tincture",
            &tincture,
            "label: 100 mg",
        )
        .unwrap();
    assert_eq!(
        sell(&two, TINCTURE, "1").unwrap_err().code(),
        "item_not_mapped"
    );
    assert_eq!(pass(&one, &mut at_one).await.limit_settings.merged_there, 2);
    assert_eq!(pass(&two, &mut at_two).await.limit_settings.merged_here, 2);

    let refused = sell(&two, FLOWER, "25").unwrap_err();
    assert_eq!(refused.code(), "over_limit");
    assert!(
        refused.to_string().contains("20.00 g of flower"),
        "{refused}"
    );
    sell(&two, TINCTURE, "2").expect("the item mapped at register 1 sells at register 2");
    let quiet = pass(&two, &mut at_two).await;
    assert_eq!(
        (
            quiet.limit_settings.merged_here,
            quiet.limit_settings.merged_there
        ),
        (0, 0),
        "nothing new: nothing changes"
    );

    // Register 1 clears the override: after a pass at each, register 2 sells at the file's 28 g.
    one.clock.advance(SignedDuration::from_mins(5));
    one.db
        .clear_limit_override(&morgan, RULE, "the update shipped")
        .unwrap();
    assert_eq!(pass(&one, &mut at_one).await.limit_settings.merged_there, 1);
    assert_eq!(pass(&two, &mut at_two).await.limit_settings.merged_here, 1);
    assert_eq!(override_at(&two), None);
    two.clock.advance(SignedDuration::from_mins(5));
    sell(&two, FLOWER, "25").expect("the file's figure applies again at register 2");
    let removed: bool = raw(&cluster)
        .await
        .query_one(
            "SELECT removed FROM limit_settings WHERE kind = 'override' AND key = $1",
            &[&stateline_store::limits::shared::override_key("CO", RULE)],
        )
        .await
        .unwrap()
        .get(0);
    assert!(removed, "the store keeps the removal");

    // Cut off from each other: register 1 sets 22 g at +10 min, register 2 (Morgan reached it
    // with the people) sets 24 g at +12 min. Then they pass, register 1 first.
    let morgan_at_two = two
        .db
        .verify_pin("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor;
    one.clock.advance(SignedDuration::from_mins(5));
    one.db
        .set_limit_override(&morgan, RULE, 22.0, "first reading")
        .unwrap();
    two.clock
        .set(one.clock.now() + SignedDuration::from_mins(2));
    two.db
        .set_limit_override(&morgan_at_two, RULE, 24.0, "second reading")
        .unwrap();
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    pass(&one, &mut at_one).await;
    for (store, register) in [(&one, 1), (&two, 2)] {
        assert_eq!(
            override_at(store),
            Some(24.0),
            "register {register}: the later wins"
        );
    }
    assert_eq!(
        one.db.shared_limit_settings().unwrap(),
        two.db.shared_limit_settings().unwrap(),
        "both registers hold the same settings"
    );
    let (value, register): (String, String) = {
        let row = raw(&cluster)
            .await
            .query_one(
                "SELECT value, register_id FROM limit_settings WHERE kind = 'override'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(value.contains("24.0"), "{value}");
    assert_eq!(register, two.db.install_id());
    let refused = sell(&one, FLOWER, "25").unwrap_err();
    assert!(
        refused.to_string().contains("24.00 g of flower"),
        "{refused}"
    );
    sell(&one, FLOWER, "24").expect("register 1 sells at the store's figure");
}

#[tokio::test]
async fn changes_made_at_both_registers_while_cut_off_converge_whichever_passes_first() {
    let cluster = cluster();
    let one = colorado(1);
    let two = colorado(2);
    let mut at_one = joined(&one, "Register 1", &cluster).await;
    let mut at_two = joined(&two, "Register 2", &cluster).await;
    let morgan = one
        .db
        .create_first_manager("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor;
    let tincture = |mg: f64| -> BTreeMap<String, f64> {
        [("infused_thc".to_owned(), mg)].into_iter().collect()
    };
    one.db
        .map_item(
            &morgan,
            fixture::LIC,
            "Mystery Tincture",
            &tincture(100.0),
            "label",
        )
        .unwrap();
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    let morgan_at_two = two
        .db
        .verify_pin("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor;

    // The later change (register 1's, +3 min) reaches the store after the earlier (register 2's).
    two.clock.advance(SignedDuration::from_mins(1));
    two.db
        .set_limit_override(&morgan_at_two, RULE, 18.0, "earlier")
        .unwrap();
    one.clock.advance(SignedDuration::from_mins(3));
    one.db
        .set_limit_override(&morgan, RULE, 26.0, "later")
        .unwrap();
    pass(&two, &mut at_two).await;
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    for store in [&one, &two] {
        assert_eq!(override_at(store), Some(26.0));
    }

    // At the same instant register 1 removes the mapping and register 2 changes it: the removal
    // wins at both, and the tincture cannot be sold anywhere until it is mapped again.
    two.clock
        .set(one.clock.now() + SignedDuration::from_mins(1));
    one.clock.set(two.clock.now());
    one.db
        .clear_item_map(&morgan, fixture::LIC, "Mystery Tincture", "wrong label")
        .unwrap();
    two.db
        .map_item(
            &morgan_at_two,
            fixture::LIC,
            "Mystery Tincture",
            &tincture(150.0),
            "relabelled",
        )
        .unwrap();
    pass(&two, &mut at_two).await;
    pass(&one, &mut at_one).await;
    pass(&two, &mut at_two).await;
    for store in [&one, &two] {
        assert!(store.db.item_maps(fixture::LIC).unwrap().is_empty());
        assert_eq!(
            sell(store, TINCTURE, "1").unwrap_err().code(),
            "item_not_mapped"
        );
    }
    assert_eq!(
        one.db.shared_limit_settings().unwrap(),
        two.db.shared_limit_settings().unwrap()
    );
    let quiet = [pass(&one, &mut at_one).await, pass(&two, &mut at_two).await];
    for report in quiet {
        assert_eq!(
            (
                report.limit_settings.merged_here,
                report.limit_settings.merged_there
            ),
            (0, 0)
        );
    }
}
