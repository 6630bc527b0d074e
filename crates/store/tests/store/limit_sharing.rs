//! Purchase-limit settings shared across a store's registers (`limits::shared`): an override or a
//! mapping made at one register checks the next sale at another once merged there; the later
//! change wins, a removal wins a tie, an older copy never brings a removal back, merging again
//! changes nothing, a pulled change writes no audit entry, and a damaged copy is refused whole.
//! Two real SQLite registers, settings handed between them as the store would; manual clocks.

use jiff::SignedDuration;
use stateline_limits::Amounts;
use stateline_store::limits::shared::{item_map_key, override_key};
use stateline_store::limits::{LimitSettingKind, SharedLimitSetting};
use stateline_store::people::audit::AuditQuery;
use stateline_store::settings::REGISTER_STATE;
use stateline_store::{Actor, Clock, Item, Measure, NewSale, NewSaleLine, Pin};
use stateline_testkit::store::*;

const FLOWER: &str = "1A4000000000000000000101";
const TINCTURE: &str = "1A4000000000000000000104";
const RULE: &str = "adult-use-transaction";
const MANAGER_PIN: &str = "48151623";

/// A Colorado register of the store: 10 kg of flower Metrc's facts count, and a tincture they
/// cannot (no category type) until a manager maps it.
fn colorado(seed: u64) -> Store {
    let s = register(seed);
    s.db.set_setting(REGISTER_STATE, "CO").unwrap();
    s.db.upsert_packages_from_metrc(
        LIC,
        &[
            pkg(FLOWER, "House Flower", "Grams", "10000"),
            pkg(TINCTURE, "Mystery Tincture", "Each", "10"),
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
        unit_thc_content: None::<Measure>,
    };
    s.db.upsert_items(
        LIC,
        &[
            item(1, "House Flower", Some("Buds"), "Grams"),
            item(4, "Mystery Tincture", None, "Each"),
        ],
    )
    .unwrap();
    s
}

fn manager(s: &Store) -> Actor {
    s.db.create_first_manager("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor
}

fn sell(s: &Store, label: &str, quantity: &str) -> Result<i64, stateline_store::StoreError> {
    let unit = if label == FLOWER { "Grams" } else { "Each" };
    let sale = NewSale {
        occurred_at: s.clock.now(),
        ..sale(vec![NewSaleLine {
            label: label.into(),
            quantity: q(quantity),
            unit_of_measure: unit.into(),
            total_amount: stateline_store::Money::parse("10").unwrap(),
        }])
    };
    s.db.record_sale(&sale).map(|r| r.record_id)
}

/// Hands every limit setting of `from` to `to`, as a pass of each through the store would.
fn hand_over(from: &Store, to: &Store) -> usize {
    let settings = from.db.shared_limit_settings().unwrap();
    let through = to.db.limits_pulled_through().unwrap() + 1;
    to.db
        .merge_shared_limit_settings(&settings, through)
        .unwrap()
}

fn setting(s: &Store, kind: LimitSettingKind, key: &str) -> Option<SharedLimitSetting> {
    s.db.shared_limit_settings()
        .unwrap()
        .into_iter()
        .find(|x| x.kind == kind && x.key == key)
}

fn override_here(s: &Store) -> Option<f64> {
    s.db.limit_overrides()
        .unwrap()
        .into_iter()
        .find(|o| o.rule_id == RULE)
        .map(|o| o.limit)
}

fn audit_count(s: &Store) -> usize {
    s.db.audit_entries(&AuditQuery::default()).unwrap().len()
}

fn tincture() -> Amounts {
    [("infused_thc".to_owned(), 100.0)].into_iter().collect()
}

#[test]
fn a_pulled_override_checks_the_next_sale_and_its_removal_restores_the_files_figure() {
    let one = colorado(1);
    let two = colorado(2);
    let morgan = manager(&one);
    one.db
        .set_limit_override(&morgan, RULE, 20.0, "state bulletin of the week")
        .unwrap();
    let audited_at_two = audit_count(&two);

    assert_eq!(hand_over(&one, &two), 1);
    assert_eq!(two.db.limits_pulled_through().unwrap(), 1);
    assert_eq!(override_here(&two), Some(20.0));
    let pulled = &two.db.limit_overrides().unwrap()[0];
    assert_eq!(
        (
            pulled.set_by.as_str(),
            pulled.file_version,
            pulled.reason.as_str()
        ),
        ("Morgan", 1, "state bulletin of the week")
    );
    let refused = sell(&two, FLOWER, "25").unwrap_err();
    assert_eq!(refused.code(), "over_limit");
    assert!(
        refused.to_string().contains("20.00 g of flower"),
        "{refused}"
    );
    assert_eq!(
        audit_count(&two),
        audited_at_two,
        "a pulled change writes no audit entry (register 1's entry travels with its log)"
    );
    assert_eq!(hand_over(&one, &two), 0, "merging again changes nothing");
    assert_eq!(
        one.db.shared_limit_settings().unwrap(),
        two.db.shared_limit_settings().unwrap()
    );

    one.clock.advance(SignedDuration::from_mins(5));
    one.db
        .clear_limit_override(&morgan, RULE, "the update shipped")
        .unwrap();
    let removal = setting(&one, LimitSettingKind::Override, &override_key("CO", RULE)).unwrap();
    assert!(removal.removed && removal.value == "null");
    assert_eq!(removal.changed_by, "Morgan");
    assert_eq!(hand_over(&one, &two), 1);
    assert_eq!(override_here(&two), None);
    two.clock.advance(SignedDuration::from_mins(5));
    sell(&two, FLOWER, "25").expect("the file's 28 g apply again");
    assert_eq!(hand_over(&one, &two), 0);
}

#[test]
fn the_later_change_wins_in_either_order_and_an_older_copy_never_brings_a_removal_back() {
    let one = colorado(1);
    let two = colorado(2);
    let (m1, m2) = (manager(&one), manager(&two));
    one.db
        .set_limit_override(&m1, RULE, 20.0, "bulletin")
        .unwrap();
    hand_over(&one, &two);

    // Cut off from each other: register 1 clears at +2 min, register 2 sets 24 g at +5 min.
    one.clock.advance(SignedDuration::from_mins(2));
    one.db.clear_limit_override(&m1, RULE, "misread").unwrap();
    two.clock.advance(SignedDuration::from_mins(5));
    two.db
        .set_limit_override(&m2, RULE, 24.0, "corrected bulletin")
        .unwrap();
    let older_at_two = two.db.shared_limit_settings().unwrap();
    hand_over(&one, &two);
    hand_over(&two, &one);
    for s in [&one, &two] {
        assert_eq!(override_here(s), Some(24.0), "the later setting wins");
    }

    // Register 1 clears it later; register 2's older copy (24 g at +5 min) arrives again after.
    one.clock.advance(SignedDuration::from_mins(10));
    one.db
        .clear_limit_override(&m1, RULE, "update shipped")
        .unwrap();
    hand_over(&one, &two);
    assert_eq!(override_here(&two), None);
    assert_eq!(
        one.db
            .merge_shared_limit_settings(&older_at_two, 9)
            .unwrap(),
        0,
        "the older copy loses to the removal"
    );
    assert_eq!(override_here(&one), None);
    assert_eq!(
        one.db.shared_limit_settings().unwrap(),
        two.db.shared_limit_settings().unwrap()
    );
}

#[test]
fn on_a_tie_the_removal_wins_then_the_larger_value() {
    let one = colorado(1);
    let two = colorado(2);
    let (m1, m2) = (manager(&one), manager(&two));
    one.db
        .set_limit_override(&m1, RULE, 26.0, "bulletin")
        .unwrap();
    hand_over(&one, &two);

    // At the same instant register 1 sets 20 g and register 2 removes the override.
    for s in [&one, &two] {
        s.clock.advance(SignedDuration::from_mins(1));
    }
    one.db.set_limit_override(&m1, RULE, 20.0, "tie").unwrap();
    two.db.clear_limit_override(&m2, RULE, "tie").unwrap();
    hand_over(&one, &two);
    hand_over(&two, &one);
    for s in [&one, &two] {
        assert_eq!(override_here(s), None, "the removal wins the tie");
    }

    // Two values at the same instant settle on the larger JSON everywhere.
    for s in [&one, &two] {
        s.clock.advance(SignedDuration::from_mins(1));
    }
    one.db.set_limit_override(&m1, RULE, 21.0, "tie").unwrap();
    two.db.set_limit_override(&m2, RULE, 22.0, "tie").unwrap();
    hand_over(&two, &one);
    hand_over(&one, &two);
    for s in [&one, &two] {
        assert_eq!(override_here(s), Some(22.0));
    }
}

#[test]
fn a_managers_change_supersedes_a_pulled_one_stamped_by_a_clock_ahead() {
    let one = colorado(1);
    let two = colorado(2);
    let (m1, m2) = (manager(&one), manager(&two));
    // Register 2's clock is an hour ahead.
    two.clock.advance(SignedDuration::from_hours(1));
    two.db
        .set_limit_override(&m2, RULE, 20.0, "bulletin")
        .unwrap();
    hand_over(&two, &one);
    assert_eq!(override_here(&one), Some(20.0));
    // Register 1's manager removes what its screen shows: the removal is stamped just after the
    // setting it removes, so it wins here and at register 2.
    one.db.clear_limit_override(&m1, RULE, "misread").unwrap();
    let removal = setting(&one, LimitSettingKind::Override, &override_key("CO", RULE)).unwrap();
    assert_eq!(removal.changed_at, two.clock.now().as_millisecond() + 1);
    hand_over(&one, &two);
    hand_over(&two, &one);
    for s in [&one, &two] {
        assert_eq!(override_here(s), None);
    }
}

#[test]
fn a_mapping_travels_with_its_removal_and_one_for_a_licence_not_here_waits_for_it() {
    let one = colorado(1);
    let two = colorado(2);
    let morgan = manager(&one);
    assert_eq!(
        sell(&two, TINCTURE, "1").unwrap_err().code(),
        "item_not_mapped"
    );
    one.db
        .map_item(
            &morgan,
            LIC,
            "Mystery Tincture",
            &tincture(),
            "label: 100 mg",
        )
        .unwrap();
    assert_eq!(hand_over(&one, &two), 1);
    let mapped = &two.db.item_maps(LIC).unwrap()[0];
    assert_eq!(
        (mapped.amounts.clone(), mapped.mapped_by.as_str()),
        (tincture(), "Morgan")
    );
    sell(&two, TINCTURE, "2").expect("the mapped item sells at register 2");

    one.clock.advance(SignedDuration::from_mins(3));
    one.db
        .clear_item_map(&morgan, LIC, "Mystery Tincture", "wrong label")
        .unwrap();
    assert_eq!(
        one.db
            .clear_item_map(&morgan, LIC, "Mystery Tincture", "again")
            .unwrap_err()
            .code(),
        "invalid_input",
        "nothing left to remove"
    );
    assert_eq!(hand_over(&one, &two), 1);
    assert!(two.db.item_maps(LIC).unwrap().is_empty());
    assert_eq!(
        sell(&two, TINCTURE, "1").unwrap_err().code(),
        "item_not_mapped"
    );
    let removal = setting(
        &two,
        LimitSettingKind::ItemMap,
        &item_map_key(LIC, "Mystery Tincture"),
    )
    .unwrap();
    assert!(removal.removed);

    // A mapping made at a licence this register has not added is kept for when it is.
    let elsewhere = SharedLimitSetting {
        kind: LimitSettingKind::ItemMap,
        key: item_map_key("403R-00002", "House Tincture"),
        value: r#"{"amounts":{"infused_thc":250.0},"reason":"other licence"}"#.into(),
        removed: false,
        changed_at: two.clock.now().as_millisecond(),
        changed_by: "Morgan".into(),
    };
    assert_eq!(
        two.db
            .merge_shared_limit_settings(std::slice::from_ref(&elsewhere), 7)
            .unwrap(),
        1
    );
    assert_eq!(two.db.item_maps("403R-00002").unwrap().len(), 1);
    assert_eq!(
        setting(&two, LimitSettingKind::ItemMap, &elsewhere.key),
        Some(elsewhere)
    );
}

#[test]
fn a_damaged_copy_is_refused_whole_and_the_mark_stays() {
    let one = colorado(1);
    let two = colorado(2);
    let morgan = manager(&one);
    one.db
        .set_limit_override(&morgan, RULE, 20.0, "bulletin")
        .unwrap();
    let good = one.db.shared_limit_settings().unwrap().remove(0);
    let damaged = [
        SharedLimitSetting {
            value: r#"{"limit":-1.0,"file_version":1,"reason":"x"}"#.into(),
            ..good.clone()
        },
        SharedLimitSetting {
            key: "CO/adult-use-transaction".into(),
            ..good.clone()
        },
        SharedLimitSetting {
            value: "not json".into(),
            ..good.clone()
        },
        SharedLimitSetting {
            removed: true,
            ..good.clone()
        },
    ];
    for bad in damaged {
        let error = two
            .db
            .merge_shared_limit_settings(&[good.clone(), bad.clone()], 5)
            .unwrap_err();
        assert_eq!(error.code(), "invalid_input", "{bad:?}");
        assert!(error.to_string().contains("damaged"), "{error}");
        assert_eq!(two.db.limits_pulled_through().unwrap(), 0);
        assert!(two.db.shared_limit_settings().unwrap().is_empty());
    }
}

mod merge_rule {
    //! The merge itself: commutative, associative and idempotent over any settings of one key.

    use proptest::prelude::*;
    use stateline_store::limits::{LimitSettingKind, SharedLimitSetting};

    fn a_setting() -> impl Strategy<Value = SharedLimitSetting> {
        (0i64..4, any::<bool>(), 0u8..3, 0u8..2).prop_map(|(at, removed, limit, by)| {
            SharedLimitSetting {
                kind: LimitSettingKind::Override,
                key: r#"["CO","adult-use-transaction"]"#.into(),
                value: if removed {
                    "null".into()
                } else {
                    format!(
                        r#"{{"limit":{}.0,"file_version":1,"reason":"r"}}"#,
                        20 + limit
                    )
                },
                removed,
                changed_at: 1_000 + at,
                changed_by: ["Morgan", "Ana"][usize::from(by)].into(),
            }
        })
    }

    proptest! {
        #[test]
        fn any_order_settles_on_the_same_setting(a in a_setting(), b in a_setting(), c in a_setting()) {
            prop_assert_eq!(a.merged(&b), b.merged(&a));
            prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
            prop_assert_eq!(a.merged(&a), a.clone());
            let m = a.merged(&b);
            prop_assert!(m.changed_at >= a.changed_at && m.changed_at >= b.changed_at);
            if a.changed_at == b.changed_at && (a.removed || b.removed) {
                prop_assert!(m.removed, "a removal wins a tie");
            }
        }
    }
}
