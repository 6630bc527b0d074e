//! The one way async code runs store work: on tokio's blocking threads, never on the async ones.
//!
//! Guarantees: the store's synchronous calls (SQLite, file I/O) never block an async worker
//! thread; a blocking task that panicked or was cancelled comes back as `CoreError::Internal`
//! saying so, never as a panic in the caller.

use crate::{CoreError, Database};

/// Runs `work` on a blocking thread and returns its result.
pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::Internal(format!("a store call did not finish: {e}")))?
}

impl Database {
    /// Runs `call` with this store on a blocking thread (the handle is cheap to clone).
    pub async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Database) -> Result<T, CoreError> + Send + 'static,
    ) -> Result<T, CoreError> {
        let db = self.clone();
        run_blocking(move || call(&db)).await
    }
}
