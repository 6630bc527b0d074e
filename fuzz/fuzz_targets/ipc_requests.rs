//! Fuzz target `ipc_requests`: the JSON of an IPC command's request, handled by a demo-mode app.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::ipc`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::ipc::check(data));
