//! The event stream: a POS following `/v1/events` hears its sale go from pending to confirmed,
//! and one that reconnects with the last event id hears nothing twice and misses nothing.

use std::time::Duration;

use serde_json::Value;
use stateline_api::dto::{DemoFault, DemoFaultRequest};

use crate::fixture::{Api, sale};

/// Reads events from `response` until `enough` says so (15 s at most): (id, record) pairs.
async fn read_events(
    response: &mut reqwest::Response,
    mut enough: impl FnMut(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !enough(&events) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("events in time")
            .expect("the stream reads")
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            };
            if field("event:").as_deref() == Some("record") {
                let data: Value = serde_json::from_str(&field("data:").unwrap()).unwrap();
                events.push((field("id:").unwrap(), data));
            }
        }
    }
    events
}

async fn follow(api: &Api, since: Option<&str>) -> reqwest::Response {
    let mut request = api
        .http
        .get(format!("{}/v1/events", api.base))
        .bearer_auth(&api.token);
    if let Some(since) = since {
        request = request.header("Last-Event-ID", since);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pos_hears_its_sale_reported_and_resumes_without_gaps() {
    let api = Api::start().await;
    let (label, _) = api.package().await;
    let network = |on| DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on,
        user: None,
    };
    api.app.set_demo_fault(network(true)).await.unwrap();
    let mut stream = follow(&api, None).await;
    let (status, _) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &sale("T-E1", "Bea", &label, "1"),
        )
        .await;
    assert_eq!(status, 201);
    // The register tries to send it (Metrc unreachable): the POS hears each try.
    let first = read_events(&mut stream, |e| !e.is_empty()).await;
    assert_eq!(first[0].1["ticket_id"], "T-E1");
    assert_ne!(first[0].1["state"], "confirmed");
    drop(stream);

    // While nobody listens the sale is reported; a POS resuming from its last id hears it.
    api.app.set_demo_fault(network(false)).await.unwrap();
    let mut resumed = follow(&api, Some(&first[0].0)).await;
    let later = read_events(&mut resumed, |e| {
        e.iter().any(|(_, r)| r["state"] == "confirmed")
    })
    .await;
    assert!(
        later.iter().all(|(id, _)| id != &first[0].0),
        "nothing heard twice"
    );
    let reported = later
        .iter()
        .find(|(_, r)| r["state"] == "confirmed")
        .unwrap();
    assert_eq!(reported.1["ticket_id"], "T-E1");
    assert_eq!(reported.1["reported"], true);
    let ids: Vec<i64> = later.iter().map(|(id, _)| id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    // From the very beginning (`0`), every change is there again, ending confirmed.
    let mut everything = follow(&api, Some("0")).await;
    let all = read_events(&mut everything, |e| {
        e.iter().any(|(_, r)| r["state"] == "confirmed")
    })
    .await;
    assert_eq!(all[0].0, first[0].0);
    // A malformed resume point is refused, not ignored.
    let response = api
        .http
        .get(format!("{}/v1/events?since=yesterday", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    // Revoked while a POS follows: its stream ends.
    let follower = stateline_pos::tokens::list(api.app.database()).unwrap()[0].clone();
    let max = crate::fixture::manager(&api.app);
    stateline_pos::tokens::revoke(api.app.database(), &max, follower.id).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        while let Ok(Some(_)) = everything.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends once the token is revoked");
}
