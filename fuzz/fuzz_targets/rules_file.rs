//! Fuzz target `rules_file`: a state's purchase-limit rules file.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::rules`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::rules::check(data));
