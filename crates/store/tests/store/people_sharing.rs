//! People shared across a store's registers: copies changed at different registers while cut off
//! converge part by part (the later change wins; a lock or a disabling wins a tie), in any order,
//! and a user added at one register logs in at another.

use jiff::SignedDuration;
use stateline_store::link::shared_people::{Part, SharedUser};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{Clock, Pin, Role, Session};
use stateline_testkit::store::{self as fixture, Store};

const MANAGER_PIN: &str = "73195284";
const BEA_PIN: &str = "640258";
const NEW_PIN: &str = "91827364";

fn pin(text: &str) -> Pin {
    Pin::new(text)
}

fn manager_at(store: &Store) -> Session {
    store
        .db
        .create_first_manager("Morgan", &pin(MANAGER_PIN))
        .unwrap()
}

/// Hands every user of `from` to `to`, as the store would (a pass of each).
fn hand_over(from: &Store, to: &Store, through: i64) -> usize {
    let users = from.db.shared_users().unwrap();
    to.db.merge_shared_users(&users, through).unwrap()
}

fn user(store: &Store, name: &str) -> SharedUser {
    store
        .db
        .shared_users()
        .unwrap()
        .into_iter()
        .find(|u| u.name.eq_ignore_ascii_case(name))
        .expect("the user is here")
}

fn lock_out(store: &Store, name: &str) {
    for _ in 0..5 {
        let _ = store.db.verify_pin(name, &pin("000000"));
    }
    assert!(user(store, name).locked.value);
}

#[test]
fn a_user_added_at_one_register_logs_in_at_another_and_merging_again_changes_nothing() {
    let one = fixture::register(1);
    let two = fixture::register(2);
    let morgan = manager_at(&one);
    one.db
        .add_user(&morgan.actor, "Bea", Role::Budtender, &pin(BEA_PIN))
        .unwrap();

    assert_eq!(hand_over(&one, &two, 2), 2);
    assert_eq!(two.db.people_pulled_through().unwrap(), 2);
    let bea = two.db.verify_pin("bea", &pin(BEA_PIN)).unwrap();
    assert_eq!(bea.actor.role(), Role::Budtender);
    two.db.verify_pin("Morgan", &pin(MANAGER_PIN)).unwrap();
    assert!(!two.db.needs_first_manager().unwrap());

    assert_eq!(hand_over(&one, &two, 2), 0, "the same copy again: nothing");
    assert_eq!(hand_over(&two, &one, 2), 0, "and back: nothing");
    assert!(
        !format!("{:?}", user(&two, "Bea")).contains("argon2"),
        "a shared user's Debug leaves the PIN hash out"
    );
}

#[test]
fn a_lockout_wins_over_an_older_pin_reset_and_a_later_reset_wins_over_it() {
    let one = fixture::register(1);
    let two = fixture::register(2);
    let morgan = manager_at(&one);
    one.db
        .add_user(&morgan.actor, "Bea", Role::Budtender, &pin(BEA_PIN))
        .unwrap();
    hand_over(&one, &two, 1);

    // Cut off from each other: the manager resets Bea's PIN at register 1 at 10:00, and Bea is
    // locked out at register 2 at 10:05.
    one.clock.advance(SignedDuration::from_mins(60));
    one.db
        .reset_pin(&morgan.actor, "Bea", &pin(NEW_PIN))
        .unwrap();
    two.clock.advance(SignedDuration::from_mins(65));
    lock_out(&two, "Bea");

    hand_over(&one, &two, 2);
    hand_over(&two, &one, 2);
    for store in [&one, &two] {
        let bea = user(store, "Bea");
        assert!(bea.locked.value, "the later lockout wins");
        assert_eq!(
            store
                .db
                .verify_pin("Bea", &pin(NEW_PIN))
                .unwrap_err()
                .code(),
            "user_locked"
        );
    }
    assert_eq!(
        user(&one, "Bea"),
        user(&two, "Bea"),
        "the copies are the same"
    );

    // A reset after the lockout unlocks her everywhere, with the new PIN.
    one.clock
        .set(two.clock.now() + SignedDuration::from_mins(1));
    one.db
        .reset_pin(&morgan.actor, "Bea", &pin(NEW_PIN))
        .unwrap();
    hand_over(&one, &two, 3);
    two.db.verify_pin("Bea", &pin(NEW_PIN)).unwrap();
    assert!(!user(&two, "Bea").locked.value);
}

#[test]
fn a_disabling_wins_a_tie_and_the_merge_is_the_same_in_any_order() {
    let t = |minutes: i64| fixture::t0().as_millisecond() + minutes * 60_000;
    let base = SharedUser {
        name: "Bea".into(),
        created_at: t(0),
        role: Part {
            value: Role::Budtender,
            changed_at: t(0),
        },
        pin_hash: Part {
            value: "$argon2id$v=19$m=19456,t=2,p=1$one".into(),
            changed_at: t(0),
        },
        locked: Part {
            value: false,
            changed_at: t(0),
        },
        disabled: Part {
            value: false,
            changed_at: t(0),
        },
    };
    // Three registers change Bea while cut off: a new PIN (and unlock) at 5, a disabling at 5, a
    // promotion at 7; and an enabling at 3 that is older than the disabling.
    let mut re_pinned = base.clone();
    re_pinned.pin_hash = Part {
        value: "$argon2id$v=19$m=19456,t=2,p=1$two".into(),
        changed_at: t(5),
    };
    re_pinned.locked = Part {
        value: false,
        changed_at: t(5),
    };
    let mut disabled = base.clone();
    disabled.disabled = Part {
        value: true,
        changed_at: t(5),
    };
    let mut promoted = base.clone();
    promoted.role = Part {
        value: Role::Manager,
        changed_at: t(7),
    };
    let mut enabled_earlier = base.clone();
    enabled_earlier.disabled = Part {
        value: false,
        changed_at: t(5),
    };

    let copies = [re_pinned, disabled, promoted, enabled_earlier];
    let merge_all = |order: &[usize]| {
        order
            .iter()
            .skip(1)
            .fold(copies[order[0]].clone(), |acc, &i| acc.merged(&copies[i]))
    };
    let expected = merge_all(&[0, 1, 2, 3]);
    assert!(expected.disabled.value, "disabled wins the tie at 5");
    assert_eq!(expected.role.value, Role::Manager);
    assert!(expected.pin_hash.value.ends_with("$two"));
    for order in [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [3, 1, 2, 0]] {
        let merged = merge_all(&order);
        assert_eq!(merged, expected, "order {order:?}");
        assert_eq!(merged.merged(&merged), merged, "idempotent");
    }

    // And a register that gets the merged copy refuses the disabled user's login.
    let two = fixture::register(2);
    two.db.merge_shared_users(&[expected], 1).unwrap();
    assert_eq!(
        two.db.verify_pin("Bea", &pin(BEA_PIN)).unwrap_err().code(),
        "user_disabled"
    );
}

#[test]
fn a_manager_disables_and_enables_a_user_audited_but_not_themselves() {
    let one = fixture::register(1);
    let morgan = manager_at(&one);
    one.db
        .add_user(&morgan.actor, "Bea", Role::Budtender, &pin(BEA_PIN))
        .unwrap();
    let bea = one.db.verify_pin("Bea", &pin(BEA_PIN)).unwrap();
    assert_eq!(
        one.db
            .set_user_disabled(&bea.actor, "Morgan", true)
            .unwrap_err()
            .code(),
        "not_allowed"
    );
    assert_eq!(
        one.db
            .set_user_disabled(&morgan.actor, "morgan", true)
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    one.db
        .set_user_disabled(&morgan.actor, "Bea", true)
        .unwrap();
    assert_eq!(
        one.db.verify_pin("Bea", &pin(BEA_PIN)).unwrap_err().code(),
        "user_disabled"
    );
    one.db
        .set_user_disabled(&morgan.actor, "Bea", false)
        .unwrap();
    one.db.verify_pin("Bea", &pin(BEA_PIN)).unwrap();
    let audit = one
        .db
        .audit_entries(&AuditQuery {
            action: Some(AuditAction::UserDisabled),
            ..AuditQuery::default()
        })
        .unwrap();
    let details: Vec<_> = audit.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(details.len(), 2);
    assert!(details.contains(&"disabled") && details.contains(&"enabled"));
}
