//! Forwards the core's events to the window (`AppHandle::emit`), under the names and payloads of
//! `docs/ipc.md` (`status_changed`, …, `store_changed` for this register's link to its store).
//!
//! Guarantees: one forwarding task per app, ending when the core's channel closes; a burst the
//! window cannot keep up with loses the oldest events, never blocks the core (the next
//! `status_changed` carries the whole state again).

use stateline_api::App;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

/// Starts forwarding `app`'s events to `handle`.
pub fn forward<R: Runtime>(app: &App, handle: AppHandle<R>) {
    let mut rx = app.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if let Err(error) = handle.emit(event.name(), event.payload()) {
                        tracing::warn!(%error, event = event.name(), "could not emit an event");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the window missed events");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
