//! Reporting deadlines: warning levels at their boundaries, the per-state defaults a manager can
//! edit (audited; a budtender is refused), licences added with a state's default, and the warning
//! in the delivery status snapshot.

use jiff::{SignedDuration, Timestamp};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{Actor, Clock, DeadlineWarning, NewLicence, Pin, Role};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, MANAGER};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn level(deadline_hours: u32, left: SignedDuration) -> DeadlineWarning {
    let now = t("2026-11-22T12:00:00Z");
    DeadlineWarning::at(Some(now + left), deadline_hours, now)
}

#[test]
fn a_24_hour_deadline_warns_in_its_last_quarter() {
    let h = SignedDuration::from_hours;
    let ms = SignedDuration::from_millis;
    assert_eq!(level(24, h(24)), DeadlineWarning::Ok);
    assert_eq!(level(24, h(6)), DeadlineWarning::Ok, "exactly 25% left");
    assert_eq!(level(24, h(6) - ms(1)), DeadlineWarning::Soon);
    assert_eq!(level(24, ms(1)), DeadlineWarning::Soon);
    assert_eq!(level(24, SignedDuration::ZERO), DeadlineWarning::Overdue);
    assert_eq!(level(24, -h(3)), DeadlineWarning::Overdue);
}

#[test]
fn a_short_deadline_warns_two_hours_ahead() {
    let h = SignedDuration::from_hours;
    let ms = SignedDuration::from_millis;
    assert_eq!(level(4, h(2)), DeadlineWarning::Ok, "exactly 2 h left");
    assert_eq!(level(4, h(2) - ms(1)), DeadlineWarning::Soon);
    assert_eq!(
        level(1, h(1)),
        DeadlineWarning::Soon,
        "1 h deadline: always soon"
    );
    assert_eq!(level(1, ms(0)), DeadlineWarning::Overdue);
}

#[test]
fn nothing_waiting_is_never_a_warning() {
    assert_eq!(
        DeadlineWarning::at(None, 24, t("2026-11-22T12:00:00Z")),
        DeadlineWarning::Ok
    );
    assert_eq!(DeadlineWarning::Soon.code(), "soon");
}

fn staff(h: &Harness) -> (Actor, Actor) {
    let manager =
        h.db.create_first_manager(MANAGER, &Pin::new("48151623"))
            .unwrap()
            .actor;
    h.db.add_user(&manager, BUDTENDER, Role::Budtender, &Pin::new("42424242"))
        .unwrap();
    let budtender =
        h.db.verify_pin(BUDTENDER, &Pin::new("42424242"))
            .unwrap()
            .actor;
    (manager, budtender)
}

#[tokio::test]
async fn managers_edit_state_defaults_with_an_audit_entry_and_budtenders_cannot() {
    let h = Harness::new().await;
    let (manager, budtender) = staff(&h);
    let defaults = h.db.state_deadlines().unwrap();
    assert_eq!(defaults.len(), 51);
    assert!(defaults.iter().all(|d| d.hours == 24 && d.assumed));

    let refused = h.db.set_state_deadline(&budtender, "CO", 12).unwrap_err();
    assert_eq!(refused.code(), "not_allowed");
    assert_eq!(h.db.state_deadline("co").unwrap().hours, 24);
    for (state, hours) in [("Colorado", 12), ("CO", 0), ("CO", 9000)] {
        let err = h.db.set_state_deadline(&manager, state, hours).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{state} {hours}");
    }
    let audits = |h: &Harness| {
        h.db.audit_entries(&AuditQuery {
            action: Some(AuditAction::DeadlineChanged),
            ..AuditQuery::default()
        })
        .unwrap()
    };
    assert!(audits(&h).is_empty(), "refusals write nothing");

    let set = h.db.set_state_deadline(&manager, "co", 12).unwrap();
    assert_eq!(
        (set.state.as_str(), set.hours, set.assumed),
        ("CO", 12, false)
    );
    assert_eq!(set.updated_by.as_deref(), Some(MANAGER));
    let entries = audits(&h);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor.as_deref(), Some(MANAGER));
    assert_eq!(entries[0].subject, "state CO");
    assert!(
        entries[0].detail.contains("24 h (assumed) -> 12 h"),
        "{}",
        entries[0].detail
    );

    let by_default =
        h.db.add_licence_in_state(&NewLicence {
            number: "403R-00777".into(),
            name: "Second store".into(),
            time_zone: "America/Denver".into(),
            state: "CO".into(),
            reporting_deadline_hours: None,
            object_limit: None,
        })
        .unwrap();
    assert_eq!(by_default.reporting_deadline_hours, 12);
    assert_eq!(
        h.db.licence("403R-00777").unwrap().reporting_deadline_hours,
        12
    );
    let explicit =
        h.db.add_licence_in_state(&NewLicence {
            number: "403R-00778".into(),
            name: "Third store".into(),
            time_zone: "America/Denver".into(),
            state: "CO".into(),
            reporting_deadline_hours: Some(48),
            object_limit: None,
        })
        .unwrap();
    assert_eq!(explicit.reporting_deadline_hours, 48);
}

#[tokio::test]
async fn the_status_snapshot_counts_down_to_the_deadline() {
    let h = Harness::new().await;
    h.engine.publish().await;
    assert_eq!(h.engine.status().deadline_warning, DeadlineWarning::Ok);
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    let made = h.clock.now();
    h.engine.publish().await;
    let status = h.engine.status();
    assert_eq!(status.deadline_warning, DeadlineWarning::Ok);
    assert_eq!(status.licences[0].deadline_warning, DeadlineWarning::Ok);
    assert_eq!(
        status.deadline_at,
        Some(made + SignedDuration::from_hours(24))
    );

    h.clock
        .set(made + SignedDuration::from_hours(18) + SignedDuration::from_secs(1));
    h.engine.publish().await;
    assert_eq!(h.engine.status().deadline_warning, DeadlineWarning::Soon);
    h.clock.set(made + SignedDuration::from_hours(24));
    h.engine.publish().await;
    assert_eq!(
        h.engine.status().licences[0].deadline_warning,
        DeadlineWarning::Overdue
    );

    h.pass().await;
    h.engine.publish().await;
    let done = h.engine.status();
    assert_eq!(
        h.state_of(sale.entry_id),
        stateline_store::EntryState::Confirmed
    );
    assert_eq!(done.deadline_warning, DeadlineWarning::Ok, "nothing waits");
}
