//! Entry point of the Stateline desktop app; everything lives in the library's `run`.

// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    match stateline_app_lib::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Stateline could not start: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
