//! Start at login, as an option (Settings › Start at login): Tauri's autostart plugin, which on
//! Linux writes or removes `~/.config/autostart/Stateline.desktop` starting this binary (the
//! installed `/usr/bin/stateline-app`), on Windows a Run key in the registry and on macOS a launch
//! agent. Off until a user turns it on; the window asks the plugin (`plugin:autostart|is_enabled`,
//! `enable`, `disable`, allowed in `capabilities/default.json`) through `ui/src/backend.ts`.

use tauri::Runtime;
use tauri::plugin::TauriPlugin;
use tauri_plugin_autostart::MacosLauncher;

/// The plugin, registered on the app's builder.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, None)
}
