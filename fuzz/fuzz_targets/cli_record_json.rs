//! Fuzz target `cli_record_json`: the JSON of `stateline record sale|adjustment|new-packages`.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::record_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::record_json::check(data));
