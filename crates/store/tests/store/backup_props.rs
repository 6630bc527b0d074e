//! Property tests of restoring a damaged backup: a real backup with bits flipped, bytes set or
//! cut short anywhere is refused with a coded error and the data folder left exactly as it was,
//! or — when the damage missed everything SQLite reads — restored whole with the replaced database
//! kept byte for byte. The oracle is the `backup_restore` fuzz target's
//! (`stateline_testkit::fuzzing::backup`), which also replays `fuzz/regressions/backup_restore/`.
//!
//! `PROPTEST_CASES` raises the case count of a long run (CI keeps the defaults below).

use proptest::prelude::*;
use stateline_testkit::fuzzing::backup;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig::with_cases(cases)
}

/// One edit of the oracle's input format: what (0 flip, 1 set, 2 cut), where, which byte.
fn edit() -> impl Strategy<Value = [u8; 5]> {
    (
        prop_oneof![4 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
        any::<[u8; 3]>(),
        any::<u8>(),
    )
        .prop_map(|(kind, at, byte)| [kind, at[0], at[1], at[2], byte])
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn a_damaged_backup_is_refused_untouched_or_restored_whole(
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        backup::check(&edits.concat());
    }

    /// Damage in the first page (the header and the schema) hits what every restore reads.
    #[test]
    fn damage_to_the_first_page_is_refused_untouched_or_restored_whole(
        at in 0u16..4096,
        bits in 1u8..=255,
    ) {
        let [hi, lo] = at.to_be_bytes();
        backup::check(&[0, 0, hi, lo, bits]);
    }
}

#[test]
fn the_sound_backup_restores_and_a_cut_one_is_refused() {
    backup::check(&[]);
    for cut in [0u32, 1, 99, 100, 4095, 4096, 8192, 20_000] {
        let [_, a, b, c] = cut.to_be_bytes();
        backup::check(&[2, a, b, c, 0]);
    }
}
