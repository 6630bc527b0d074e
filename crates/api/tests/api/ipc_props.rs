//! Property tests of the IPC boundary: every command's request JSON, damaged — a value anywhere
//! swapped for another of any type (huge numbers, negative ids, empty and odd strings, nulls,
//! nesting) — or made up whole, is deserialised into every request type without a panic and, when
//! it deserialises, handled by a real app in demo mode with success or a coded `ApiError`, never
//! `internal`. The oracle is the `ipc_requests` fuzz target's (`stateline_testkit::fuzzing::ipc`);
//! the undamaged requests are its seeds (`fuzz/corpus/ipc_requests/`).
//!
//! `PROPTEST_CASES` raises the case count of a long run (CI keeps the defaults below).

use proptest::prelude::*;
use serde_json::Value;
use stateline_testkit::fuzzing::{committed_inputs, ipc};

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig::with_cases(cases)
}

/// The committed requests: (command, JSON) of every seed that is JSON.
fn seeds() -> Vec<(String, Value)> {
    committed_inputs("ipc_requests")
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let (command, json) = text.split_once('\n')?;
            Some((command.to_owned(), serde_json::from_str(json).ok()?))
        })
        .collect()
}

/// Any JSON value, with the extremes a request field might get.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
        "[0-9.eE+-]{0,24}".prop_map(Value::from),
        Just(Value::from("1A4FF0100000022000000002")),
        Just(Value::from("")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every place in `v` a value sits, as a path of keys and indexes.
fn places(v: &Value, path: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            let mut p = path.clone();
            p.push(Value::from(k.as_str()));
            places(x, p, out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            let mut p = path.clone();
            p.push(Value::from(i));
            places(x, p, out);
        }),
        _ => {}
    }
}

fn replace(v: &mut Value, path: &[Value], with: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = with;
        return;
    };
    let next = match (v, first) {
        (Value::Object(m), Value::String(k)) => m.get_mut(k),
        (Value::Array(a), Value::Number(i)) => i.as_u64().and_then(|i| a.get_mut(i as usize)),
        _ => None,
    };
    if let Some(next) = next {
        replace(next, rest, with);
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_request_with_one_value_swapped_is_handled_or_refused_with_a_code(
        seed in any::<prop::sample::Index>(),
        place in any::<prop::sample::Index>(),
        with in any_json(),
    ) {
        let seeds = seeds();
        prop_assume!(!seeds.is_empty());
        let (command, mut request) = seeds[seed.index(seeds.len())].clone();
        let mut all = Vec::new();
        places(&request, Vec::new(), &mut all);
        replace(&mut request, &all[place.index(all.len())], with);
        ipc::check(format!("{command}\n{request}").as_bytes());
    }

    #[test]
    fn any_json_for_any_command_is_handled_or_refused_with_a_code(
        command in any::<prop::sample::Index>(),
        request in any_json(),
    ) {
        let command = ipc::COMMANDS[command.index(ipc::COMMANDS.len())];
        ipc::check(format!("{command}\n{request}").as_bytes());
    }
}

#[test]
fn the_committed_requests_are_handled_or_refused_with_a_code() {
    let seeds = seeds();
    assert!(seeds.len() >= 20, "{} seeds", seeds.len());
    let mut handled = Vec::new();
    for (command, request) in seeds {
        assert!(ipc::COMMANDS.contains(&command.as_str()), "{command}");
        if ipc::outcome(format!("{command}\n{request}").as_bytes()) == ipc::Outcome::Handled {
            handled.push(command);
        }
    }
    for command in [
        "search_packages",
        "complete_sale",
        "list_entries",
        "adjust_package",
    ] {
        assert!(
            handled.iter().any(|c| c == command),
            "the seed of {command} was not handled: the seeds no longer reach the handlers"
        );
    }
}
