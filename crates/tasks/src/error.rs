//! The one error type of `stateline-tasks`.
//!
//! Guarantees: a stable [`TaskError::code`]; the crates that own tasks wrap it transparently.

/// What can go wrong stopping a task.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A background task did not stop in time and was cut off.
    #[error(
        "the delivery worker did not stop within {waited_ms} ms and was cut off; records in flight will be looked up at the next start"
    )]
    StopTimedOut {
        /// How long we waited.
        waited_ms: u64,
    },
}

impl TaskError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TaskError::StopTimedOut { .. } => "stop_timed_out",
        }
    }
}
