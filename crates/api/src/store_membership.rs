//! The Store screen and the Settings store section, for managers (issue #13): the store at a
//! glance (`store_overview`), joining (`store_join`) and leaving (`store_leave`); and, for anyone
//! logged in, this register's link (`store_link`, the banner's start).
//!
//! Guarantees: joining and leaving follow `stateline_link::joining`, the procedure `stateline
//! store join|leave` follows too — the settings checked first, the server's join before the
//! password goes to the keychain, the membership only after the keychain took it, a fresh
//! server-side join undone when it did not; leaving syncs a last time and refuses
//! (`store_records_not_pushed`) while records have not reached the store and the server does not
//! answer, unless forced. Both are a manager's (`change_settings`), audited, and restart or stop
//! the link worker; the password comes in as `Sensitive`, goes only to the keychain and the
//! connection, and never comes back out. The overview never fails because the store server is
//! down: it says `reachable: false` with the reason's code.

use std::time::Duration;

use secrecy::SecretString;
use stateline_link::{LinkError, StoreSettings, StoreTls, joining, membership, push};
use stateline_secrets::{EntryId, SecretStoreError};
use stateline_store::Database;
use stateline_store::people::users::Permission;
use stateline_tasks::StoreCall;

use super::dto::{
    KeyWhereaboutsView, StoreBacklogView, StoreJoinRequest, StoreKeyView, StoreLeaveRequest,
    StoreLinkView, StoreMembershipView, StoreOverviewView, StoreRegisterView, StoreServerView,
};
use super::{App, AppEvent};
use crate::{ApiError, IpcError};

/// How long the link may take to stop before a join or a leave goes on.
const STOP_LINK: Duration = Duration::from_secs(10);

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This register's records the store does not have yet.
fn not_pushed(db: &Database) -> Result<i64, LinkError> {
    Ok(db.count_entries_after(push::pushed_through(db)?)?)
}

impl App {
    /// `store_link`: this register's link to its store (anyone logged in; the Sell banner).
    pub async fn store_link(&self) -> Result<StoreLinkView, ApiError> {
        self.current_actor()?;
        Ok(self.store_link_view().await?)
    }

    /// `key_whereabouts` (anyone logged in): the users whose usable, current key is held at
    /// another register of the store — from this register's copy, so it answers while cut off.
    pub async fn key_whereabouts(&self) -> Result<Vec<KeyWhereaboutsView>, ApiError> {
        self.current_actor()?;
        let environment = self.environment()?.as_str();
        let keys = self
            .inner
            .db
            .call(move |db| db.keys_held_elsewhere(Some(environment)))
            .await?;
        Ok(keys
            .into_iter()
            .filter_map(|k| {
                Some(KeyWhereaboutsView {
                    user: k.key.user()?.to_owned(),
                    register_name: k.register_name,
                    register_seen_at: k.register_seen_at,
                    last_four: k.key.last_four,
                })
            })
            .collect())
    }

    /// `store_overview` (a manager's).
    pub async fn store_overview(&self) -> Result<StoreOverviewView, ApiError> {
        self.require(Permission::ChangeSettings)?;
        self.overview_now().await
    }

    async fn overview_now(&self) -> Result<StoreOverviewView, ApiError> {
        let (settings, not_pushed) = self
            .inner
            .db
            .call(|db| Ok::<_, LinkError>((membership::joined(db)?, not_pushed(db)?)))
            .await?;
        let link = self.store_link_view().await?;
        let register_id = self.inner.db.install_id().to_owned();
        let server = match &settings {
            Some(_) => Some(self.server_view(&register_id).await),
            None => None,
        };
        Ok(StoreOverviewView {
            joined: settings.is_some(),
            membership: settings.map(|s| StoreMembershipView {
                host: s.host,
                port: s.port,
                database: s.database,
                user: s.user,
                register_name: s.register_name,
                register_id,
                tls: s.tls.describe(),
            }),
            link,
            not_pushed,
            server,
        })
    }

    /// What the store server says, or why it does not answer.
    async fn server_view(&self, register_id: &str) -> StoreServerView {
        let overview = async {
            let mut server = self.store_server().await?;
            Ok::<_, ApiError>(server.overview().await?)
        }
        .await;
        let environment = self.environment().ok().map(|e| e.as_str().to_owned());
        match overview {
            Ok(overview) => StoreServerView {
                reachable: true,
                error: None,
                registers: overview
                    .registers
                    .into_iter()
                    .map(|r| StoreRegisterView {
                        this_register: r.id == register_id,
                        id: r.id,
                        name: r.name,
                        app_version: r.app_version,
                        last_seen_at: r.last_seen_at,
                        records: r.records,
                        open: r.open,
                    })
                    .collect(),
                backlog: overview
                    .backlog
                    .into_iter()
                    .map(|b| StoreBacklogView {
                        licence: b.licence,
                        acting_user: b.acting_user,
                        open: b.open,
                        oldest: b.oldest,
                    })
                    .collect(),
                keys: overview
                    .keys
                    .into_iter()
                    .filter(|k| environment.as_deref() == Some(k.key.environment.as_str()))
                    .map(|k| StoreKeyView {
                        user: k.key.user().map(str::to_owned),
                        this_register: k.register_id == register_id,
                        register_name: k.register_name,
                        register_seen_at: k.register_seen_at,
                        last_four: k.key.last_four,
                        saved_at: k.key.saved_at,
                        verdict: k.key.verdict,
                        newest: k.newest,
                    })
                    .collect(),
            },
            Err(error) => StoreServerView {
                reachable: false,
                error: Some(IpcError::from(error)),
                registers: Vec::new(),
                backlog: Vec::new(),
                keys: Vec::new(),
            },
        }
    }

    /// `store_join` (a manager's): joins this register to a store and starts the link.
    pub async fn store_join(&self, req: StoreJoinRequest) -> Result<StoreOverviewView, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        let password = SecretString::from(req.password.expose().to_owned());
        let settings = StoreSettings {
            host: req.host,
            port: req.port,
            database: req.database,
            user: req.user,
            register_name: req.register_name,
            tls: store_tls(req.tls, req.ca_file),
        };
        let db = self.inner.db.clone();
        let enrolment =
            joining::enrol(&db, settings, password.clone(), VERSION, self.now()).await?;
        let saved = match EntryId::store_server(db.install_id()) {
            Ok(entry) => {
                self.inner
                    .secrets
                    .set_store_server_password(&entry, password.clone())
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = saved {
            enrolment.undo(&db, self.now()).await;
            return Err(error.into());
        }
        let (server, settings) = enrolment.complete(&db, actor.name()).await?;
        drop(server);
        self.forget_store_server();
        self.audited("store_membership_changed");
        self.stop_store_link(STOP_LINK).await;
        self.run_store_link(settings, password).await;
        self.overview_now().await
    }

    /// `store_leave` (a manager's): stops the link, says goodbye to the store and forgets it.
    pub async fn store_leave(&self, req: StoreLeaveRequest) -> Result<StoreOverviewView, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        self.stop_store_link(STOP_LINK).await;
        match self.leave_store(req.force, actor.name()).await {
            Ok(left) => {
                if left {
                    self.forget_store_server();
                    self.audited("store_membership_changed");
                    self.emit(AppEvent::StoreChanged(StoreLinkView::default()));
                }
                self.overview_now().await
            }
            Err(error) => {
                // Still a member: the link carries on as before.
                self.start_store_link().await;
                Err(error)
            }
        }
    }

    /// Leaves the store; `false` when this register was in none.
    async fn leave_store(&self, force: bool, acting: &str) -> Result<bool, ApiError> {
        let db = self.inner.db.clone();
        let password = self.store_password().await.ok();
        let clock = self.inner.config.clock.clone();
        let Some(departure) =
            joining::depart(&db, password, force, VERSION, clock.as_ref()).await?
        else {
            return Ok(false);
        };
        let entry = EntryId::store_server(db.install_id())?;
        match self.inner.secrets.clear_store_server_password(&entry).await {
            Ok(()) | Err(SecretStoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        departure.complete(&db, acting).await?;
        Ok(true)
    }
}

/// The join form's TLS choice as a setting (a blank CA file means the public roots).
fn store_tls(tls: bool, ca_file: Option<String>) -> StoreTls {
    if !tls {
        return StoreTls::Off;
    }
    StoreTls::Verified {
        ca_file: ca_file
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .map(std::path::PathBuf::from),
    }
}
