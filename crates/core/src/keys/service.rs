//! [`Keys`]: saving, checking and clearing Metrc keys, the key mode and facility overrides —
//! everything the Keys screen, the login prompt and the CLI do with keys.
//!
//! Guarantees:
//! - roles: a user may set, test and clear their own key; other users' keys, the facility key, the
//!   mode and overrides need a manager ([`Permission`]); checked before anything is touched;
//! - a key is checked against Metrc before it is saved; a key Metrc refuses is not saved (the
//!   caller gets the matrix saying so); a key that cannot be checked (offline) is saved, so
//!   selling never waits on Metrc, and is checked again later;
//! - the key goes to the keychain first and the metadata + audit entry commit together only after
//!   the keychain accepted it; if the keychain is locked or missing nothing is written and the
//!   error says so (there is never a fallback to disk);
//! - a saved key whose check says it is usable releases that user's `waiting_for_key` records,
//!   which then go out with their original times; the audit log records every save, check, clear,
//!   mode change and override (never the key: whose, and its last four);
//! - no method returns a key.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jiff::Timestamp;
use metrc::{MetrcClient, UserKey};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::ring::KeyRing;
use super::{FacilityOverride, KeyHolder, KeyInfo, KeyPolicy, holder, metadata, mode};
use crate::audit::{self, AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::delivery::DeliveryEngine;
use crate::secrets::{SecretStoreError, Secrets};
use crate::users::{Actor, Permission, Session, require};
use crate::validation::{KeyValidation, Verdict, validate_key_at};
use crate::{CoreError, Database, Licence};

/// What saving a key did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySaved {
    /// Whether the key is now in the keychain (false: Metrc refused it, nothing was saved).
    pub saved: bool,
    /// The check made before saving.
    pub validation: KeyValidation,
    /// How many waiting records this released.
    pub released: usize,
}

/// Everything the Keys screen shows (never a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysOverview {
    pub policy: KeyPolicy,
    /// Saved keys this actor may see (a budtender: only their own).
    pub keys: Vec<KeyInfo>,
    pub overrides: Vec<FacilityOverride>,
    /// Whether the keychain could be read at the last load (`None`: fine), as `{code, message}`.
    pub keychain_problem: Option<KeychainProblem>,
}

/// Why the keychain could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeychainProblem {
    pub code: String,
    pub message: String,
}

/// The key state of a user who just logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginKeyCheck {
    /// The user's key metadata, if a key is saved.
    pub key: Option<KeyInfo>,
    /// The check made now (none when no key is saved or the mode does not use it).
    pub validation: Option<KeyValidation>,
    /// Whether the user should be asked for a (new) key.
    pub needs_key: bool,
    /// Waiting records released by a good check.
    pub released: usize,
}

/// A licence found with a key, as the first-run wizard offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredLicence {
    pub number: String,
    pub name: String,
    pub license_type: Option<String>,
    /// Whether this register already works for it.
    pub bound: bool,
}

/// A clock reading the database's injected clock.
#[derive(Debug)]
struct StoreClock(Database);

impl Clock for StoreClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

struct Inner {
    db: Database,
    secrets: Secrets,
    client: MetrcClient,
    environment: String,
    ring: KeyRing,
    refusals: Mutex<Option<mpsc::UnboundedReceiver<KeyHolder>>>,
    keychain_problem: Mutex<Option<KeychainProblem>>,
    engine: OnceLock<DeliveryEngine>,
}

/// The key service. Cheap to clone.
#[derive(Clone)]
pub struct Keys {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("environment", &self.inner.environment)
            .finish_non_exhaustive()
    }
}

/// Whether a verdict means the key can send records.
fn usable(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::AllGood | Verdict::MissingPermissions { .. }
    )
}

const WAITING_USERS: &str =
    "SELECT DISTINCT acting_user FROM outbox WHERE state = 'waiting_for_key' ORDER BY acting_user";

impl Keys {
    /// A key service for `environment` (`demo`, `sandbox`, `production`). Call [`Keys::load`]
    /// before handing [`Keys::ring`] to the delivery engine.
    pub fn new(db: Database, secrets: Secrets, client: MetrcClient, environment: &str) -> Self {
        let (ring, refusals) = KeyRing::new();
        Self {
            inner: Arc::new(Inner {
                db,
                secrets,
                client,
                environment: environment.to_owned(),
                ring,
                refusals: Mutex::new(Some(refusals)),
                keychain_problem: Mutex::new(None),
                engine: OnceLock::new(),
            }),
        }
    }

    /// The key source to build the delivery engine with.
    pub fn ring(&self) -> Arc<KeyRing> {
        Arc::new(self.inner.ring.clone())
    }

    /// Lets key changes release records through the engine (so its status updates at once).
    pub fn attach_engine(&self, engine: DeliveryEngine) {
        let _ = self.inner.engine.set(engine);
    }

    /// The Metrc environment these keys are for.
    pub fn environment(&self) -> &str {
        &self.inner.environment
    }

    pub(crate) fn db(&self) -> &Database {
        &self.inner.db
    }

    pub(crate) fn take_refusals(&self) -> Option<mpsc::UnboundedReceiver<KeyHolder>> {
        self.inner
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn set_keychain_problem(&self, problem: Option<&SecretStoreError>) {
        *self
            .inner
            .keychain_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = problem.map(|e| KeychainProblem {
            code: e.code().to_owned(),
            message: e.to_string(),
        });
    }

    /// The keychain problem seen at the last load or save, if any.
    pub fn keychain_problem(&self) -> Option<KeychainProblem> {
        self.inner
            .keychain_problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the mode, the overrides and every saved key from the keychain into the ring. A
    /// keychain that cannot be reached is remembered (see [`Keys::keychain_problem`]) and is not an
    /// error: the register keeps selling and the records wait.
    pub async fn load(&self) -> Result<(), CoreError> {
        let env = self.inner.environment.clone();
        let (policy, overrides, infos) = self
            .blocking(move |db| {
                db.read(|c| {
                    Ok((
                        mode::read(c)?,
                        metadata::overrides(c)?,
                        metadata::all(c, &env)?,
                    ))
                })
            })
            .await?;
        self.inner.ring.with(|s| {
            s.policy = policy;
            s.overrides = overrides.iter().map(|o| o.user.to_lowercase()).collect();
        });
        let mut problem = None;
        for info in infos {
            let entry = match self.entry(&info.holder).await {
                Ok((_, entry)) => entry,
                Err(CoreError::UnknownUser { .. }) => continue,
                Err(e) => return Err(e),
            };
            match self.inner.secrets.user_key(&entry).await {
                Ok(key) => self.inner.ring.put(&info.holder, Some(key)),
                Err(e) if e.is_keychain_down() => {
                    tracing::warn!(code = e.code(), "the keychain cannot be read; records wait");
                    problem = Some(e);
                    break;
                }
                Err(e) => {
                    tracing::warn!(holder = %info.holder, code = e.code(), "a saved key is gone from the keychain");
                    self.inner.ring.put(&info.holder, None);
                }
            }
        }
        self.set_keychain_problem(problem.as_ref());
        Ok(())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, CoreError> + Send + 'static,
    ) -> Result<T, CoreError> {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| CoreError::Internal(format!("a database task failed: {e}")))?
    }

    fn require_for(
        actor: &Actor,
        holder: &KeyHolder,
        own: Permission,
        others: Permission,
    ) -> Result<(), CoreError> {
        match holder {
            KeyHolder::User(name) if name.eq_ignore_ascii_case(actor.name()) => require(actor, own),
            _ => require(actor, others),
        }
    }

    /// The holder's keychain entry (the user must exist).
    async fn entry(
        &self,
        holder: &KeyHolder,
    ) -> Result<(KeyHolder, crate::secrets::EntryId), CoreError> {
        let env = self.inner.environment.clone();
        let wanted = holder.clone();
        self.blocking(move |db| {
            let (holder, user_id) = match &wanted {
                KeyHolder::Facility => (KeyHolder::Facility, None),
                KeyHolder::User(name) => {
                    let (id, stored_name) = db
                        .read(|c| metadata::user_id(c, name))?
                        .ok_or_else(|| CoreError::UnknownUser { name: name.clone() })?;
                    (KeyHolder::User(stored_name), Some(id))
                }
            };
            let entry = holder::entry_for(&env, db.install_id(), &holder, user_id)?;
            Ok((holder, entry))
        })
        .await
    }

    async fn check(&self, key: &UserKey) -> KeyValidation {
        let clock = StoreClock(self.inner.db.clone());
        validate_key_at(&self.inner.client, key, None, &clock).await
    }

    /// Records a verdict (and an audit entry) for the key that was checked.
    async fn record_verdict(
        &self,
        actor: Option<&str>,
        holder: &KeyHolder,
        validation: &KeyValidation,
    ) -> Result<(), CoreError> {
        let env = self.inner.environment.clone();
        let (holder, validation) = (holder.clone(), validation.clone());
        let actor = actor.map(str::to_owned);
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                metadata::set_verdict(
                    tx,
                    &env,
                    &holder,
                    &validation.last_four,
                    &validation.verdict,
                    validation.checked_at,
                )?;
                audit::append(
                    tx,
                    now,
                    &AuditEvent {
                        actor,
                        action: AuditAction::KeyValidated,
                        subject: holder.to_string(),
                        detail: format!(
                            "key ending {}: {}",
                            validation.last_four,
                            validation.verdict.code()
                        ),
                    },
                )?;
                Ok(())
            })
        })
        .await
    }

    /// Releases the waiting records a usable key of `holder` can now send.
    async fn release(&self, holder: &KeyHolder) -> Result<usize, CoreError> {
        let users: Vec<String> = match holder {
            KeyHolder::User(name) => {
                let name = name.clone();
                self.blocking(move |db| {
                    db.read(|c| {
                        let mut stmt = c.prepare_cached(WAITING_USERS)?;
                        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                        Ok(rows
                            .collect::<Result<Vec<_>, _>>()?
                            .into_iter()
                            .filter(|u| u.eq_ignore_ascii_case(&name))
                            .collect())
                    })
                })
                .await?
            }
            KeyHolder::Facility => {
                if let Some(engine) = self.inner.engine.get() {
                    engine.facility_key_replaced().await?;
                }
                self.users_the_facility_key_serves().await?
            }
        };
        let mut released = 0;
        for user in users {
            released += match self.inner.engine.get() {
                Some(engine) => engine.release_user(&user).await?,
                None => {
                    let u = user.clone();
                    self.blocking(move |db| db.release_waiting_for_key(&u))
                        .await?
                }
            };
        }
        if released > 0 {
            tracing::info!(holder = %holder, released, "waiting records released");
        }
        Ok(released)
    }

    /// Users whose waiting records the facility key now sends (everyone in facility mode; users
    /// with an honoured override otherwise).
    async fn users_the_facility_key_serves(&self) -> Result<Vec<String>, CoreError> {
        let ring = self.inner.ring.clone();
        let waiting: Vec<String> = self
            .blocking(|db| {
                db.read(|c| {
                    let mut stmt = c.prepare_cached(WAITING_USERS)?;
                    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
            })
            .await?;
        use crate::delivery::{KeyOwner, KeySource};
        Ok(waiting
            .into_iter()
            .filter(|u| {
                ring.key_for(u)
                    .is_some_and(|k| k.owner == KeyOwner::Facility)
            })
            .collect())
    }

    /// Checks `key` against Metrc and, unless Metrc refuses it, saves it for `holder`.
    pub async fn set_key(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
        key: UserKey,
    ) -> Result<KeySaved, CoreError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::SetOtherKeys,
        )?;
        let (holder, entry) = self.entry(holder).await?;
        let validation = self.check(&key).await;
        if matches!(validation.verdict, Verdict::KeyInvalid { .. }) {
            tracing::info!(holder = %holder, "Metrc refused the key; it was not saved");
            return Ok(KeySaved {
                saved: false,
                validation,
                released: 0,
            });
        }
        let saved = match self.inner.secrets.set_user_key(&entry, &key).await {
            Ok(saved) => saved,
            Err(e) => {
                if e.is_keychain_down() {
                    self.set_keychain_problem(Some(&e));
                }
                return Err(e.into());
            }
        };
        self.set_keychain_problem(None);
        let env = self.inner.environment.clone();
        let by = actor.name().to_owned();
        let (h, v) = (holder.clone(), validation.clone());
        let ended_override = self
            .blocking(move |db| {
                let now = db.now();
                db.write(|tx| {
                    metadata::upsert(tx, &env, &h, &saved.entry, &saved.last_four, now, &by)?;
                    metadata::set_verdict(tx, &env, &h, &v.last_four, &v.verdict, v.checked_at)?;
                    let ended = match &h {
                        KeyHolder::User(name) => metadata::end_override(tx, name)?,
                        KeyHolder::Facility => false,
                    };
                    let detail = format!(
                        "key ending {}; check: {}{}",
                        saved.last_four,
                        v.verdict.code(),
                        if ended {
                            "; facility-key override ended"
                        } else {
                            ""
                        }
                    );
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(&by, AuditAction::KeySet, h.to_string(), detail),
                    )?;
                    Ok(ended)
                })
            })
            .await?;
        self.inner.ring.put(&holder, Some(key));
        if ended_override && let KeyHolder::User(name) = &holder {
            let lower = name.to_lowercase();
            self.inner.ring.with(|s| s.overrides.remove(&lower));
        }
        let released = if usable(&validation.verdict) {
            self.release(&holder).await?
        } else {
            0
        };
        Ok(KeySaved {
            saved: true,
            validation,
            released,
        })
    }

    /// Checks the saved key of `holder` against Metrc (own key: anyone; others: a manager).
    pub async fn validate(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<KeyValidation, CoreError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::ValidateAnyKey,
        )?;
        let (validation, _) = self
            .validate_saved(Some(actor.name()), holder, true)
            .await?;
        Ok(validation)
    }

    /// Checks a saved key; records the verdict; releases records when asked and the key is usable.
    pub(crate) async fn validate_saved(
        &self,
        actor: Option<&str>,
        holder: &KeyHolder,
        release_if_usable: bool,
    ) -> Result<(KeyValidation, usize), CoreError> {
        let (holder, entry) = self.entry(holder).await?;
        let key = match self.inner.secrets.user_key(&entry).await {
            Ok(key) => key,
            Err(SecretStoreError::NotFound { .. }) => {
                return Err(CoreError::NoKey {
                    holder: holder.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let validation = self.check(&key).await;
        self.record_verdict(actor, &holder, &validation).await?;
        self.inner.ring.put(&holder, Some(key));
        let released = if release_if_usable && usable(&validation.verdict) {
            self.release(&holder).await?
        } else {
            0
        };
        Ok((validation, released))
    }

    /// Removes `holder`'s key from the keychain and its metadata; that holder's records will wait.
    pub async fn clear(&self, actor: &Actor, holder: &KeyHolder) -> Result<(), CoreError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::SetOtherKeys,
        )?;
        let (holder, entry) = self.entry(holder).await?;
        match self.inner.secrets.clear_user_key(&entry).await {
            Ok(()) | Err(SecretStoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.inner.ring.put(&holder, None);
        let env = self.inner.environment.clone();
        let by = actor.name().to_owned();
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                metadata::delete(tx, &env, &holder)?;
                audit::append(
                    tx,
                    now,
                    &AuditEvent::by(
                        &by,
                        AuditAction::KeyCleared,
                        holder.to_string(),
                        "removed from the keychain",
                    ),
                )?;
                Ok(())
            })
        })
        .await
    }

    /// What the Keys screen shows to `actor`.
    pub async fn overview(&self, actor: &Actor) -> Result<KeysOverview, CoreError> {
        let env = self.inner.environment.clone();
        let (policy, overrides, mut keys) = self
            .blocking(move |db| {
                db.read(|c| {
                    Ok((
                        mode::read(c)?,
                        metadata::overrides(c)?,
                        metadata::all(c, &env)?,
                    ))
                })
            })
            .await?;
        if require(actor, Permission::SetOtherKeys).is_err() {
            keys.retain(|k| {
                k.holder
                    .user()
                    .is_some_and(|u| u.eq_ignore_ascii_case(actor.name()))
            });
        }
        Ok(KeysOverview {
            policy,
            keys,
            overrides,
            keychain_problem: self.keychain_problem(),
        })
    }

    /// The key metadata of one holder (own: anyone; others: a manager).
    pub async fn info(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<Option<KeyInfo>, CoreError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::SetOtherKeys,
        )?;
        let env = self.inner.environment.clone();
        let holder = holder.clone();
        self.blocking(move |db| db.read(|c| metadata::one(c, &env, &holder)))
            .await
    }

    /// A manager switches the key mode and whether facility overrides are allowed.
    pub async fn set_policy(&self, actor: &Actor, policy: KeyPolicy) -> Result<(), CoreError> {
        require(actor, Permission::ChooseKeyMode)?;
        let by = actor.name().to_owned();
        let old = self
            .blocking(move |db| {
                let now = db.now();
                db.write(|tx| {
                    let old = mode::read(tx)?;
                    mode::write(tx, policy)?;
                    let detail = format!(
                        "mode {} → {}; facility overrides allowed {} → {}",
                        old.mode.as_str(),
                        policy.mode.as_str(),
                        old.facility_overrides_allowed,
                        policy.facility_overrides_allowed
                    );
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(&by, AuditAction::KeyModeChanged, "key mode", detail),
                    )?;
                    Ok(old)
                })
            })
            .await?;
        self.inner.ring.with(|s| s.policy = policy);
        if old != policy && self.inner.ring.has_key(&KeyHolder::Facility) {
            self.release(&KeyHolder::Facility).await?;
        }
        Ok(())
    }

    /// A manager's explicit, audited choice: `user`'s records go under the facility key (only
    /// where the store allows facility keys, and only if a facility key is saved). Releases the
    /// user's waiting records.
    pub async fn send_under_facility_key(
        &self,
        actor: &Actor,
        user: &str,
        reason: &str,
    ) -> Result<usize, CoreError> {
        require(actor, Permission::SendUnderFacilityKey)?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() {
            return Err(CoreError::InvalidInput {
                field: "reason",
                detail: "it is empty; say why this user's records go under the facility key".into(),
            });
        }
        let policy = self.inner.ring.with(|s| s.policy);
        if !policy.facility_overrides_allowed && policy.mode != super::KeyMode::Facility {
            return Err(CoreError::FacilityKeysNotAllowed);
        }
        if !self.inner.ring.has_key(&KeyHolder::Facility) {
            return Err(CoreError::NoKey {
                holder: KeyHolder::Facility.to_string(),
            });
        }
        let (holder, _) = self.entry(&KeyHolder::User(user.to_owned())).await?;
        let name = holder.user().unwrap_or(user).to_owned();
        let by = actor.name().to_owned();
        let n = name.clone();
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                metadata::grant_override(tx, &n, &by, now, &reason)?;
                audit::append(
                    tx,
                    now,
                    &AuditEvent::by(
                        &by,
                        AuditAction::FacilityKeyOverride,
                        &n,
                        format!("records go under the facility key: {reason}"),
                    ),
                )?;
                Ok(())
            })
        })
        .await?;
        self.inner
            .ring
            .with(|s| s.overrides.insert(name.to_lowercase()));
        self.release(&KeyHolder::Facility).await
    }

    /// A manager ends an override: the user's records go under their own key again.
    pub async fn end_facility_override(&self, actor: &Actor, user: &str) -> Result<(), CoreError> {
        require(actor, Permission::SendUnderFacilityKey)?;
        let (by, u) = (actor.name().to_owned(), user.to_owned());
        self.blocking(move |db| {
            let now = db.now();
            db.write(|tx| {
                if metadata::end_override(tx, &u)? {
                    audit::append(
                        tx,
                        now,
                        &AuditEvent::by(
                            &by,
                            AuditAction::FacilityKeyOverride,
                            &u,
                            "override ended: own key again",
                        ),
                    )?;
                }
                Ok(())
            })
        })
        .await?;
        let lower = user.to_lowercase();
        self.inner.ring.with(|s| s.overrides.remove(&lower));
        Ok(())
    }

    /// At login: checks the user's own key (when the mode uses it) and says whether to ask for
    /// one. A usable key releases the user's waiting records. Metrc being unreachable never asks
    /// for a new key.
    pub async fn check_at_login(&self, session: &Session) -> Result<LoginKeyCheck, CoreError> {
        let holder = KeyHolder::User(session.actor.name().to_owned());
        let facility_mode = self
            .inner
            .ring
            .with(|s| s.policy.mode == super::KeyMode::Facility);
        let key = self.info(&session.actor, &holder).await?;
        if facility_mode {
            return Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: false,
                released: 0,
            });
        }
        if key.is_none() {
            return Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: true,
                released: 0,
            });
        }
        match self
            .validate_saved(Some(session.actor.name()), &holder, true)
            .await
        {
            Ok((validation, released)) => {
                let needs_key = matches!(validation.verdict, Verdict::KeyInvalid { .. });
                let key = self.info(&session.actor, &holder).await?;
                Ok(LoginKeyCheck {
                    key,
                    validation: Some(validation),
                    needs_key,
                    released,
                })
            }
            Err(CoreError::NoKey { .. }) => Ok(LoginKeyCheck {
                key,
                validation: None,
                needs_key: true,
                released: 0,
            }),
            Err(CoreError::Keychain(e)) if e.is_keychain_down() => {
                self.set_keychain_problem(Some(&e));
                Ok(LoginKeyCheck {
                    key,
                    validation: None,
                    needs_key: false,
                    released: 0,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Licences the holder's saved key reaches (`GET /facilities/v2`), for the first-run wizard
    /// and Settings. A manager only.
    pub async fn discover_licences(
        &self,
        actor: &Actor,
        holder: &KeyHolder,
    ) -> Result<Vec<DiscoveredLicence>, CoreError> {
        require(actor, Permission::ChangeSettings)?;
        let (holder, entry) = self.entry(holder).await?;
        let key = match self.inner.secrets.user_key(&entry).await {
            Ok(key) => key,
            Err(SecretStoreError::NotFound { .. }) => {
                return Err(CoreError::NoKey {
                    holder: holder.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let facilities = self.inner.client.facilities(&key).await?;
        let bound: Vec<String> = self
            .blocking(|db| Ok(db.licences()?.into_iter().map(|l| l.number).collect()))
            .await?;
        let mut out: Vec<DiscoveredLicence> = facilities
            .into_iter()
            .filter(|f| !f.license.number.is_empty())
            .map(|f| DiscoveredLicence {
                bound: bound.contains(&f.license.number),
                name: f
                    .display_name
                    .or(f.name)
                    .unwrap_or_else(|| f.license.number.clone()),
                number: f.license.number,
                license_type: f.license.license_type,
            })
            .collect();
        out.sort_by(|a, b| a.number.cmp(&b.number));
        out.dedup_by(|a, b| a.number == b.number);
        Ok(out)
    }

    /// A manager binds (or updates) a licence with its time zone and reporting deadline.
    pub async fn bind_licence(&self, actor: &Actor, licence: Licence) -> Result<(), CoreError> {
        require(actor, Permission::ChangeSettings)?;
        let by = actor.name().to_owned();
        self.blocking(move |db| {
            db.upsert_licence(&licence)?;
            db.append_audit(AuditEvent::by(
                &by,
                AuditAction::LicenceBound,
                &licence.number,
                format!(
                    "{} in {}, deadline {} h",
                    licence.name, licence.time_zone, licence.reporting_deadline_hours
                ),
            ))?;
            Ok(())
        })
        .await
    }

    /// Checks every saved key now, as Stateline itself (for `stateline doctor`): verdicts are
    /// recorded and audited; nothing is released.
    pub async fn check_all_saved(
        &self,
    ) -> Result<Vec<(KeyHolder, Result<KeyValidation, CoreError>)>, CoreError> {
        let mut out = Vec::new();
        for info in self.holders().await? {
            let result = self
                .validate_saved(None, &info.holder, false)
                .await
                .map(|(v, _)| v);
            out.push((info.holder, result));
        }
        Ok(out)
    }

    /// Whether the keychain can be written and read now.
    pub async fn probe_keychain(&self) -> Result<(), CoreError> {
        let result = self.inner.secrets.probe().await;
        self.set_keychain_problem(result.as_ref().err());
        Ok(result?)
    }

    /// Every saved holder (for the daily checks).
    pub(crate) async fn holders(&self) -> Result<Vec<KeyInfo>, CoreError> {
        let env = self.inner.environment.clone();
        self.blocking(move |db| db.read(|c| metadata::all(c, &env)))
            .await
    }
}

/// Counts `waiting_for_key` records per user (for tests and the doctor).
pub fn waiting_for_key_by_user(db: &Database) -> Result<Vec<(String, u64)>, CoreError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT acting_user, count(*) FROM outbox WHERE state = 'waiting_for_key' GROUP BY acting_user ORDER BY acting_user",
        )?;
        let rows = stmt.query_map(params![], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    })
}
