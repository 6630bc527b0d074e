//! Item facts (category type, unit weight, unit THC content) in every reply that carries an item,
//! the category type old seeds get, and seed files written before items had facts.
use crate::common;

use common::*;
use metrc_emulator::*;
use serde_json::{Value, json};

/// An amount with its unit.
type Amount = Option<(f64, &'static str)>;

/// (name, category type, unit weight, unit THC content) of every demo item.
const DEMO_FACTS: &[(&str, &str, Amount, Amount)] = &[
    ("Blue Dream Flower", "Buds", None, None),
    ("OG Kush Flower", "Buds", None, None),
    ("Sour Diesel Flower", "Buds", None, None),
    ("Gelato Shake", "ShakeTrim", None, None),
    ("Blue Dream Pre-Roll 1g", "Buds", Some((1.0, "Grams")), None),
    (
        "Watermelon Gummies 100mg",
        "InfusedEdible",
        None,
        Some((100.0, "Milligrams")),
    ),
    (
        "Hybrid Vape Cartridge 0.5g",
        "Concentrate",
        Some((0.5, "Grams")),
        None,
    ),
    (
        "CBD Tincture 30ml",
        "InfusedNonEdible",
        None,
        Some((300.0, "Milligrams")),
    ),
];

fn measure(v: &Value, value: &str, unit: &str) -> Option<(f64, String)> {
    v[value]
        .as_f64()
        .map(|x| (x, v[unit].as_str().unwrap_or_default().to_owned()))
}

fn assert_facts(item: &Value) {
    let name = item["Name"].as_str().unwrap();
    let (_, kind, weight, thc) = DEMO_FACTS
        .iter()
        .find(|(n, ..)| *n == name)
        .unwrap_or_else(|| panic!("unexpected item {name}"));
    assert_eq!(item["ProductCategoryType"], *kind, "{name}");
    assert_eq!(
        measure(item, "UnitWeight", "UnitWeightUnitOfMeasureName"),
        weight.map(|(v, u)| (v, u.to_owned())),
        "{name}"
    );
    assert_eq!(
        measure(item, "UnitThcContent", "UnitThcContentUnitOfMeasureName"),
        thc.map(|(v, u)| (v, u.to_owned())),
        "{name}"
    );
}

#[tokio::test]
async fn items_packages_and_sale_lines_carry_the_item_facts() {
    let emu = start().await;
    let api = Api::manager(&emu);
    let (status, body) = api.get(&lic("/items/v2/active")).await;
    assert_eq!(status, 200);
    let items = body["Data"].as_array().unwrap();
    assert_eq!(items.len(), DEMO_FACTS.len());
    for item in items {
        assert_facts(item);
    }
    // The category names are the state's own, unchanged.
    let gummies = items
        .iter()
        .find(|i| i["Name"] == "Watermelon Gummies 100mg")
        .unwrap();
    assert_eq!(gummies["ProductCategoryName"], "Edible");

    let (status, packages) = api.get(&lic("/packages/v2/active")).await;
    assert_eq!(status, 200);
    for p in packages["Data"].as_array().unwrap() {
        assert_facts(&p["Item"]);
    }

    let vape = "1A4FF0100000022000000019";
    let (status, body) = api
        .post(
            &lic("/sales/v2/receipts"),
            &json!([sale("F-1", vape, 1.0, "Each")]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["Ids"][0].as_u64().unwrap();
    let (_, receipt) = api.get(&lic(&format!("/sales/v2/receipts/{id}"))).await;
    let line = &receipt["Transactions"][0];
    assert_eq!(line["ProductName"], "Hybrid Vape Cartridge 0.5g");
    assert_eq!(line["ItemUnitWeight"], 0.5);
    assert_eq!(line["ItemUnitWeightUnitOfMeasureName"], "Grams");
    assert_eq!(line["ItemUnitThcContent"], Value::Null);
    emu.shutdown().await;
}

#[test]
fn old_callers_get_a_category_type_from_the_category_name() {
    for (name, kind) in [
        ("Buds", "Buds"),
        ("Flower", "Buds"),
        ("Pre-Roll Flower", "Buds"),
        ("Shake/Trim", "ShakeTrim"),
        ("Vape Cartridge", "Concentrate"),
        ("Concentrate", "Concentrate"),
        ("Edible", "InfusedEdible"),
        ("Infused Edibles", "InfusedEdible"),
        ("Infused Non-Edible", "InfusedNonEdible"),
        ("Tincture", "InfusedNonEdible"),
        ("Seeds", "Seeds"),
        ("Clones", "Clone"),
        ("Immature Plants", "Plants"),
        ("Accessories", "Accessories"),
    ] {
        assert_eq!(default_category_type(name), kind, "{name}");
    }
    let now = jiff::Timestamp::now();
    let mut seed = Seed::empty();
    seed.add_dispensary("403R-00009", "Old", DEMO_TIME_ZONE);
    let id = seed.add_item("403R-00009", "Old Gummies", "Edible", "Each", now);
    let item = seed.items.iter().find(|i| i.id == id).unwrap();
    assert_eq!(item.category_type(), "InfusedEdible");
    assert_eq!(item.unit_weight, None);
    assert_eq!(item.unit_thc_content, None);
}

/// A seed file written before items had facts still loads; its items' category types are
/// derived from their category names.
#[tokio::test]
async fn a_seed_file_without_item_facts_or_patients_loads() {
    let mut seed = serde_json::to_value(Seed::demo(jiff::Timestamp::now())).unwrap();
    for item in seed["items"].as_array_mut().unwrap() {
        let item = item.as_object_mut().unwrap();
        item.remove("category_type");
        item.remove("unit_weight");
        item.remove("unit_thc_content");
    }
    seed.as_object_mut().unwrap().remove("patients");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), seed.to_string()).unwrap();
    let seed = Seed::from_json_file(file.path()).unwrap();
    assert!(seed.patients.is_empty());
    let emu = start_with(seed, Options::default()).await;
    let (_, body) = Api::manager(&emu).get(&lic("/items/v2/active")).await;
    let kinds: Vec<&str> = body["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ProductCategoryType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Buds",
            "Buds",
            "Buds",
            "ShakeTrim",
            "Buds",
            "InfusedEdible",
            "Concentrate",
            "InfusedNonEdible"
        ]
    );
    assert!(
        body["Data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["UnitWeight"].is_null() && i["UnitThcContent"].is_null())
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn item_facts_can_be_changed_through_control() {
    let emu = start().await;
    let ctl = emu.control();
    assert!(ctl.set_item_facts(
        DEMO_LICENSE,
        "Watermelon Gummies 100mg",
        ItemFacts::of_type("InfusedEdible")
    ));
    assert!(!ctl.set_item_facts(DEMO_LICENSE, "No Such Item", ItemFacts::default()));
    let (_, body) = Api::manager(&emu).get(&lic("/items/v2/active")).await;
    let gummies = body["Data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Name"] == "Watermelon Gummies 100mg")
        .unwrap()
        .clone();
    assert_eq!(gummies["ProductCategoryType"], "InfusedEdible");
    assert!(gummies["UnitThcContent"].is_null());
    emu.shutdown().await;
}
