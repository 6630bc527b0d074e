//! The date-travel stage's own check (`scripts/date-travel.sh`): with `STATELINE_TRAVELLED_TO`
//! set to the epoch second the stage moved the clock to, the system clock must read within ten
//! minutes after it — proof that libfaketime reaches Rust test binaries, so the suites that run
//! after it really ran on the moved date. Without the variable there is nothing to check.

use stateline_clock::{Clock, SystemClock};

#[test]
fn the_system_clock_reads_the_date_travel_instant() {
    let Ok(target) = std::env::var("STATELINE_TRAVELLED_TO") else {
        return;
    };
    let target: i64 = target
        .parse()
        .expect("STATELINE_TRAVELLED_TO is an epoch second");
    let now = SystemClock.now().as_second();
    assert!(
        (target..target + 600).contains(&now),
        "the clock reads {now}, the stage moved it to {target}: libfaketime did not take"
    );
}
