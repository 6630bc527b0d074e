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

use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use metrc::{MetrcClient, UserKey};
use serde::{Deserialize, Serialize};
use stateline_clock::Clock;
use stateline_secrets::{SecretStoreError, Secrets};
use stateline_store::people::audit::{self, AuditAction, AuditEvent};
use stateline_store::people::users::{Actor, Permission, Session, require};
use stateline_store::{Database, Licence, StoreError};
use stateline_tasks::StoreCall;
use tokio::sync::mpsc;

use super::ring::{KeyRefusals, KeyRing};
use super::{FacilityOverride, KeyHolder, KeyInfo, KeyPolicy, holder, metadata, mode};
use crate::KeysError;
use crate::validation::{KeyValidation, Verdict, validate_key_at};

mod door;
mod licences;
mod login;
mod policy;
mod release;
mod save;

pub use release::{Releases, StoreReleases};

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
    releases: Arc<dyn Releases>,
}

/// What a key service is made of (see [`Keys::composed`]).
#[derive(Debug)]
pub struct KeysParts {
    /// The store.
    pub db: Database,
    /// The keychain.
    pub secrets: Secrets,
    /// The Metrc client keys are checked with.
    pub client: MetrcClient,
    /// `demo`, `sandbox` or `production`.
    pub environment: String,
    /// The ring the delivery engine reads.
    pub ring: KeyRing,
    /// Where the ring reports keys Metrc refused while sending.
    pub refusals: KeyRefusals,
    /// Where a usable key releases waiting records.
    pub releases: Arc<dyn Releases>,
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

impl Keys {
    /// A key service for `environment` (`demo`, `sandbox`, `production`) that releases waiting
    /// records in the store directly. Call [`Keys::load`] before handing [`Keys::ring`] to a
    /// delivery engine.
    pub fn new(db: Database, secrets: Secrets, client: MetrcClient, environment: &str) -> Self {
        let (ring, refusals) = KeyRing::new();
        let releases = Arc::new(StoreReleases(db.clone()));
        Self::composed(KeysParts {
            db,
            secrets,
            client,
            environment: environment.to_owned(),
            ring,
            refusals,
            releases,
        })
    }

    /// A key service from its parts: the composer makes the ring first, builds the delivery
    /// engine on it, and hands in releases that go through that engine.
    pub fn composed(parts: KeysParts) -> Self {
        Self {
            inner: Arc::new(Inner {
                db: parts.db,
                secrets: parts.secrets,
                client: parts.client,
                environment: parts.environment,
                ring: parts.ring,
                refusals: Mutex::new(Some(parts.refusals.0)),
                keychain_problem: Mutex::new(None),
                releases: parts.releases,
            }),
        }
    }

    /// The key source to build the delivery engine with.
    pub fn ring(&self) -> Arc<KeyRing> {
        Arc::new(self.inner.ring.clone())
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
    /// keychain that cannot be reached is remembered (see [`Keys::keychain_problem`]; the ring
    /// says so too, so the records of users whose keys could not be read stay pending) and is
    /// not an error: the register keeps selling and the records wait. Loading again once the
    /// keychain is back (the key checks do, see [`crate::CheckSchedule::keychain_retry`]) lets
    /// them go.
    pub async fn load(&self) -> Result<(), KeysError> {
        let (policy, overrides, infos) = self.stored_state().await?;
        self.inner.ring.with(|s| {
            s.policy = policy;
            s.overrides = overrides.iter().map(|o| o.user.to_lowercase()).collect();
        });
        let mut problem = None;
        for info in infos {
            let entry = match self.entry(&info.holder).await {
                Ok((_, entry)) => entry,
                Err(KeysError::Store(StoreError::UnknownUser { .. })) => continue,
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
        let unreadable = problem.as_ref().map(|e| format!("{} ({})", e, e.code()));
        self.inner.ring.with(|s| s.unreadable = unreadable);
        Ok(())
    }

    /// The key mode, the facility overrides and every saved key's metadata, in one snapshot.
    async fn stored_state(
        &self,
    ) -> Result<(KeyPolicy, Vec<FacilityOverride>, Vec<KeyInfo>), KeysError> {
        let env = self.inner.environment.clone();
        self.blocking(move |db| {
            db.read(|c| {
                Ok((
                    mode::read(c)?,
                    metadata::overrides(c)?,
                    metadata::all(c, &env)?,
                ))
            })
        })
        .await
    }

    /// `holder`'s saved key from the keychain (the user must exist), or `no_key`.
    async fn saved_key(&self, holder: &KeyHolder) -> Result<(KeyHolder, UserKey), KeysError> {
        let (holder, entry) = self.entry(holder).await?;
        match self.inner.secrets.user_key(&entry).await {
            Ok(key) => Ok((holder, key)),
            Err(SecretStoreError::NotFound { .. }) => Err(KeysError::NoKey {
                holder: holder.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Setting or clearing a key: one's own with `SetOwnKey`, anyone's with `SetOtherKeys`.
    fn may_change_key(actor: &Actor, holder: &KeyHolder) -> Result<(), KeysError> {
        Self::require_for(
            actor,
            holder,
            Permission::SetOwnKey,
            Permission::SetOtherKeys,
        )
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, KeysError> + Send + 'static,
    ) -> Result<T, KeysError> {
        self.inner.db.call(f).await
    }

    fn require_for(
        actor: &Actor,
        holder: &KeyHolder,
        own: Permission,
        others: Permission,
    ) -> Result<(), KeysError> {
        let needed = match holder {
            KeyHolder::User(name) if name.eq_ignore_ascii_case(actor.name()) => own,
            _ => others,
        };
        Ok(require(actor, needed)?)
    }

    /// The holder's keychain entry (the user must exist).
    async fn entry(
        &self,
        holder: &KeyHolder,
    ) -> Result<(KeyHolder, stateline_secrets::EntryId), KeysError> {
        let env = self.inner.environment.clone();
        let wanted = holder.clone();
        self.blocking(move |db| {
            let (holder, user_id) = match &wanted {
                KeyHolder::Facility => (KeyHolder::Facility, None),
                KeyHolder::User(name) => {
                    let (id, stored_name) = db
                        .read(|c| metadata::user_id(c, name))?
                        .ok_or_else(|| StoreError::UnknownUser { name: name.clone() })?;
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
    ) -> Result<(), KeysError> {
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
    async fn release(&self, holder: &KeyHolder) -> Result<usize, KeysError> {
        let users: Vec<String> = match holder {
            KeyHolder::User(name) => {
                let waiting = self.blocking(|db| Ok(db.users_waiting_for_key()?)).await?;
                waiting
                    .into_iter()
                    .filter(|u| u.eq_ignore_ascii_case(name))
                    .collect()
            }
            KeyHolder::Facility => {
                self.inner.releases.facility_key_replaced().await?;
                self.users_the_facility_key_serves().await?
            }
        };
        let mut released = 0;
        for user in users {
            released += self.inner.releases.release_user(&user).await?;
        }
        if released > 0 {
            tracing::info!(holder = %holder, released, "waiting records released");
        }
        Ok(released)
    }

    /// Users whose waiting records the facility key now sends (everyone in facility mode; users
    /// with an honoured override otherwise).
    async fn users_the_facility_key_serves(&self) -> Result<Vec<String>, KeysError> {
        let ring = self.inner.ring.clone();
        let waiting = self.blocking(|db| Ok(db.users_waiting_for_key()?)).await?;
        use crate::source::{KeyOwner, KeySource};
        Ok(waiting
            .into_iter()
            .filter(|u| {
                ring.key_for(u)
                    .is_some_and(|k| k.owner == KeyOwner::Facility)
            })
            .collect())
    }

    /// Whether the keychain can be written and read now.
    pub async fn probe_keychain(&self) -> Result<(), KeysError> {
        let result = self.inner.secrets.probe().await;
        self.set_keychain_problem(result.as_ref().err());
        Ok(result?)
    }

    /// Every saved holder (for the daily checks).
    pub(crate) async fn holders(&self) -> Result<Vec<KeyInfo>, KeysError> {
        let env = self.inner.environment.clone();
        self.blocking(move |db| db.read(|c| metadata::all(c, &env)))
            .await
    }
}
