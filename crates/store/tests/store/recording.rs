//! Recording sales, adjustments, new packages, corrections and voids: atomicity, validation and
//! on-hand math.

use common::*;
use stateline_store::{
    Confirmation, EntryKind, EntryState, Ingredient, NewPackageOutput, NewPackages,
    NewSaleCorrection, Quantity,
};
use stateline_testkit::store as common;

fn all_rows(s: &Store) -> i64 {
    [
        "sales",
        "sale_lines",
        "adjustments",
        "new_packages",
        "new_package_ingredients",
        "sale_corrections",
        "sale_voids",
        "outbox",
        "outbox_packages",
        "package_effects",
    ]
    .iter()
    .map(|t| count(s, t))
    .sum()
}

#[test]
fn record_sale_commits_sale_lines_and_outbox_together() {
    let s = store();
    let rec =
        s.db.record_sale(&sale(vec![line(A, "1.5"), line(B, "2")]))
            .unwrap();
    assert_eq!(count(&s, "sales"), 1);
    assert_eq!(count(&s, "sale_lines"), 2);
    assert_eq!(count(&s, "outbox"), 1);
    assert_eq!(count(&s, "package_effects"), 2);
    let entry = s.db.entry(rec.entry_id).unwrap();
    assert_eq!(entry.state, EntryState::Pending);
    assert_eq!(entry.kind, EntryKind::Sale);
    assert_eq!(entry.client_id, rec.client_id);
    assert_eq!(entry.occurred_at, t0());
    let stored = s.db.sale_by_client_id(&rec.client_id).unwrap();
    assert_eq!(stored.lines.len(), 2);
    // The receipt rows come back from the transaction itself, as stored, with item names.
    assert_eq!(rec.state, EntryState::Pending);
    assert_eq!(rec.occurred_at, stored.occurred_at);
    let rows: Vec<(&str, &str, Quantity, &str)> = rec
        .lines
        .iter()
        .map(|l| {
            (
                l.label.as_str(),
                l.item_name.as_str(),
                l.quantity,
                l.unit_of_measure.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (A, "Blue Dream", q("1.5"), "Grams"),
            (B, "Gummies", q("2"), "Each")
        ]
    );
    for (row, line) in rec.lines.iter().zip(&stored.lines) {
        assert_eq!(row.total_amount, line.total_amount);
    }
    assert_eq!(s.db.on_hand(A).unwrap(), q("8.5"));
    assert_eq!(s.db.on_hand(B).unwrap(), q("3"));
}

#[test]
fn a_failing_validation_leaves_zero_rows_anywhere() {
    let s = store();
    let before = all_rows(&s);
    let cases = [
        (
            sale(vec![line(A, "1"), line("1A4UNKNOWN", "1")]),
            "unknown_package",
        ),
        (sale(vec![line(A, "0")]), "invalid_quantity"),
        (sale(vec![line(A, "-1")]), "invalid_quantity"),
        (
            sale(vec![line(B, "1"), line(A, "10.001")]),
            "insufficient_quantity",
        ),
        (sale(vec![]), "invalid_input"),
    ];
    for (bad, code) in cases {
        assert_eq!(s.db.record_sale(&bad).unwrap_err().code(), code);
    }
    let mut wrong_unit = sale(vec![line(A, "1")]);
    wrong_unit.lines[0].unit_of_measure = "Ounces".into();
    assert_eq!(
        s.db.record_sale(&wrong_unit).unwrap_err().code(),
        "unit_mismatch"
    );
    let mut unknown_licence = sale(vec![line(A, "1")]);
    unknown_licence.licence = "NOPE".into();
    assert_eq!(
        s.db.record_sale(&unknown_licence).unwrap_err().code(),
        "unknown_licence"
    );
    assert_eq!(all_rows(&s), before);
    assert_eq!(s.db.on_hand(A).unwrap(), q("10"));
}

#[test]
fn overselling_is_refused_with_what_is_on_hand() {
    let s = store();
    s.db.record_sale(&sale(vec![line(A, "6.5")])).unwrap();
    let err =
        s.db.record_sale(&sale(vec![line(A, "2"), line(A, "2")]))
            .unwrap_err();
    assert_eq!(err.code(), "insufficient_quantity");
    assert!(
        err.to_string()
            .starts_with(&format!("only 3.5 Grams of {A} on hand")),
        "{err}"
    );
    s.db.record_sale(&sale(vec![line(A, "3.5")])).unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), Quantity::ZERO);
}

#[test]
fn on_hand_counts_rejected_releases_voided_and_folds_confirmed() {
    let s = store();
    let now = t0();
    let confirmed = s.db.record_sale(&sale(vec![line(A, "1")])).unwrap();
    let rejected = s.db.record_sale(&sale(vec![line(A, "2")])).unwrap();
    let voided = s.db.record_sale(&sale(vec![line(A, "3")])).unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("4"));
    let batch =
        s.db.claim_batch(LIC, EntryKind::Sale, None, 10, now)
            .unwrap();
    assert_eq!(batch.len(), 3);
    s.db.mark_confirmed(
        &[Confirmation {
            entry_id: confirmed.entry_id,
            metrc_id: Some(9001),
        }],
        now,
    )
    .unwrap();
    s.db.mark_rejected(rejected.entry_id, "row 0: bad").unwrap();
    s.db.release_not_sent(&[voided.entry_id], now, "connection refused")
        .unwrap();
    s.db.void_entry(voided.entry_id, "rung up twice", "manager")
        .unwrap();
    let p = s.db.package(A).unwrap();
    assert_eq!(
        p.metrc_quantity,
        q("9"),
        "confirmed sale folded into Metrc's quantity"
    );
    assert_eq!(p.on_hand, q("7"), "rejected still counts, voided does not");
    // A refresh from Metrc sets Metrc's value; local effects still apply on top.
    s.db.upsert_packages_from_metrc(LIC, &[pkg(A, "Blue Dream", "Grams", "9")])
        .unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("7"));
}

#[test]
fn adjustments_are_signed_need_known_reasons_and_notes() {
    let s = store();
    let before = all_rows(&s);
    assert_eq!(
        s.db.record_adjustment(&adjustment(A, "0"))
            .unwrap_err()
            .code(),
        "invalid_quantity"
    );
    assert_eq!(
        s.db.record_adjustment(&adjustment(A, "-10.5"))
            .unwrap_err()
            .code(),
        "insufficient_quantity"
    );
    let mut needs_note = adjustment(A, "-1");
    needs_note.reason = "Entry Error".into();
    assert_eq!(
        s.db.record_adjustment(&needs_note).unwrap_err().code(),
        "note_required"
    );
    let mut unknown = adjustment(A, "-1");
    unknown.reason = "Eaten".into();
    assert_eq!(
        s.db.record_adjustment(&unknown).unwrap_err().code(),
        "unknown_adjustment_reason"
    );
    assert_eq!(all_rows(&s), before);

    needs_note.note = Some("typo at intake".into());
    let rec = s.db.record_adjustment(&needs_note).unwrap();
    s.db.record_adjustment(&adjustment(A, "0.25")).unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("9.25"));
    let adj = s.db.adjustment(rec.record_id).unwrap();
    assert_eq!(
        adj.metrc_reason_note(),
        format!("typo at intake [{}]", rec.client_id)
    );
}

fn split(tags: &[(&str, &str)]) -> NewPackages {
    NewPackages {
        licence: LIC.into(),
        acting_user: "manager".into(),
        occurred_at: t0(),
        outputs: tags
            .iter()
            .map(|(tag, qty)| NewPackageOutput {
                tag: (*tag).into(),
                item_name: None,
                quantity: q(qty),
                unit_of_measure: "Grams".into(),
                ingredients: vec![Ingredient {
                    label: A.into(),
                    quantity: q(qty),
                    unit_of_measure: "Grams".into(),
                }],
            })
            .collect(),
    }
}

#[test]
fn a_split_creates_local_packages_and_refuses_duplicate_tags() {
    let s = store();
    let recs =
        s.db.record_new_packages(&split(&[("1A4NEW1", "3.5"), ("1A4NEW2", "3.5")]))
            .unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(s.db.on_hand(A).unwrap(), q("3"));
    let new1 = s.db.package("1A4NEW1").unwrap();
    assert!(new1.local_only);
    assert_eq!(new1.on_hand, q("3.5"));
    assert_eq!(new1.item_name, "Blue Dream");
    let rec = s.db.new_package(recs[0].record_id).unwrap();
    assert_eq!(rec.ingredients.len(), 1);

    let before = all_rows(&s);
    for (bad, code) in [
        (split(&[("1A4NEW1", "1")]), "duplicate_tag"),
        (split(&[(A, "1")]), "duplicate_tag"),
        (
            split(&[("1A4NEW3", "1"), ("1A4NEW3", "1")]),
            "duplicate_tag",
        ),
        (
            split(&[("1A4NEW4", "2"), ("1A4NEW5", "2")]),
            "insufficient_quantity",
        ),
        (split(&[("1A4NEW6", "0")]), "invalid_quantity"),
    ] {
        assert_eq!(s.db.record_new_packages(&bad).unwrap_err().code(), code);
    }
    assert_eq!(all_rows(&s), before);

    // Confirming the split makes the new package a Metrc package with its quantity.
    let batch =
        s.db.claim_batch(LIC, EntryKind::NewPackage, None, 10, t0())
            .unwrap();
    assert_eq!(batch.len(), 2);
    let conf: Vec<_> = batch
        .iter()
        .map(|e| Confirmation {
            entry_id: e.id,
            metrc_id: None,
        })
        .collect();
    s.db.mark_confirmed(&conf, t0()).unwrap();
    let new1 = s.db.package("1A4NEW1").unwrap();
    assert!(!new1.local_only);
    assert_eq!(new1.metrc_quantity, q("3.5"));
    assert_eq!(s.db.package(A).unwrap().metrc_quantity, q("3"));
    assert_eq!(count(&s, "package_effects"), 0);
    assert_eq!(count(&s, "outbox_packages"), 0);
    assert_pending_in_step(&s);
}

#[test]
fn voids_and_corrections_reference_their_sale_and_give_stock_back() {
    let s = store();
    let sold = s.db.record_sale(&sale(vec![line(A, "4")])).unwrap();
    let corr =
        s.db.record_sale_correction(&NewSaleCorrection {
            sale_client_id: sold.client_id.clone(),
            acting_user: "manager".into(),
            lines: vec![line(A, "3")],
        })
        .unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("7"));
    assert_eq!(
        s.db.sale_by_client_id(&sold.client_id)
            .unwrap()
            .current_lines[0]
            .quantity,
        q("3")
    );
    let void =
        s.db.record_sale_void(&sold.client_id, "customer returned it", "manager")
            .unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), q("10"));
    let entry = s.db.entry(void.entry_id).unwrap();
    assert_eq!(entry.depends_on, Some(sold.entry_id));
    assert_eq!(
        s.db.entry(corr.entry_id).unwrap().depends_on,
        Some(sold.entry_id)
    );
    // One live void per sale; no correction after a void.
    assert_eq!(
        s.db.record_sale_void(&sold.client_id, "again", "manager")
            .unwrap_err()
            .code(),
        "sale_not_changeable"
    );
    assert_eq!(
        s.db.record_sale_correction(&NewSaleCorrection {
            sale_client_id: sold.client_id.clone(),
            acting_user: "manager".into(),
            lines: vec![line(A, "1")],
        })
        .unwrap_err()
        .code(),
        "sale_not_changeable"
    );
    assert_eq!(
        s.db.record_sale_void("SL-NOPE", "x", "manager")
            .unwrap_err()
            .code(),
        "unknown_sale"
    );
    assert_eq!(
        s.db.record_sale_void(&sold.client_id, " ", "manager")
            .unwrap_err()
            .code(),
        "invalid_input"
    );
}

#[test]
fn a_correction_cannot_take_more_than_on_hand_plus_what_the_sale_had() {
    let s = store();
    let sold = s.db.record_sale(&sale(vec![line(A, "4")])).unwrap();
    s.db.record_sale(&sale(vec![line(A, "5")])).unwrap();
    let fix = |qty: &str| NewSaleCorrection {
        sale_client_id: sold.client_id.clone(),
        acting_user: "manager".into(),
        lines: vec![line(A, qty)],
    };
    assert_eq!(
        s.db.record_sale_correction(&fix("5.5")).unwrap_err().code(),
        "insufficient_quantity"
    );
    s.db.record_sale_correction(&fix("5")).unwrap();
    assert_eq!(s.db.on_hand(A).unwrap(), Quantity::ZERO);
    assert_pending_in_step(&s);
}

/// Whatever door a record comes in by, a field the size of a document, a customer type Metrc
/// does not know and a time in the future are refused by name, and nothing is written.
#[test]
fn oversized_fields_unknown_customer_types_and_future_times_are_refused_and_write_nothing() {
    use jiff::SignedDuration;
    use stateline_store::records::entry_checks::{FUTURE_TOLERANCE, MAX_FIELD_CHARS};
    let s = store();
    let db = &s.db;
    let before = all_rows(&s);
    let refused = |sale: stateline_store::NewSale| {
        let error = db.record_sale(&sale).unwrap_err();
        assert_eq!(error.code(), "invalid_input", "{error}");
        error.to_string()
    };

    let mut huge = sale(vec![line(A, "1")]);
    huge.customer_type = "C".repeat(10 * 1024 * 1024);
    let message = refused(huge);
    assert!(
        message.contains("customer type")
            && message.contains(&format!("at most {MAX_FIELD_CHARS}")),
        "{message}"
    );
    assert!(message.len() < 400, "the message does not repeat the field");
    let mut long_patient = sale(vec![line(A, "1")]);
    long_patient.patient_number = Some("9".repeat(MAX_FIELD_CHARS + 1));
    assert!(refused(long_patient).contains("patient number"));

    let mut martian = sale(vec![line(A, "1")]);
    martian.customer_type = "Martian".into();
    let message = refused(martian);
    assert!(
        message.contains("Consumer, Patient, Caregiver, ExternalPatient"),
        "{message}"
    );

    let mut in_2099 = sale(vec![line(A, "1")]);
    in_2099.occurred_at = "2099-01-01T00:00:00Z".parse().unwrap();
    assert!(refused(in_2099).contains("ahead of this register's clock"));
    let mut too_soon = sale(vec![line(A, "1")]);
    too_soon.occurred_at = db.now() + FUTURE_TOLERANCE + SignedDuration::from_secs(1);
    refused(too_soon);
    let mut adjustment = common::adjustment(A, "-1");
    adjustment.occurred_at = db.now() + SignedDuration::from_hours(1);
    assert_eq!(
        db.record_adjustment(&adjustment).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(all_rows(&s), before, "nothing half-written");

    // A clock a few minutes behind the till's is fine.
    let mut drifted = sale(vec![line(A, "1")]);
    drifted.occurred_at = db.now() + FUTURE_TOLERANCE - SignedDuration::from_secs(1);
    db.record_sale(&drifted).unwrap();

    // Once Metrc's own list is cached, it is the list.
    let conn = rusqlite::Connection::open(db_path(&s.dir)).unwrap();
    conn.execute_batch(
        "INSERT INTO app_customer_types (name, position) VALUES ('Consumer', 0), ('NonResidentConsumer', 1)",
    )
    .unwrap();
    let mut visitor = sale(vec![line(A, "1")]);
    visitor.customer_type = "NonResidentConsumer".into();
    db.record_sale(&visitor).unwrap();
    let mut patient = sale(vec![line(A, "1")]);
    patient.customer_type = "Patient".into();
    assert!(refused(patient).contains("use one of: Consumer, NonResidentConsumer"));
}

/// A licence's rules ask each customer only for what applies to them: a consumer for nothing, a
/// patient for the patient number, a caregiver for the caregiver's too, an external patient for
/// how they were identified; a medical-only licence refuses consumers. Each refusal names the
/// field and writes nothing; a malformed identification method is refused for its shape.
#[test]
fn a_licence_asks_each_customer_only_for_what_its_rules_require() {
    use stateline_store::LicenceRules;
    let s = store();
    let db = &s.db;
    let rules = LicenceRules {
        requires_patient_number: true,
        requires_caregiver_number: true,
        requires_identification_method: true,
        sells_to_consumers: true,
    };
    db.set_licence_rules(LIC, rules).unwrap();
    let asks = |customer: &str| {
        let a = rules.asks(customer);
        (
            a.patient_number,
            a.caregiver_number,
            a.identification_method,
        )
    };
    use stateline_store::Ask::{No, Optional, Required};
    assert_eq!(asks("Consumer"), (No, No, No));
    assert_eq!(asks("NonResidentConsumer"), (No, No, No));
    assert_eq!(asks("Patient"), (Required, No, No));
    assert_eq!(asks("Caregiver"), (Required, Required, No));
    assert_eq!(asks("ExternalPatient"), (Required, No, Required));
    assert_eq!(
        LicenceRules::default().asks("ExternalPatient"),
        stateline_store::Asks {
            patient_number: Optional,
            caregiver_number: No,
            identification_method: Optional,
        }
    );
    let sale_to =
        |customer: &str, patient: Option<&str>, caregiver: Option<&str>, id: Option<&str>| {
            let mut sale = sale(vec![line(A, "0.5")]);
            sale.customer_type = customer.into();
            sale.patient_number = patient.map(str::to_owned);
            sale.caregiver_number = caregiver.map(str::to_owned);
            sale.identification_method = id.map(str::to_owned);
            sale
        };
    let refused = |sale: stateline_store::NewSale, field: &str| {
        let before = all_rows(&s);
        let error = db.record_sale(&sale).unwrap_err();
        assert_eq!(error.code(), "invalid_input", "{error}");
        assert!(error.to_string().contains(field), "{field}: {error}");
        assert_eq!(all_rows(&s), before, "nothing half-written");
    };

    db.record_sale(&sale_to("Consumer", None, None, None))
        .expect("a consumer gives no numbers");
    refused(sale_to("Patient", None, None, None), "patient number");
    refused(sale_to("Patient", Some("  "), None, None), "patient number");
    db.record_sale(&sale_to("Patient", Some("PT-1"), None, None))
        .unwrap();
    refused(
        sale_to("Caregiver", Some("PT-1"), None, None),
        "caregiver number",
    );
    refused(
        sale_to("Caregiver", None, Some("CG-1"), None),
        "patient number",
    );
    db.record_sale(&sale_to("Caregiver", Some("PT-1"), Some("CG-1"), None))
        .unwrap();
    refused(
        sale_to("ExternalPatient", Some("OUT-9"), None, None),
        "identification method",
    );
    refused(
        sale_to("ExternalPatient", Some("OUT-9"), None, Some("<b>ID</b>")),
        "identification method",
    );
    refused(
        sale_to(
            "ExternalPatient",
            Some("OUT-9"),
            None,
            Some(&"x".repeat(51)),
        ),
        "identification method",
    );
    let recorded = db
        .record_sale(&sale_to(
            "ExternalPatient",
            Some("OUT-9"),
            None,
            Some("  Driver's License "),
        ))
        .unwrap();
    let stored = db.sale_by_client_id(&recorded.client_id).unwrap();
    assert_eq!(
        stored.identification_method.as_deref(),
        Some("Driver's License")
    );

    db.set_licence_rules(
        LIC,
        LicenceRules {
            sells_to_consumers: false,
            ..rules
        },
    )
    .unwrap();
    refused(sale_to("Consumer", None, None, None), "customer type");
    refused(
        sale_to("NonResidentConsumer", None, None, None),
        "customer type",
    );
    db.record_sale(&sale_to("Patient", Some("PT-1"), None, None))
        .unwrap();
}
