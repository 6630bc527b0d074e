//! Purchase limits inside `record_sale` (issue #14): refusals that name the limit and write
//! nothing, items that cannot be counted until a manager maps them, a store's audited overrides,
//! patients' readings and sales since, the store-wide history, sales before the reporting
//! window, and the evidence kept with each sale. Real SQLite files, a manual clock.

use jiff::SignedDuration;
use stateline_limits::Amounts;
use stateline_store::Clock;
use stateline_store::limits::{Approval, LimitBasis, Registration};
use stateline_store::people::audit::AuditQuery;
use stateline_store::settings::REGISTER_STATE;
use stateline_store::{
    Item, Measure, NewSale, NewSaleLine, PeerRecord, Pin, SaleExceptions, StoreError,
};
use stateline_testkit::store::*;

/// A package of 10 kg of flower, one of concentrate and one of gummies (100 mg THC each).
const FLOWER: &str = "1A4000000000000000000101";
const WAX: &str = "1A4000000000000000000102";
const GUMMIES: &str = "1A4000000000000000000103";
const UNKNOWN: &str = "1A4000000000000000000104";
const MANAGER_PIN: &str = "48151623";

fn measure(amount: &str, unit: &str) -> Option<Measure> {
    Some(Measure {
        amount: q(amount),
        unit: unit.into(),
    })
}

fn item(id: i64, name: &str, category_type: Option<&str>, unit: &str) -> Item {
    Item {
        metrc_id: id,
        name: name.into(),
        category: category_type.map(str::to_owned),
        unit_of_measure: unit.into(),
        category_type: category_type.map(str::to_owned),
        unit_weight: None,
        unit_thc_content: None,
    }
}

/// A register in `state` with the packages above and their Metrc item facts.
fn register_in(state: Option<&str>, seed: u64) -> Store {
    let s = register(seed);
    if let Some(state) = state {
        s.db.set_setting(REGISTER_STATE, state).unwrap();
    }
    s.db.upsert_packages_from_metrc(
        LIC,
        &[
            pkg(FLOWER, "House Flower", "Grams", "10000"),
            pkg(WAX, "House Wax", "Grams", "100"),
            pkg(GUMMIES, "House Gummies", "Each", "100"),
            pkg(UNKNOWN, "Mystery Tincture", "Each", "10"),
        ],
    )
    .unwrap();
    let mut gummies = item(3, "House Gummies", Some("InfusedEdible"), "Each");
    gummies.unit_thc_content = measure("100", "Milligrams");
    s.db.upsert_items(
        LIC,
        &[
            item(1, "House Flower", Some("Buds"), "Grams"),
            item(2, "House Wax", Some("Concentrate"), "Grams"),
            gummies,
            item(4, "Mystery Tincture", None, "Each"),
        ],
    )
    .unwrap();
    s
}

fn colorado() -> Store {
    register_in(Some("CO"), 7)
}

fn grams(label: &str, qty: &str) -> NewSaleLine {
    NewSaleLine {
        label: label.into(),
        quantity: q(qty),
        unit_of_measure: if label == GUMMIES || label == UNKNOWN {
            "Each"
        } else {
            "Grams"
        }
        .into(),
        total_amount: stateline_store::Money::parse("10").unwrap(),
    }
}

fn sale_of(s: &Store, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale {
        occurred_at: s.clock.now(),
        ..sale(lines)
    }
}

fn patient_sale(s: &Store, patient: &str, lines: Vec<NewSaleLine>) -> NewSale {
    NewSale {
        customer_type: "Patient".into(),
        patient_number: Some(patient.into()),
        ..sale_of(s, lines)
    }
}

fn manager(s: &Store) -> stateline_store::Actor {
    s.db.create_first_manager("Morgan", &Pin::new(MANAGER_PIN))
        .unwrap()
        .actor
}

fn registration(flower_oz: f64, days: f64) -> Registration {
    Registration {
        registration_number: Some("REG-1".into()),
        active: true,
        flower_ounces_available: flower_oz,
        thc_ounces_available: 0.0,
        concentrate_ounces_available: 1.0,
        infused_ounces_available: 0.0,
        tracks_allotment: true,
        purchase_amount_days: Some(days),
        licence_expires: None,
    }
}

fn audit_actions(s: &Store) -> Vec<String> {
    s.db.audit_entries(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action.as_str().to_owned())
        .collect()
}

#[test]
fn a_sale_over_a_limit_is_refused_naming_the_limit_and_nothing_is_written() {
    let s = colorado();
    let before = (
        count(&s, "sales"),
        count(&s, "outbox"),
        count(&s, "sale_limit_checks"),
    );
    let error =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "30")]))
            .unwrap_err();
    assert_eq!(error.code(), "over_limit");
    let text = error.to_string();
    assert!(text.contains("adult-use-transaction"), "{text}");
    assert!(text.contains("28.00 g of flower per transaction"), "{text}");
    assert!(text.contains("30.00 (2.00 over)"), "{text}");
    assert_eq!(
        (
            count(&s, "sales"),
            count(&s, "outbox"),
            count(&s, "sale_limit_checks")
        ),
        before
    );
    assert_eq!(s.db.on_hand(FLOWER).unwrap(), q("10000"));

    let at_limit =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "28")]))
            .unwrap();
    let evidence = s.db.sale_limit_check(at_limit.record_id).unwrap().unwrap();
    assert_eq!(evidence.basis, LimitBasis::Rules);
    assert_eq!(evidence.state.as_deref(), Some("CO"));
    assert_eq!(evidence.counted.get("flower"), Some(&28.0));
    let total = evidence
        .totals
        .iter()
        .find(|t| t.rule == "adult-use-transaction")
        .unwrap();
    assert_eq!((total.total, total.limit, total.over), (28.0, 28.0, false));
}

#[test]
fn equivalences_count_concentrate_and_edibles_against_flower() {
    let s = colorado();
    // 20 g flower + 2 g concentrate (7 g flower-equivalent) + 2 gummies (200 mg = 7 g) = 34 g.
    let error =
        s.db.record_sale(&sale_of(
            &s,
            vec![grams(FLOWER, "20"), grams(WAX, "2"), grams(GUMMIES, "2")],
        ))
        .unwrap_err();
    assert_eq!(error.code(), "over_limit");
    assert!(error.to_string().contains("34.00 (6.00 over)"), "{error}");
    s.db.record_sale(&sale_of(
        &s,
        vec![grams(FLOWER, "14"), grams(WAX, "2"), grams(GUMMIES, "2")],
    ))
    .unwrap();
}

#[test]
fn an_item_metrc_cannot_count_is_refused_until_a_manager_maps_it() {
    let s = colorado();
    let error =
        s.db.record_sale(&sale_of(&s, vec![grams(UNKNOWN, "1")]))
            .unwrap_err();
    assert_eq!(error.code(), "item_not_mapped");
    assert!(error.to_string().contains("Mystery Tincture"), "{error}");
    let unmapped = |s: &Store| -> Vec<stateline_store::limits::UnmappedItem> {
        s.db.unmapped_items(LIC)
            .unwrap()
            .into_iter()
            .filter(|u| u.item_name.starts_with("Mystery") || u.item_name.starts_with("House"))
            .collect()
    };
    let listed = unmapped(&s);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].item_name, "Mystery Tincture");
    assert!(
        listed[0].reason.contains("no product category type"),
        "{:?}",
        listed[0]
    );
    // Items whose facts were never fetched are listed too, with that reason.
    assert!(
        s.db.unmapped_items(LIC)
            .unwrap()
            .iter()
            .any(|u| u.item_name == "Blue Dream" && u.reason.contains("no Metrc item data"))
    );

    let morgan = manager(&s);
    let bea =
        s.db.add_user(
            &morgan,
            "Bea",
            stateline_store::Role::Budtender,
            &Pin::new("1234"),
        )
        .unwrap();
    let bea = s.db.verify_pin(&bea.name, &Pin::new("1234")).unwrap().actor;
    let thc: Amounts = [("infused_thc".to_owned(), 300.0)].into_iter().collect();
    let refused =
        s.db.map_item(&bea, LIC, "Mystery Tincture", &thc, "label says 300 mg")
            .unwrap_err();
    assert_eq!(refused.code(), "not_allowed");
    let wrong: Amounts = [("vibes".to_owned(), 1.0)].into_iter().collect();
    assert_eq!(
        s.db.map_item(&morgan, LIC, "Mystery Tincture", &wrong, "x")
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert!(
        s.db.item_maps(LIC).unwrap().is_empty(),
        "a refused mapping writes nothing"
    );

    s.db.map_item(&morgan, LIC, "Mystery Tincture", &thc, "label says 300 mg")
        .unwrap();
    assert!(unmapped(&s).is_empty());
    assert!(audit_actions(&s).contains(&"item_mapped".to_owned()));
    // 3 × 300 mg = 900 mg THC = 31.5 g flower-equivalent: over; 2 are 21 g: fine.
    assert_eq!(
        s.db.record_sale(&sale_of(&s, vec![grams(UNKNOWN, "3")]))
            .unwrap_err()
            .code(),
        "over_limit"
    );
    s.db.record_sale(&sale_of(&s, vec![grams(UNKNOWN, "2")]))
        .unwrap();
}

#[test]
fn a_store_override_changes_the_figure_and_is_audited() {
    let s = colorado();
    let morgan = manager(&s);
    assert_eq!(
        s.db.set_limit_override(&morgan, "no-such-rule", 20.0, "bulletin")
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        s.db.set_limit_override(&morgan, "adult-use-transaction", -1.0, "bulletin")
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    let set =
        s.db.set_limit_override(
            &morgan,
            "adult-use-transaction",
            20.0,
            "state bulletin of the week",
        )
        .unwrap();
    assert_eq!(set.file_version, 1);
    let error =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "25")]))
            .unwrap_err();
    assert!(error.to_string().contains("20.00 g of flower"), "{error}");
    s.db.clear_limit_override(&morgan, "adult-use-transaction", "update shipped")
        .unwrap();
    let sold =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "25")]))
            .unwrap();
    assert!(
        s.db.sale_limit_check(sold.record_id)
            .unwrap()
            .unwrap()
            .overrides
            .is_empty()
    );
    let overridden = audit_actions(&s)
        .iter()
        .filter(|a| *a == "limit_overridden")
        .count();
    assert_eq!(overridden, 2);
}

#[test]
fn without_a_state_or_its_rules_nothing_is_checked_and_the_evidence_says_so() {
    let s = register_in(None, 7);
    let sold =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "100")]))
            .unwrap();
    assert_eq!(
        s.db.sale_limit_check(sold.record_id)
            .unwrap()
            .unwrap()
            .basis,
        LimitBasis::NoState
    );
    let s = register_in(Some("WV"), 7);
    let sold =
        s.db.record_sale(&sale_of(&s, vec![grams(FLOWER, "100")]))
            .unwrap();
    assert_eq!(
        s.db.sale_limit_check(sold.record_id)
            .unwrap()
            .unwrap()
            .basis,
        LimitBasis::NoRules
    );
}

#[test]
fn a_medical_sale_uses_the_last_reading_minus_every_sale_since() {
    let s = colorado();
    s.db.save_patient_reading(LIC, "PT-1", "alice", &[registration(2.0, 30.0)])
        .unwrap();
    s.clock.advance(SignedDuration::from_mins(10));
    let first =
        s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "40")]))
            .unwrap();
    let evidence = s.db.sale_limit_check(first.record_id).unwrap().unwrap();
    assert_eq!(evidence.basis, LimitBasis::PatientReading);
    assert_eq!(evidence.reading.as_ref().unwrap().age_seconds, 600);
    s.clock.advance(SignedDuration::from_hours(30));
    // 56 g available at the reading, 40 g sold since: 16 g left.
    let error =
        s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "20")]))
            .unwrap_err();
    assert_eq!(error.code(), "over_limit");
    assert!(
        error.to_string().contains("metrc-allotment:REG-1:flower"),
        "{error}"
    );
    s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "16")]))
        .unwrap();
    // A new reading that already includes those sales (Metrc confirmed them) starts afresh.
    s.db.save_patient_reading(LIC, "PT-1", "alice", &[registration(0.0, 30.0)])
        .unwrap();
    assert_eq!(
        s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "1")]))
            .unwrap_err()
            .code(),
        "over_limit"
    );
}

/// Metrc's `PurchaseAmountDays` is whatever Metrc sent: a window reaching past the start of time
/// counts every sale since, and never panics.
#[test]
fn a_patient_window_longer_than_time_counts_every_sale_and_does_not_panic() {
    let s = colorado();
    s.db.save_patient_reading(LIC, "PT-1", "alice", &[registration(2.0, 1e12)])
        .unwrap();
    s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "40")]))
        .unwrap();
    let error =
        s.db.record_sale(&patient_sale(&s, "PT-1", vec![grams(FLOWER, "20")]))
            .unwrap_err();
    assert_eq!(error.code(), "over_limit", "{error}");
}

#[test]
fn a_patient_metrc_does_not_know_or_who_is_inactive_is_refused() {
    let s = colorado();
    s.db.save_patient_reading(LIC, "PT-0", "alice", &[])
        .unwrap();
    let unknown =
        s.db.record_sale(&patient_sale(&s, "PT-0", vec![grams(FLOWER, "1")]))
            .unwrap_err();
    assert_eq!(unknown.code(), "patient_not_eligible");
    let mut inactive = registration(2.0, 30.0);
    inactive.active = false;
    s.db.save_patient_reading(LIC, "PT-2", "alice", &[inactive])
        .unwrap();
    let error =
        s.db.record_sale(&patient_sale(&s, "PT-2", vec![grams(FLOWER, "1")]))
            .unwrap_err();
    assert_eq!(error.code(), "patient_not_eligible");
    // A licence runs to the end of its expiry date where the facility is (Denver): at 20:00 in
    // Denver it is already tomorrow in UTC, and a licence expiring today still sells.
    s.clock.set("2026-11-23T03:00:00Z".parse().unwrap());
    let today = s
        .clock
        .now()
        .to_zoned(jiff::tz::TimeZone::get("America/Denver").unwrap())
        .date();
    let mut expired = registration(2.0, 30.0);
    expired.licence_expires = Some(today.yesterday().unwrap());
    s.db.save_patient_reading(LIC, "PT-3", "alice", &[expired.clone()])
        .unwrap();
    assert_eq!(
        s.db.record_sale(&patient_sale(&s, "PT-3", vec![grams(FLOWER, "1")]))
            .unwrap_err()
            .code(),
        "patient_not_eligible"
    );
    expired.licence_expires = Some(today);
    s.db.save_patient_reading(LIC, "PT-3", "alice", &[expired])
        .unwrap();
    s.db.record_sale(&patient_sale(&s, "PT-3", vec![grams(FLOWER, "1")]))
        .unwrap();
    assert_eq!(
        s.db.record_sale(&patient_sale(
            &s,
            "not a number; DROP TABLE",
            vec![grams(FLOWER, "1")]
        ))
        .unwrap_err()
        .code(),
        "invalid_input"
    );
}

#[test]
fn a_medical_sale_without_a_reading_follows_the_states_rule() {
    // Colorado: within the adult-use limits.
    let s = colorado();
    let sold =
        s.db.record_sale(&patient_sale(&s, "PT-9", vec![grams(FLOWER, "28")]))
            .unwrap();
    let evidence = s.db.sale_limit_check(sold.record_id).unwrap().unwrap();
    assert_eq!(evidence.basis, LimitBasis::AdultUseWithoutReading);
    assert_eq!(evidence.rules_applied, "adult_use");
    // Massachusetts: refused.
    let ma = register_in(Some("MA"), 8);
    assert_eq!(
        ma.db
            .record_sale(&patient_sale(&ma, "PT-9", vec![grams(FLOWER, "1")]))
            .unwrap_err()
            .code(),
        "patient_reading_needed"
    );
    // Michigan: only with a manager's approval, which is audited and kept.
    let mi = register_in(Some("MI"), 9);
    assert_eq!(
        mi.db
            .record_sale(&patient_sale(&mi, "PT-9", vec![grams(FLOWER, "1")]))
            .unwrap_err()
            .code(),
        "manager_approval_needed"
    );
    let approval = Approval::new(manager(&mi), "Metrc down; card checked by hand").unwrap();
    let sold = mi
        .db
        .record_sale_with(
            &patient_sale(&mi, "PT-9", vec![grams(FLOWER, "1")]),
            &SaleExceptions {
                late: None,
                without_patient_data: Some(approval),
            },
        )
        .unwrap();
    let evidence = mi.db.sale_limit_check(sold.record_id).unwrap().unwrap();
    assert_eq!(evidence.basis, LimitBasis::ManagerOverride);
    assert_eq!(evidence.approvals[0].manager, "Morgan");
    assert!(audit_actions(&mi).contains(&"sale_exception_approved".to_owned()));
}

#[test]
fn a_sale_before_the_reporting_window_needs_a_managers_late_approval() {
    let s = colorado();
    let mut late = sale_of(&s, vec![grams(FLOWER, "1")]);
    late.occurred_at = s.clock.now() - SignedDuration::from_hours(25);
    let error = s.db.record_sale(&late).unwrap_err();
    assert_eq!(error.code(), "sale_too_old");
    assert!(error.to_string().contains("late sale"), "{error}");
    assert_eq!(count(&s, "sales"), 0);
    let morgan = manager(&s);
    let sold =
        s.db.record_sale_with(
            &late,
            &SaleExceptions {
                late: Some(Approval::new(morgan, "paper sale from Tuesday's outage").unwrap()),
                without_patient_data: None,
            },
        )
        .unwrap();
    let evidence = s.db.sale_limit_check(sold.record_id).unwrap().unwrap();
    assert_eq!(evidence.approvals[0].kind, "late_sale");
    assert!(audit_actions(&s).contains(&"sale_exception_approved".to_owned()));
    assert!(matches!(
        Approval::new(manager_or_budtender(&s), "x"),
        Err(StoreError::NotAllowed { .. })
    ));
}

fn manager_or_budtender(s: &Store) -> stateline_store::Actor {
    let morgan =
        s.db.verify_pin("Morgan", &Pin::new(MANAGER_PIN))
            .unwrap()
            .actor;
    s.db.add_user(
        &morgan,
        "Bea",
        stateline_store::Role::Budtender,
        &Pin::new("1234"),
    )
    .unwrap();
    s.db.verify_pin("Bea", &Pin::new("1234")).unwrap().actor
}

/// Copies every sale `from` made into `to`'s pulled copy, as the store link would.
fn pull(from: &Store, from_id: &str, to: &Store) {
    let entries = from
        .db
        .list_entries(&stateline_store::EntryFilter::default())
        .unwrap();
    let records: Vec<PeerRecord> = entries
        .iter()
        .filter(|e| e.kind == stateline_store::EntryKind::Sale)
        .map(|e| PeerRecord {
            register_id: from_id.into(),
            local_seq: e.id,
            client_id: e.client_id.clone(),
            kind: "sale".into(),
            licence: e.licence.clone(),
            acting_user: e.acting_user.clone(),
            occurred_at: e.occurred_at,
            body: from.db.record_json(e).unwrap(),
        })
        .collect();
    to.db.save_peer_records(&records, to.clock.now()).unwrap();
}

fn join(s: &Store) {
    s.db.set_setting("link.store", "{}").unwrap();
}

#[test]
fn a_patients_day_counts_every_register_of_the_store() {
    let one = register_in(Some("CO"), 11);
    let two = register_in(Some("CO"), 12);
    join(&one);
    join(&two);
    for r in [&one, &two] {
        r.db.save_patient_reading(LIC, "PT-5", "alice", &[registration(10.0, 30.0)])
            .unwrap();
    }
    one.db
        .record_sale(&patient_sale(&one, "PT-5", vec![grams(FLOWER, "40")]))
        .unwrap();
    pull(&one, "R1", &two);
    // Colorado medical: 56 g of flower a day; register two knows of register one's 40 g.
    let error = two
        .db
        .record_sale(&patient_sale(&two, "PT-5", vec![grams(FLOWER, "20")]))
        .unwrap_err();
    assert_eq!(error.code(), "over_limit");
    assert!(error.to_string().contains("medical-flower-day"), "{error}");
    let sold = two
        .db
        .record_sale(&patient_sale(&two, "PT-5", vec![grams(FLOWER, "16")]))
        .unwrap();
    let evidence = two.db.sale_limit_check(sold.record_id).unwrap().unwrap();
    assert!(matches!(
        evidence.scope,
        stateline_store::limits::HistoryScope::Store { .. }
    ));
    // A day later the window has rolled on.
    two.clock.advance(SignedDuration::from_hours(25));
    two.db
        .record_sale(&patient_sale(&two, "PT-5", vec![grams(FLOWER, "50")]))
        .unwrap();
}

mod property {
    //! No sequence of carts, split across two registers and time, completes over Colorado's
    //! medical day limit while the data a register holds says it should not — and none that fits
    //! is refused.

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    struct Step {
        register: usize,
        minutes_later: i64,
        grams: u32,
        sync_first: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        (0usize..2, 0i64..600, 1u32..40, any::<bool>()).prop_map(
            |(register, minutes_later, grams, sync_first)| Step {
                register,
                minutes_later,
                grams,
                sync_first,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn no_sequence_of_carts_completes_over_the_limit(steps in prop::collection::vec(step(), 1..14)) {
            let registers = [register_in(Some("CO"), 21), register_in(Some("CO"), 22)];
            let ids = ["R1", "R2"];
            for r in &registers {
                join(r);
                r.db.save_patient_reading(LIC, "PT-7", "alice", &[registration(100.0, 30.0)]).unwrap();
            }
            // What each register knows: (when, grams) of sales to the patient.
            let mut known: [Vec<(jiff::Timestamp, u32)>; 2] = [Vec::new(), Vec::new()];
            let mut made: [Vec<(jiff::Timestamp, u32)>; 2] = [Vec::new(), Vec::new()];
            for step in steps {
                for r in &registers { r.clock.advance(SignedDuration::from_mins(step.minutes_later)); }
                let (me, other) = (step.register, 1 - step.register);
                if step.sync_first {
                    pull(&registers[other], ids[other], &registers[me]);
                    known[me] = made[me].iter().chain(made[other].iter()).copied().collect();
                }
                let now = registers[me].clock.now();
                let day_ago = now - SignedDuration::from_hours(24);
                let in_window: u32 = known[me].iter().filter(|(t, _)| *t > day_ago && *t <= now).map(|(_, g)| g).sum();
                let fits = in_window + step.grams <= 56;
                let result = registers[me].db.record_sale(&patient_sale(&registers[me], "PT-7", vec![grams(FLOWER, &step.grams.to_string())]));
                match result {
                    Ok(_) => {
                        prop_assert!(fits, "sold {} g with {} g in the window", step.grams, in_window);
                        made[me].push((now, step.grams));
                        known[me].push((now, step.grams));
                    }
                    Err(e) => {
                        prop_assert_eq!(e.code(), "over_limit");
                        prop_assert!(!fits, "refused {} g with only {} g in the window", step.grams, in_window);
                    }
                }
            }
        }
    }
}
