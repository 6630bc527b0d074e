//! The async plumbing every tokio-using Stateline crate shares, written once:
//!
//! - [`OwnedTask`]: a background task with exactly one owner that can stop it (bounded wait,
//!   then abort; dropping the owner aborts it);
//! - [`StoreCall`]: the one way async code runs a store call, on tokio's blocking threads.
//!
//! Guarantees: no background task outlives its owner; no synchronous store call (SQLite, file
//! I/O) runs on an async worker thread.

mod blocking;
mod error;
mod owned;

pub use blocking::{StoreCall, run_blocking};
pub use error::TaskError;
pub use owned::{OwnedTask, join_or_abort};
