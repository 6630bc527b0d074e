//! The one way async code runs store work: on tokio's blocking threads, never on the async ones.
//!
//! Guarantees: the store's synchronous calls (SQLite, file I/O) never block an async worker
//! thread; a blocking task that panicked or was cancelled comes back as
//! [`StoreError::Internal`] saying so, never as a panic in the caller.

use std::future::Future;

use stateline_store::{Database, StoreError};

/// Runs `work` on a blocking thread and returns its result.
pub async fn run_blocking<T: Send + 'static, E: From<StoreError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        E::from(StoreError::Internal(format!(
            "a store call did not finish: {e}"
        )))
    })?
}

/// `db.call(|db| ...)`: a store call from async code.
pub trait StoreCall {
    /// Runs `call` with this store on a blocking thread (the handle is cheap to clone).
    fn call<T, E>(
        &self,
        call: impl FnOnce(&Database) -> Result<T, E> + Send + 'static,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static;
}

impl StoreCall for Database {
    fn call<T, E>(
        &self,
        call: impl FnOnce(&Database) -> Result<T, E> + Send + 'static,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || call(&db))
    }
}
