//! Joining a store and leaving it: the one procedure `stateline store join|leave` and the app
//! share, split around the keychain step that this crate may not take (it never sees the
//! keychain; the caller keeps the store server's password there).
//!
//! Joining: [`enrol`] checks the settings, refuses a register that belongs to another store,
//! connects and joins on the server; the caller then saves the password in its keychain and
//! either [`Enrolment::complete`]s (the membership is saved and audited) or, when the keychain
//! refused, [`Enrolment::undo`]es (a fresh server-side join is taken back).
//!
//! Leaving: [`depart`] says goodbye to the server (a last sync, then leave) and refuses, unless
//! forced, while records have not reached the store and the server does not answer; the caller
//! then clears the password from its keychain and [`Departure::complete`]s (the store's traces
//! are forgotten and the leave audited).
//!
//! Guarantees: bad input or a server that refuses leaves nothing half-written — nothing is saved
//! on this register before the server took the join, and the membership only after the keychain
//! took the password; the audit entry (`store_membership_changed`) names the server and the
//! register, never the password; leaving never touches the register's own records.

use jiff::Timestamp;
use secrecy::SecretString;
use stateline_clock::Clock;
use stateline_store::Database;
use stateline_store::people::audit::{AuditAction, AuditEvent};
use stateline_tasks::StoreCall;

use crate::{LinkError, RegisterIdentity, StoreServer, StoreSettings, membership, push};

/// Records per batch of the last sync before leaving.
const FAREWELL_BATCH: u32 = 500;

/// A join the server took, waiting for the caller's keychain (see the module doc).
#[must_use = "complete the enrolment once the keychain took the password, or undo it"]
pub struct Enrolment {
    settings: StoreSettings,
    server: StoreServer,
    fresh: bool,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("store", &self.settings.label())
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

/// Checks `settings`, then joins this register to the store on the server as
/// `settings.register_name` running `app_version`; nothing is saved on this register yet.
pub async fn enrol(
    db: &Database,
    settings: StoreSettings,
    password: SecretString,
    app_version: &str,
    now: Timestamp,
) -> Result<Enrolment, LinkError> {
    let settings = settings.check()?;
    let earlier = db.call(membership::joined).await?;
    if let Some(earlier) = &earlier
        && (earlier.label() != settings.label() || earlier.user != settings.user)
    {
        return Err(LinkError::InAnotherStore {
            store: earlier.label(),
        });
    }
    let server = StoreServer::connect(&settings.server_config(password)).await?;
    server
        .join(db.install_id(), &settings.register_name, app_version, now)
        .await?;
    Ok(Enrolment {
        settings,
        server,
        fresh: earlier.is_none(),
    })
}

impl Enrolment {
    /// The checked settings (for the caller's messages).
    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Saves the membership and audits the join by `acting`; hands back the live connection
    /// (for a first push) and the settings.
    pub async fn complete(
        self,
        db: &Database,
        acting: &str,
    ) -> Result<(StoreServer, StoreSettings), LinkError> {
        let settings = self.settings.clone();
        let acting = acting.to_owned();
        db.call(move |db| {
            membership::remember(db, &settings)?;
            audit(db, &acting, &settings, "joined")
        })
        .await?;
        Ok((self.server, self.settings))
    }

    /// Takes back a fresh server-side join (the keychain refused the password); a register that
    /// was already a member stays one. Best effort: the server may be gone by now.
    pub async fn undo(self, db: &Database, now: Timestamp) {
        if self.fresh
            && let Err(error) = self.server.leave(db.install_id(), now).await
        {
            tracing::warn!(code = error.code(), %error, "could not take back the join on the store server");
        }
    }
}

/// A leave the server took (or that was forced), waiting for the caller's keychain.
#[derive(Debug)]
#[must_use = "complete the departure once the keychain forgot the password"]
pub struct Departure {
    settings: StoreSettings,
    farewell: Result<(), LinkError>,
}

/// Says goodbye to the store (a last sync, then leave) with `password` from the caller's keychain
/// (`None`: the keychain had none, so the server cannot be asked). `Ok(None)` when this register
/// is not in a store. Refuses with [`LinkError::NotPushed`] while records have not reached the
/// store and the server did not answer, unless `force`; refuses with [`LinkError::HandedOver`]
/// while another register is delivering records of this one, even when forced (they would be
/// stranded: the outcome could not come back).
pub async fn depart(
    db: &Database,
    password: Option<SecretString>,
    force: bool,
    app_version: &str,
    clock: &dyn Clock,
) -> Result<Option<Departure>, LinkError> {
    let Some(settings) = db.call(membership::joined).await? else {
        return Ok(None);
    };
    let farewell = match password {
        Some(password) => farewell(db, &settings, password, app_version, clock).await,
        None => Err(LinkError::InvalidConfig {
            field: "password",
            detail: format!(
                "the password for the store server {} is not in this register's keychain",
                settings.label()
            ),
        }),
    };
    if let Err(error) = &farewell {
        refuse_while_handed_over(db).await?;
        let unpushed = db
            .call(|db| {
                db.count_entries_after(push::pushed_through(db)?)
                    .map_err(LinkError::from)
            })
            .await?;
        if unpushed > 0 && !force {
            return Err(LinkError::NotPushed {
                unpushed,
                reason: error.to_string(),
            });
        }
    }
    Ok(Some(Departure { settings, farewell }))
}

/// [`LinkError::HandedOver`] while another register delivers records of this one.
async fn refuse_while_handed_over(db: &Database) -> Result<(), LinkError> {
    let handed_over = db
        .call(|db| db.handed_over_open().map_err(LinkError::from))
        .await?
        .len();
    if handed_over > 0 {
        return Err(LinkError::HandedOver { handed_over });
    }
    Ok(())
}

async fn farewell(
    db: &Database,
    settings: &StoreSettings,
    password: SecretString,
    app_version: &str,
    clock: &dyn Clock,
) -> Result<(), LinkError> {
    let mut server = StoreServer::connect(&settings.server_config(password)).await?;
    let identity = RegisterIdentity {
        name: settings.register_name.clone(),
        app_version: app_version.to_owned(),
    };
    crate::sync_pass(db, &mut server, &identity, FAREWELL_BATCH, clock, |_| {}).await?;
    refuse_while_handed_over(db).await?;
    server.leave(db.install_id(), clock.now()).await
}

impl Departure {
    /// The store being left.
    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Why the server did not take the goodbye, when it did not (the leave was forced, or
    /// nothing was left to push).
    pub fn farewell_error(&self) -> Option<&LinkError> {
        self.farewell.as_ref().err()
    }

    /// Forgets the store's traces on this register and audits the leave by `acting`.
    pub async fn complete(self, db: &Database, acting: &str) -> Result<StoreSettings, LinkError> {
        let settings = self.settings.clone();
        let acting = acting.to_owned();
        db.call(move |db| {
            membership::forget(db)?;
            audit(db, &acting, &settings, "left")
        })
        .await?;
        Ok(self.settings)
    }
}

fn audit(
    db: &Database,
    acting: &str,
    settings: &StoreSettings,
    what: &str,
) -> Result<(), LinkError> {
    db.append_audit(AuditEvent::by(
        acting,
        AuditAction::StoreMembershipChanged,
        settings.label(),
        format!("{what} as {:?}", settings.register_name),
    ))?;
    Ok(())
}
