//! Key commands of the facade: set, validate and clear a user's or the facility key, the overview
//! (last four characters only) and the key mode. A key goes in and never comes out.
//!
//! Guarantees: a budtender may only touch their own key; a saved key is validated against Metrc
//! at once (the matrix is returned) and, when Metrc accepted it, the user's waiting records are
//! released; keys are held only in `metrc::UserKey`; results carry only the last four characters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use metrc::UserKey;

use super::dto::{
    self, KeyInfoView, KeyMode, KeyOwnerRef, KeyOwnerRequest, KeySavedView, KeyValidationView,
    SetKeyRequest,
};
use super::{App, AppEvent, convert};
use crate::delivery::{KeySource, StaticKeys};
use crate::users::Permission;
use crate::{CoreError, validation};

#[derive(Debug, Clone)]
struct Meta {
    last_four: String,
    saved_at: Timestamp,
    verdict: Option<String>,
    checked_at: Option<Timestamp>,
}

/// The keys the engine sends with, and what the UI may know about them.
#[derive(Debug, Clone, Default)]
pub(crate) struct AppKeys {
    source: StaticKeys,
    meta: Arc<Mutex<HashMap<String, Meta>>>,
}

fn holder_id(owner: &KeyOwnerRef) -> String {
    match owner {
        KeyOwnerRef::User { user } => format!("user:{}", user.to_lowercase()),
        KeyOwnerRef::Facility => "facility".to_owned(),
    }
}

impl AppKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn source(&self) -> Arc<dyn KeySource> {
        Arc::new(self.source.clone())
    }

    fn meta(&self) -> std::sync::MutexGuard<'_, HashMap<String, Meta>> {
        self.meta.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn put(&self, owner: &KeyOwnerRef, key: UserKey, now: Timestamp) {
        let last_four = key.last_four();
        match owner {
            KeyOwnerRef::User { user } => self.source.set_user_key(user, key),
            KeyOwnerRef::Facility => self.source.set_facility_key(key),
        }
        self.meta().insert(
            holder_id(owner),
            Meta {
                last_four,
                saved_at: now,
                verdict: None,
                checked_at: None,
            },
        );
    }

    pub fn key(&self, owner: &KeyOwnerRef) -> Option<UserKey> {
        match owner {
            KeyOwnerRef::User { user } => self.source.key_for(user).map(|k| k.key),
            KeyOwnerRef::Facility => None,
        }
    }

    fn record_verdict(&self, owner: &KeyOwnerRef, v: &validation::KeyValidation) {
        if let Some(m) = self.meta().get_mut(&holder_id(owner)) {
            m.verdict = Some(v.verdict.code().to_owned());
            m.checked_at = Some(v.checked_at);
        }
    }

    fn clear(&self, owner: &KeyOwnerRef) {
        if let KeyOwnerRef::User { user } = owner {
            self.source.clear_user_key(user);
        }
        self.meta().remove(&holder_id(owner));
    }

    /// True when `user` has no key, or the last check found it refused.
    pub fn needs_key(&self, user: &str) -> bool {
        let id = holder_id(&KeyOwnerRef::User {
            user: user.to_owned(),
        });
        match self.meta().get(&id) {
            None => true,
            Some(m) => m.verdict.as_deref() == Some("key_invalid"),
        }
    }

    fn info(&self, owner: KeyOwnerRef) -> KeyInfoView {
        let meta = self.meta().get(&holder_id(&owner)).cloned();
        KeyInfoView {
            owner,
            last_four: meta.as_ref().map(|m| m.last_four.clone()),
            saved_at: meta.as_ref().map(|m| m.saved_at),
            last_verdict: meta.as_ref().and_then(|m| m.verdict.clone()),
            last_checked_at: meta.as_ref().and_then(|m| m.checked_at),
        }
    }
}

impl App {
    /// Fails unless the session may manage `owner`'s key (`own` = set/clear, else validate).
    fn require_key_permission(
        &self,
        owner: &KeyOwnerRef,
        validate_only: bool,
    ) -> Result<crate::Actor, CoreError> {
        let actor = self.current_actor()?;
        let own =
            matches!(owner, KeyOwnerRef::User { user } if user.eq_ignore_ascii_case(actor.name()));
        let permission = match (own, validate_only) {
            (true, _) => Permission::SetOwnKey,
            (false, true) => Permission::ValidateAnyKey,
            (false, false) => Permission::SetOtherKeys,
        };
        actor.require(permission)?;
        Ok(actor)
    }

    pub(crate) fn needs_key(&self, user: &str) -> bool {
        matches!(self.key_mode(), Ok(KeyMode::Individual)) && self.inner.keys.needs_key(user)
    }

    pub(crate) fn key_mode(&self) -> Result<KeyMode, CoreError> {
        Ok(KeyMode::Individual)
    }

    /// Puts a key in place without validating it (demo keys at setup).
    pub(crate) fn install_key(&self, owner: &KeyOwnerRef, key: UserKey) {
        self.inner.keys.put(owner, key, self.now());
    }

    async fn validate_with(&self, key: &UserKey) -> Result<validation::KeyValidation, CoreError> {
        let link = self.link()?;
        let licences: Vec<String> = self
            .db(|db| db.licences())
            .await?
            .into_iter()
            .map(|l| l.number)
            .collect();
        let only = (!licences.is_empty()).then_some(licences);
        Ok(validation::validate_key_at(
            &link.client,
            key,
            only.as_deref(),
            self.inner.config.clock.as_ref(),
        )
        .await)
    }

    /// `set_key`.
    pub async fn set_key(&self, req: SetKeyRequest) -> Result<KeySavedView, CoreError> {
        self.require_key_permission(&req.owner, false)?;
        let key = UserKey::new(req.key.trim()).map_err(|_| CoreError::InvalidInput {
            field: "Metrc key",
            detail: "it is not a valid Metrc key; copy the whole key from Metrc and paste it again"
                .into(),
        })?;
        let validation = self.validate_with(&key).await?;
        if validation.verdict.code() == "key_invalid" {
            return Err(CoreError::KeyRefused);
        }
        self.install_key(&req.owner, key);
        #[cfg(feature = "demo")]
        self.demo_key_saved(&req.owner);
        self.inner.keys.record_verdict(&req.owner, &validation);
        let released = match (&req.owner, self.link()) {
            (KeyOwnerRef::User { user }, Ok(link)) => link.engine.release_user(user).await? as u64,
            (KeyOwnerRef::Facility, Ok(link)) => {
                link.engine.facility_key_replaced().await?;
                0
            }
            (_, Err(_)) => 0,
        };
        if let Ok(link) = self.link() {
            link.engine.publish().await;
        }
        self.emit(AppEvent::KeysChanged(dto::KeysChanged {
            owner: Some(req.owner.clone()),
        }));
        self.session_changed();
        Ok(KeySavedView {
            validation: convert::validation(validation),
            released,
        })
    }

    /// `validate_key`.
    pub async fn validate_key(&self, req: KeyOwnerRequest) -> Result<KeyValidationView, CoreError> {
        self.require_key_permission(&req.owner, true)?;
        let key = self
            .inner
            .keys
            .key(&req.owner)
            .ok_or_else(|| CoreError::NoKey {
                holder: match &req.owner {
                    KeyOwnerRef::User { user } => user.clone(),
                    KeyOwnerRef::Facility => "the facility".into(),
                },
            })?;
        let validation = self.validate_with(&key).await?;
        self.inner.keys.record_verdict(&req.owner, &validation);
        self.emit(AppEvent::KeysChanged(dto::KeysChanged {
            owner: Some(req.owner),
        }));
        Ok(convert::validation(validation))
    }

    /// `clear_key`.
    pub async fn clear_key(&self, req: KeyOwnerRequest) -> Result<(), CoreError> {
        self.require_key_permission(&req.owner, false)?;
        self.inner.keys.clear(&req.owner);
        self.emit(AppEvent::KeysChanged(dto::KeysChanged {
            owner: Some(req.owner),
        }));
        self.session_changed();
        Ok(())
    }

    /// `key_overview`: every user's key and the facility key (a budtender sees only their own).
    pub async fn key_overview(&self) -> Result<Vec<KeyInfoView>, CoreError> {
        let actor = self.current_actor()?;
        let users = self.db(|db| db.list_users()).await?;
        let mut owners: Vec<KeyOwnerRef> = users
            .into_iter()
            .filter(|u| actor.role().may(Permission::SetOtherKeys) || u.name == actor.name())
            .map(|u| KeyOwnerRef::User { user: u.name })
            .collect();
        if actor.role().may(Permission::SetOtherKeys) {
            owners.push(KeyOwnerRef::Facility);
        }
        Ok(owners
            .into_iter()
            .map(|o| self.inner.keys.info(o))
            .collect())
    }
}
