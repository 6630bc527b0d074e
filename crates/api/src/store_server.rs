//! The store server as the screens reach it: one pooled handle (`stateline_link::StoreServer`)
//! per membership, made on first use and kept, so the Store, Sync and Audit screens reuse a few
//! pooled connections instead of connecting (and checking the schema) on every call.
//!
//! Guarantees: the handle is made for the store this register belongs to, with the password from
//! the OS keychain, and is dropped when the register joins or leaves a store (so a new password
//! or server is always used); a server that does not answer is never kept (the next call tries
//! again); the lock over the handle is never held across an `.await`.

use stateline_link::{LinkError, StoreServer, membership};

use super::App;
use crate::ApiError;

/// The kept handle and the membership it was made for (`host:port/database` and login).
pub(crate) type KeptServer = Option<(String, StoreServer)>;

impl App {
    /// The store server of this register's store (`store_not_joined` in no store).
    pub(crate) async fn store_server(&self) -> Result<StoreServer, ApiError> {
        let settings = self
            .db(membership::joined)
            .await?
            .ok_or_else(|| LinkError::NotJoined {
                server: "any store server".into(),
            })?;
        let key = format!("{}@{}", settings.user, settings.label());
        if let Some((kept_for, server)) = self.kept_server().as_ref()
            && *kept_for == key
        {
            return Ok(server.clone());
        }
        let password = self.store_password().await?;
        let server = StoreServer::connect(&settings.server_config(password)).await?;
        *self.kept_server() = Some((key, server.clone()));
        Ok(server)
    }

    /// Drops the kept handle (after joining or leaving a store).
    pub(crate) fn forget_store_server(&self) {
        self.kept_server().take();
    }

    fn kept_server(&self) -> std::sync::MutexGuard<'_, KeptServer> {
        self.inner
            .store_server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
