//! Fuzz target `metrc_reply`: a Metrc reply (status and body) decoded as each endpoint's.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::metrc_reply`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::metrc_reply::check(data));
