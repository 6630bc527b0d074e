//! Compliance across the store (issue #13), from a register's own SQLite: the deadlines and the
//! outage report list the other registers' records from the pulled copy with their register, and
//! reconciliation counts another register's sale in Metrc as the store's, not an unknown one.

use jiff::{SignedDuration, Timestamp};
use metrc_emulator::{DEMO_LICENSE, DEMO_MANAGER_KEY, DEMO_TIME_ZONE, Receipt, SaleLine};
use serde_json::json;
use stateline_compliance::outage::render::{CSV_COLUMNS, to_csv, to_html};
use stateline_compliance::{
    DifferenceKind, OutageQuery, OutageReports, Trigger, reconcile_day, store_deadlines,
};
use stateline_store::{Clock, DeadlineWarning, EntryState, PeerRecord, PeerStateChange};
use stateline_testkit::delivery as support;
use stateline_testkit::store::{self as fixture, A, LIC, line, sale_by};
use support::{BUDTENDER, Harness, user_key};

fn peer(register: &str, seq: i64, licence: &str, at: Timestamp) -> PeerRecord {
    PeerRecord {
        register_id: register.into(),
        local_seq: seq,
        client_id: format!("SL-{register}-{seq:012}"),
        kind: "sale".into(),
        licence: licence.into(),
        acting_user: "bea".into(),
        occurred_at: at,
        body: json!({}),
    }
}

fn state(register: &str, seq: i64, state: &str, change_seq: i64) -> PeerStateChange {
    PeerStateChange {
        register_id: register.into(),
        local_seq: seq,
        state: state.into(),
        change_seq,
        deltas: Default::default(),
        changed_at: None,
    }
}

fn state_at(at: Timestamp, register: &str, seq: i64, st: &str, change_seq: i64) -> PeerStateChange {
    PeerStateChange {
        changed_at: Some(at),
        ..state(register, seq, st, change_seq)
    }
}

fn hours(at: Timestamp, h: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_hours(h)).unwrap()
}

/// This register (REG1 by name) with one waiting sale at t0, and REG2's records: one waiting
/// since 30 h before t0, one confirmed a minute after it was made, one withdrawn, one made a
/// minute before the report, and one made 20 h before t0 that Metrc accepted 30 h later.
fn a_store_with_backlogs() -> fixture::Store {
    let store = fixture::store();
    let db = &store.db;
    let t0 = fixture::t0();
    db.record_sale(&sale_by("alice", vec![line(A, "1")]))
        .unwrap();
    db.remember_registers(
        &[
            (db.install_id().to_owned(), "Register 1".into()),
            ("REG2".into(), "Register 2".into()),
        ],
        t0,
    )
    .unwrap();
    let now = hours(t0, 23);
    db.save_peer_records(
        &[
            peer("REG2", 1, LIC, hours(t0, -30)),
            peer("REG2", 2, LIC, hours(t0, 1)),
            peer("REG2", 3, LIC, hours(t0, 2)),
            peer("REG2", 4, LIC, now - SignedDuration::from_mins(1)),
            peer("REG2", 5, LIC, hours(t0, -20)),
            peer("REG3", 1, "999-NOT-BOUND", hours(t0, 1)),
        ],
        t0,
    )
    .unwrap();
    db.apply_peer_states(&[
        state("REG2", 1, "waiting_for_key", 1),
        state_at(
            hours(t0, 1) + SignedDuration::from_mins(1),
            "REG2",
            2,
            "confirmed",
            2,
        ),
        state("REG2", 3, "voided", 3),
        state_at(hours(t0, 10), "REG2", 5, "confirmed", 4),
    ])
    .unwrap();
    store.clock.set(now);
    store
}

#[test]
fn deadlines_cover_every_registers_open_records() {
    let store = a_store_with_backlogs();
    let db = &store.db;
    let deadlines = store_deadlines(db, store.clock.now(), 100).unwrap();
    let rows: Vec<(&str, DeadlineWarning, bool)> = deadlines
        .rows
        .iter()
        .map(|r| (r.client_id.as_str(), r.warning, r.this_register))
        .collect();
    let own = db.list_entries(&Default::default()).unwrap()[0]
        .client_id
        .clone();
    assert_eq!(
        rows,
        [
            ("SL-REG2-000000000001", DeadlineWarning::Overdue, false),
            (own.as_str(), DeadlineWarning::Soon, true),
        ],
        "most urgent first; settled, fresh and unbound-licence records are not warned about"
    );
    assert_eq!(
        deadlines.rows[0].state,
        Some(EntryState::WaitingForKey),
        "as its register last told the store"
    );
    let counts: Vec<(bool, u64, u64, u64)> = deadlines
        .registers
        .iter()
        .map(|r| (r.this_register, r.open, r.soon, r.overdue))
        .collect();
    assert_eq!(
        counts,
        [(true, 1, 1, 0), (false, 2, 0, 1), (false, 0, 0, 0)],
        "this register first; REG2's fresh record is open but not near its deadline; REG3's \
         record is of a licence not bound here"
    );
    assert!(!deadlines.truncated);
    let one = store_deadlines(db, store.clock.now(), 1).unwrap();
    assert!(one.truncated);
}

#[test]
fn the_outage_report_names_each_records_register() {
    let store = a_store_with_backlogs();
    let db = &store.db;
    let t0 = fixture::t0();
    let report = db
        .outage_report(&OutageQuery::new(hours(t0, -48), hours(t0, 24)))
        .unwrap();
    let rows: Vec<(&str, &str, bool, EntryState)> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.client_id.as_str(),
                r.register.as_str(),
                r.this_register,
                r.state,
            )
        })
        .collect();
    let own = &report.rows[2].client_id;
    assert_eq!(
        rows,
        [
            (
                "SL-REG2-000000000001",
                "Register 2",
                false,
                EntryState::WaitingForKey
            ),
            (
                "SL-REG2-000000000005",
                "Register 2",
                false,
                EntryState::Confirmed
            ),
            (own.as_str(), "Register 1", true, EntryState::Pending),
            (
                "SL-REG2-000000000003",
                "Register 2",
                false,
                EntryState::Voided
            ),
        ],
        "in the order made, the one delivered late too; the one delivered promptly, the fresh \
         and the unbound-licence records are not in it"
    );
    let overdue = &report.rows[0];
    assert_eq!(
        overdue.reasons,
        [stateline_compliance::WaitReason::KeyProblem]
    );
    assert_eq!(overdue.late_by, SignedDuration::from_hours(29));
    let delivered_late = &report.rows[1];
    assert_eq!(delivered_late.accepted_at, Some(hours(t0, 10)));
    assert_eq!(delivered_late.late_by, SignedDuration::from_hours(6));
    assert_eq!(report.rows[3].late_by, SignedDuration::ZERO);

    let csv = to_csv(&report);
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
    assert_eq!(CSV_COLUMNS[13], "register");
    assert_eq!(CSV_COLUMNS.last(), Some(&"limit_check"));
    // Another register's rows carry no limit check here (their register's report has it).
    assert!(lines.next().unwrap().ends_with(",Register 2,"));
    assert!(lines.next().unwrap().ends_with(",Register 2,"));
    let own = lines.next().unwrap();
    assert!(own.contains(",Register 1,"), "{own}");
    assert!(own.ends_with(",no state chosen: not checked"), "{own}");
    let html = to_html(&report);
    assert!(html.contains("<th>Register</th>"));
    assert!(html.contains("<td>Register 2</td>"));
}

#[test]
fn a_register_in_no_store_reports_as_before() {
    let store = fixture::store();
    let db = &store.db;
    db.record_sale(&sale_by("alice", vec![line(A, "1")]))
        .unwrap();
    store.clock.set(hours(fixture::t0(), 2));
    let t0 = fixture::t0();
    let report = db
        .outage_report(&OutageQuery::new(hours(t0, -1), hours(t0, 3)))
        .unwrap();
    assert_eq!(report.rows.len(), 1);
    assert!(report.rows[0].this_register);
    assert_eq!(report.rows[0].register, "");
    assert!(to_html(&report).contains("<td>this register</td>"));
    let deadlines = store_deadlines(db, store.clock.now(), 10).unwrap();
    assert_eq!(deadlines.registers.len(), 1);
}

/// Package A's item (Blue Dream) as Metrc describes it, so the limits count it as grams of flower.
fn flower_counted_by_weight(db: &stateline_store::Database) {
    db.upsert_items(
        LIC,
        &[stateline_store::Item {
            metrc_id: 1,
            name: "Blue Dream".into(),
            category: Some("Buds".into()),
            unit_of_measure: "Grams".into(),
            category_type: Some("Buds".into()),
            unit_weight: None,
            unit_thc_content: None,
        }],
    )
    .unwrap();
}

#[test]
fn each_sale_row_says_why_the_sale_was_allowed() {
    let store = fixture::store();
    let db = &store.db;
    db.set_setting(stateline_store::settings::REGISTER_STATE, "CO")
        .unwrap();
    flower_counted_by_weight(db);
    db.record_sale(&sale_by("alice", vec![line(A, "3.5")]))
        .unwrap();
    store.clock.set(hours(fixture::t0(), 2));
    let t0 = fixture::t0();
    let report = db
        .outage_report(&OutageQuery::new(hours(t0, -1), hours(t0, 3)))
        .unwrap();
    let check = &report.rows[0].limit_check;
    assert!(check.starts_with("CO rules v1, adult_use"), "{check}");
    assert!(check.contains("summed this sale alone"), "{check}");
    assert!(
        check.contains("adult-use-transaction 3.50/28.00 g of flower"),
        "{check}"
    );
    assert!(to_csv(&report).contains("adult-use-transaction 3.50/28.00"));
    assert!(to_html(&report).contains("Why the sale was allowed"));
}

/// Two medical sales made while Metrc was out of reach, in a state whose rules need a manager's
/// approval without a reading (Michigan): one checked against a patient reading taken an hour
/// before, one sold on a manager's approval. The outage report's rows say so — the reading and its
/// age, whose sales were summed, the approval with the manager and the reason — in the CSV and on
/// the page.
#[test]
fn the_outage_report_shows_the_reading_and_the_approval_each_offline_sale_rested_on() {
    use stateline_store::limits::{Approval, Registration};
    use stateline_store::{NewSale, Pin, SaleExceptions};
    let store = fixture::store();
    let db = &store.db;
    db.set_setting(stateline_store::settings::REGISTER_STATE, "MI")
        .unwrap();
    flower_counted_by_weight(db);
    let manager = db
        .create_first_manager("Morgan", &Pin::new("48151623"))
        .unwrap()
        .actor;
    let t0 = fixture::t0();
    db.save_patient_reading(
        LIC,
        "PT-1",
        "alice",
        &[Registration {
            registration_number: Some("REG-1".into()),
            active: true,
            flower_ounces_available: 2.0,
            thc_ounces_available: 0.0,
            concentrate_ounces_available: 1.0,
            infused_ounces_available: 0.0,
            tracks_allotment: true,
            purchase_amount_days: Some(30.0),
            licence_expires: None,
        }],
    )
    .unwrap();
    store.clock.set(hours(t0, 1));
    let patient_sale = |patient: &str| NewSale {
        customer_type: "Patient".into(),
        patient_number: Some(patient.into()),
        occurred_at: hours(t0, 1),
        ..sale_by("alice", vec![line(A, "3.5")])
    };
    db.record_sale(&patient_sale("PT-1")).unwrap();
    db.record_sale_with(
        &patient_sale("PT-9"),
        &SaleExceptions {
            late: None,
            without_patient_data: Some(
                Approval::new(manager, "Metrc down; card checked by hand").unwrap(),
            ),
        },
    )
    .unwrap();
    store.clock.set(hours(t0, 3));
    let report = db
        .outage_report(&OutageQuery::new(hours(t0, -1), hours(t0, 4)))
        .unwrap();
    let checks: Vec<&str> = report.rows.iter().map(|r| r.limit_check.as_str()).collect();
    assert_eq!(checks.len(), 2, "{checks:?}");
    let with_reading = checks
        .iter()
        .find(|c| c.contains("with Metrc's patient reading"))
        .unwrap_or_else(|| panic!("{checks:?}"));
    assert!(
        with_reading.contains("Metrc's patient reading, 1 h old"),
        "{with_reading}"
    );
    assert!(
        with_reading.contains("summed this register's sales"),
        "{with_reading}"
    );
    let approved = checks
        .iter()
        .find(|c| c.contains("manager's approval"))
        .unwrap_or_else(|| panic!("{checks:?}"));
    assert!(
        approved.contains("approved by Morgan: Metrc down; card checked by hand"),
        "{approved}"
    );
    let csv = to_csv(&report);
    assert!(
        csv.contains("1 h old") && csv.contains("approved by Morgan"),
        "{csv}"
    );
    let html = to_html(&report);
    assert!(html.contains("1 h old") && html.contains("approved by Morgan"));
}

fn local_time(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S.000")
        .to_string()
}

#[tokio::test]
async fn another_registers_sale_in_metrc_is_the_stores_not_unknown() {
    let h = Harness::new().await;
    h.clock.set(Timestamp::now());
    let label = h.package("Grams", 0).label;
    h.sell(BUDTENDER, &label, "1");
    h.drain().await;
    let made_at = h.clock.now();
    let receipt = |number: &str| {
        Receipt::new_simple(
            h.control.now(),
            DEMO_LICENSE,
            Some(number),
            &local_time(made_at),
            vec![SaleLine {
                package_label: label.clone(),
                quantity: 1.0,
                unit_of_measure: "Grams".into(),
                total_amount: 12.5,
            }],
        )
    };
    h.control.insert_receipt(receipt("SL-REG2-000000000001"));
    let foreign = h.control.insert_receipt(receipt("OTHER-POS-77")) as i64;
    h.db.save_peer_records(&[peer("REG2", 1, DEMO_LICENSE, made_at)], made_at)
        .unwrap();
    h.advance(3600);
    let day = made_at
        .to_zoned(jiff::tz::TimeZone::get(DEMO_TIME_ZONE).unwrap())
        .date();
    let report = reconcile_day(
        &h.db,
        &h.client,
        &user_key(DEMO_MANAGER_KEY),
        DEMO_LICENSE,
        day,
        Trigger::Manual,
    )
    .await
    .expect("reconciliation runs");
    let unknown: Vec<Option<i64>> = report
        .differences
        .iter()
        .filter(|d| d.kind == DifferenceKind::UnknownExternalNumber)
        .map(|d| d.metrc_receipt_id)
        .collect();
    assert_eq!(
        unknown,
        [Some(foreign)],
        "register 2's sale is the store's; only the other system's receipt is unknown: {:#?}",
        report.differences
    );
    assert_eq!(report.run.metrc_receipts, 3);
}
