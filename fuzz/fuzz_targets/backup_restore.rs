//! Fuzz target `backup_restore`: a damaged backup file restored over a data folder.
//! The oracle, and what it checks: `stateline_testkit::fuzzing::backup`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stateline_testkit::fuzzing::backup::check(data));
