//! Crash tests: child processes killed in a loop or aborted at named crash points, then recovered.
//!
//! One test binary for the crate, one module per subject.

mod crash_points;
mod kill_loop;
mod sync_kill_loop;
