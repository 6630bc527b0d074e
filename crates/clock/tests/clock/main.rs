//! The clock's tests: only `SystemClock` reads the system time, and a moved clock is really moved.
//!
//! One test binary for the crate, one module per subject.

mod date_travel;
mod one_clock;
