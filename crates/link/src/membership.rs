//! Which store this register belongs to: the store server's address, login and the register's
//! name in the store, kept in the register's settings (`link.store`) — never the password, which
//! the caller keeps in the OS keychain and hands in when connecting.
//!
//! Guarantees: [`StoreSettings::check`] refuses a setting that could not work before anything is
//! saved or contacted, with a message saying what to enter; [`joined`] is `None` for a register
//! that never joined a store or left it (the default: a register on its own); leaving forgets
//! every local trace of the store in one transaction and leaves the register's own records alone.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use stateline_store::Database;

use crate::{LinkError, ServerConfig, StoreTls};

/// The register setting holding the store membership (JSON).
pub const STORE_SETTING: &str = "link.store";

/// The port PostgreSQL listens on unless set otherwise.
pub const DEFAULT_PORT: u16 = 5432;

/// How long connecting to the store server may take before the register carries on alone.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The store a register joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettings {
    /// The store server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The store's database.
    pub database: String,
    /// The login the registers use.
    pub user: String,
    /// This register's name in the store ("Register 2").
    pub register_name: String,
    /// Plain or TLS (memberships saved before TLS existed read as plain).
    #[serde(default)]
    pub tls: StoreTls,
}

impl StoreSettings {
    /// Trims the fields and refuses ones that cannot work.
    pub fn check(self) -> Result<StoreSettings, LinkError> {
        let settings = StoreSettings {
            host: self.host.trim().to_owned(),
            port: self.port,
            database: self.database.trim().to_owned(),
            user: self.user.trim().to_owned(),
            register_name: self.register_name.trim().to_owned(),
            tls: self.tls,
        };
        let fields = [
            (
                "host",
                &settings.host,
                "the store server's host name or address",
            ),
            ("database", &settings.database, "the store's database name"),
            ("user", &settings.user, "the store server login"),
            (
                "register name",
                &settings.register_name,
                "a name such as \"Register 2\"",
            ),
        ];
        for (field, value, what) in fields {
            if value.is_empty() {
                return Err(LinkError::InvalidConfig {
                    field,
                    detail: format!("the {field} is empty; enter {what}"),
                });
            }
            if value.chars().any(char::is_control) {
                return Err(LinkError::InvalidConfig {
                    field,
                    detail: format!("the {field} contains control characters; enter {what}"),
                });
            }
        }
        if settings.register_name.chars().count() > 80 {
            return Err(LinkError::InvalidConfig {
                field: "register name",
                detail: "a register's name is at most 80 characters".into(),
            });
        }
        crate::tls::check(&settings.tls)?;
        if settings.port == 0 {
            return Err(LinkError::InvalidConfig {
                field: "port",
                detail: format!(
                    "0 is not a port; PostgreSQL listens on {DEFAULT_PORT} unless set otherwise"
                ),
            });
        }
        Ok(settings)
    }

    /// The connection settings, with the password from the keychain.
    pub fn server_config(&self, password: SecretString) -> ServerConfig {
        ServerConfig {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            user: self.user.clone(),
            password,
            connect_timeout: CONNECT_TIMEOUT,
            tls: self.tls.clone(),
        }
    }

    /// `host:port/database`, for messages.
    pub fn label(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }
}

/// The store this register belongs to, if any.
pub fn joined(db: &Database) -> Result<Option<StoreSettings>, LinkError> {
    let Some(raw) = db.setting(STORE_SETTING)? else {
        return Ok(None);
    };
    serde_json::from_str(&raw)
        .map(Some)
        .map_err(|e| LinkError::InvalidConfig {
            field: "store membership",
            detail: format!(
                "the saved {STORE_SETTING} cannot be read ({e}); leave the store and join it again"
            ),
        })
}

/// Notes that this register belongs to the store `settings` describe.
pub fn remember(db: &Database, settings: &StoreSettings) -> Result<(), LinkError> {
    let json = serde_json::to_string(settings)
        .map_err(|e| LinkError::Server(format!("the store settings as JSON: {e}")))?;
    db.set_setting(STORE_SETTING, &json)?;
    Ok(())
}

/// Forgets the store (see the module doc).
pub fn forget(db: &Database) -> Result<(), LinkError> {
    Ok(db.forget_store()?)
}
