//! The `registers` table: which registers belong to the store, by name, and when each was last
//! seen.
//!
//! Guarantees: joining is idempotent (and brings back a register that left) (the same register id
//! joins again with its current name and version, keeping its first `joined_at`); names are unique
//! among the store's registers ignoring case (one that left frees its name), and a second register
//! asking for a taken name is refused with a message saying so; nothing here is a secret.

use jiff::Timestamp;
use tokio_postgres::Row;

use crate::{LinkError, StoreServer};

/// A register of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// The register's own id (made once on the register).
    pub id: String,
    /// Its name in the store ("Register 2").
    pub name: String,
    /// The Stateline version it last ran.
    pub app_version: String,
    /// When it first joined.
    pub joined_at: Timestamp,
    /// When the store last heard from it.
    pub last_seen_at: Timestamp,
}

fn from_row(row: &Row) -> Register {
    Register {
        id: row.get(0),
        name: row.get(1),
        app_version: row.get(2),
        joined_at: row.get(3),
        last_seen_at: row.get(4),
    }
}

const COLUMNS: &str = "register_id, name, app_version, joined_at, last_seen_at";

impl StoreServer {
    /// Joins register `id` to the store as `name` (see the module doc).
    pub async fn join(
        &self,
        id: &str,
        name: &str,
        app_version: &str,
        now: Timestamp,
    ) -> Result<Register, LinkError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(LinkError::InvalidConfig {
                field: "register name",
                detail: "a register's name is 1 to 80 characters, e.g. \"Register 2\"".into(),
            });
        }
        let taken = self
            .conn()
            .await?
            .query_opt(
                "SELECT register_id FROM registers
                 WHERE lower(name) = lower($1) AND register_id <> $2 AND left_at IS NULL",
                &[&name, &id],
            )
            .await
            .map_err(|e| self.error(e))?;
        if taken.is_some() {
            return Err(LinkError::InvalidConfig {
                field: "register name",
                detail: format!(
                    "another register of this store is named {name:?}; choose another name"
                ),
            });
        }
        let row = self
            .conn()
            .await?
            .query_one(
                &format!(
                    "INSERT INTO registers ({COLUMNS}) VALUES ($1, $2, $3, $4, $4)
                     ON CONFLICT (register_id) DO UPDATE SET name = excluded.name,
                         app_version = excluded.app_version, last_seen_at = excluded.last_seen_at,
                         left_at = NULL
                     RETURNING {COLUMNS}"
                ),
                &[&id, &name, &app_version, &now],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(from_row(&row))
    }

    /// Notes that register `id` was heard from now, running `app_version`.
    pub async fn touch(
        &self,
        id: &str,
        app_version: &str,
        now: Timestamp,
    ) -> Result<(), LinkError> {
        let updated = self
            .conn()
            .await?
            .execute(
                "UPDATE registers SET last_seen_at = $3, app_version = $2
                 WHERE register_id = $1 AND left_at IS NULL",
                &[&id, &app_version, &now],
            )
            .await
            .map_err(|e| self.error(e))?;
        if updated == 0 {
            return Err(LinkError::NotJoined {
                server: self.label.clone(),
            });
        }
        Ok(())
    }

    /// Register `id` leaves the store: it no longer counts as one of its registers, and its name
    /// is free again; its records stay (they happened). Leaving twice is not an error.
    pub async fn leave(&self, id: &str, now: Timestamp) -> Result<(), LinkError> {
        self.conn()
            .await?
            .execute(
                "UPDATE registers SET left_at = $2 WHERE register_id = $1 AND left_at IS NULL",
                &[&id, &now],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Every register still in the store, by name.
    pub async fn registers(&self) -> Result<Vec<Register>, LinkError> {
        let rows = self
            .conn()
            .await?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM registers WHERE left_at IS NULL ORDER BY lower(name)"
                ),
                &[],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(from_row).collect())
    }
}
