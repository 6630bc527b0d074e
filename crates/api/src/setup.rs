//! First run and Metrc setup: the first manager, environment and state, the vendor key, licence
//! discovery (`GET /facilities/v2`) and binding licences with their time zones and deadlines.
//!
//! Guarantees: the first manager can be created only while there are no users; every other step
//! needs `change_settings`; a licence is bound only with a valid IANA time zone and a positive
//! deadline, all licences of one request in order (a bad one stops the request with nothing of it
//! half-bound for that licence); the vendor key and any key used for discovery go only to the
//! keychain or Metrc, never back out.

use stateline_keys::KeyHolder;
use stateline_secrets::{EntryId, VendorKeySource};
use stateline_store::people::audit::{AuditAction, AuditEvent};
use stateline_store::people::users::{Permission, Pin};
use stateline_store::{Licence, StoreError};

use super::dto::{
    AppState, BindLicencesRequest, CreateManagerRequest, DiscoverRequest, DiscoveredLicence,
    Environment, EnvironmentRequest, LicenceView, VendorKeyRequest, VendorKeyStatus,
};
use super::store::{AppTables, LicenceRules};
use super::{App, AppEvent, dto};
use crate::ApiError;

impl App {
    /// `create_first_manager`: first run only; logs the manager in.
    pub async fn create_first_manager(
        &self,
        req: CreateManagerRequest,
    ) -> Result<AppState, ApiError> {
        let pin = Pin::new(req.pin.expose());
        let name = req.name;
        let session = self
            .db(move |db| db.create_first_manager(&name, &pin))
            .await?;
        let manager = session.actor.name().to_owned();
        self.begin_session(session);
        self.after_first_manager(&manager).await?;
        self.refresh_needs_key().await;
        self.state_after_change().await
    }

    /// `choose_environment`: demo, or sandbox/production of a state; reconnects to Metrc.
    pub async fn choose_environment(&self, req: EnvironmentRequest) -> Result<AppState, ApiError> {
        self.require(Permission::ChangeSettings)?;
        let state_code = match (req.environment, req.state_code.as_deref().map(str::trim)) {
            (Environment::Demo, code) => code.filter(|c| !c.is_empty()).map(str::to_owned),
            (_, Some(code)) => {
                metrc::metrc_host(code, metrc::Environment::Sandbox)?;
                Some(code.to_ascii_uppercase())
            }
            (_, None) => {
                return Err(StoreError::InvalidInput {
                    field: "state",
                    detail:
                        "choose the Metrc state (two letters, e.g. CO) for sandbox or production"
                            .into(),
                }
                .into());
            }
        };
        let environment = req.environment;
        self.db(move |db| db.set_app_environment(environment, state_code.as_deref()))
            .await?;
        self.restart_runtime().await?;
        self.state_after_change().await
    }

    fn vendor_entry(&self) -> Result<EntryId, ApiError> {
        Ok(EntryId::vendor(self.environment()?.keychain_scope())?)
    }

    /// Whether a vendor key is known to be configured (the link exists outside demo mode).
    pub(crate) fn vendor_key_known(&self) -> bool {
        self.link().is_ok()
    }

    /// `set_vendor_key`: saves the integrator key in the keychain and reconnects.
    pub async fn set_vendor_key(&self, req: VendorKeyRequest) -> Result<VendorKeyStatus, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        if self.environment()? == Environment::Demo {
            return Err(StoreError::InvalidInput {
                field: "vendor key",
                detail: "demo mode uses the emulator's own vendor key; choose sandbox or production first"
                    .into(),
            }.into());
        }
        let key = metrc::VendorKey::new(req.key.expose().trim()).map_err(|_| {
            StoreError::InvalidInput {
                field: "vendor key",
                detail:
                    "it is not a valid Metrc key; copy the whole integrator key and paste it again"
                        .into(),
            }
        })?;
        let entry = self.vendor_entry()?;
        let saved = self.inner.secrets.set_vendor_key(&entry, &key).await?;
        self.inner.db.append_audit(AuditEvent::by(
            actor.name(),
            AuditAction::VendorKeyChanged,
            entry.to_string(),
            format!("saved in the OS keychain (ends in {})", saved.last_four),
        ))?;
        self.audited(AuditAction::VendorKeyChanged.as_str());
        self.restart_runtime().await?;
        self.session_changed();
        self.vendor_key_status().await
    }

    /// `vendor_key_status`.
    pub async fn vendor_key_status(&self) -> Result<VendorKeyStatus, ApiError> {
        if self.environment()? == Environment::Demo {
            return Ok(VendorKeyStatus {
                set: true,
                source: Some("demo".into()),
            });
        }
        match self
            .inner
            .secrets
            .vendor_key_with_source(&self.vendor_entry()?)
            .await
        {
            Ok((_, source)) => Ok(VendorKeyStatus {
                set: true,
                source: Some(
                    match source {
                        VendorKeySource::Keychain => "keychain",
                        VendorKeySource::Environment => "environment",
                    }
                    .into(),
                ),
            }),
            Err(_) => Ok(VendorKeyStatus {
                set: false,
                source: None,
            }),
        }
    }

    /// `discover_licences`: the licences a key reaches, from `GET /facilities/v2`.
    pub async fn discover_licences(
        &self,
        req: DiscoverRequest,
    ) -> Result<Vec<DiscoveredLicence>, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        let key = match req.key {
            Some(text) => {
                metrc::UserKey::new(text.expose().trim()).map_err(|_| StoreError::InvalidInput {
                    field: "Metrc key",
                    detail: "it is not a valid Metrc key; paste the whole key".into(),
                })?
            }
            None => {
                let found = self
                    .keys()?
                    .discover_licences(&actor, &KeyHolder::User(actor.name().to_owned()))
                    .await?;
                return Ok(found
                    .into_iter()
                    .map(|l| DiscoveredLicence {
                        number: l.number,
                        name: l.name,
                        license_type: l.license_type,
                        can_sell: true,
                        requires_patient_number: false,
                        requires_caregiver_number: false,
                        requires_identification_method: false,
                        sells_to_consumers: true,
                        bound: l.bound,
                    })
                    .collect());
            }
        };
        let link = self.link()?;
        let facilities = link.client.facilities(&key).await?;
        let bound: Vec<String> = self
            .db(|db| db.licences())
            .await?
            .into_iter()
            .map(|l| l.number)
            .collect();
        Ok(facilities
            .into_iter()
            .map(|f| {
                let t = f.facility_type;
                DiscoveredLicence {
                    bound: bound.contains(&f.license.number),
                    name: f
                        .display_name
                        .or(f.name)
                        .unwrap_or_else(|| f.license.number.clone()),
                    number: f.license.number,
                    license_type: f.license.license_type,
                    can_sell: t.can_sell_to_consumers || t.can_sell_to_patients,
                    requires_patient_number: t.sales_require_patient_number,
                    requires_caregiver_number: t.sales_require_caregiver_number,
                    requires_identification_method: t
                        .sales_require_external_patient_identification_method,
                    sells_to_consumers: t.can_sell_to_consumers,
                }
            })
            .collect())
    }

    /// `bind_licences`: stores the licences with their time zones, deadlines and sale rules.
    pub async fn bind_licences(&self, req: BindLicencesRequest) -> Result<AppState, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        if req.licences.is_empty() {
            return Err(StoreError::InvalidInput {
                field: "licences",
                detail: "pick at least one licence".into(),
            }
            .into());
        }
        let licences: Vec<(Licence, LicenceRules)> = req
            .licences
            .into_iter()
            .map(|l| {
                let licence = Licence {
                    number: l.number.trim().to_owned(),
                    name: l.name,
                    time_zone: l.time_zone.trim().to_owned(),
                    reporting_deadline_hours: l.reporting_deadline_hours,
                    object_limit: l.object_limit,
                };
                licence.tz()?;
                if licence.reporting_deadline_hours == 0 {
                    return Err(StoreError::InvalidInput {
                        field: "reporting deadline",
                        detail: format!("licence {}: it must be at least 1 hour", licence.number),
                    }
                    .into());
                }
                let rules = LicenceRules {
                    requires_patient_number: l.requires_patient_number,
                    requires_caregiver_number: l.requires_caregiver_number,
                    requires_identification_method: l.requires_identification_method,
                    sells_to_consumers: l.sells_to_consumers,
                };
                Ok((licence, rules))
            })
            .collect::<Result<_, ApiError>>()?;
        let numbers: Vec<String> = licences.iter().map(|(l, _)| l.number.clone()).collect();
        let keys = self.keys()?;
        for (licence, rules) in licences {
            let number = licence.number.clone();
            keys.bind_licence(&actor, licence).await?;
            self.db(move |db| db.set_licence_rules(&number, rules))
                .await?;
        }
        tracing::info!(by = %actor.name(), licences = ?numbers, "licences bound");
        self.refresh_customer_types(&actor).await;
        self.state_after_change().await
    }

    /// Caches Metrc's customer types with the actor's key (best effort).
    async fn refresh_customer_types(&self, actor: &stateline_store::Actor) {
        let (Ok(key), Ok(link)) = (self.reading_key(actor), self.link()) else {
            return;
        };
        match link.client.customer_types(&key).await {
            Ok(types) => {
                let _ = self.db(move |db| db.set_customer_types(&types)).await;
            }
            Err(error) => tracing::warn!(%error, "customer types not refreshed"),
        }
    }

    /// Every bound licence with its sale rules (synchronous).
    pub(crate) fn licence_views(&self) -> Result<Vec<LicenceView>, ApiError> {
        let db = &self.inner.db;
        db.licences()?
            .into_iter()
            .map(|l| {
                let rules = db.licence_rules(&l.number)?;
                Ok(LicenceView {
                    number: l.number,
                    name: l.name,
                    time_zone: l.time_zone,
                    reporting_deadline_hours: l.reporting_deadline_hours,
                    object_limit: l.object_limit,
                    requires_patient_number: rules.requires_patient_number,
                    requires_caregiver_number: rules.requires_caregiver_number,
                    requires_identification_method: rules.requires_identification_method,
                    sells_to_consumers: rules.sells_to_consumers,
                })
            })
            .collect()
    }

    /// The licence a request names, or the first bound one.
    pub(crate) async fn licence_or_first(
        &self,
        licence: Option<String>,
    ) -> Result<String, ApiError> {
        match licence.filter(|l| !l.trim().is_empty()) {
            Some(l) => {
                let l2 = l.clone();
                self.db(move |db| db.licence(&l2)).await?;
                Ok(l)
            }
            None => self
                .db(|db| db.licences())
                .await?
                .into_iter()
                .next()
                .map(|l| l.number)
                .ok_or_else(|| {
                    ApiError::from(StoreError::InvalidInput {
                        field: "licence",
                        detail: "no licence is bound to this register yet; finish the setup".into(),
                    })
                }),
        }
    }

    /// Emits `audit_appended` (after a command whose store call wrote an audit row).
    pub(crate) fn audited(&self, action: &str) {
        self.emit(AppEvent::AuditAppended(dto::AuditAppended {
            action: action.to_owned(),
        }));
    }
}
