//! Demo mode (SPEC §6): the embedded Metrc emulator with the demo seed, the demo licence and
//! users, and the demo panel's fault switches.
//!
//! Guarantees: only built with the `demo` feature; the emulator listens on loopback only; the demo
//! keys are the emulator's public fake keys (see `crates/metrc-emulator/README.md`) and are used
//! only against it; outside demo mode every demo command fails with `not_demo`.

#[cfg(not(feature = "demo"))]
use super::{
    App,
    dto::{DemoFaultRequest, DemoFaultView},
};
#[cfg(not(feature = "demo"))]
use crate::ApiError;

#[cfg(not(feature = "demo"))]
impl App {
    /// `demo_faults` (this build has no demo mode).
    pub async fn demo_faults(&self) -> Result<Vec<DemoFaultView>, ApiError> {
        self.current_actor()?;
        Err(ApiError::NotDemo)
    }

    /// `set_demo_fault` (this build has no demo mode).
    pub async fn set_demo_fault(
        &self,
        _req: DemoFaultRequest,
    ) -> Result<Vec<DemoFaultView>, ApiError> {
        self.current_actor()?;
        Err(ApiError::NotDemo)
    }

    pub(crate) async fn after_first_manager(&self, _manager: &str) -> Result<(), ApiError> {
        Ok(())
    }
}

#[cfg(feature = "demo")]
mod enabled {
    use std::sync::PoisonError;

    use metrc_emulator::{
        DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_MANAGER, DEMO_MANAGER_KEY,
        DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Emulator, Faults, Latency, Options, RateLimitStorm,
        RefuseConnections, Seed, Trigger, WriteFault, WriteFaultKind,
    };

    use crate::ApiError;
    use crate::dto::{DemoFault, DemoFaultRequest, DemoFaultView, KeyOwnerRef, LicenceBinding};
    use crate::store::{AppTables, LicenceRules};
    use crate::{App, AppEvent, dto};
    use stateline_keys::KeyHolder;
    use stateline_keys::KeySource;
    use stateline_store::StoreError;
    use stateline_store::people::users::{Pin, Role};
    use stateline_store::{Licence, settings};

    /// The demo budtender the first manager gets (PIN documented in docs/ipc.md).
    pub const DEMO_BUDTENDER_NAME: &str = "Bea";
    /// The state the demo register sells in (its purchase limits apply).
    pub const DEMO_STATE: &str = "CO";
    /// Her PIN.
    pub const DEMO_BUDTENDER_PIN: &str = "1234";

    const ALL_FAULTS: [DemoFault; 6] = [
        DemoFault::Outage,
        DemoFault::NetworkDown,
        DemoFault::RevokeKey,
        DemoFault::RateLimit,
        DemoFault::SlowResponses,
        DemoFault::LostResponses,
    ];

    fn label(fault: DemoFault) -> (&'static str, &'static str) {
        match fault {
            DemoFault::Outage => ("Metrc outage", "Metrc answers every request with 503."),
            DemoFault::NetworkDown => (
                "Network down",
                "Connections to Metrc are refused, as when the internet is down.",
            ),
            DemoFault::RevokeKey => (
                "Revoke a user's key",
                "Metrc stops accepting one user's key; that user's records wait for a new key.",
            ),
            DemoFault::RateLimit => (
                "Rate limiting",
                "Metrc answers 429 Too Many Requests with Retry-After.",
            ),
            DemoFault::SlowResponses => {
                ("Slow responses", "Every Metrc request takes about 1.5 s.")
            }
            DemoFault::LostResponses => (
                "Lost responses",
                "Metrc records writes but the reply never arrives; Stateline looks them up before resending.",
            ),
        }
    }

    /// Demo bookkeeping: which emulator user each app user's demo key belongs to, whose key is
    /// revoked, and the next rotated key number.
    #[derive(Debug, Default)]
    pub(crate) struct DemoState {
        pub emulator_users: std::collections::HashMap<String, String>,
        pub revoked: Vec<(String, String)>,
        pub rotations: u32,
        pub last_new_key: Option<(String, String)>,
    }

    impl App {
        /// The embedded emulator's control handle (demo panel, tests).
        pub fn demo_control(&self) -> Option<metrc_emulator::Control> {
            self.link().ok().and_then(|l| l.demo)
        }

        fn demo_control_or_err(&self) -> Result<metrc_emulator::Control, ApiError> {
            self.link()
                .ok()
                .and_then(|l| l.demo)
                .ok_or(ApiError::NotDemo)
        }

        fn demo_state(&self) -> std::sync::MutexGuard<'_, DemoState> {
            self.inner
                .demo
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        }

        /// Starts the emulator on loopback with the demo seed dated relative to the app's clock,
        /// and on that clock, so the demo tells the same story on any date.
        pub(crate) async fn start_emulator(&self) -> Result<Emulator, ApiError> {
            let addr = "127.0.0.1:0".parse().expect("a loopback address");
            let clock = std::sync::Arc::clone(&self.inner.config.clock);
            let seed = Seed::demo(clock.now());
            Emulator::start_with_clock(addr, seed, Options::default(), clock)
                .await
                .map_err(|e| ApiError::Internal(format!("the demo emulator did not start: {e}")))
        }

        /// A Metrc client for the running emulator.
        pub(crate) fn emulator_client(
            &self,
            emulator: &Emulator,
        ) -> Result<metrc::MetrcClient, ApiError> {
            let base = emulator
                .base_url()
                .parse()
                .map_err(|e| ApiError::Internal(format!("emulator address: {e}")))?;
            let vendor = metrc::VendorKey::new(DEMO_VENDOR_KEY)?;
            self.client_with(metrc::ClientConfig::new(base, vendor))
        }

        /// A Metrc client for a pretend Metrc another process runs (a demo store's registers
        /// share one); a malformed address says what to set.
        pub(crate) fn shared_emulator_client(
            &self,
            url: &str,
        ) -> Result<metrc::MetrcClient, ApiError> {
            let base = url.parse().map_err(|e| {
                ApiError::Internal(format!(
                    "STATELINE_DEMO_METRC_URL {url:?} is not an address ({e}); set it to the URL `stateline emulator` prints, e.g. http://127.0.0.1:8899"
                ))
            })?;
            let vendor = metrc::VendorKey::new(DEMO_VENDOR_KEY)?;
            self.client_with(metrc::ClientConfig::new(base, vendor))
        }

        /// Binds the demo licence, loads its inventory and customer types, and gives the
        /// existing managers the demo manager key (best effort: logged, never fatal).
        pub(crate) async fn prepare_demo(&self) {
            if let Err(error) = self.prepare_demo_inner().await {
                tracing::warn!(%error, "demo preparation incomplete");
            }
        }

        async fn prepare_demo_inner(&self) -> Result<(), ApiError> {
            let binding = LicenceBinding {
                number: DEMO_LICENSE.into(),
                name: "Stateline Demo Dispensary".into(),
                time_zone: DEMO_TIME_ZONE.into(),
                reporting_deadline_hours: 24,
                object_limit: None,
                requires_patient_number: false,
                requires_caregiver_number: false,
                requires_identification_method: true,
                sells_to_consumers: true,
            };
            let exists = self
                .db(|db| -> Result<_, ApiError> {
                    Ok(db.licences()?.iter().any(|l| l.number == DEMO_LICENSE))
                })
                .await?;
            // The demo sells in Colorado (its time zone's state), so its sales are checked
            // against Colorado's purchase limits like a real register's.
            self.db(|db| -> Result<_, StoreError> {
                if db.setting(settings::REGISTER_STATE)?.is_none() {
                    db.set_setting(settings::REGISTER_STATE, DEMO_STATE)?;
                }
                Ok(())
            })
            .await?;
            if !exists {
                self.db(move |db| {
                    db.upsert_licence(&Licence {
                        number: binding.number.clone(),
                        name: binding.name.clone(),
                        time_zone: binding.time_zone.clone(),
                        reporting_deadline_hours: binding.reporting_deadline_hours,
                        object_limit: None,
                    })?;
                    db.set_licence_rules(
                        &binding.number,
                        LicenceRules {
                            requires_patient_number: binding.requires_patient_number,
                            requires_caregiver_number: binding.requires_caregiver_number,
                            requires_identification_method: binding.requires_identification_method,
                            sells_to_consumers: binding.sells_to_consumers,
                        },
                    )
                })
                .await?;
            }
            let key = metrc::UserKey::new(DEMO_MANAGER_KEY)?;
            let link = self.link()?;
            stateline_delivery::refresh::refresh_licence(
                &self.inner.db,
                &link.client,
                &key,
                DEMO_LICENSE,
            )
            .await?;
            let types = link.client.customer_types(&key).await?;
            self.db(move |db| db.set_customer_types(&types)).await?;
            self.emit(AppEvent::InventoryChanged(dto::InventoryChanged {
                licence: Some(DEMO_LICENSE.into()),
            }));
            Ok(())
        }

        fn note_emulator_user(&self, app_user: &str, emulator_user: &str) {
            self.demo_state()
                .emulator_users
                .insert(app_user.to_lowercase(), emulator_user.to_owned());
        }

        /// Demo mode: the first manager gets the demo manager key, and the demo budtender Bea is
        /// added (she pastes her own key at the key prompt).
        pub(crate) async fn after_first_manager(&self, manager: &str) -> Result<(), ApiError> {
            if !self.demo_running() {
                return Ok(());
            }
            let actor = self
                .lock_session()
                .session
                .as_ref()
                .map(|s| s.actor.clone())
                .ok_or(ApiError::NotLoggedIn)?;
            let saved = self
                .keys()?
                .set_key(
                    &actor,
                    &KeyHolder::User(manager.to_owned()),
                    metrc::UserKey::new(DEMO_MANAGER_KEY)?,
                )
                .await?;
            if saved.saved {
                self.note_emulator_user(manager, DEMO_MANAGER);
            }
            self.db(move |db| -> Result<_, ApiError> {
                if db.user(DEMO_BUDTENDER_NAME)?.is_none() {
                    db.add_user(
                        &actor,
                        DEMO_BUDTENDER_NAME,
                        Role::Budtender,
                        &Pin::new(DEMO_BUDTENDER_PIN),
                    )?;
                }
                Ok(())
            })
            .await
        }

        /// Remembers which emulator user a pasted demo key belongs to (for "revoke a key").
        pub(crate) fn demo_key_saved(&self, owner: &KeyOwnerRef) {
            let KeyOwnerRef::User { user } = owner else {
                return;
            };
            let Some(key) = self
                .keys()
                .ok()
                .and_then(|k| k.ring().key_for(user))
                .map(|k| k.key)
            else {
                return;
            };
            let text = key.expose_for_keychain();
            let emulator_user = if text == DEMO_BUDTENDER_KEY {
                Some(DEMO_BUDTENDER.to_owned())
            } else if text == DEMO_MANAGER_KEY {
                Some(DEMO_MANAGER.to_owned())
            } else {
                let state = self.demo_state();
                state
                    .last_new_key
                    .as_ref()
                    .filter(|(_, k)| k == text)
                    .map(|(u, _)| u.clone())
            };
            if let Some(emulator_user) = emulator_user {
                self.note_emulator_user(user, &emulator_user);
            }
        }

        /// `demo_faults`.
        pub async fn demo_faults(&self) -> Result<Vec<DemoFaultView>, ApiError> {
            self.current_actor()?;
            let control = self.demo_control_or_err()?;
            Ok(self.fault_views(&control.faults()))
        }

        fn fault_views(&self, faults: &Faults) -> Vec<DemoFaultView> {
            let state = self.demo_state();
            ALL_FAULTS
                .into_iter()
                .map(|fault| {
                    let (label, description) = label(fault);
                    let on = match fault {
                        DemoFault::Outage => faults.outage_503.is_some(),
                        DemoFault::NetworkDown => faults.refuse_connections.is_some(),
                        DemoFault::RevokeKey => !state.revoked.is_empty(),
                        DemoFault::RateLimit => faults.rate_limit_storm.is_some(),
                        DemoFault::SlowResponses => faults.latency.is_some(),
                        DemoFault::LostResponses => !faults.write_faults.is_empty(),
                    };
                    let description = match (fault, &state.last_new_key) {
                        (DemoFault::RevokeKey, Some((user, key))) if !on => format!(
                            "{description} The emulator user {user} now has the new key {key}; paste it at the key prompt."
                        ),
                        _ => description.to_owned(),
                    };
                    DemoFaultView {
                        fault,
                        on,
                        label: label.to_owned(),
                        description,
                        users: match fault {
                            DemoFault::RevokeKey => {
                                state.revoked.iter().map(|(app, _)| app.clone()).collect()
                            }
                            _ => Vec::new(),
                        },
                    }
                })
                .collect()
        }

        /// `set_demo_fault`.
        pub async fn set_demo_fault(
            &self,
            req: DemoFaultRequest,
        ) -> Result<Vec<DemoFaultView>, ApiError> {
            self.current_actor()?;
            let control = self.demo_control_or_err()?;
            let mut faults = control.faults();
            match req.fault {
                DemoFault::Outage => {
                    faults.outage_503 = req.on.then(Trigger::always);
                }
                DemoFault::NetworkDown => {
                    faults.refuse_connections = req.on.then(RefuseConnections::default);
                }
                DemoFault::RateLimit => {
                    faults.rate_limit_storm = req.on.then(|| RateLimitStorm {
                        gets_only: false,
                        trigger: Trigger::always(),
                    });
                }
                DemoFault::SlowResponses => {
                    faults.latency = req.on.then_some(Latency {
                        fixed_ms: 1500,
                        jitter_ms: 300,
                        path_prefix: None,
                    });
                }
                DemoFault::LostResponses => {
                    faults.write_faults = if req.on {
                        vec![WriteFault {
                            kind: WriteFaultKind::LostReplyHang,
                            trigger: Trigger::always(),
                        }]
                    } else {
                        Vec::new()
                    };
                }
                DemoFault::RevokeKey => self.revoke_demo_key(&control, &req)?,
            }
            if req.fault != DemoFault::RevokeKey {
                control.set_faults(faults);
            }
            if let Ok(link) = self.link() {
                link.engine.publish().await;
            }
            if !req.on {
                self.wake_worker().await;
            }
            Ok(self.fault_views(&control.faults()))
        }

        fn revoke_demo_key(
            &self,
            control: &metrc_emulator::Control,
            req: &DemoFaultRequest,
        ) -> Result<(), ApiError> {
            let mut state = self.demo_state();
            if req.on {
                let user = req.user.clone().ok_or(StoreError::InvalidInput {
                    field: "user",
                    detail: "pick whose key to revoke".into(),
                })?;
                let emulator_user = state
                    .emulator_users
                    .get(&user.to_lowercase())
                    .cloned()
                    .ok_or_else(|| StoreError::InvalidInput {
                        field: "user",
                        detail: format!("{user} has no demo key saved; pick a user who has one"),
                    })?;
                control.revoke_user_key(&emulator_user);
                state.revoked.push((user, emulator_user));
            } else {
                for (_, emulator_user) in std::mem::take(&mut state.revoked) {
                    state.rotations += 1;
                    let key = format!("demo-{emulator_user}-key-{:04}", 4000 + state.rotations);
                    control.set_user_key(&emulator_user, &key);
                    state.last_new_key = Some((emulator_user, key));
                }
            }
            Ok(())
        }
    }
}

#[cfg(feature = "demo")]
pub(crate) use enabled::DemoState;
