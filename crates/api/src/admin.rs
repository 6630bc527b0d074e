//! Users, settings and the audit log, for managers.
//!
//! Guarantees: users are added and PINs reset only by a manager (checked again by the store
//! against the role stored now); PINs go to the store's Argon2id hashing and are never kept;
//! settings are validated before anything is written; a change of the object limit restarts the
//! worker so it takes effect.

use stateline_store::people::audit::{AuditAction, AuditQuery};
use stateline_store::people::users::{Permission, Pin};
use stateline_store::{Licence, StoreError};

use super::dto::{
    AddUserRequest, AuditEntryView, AuditQueryRequest, ResetPinRequest, SettingsUpdate,
    SettingsView, UserView,
};
use super::store::AppTables;
use super::{App, convert};
use crate::ApiError;

impl App {
    /// `list_users`.
    pub async fn list_users(&self) -> Result<Vec<UserView>, ApiError> {
        self.require(Permission::ManageUsers)?;
        let users = self.db(|db| db.list_users()).await?;
        Ok(users.into_iter().map(convert::user).collect())
    }

    /// `add_user`.
    pub async fn add_user(&self, req: AddUserRequest) -> Result<UserView, ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        let pin = Pin::new(req.pin.expose());
        let user = self
            .db(move |db| db.add_user(&actor, &req.name, req.role.into(), &pin))
            .await?;
        self.audited("user_added");
        self.session_changed();
        Ok(convert::user(user))
    }

    /// `reset_pin` (also unlocks the user).
    pub async fn reset_pin(&self, req: ResetPinRequest) -> Result<UserView, ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        let pin = Pin::new(req.pin.expose());
        let name = req.name.trim().to_owned();
        let user = self
            .db(move |db| {
                db.reset_pin(&actor, &name, &pin)?;
                db.user(&name)?.ok_or(StoreError::UnknownUser { name })
            })
            .await?;
        self.audited("pin_reset");
        Ok(convert::user(user))
    }

    /// `get_settings`.
    pub async fn get_settings(&self) -> Result<SettingsView, ApiError> {
        self.current_actor()?;
        self.settings_view().await
    }

    async fn settings_view(&self) -> Result<SettingsView, ApiError> {
        let vendor_key = self.vendor_key_status().await?;
        let app = self.clone();
        let (environment, state_code, object_limit, idle, licences) = self
            .db(move |db| -> Result<_, ApiError> {
                Ok((
                    app.environment()?,
                    db.app_state_code()?,
                    db.object_limit()?,
                    db.idle_lock_minutes()?,
                    app.licence_views()?,
                ))
            })
            .await?;
        Ok(SettingsView {
            environment,
            state_code,
            object_limit,
            idle_lock_minutes: idle,
            key_mode: self.key_mode()?,
            allow_facility_override: self.policy().facility_overrides_allowed,
            vendor_key,
            licences,
        })
    }

    /// `update_settings`.
    pub async fn update_settings(&self, req: SettingsUpdate) -> Result<SettingsView, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        let limit_changed = req.object_limit.is_some();
        let allow = req.allow_facility_override;
        self.db(move |db| -> Result<_, ApiError> {
            for change in &req.licences {
                let mut licence = db.licence(&change.licence)?;
                if let Some(zone) = &change.time_zone {
                    licence.time_zone = zone.trim().to_owned();
                }
                if let Some(hours) = change.reporting_deadline_hours {
                    licence.reporting_deadline_hours = hours;
                }
                Licence::tz(&licence)?;
            }
            db.set_app_numbers(req.idle_lock_minutes, req.object_limit)?;
            for change in &req.licences {
                let mut licence = db.licence(&change.licence)?;
                if let Some(zone) = &change.time_zone {
                    licence.time_zone = zone.trim().to_owned();
                }
                if let Some(hours) = change.reporting_deadline_hours {
                    licence.reporting_deadline_hours = hours;
                }
                db.upsert_licence(&licence)?;
            }
            Ok(())
        })
        .await?;
        if let Some(allowed) = allow {
            self.set_facility_overrides_allowed(&actor, allowed).await?;
        }
        if limit_changed {
            self.restart_runtime().await?;
        }
        self.session_changed();
        self.settings_view().await
    }

    /// `list_audit` (newest first).
    pub async fn list_audit(
        &self,
        req: AuditQueryRequest,
    ) -> Result<Vec<AuditEntryView>, ApiError> {
        self.require(Permission::ViewReports)?;
        let action = match req.action.as_deref() {
            None | Some("") => None,
            Some(code) => {
                Some(
                    AuditAction::from_code(code).ok_or_else(|| StoreError::InvalidInput {
                        field: "audit action",
                        detail: format!("{code:?} is not an audit action; pick one from the list"),
                    })?,
                )
            }
        };
        let query = AuditQuery {
            before_seq: req.before_seq,
            action,
            limit: req.limit.unwrap_or(200).clamp(1, 5000) as usize,
            ..AuditQuery::default()
        };
        let entries = self.db(move |db| db.audit_entries(&query)).await?;
        Ok(entries
            .into_iter()
            .map(|e| AuditEntryView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
            })
            .collect())
    }
}
