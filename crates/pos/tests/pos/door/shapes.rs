//! The door against Metrc's own Postman collection (`/work/shared/metrc/reference/postman-co.json`
//! beside the repository, or `METRC_POSTMAN` if set): its request bodies are taken as they are,
//! its register routes are all answered, and answers come in Metrc's shapes.

use metrc::ReceiptUpdate;
use serde_json::{Value, json};

use super::fixture::{DEMO_MANAGER_KEY, Door, key};

fn collection() -> Option<Value> {
    let path = std::env::var("METRC_POSTMAN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/metrc/reference/postman-co.json"
        )
        .to_owned()
    });
    let text = std::fs::read_to_string(&path).ok()?;
    serde_json::from_str(&text).ok()
}

/// The v2 request named `name` in `section`.
fn request(postman: &Value, section: &str, name: &str) -> Value {
    let v2 = postman["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "v2")
        .unwrap();
    let section = v2["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == section)
        .unwrap();
    section["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap()["request"]
        .clone()
}

fn body(postman: &Value, section: &str, name: &str) -> Value {
    serde_json::from_str(
        request(postman, section, name)["body"]["raw"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

/// A request's path, `{{variable}}`s filled from `vars`.
fn path(postman: &Value, section: &str, name: &str, vars: &[(&str, &str)]) -> String {
    let url = &request(postman, section, name)["url"];
    let host = url["host"][0]
        .as_str()
        .unwrap()
        .replace("{{Metrc.api.server}}", "");
    let mut path = host;
    for segment in url["path"].as_array().unwrap() {
        let s = segment.as_str().unwrap();
        if !s.is_empty() {
            path.push('/');
            path.push_str(s);
        }
    }
    let query: Vec<String> = url["query"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| {
            let k = q["key"].as_str().unwrap();
            let v = q["value"].as_str().unwrap();
            let var = v.trim_start_matches("{{").trim_end_matches("}}");
            vars.iter()
                .find(|(n, _)| *n == var)
                .map(|(_, value)| format!("{k}={value}"))
        })
        .collect();
    let mut out = path;
    for (n, value) in vars {
        out = out.replace(&format!("{{{{{n}}}}}"), value);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_collections_receipts_and_adjustments_are_taken_as_metrc_takes_them() {
    let Some(postman) = collection() else {
        eprintln!("Metrc's Postman collection is not beside the repository; skipped");
        return;
    };
    let door = Door::start().await;
    let (label, unit) = door.package().await;
    let auth = Some(("Max", DEMO_MANAGER_KEY));
    let licence = door.licence();

    // RecordReceipts, exactly as the collection writes it, with this register's package, unit,
    // a time two minutes ago at the facility and a number of ours.
    let mut receipts = body(&postman, "Sales", "RecordReceipts");
    let ours = serde_json::to_value(door.receipt("PM-1", &label, &unit, 1.0)).unwrap();
    for r in receipts.as_array_mut().unwrap().iter_mut().take(1) {
        r["SalesDateTime"] = ours["SalesDateTime"].clone();
        r["ExternalReceiptNumber"] = json!("PM-1");
        for t in r["Transactions"].as_array_mut().unwrap() {
            t["PackageLabel"] = json!(label);
            t["UnitOfMeasure"] = json!(unit);
        }
    }
    receipts.as_array_mut().unwrap().truncate(1);
    // What Stateline's client sends is a subset of the collection's fields.
    let sample = &receipts[0];
    for field in ours.as_object().unwrap().keys() {
        assert!(
            sample.get(field).is_some(),
            "{field} is not in the collection"
        );
    }
    let post = path(
        &postman,
        "Sales",
        "RecordReceipts",
        &[("licenseNumber", licence)],
    );
    let (status, answer) = door
        .raw(reqwest::Method::POST, &post, auth, Some(&receipts))
        .await;
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let id = answer["Ids"][0].as_i64().expect("an id");
    assert_eq!(answer, json!({"Ids": [id], "Warnings": null}));

    // Adjust, as the collection writes it, with this register's package and reasons.
    let reasons = door.app.database().adjustment_reasons(licence).unwrap();
    let reason = reasons
        .first()
        .expect("the demo register caches Metrc's reasons");
    {
        let today = door
            .app
            .database()
            .now()
            .to_zoned(jiff::tz::TimeZone::get(metrc_emulator::DEMO_TIME_ZONE).unwrap())
            .date()
            .to_string();
        let mut rows = body(&postman, "Packages", "Adjust");
        for r in rows.as_array_mut().unwrap() {
            r["Label"] = json!(label);
            r["UnitOfMeasure"] = json!(unit);
            r["AdjustmentReason"] = json!(reason.name);
            r["AdjustmentDate"] = json!(today);
            if reason.requires_note && r["ReasonNote"].is_null() {
                r["ReasonNote"] = json!("counted again");
            }
        }
        let adjust = path(
            &postman,
            "Packages",
            "Adjust",
            &[("licenseNumber", licence)],
        );
        let (status, answer) = door
            .raw(reqwest::Method::POST, &adjust, auth, Some(&rows))
            .await;
        assert_eq!(status, 200, "{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["Ids"].as_array().unwrap().len(), 2);
        assert_eq!(answer["Warnings"], Value::Null);
        assert_eq!(
            door.count("SELECT COUNT(*) FROM outbox WHERE kind = 'adjustment'"),
            2
        );
        let (status, again) = door
            .raw(reqwest::Method::POST, &adjust, auth, Some(&rows))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&again).unwrap(),
            answer,
            "the same rows again: the same adjustments"
        );
    }

    // Every register route of the collection is answered, lists in Metrc's envelope.
    let id_text = id.to_string();
    let vars = [
        ("licenseNumber", licence),
        ("id", id_text.as_str()),
        ("externalNumber", "PM-1"),
        ("label", label.as_str()),
        ("pageNumber", "1"),
        ("pageSize", "20"),
    ];
    for (section, name, envelope) in [
        ("Facilities", "GetActive", false),
        ("Sales", "GetCustomerTypes", false),
        ("UnitsOfMeasure", "GetActive", false),
        ("Sales", "GetReceiptById", false),
        ("Sales", "GetReceiptByExternalNumber", false),
        ("Sales", "GetReceiptsActive", true),
        ("Packages", "GetActive", true),
        ("Packages", "GetPackageByLabel", false),
        ("Packages", "GetAdjustmentReasons", true),
    ] {
        let url = path(&postman, section, name, &vars);
        let (status, text) = door.raw(reqwest::Method::GET, &url, auth, None).await;
        assert_eq!(status, 200, "{section}/{name} {url}: {text}");
        let value: Value = serde_json::from_str(&text).unwrap();
        if envelope {
            for field in [
                "Data",
                "Total",
                "TotalRecords",
                "PageSize",
                "RecordsOnPage",
                "Page",
                "CurrentPage",
                "TotalPages",
            ] {
                assert!(value.get(field).is_some(), "{section}/{name} lacks {field}");
            }
        } else if name.starts_with("GetReceipt") {
            assert_eq!(value["Id"], id, "{section}/{name}");
            assert_eq!(value["ExternalReceiptNumber"], "PM-1");
        }
    }

    // Correct, then void, through the client as a POS would; a second void changes nothing.
    let pos = door.pos("Max");
    let mut corrected = door.receipt("PM-1", &label, &unit, 1.0);
    corrected.sales_date_time = ours["SalesDateTime"].as_str().unwrap().parse().unwrap();
    corrected.transactions[0].quantity = 2.0;
    pos.update_receipts(
        &key(DEMO_MANAGER_KEY),
        licence,
        &[ReceiptUpdate {
            id,
            receipt: corrected,
        }],
    )
    .await
    .expect("the correction is recorded");
    assert_eq!(
        door.count("SELECT COUNT(*) FROM outbox WHERE kind = 'sale_correction'"),
        1
    );
    pos.void_receipt(&key(DEMO_MANAGER_KEY), licence, id)
        .await
        .expect("the void is recorded");
    pos.void_receipt(&key(DEMO_MANAGER_KEY), licence, id)
        .await
        .expect("voiding again is harmless");
    assert_eq!(
        door.count("SELECT COUNT(*) FROM outbox WHERE kind = 'sale_void'"),
        1
    );
    let (status, text) = door
        .raw(
            reqwest::Method::GET,
            &format!("/sales/v2/receipts/{id}?licenseNumber={licence}"),
            auth,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let voided: Value = serde_json::from_str(&text).unwrap();
    assert!(voided["ArchivedDate"].is_string(), "{voided}");
}
