//! Stateline's desktop shell.
//!
//! It opens the main window on the embedded UI (`ui/dist`) and holds no logic of its own: every
//! command it will expose is a one-line adapter into `stateline-core`, and the core never depends
//! on Tauri.

// The shell is linked against the core from the start, so the crate split is enforced by the build.
use stateline_core as _;

/// Builds and runs the Tauri application until the last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default().run(tauri::generate_context!())
}
