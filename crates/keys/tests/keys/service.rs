//! The key service end to end: real SQLite file, the Metrc emulator on loopback, the delivery
//! engine sending with the key ring, and an in-memory keychain (the real keychain is covered by
//! `keychain.rs` and the CLI's tests). Attribution (SPEC guarantee 5), check-before-save, roles,
//! overrides and their audit entries, login checks, checks after a refusal, licence discovery.

use std::sync::Arc;
use std::time::Duration;

use metrc_emulator::{
    DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER_KEY, Faults, Permission,
    RefuseConnections, Seed, Trigger,
};
use stateline_api::compose;
use stateline_delivery::DeliveryEngine;
use stateline_keys::{CheckSchedule, KeyChecks, KeyHolder, KeyMode, KeyPolicy, Keys};
use stateline_secrets::{MemoryState, MemoryStore, Secrets};
use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::{EntryState, Pin, Role, Session};
use stateline_testkit::delivery as support;
use support::{Harness, NowTs, test_config, user_key};

const SECOND_BUDTENDER_KEY: &str = "demo-second-budtender-key-3333";
const PIN: &str = "52718364";

struct Setup {
    h: Harness,
    store: Arc<MemoryStore>,
    keys: Keys,
    engine: DeliveryEngine,
    max: Session,
    bea: Session,
    cruz: Session,
}

fn pin() -> Pin {
    Pin::new(PIN)
}

/// The demo seed plus a second budtender (`cruz`) with sales permissions only.
fn seed() -> Seed {
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.add_user(
        "cruz",
        SECOND_BUDTENDER_KEY,
        &[(DEMO_LICENSE, Permission::sales_only())],
    );
    seed
}

async fn setup() -> Setup {
    let h = Harness::with(seed(), Default::default(), test_config()).await;
    let store = Arc::new(MemoryStore::new());
    let secrets = Secrets::with_installer_vendor_key(store.clone(), None);
    let (keys, engine) =
        compose::keys_and_engine(&h.db, &secrets, &h.client, "demo", test_config());
    keys.load().await.unwrap();
    let max = h.db.create_first_manager("max", &pin()).unwrap();
    for name in ["bea", "cruz"] {
        h.db.add_user(&max.actor, name, Role::Budtender, &pin())
            .unwrap();
    }
    let bea = h.db.verify_pin("bea", &pin()).unwrap();
    let cruz = h.db.verify_pin("cruz", &pin()).unwrap();
    Setup {
        h,
        store,
        keys,
        engine,
        max,
        bea,
        cruz,
    }
}

fn user(name: &str) -> KeyHolder {
    KeyHolder::User(name.into())
}

impl Setup {
    async fn drain(&self) {
        for _ in 0..30 {
            self.engine.run_once().await.unwrap();
            if self.h.count(EntryState::Pending) + self.h.count(EntryState::Ambiguous) == 0 {
                return;
            }
            self.h.advance(120);
        }
        panic!("did not drain: {:?}", self.h.db.counts(None));
    }

    /// Successful receipt POSTs the emulator saw, by Metrc user.
    fn receipt_posts_by(&self, metrc_user: &str) -> usize {
        self.h
            .control
            .request_log()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/sales/v2/receipts")
            .filter(|r| r.status == Some(200) && r.user.as_deref() == Some(metrc_user))
            .count()
    }

    fn audit(&self, action: AuditAction) -> Vec<stateline_store::people::audit::AuditEntry> {
        self.h
            .db
            .audit_entries(&AuditQuery {
                action: Some(action),
                ..AuditQuery::default()
            })
            .unwrap()
    }
}

#[tokio::test]
async fn a_revoked_key_parks_only_its_users_records_and_a_new_key_releases_them_with_original_times()
 {
    let s = setup().await;
    let saved = s
        .keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    assert!(saved.saved, "{:?}", saved.validation.verdict);
    s.keys
        .set_key(&s.cruz.actor, &user("cruz"), user_key(SECOND_BUDTENDER_KEY))
        .await
        .unwrap();

    // Offline (the network is down): both sell; nothing reaches Metrc.
    s.h.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    let label = s.h.package("Grams", 0).label;
    let mut sales = Vec::new();
    for (i, who) in ["bea", "cruz", "bea", "cruz"].iter().enumerate() {
        s.h.advance(60 * (i as i64 + 1));
        sales.push((*who, s.h.clock.now_ts(), s.h.sell(who, &label, "1")));
    }
    s.engine.run_once().await.unwrap();
    // Meanwhile bea's key is revoked in Metrc; then Metrc comes back.
    assert!(s.h.control.revoke_user_key(DEMO_BUDTENDER));
    s.h.control.clear_faults();
    s.h.advance(600);
    s.drain().await;

    for (who, _, sale) in &sales {
        let state = s.h.state_of(sale.entry_id);
        let in_metrc = s.h.receipts_in_metrc(&sale.client_id);
        match *who {
            "cruz" => assert_eq!((state, in_metrc), (EntryState::Confirmed, 1)),
            _ => assert_eq!((state, in_metrc), (EntryState::WaitingForKey, 0)),
        }
    }
    assert!(s.receipt_posts_by("cruz") >= 1);
    assert_eq!(s.receipt_posts_by(DEMO_BUDTENDER), 0);
    assert_eq!(
        s.h.db.waiting_for_key_by_user().unwrap(),
        vec![("bea".to_owned(), 2)]
    );

    // bea gets a new key in Metrc and pastes it: her records go out, under her key, with their
    // original times.
    const NEW_KEY: &str = "demo-budtender-key-rotated-9999";
    assert!(s.h.control.set_user_key(DEMO_BUDTENDER, NEW_KEY));
    let saved = s
        .keys
        .set_key(&s.bea.actor, &user("bea"), user_key(NEW_KEY))
        .await
        .unwrap();
    assert_eq!((saved.saved, saved.released), (true, 2));
    s.drain().await;
    assert!(s.receipt_posts_by(DEMO_BUDTENDER) >= 1);
    let receipts = s.h.control.receipts(DEMO_LICENSE);
    for (_, at, sale) in &sales {
        let receipt = receipts
            .iter()
            .find(|r| r.external_receipt_number.as_deref() == Some(&sale.client_id))
            .expect("every sale is in Metrc once");
        let local = at
            .to_zoned(jiff::tz::TimeZone::get("America/Denver").unwrap())
            .datetime();
        assert!(
            receipt
                .sales_date_time
                .starts_with(&local.strftime("%Y-%m-%dT%H:%M:%S").to_string()),
            "{} vs {local}",
            receipt.sales_date_time
        );
    }
    let key_sets = s.audit(AuditAction::KeySet);
    assert_eq!(key_sets.len(), 3);
    assert!(
        key_sets[0].detail.contains("9999"),
        "{}",
        key_sets[0].detail
    );

    // While the database is open (so its WAL still exists), no file of it holds a key.
    let mut scanned = 0;
    for entry in std::fs::read_dir(s.h.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        for key in [DEMO_BUDTENDER_KEY, SECOND_BUDTENDER_KEY, NEW_KEY] {
            assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()));
        }
    }
    assert!(scanned > 100_000, "the database and its WAL were scanned");
}

#[tokio::test]
async fn a_key_metrc_refuses_is_not_saved_and_an_unreachable_metrc_does_not_block_saving() {
    let s = setup().await;
    let refused = s
        .keys
        .set_key(&s.bea.actor, &user("bea"), user_key("not-a-real-key-0000"))
        .await
        .unwrap();
    assert!(!refused.saved);
    assert_eq!(refused.validation.verdict.code(), "key_invalid");
    assert!(s.store.is_empty(), "nothing reached the keychain");
    assert!(
        s.keys
            .info(&s.bea.actor, &user("bea"))
            .await
            .unwrap()
            .is_none()
    );

    s.h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let offline = s
        .keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    assert!(offline.saved);
    assert_eq!(offline.validation.verdict.code(), "could_not_check");
    let info = s
        .keys
        .info(&s.bea.actor, &user("bea"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.last_four, "1111");
    assert_eq!(info.verdict.as_deref(), Some("could_not_check"));
    assert_eq!(
        info.entry,
        format!("metrc-user:demo:{}.user-2", s.h.db.install_id())
    );
}

#[tokio::test]
async fn a_locked_keychain_is_reported_and_nothing_is_written() {
    let s = setup().await;
    s.store.set_state(MemoryState::Locked);
    let err = s
        .keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "keychain_locked");
    assert!(
        s.keys
            .info(&s.bea.actor, &user("bea"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.audit(AuditAction::KeySet).is_empty());
    let overview = s.keys.overview(&s.max.actor).await.unwrap();
    assert_eq!(overview.keychain_problem.unwrap().code, "keychain_locked");
    // Selling goes on: the record waits for a key.
    let sale = s.h.sell("bea", &s.h.package("Grams", 0).label, "1");
    s.engine.run_once().await.unwrap();
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);
}

#[tokio::test]
async fn roles_decide_who_may_touch_which_key() {
    let s = setup().await;
    let bea = &s.bea.actor;
    fn denied<T: std::fmt::Debug>(r: Result<T, stateline_keys::KeysError>) {
        assert_eq!(r.unwrap_err().code(), "not_allowed");
    }
    denied(
        s.keys
            .set_key(bea, &user("cruz"), user_key(SECOND_BUDTENDER_KEY))
            .await,
    );
    denied(
        s.keys
            .set_key(bea, &KeyHolder::Facility, user_key(DEMO_MANAGER_KEY))
            .await,
    );
    denied(s.keys.clear(bea, &user("cruz")).await);
    denied(s.keys.validate(bea, &user("cruz")).await);
    denied(s.keys.set_policy(bea, KeyPolicy::default()).await);
    denied(s.keys.send_under_facility_key(bea, "cruz", "busy").await);
    denied(s.keys.discover_licences(bea, &user("bea")).await);
    assert!(s.store.is_empty());
    // Her own key: allowed. A manager: anyone's.
    s.keys
        .set_key(bea, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    s.keys
        .set_key(&s.max.actor, &user("cruz"), user_key(SECOND_BUDTENDER_KEY))
        .await
        .unwrap();
    assert_eq!(
        s.keys
            .validate(&s.max.actor, &user("cruz"))
            .await
            .unwrap()
            .verdict
            .code(),
        "missing_permissions"
    );
    // A budtender's overview shows only their own key.
    let mine = s.keys.overview(bea).await.unwrap();
    assert_eq!(mine.keys.len(), 1);
    assert_eq!(mine.keys[0].holder, user("bea"));
    assert_eq!(s.keys.overview(&s.max.actor).await.unwrap().keys.len(), 2);
}

#[tokio::test]
async fn the_facility_key_serves_a_waiting_user_only_by_an_allowed_audited_override() {
    let s = setup().await;
    let max = &s.max.actor;
    s.keys
        .set_key(max, &KeyHolder::Facility, user_key(DEMO_MANAGER_KEY))
        .await
        .unwrap();
    // cruz has no key: his sale waits.
    let sale = s.h.sell("cruz", &s.h.package("Grams", 1).label, "1");
    s.drain().await;
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);

    let refused = s
        .keys
        .send_under_facility_key(max, "cruz", "key lost")
        .await;
    assert_eq!(refused.unwrap_err().code(), "facility_keys_not_allowed");
    assert!(s.audit(AuditAction::FacilityKeyOverride).is_empty());

    s.keys
        .set_policy(
            max,
            KeyPolicy {
                mode: KeyMode::Individual,
                facility_overrides_allowed: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.h.state_of(sale.entry_id),
        EntryState::WaitingForKey,
        "allowing overrides alone sends nothing under the facility key"
    );
    let released = s
        .keys
        .send_under_facility_key(max, "cruz", "key lost, new one tomorrow")
        .await
        .unwrap();
    assert_eq!(released, 1);
    s.drain().await;
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::Confirmed);
    assert!(s.receipt_posts_by("manager") >= 1);
    let overrides = s.audit(AuditAction::FacilityKeyOverride);
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].actor.as_deref(), Some("max"));
    assert_eq!(overrides[0].subject, "cruz");
    assert_eq!(s.audit(AuditAction::KeyModeChanged).len(), 1);
    // cruz pastes his own key: the override ends.
    s.keys
        .set_key(&s.cruz.actor, &user("cruz"), user_key(SECOND_BUDTENDER_KEY))
        .await
        .unwrap();
    assert!(s.keys.overview(max).await.unwrap().overrides.is_empty());
    assert!(s.h.db.verify_audit().unwrap().is_intact());
}

#[tokio::test]
async fn login_asks_for_a_key_when_there_is_none_or_metrc_refuses_it() {
    let s = setup().await;
    let first = s.keys.check_at_login(&s.bea).await.unwrap();
    assert!(first.needs_key && first.key.is_none());
    s.keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    let good = s.keys.check_at_login(&s.bea).await.unwrap();
    assert!(!good.needs_key);
    assert_eq!(good.key.unwrap().last_four, "1111");
    s.h.control.revoke_user_key(DEMO_BUDTENDER);
    let revoked = s.keys.check_at_login(&s.bea).await.unwrap();
    assert!(revoked.needs_key);
    assert_eq!(revoked.key.unwrap().verdict.as_deref(), Some("key_invalid"));
    // Metrc down at login: no new key is asked for.
    s.h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    let cruz = s.keys.check_at_login(&s.cruz).await.unwrap();
    assert!(cruz.needs_key, "cruz never saved a key");
    s.keys
        .set_key(&s.cruz.actor, &user("cruz"), user_key(SECOND_BUDTENDER_KEY))
        .await
        .unwrap();
    let offline = s.keys.check_at_login(&s.cruz).await.unwrap();
    assert!(!offline.needs_key);
}

#[tokio::test]
async fn a_refusal_while_sending_triggers_a_check_that_records_the_verdict() {
    let s = setup().await;
    s.keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    let checks = KeyChecks::start(s.keys.clone(), CheckSchedule::default()).unwrap();
    s.h.control.revoke_user_key(DEMO_BUDTENDER);
    let sale = s.h.sell("bea", &s.h.package("Grams", 0).label, "1");
    s.engine.run_once().await.unwrap();
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);
    let mut verdict = None;
    for _ in 0..100 {
        verdict = s
            .keys
            .info(&s.bea.actor, &user("bea"))
            .await
            .unwrap()
            .and_then(|k| k.verdict);
        if verdict.as_deref() == Some("key_invalid") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(verdict.as_deref(), Some("key_invalid"));
    let checked = s.audit(AuditAction::KeyValidated);
    assert_eq!(checked[0].actor, None, "checked by Stateline itself");
    checks.stop(Duration::from_secs(5)).await.unwrap();
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);
}

#[tokio::test]
async fn licences_are_discovered_with_a_key_and_bound_with_an_audit_entry() {
    let h = Harness::with(
        Seed::demo_two_licences(jiff::Timestamp::now()),
        Default::default(),
        test_config(),
    )
    .await;
    let secrets = Secrets::with_installer_vendor_key(Arc::new(MemoryStore::new()), None);
    let keys = Keys::new(h.db.clone(), secrets, h.client.clone(), "demo");
    let max = h.db.create_first_manager("max", &pin()).unwrap();
    keys.set_key(&max.actor, &user("max"), user_key(DEMO_MANAGER_KEY))
        .await
        .unwrap();
    let found = keys
        .discover_licences(&max.actor, &user("max"))
        .await
        .unwrap();
    let numbers: Vec<_> = found.iter().map(|l| (l.number.as_str(), l.bound)).collect();
    assert_eq!(numbers, [(DEMO_LICENSE, true), ("403R-00002", false)]);
    keys.bind_licence(
        &max.actor,
        stateline_store::Licence {
            number: "403R-00002".into(),
            name: found[1].name.clone(),
            time_zone: "America/Denver".into(),
            reporting_deadline_hours: 24,
            object_limit: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(h.db.licences().unwrap().len(), 2);
    let bound =
        h.db.audit_entries(&AuditQuery {
            action: Some(AuditAction::LicenceBound),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(bound[0].subject, "403R-00002");
    let bad_zone = keys
        .bind_licence(
            &max.actor,
            stateline_store::Licence {
                number: "403R-00003".into(),
                name: "x".into(),
                time_zone: "Mars/Olympus".into(),
                reporting_deadline_hours: 24,
                object_limit: None,
            },
        )
        .await;
    assert_eq!(bad_zone.unwrap_err().code(), "invalid_time_zone");
    assert_eq!(h.db.licences().unwrap().len(), 2);
}

#[tokio::test]
async fn the_daily_check_finds_a_key_that_works_again_and_releases_its_records() {
    let s = setup().await;
    s.keys
        .set_key(&s.bea.actor, &user("bea"), user_key(DEMO_BUDTENDER_KEY))
        .await
        .unwrap();
    s.h.control.revoke_user_key(DEMO_BUDTENDER);
    let sale = s.h.sell("bea", &s.h.package("Grams", 0).label, "1");
    s.engine.run_once().await.unwrap();
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);
    // Metrc support re-enables the same key; nobody touches the register.
    assert!(s.h.control.set_user_key(DEMO_BUDTENDER, DEMO_BUDTENDER_KEY));
    let schedule = CheckSchedule {
        tick: Duration::from_millis(20),
        ..CheckSchedule::default()
    };
    let checks = KeyChecks::start(s.keys.clone(), schedule).unwrap();
    // Within the day nothing is re-checked.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.h.state_of(sale.entry_id), EntryState::WaitingForKey);
    // A day later the periodic check runs, finds the key usable and releases the record.
    s.h.advance(25 * 3600);
    let mut state = EntryState::WaitingForKey;
    for _ in 0..100 {
        state = s.h.state_of(sale.entry_id);
        if state == EntryState::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, EntryState::Pending);
    checks.stop(Duration::from_secs(5)).await.unwrap();
    s.drain().await;
    assert_eq!(s.h.receipts_in_metrc(&sale.client_id), 1);
}
