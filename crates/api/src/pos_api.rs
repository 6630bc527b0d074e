//! The local API (the POS API, and the Metrc-compatible door) as the app runs it: its settings,
//! starting and stopping its listeners, and the [`Host`] that ties it to the app (waking delivery,
//! the screens' events, the status lines).
//!
//! Guarantees: the listeners are owned by the `App` and stopped by [`App::shutdown`] (or when a
//! manager turns them off); on the store's network the API speaks only TLS with this register's
//! own certificate; a listener that cannot start leaves the rest of the app running and says why
//! in the settings view; changing the settings is a manager's, audited.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use stateline_pos::{Host, MetrcLink, PosContext, PosServer, StatusLines};
use stateline_store::people::audit::{AuditAction, AuditEvent};
use stateline_store::{Permission, StoreError, settings};
use stateline_tasks::OwnedTask;
use tokio::sync::broadcast;

use super::dto::{self, ApiSettings, ApiSettingsView};
use super::{App, AppEvent, Inner};
use crate::{ApiError, IpcError};

const ENABLED: &str = "api.enabled";
const PORT: &str = "api.port";
const LAN: &str = "api.lan";
const DOOR_ENABLED: &str = "api.door_enabled";
const DOOR_PORT: &str = "api.door_port";

/// The listeners running now, and what went wrong starting one.
#[derive(Default)]
pub(crate) struct RunningApi {
    api: Option<PosServer>,
    door: Option<stateline_pos::door::DoorServer>,
    forwarder: Option<OwnedTask>,
    fingerprint: Option<String>,
    problem: Option<IpcError>,
}

/// The app as the local API sees it (weak: the API must not keep the app alive).
struct AppHost {
    app: Weak<Inner>,
    changes: broadcast::Sender<()>,
}

impl AppHost {
    fn app(&self) -> Option<App> {
        self.app.upgrade().map(|inner| App { inner })
    }
}

impl Host for AppHost {
    fn recorded(&self, licence: &str) {
        let Some(app) = self.app() else { return };
        app.emit(AppEvent::RecordsChanged(dto::RecordsChanged {
            licence: Some(licence.to_owned()),
        }));
        app.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
            licence: Some(licence.to_owned()),
        }));
        app.audited("sale_recorded");
        let _ = self.changes.send(());
        tokio::spawn(async move { app.wake_worker().await });
    }

    fn record_changes(&self) -> broadcast::Receiver<()> {
        self.changes.subscribe()
    }

    fn status_lines(&self) -> StatusLines {
        let Some(app) = self.app() else {
            return StatusLines::default();
        };
        let status = app.status_now();
        let health = serde_json::to_value(status.health)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let store = app.store_link_status_now().map(|status| {
            if status.connected {
                format!(
                    "connected to the store server; this register's records are in the store \
                     up to #{}",
                    status.pushed_through
                )
            } else {
                format!(
                    "store server unreachable ({} failed pass(es) in a row); selling goes on \
                     from this register's last view of the store",
                    status.failures
                )
            }
        });
        StatusLines {
            delivery: format!("{health}: {} record(s) waiting", status.waiting),
            store,
        }
    }

    fn read_patient(
        &self,
        budtender: stateline_store::Actor,
        licence: String,
        patient: String,
    ) -> futures::future::BoxFuture<'static, ()> {
        let app = self.app();
        Box::pin(async move {
            let Some(app) = app else { return };
            let request = dto::PatientLookupRequest {
                licence: Some(licence),
                patient_number: patient,
            };
            if let Err(e) = app.look_up_patient_for(&budtender, request).await {
                tracing::debug!(code = e.code(), "a POS sale's patient could not be read");
            }
        })
    }

    fn metrc_link(&self) -> Option<MetrcLink> {
        let link = self.app()?.link().ok()?;
        Some(MetrcLink {
            keys: link.keys,
            client: link.client,
        })
    }
}

fn parse_port(text: Option<String>, default: u16) -> u16 {
    text.and_then(|t| t.parse().ok()).unwrap_or(default)
}

fn read_settings(db: &stateline_store::Database) -> Result<ApiSettings, StoreError> {
    let flag =
        |key: &str| -> Result<bool, StoreError> { Ok(db.setting(key)?.is_some_and(|v| v == "1")) };
    Ok(ApiSettings {
        enabled: flag(ENABLED)?,
        port: parse_port(db.setting(PORT)?, stateline_pos::DEFAULT_PORT),
        lan: flag(LAN)?,
        door_enabled: flag(DOOR_ENABLED)?,
        door_port: parse_port(db.setting(DOOR_PORT)?, stateline_pos::door::DEFAULT_PORT),
    })
}

fn check_ports(settings: &ApiSettings) -> Result<(), StoreError> {
    for (field, port) in [("port", settings.port), ("door port", settings.door_port)] {
        if port < 1024 {
            return Err(StoreError::InvalidInput {
                field,
                detail: format!("{port} is reserved for the system; choose 1024 to 65535"),
            });
        }
    }
    if settings.port == settings.door_port {
        return Err(StoreError::InvalidInput {
            field: "door port",
            detail: "the door needs a port of its own; choose another than the API's".into(),
        });
    }
    Ok(())
}

/// The address to listen on: this computer only, or every interface (the store's network).
fn address(lan: bool, port: u16) -> SocketAddr {
    let ip = if lan {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    SocketAddr::new(ip, port)
}

impl App {
    fn pos_context(&self, changes: broadcast::Sender<()>) -> PosContext {
        PosContext {
            db: self.inner.db.clone(),
            host: Arc::new(AppHost {
                app: Arc::downgrade(&self.inner),
                changes,
            }),
        }
    }

    /// Starts what the settings ask for (at open, and after a change).
    pub(crate) async fn start_pos_api(&self) {
        let settings = match self.db(read_settings).await {
            Ok(settings) => settings,
            Err(e) => {
                tracing::warn!(error = %e, "the local API's settings could not be read");
                return;
            }
        };
        if settings.enabled || settings.door_enabled {
            self.serve_pos_api(&settings).await;
        }
    }

    /// Serves the local API (and the door) as `settings` say, whatever is stored: what
    /// `stateline serve` runs. Replaces what was running.
    pub async fn serve_pos_api(&self, settings: &ApiSettings) -> ApiSettingsView {
        self.stop_pos_api(Duration::from_secs(3)).await;
        let (changes, _) = broadcast::channel(64);
        let forwarder = self.spawn_change_forwarder(changes.clone());
        let ctx = self.pos_context(changes);
        let mut running = RunningApi {
            forwarder: Some(forwarder),
            ..RunningApi::default()
        };
        if settings.enabled {
            let tls = if settings.lan {
                let folder = self.inner.config.data_dir.clone();
                match stateline_pos::tls::load_or_create(&folder, &host_names()) {
                    Ok(certificate) => {
                        running.fingerprint = Some(certificate.fingerprint.clone());
                        Some(certificate.config)
                    }
                    Err(e) => {
                        running.problem = Some(ApiError::from(e).into());
                        None
                    }
                }
            } else {
                None
            };
            if !settings.lan || tls.is_some() {
                match PosServer::start(ctx.clone(), address(settings.lan, settings.port), tls).await
                {
                    Ok(server) => running.api = Some(server),
                    Err(e) => running.problem = Some(ApiError::from(e).into()),
                }
            }
        }
        if settings.door_enabled {
            let door = address(false, settings.door_port);
            match stateline_pos::door::DoorServer::start(ctx, door).await {
                Ok(server) => running.door = Some(server),
                Err(e) => running.problem = Some(ApiError::from(e).into()),
            }
        }
        let view = view_of(settings.clone(), &running);
        *self.inner.pos_api.lock().await = running;
        view
    }

    /// Stops the local API and the door (at shutdown, or when a manager turns them off).
    pub(crate) async fn stop_pos_api(&self, timeout: Duration) {
        let running = std::mem::take(&mut *self.inner.pos_api.lock().await);
        if let Some(api) = running.api
            && let Err(e) = api.stop(timeout).await
        {
            tracing::warn!(error = %e, "the local API did not stop cleanly");
        }
        if let Some(door) = running.door
            && let Err(e) = door.stop(timeout).await
        {
            tracing::warn!(error = %e, "the Metrc-compatible door did not stop cleanly");
        }
        if let Some(forwarder) = running.forwarder {
            let _ = forwarder.stop(timeout).await;
        }
    }

    /// Forwards the app's record and status events to the API's change signal.
    fn spawn_change_forwarder(&self, changes: broadcast::Sender<()>) -> OwnedTask {
        let mut events = self.subscribe();
        OwnedTask::spawn(move |mut stop| async move {
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    event = events.recv() => match event {
                        Ok(AppEvent::RecordsChanged(_) | AppEvent::Status(_))
                        | Err(broadcast::error::RecvError::Lagged(_)) => {
                            let _ = changes.send(());
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        })
    }

    /// `api_settings`: the local API's settings and what runs.
    pub async fn api_settings(&self) -> Result<ApiSettingsView, ApiError> {
        self.require(Permission::ManageUsers)?;
        let settings = self.db(read_settings).await?;
        Ok(view_of(settings, &*self.inner.pos_api.lock().await))
    }

    /// `set_api_settings`: saves the settings (audited) and starts or stops the listeners.
    pub async fn set_api_settings(
        &self,
        settings: ApiSettings,
    ) -> Result<ApiSettingsView, ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        check_ports(&settings)?;
        let saved = settings.clone();
        self.db(move |db| {
            let now = db.now();
            db.write(|tx| {
                let flag = |on: bool| if on { "1" } else { "0" };
                settings::set(tx, ENABLED, flag(saved.enabled))?;
                settings::set(tx, PORT, &saved.port.to_string())?;
                settings::set(tx, LAN, flag(saved.lan))?;
                settings::set(tx, DOOR_ENABLED, flag(saved.door_enabled))?;
                settings::set(tx, DOOR_PORT, &saved.door_port.to_string())?;
                stateline_store::people::audit::append(
                    tx,
                    now,
                    &AuditEvent::by(
                        actor.name(),
                        AuditAction::SettingChanged,
                        "local API",
                        format!(
                            "API {} on port {}{}; Metrc-compatible door {} on port {}",
                            if saved.enabled { "on" } else { "off" },
                            saved.port,
                            if saved.lan {
                                " (store network, TLS)"
                            } else {
                                " (this computer)"
                            },
                            if saved.door_enabled { "on" } else { "off" },
                            saved.door_port
                        ),
                    ),
                )?;
                Ok::<_, StoreError>(())
            })
        })
        .await?;
        self.audited("setting_changed");
        if settings.enabled || settings.door_enabled {
            Ok(self.serve_pos_api(&settings).await)
        } else {
            self.stop_pos_api(Duration::from_secs(3)).await;
            Ok(view_of(settings, &RunningApi::default()))
        }
    }

    /// Where the local API answers now, if it runs (tests, `stateline serve`).
    pub async fn pos_api_address(&self) -> Option<SocketAddr> {
        self.inner
            .pos_api
            .lock()
            .await
            .api
            .as_ref()
            .map(PosServer::address)
    }

    /// Where the door answers now, if it runs.
    pub async fn door_address(&self) -> Option<SocketAddr> {
        self.inner
            .pos_api
            .lock()
            .await
            .door
            .as_ref()
            .map(stateline_pos::door::DoorServer::address)
    }
}

fn view_of(settings: ApiSettings, running: &RunningApi) -> ApiSettingsView {
    let scheme = if settings.lan { "https" } else { "http" };
    ApiSettingsView {
        api_url: running
            .api
            .as_ref()
            .map(|s| format!("{scheme}://{}", display_address(s.address()))),
        door_url: running
            .door
            .as_ref()
            .map(|s| format!("http://{}", display_address(s.address()))),
        certificate_fingerprint: running.fingerprint.clone(),
        problem: running.problem.clone(),
        settings,
    }
}

/// An address as a POS would type it (the machine's name for "every interface").
fn display_address(address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        format!(
            "{}:{}",
            host_names().first().cloned().unwrap_or_default(),
            address.port()
        )
    } else {
        address.to_string()
    }
}

/// This machine's host name, for the certificate and the address shown.
fn host_names() -> Vec<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .into_iter()
        .chain(std::iter::once("localhost".to_owned()))
        .collect()
}
