//! Transport-level classification against a raw loopback socket: what the emulator cannot do
//! (TLS handshake failures, truncated bodies, undecodable replies, redirects) plus the auth header
//! and the "never in an error" rule for keys and URLs.

use std::time::Duration;

use base64::Engine;
use metrc::{ClientConfig, ErrorClass, MetrcClient, MetrcError, UserKey, VendorKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const VENDOR: &str = "VENDORsecretKEY-0123456789abcdef";
const USER: &str = "USERsecretKEY-fedcba9876543210";
const LICENSE: &str = "403R-00001";

/// What the raw server does with a request.
#[derive(Clone, Copy)]
enum Act {
    Reply(&'static str),
    Hang,
    Close,
    /// Write the reply at once, before reading anything (a plain-HTTP server hit with TLS).
    Blurt(&'static str),
}

/// Serves every connection with `act`; sends each raw request head+body on the channel.
async fn raw_server(act: Act) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Act::Blurt(r) = act {
                    let _ = sock.write_all(r.as_bytes()).await;
                    let _ = sock.shutdown().await;
                    return;
                }
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            let _ = tx.send(text);
                            break;
                        }
                    }
                }
                match act {
                    Act::Reply(r) => {
                        let _ = sock.write_all(r.as_bytes()).await;
                        let _ = sock.shutdown().await;
                    }
                    Act::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                    Act::Close | Act::Blurt(_) => drop(sock),
                }
            });
        }
    });
    (format!("http://{addr}"), rx)
}

fn client(base: &str) -> MetrcClient {
    let mut config = ClientConfig::new(base.parse().unwrap(), VendorKey::new(VENDOR).unwrap());
    config.request_timeout = Duration::from_millis(500);
    config.connect_timeout = Duration::from_millis(500);
    MetrcClient::new(config).unwrap()
}

fn key() -> UserKey {
    UserKey::new(USER).unwrap()
}

fn assert_clean(e: &MetrcError) {
    let shown = format!("{e} {e:?}");
    for secret in [
        VENDOR,
        USER,
        "secretKEY",
        "127.0.0.1",
        "http://",
        "Authorization",
    ] {
        assert!(!shown.contains(secret), "error leaks {secret:?}: {shown}");
    }
}

fn sale() -> metrc::NewReceipt {
    metrc::NewReceipt {
        sales_date_time: "2026-11-22T14:02:11".parse().unwrap(),
        external_receipt_number: "SL-T-1".into(),
        sales_customer_type: "Consumer".into(),
        patient_license_number: None,
        caregiver_license_number: None,
        identification_method: None,
        patient_registration_location_id: None,
        transactions: vec![metrc::NewTransaction {
            package_label: "1A4FF0100000022000000001".into(),
            quantity: 1.0,
            unit_of_measure: "Grams".into(),
            total_amount: 10.0,
            ..Default::default()
        }],
    }
}

#[tokio::test]
async fn sends_basic_auth_vendor_then_user_and_json() {
    let (base, mut rx) = raw_server(Act::Reply(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"Ids\":[7,8],\"Warnings\":null}",
    ))
    .await;
    let out = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap();
    assert_eq!(out.ids, vec![7, 8]);
    let req = rx.recv().await.unwrap();
    assert!(
        req.starts_with("POST /sales/v2/receipts?licenseNumber=403R-00001 HTTP/1.1\r\n"),
        "{req}"
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{VENDOR}:{USER}"));
    assert!(req.to_ascii_lowercase().contains(&format!(
        "authorization: basic {}",
        expected.to_ascii_lowercase()
    )));
    assert!(req.contains("\"SalesDateTime\":\"2026-11-22T14:02:11.000\""));
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = client(&format!("http://{addr}"))
        .facilities(&key())
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotSent, "{e:?}");
    assert!(e.to_string().contains("connection refused"), "{e}");
    assert_clean(&e);
    let e = client(&format!("http://{addr}"))
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotSent);
}

#[tokio::test]
async fn tls_handshake_failure_is_not_sent() {
    let (base, _rx) = raw_server(Act::Blurt("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).await;
    let https = base.replace("http://", "https://");
    let e = client(&https).facilities(&key()).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotSent, "{e:?}");
    assert_clean(&e);
}

#[tokio::test]
async fn stalled_tls_handshake_within_connect_timeout_is_not_sent() {
    let (base, _rx) = raw_server(Act::Hang).await;
    let https = base.replace("http://", "https://");
    let mut config = ClientConfig::new(https.parse().unwrap(), VendorKey::new(VENDOR).unwrap());
    config.request_timeout = Duration::from_secs(3);
    config.connect_timeout = Duration::from_millis(200);
    let e = MetrcClient::new(config)
        .unwrap()
        .facilities(&key())
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotSent, "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
}

#[tokio::test]
async fn unresolvable_host_is_not_sent() {
    let e = client("https://api-zz.metrc.invalid")
        .facilities(&key())
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotSent, "{e:?}");
    assert_clean(&e);
}

#[tokio::test]
async fn timeout_after_sending_is_ambiguous() {
    let (base, mut rx) = raw_server(Act::Hang).await;
    let e = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(rx.recv().await.is_some(), "the request reached the server");
    assert_clean(&e);
}

#[tokio::test]
async fn reset_after_sending_is_ambiguous() {
    let (base, _rx) = raw_server(Act::Close).await;
    let e = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    assert_clean(&e);
}

#[tokio::test]
async fn truncated_body_is_ambiguous() {
    let (base, _rx) = raw_server(Act::Reply(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Ids\":[1",
    ))
    .await;
    let e = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    assert_eq!(e.status(), Some(200));
    assert!(e.to_string().contains("cut off"), "{e}");
    assert_clean(&e);
}

#[tokio::test]
async fn undecodable_replies_are_ambiguous_for_reads_and_writes() {
    let (base, _rx) = raw_server(Act::Reply(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 15\r\n\r\n<html>hi</html>",
    ))
    .await;
    let c = client(&base);
    let e = c
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    let e = c.facilities(&key()).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    let e = c.active_packages(&key(), LICENSE, None).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    assert_clean(&e);
}

#[tokio::test]
async fn empty_post_reply_is_success_without_ids() {
    let (base, _rx) = raw_server(Act::Reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).await;
    let out = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap();
    assert!(out.ids.is_empty() && out.warnings.is_none());
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (base, mut rx) = raw_server(Act::Reply(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n",
    ))
    .await;
    let e = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ambiguous, "{e:?}");
    assert_eq!(e.status(), Some(302));
    assert!(rx.recv().await.is_some());
    assert!(rx.try_recv().is_err(), "exactly one request");
}

#[tokio::test]
async fn an_echoed_key_is_scrubbed_from_errors() {
    let body = format!("[{{\"row\":0,\"message\":\"bad key {USER} for {VENDOR}\"}}]");
    let reply: &'static str = Box::leak(
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let (base, _rx) = raw_server(Act::Reply(reply)).await;
    let e = client(&base)
        .create_receipts(&key(), LICENSE, &[sale()])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Validation);
    assert_clean(&e);
    assert!(e.to_string().contains("[redacted]"));
}

#[test]
fn client_and_config_debug_hide_the_vendor_key() {
    let config = ClientConfig::new(
        "https://api-co.metrc.com".parse().unwrap(),
        VendorKey::new(VENDOR).unwrap(),
    );
    let shown = format!("{config:?}");
    assert!(
        !shown.contains(VENDOR) && shown.contains("VendorKey(…cdef)"),
        "{shown}"
    );
    let client = MetrcClient::new(config).unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains(VENDOR), "{shown}");
}

#[test]
fn config_is_validated() {
    let v = || VendorKey::new(VENDOR).unwrap();
    let mut c = ClientConfig::new("https://api-co.metrc.com".parse().unwrap(), v());
    c.page_size = 21;
    let e = MetrcClient::new(c).unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    assert!(e.to_string().contains("between 1 and 20"));
    let mut c = ClientConfig::new("https://api-co.metrc.com".parse().unwrap(), v());
    c.page_size = 0;
    assert!(MetrcClient::new(c).is_err());
    let c = ClientConfig::new("http://api-co.metrc.com".parse().unwrap(), v());
    assert!(
        MetrcClient::new(c)
            .unwrap_err()
            .to_string()
            .contains("https")
    );
    let c = ClientConfig::new("https://u:p@api-co.metrc.com".parse().unwrap(), v());
    let e = MetrcClient::new(c).unwrap_err();
    assert!(!e.to_string().contains("u:p"));
    let c = ClientConfig::new("http://localhost:1234".parse().unwrap(), v());
    assert!(MetrcClient::new(c).is_ok());
    let c = ClientConfig::new(
        metrc::metrc_host("co", metrc::Environment::Sandbox).unwrap(),
        v(),
    );
    assert!(MetrcClient::new(c).is_ok());
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let (base, mut rx) =
        raw_server(Act::Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")).await;
    let c = client(&base);
    let e = c.create_receipts(&key(), LICENSE, &[]).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    let e = c.create_receipts(&key(), "", &[sale()]).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    let e = c
        .receipt_by_external_number(&key(), LICENSE, "")
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    let mut bad = sale();
    bad.transactions[0].quantity = f64::NAN;
    let e = c
        .create_receipts(&key(), LICENSE, &[bad])
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    let w = metrc::LastModifiedWindow {
        start: "2026-11-22T10:00:00Z".parse().unwrap(),
        end: "2026-11-22T09:00:00Z".parse().unwrap(),
    };
    let e = c.active_receipts(&key(), LICENSE, w).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::InvalidInput);
    assert!(rx.try_recv().is_err(), "nothing reached the server");
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let (base, mut rx) = raw_server(Act::Reply(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    ))
    .await;
    let found = client(&base)
        .receipt_by_external_number(&key(), LICENSE, "SL/1 #2?x")
        .await
        .unwrap();
    assert!(found.is_none());
    let req = rx.recv().await.unwrap();
    assert!(
        req.starts_with(
            "GET /sales/v2/receipts/external/SL%2F1%20%232%3Fx?licenseNumber=403R-00001 "
        ),
        "{req}"
    );
}
