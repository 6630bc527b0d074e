//! Seeds: demo contents, JSON round trip, validation.
use metrc_emulator::*;

#[test]
fn demo_seed_has_what_the_spec_promises() {
    let seed = Seed::demo(jiff::Timestamp::now());
    assert_eq!(seed.packages.len(), 24);
    assert!(seed.packages.iter().any(|p| p.unit_of_measure == "Grams"));
    assert!(seed.packages.iter().any(|p| p.unit_of_measure == "Each"));
    assert!(seed.adjust_reasons.iter().any(|r| r.requires_note));
    assert_eq!(seed.transfers.len(), 1);
    assert_eq!(seed.facilities[0].time_zone, DEMO_TIME_ZONE);
    assert!(seed.packages.iter().all(|p| p.label.len() == 24));
    seed.validate().unwrap();
    Seed::demo_two_licences(jiff::Timestamp::now())
        .validate()
        .unwrap();
}

#[test]
fn seed_json_round_trip_and_file() {
    let seed = Seed::demo_two_licences(jiff::Timestamp::now());
    let text = serde_json::to_string_pretty(&seed).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &text).unwrap();
    assert_eq!(Seed::from_json_file(file.path()).unwrap(), seed);
    std::fs::write(file.path(), "{\"facilities\": 3}").unwrap();
    assert!(matches!(
        Seed::from_json_file(file.path()),
        Err(EmulatorError::ParseFile { .. })
    ));
}

#[test]
fn invalid_seed_is_rejected() {
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.packages[0].item_id = 9999;
    assert!(matches!(
        seed.validate(),
        Err(EmulatorError::InvalidSeed(_))
    ));
    let mut seed = Seed::demo(jiff::Timestamp::now());
    seed.facilities[0].time_zone = "Mars/Olympus".into();
    assert!(seed.validate().is_err());
}

#[test]
fn options_and_faults_defaults_and_partial_json() {
    let o: Options = serde_json::from_str(r#"{"object_limit": 3}"#).unwrap();
    assert_eq!(o.object_limit, 3);
    assert_eq!(o.batch_mode, BatchMode::AllOrNothing);
    assert!(!o.reject_duplicate_external_receipt_number);
    let f: Faults = serde_json::from_str(
        r#"{"write_faults": [{"kind": {"type": "late_write", "delay_ms": 5, "reply": "hang"}, "trigger": {"count": 2}}]}"#,
    )
    .unwrap();
    assert_eq!(f.write_faults[0].trigger.count, Some(2));
    assert_eq!(Faults::default(), serde_json::from_str("{}").unwrap());
    let f: Faults = serde_json::from_str(
        r#"{"write_faults": [{"kind": {"type": "commit_then_500"}},
            {"kind": {"type": "late_write", "delay_ms": 1, "reply": "status_503"}}]}"#,
    )
    .unwrap();
    assert_eq!(f.write_faults[0].kind, WriteFaultKind::CommitThen500);
    assert_eq!(
        f.write_faults[1].kind,
        WriteFaultKind::LateWrite {
            delay_ms: 1,
            reply: LateReply::Status503
        }
    );
}

#[test]
fn routes_are_listed() {
    assert!(ROUTES.contains(&("GET", "/sales/v2/receipts/external/{externalNumber}")));
    assert!(ROUTES.contains(&("POST", "/packages/v2")));
    for p in Permission::all() {
        assert_eq!(p.name().parse::<Permission>().unwrap(), p);
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    fn check_send<T: Send + Sync>() {}
    check::<Control>();
    check_send::<Emulator>();
    check::<Faults>();
    check::<Options>();
    check::<Seed>();
}
