//! The tray says how many records still wait for Metrc (issue #15: closing the window mid-drain
//! keeps every record and delivery goes on from the tray, which must say what is left).
//!
//! Guarantees: the tray's first menu line (disabled, informational) and its tooltip (where the
//! platform shows one; Linux's app indicators do not) read [`tray_text`] of the waiting count —
//! set from [`App::waiting_records`] when the tray is made, then from every `status_changed`
//! the core sends (its `waiting` is the same count). One task per tray, ending when the core's
//! channel closes; a missed event is made good by the next one, which carries the whole count.

use stateline_api::{App, AppEvent};
use tauri::menu::MenuItem;
use tauri::{AppHandle, Runtime};
use tokio::sync::broadcast::error::RecvError;

/// The tray icon's id (see `add_tray`).
pub const TRAY_ID: &str = "stateline";

/// What the tray says for `waiting` records not yet in Metrc.
pub fn tray_text(waiting: u64) -> String {
    match waiting {
        0 => "Stateline: every record is in Metrc".to_owned(),
        1 => "Stateline: 1 record waiting for Metrc".to_owned(),
        n => format!("Stateline: {n} records waiting for Metrc"),
    }
}

fn show<R: Runtime>(handle: &AppHandle<R>, item: &MenuItem<R>, waiting: u64) {
    let text = tray_text(waiting);
    if let Err(error) = item.set_text(&text) {
        tracing::debug!(%error, "could not update the tray's status line");
    }
    if let Some(tray) = handle.tray_by_id(TRAY_ID)
        && let Err(error) = tray.set_tooltip(Some(&text))
    {
        tracing::debug!(%error, "could not update the tray's tooltip");
    }
}

/// Keeps `item` (the tray menu's status line) and the tray's tooltip on the waiting count.
pub fn follow<R: Runtime>(app: &App, handle: AppHandle<R>, item: MenuItem<R>) {
    let mut rx = app.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match app.waiting_records().await {
            Ok(waiting) => show(&handle, &item, waiting),
            Err(error) => tracing::warn!(%error, "the tray cannot count the waiting records"),
        }
        loop {
            match rx.recv().await {
                Ok(AppEvent::Status(status)) => show(&handle, &item, status.waiting),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::tray_text;

    #[test]
    fn the_tray_says_how_many_records_wait() {
        assert_eq!(tray_text(0), "Stateline: every record is in Metrc");
        assert_eq!(tray_text(1), "Stateline: 1 record waiting for Metrc");
        assert_eq!(
            tray_text(2_160),
            "Stateline: 2160 records waiting for Metrc"
        );
    }
}
