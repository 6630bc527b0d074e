//! The store fault suite (issue #13, "Tests"): registers of one store run as separate OS
//! processes (`stateline-store-register`) against one store server (a private PostgreSQL
//! cluster) and the Metrc emulator, and the driver in `tests/` injects real faults — the store
//! server killed, registers cut off from the store or from Metrc by a TCP proxy, registers
//! SIGKILLed mid-push and mid-delivery, a lease holder paused with SIGSTOP, skewed clocks — then
//! checks Metrc's ledger against every register's acknowledged sales.
//!
//! Shared by the register binary and the driver: [`plan`] (who sells what as a register's n-th
//! sale, and whose demo key is whose), [`lines`] (the register's stdout protocol) and [`proxy`]
//! (the TCP proxy the driver places in front of the store server and of Metrc).

pub mod lines;
pub mod plan;
pub mod proxy;
