//! The session: who is logged in, the idle lock, and the permission check every command starts
//! with; plus `app_state`, login, logout, lock and the user list of the login screen.
//!
//! Guarantees: a command runs only for a logged-in user whose role (as stored now, see
//! `users::require`) allows it; a session idle for longer than the idle-lock setting is locked
//! before the command runs (the command fails with `not_logged_in`); the session lock is never held
//! across an `.await`; PINs are checked on a blocking thread and never kept.

use jiff::{SignedDuration, Timestamp};
use stateline_store::people::users::{self, Actor, Permission, Pin, Session};
use stateline_tasks::{StoreCall, run_blocking};

use super::dto::{self, AppState, LoginRequest, LoginUser, Phase, SessionView, SetupProgress};
use super::store::AppTables;
use super::{App, AppEvent};
use crate::ApiError;

/// The session state behind the facade's mutex.
#[derive(Debug)]
pub(crate) struct SessionState {
    pub session: Option<Session>,
    pub last_user: Option<String>,
    pub last_activity: Timestamp,
    /// Whether the session user must be asked for a (new) Metrc key.
    pub needs_key: bool,
}

impl SessionState {
    pub fn new(now: Timestamp) -> Self {
        Self {
            session: None,
            last_user: None,
            last_activity: now,
            needs_key: false,
        }
    }
}

impl App {
    /// The logged-in actor, if any, after applying the idle lock (no permission check).
    pub(crate) fn current_actor(&self) -> Result<Actor, ApiError> {
        let minutes = self.inner.db.idle_lock_minutes().unwrap_or(0);
        let now = self.now();
        let (actor, locked) = {
            let mut s = self.lock_session();
            let idle = now.duration_since(s.last_activity);
            let expired = minutes > 0 && idle > SignedDuration::from_mins(i64::from(minutes));
            if expired && s.session.is_some() {
                let gone = s.session.take();
                s.last_user = gone.map(|g| g.actor.name().to_owned());
                (None, true)
            } else {
                s.last_activity = now;
                (s.session.as_ref().map(|x| x.actor.clone()), false)
            }
        };
        if locked {
            self.session_changed();
        }
        actor.ok_or(ApiError::NotLoggedIn)
    }

    /// The logged-in actor if they may do `permission`.
    pub(crate) fn require(&self, permission: Permission) -> Result<Actor, ApiError> {
        let actor = self.current_actor()?;
        users::require(&actor, permission)?;
        Ok(actor)
    }

    /// Locks the session if it has been idle too long (the ticker calls this).
    pub fn check_idle(&self) {
        let _ = self.current_actor_without_touch();
    }

    fn current_actor_without_touch(&self) -> Option<Actor> {
        let minutes = self.inner.db.idle_lock_minutes().unwrap_or(0);
        let now = self.now();
        let locked = {
            let mut s = self.lock_session();
            let idle = now.duration_since(s.last_activity);
            if minutes > 0
                && s.session.is_some()
                && idle > SignedDuration::from_mins(i64::from(minutes))
            {
                let gone = s.session.take();
                s.last_user = gone.map(|g| g.actor.name().to_owned());
                true
            } else {
                false
            }
        };
        if locked {
            tracing::info!("register locked after being idle");
            self.session_changed();
        }
        self.lock_session()
            .session
            .as_ref()
            .map(|s| s.actor.clone())
    }

    /// Starts the background tick (owned; stopped by `shutdown`): the idle lock, and a backlog
    /// sample for the Sync chart once a minute even when nothing changes.
    pub(crate) async fn start_idle_ticker(&self) {
        let weak = std::sync::Arc::downgrade(&self.inner);
        let every = self.inner.config.idle_check;
        let task = tokio::spawn(async move {
            let mut sampled_minute = None;
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
                app.check_idle();
                let now = app.now();
                let minute = now.as_second().div_euclid(60);
                if sampled_minute != Some(minute) {
                    sampled_minute = Some(minute);
                    let waiting = app.status_now().waiting;
                    let db = app.inner.db.clone();
                    drop(app);
                    let sampled = db.call(move |db| db.sample_backlog(now, waiting)).await;
                    if let Err(error) = sampled {
                        tracing::warn!(%error, "could not sample the backlog");
                    }
                }
            }
        });
        self.inner.owned.lock().await.tasks.push(task);
    }

    /// Emits `session_changed` with the current state.
    pub(crate) fn session_changed(&self) {
        match self.state_now() {
            Ok(state) => self.emit(AppEvent::SessionChanged(Box::new(state))),
            Err(error) => tracing::warn!(%error, "could not read the app state for an event"),
        }
    }

    /// `app_state`.
    pub async fn app_state(&self) -> Result<AppState, ApiError> {
        self.current_actor_without_touch();
        let app = self.clone();
        run_blocking(move || app.state_now()).await
    }

    /// The app state from the store and the session (synchronous).
    pub(crate) fn state_now(&self) -> Result<AppState, ApiError> {
        let db = &self.inner.db;
        let has_users = !db.needs_first_manager()?;
        let stored_env = db.app_environment()?;
        let environment = self.environment()?;
        let licences = self.licence_views()?;
        let vendor_key_set = environment == dto::Environment::Demo || self.vendor_key_known();
        let setup = SetupProgress {
            has_users,
            environment_chosen: stored_env.is_some() || self.demo_running(),
            vendor_key_set,
            licences_bound: !licences.is_empty(),
        };
        let (session, last_user, needs_key) = {
            let s = self.lock_session();
            (s.session.clone(), s.last_user.clone(), s.needs_key)
        };
        let session = session.map(|s| self.session_view(&s, needs_key));
        let phase = if !(setup.has_users && setup.environment_chosen && setup.licences_bound) {
            Phase::FirstRun
        } else if session.is_some() {
            Phase::Ready
        } else {
            Phase::Locked
        };
        Ok(AppState {
            phase,
            environment,
            state_code: db.app_state_code()?,
            demo: self.demo_running(),
            setup,
            session,
            last_user,
            licences,
            key_mode: self.key_mode()?,
            idle_lock_minutes: db.idle_lock_minutes()?,
        })
    }

    fn session_view(&self, session: &Session, needs_key: bool) -> SessionView {
        let role = session.actor.role();
        SessionView {
            user: session.actor.name().to_owned(),
            role: role.into(),
            started_at: session.started_at,
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| role.may(*p))
                .map(Into::into)
                .collect(),
            needs_key,
        }
    }

    /// `list_login_users`.
    pub async fn list_login_users(&self) -> Result<Vec<LoginUser>, ApiError> {
        let users = self.db(|db| db.list_users()).await?;
        Ok(users
            .into_iter()
            .map(|u| LoginUser {
                name: u.name,
                role: u.role.into(),
                locked: u.locked,
                disabled: u.disabled,
            })
            .collect())
    }

    /// `login`.
    pub async fn login(&self, req: LoginRequest) -> Result<AppState, ApiError> {
        let pin = Pin::new(req.pin.expose());
        let name = req.name;
        let session = self.db(move |db| db.verify_pin(&name, &pin)).await?;
        self.begin_session(session.clone());
        self.refresh_needs_key().await;
        self.check_key_in_background(session);
        self.state_after_change().await
    }

    pub(crate) fn begin_session(&self, session: Session) {
        let now = self.now();
        let mut s = self.lock_session();
        s.last_user = Some(session.actor.name().to_owned());
        s.session = Some(session);
        s.last_activity = now;
        s.needs_key = false;
    }

    /// `logout`: ends the session and forgets who it was.
    pub async fn logout(&self) -> Result<AppState, ApiError> {
        {
            let mut s = self.lock_session();
            s.session = None;
            s.last_user = None;
        }
        self.state_after_change().await
    }

    /// `lock`: ends the session but remembers who it was (preselected on the login screen).
    pub async fn lock(&self) -> Result<AppState, ApiError> {
        {
            let mut s = self.lock_session();
            if let Some(gone) = s.session.take() {
                s.last_user = Some(gone.actor.name().to_owned());
            }
        }
        self.state_after_change().await
    }

    /// `touch`: the person is active (keyboard or pointer), so the idle lock waits.
    pub async fn touch(&self) -> Result<(), ApiError> {
        let now = self.now();
        let mut s = self.lock_session();
        if s.session.is_some() {
            s.last_activity = now;
        }
        Ok(())
    }

    /// Reads the state, emits `session_changed` and returns it.
    pub(crate) async fn state_after_change(&self) -> Result<AppState, ApiError> {
        let state = self.app_state().await?;
        self.emit(AppEvent::SessionChanged(Box::new(state.clone())));
        Ok(state)
    }
}
