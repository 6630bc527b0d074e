//! The store fault suite (issue #13, "Tests"): three registers as separate processes
//! (`stateline-store-register`), each with its own data folder and skewed clock, one store server
//! (a private PostgreSQL cluster) and the Metrc emulator in this process on loopback, a TCP proxy
//! between each register and each server. Bea's key is at one register and the manager's at
//! every one, so Bea's sales elsewhere are handed over and delivered by the holder under a lease.
//!
//! Faults, as real process and network faults: the store server killed (`pg_ctl stop -m
//! immediate`) and restarted; a register cut off from the store but not Metrc, and the reverse;
//! the holder cut off from the store with a POST in flight under a lease; registers SIGKILLed
//! during a push and during a delivery and restarted on their data folders; a lease holder
//! paused with SIGSTOP past its lease and resumed; clocks skewed by minutes, also across a key
//! rotation (the newer key saved at a register whose clock is slow).
//!
//! Oracle (`oracle`), after healing and draining: Metrc's ledger is exactly the registers'
//! sales — every acknowledged one among them — each once, with its original time, recorded by
//! the seller's Metrc user; no sale was refused for insufficient quantity (the packages hold
//! exactly what the plans sell, so a refusal is a count gone wrong).
//!
//! Randomness is seeded: `STATELINE_STORE_FAULT_SEED=S` replays a seed (each test has a fixed
//! default); a failure names its seed and shows the end of each register's log;
//! `STATELINE_STORE_FAULT_KEEP=1` keeps the registers' data folders for a look afterwards. Waits
//! are generous polls (a minute), never timed assertions.

mod kills;
mod leases;
mod network;
mod oracle;
mod pause;
mod register;
mod rotation;
mod store;
mod wait;
