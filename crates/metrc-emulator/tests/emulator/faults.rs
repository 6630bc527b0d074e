//! Fault injection and rate limits, over real HTTP.
use crate::common;

use common::*;
use metrc_emulator::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn sale_body(ext: &str) -> serde_json::Value {
    json!([sale(ext, EACH_LABEL, 1.0, "Each")])
}

#[tokio::test]
async fn outage_503_for_next_n_and_scoped_by_path() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let ctl = emu.control();
    ctl.set_faults(Faults {
        outage_503: Some(Trigger::next(2)),
        ..Faults::default()
    });
    assert_eq!(api.get("/facilities/v2").await.0, 503);
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("O-1"))
            .await
            .0,
        503
    );
    assert_eq!(api.get("/facilities/v2").await.0, 200);
    assert_eq!(ctl.faults(), Faults::default());
    assert!(ctl.receipts(DEMO_LICENSE).is_empty());

    ctl.set_faults(Faults {
        outage_503: Some(Trigger::always().on_path("/sales/")),
        ..Faults::default()
    });
    assert_eq!(api.get(&lic("/sales/v2/receipts/active")).await.0, 503);
    assert_eq!(api.get(&lic("/packages/v2/active")).await.0, 200);
    ctl.clear_faults();
    assert_eq!(api.get(&lic("/sales/v2/receipts/active")).await.0, 200);
}

#[tokio::test]
async fn refused_connections_really_refuse_and_heal_on_same_port() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let ctl = emu.control();
    assert_eq!(api.get("/facilities/v2").await.0, 200);
    ctl.set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A raw connect is refused: nothing listens on the port.
    let err = tokio::net::TcpStream::connect(emu.addr()).await;
    assert!(err.is_err(), "port must be closed");
    let e = api
        .req(reqwest::Method::GET, "/facilities/v2")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect() || e.is_request(), "{e:?}");
    ctl.clear_faults();
    let mut ok = false;
    for _ in 0..50 {
        if let Ok(r) = api.req(reqwest::Method::GET, "/facilities/v2").send().await {
            ok = r.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "healed on the same port {}", emu.addr());
}

/// The accept loop learns of a new outage a moment after it is set; a request sent in that moment
/// on a connection kept alive from before must still be refused, never answered.
#[tokio::test]
async fn a_kept_alive_connection_is_refused_the_moment_the_outage_starts() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let ctl = emu.control();
    for round in 0..20 {
        let mut up = false;
        for _ in 0..100 {
            let reply = api.req(reqwest::Method::GET, "/facilities/v2").send().await;
            if reply.is_ok_and(|r| r.status() == 200) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(up, "round {round}: the emulator came back");
        ctl.set_faults(Faults {
            refuse_connections: Some(RefuseConnections::default()),
            ..Faults::default()
        });
        let answered = api.req(reqwest::Method::GET, "/facilities/v2").send().await;
        assert!(
            answered.is_err(),
            "round {round}: answered during an outage: {answered:?}"
        );
        ctl.clear_faults();
    }
}

#[tokio::test]
async fn refused_connections_heal_by_themselves() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        refuse_connections: Some(RefuseConnections {
            heal_after_ms: Some(200),
        }),
        ..Faults::default()
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(emu.addr()).await.is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(Api::manager(&emu).get("/facilities/v2").await.0, 200);
    assert_eq!(emu.control().faults().refuse_connections, None);
}

#[tokio::test]
async fn open_connections_are_dropped_when_refusing() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        latency: Some(Latency {
            fixed_ms: 2000,
            ..Latency::default()
        }),
        ..Faults::default()
    });
    let api = Api::manager(&emu);
    let pending =
        tokio::spawn(async move { api.req(reqwest::Method::GET, "/facilities/v2").send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.control().set_faults(Faults {
        refuse_connections: Some(RefuseConnections::default()),
        ..Faults::default()
    });
    let started = Instant::now();
    let res = pending.await.unwrap();
    assert!(res.is_err(), "in-flight request must fail");
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn latency_fixed_and_jitter() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        latency: Some(Latency {
            fixed_ms: 150,
            jitter_ms: 50,
            path_prefix: None,
        }),
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(Api::manager(&emu).get("/facilities/v2").await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn lost_reply_hang_commits_the_receipt() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LostReplyHang,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let api = Api::manager(&emu);
    let e = api
        .req(reqwest::Method::POST, &lic("/sales/v2/receipts"))
        .json(&sale_body("H-1"))
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(emu.control().receipts(DEMO_LICENSE).len(), 1);
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/H-1")).await.0,
        200
    );
    let log = emu.control().request_log();
    assert!(log.iter().any(|r| r.method == "POST" && r.status.is_none()));
}

#[tokio::test]
async fn lost_reply_reset_commits_and_drops_connection() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LostReplyReset,
            trigger: Trigger::next(1).on_path("/sales/"),
        }],
        ..Faults::default()
    });
    let api = Api::manager(&emu);
    let t = Instant::now();
    let e = api
        .req(reqwest::Method::POST, &lic("/sales/v2/receipts"))
        .json(&sale_body("Z-1"))
        .send()
        .await
        .unwrap_err();
    assert!(!e.is_timeout(), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(emu.control().receipts(DEMO_LICENSE).len(), 1);
    // The fault was for one request only.
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("Z-2"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn commit_then_500() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::CommitThen500,
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let api = Api::manager(&emu);
    let (s, body) = api
        .post(&lic("/sales/v2/receipts"), &sale_body("F5-1"))
        .await;
    assert_eq!(s, 500);
    assert!(body["Message"].is_string());
    assert_eq!(emu.control().receipts(DEMO_LICENSE).len(), 1);
    // GETs are not write-faulted.
    assert!(emu.control().faults().write_faults.is_empty());
}

#[tokio::test]
async fn late_write_lands_after_the_error() {
    let emu = start().await;
    emu.control().set_faults(Faults {
        write_faults: vec![WriteFault {
            kind: WriteFaultKind::LateWrite {
                delay_ms: 300,
                reply: LateReply::Status503,
            },
            trigger: Trigger::next(1),
        }],
        ..Faults::default()
    });
    let api = Api::manager(&emu);
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("LW-1"))
            .await
            .0,
        503
    );
    assert!(emu.control().receipts(DEMO_LICENSE).is_empty());
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/LW-1")).await.0,
        404
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(emu.control().receipts(DEMO_LICENSE).len(), 1);
    assert_eq!(
        api.get(&lic("/sales/v2/receipts/external/LW-1")).await.0,
        200
    );
}

#[tokio::test]
async fn probability_is_reproducible_with_the_same_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let emu = start().await;
        emu.control().set_faults(Faults {
            rng_seed: seed,
            outage_503: Some(Trigger::always().with_probability(0.5)),
            ..Faults::default()
        });
        let api = Api::manager(&emu);
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(api.get("/facilities/v2").await.0);
        }
        out
    }
    let a = run(7).await;
    assert_eq!(a, run(7).await);
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn storm_gets_only_with_each_retry_after_form() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let ctl = emu.control();
    ctl.set_faults(Faults {
        rate_limit_storm: Some(RateLimitStorm {
            gets_only: true,
            trigger: Trigger::always(),
        }),
        ..Faults::default()
    });
    let r = api
        .req(reqwest::Method::GET, "/facilities/v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("S-1"))
            .await
            .0,
        200
    );

    ctl.set_options(Options {
        retry_after: RetryAfter::HttpDate,
        retry_after_seconds: 30,
        ..Options::default()
    });
    let r = api
        .req(reqwest::Method::GET, "/facilities/v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let date = httpdate::parse_http_date(r.headers()["retry-after"].to_str().unwrap()).unwrap();
    assert!(date > std::time::SystemTime::now());

    ctl.set_options(Options {
        retry_after: RetryAfter::Absent,
        ..Options::default()
    });
    let r = api
        .req(reqwest::Method::GET, "/facilities/v2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());

    ctl.set_faults(Faults {
        rate_limit_storm: Some(RateLimitStorm {
            gets_only: false,
            trigger: Trigger::next(1),
        }),
        ..Faults::default()
    });
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("S-2"))
            .await
            .0,
        429
    );
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("S-2"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn published_rate_limits_per_licence_and_concurrency() {
    let options = Options {
        rate_limits: RateLimits {
            per_license_per_second: 3,
            ..RateLimits::default()
        },
        ..Options::default()
    };
    let emu = start_with(Seed::demo(jiff::Timestamp::now()), options).await;
    let api = Api::manager(&emu);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(api.get(&lic("/packages/v2/active")).await.0);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    // Writes are not limited by default; other licences' limits are separate.
    assert_eq!(
        api.post(&lic("/sales/v2/receipts"), &sale_body("RL-1"))
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get(&lic("/packages/v2/active")).await.0, 200);

    let ctl = emu.control();
    ctl.set_options(Options {
        rate_limit_writes: true,
        rate_limits: RateLimits {
            concurrent_per_license: 1,
            ..RateLimits::default()
        },
        ..Options::default()
    });
    ctl.set_faults(Faults {
        latency: Some(Latency {
            fixed_ms: 300,
            ..Latency::default()
        }),
        ..Faults::default()
    });
    let a = Api::manager(&emu);
    let b = Api::manager(&emu);
    let path = lic("/packages/v2/active");
    let (ra, rb) = tokio::join!(a.get(&path), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.get(&path).await
    });
    assert_eq!((ra.0, rb.0), (200, 429));
}
