//! Fuzz target `retry_after`: a `Retry-After` header value on a 429.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::retry_after`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::retry_after::check(data));
