//! Incremental inventory refresh and incoming manifests against the Metrc emulator: only the
//! windows since the watermark are asked, Metrc's changes and finished packages arrive, pending
//! local effects survive, a refresh failing half-way changes nothing, manifests read offline.

use jiff::{SignedDuration, Timestamp};
use metrc::{ReadLimiter, ReadLimits};
use metrc_emulator::{
    DEMO_LICENSE, DEMO_MANAGER_KEY, Delivery, Faults, Transfer, TransferPackage, Trigger,
};
use stateline_delivery::refresh::manifests::refresh_manifests;
use stateline_delivery::refresh::{RefreshOptions, Refreshed, refresh_licence_with};
use stateline_store::inventory::Dataset;
use stateline_testkit::delivery as support;
use support::{BUDTENDER, Harness, user_key};

fn options() -> RefreshOptions {
    RefreshOptions::default()
}

fn full() -> RefreshOptions {
    RefreshOptions {
        full: true,
        ..RefreshOptions::default()
    }
}

async fn refresh(
    h: &Harness,
    options: &RefreshOptions,
) -> Result<Refreshed, stateline_delivery::DeliveryError> {
    refresh_licence_with(
        &h.db,
        &h.client,
        &user_key(DEMO_MANAGER_KEY),
        DEMO_LICENSE,
        options,
    )
    .await
}

/// Sets the register's clock to the real time plus `seconds`, in whole seconds (the emulator
/// stamps changes with real time; Metrc's filters carry whole seconds).
fn now_plus(h: &Harness, seconds: i64) -> Timestamp {
    let t = Timestamp::from_second(Timestamp::now().as_second() + seconds).expect("a time");
    h.clock.set(t);
    t
}

fn param(query: &[(String, String)], name: &str) -> Option<Timestamp> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.parse().expect("a timestamp"))
}

/// The `(start, end)` windows of the GETs to `path`, in request order.
fn windows_asked(h: &Harness, path: &str) -> Vec<(Option<Timestamp>, Option<Timestamp>)> {
    h.control
        .request_log()
        .iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .map(|r| {
            (
                param(&r.query, "lastModifiedStart"),
                param(&r.query, "lastModifiedEnd"),
            )
        })
        .collect()
}

fn milli(h: &Harness, label: &str) -> (i64, i64) {
    let p = h.db.package(label).expect("package");
    (p.metrc_quantity.milli(), p.on_hand.milli())
}

#[tokio::test]
async fn an_incremental_refresh_asks_only_the_windows_since_the_watermark() {
    let h = Harness::new().await;
    let base = now_plus(&h, -30 * 3600);
    assert!(refresh(&h, &full()).await.expect("full refresh").full);
    let mark =
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Packages)
            .unwrap()
            .unwrap();
    assert_eq!(mark.window_end, base);

    let changed = h.package("Grams", 0);
    let finished = h.package("Grams", 1);
    let untouched = h.package("Each", 0);
    h.sell(BUDTENDER, &changed.label, "1.5");
    assert!(
        h.control
            .set_package_quantity(DEMO_LICENSE, &changed.label, 200.0)
    );
    assert!(h.control.finish_package(DEMO_LICENSE, &finished.label));
    h.control.clear_request_log();
    let now = now_plus(&h, 1);

    let limited = RefreshOptions {
        limiter: Some(h.engine.read_limiter()),
        ..options()
    };
    let r = refresh(&h, &limited).await.expect("incremental refresh");
    assert!(!r.full);
    assert_eq!(
        r.windows, 2,
        "30 hours since the watermark are two windows of at most 24 h"
    );
    assert_eq!(r.packages, 1, "only the changed package is listed: {r:?}");
    assert_eq!(r.retired, 1);

    for path in ["/packages/v2/active", "/packages/v2/inactive"] {
        let asked = windows_asked(&h, path);
        assert_eq!(asked.len(), 2, "{path}: {asked:?}");
        let (start, _) = asked[0];
        assert_eq!(
            start,
            Some(base - SignedDuration::from_mins(5)),
            "{path} starts at the watermark less the overlap"
        );
        assert_eq!(
            asked[0].1, asked[1].0,
            "{path}: windows are contiguous, oldest first"
        );
        assert_eq!(asked[1].1, Some(now), "{path}: the last window ends now");
        for (s, e) in &asked {
            assert!(e.unwrap().duration_since(s.unwrap()) <= SignedDuration::from_hours(24));
        }
    }
    assert_eq!(
        milli(&h, &changed.label),
        (200_000, 198_500),
        "Metrc's new quantity, less the pending sale"
    );
    assert_eq!(
        milli(&h, &untouched.label),
        (untouched.metrc_quantity.milli(), untouched.on_hand.milli())
    );
    assert_eq!(
        h.db.package(&finished.label).unwrap_err().code(),
        "unknown_package"
    );
    assert!(
        h.db.packages(DEMO_LICENSE)
            .unwrap()
            .iter()
            .all(|p| p.label != finished.label)
    );
    let mark =
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Packages)
            .unwrap()
            .unwrap();
    assert_eq!(mark.window_end, now);
}

#[tokio::test]
async fn a_finished_package_with_a_pending_sale_stays_until_the_sale_is_confirmed() {
    let h = Harness::new().await;
    now_plus(&h, -60);
    refresh(&h, &full()).await.expect("full refresh");
    let p = h.package("Each", 1);
    h.sell(BUDTENDER, &p.label, "1");
    assert!(h.control.finish_package(DEMO_LICENSE, &p.label));
    now_plus(&h, 1);
    let r = refresh(&h, &options()).await.expect("refresh");
    assert_eq!(r.retired, 1);
    assert_eq!(
        milli(&h, &p.label).1,
        p.on_hand.milli() - 1000,
        "the pending sale still counts"
    );
    assert_eq!(
        h.db.finished_packages(DEMO_LICENSE).unwrap(),
        vec![p.label.clone()]
    );

    h.drain().await;
    now_plus(&h, 2);
    refresh(&h, &options())
        .await
        .expect("refresh after delivery");
    assert_eq!(
        h.db.package(&p.label).unwrap_err().code(),
        "unknown_package"
    );
    assert!(h.db.finished_packages(DEMO_LICENSE).unwrap().is_empty());
}

#[tokio::test]
async fn a_refresh_failing_half_way_leaves_the_cache_and_the_watermark_as_they_were() {
    let h = Harness::new().await;
    now_plus(&h, -60);
    refresh(&h, &full()).await.expect("full refresh");
    let before_mark =
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Packages)
            .unwrap();
    let reasons = h.db.adjustment_reasons(DEMO_LICENSE).unwrap();
    let items = h.db.items(DEMO_LICENSE).unwrap();
    assert!(!reasons.is_empty() && !items.is_empty());
    let p = h.package("Grams", 2);
    let before = milli(&h, &p.label);
    h.control
        .set_package_quantity(DEMO_LICENSE, &p.label, 300.0);
    h.control.set_faults(Faults {
        outage_503: Some(Trigger::always().on_path("/packages/v2/inactive")),
        ..Faults::default()
    });
    h.control.clear_request_log();
    now_plus(&h, 1);

    refresh(&h, &options())
        .await
        .expect_err("Metrc fails half-way");
    assert_eq!(
        windows_asked(&h, "/packages/v2/active").len(),
        1,
        "the first window was read"
    );
    assert_eq!(milli(&h, &p.label), before);
    assert_eq!(
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Packages)
            .unwrap(),
        before_mark
    );
    assert_eq!(h.db.adjustment_reasons(DEMO_LICENSE).unwrap(), reasons);
    assert_eq!(h.db.items(DEMO_LICENSE).unwrap(), items);

    h.control.clear_faults();
    refresh(&h, &options())
        .await
        .expect("refresh after the outage");
    assert_eq!(milli(&h, &p.label).0, 300_000);
}

#[tokio::test]
async fn a_watermark_older_than_the_horizon_pulls_everything() {
    let h = Harness::new().await;
    now_plus(&h, -8 * 24 * 3600);
    refresh(&h, &full()).await.expect("full refresh");
    now_plus(&h, 0);
    h.control.clear_request_log();
    let r = refresh(&h, &options()).await.expect("refresh");
    assert!(r.full);
    assert_eq!(r.windows, 0);
    let asked = windows_asked(&h, "/packages/v2/active");
    assert!(
        !asked.is_empty() && asked.iter().all(|w| *w == (None, None)),
        "{asked:?}"
    );
    assert!(windows_asked(&h, "/packages/v2/inactive").is_empty());
}

fn transfer(manifest: &str, delivery_id: u64) -> Transfer {
    Transfer {
        id: 0,
        license_number: DEMO_LICENSE.into(),
        manifest_number: manifest.into(),
        shipper_license_number: "403-X0077".into(),
        shipper_name: "Test Grower".into(),
        created: Timestamp::UNIX_EPOCH,
        last_modified: Timestamp::UNIX_EPOCH,
        received: None,
        deliveries: vec![Delivery {
            id: delivery_id,
            estimated_arrival: "2026-11-24T09:00:00.000".into(),
            packages: (1..=2)
                .map(|n| TransferPackage {
                    package_id: 5000 + delivery_id * 10 + n,
                    label: format!("1A4FF0100000022000{delivery_id:03}{n:03}"),
                    item_name: "Gelato Flower".into(),
                    item_category: "Buds".into(),
                    quantity: 112.5,
                    unit_of_measure: "Grams".into(),
                })
                .collect(),
        }],
    }
}

#[tokio::test]
async fn manifests_are_listed_after_a_refresh_and_read_offline() {
    let h = Harness::new().await;
    let key = user_key(DEMO_MANAGER_KEY);
    h.control.add_transfer(transfer("0000000202", 77));
    let first = now_plus(&h, 1);
    let r = refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options())
        .await
        .expect("manifests refresh");
    assert!(r.manifests >= 1 && r.packages >= 2, "{r:?}");
    let list =
        h.db.incoming_manifests(DEMO_LICENSE)
            .expect("cached manifests");
    let m = list
        .iter()
        .find(|m| m.manifest_number == "0000000202")
        .expect("the new manifest");
    assert_eq!(m.shipper_name.as_deref(), Some("Test Grower"));
    assert_eq!(m.packages.len(), 2);
    assert!(m.packages.iter().all(|p| p.delivery_id == 77
        && p.shipped_quantity.map(|q| q.milli()) == Some(112_500)
        && p.shipped_unit.as_deref() == Some("Grams")));

    h.control.add_transfer(transfer("0000000303", 78));
    h.control.clear_request_log();
    now_plus(&h, 2);
    refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options())
        .await
        .expect("second manifests refresh");
    let asked = windows_asked(&h, "/transfers/v2/incoming");
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].0,
        Some(first - SignedDuration::from_mins(5)),
        "only since the watermark"
    );
    let cached = h.db.incoming_manifests(DEMO_LICENSE).unwrap();
    assert!(cached.iter().any(|m| m.manifest_number == "0000000303"));

    h.control.set_faults(Faults {
        outage_503: Some(Trigger::always()),
        ..Faults::default()
    });
    now_plus(&h, 3);
    let mark =
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Manifests)
            .unwrap();
    refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options())
        .await
        .expect_err("Metrc is down");
    assert_eq!(
        h.db.incoming_manifests(DEMO_LICENSE).unwrap(),
        cached,
        "the cache reads offline, unchanged"
    );
    assert_eq!(
        h.db.inventory_watermark(DEMO_LICENSE, Dataset::Manifests)
            .unwrap(),
        mark
    );
}

/// The manifest rows and package rows cached for the demo licence, straight from the file.
fn cached_rows(h: &Harness) -> (Vec<String>, i64) {
    let conn = rusqlite::Connection::open(h.dir.path().join("stateline.sqlite")).expect("open");
    let numbers = conn
        .prepare("SELECT manifest_number FROM manifests ORDER BY manifest_number")
        .expect("query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("numbers");
    let packages = conn
        .query_row("SELECT count(*) FROM manifest_packages", [], |r| r.get(0))
        .expect("count");
    (numbers, packages)
}

#[tokio::test]
async fn settled_manifests_not_listed_for_thirty_days_are_pruned_with_their_packages() {
    let h = Harness::new().await;
    let key = user_key(DEMO_MANAGER_KEY);
    let day = SignedDuration::from_hours(24);
    // No overlap and a horizon past the 20-day gap: each refresh lists exactly what changed since
    // the last one; the day windows go through the engine's GET limiter, as the app's do.
    let options = RefreshOptions {
        overlap: SignedDuration::ZERO,
        horizon: day * 25,
        limiter: Some(ReadLimiter::new(ReadLimits::default())),
        ..RefreshOptions::default()
    };
    // Received before the first refresh; the demo seed's own manifest (0000000101) stays on its way.
    let received = h.control.add_transfer(transfer("0000000404", 81));
    assert!(h.control.receive_transfer(received));
    let t1 = now_plus(&h, 1);
    refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options)
        .await
        .expect("first refresh lists the old manifests");
    let (old, old_packages) = cached_rows(&h);
    assert_eq!(old, vec!["0000000101".to_owned(), "0000000404".to_owned()]);
    let cached = h.db.incoming_manifests(DEMO_LICENSE).expect("cache");
    let settled = cached
        .iter()
        .find(|m| m.manifest_number == "0000000404")
        .expect("cached");
    assert!(settled.received.is_some(), "{settled:?}");

    // The emulator stamps changes with the real time: the recent manifest must change after t1.
    while Timestamp::now() < t1 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let recent = h.control.add_transfer(transfer("0000000505", 82));
    assert!(h.control.receive_transfer(recent));
    let t2 = t1 + day * 20;
    h.clock.set(t2);
    let r = refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options)
        .await
        .expect("second refresh, 20 days on");
    assert_eq!((r.manifests, r.pruned), (1, 0), "{r:?}");
    let (after_20_days, packages) = cached_rows(&h);
    assert_eq!(
        (after_20_days.len(), packages),
        (old.len() + 1, old_packages + 2),
        "20 days without being listed is not enough to prune: {after_20_days:?}"
    );

    // 35 days after the old ones and 15 after the recent one were last listed; none is listed.
    h.clock.set(t1 + day * 35);
    let r = refresh_manifests(&h.db, &h.client, &key, DEMO_LICENSE, &options)
        .await
        .expect("third refresh, 35 days on");
    assert_eq!((r.manifests, r.pruned), (0, 1), "{r:?}");
    assert_eq!(
        cached_rows(&h),
        (
            vec!["0000000101".to_owned(), "0000000505".to_owned()],
            3 + 2
        ),
        "the old received manifest and its two packages are gone; the one still on its way (three \
         packages) and the recent one (two) stay"
    );
    let cached = h.db.incoming_manifests(DEMO_LICENSE).expect("cache");
    let recent = cached
        .iter()
        .find(|m| m.manifest_number == "0000000505")
        .expect("kept");
    assert_eq!(recent.fetched_at, t2);
    assert_eq!(recent.packages.len(), 2);
    let pending = cached
        .iter()
        .find(|m| m.manifest_number == "0000000101")
        .expect("kept");
    assert_eq!(
        pending.received, None,
        "still on its way after 35 days unlisted: kept"
    );
}

/// Another register of the store sold one of `label` (its record 1, as this register's link
/// would pull it), now in `state`.
fn peer_sale(h: &Harness, label: &str, state: &str, change_seq: i64) {
    use stateline_store::{PeerRecord, PeerStateChange};
    h.db.save_peer_records(
        &[PeerRecord {
            register_id: "REGISTER2".into(),
            local_seq: 1,
            client_id: "SL-REGISTER2-000000000001".into(),
            kind: "sale".into(),
            licence: DEMO_LICENSE.into(),
            acting_user: BUDTENDER.into(),
            occurred_at: h.db.now(),
            body: serde_json::json!({}),
        }],
        h.db.now(),
    )
    .unwrap();
    h.db.apply_peer_states(&[PeerStateChange {
        register_id: "REGISTER2".into(),
        local_seq: 1,
        state: state.into(),
        change_seq,
        deltas: [(label.to_owned(), -1000)].into_iter().collect(),
        changed_at: Some(h.db.now()),
    }])
    .unwrap();
}

#[tokio::test]
async fn another_registers_confirmed_sale_counts_until_a_refresh_fetches_its_package_after() {
    let h = Harness::new().await;
    now_plus(&h, -60);
    refresh(&h, &full()).await.expect("full refresh");
    let p = h.package("Each", 0);
    let metrc = p.metrc_quantity.milli();
    peer_sale(&h, &p.label, "pending", 1);
    assert_eq!(milli(&h, &p.label), (metrc, metrc - 1000));

    // Metrc takes the other register's sale; this register refreshes before it hears so: the
    // sale is counted twice for now (low, never high).
    let sold = (metrc - 1000) as f64 / 1000.0;
    assert!(h.control.set_package_quantity(DEMO_LICENSE, &p.label, sold));
    now_plus(&h, 3600);
    refresh(&h, &options()).await.expect("refresh");
    assert_eq!(milli(&h, &p.label), (metrc - 1000, metrc - 2000));

    // It hears of the confirmation. The next refresh's windows no longer reach the package's
    // change, so it fetches the package by its label, and the count is exact again.
    now_plus(&h, 3601);
    peer_sale(&h, &p.label, "confirmed", 2);
    assert_eq!(
        h.db.settling_labels(DEMO_LICENSE).unwrap(),
        vec![p.label.clone()]
    );
    h.control.clear_request_log();
    now_plus(&h, 7200);
    refresh(&h, &options()).await.expect("refresh");
    let by_label = format!("/packages/v2/{}", p.label);
    assert_eq!(
        h.control
            .request_log()
            .iter()
            .filter(|r| r.method == "GET" && r.path == by_label)
            .count(),
        1
    );
    assert_eq!(milli(&h, &p.label), (metrc - 1000, metrc - 1000));
    assert!(h.db.settling_labels(DEMO_LICENSE).unwrap().is_empty());

    h.control.clear_request_log();
    now_plus(&h, 7300);
    refresh(&h, &options()).await.expect("refresh");
    assert!(
        h.control.request_log().iter().all(|r| r.path != by_label),
        "settled: not fetched again"
    );
}
