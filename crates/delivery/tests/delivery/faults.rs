//! The delivery engine against each emulator fault (SPEC section 3, issue #3): real SQLite files,
//! the real client, the emulator on loopback. Each test is named after its scenario.

use metrc_emulator::{
    DEMO_BUDTENDER, DEMO_LICENSE, Faults, LateReply, Options, RefuseConnections, RetryAfter, Seed,
    Trigger, WriteFault, WriteFaultKind,
};
use stateline_delivery::Health;
use stateline_store::{
    AttemptOutcome, EntryState, Ingredient, NewPackageOutput, NewPackages, Quantity,
};
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, MANAGER, NowTs, test_config, user_key};

fn write_fault(kind: WriteFaultKind, times: u32) -> Faults {
    Faults {
        write_faults: vec![WriteFault {
            kind,
            trigger: Trigger::next(times),
        }],
        ..Faults::default()
    }
}

fn outcomes(h: &Harness, entry_id: i64) -> Vec<AttemptOutcome> {
    h.db.entry_history(entry_id)
        .expect("history")
        .attempts
        .iter()
        .filter_map(|a| a.outcome)
        .collect()
}

#[tokio::test]
async fn sales_are_confirmed_once_with_their_original_local_time() {
    let h = Harness::new().await;
    let grams = h.package("Grams", 0);
    let sale = h.sell(BUDTENDER, &grams.label, "3.5");
    h.advance(5 * 3600);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    let receipts = h.control.receipts(DEMO_LICENSE);
    let receipt = receipts
        .iter()
        .find(|r| r.external_receipt_number.as_deref() == Some(sale.client_id.as_str()))
        .expect("the receipt is in Metrc");
    // 18:00 UTC is 11:00 in Denver (MST); five hours later the original time is still sent.
    assert_eq!(receipt.sales_date_time, "2026-11-22T11:00:00.000");
    assert_eq!(
        h.db.entry(sale.entry_id).expect("entry").metrc_id,
        Some(receipt.id as i64)
    );
    assert_eq!(h.engine.status().health, Health::InStep);
}

#[tokio::test]
async fn refused_connections_send_nothing_and_retry_after_the_backoff() {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.control.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Pending);
    assert_eq!(outcomes(&h, sale.entry_id), vec![AttemptOutcome::NotSent]);
    assert_eq!(h.engine.status().health, Health::Offline);
    h.control.clear_faults();
    h.pass().await;
    assert_eq!(
        h.state_of(sale.entry_id),
        EntryState::Pending,
        "the gate holds until the backoff ends"
    );
    h.advance(301);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
}

#[tokio::test]
async fn outage_503_makes_records_ambiguous_and_they_are_looked_up_before_any_resend() {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    assert_eq!(h.engine.status().health, Health::MetrcUnavailable);
    h.control.clear_faults();
    h.advance(301);
    h.pass().await;
    assert_eq!(
        h.state_of(sale.entry_id),
        EntryState::Ambiguous,
        "one miss is not enough"
    );
    assert_eq!(h.writes_seen(), 1);
    h.advance(61);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    assert_eq!(
        h.writes_seen(),
        2,
        "sent again only after two spaced misses"
    );
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
    assert_eq!(
        outcomes(&h, sale.entry_id),
        vec![
            AttemptOutcome::Ambiguous,
            AttemptOutcome::LookupMissed,
            AttemptOutcome::LookupMissed,
            AttemptOutcome::Confirmed
        ]
    );
}

async fn lost_reply_is_found_by_lookup_and_never_resent(kind: WriteFaultKind) {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Each", 0).label, "2");
    h.control.set_faults(write_fault(kind, 1));
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    assert_eq!(
        h.receipts_in_metrc(&sale.client_id),
        1,
        "Metrc committed it"
    );
    h.advance(301);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    assert_eq!(h.writes_seen(), 1, "never re-posted");
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
}

#[tokio::test]
async fn reply_lost_after_commit_by_hanging_is_confirmed_by_lookup() {
    lost_reply_is_found_by_lookup_and_never_resent(WriteFaultKind::LostReplyHang).await;
}

#[tokio::test]
async fn reply_lost_after_commit_by_reset_is_confirmed_by_lookup() {
    lost_reply_is_found_by_lookup_and_never_resent(WriteFaultKind::LostReplyReset).await;
}

#[tokio::test]
async fn commit_then_500_is_confirmed_by_lookup() {
    lost_reply_is_found_by_lookup_and_never_resent(WriteFaultKind::CommitThen500).await;
}

/// Issue #16 (found by the soak): Metrc lists adjustments only licence-wide, page after page. A
/// pass looking up many ambiguous adjustments reads that history once per key, not once each, so
/// lookups cannot use up Metrc's GET budget and close the gate on the sends behind them.
#[tokio::test]
async fn ambiguous_adjustments_are_looked_up_with_one_read_of_the_history() {
    let h = Harness::new().await;
    let label = h.package("Each", 0).label;
    let adjustments: Vec<i64> = (0..6)
        .map(|_| {
            h.db.record_adjustment(&stateline_store::NewAdjustment {
                licence: DEMO_LICENSE.into(),
                acting_user: MANAGER.into(),
                label: label.clone(),
                quantity: Quantity::parse("-1").expect("quantity"),
                unit_of_measure: "Each".into(),
                reason: "Scale Variance".into(),
                note: None,
                occurred_at: h.clock.now_ts(),
            })
            .expect("an adjustment")
            .entry_id
        })
        .collect();
    h.control
        .set_faults(write_fault(WriteFaultKind::CommitThen500, 1));
    h.pass().await;
    for id in &adjustments {
        assert_eq!(h.state_of(*id), EntryState::Ambiguous);
    }
    h.advance(301);
    h.control.clear_request_log();
    h.pass().await;
    for id in &adjustments {
        assert_eq!(
            h.state_of(*id),
            EntryState::Confirmed,
            "found by the lookup"
        );
    }
    let first_pages = h
        .control
        .request_log()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/packages/v2/adjustments")
        .filter(|r| r.query.iter().any(|(k, v)| k == "pageNumber" && v == "1"))
        .count();
    assert_eq!(first_pages, 1, "one read of the history for six lookups");
    assert!(
        h.control.request_log().iter().all(|r| r.method == "GET"),
        "never re-posted"
    );
}

#[tokio::test]
async fn late_landing_write_is_not_resent_before_the_settle_window() {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 1).label, "1");
    h.control.set_faults(write_fault(
        WriteFaultKind::LateWrite {
            delay_ms: 1500,
            reply: LateReply::Status500,
        },
        1,
    ));
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    h.advance(301);
    h.pass().await;
    assert_eq!(
        h.receipts_in_metrc(&sale.client_id),
        0,
        "the write has not landed yet"
    );
    assert_eq!(
        h.state_of(sale.entry_id),
        EntryState::Ambiguous,
        "first lookup missed"
    );
    assert_eq!(h.writes_seen(), 1, "no resend before the settle window");
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    h.advance(61);
    h.pass().await;
    assert_eq!(
        h.state_of(sale.entry_id),
        EntryState::Confirmed,
        "the second lookup found it"
    );
    assert_eq!(h.writes_seen(), 1);
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
}

#[tokio::test]
async fn a_failing_lookup_sends_nothing() {
    let h = Harness::new().await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.control
        .set_faults(write_fault(WriteFaultKind::CommitThen500, 1));
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    for _ in 0..3 {
        h.advance(301);
        h.pass().await;
    }
    assert_eq!(h.state_of(sale.entry_id), EntryState::Ambiguous);
    assert_eq!(h.writes_seen(), 1, "a failed lookup never leads to a send");
    assert!(outcomes(&h, sale.entry_id).contains(&AttemptOutcome::LookupFailed));
    h.control.clear_faults();
    h.advance(301);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
    assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
}

async fn rate_limited_harness(retry_after: RetryAfter, seconds: u64) -> Harness {
    let options = Options {
        retry_after,
        retry_after_seconds: seconds,
        ..Options::default()
    };
    let h = Harness::with(Seed::demo(jiff::Timestamp::now()), options, test_config()).await;
    h.control.set_faults(Faults {
        rate_limit_storm: Some(metrc_emulator::RateLimitStorm {
            gets_only: false,
            trigger: Trigger::next(1),
        }),
        ..Faults::default()
    });
    h
}

#[tokio::test]
async fn rate_limited_with_retry_after_seconds_sends_nothing_before_the_deadline() {
    let h = rate_limited_harness(RetryAfter::Seconds, 600).await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Pending);
    assert_eq!(h.engine.status().health, Health::RateLimited);
    let requests = h.control.request_log().len();
    h.advance(590);
    h.pass().await;
    assert_eq!(
        h.control.request_log().len(),
        requests,
        "no request before Retry-After"
    );
    h.advance(11);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
}

#[tokio::test]
async fn rate_limited_with_retry_after_date_sends_nothing_before_the_deadline() {
    let h = rate_limited_harness(RetryAfter::HttpDate, 600).await;
    // An HTTP date is absolute and the emulator writes it from the real clock.
    h.clock.set(jiff::Timestamp::now());
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Pending);
    let requests = h.control.request_log().len();
    h.advance(400);
    h.pass().await;
    assert_eq!(
        h.control.request_log().len(),
        requests,
        "no request before Retry-After"
    );
    h.advance(3600);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
}

#[tokio::test]
async fn rate_limited_without_retry_after_backs_off() {
    let h = rate_limited_harness(RetryAfter::Absent, 0).await;
    let sale = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Pending);
    assert!(outcomes(&h, sale.entry_id).contains(&AttemptOutcome::RateLimited));
    h.advance(2);
    h.pass().await;
    assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
}

#[tokio::test]
async fn a_revoked_key_parks_only_its_users_records_until_a_new_key_releases_them() {
    let h = Harness::new().await;
    let label = h.package("Grams", 0).label;
    let bea_first = h.sell(BUDTENDER, &label, "1");
    let max_first = h.sell(MANAGER, &label, "1");
    assert!(h.control.revoke_user_key(DEMO_BUDTENDER));
    h.advance(60);
    let bea_second = h.sell(BUDTENDER, &label, "1");
    h.pass().await;
    assert_eq!(
        h.state_of(max_first.entry_id),
        EntryState::Confirmed,
        "others keep flowing"
    );
    assert_eq!(h.state_of(bea_first.entry_id), EntryState::WaitingForKey);
    assert_eq!(h.state_of(bea_second.entry_id), EntryState::WaitingForKey);
    let status = h.engine.status();
    assert_eq!(status.health, Health::KeyProblem);
    let bea = status
        .users
        .iter()
        .find(|u| u.user == BUDTENDER)
        .expect("bea's status");
    assert!(
        bea.key_problem
            .as_deref()
            .is_some_and(|p| p.contains("paste a new key")),
        "{bea:?}"
    );
    // Nothing of bea's ever goes under max's key.
    let new_key = "demo-budtender-key-9999";
    assert!(h.control.set_user_key(DEMO_BUDTENDER, new_key));
    h.keys.set_user_key(BUDTENDER, user_key(new_key));
    assert_eq!(h.engine.release_user(BUDTENDER).await.expect("release"), 2);
    h.advance(3600);
    h.pass().await;
    assert_eq!(h.state_of(bea_first.entry_id), EntryState::Confirmed);
    assert_eq!(h.state_of(bea_second.entry_id), EntryState::Confirmed);
    let receipts = h.control.receipts(DEMO_LICENSE);
    let in_metrc = |client_id: &str| {
        receipts
            .iter()
            .find(|r| r.external_receipt_number.as_deref() == Some(client_id))
            .expect("in Metrc")
    };
    let times: Vec<&str> = [&bea_first, &bea_second]
        .iter()
        .map(|s| in_metrc(&s.client_id).sales_date_time.as_str())
        .collect();
    for sale in [&bea_first, &bea_second] {
        assert_eq!(
            in_metrc(&sale.client_id).recorded_by_user_name.as_deref(),
            Some(DEMO_BUDTENDER),
            "a budtender's sale is only ever sent under her own key"
        );
    }
    assert_eq!(
        in_metrc(&max_first.client_id)
            .recorded_by_user_name
            .as_deref(),
        Some(metrc_emulator::DEMO_MANAGER)
    );
    assert_eq!(
        times,
        vec!["2026-11-22T11:00:00.000", "2026-11-22T11:01:00.000"],
        "original times"
    );
    let writers: Vec<Option<String>> = h
        .control
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.status == Some(200))
        .map(|r| r.user)
        .collect();
    assert_eq!(
        writers
            .iter()
            .filter(|u| u.as_deref() == Some(DEMO_BUDTENDER))
            .count(),
        1,
        "bea's two sales went in one batch under her own key"
    );
}

#[tokio::test]
async fn a_400_on_one_row_rejects_only_that_row() {
    let h = Harness::new().await;
    let first = h.sell(BUDTENDER, &h.package("Grams", 0).label, "1");
    let bad_label = h.package("Grams", 1).label;
    let bad = h.sell(BUDTENDER, &bad_label, "2");
    let third = h.sell(BUDTENDER, &h.package("Grams", 2).label, "1");
    assert!(
        h.control
            .set_package_quantity(DEMO_LICENSE, &bad_label, 0.5)
    );
    h.pass().await;
    assert_eq!(h.state_of(bad.entry_id), EntryState::Rejected);
    let entry = h.db.entry(bad.entry_id).expect("entry");
    assert!(
        entry
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("Metrc refused it")),
        "{entry:?}"
    );
    for _ in 0..3 {
        h.advance(61);
        h.pass().await;
    }
    for good in [&first, &third] {
        assert_eq!(h.state_of(good.entry_id), EntryState::Confirmed);
        assert_eq!(h.receipts_in_metrc(&good.client_id), 1);
    }
    assert_eq!(h.receipts_in_metrc(&bad.client_id), 0);
}

#[tokio::test]
async fn a_413_halves_the_batch_and_every_record_lands_once() {
    let options = Options {
        object_limit: 3,
        ..Options::default()
    };
    let h = Harness::with(Seed::demo(jiff::Timestamp::now()), options, test_config()).await;
    let label = h.package("Each", 0).label;
    let sales: Vec<_> = (0..10).map(|_| h.sell(BUDTENDER, &label, "1")).collect();
    h.pass().await;
    for sale in &sales {
        assert_eq!(h.state_of(sale.entry_id), EntryState::Confirmed);
        assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
    }
    assert!(
        h.control
            .request_log()
            .iter()
            .any(|r| r.status == Some(413))
    );
}

#[tokio::test]
async fn a_split_reaches_metrc_before_the_sales_from_its_new_package() {
    let h = Harness::new().await;
    let source = h.package("Grams", 0);
    let tag = "1A4FF0100000022000099001";
    h.db.record_new_packages(&NewPackages {
        licence: DEMO_LICENSE.into(),
        acting_user: MANAGER.into(),
        occurred_at: h.clock.now_ts(),
        outputs: vec![NewPackageOutput {
            tag: tag.into(),
            item_name: None,
            quantity: Quantity::parse("5").expect("quantity"),
            unit_of_measure: source.unit_of_measure.clone(),
            ingredients: vec![Ingredient {
                label: source.label.clone(),
                quantity: Quantity::parse("5").expect("quantity"),
                unit_of_measure: source.unit_of_measure.clone(),
            }],
        }],
    })
    .expect("split recorded");
    let from_new: Vec<_> = (0..3).map(|_| h.sell(BUDTENDER, tag, "1")).collect();
    let unrelated = h.sell(BUDTENDER, &h.package("Each", 0).label, "1");
    h.control.set_faults(Faults {
        outage_503: Some(Trigger::next(1).on_path("/packages/")),
        ..Faults::default()
    });
    h.pass().await;
    assert_eq!(
        h.state_of(unrelated.entry_id),
        EntryState::Confirmed,
        "unrelated packages do not wait"
    );
    for sale in &from_new {
        assert_eq!(
            h.state_of(sale.entry_id),
            EntryState::Pending,
            "sales of the new tag wait for the split"
        );
    }
    h.drain().await;
    let log = h.control.request_log();
    let split_ok = log
        .iter()
        .position(|r| {
            r.method == "POST" && r.path.starts_with("/packages/v2") && r.status == Some(200)
        })
        .expect("the split landed");
    let new_tag_sales: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "POST" && r.path == "/sales/v2/receipts")
        .map(|(i, _)| i)
        .collect();
    assert!(new_tag_sales.iter().filter(|i| **i > split_ok).count() >= 1);
    for sale in &from_new {
        assert_eq!(h.receipts_in_metrc(&sale.client_id), 1);
    }
    let split = log
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/packages/v2"))
        .count();
    assert!(split >= 1);
    assert_eq!(
        h.control.package(DEMO_LICENSE, tag).map(|p| p.quantity),
        Some(2.0)
    );
}
