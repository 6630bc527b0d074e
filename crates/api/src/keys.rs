//! Key commands of the facade over the key service (`stateline_keys::Keys`): set, validate and
//! clear a user's or the facility key, the overview (last four characters only), the key mode and
//! facility-key overrides, and whether the session user must be asked for a key.
//!
//! Guarantees: the key service checks roles, validates before saving, keeps keys in the keychain
//! and audits; this layer only maps shapes, so a key goes in and never comes out; the login key
//! check runs in the background, so logging in never waits on Metrc.

use metrc::UserKey;
use stateline_keys::{KeyHolder, KeyInfo, KeyPolicy, KeySource, Keys, KeysError};
use stateline_store::people::users::Permission;
use stateline_store::{Actor, StoreError};

use super::dto::{
    self, FacilityOverrideRequest, KeyInfoView, KeyMode, KeyModeRequest, KeyOwnerRef,
    KeyOwnerRequest, KeySavedView, KeyValidationView, SetKeyRequest,
};
use super::{App, AppEvent, convert};
use crate::ApiError;

impl From<KeyOwnerRef> for KeyHolder {
    fn from(owner: KeyOwnerRef) -> Self {
        match owner {
            KeyOwnerRef::User { user } => KeyHolder::User(user),
            KeyOwnerRef::Facility => KeyHolder::Facility,
        }
    }
}

impl From<KeyHolder> for KeyOwnerRef {
    fn from(holder: KeyHolder) -> Self {
        match holder {
            KeyHolder::User(user) => KeyOwnerRef::User { user },
            KeyHolder::Facility => KeyOwnerRef::Facility,
        }
    }
}

fn info_view(owner: KeyOwnerRef, info: Option<&KeyInfo>) -> KeyInfoView {
    KeyInfoView {
        owner,
        last_four: info.map(|i| i.last_four.clone()),
        saved_at: info.map(|i| i.saved_at),
        last_verdict: info.and_then(|i| i.verdict.clone()),
        last_checked_at: info.and_then(|i| i.validated_at),
    }
}

fn invalid_key() -> ApiError {
    StoreError::InvalidInput {
        field: "Metrc key",
        detail: "it is not a valid Metrc key; copy the whole key from Metrc and paste it again"
            .into(),
    }
    .into()
}

impl App {
    /// The key service of the current link.
    pub(crate) fn keys(&self) -> Result<Keys, ApiError> {
        Ok(self.link()?.keys)
    }

    /// The key the session user reads Metrc with (their own, or the facility key in facility mode).
    pub(crate) fn reading_key(&self, actor: &Actor) -> Result<UserKey, ApiError> {
        self.keys()?
            .ring()
            .key_for(actor.name())
            .map(|k| k.key)
            .ok_or_else(|| {
                KeysError::NoKey {
                    holder: actor.name().to_owned(),
                }
                .into()
            })
    }

    pub(crate) fn policy(&self) -> KeyPolicy {
        self.keys().map(|k| k.ring().policy()).unwrap_or_default()
    }

    pub(crate) fn key_mode(&self) -> Result<KeyMode, ApiError> {
        Ok(self.policy().mode.into())
    }

    /// Recomputes whether the session user must be asked for a key (from saved metadata only).
    pub(crate) async fn refresh_needs_key(&self) {
        let Some(actor) = self
            .lock_session()
            .session
            .as_ref()
            .map(|s| s.actor.clone())
        else {
            return;
        };
        let needs = match self.keys() {
            Err(_) => false,
            Ok(keys) => {
                let facility = self.policy().mode == stateline_keys::KeyMode::Facility;
                let info = keys
                    .info(&actor, &KeyHolder::User(actor.name().to_owned()))
                    .await
                    .ok()
                    .flatten();
                !facility && info.is_none_or(|i| i.known_invalid())
            }
        };
        let mut s = self.lock_session();
        if s.session
            .as_ref()
            .is_some_and(|x| x.actor.user_id() == actor.user_id())
        {
            s.needs_key = needs;
        }
    }

    /// After a login: the key check against Metrc runs in the background and updates the session.
    pub(crate) fn check_key_in_background(&self, session: stateline_store::Session) {
        let Ok(keys) = self.keys() else { return };
        let app = self.clone();
        tokio::spawn(async move {
            match keys.check_at_login(&session).await {
                Ok(check) => {
                    let changed = {
                        let mut s = app.lock_session();
                        let same = s
                            .session
                            .as_ref()
                            .is_some_and(|x| x.actor.user_id() == session.actor.user_id());
                        let changed = same && s.needs_key != check.needs_key;
                        if same {
                            s.needs_key = check.needs_key;
                        }
                        changed
                    };
                    if changed || check.released > 0 {
                        app.session_changed();
                    }
                }
                Err(error) => tracing::warn!(%error, "the key check at login failed"),
            }
        });
    }

    /// `set_key`: checks the key with Metrc and saves it unless Metrc refuses it.
    pub async fn set_key(&self, req: SetKeyRequest) -> Result<KeySavedView, ApiError> {
        let actor = self.current_actor()?;
        let key = UserKey::new(req.key.expose().trim()).map_err(|_| invalid_key())?;
        let saved = self
            .keys()?
            .set_key(&actor, &req.owner.clone().into(), key)
            .await?;
        if !saved.saved {
            return Err(KeysError::KeyRefused.into());
        }
        #[cfg(feature = "demo")]
        self.demo_key_saved(&req.owner);
        self.keys_changed(Some(req.owner)).await;
        self.audited("key_set");
        Ok(KeySavedView {
            validation: convert::validation(saved.validation),
            released: saved.released as u64,
        })
    }

    /// `validate_key`.
    pub async fn validate_key(&self, req: KeyOwnerRequest) -> Result<KeyValidationView, ApiError> {
        let actor = self.current_actor()?;
        let validation = self
            .keys()?
            .validate(&actor, &req.owner.clone().into())
            .await?;
        self.keys_changed(Some(req.owner)).await;
        Ok(convert::validation(validation))
    }

    /// `clear_key`.
    pub async fn clear_key(&self, req: KeyOwnerRequest) -> Result<(), ApiError> {
        let actor = self.current_actor()?;
        self.keys()?
            .clear(&actor, &req.owner.clone().into())
            .await?;
        self.keys_changed(Some(req.owner)).await;
        self.audited("key_cleared");
        Ok(())
    }

    async fn keys_changed(&self, owner: Option<KeyOwnerRef>) {
        self.refresh_needs_key().await;
        if let Ok(link) = self.link() {
            link.engine.publish().await;
        }
        self.emit(AppEvent::KeysChanged(dto::KeysChanged { owner }));
        self.session_changed();
    }

    /// `key_overview`: every user's key and the facility key (a budtender sees only their own).
    pub async fn key_overview(&self) -> Result<Vec<KeyInfoView>, ApiError> {
        let actor = self.current_actor()?;
        let overview = self.keys()?.overview(&actor).await?;
        let manager = actor.role().may(Permission::SetOtherKeys);
        let users = self.db(|db| db.list_users()).await?;
        let mut views: Vec<KeyInfoView> = users
            .into_iter()
            .filter(|u| manager || u.name == actor.name())
            .map(|u| {
                let info = overview.keys.iter().find(
                    |k| matches!(&k.holder, KeyHolder::User(n) if n.eq_ignore_ascii_case(&u.name)),
                );
                info_view(KeyOwnerRef::User { user: u.name }, info)
            })
            .collect();
        if manager {
            let info = overview
                .keys
                .iter()
                .find(|k| k.holder == KeyHolder::Facility);
            views.push(info_view(KeyOwnerRef::Facility, info));
        }
        Ok(views)
    }

    /// `set_key_mode`.
    pub async fn set_key_mode(&self, req: KeyModeRequest) -> Result<dto::AppState, ApiError> {
        let actor = self.require(Permission::ChooseKeyMode)?;
        let mut policy = self.policy();
        policy.mode = req.mode.into();
        self.keys()?.set_policy(&actor, policy).await?;
        self.keys_changed(None).await;
        self.audited("key_mode_changed");
        self.app_state().await
    }

    /// Allows or forbids facility-key overrides (from `update_settings`).
    pub(crate) async fn set_facility_overrides_allowed(
        &self,
        actor: &Actor,
        allowed: bool,
    ) -> Result<(), ApiError> {
        let mut policy = self.policy();
        if policy.facility_overrides_allowed == allowed {
            return Ok(());
        }
        policy.facility_overrides_allowed = allowed;
        self.keys()?.set_policy(actor, policy).await?;
        self.keys_changed(None).await;
        Ok(())
    }

    /// `send_under_facility_key`: a manager's audited choice; returns the records released.
    pub async fn send_under_facility_key(
        &self,
        req: FacilityOverrideRequest,
    ) -> Result<u64, ApiError> {
        let actor = self.require(Permission::SendUnderFacilityKey)?;
        let released = self
            .keys()?
            .send_under_facility_key(&actor, &req.user, &req.reason)
            .await?;
        self.keys_changed(Some(KeyOwnerRef::User { user: req.user }))
            .await;
        self.audited("facility_key_override");
        Ok(released as u64)
    }
}
