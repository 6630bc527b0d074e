//! The store-wide views a register reads from its own SQLite (issue #13): the records of the
//! whole store or of one register (own outbox + the pulled copy), the registers known by name
//! with how fresh the copy is, and which sales another register made.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use stateline_store::link::peer_records::PeerFilter;
use stateline_store::link::store_records::{RecordScope, StoreRecord, StoreRecordFilter};
use stateline_store::outbox::{EntryKind, EntryState};
use stateline_store::{PeerRecord, PeerStateChange};
use stateline_testkit::store::{self as fixture, A, LIC, line, sale_by};

fn peer(register: &str, seq: i64, kind: &str, user: &str, at: Timestamp) -> PeerRecord {
    PeerRecord {
        register_id: register.into(),
        local_seq: seq,
        client_id: format!("SL-{register}-{seq:012}"),
        kind: kind.into(),
        licence: LIC.into(),
        acting_user: user.into(),
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

fn filter(scope: RecordScope) -> StoreRecordFilter {
    StoreRecordFilter {
        scope,
        licence: None,
        acting_user: None,
        kind: None,
        states: Vec::new(),
        limit: 100,
    }
}

fn who(records: &[StoreRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            StoreRecord::Own(e) => format!("own:{}", e.acting_user),
            StoreRecord::Peer(p) => format!("{}:{}", p.register_id, p.acting_user),
        })
        .collect()
}

#[test]
fn a_scope_lists_this_register_the_whole_store_or_one_register_newest_first() {
    let store = fixture::store();
    let db = &store.db;
    let t0 = fixture::t0();
    let mins = |m: i64| t0.checked_add(SignedDuration::from_mins(m)).unwrap();
    let mut own = sale_by("alice", vec![line(A, "1")]);
    own.occurred_at = mins(10);
    store.clock.set(mins(10));
    db.record_sale(&own).unwrap();
    db.save_peer_records(
        &[
            peer("REG2", 1, "sale", "bea", mins(5)),
            peer("REG2", 2, "adjustment", "bea", mins(20)),
            peer("REG3", 1, "sale", "cy", mins(15)),
        ],
        mins(30),
    )
    .unwrap();
    db.apply_peer_states(&[state("REG2", 1, "confirmed", 1)])
        .unwrap();

    let mine = db
        .store_records(&filter(RecordScope::ThisRegister))
        .unwrap();
    assert_eq!(who(&mine), ["own:alice"], "the default is unchanged");
    let same = db
        .store_records(&filter(RecordScope::Register(db.install_id().into())))
        .unwrap();
    assert_eq!(who(&same), ["own:alice"]);

    let all = db.store_records(&filter(RecordScope::Store)).unwrap();
    assert_eq!(
        who(&all),
        ["REG2:bea", "REG3:cy", "own:alice", "REG2:bea"],
        "newest first, whichever register made them"
    );
    let reg2 = db
        .store_records(&filter(RecordScope::Register("REG2".into())))
        .unwrap();
    assert_eq!(who(&reg2), ["REG2:bea", "REG2:bea"]);

    let mut waiting = filter(RecordScope::Store);
    waiting.states = vec![EntryState::Pending];
    let waiting = db.store_records(&waiting).unwrap();
    assert_eq!(
        who(&waiting),
        ["REG2:bea", "REG3:cy", "own:alice"],
        "a record not told yet counts as pending; REG2's first sale is confirmed"
    );
    let mut sales = filter(RecordScope::Store);
    sales.kind = Some(EntryKind::Sale);
    sales.limit = 2;
    assert_eq!(
        who(&db.store_records(&sales).unwrap()),
        ["REG3:cy", "own:alice"]
    );

    let open = db
        .peer_entries(&PeerFilter {
            open_only: true,
            ..PeerFilter::default()
        })
        .unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|p| p.is_open()));
    let in_window = db
        .peer_entries(&PeerFilter {
            from: Some(mins(5)),
            to: Some(mins(15)),
            ..PeerFilter::default()
        })
        .unwrap();
    assert_eq!(in_window.len(), 1, "from inclusive, to exclusive");

    assert!(db.is_peer_sale("SL-REG3-000000000001").unwrap());
    assert!(
        !db.is_peer_sale("SL-REG2-000000000002").unwrap(),
        "an adjustment is no sale"
    );
}

#[test]
fn registers_are_known_by_name_with_the_time_of_the_last_sync_and_keep_their_name_after_leaving() {
    let store = fixture::store();
    let db = &store.db;
    assert_eq!(db.known_registers().unwrap().as_of, None);
    let t0 = fixture::t0();
    db.remember_registers(
        &[
            ("REG2".into(), "Register 2".into()),
            ("REG1".into(), "register 1".into()),
        ],
        t0,
    )
    .unwrap();
    let later = t0.checked_add(SignedDuration::from_mins(3)).unwrap();
    db.remember_registers(&[("REG1".into(), "Register 1".into())], later)
        .unwrap();
    let known = db.known_registers().unwrap();
    assert_eq!(known.as_of, Some(later));
    let names: Vec<(&str, bool)> = known
        .registers
        .iter()
        .map(|r| (r.name.as_str(), r.current))
        .collect();
    assert_eq!(names, [("Register 1", true), ("Register 2", false)]);
    assert_eq!(known.name_of("REG2"), Some("Register 2"));

    db.forget_store().unwrap();
    assert_eq!(
        db.known_registers().unwrap(),
        Default::default(),
        "leaving forgets them"
    );
}
