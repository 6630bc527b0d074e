//! The `settings` table: small key/value configuration (install id, key mode, ...).
//!
//! Guarantees: one value per key; writes go through the single writer; values are never secrets
//! (keys and PINs live elsewhere).

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Database, StoreError};

/// The random per-install identifier used in client identifiers.
pub const INSTALL_ID: &str = "install_id";

/// Which key records go under: `individual` (the default) or `facility` (written by the keys
/// crate; read here too, by the store link, to know which key a waiting record needs).
pub const KEY_MODE: &str = "key_mode";

/// The register's US state (two letters; the Metrc host it talks to), chosen at setup: the
/// state whose purchase limits its sales are checked against.
pub const REGISTER_STATE: &str = "app.state_code";

const GET: &str = "SELECT value FROM settings WHERE key = ?1";
const SET: &str = "INSERT INTO settings (key, value) VALUES (?1, ?2)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(GET)?
        .query_row(params![key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(SET)?.execute(params![key, value])?;
    Ok(())
}

impl Database {
    /// Reads a setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| get(c, key))
    }

    /// Writes a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| set(tx, key, value))
    }
}
