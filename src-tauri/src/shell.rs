//! The Tauri builder: state, commands, event forwarding, the tray, close-to-tray and the quit
//! confirmation.
//!
//! Guarantees: closing the window only hides it when the tray icon is up (delivery goes on; the
//! tray shows it again), and otherwise quits as below;
//! quitting while records wait does not quit but emits `quit_requested {waiting}` and shows the
//! window, and the UI confirms with `quit(force: true)`; quitting stops the core's worker first
//! (records in flight are looked up at the next start). The tray's first menu line and its
//! tooltip say how many records still wait for Metrc ([`tray_status`]).

mod tray_status;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use stateline_api::dto::{QUIT_REQUESTED, QuitRequested};
use stateline_api::{App, IpcError};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Builder, Emitter, Manager, Runtime, State, WindowEvent};

use crate::commands;

const MAIN_WINDOW: &str = "main";

/// Whether the tray icon is up (closing the window then only hides it).
struct Tray(AtomicBool);

/// Shows and focuses the main window.
pub fn show_main<R: Runtime>(handle: &AppHandle<R>) {
    if let Some(window) = handle.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Quits unless records wait and `force` is false; returns whether it quits.
pub async fn request_quit<R: Runtime>(
    handle: &AppHandle<R>,
    app: &App,
    force: bool,
) -> Result<bool, IpcError> {
    let waiting = app.waiting_records().await.map_err(IpcError::from)?;
    if waiting > 0 && !force {
        show_main(handle);
        let _ = handle.emit(QUIT_REQUESTED, QuitRequested { waiting });
        return Ok(false);
    }
    if let Err(error) = app.shutdown(Duration::from_secs(5)).await {
        tracing::warn!(%error, "the core did not stop cleanly");
    }
    handle.exit(0);
    Ok(true)
}

/// `quit`: see [`request_quit`]. Returns whether the app quits.
#[tauri::command]
pub async fn quit<R: Runtime>(
    handle: AppHandle<R>,
    app: State<'_, App>,
    force: bool,
) -> Result<bool, IpcError> {
    request_quit(&handle, &app, force).await
}

fn add_tray<R: Runtime>(handle: &AppHandle<R>) -> tauri::Result<()> {
    let status = MenuItem::with_id(
        handle,
        "status",
        tray_status::tray_text(0),
        false,
        None::<&str>,
    )?;
    let show = MenuItem::with_id(handle, "show", "Show / hide Stateline", true, None::<&str>)?;
    let sync = MenuItem::with_id(handle, "sync", "Sync now", true, None::<&str>)?;
    let quit = MenuItem::with_id(handle, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(handle, &[&status, &show, &sync, &quit])?;
    let mut tray = TrayIconBuilder::with_id(tray_status::TRAY_ID)
        .tooltip("Stateline")
        .menu(&menu)
        .on_menu_event(|handle, event| {
            let handle = handle.clone();
            match event.id().as_ref() {
                "show" => {
                    if let Some(window) = handle.get_webview_window(MAIN_WINDOW) {
                        if window.is_visible().unwrap_or(false) {
                            let _ = window.hide();
                        } else {
                            show_main(&handle);
                        }
                    }
                }
                "sync" => {
                    let app = handle.state::<App>().inner().clone();
                    tauri::async_runtime::spawn(async move { app.wake_delivery().await });
                }
                "quit" => {
                    let app = handle.state::<App>().inner().clone();
                    tauri::async_runtime::spawn(async move {
                        let _ = request_quit(&handle, &app, false).await;
                    });
                }
                _ => {}
            }
        });
    if let Some(icon) = handle.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(handle)?;
    let app = handle.state::<App>().inner().clone();
    tray_status::follow(&app, handle.clone(), status);
    Ok(())
}

/// `builder` with the core's `app`, every command and the window behaviour; `with_tray` adds
/// the tray icon and close-to-tray (off under the test runtime).
pub fn configure<R: Runtime>(builder: Builder<R>, app: App, with_tray: bool) -> Builder<R> {
    builder
        .manage(app)
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::create_first_manager,
            commands::choose_environment,
            commands::set_vendor_key,
            commands::vendor_key_status,
            commands::discover_licences,
            commands::bind_licences,
            commands::list_login_users,
            commands::login,
            commands::logout,
            commands::lock,
            commands::touch,
            commands::search_packages,
            commands::customer_types,
            commands::complete_sale,
            commands::limit_preview,
            commands::look_up_patient,
            commands::limit_items,
            commands::map_item,
            commands::limit_rules,
            commands::set_limit_override,
            commands::clear_limit_override,
            commands::list_packages,
            commands::refresh_inventory,
            commands::adjust_reasons,
            commands::adjust_package,
            commands::new_packages,
            commands::incoming_manifests,
            commands::sync_status,
            commands::list_entries,
            commands::entry_history,
            commands::sync_now,
            commands::retry_entry,
            commands::edit_and_resend,
            commands::void_entry,
            commands::backlog_series,
            commands::list_users,
            commands::add_user,
            commands::reset_pin,
            commands::get_settings,
            commands::update_settings,
            commands::list_audit,
            commands::verify_audit,
            commands::export_outage_csv,
            commands::outage_report_page,
            commands::reconcile_day,
            commands::reconciliation_overview,
            commands::reconciliation_run,
            commands::resolve_difference,
            commands::state_deadlines,
            commands::set_state_deadline,
            commands::backup_overview,
            commands::set_backup_settings,
            commands::backup_now,
            commands::key_overview,
            commands::set_key,
            commands::validate_key,
            commands::clear_key,
            commands::set_key_mode,
            commands::send_under_facility_key,
            commands::store_link,
            commands::key_whereabouts,
            commands::store_overview,
            commands::store_join,
            commands::store_leave,
            commands::store_registers,
            commands::list_store_entries,
            commands::store_deadlines,
            commands::list_store_audit,
            commands::verify_store_audits,
            commands::api_settings,
            commands::set_api_settings,
            commands::list_integrations,
            commands::create_integration,
            commands::revoke_integration,
            commands::map_integration_clerk,
            commands::integration_calls,
            commands::demo_faults,
            commands::set_demo_fault,
            quit,
        ])
        .manage(Tray(AtomicBool::new(false)))
        .setup(move |tauri_app| {
            let handle = tauri_app.handle().clone();
            if let Some(window) = handle.get_webview_window(MAIN_WINDOW) {
                crate::webview_footprint::apply(&window);
            }
            crate::events::forward(tauri_app.state::<App>().inner(), handle.clone());
            if with_tray {
                match add_tray(&handle) {
                    Ok(()) => tauri_app.state::<Tray>().0.store(true, Ordering::SeqCst),
                    Err(error) => tracing::warn!(
                        %error,
                        "no tray icon: closing the window quits (asking first while records wait)"
                    ),
                }
            }
            Ok(())
        })
        .on_window_event(move |window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let handle = window.app_handle().clone();
                if handle.state::<Tray>().0.load(Ordering::SeqCst) {
                    let _ = window.hide();
                } else {
                    let app = handle.state::<App>().inner().clone();
                    tauri::async_runtime::spawn(async move {
                        let _ = request_quit(&handle, &app, false).await;
                    });
                }
            }
        })
}
