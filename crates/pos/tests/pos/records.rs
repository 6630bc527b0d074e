//! Recording through the API: a ticket is one sale however often it is sent, the answer comes
//! after the commit, the sale reaches Metrc once under the budtender's name, and every refusal
//! says why with the app's codes and writes nothing.

use metrc_emulator::DEMO_LICENSE;
use serde_json::json;
use stateline_api::dto::{DemoFault, DemoFaultRequest};

use crate::fixture::{Api, eventually, sale};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_one_sale_and_reaches_metrc_once_with_its_time() {
    let api = Api::start().await;
    api.app
        .set_demo_fault(DemoFaultRequest {
            fault: DemoFault::NetworkDown,
            on: true,
            user: None,
        })
        .await
        .unwrap();
    let (label, _) = api.package().await;
    let body = sale("T-1001", "Bea", &label, "1");
    let (status, first) = api.post(Some(&api.token), "/v1/sales", &body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["state"], "pending");
    assert_eq!(first["replayed"], false);
    assert_eq!(first["budtender"], "Bea");
    assert_eq!(first["ticket_id"], "T-1001");
    // Committed before the answer: the sale is in the register's database already.
    assert_eq!(api.count("sales"), 1);
    assert_eq!(api.count("pos_tickets"), 1);

    // The POS retries (its answer was lost): the same sale, nothing new.
    let (status, again) = api.post(Some(&api.token), "/v1/sales", &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["client_id"], first["client_id"]);
    assert_eq!(api.count("sales"), 1);

    // Key order and spacing do not make a retry a different sale.
    let reordered = json!({
        "lines": [{"price": "12.50", "quantity": "1", "label": label}],
        "budtender": "Bea",
        "ticket_id": "T-1001",
    });
    let (status, _) = api.post(Some(&api.token), "/v1/sales", &reordered).await;
    assert_eq!(status, 200);

    // Other contents under the same ticket: a clear conflict, nothing written.
    let (status, conflict) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &sale("T-1001", "Bea", &label, "2"),
        )
        .await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["code"], "ticket_conflict");
    assert!(
        conflict["message"]
            .as_str()
            .unwrap()
            .contains(first["client_id"].as_str().unwrap()),
        "{conflict}"
    );
    assert_eq!(api.count("sales"), 1);

    api.app
        .set_demo_fault(DemoFaultRequest {
            fault: DemoFault::NetworkDown,
            on: false,
            user: None,
        })
        .await
        .unwrap();
    eventually(
        async || {
            let (_, record) = api.get(Some(&api.token), "/v1/records/T-1001").await;
            record["state"] == "confirmed"
        },
        "the sale is reported",
    )
    .await;
    let (status, record) = api.get(Some(&api.token), "/v1/records/T-1001").await;
    assert_eq!(status, 200);
    assert_eq!(record["reported"], true);
    assert!(record["metrc_id"].as_i64().is_some(), "{record}");
    assert_eq!(record["occurred_at"], first["occurred_at"]);
    let landed: Vec<_> = api
        .app
        .demo_control()
        .unwrap()
        .receipts(DEMO_LICENSE)
        .into_iter()
        .filter(|r| r.external_receipt_number.as_deref() == first["client_id"].as_str())
        .collect();
    assert_eq!(landed.len(), 1, "the sale landed in Metrc exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_why_with_the_app_codes_and_write_nothing() {
    let api = Api::start().await;
    let (label, on_hand) = api.package().await;
    let token = Some(api.token.as_str());
    let cases = [
        (
            json!({"ticket_id": "T-1"}),
            422,
            "invalid_input",
            "budtender",
        ),
        (
            json!({"ticket_id": "T-2", "budtender": "Bea", "lines": [], "extra": 1}),
            422,
            "invalid_input",
            "extra",
        ),
        (
            sale("T-3", "Bea", "1A4000000000000000009999", "1"),
            422,
            "unknown_package",
            "",
        ),
        (sale("T-4", "Nobody", &label, "1"), 422, "unknown_user", ""),
        (
            sale("T-5", "Bea", &label, &format!("{on_hand}0")),
            422,
            "insufficient_quantity",
            "",
        ),
        (
            sale("T-6", "Bea", &label, "-1"),
            422,
            "invalid_quantity",
            "",
        ),
        (
            sale("T-7", "Bea", &label, "abc"),
            422,
            "invalid_input",
            "lines[0]",
        ),
        (
            sale("", "Bea", &label, "1"),
            422,
            "invalid_input",
            "ticket id",
        ),
        (
            json!({"ticket_id": "T-8", "budtender": "Bea", "sold_at": "yesterday",
                   "lines": [{"label": label, "quantity": "1", "price": "1"}]}),
            422,
            "invalid_input",
            "sold_at",
        ),
        (
            json!({"ticket_id": "T-9", "budtender": "Bea", "sold_at": "2999-01-01T00:00:00Z",
                   "lines": [{"label": label, "quantity": "1", "price": "1"}]}),
            422,
            "invalid_input",
            "",
        ),
        (
            json!({"ticket_id": "T-10", "budtender": "Bea", "customer_type": "Martian",
                   "lines": [{"label": label, "quantity": "1", "price": "1"}]}),
            422,
            "invalid_input",
            "",
        ),
    ];
    for (body, status, code, names) in cases {
        let (got, answer) = api.post(token, "/v1/sales", &body).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{body} → {answer}"
        );
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(names), "{message:?} names {names:?}");
    }
    // Not JSON at all.
    let response = api
        .http
        .post(format!("{}/v1/sales", api.base))
        .bearer_auth(&api.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(api.count("sales"), 0);
    assert_eq!(api.count("outbox"), 0);
    assert_eq!(api.count("pos_tickets"), 0);
    // Query parameters that cannot be read get the same shape, naming the parameter.
    let (status, answer) = api.get(token, "/v1/packages?include_empty=maybe").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("invalid_input")),
        "{answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("include_empty"),
        "{answer}"
    );
    // An unknown route is a 404 in the same shape.
    let (status, answer) = api.get(token, "/v1/nothing-here").await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")));
    let (status, answer) = api.get(token, "/v1/records/T-404").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("unknown_ticket"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjustments_need_a_manager_and_replay_by_ticket() {
    let api = Api::start().await;
    let (label, _) = api.package().await;
    let reason = api
        .app
        .database()
        .adjustment_reasons(DEMO_LICENSE)
        .unwrap()
        .into_iter()
        .find(|r| !r.requires_note)
        .expect("a reason without a note")
        .name;
    let body = |who: &str| {
        json!({"ticket_id": "ADJ-1", "budtender": who, "label": label, "quantity": "-1",
               "reason": reason})
    };
    let (status, refused) = api
        .post(Some(&api.token), "/v1/adjustments", &body("Bea"))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("not_allowed")),
        "{refused}"
    );
    let (status, made) = api
        .post(Some(&api.token), "/v1/adjustments", &body("Max"))
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["kind"], "adjustment");
    let (status, again) = api
        .post(Some(&api.token), "/v1/adjustments", &body("Max"))
        .await;
    assert_eq!((status, &again["replayed"]), (200, &json!(true)));
    assert_eq!(api.count("adjustments"), 1);
    // A sale under an adjustment's ticket is a conflict.
    let (status, conflict) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &sale("ADJ-1", "Max", &label, "1"),
        )
        .await;
    assert_eq!(
        (status, conflict["code"].as_str()),
        (409, Some("ticket_conflict"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_and_status_show_what_the_register_knows() {
    let api = Api::start().await;
    let (label, on_hand) = api.package().await;
    let (status, packages) = api.get(Some(&api.token), "/v1/packages").await;
    assert_eq!(status, 200);
    let before = packages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label.as_str())
        .expect("the package is listed")
        .clone();
    assert_eq!(before["on_hand"], on_hand.as_str());
    let (status, _) = api
        .post(
            Some(&api.token),
            "/v1/sales",
            &sale("T-S1", "Bea", &label, "1"),
        )
        .await;
    assert_eq!(status, 201);
    let (_, found) = api
        .get(
            Some(&api.token),
            &format!("/v1/packages?query={}", &label[label.len() - 6..]),
        )
        .await;
    let after = &found.as_array().unwrap()[0];
    assert_eq!(after["label"], label.as_str());
    assert_ne!(
        after["on_hand"], before["on_hand"],
        "on hand counts the sale"
    );
    let (status, unknown) = api
        .get(Some(&api.token), "/v1/packages?licence=NOPE-1")
        .await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (422, Some("unknown_licence"))
    );

    let (status, view) = api.get(Some(&api.token), "/v1/status").await;
    assert_eq!(status, 200, "{view}");
    let licence = view["licences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["licence"] == DEMO_LICENSE)
        .expect("the demo licence")
        .clone();
    let counted = licence["waiting"].as_u64().unwrap() + licence["confirmed"].as_u64().unwrap();
    assert_eq!(counted, 1, "{view}");
    assert!(
        view["delivery"].as_str().unwrap().contains("waiting"),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tills_at_once_share_commits_and_each_gets_its_own_answer() {
    let api = Api::start().await;
    let (label, on_hand) = api.package().await;
    let on_hand: f64 = on_hand.parse().unwrap();
    // 24 tickets from 8 tills at once, each ticket sent twice, and one sale too big for the shelf.
    let mut calls = Vec::new();
    for till in 0..8 {
        for n in 0..3 {
            let ticket = format!("T-{till}-{n}");
            for _ in 0..2 {
                let body = sale(&ticket, "Bea", &label, "1");
                let (api, ticket) = (&api, ticket.clone());
                calls.push(async move {
                    let answer = api.post(Some(&api.token), "/v1/sales", &body).await;
                    (ticket, answer)
                });
            }
        }
    }
    let big = sale("T-big", "Bea", &label, &format!("{}", on_hand * 2.0));
    let (answers, (big_status, big_answer)) = tokio::join!(
        futures::future::join_all(calls),
        api.post(Some(&api.token), "/v1/sales", &big)
    );
    assert_eq!(
        (big_status, big_answer["code"].as_str()),
        (422, Some("insufficient_quantity"))
    );
    let mut by_ticket: std::collections::BTreeMap<String, Vec<(u16, serde_json::Value)>> =
        Default::default();
    for (ticket, answer) in answers {
        by_ticket.entry(ticket).or_default().push(answer);
    }
    for (ticket, pair) in &by_ticket {
        let mut statuses: Vec<u16> = pair.iter().map(|(s, _)| *s).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 201], "{ticket}: one sale, one replay");
        assert_eq!(pair[0].1["client_id"], pair[1].1["client_id"], "{ticket}");
    }
    assert_eq!(api.count("sales"), 24);
    assert_eq!(api.count("pos_tickets"), 24);
}
