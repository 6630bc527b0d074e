//! The `integrations` and `integration_clerks` tables: who may call the local API, with what
//! token and scopes, and how each integration names its budtenders.
//!
//! Guarantees: a token is 32 random bytes (a CSPRNG seeded by the OS), returned once (in a
//! [`secrecy::SecretString`]) and stored only as its SHA-256 and its first eight characters; a
//! revoked token is refused from the next call on and stays listed for the audit; creating,
//! revoking and re-scoping are manager actions written to the audit log in the same transaction,
//! never with the token.

use std::fmt;

use base64::Engine;
use jiff::Timestamp;
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use stateline_store::people::audit::{self, AuditAction, AuditEvent};
use stateline_store::people::users::{Actor, Permission};
use stateline_store::time::{from_ms, to_ms};
use stateline_store::{Database, StoreError};
use utoipa::ToSchema;

use crate::PosError;

/// What a token lets an integration do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Record sales and adjustments.
    Record,
    /// Read records' states, the stream of their changes, and the register's status.
    Status,
    /// Read packages with what is on hand.
    Inventory,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 3] = [Scope::Record, Scope::Status, Scope::Inventory];

    /// The stored and written name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Record => "record",
            Scope::Status => "status",
            Scope::Inventory => "inventory",
        }
    }

    /// The scope of that name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name.trim())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An integration as a manager sees it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Row id.
    pub id: i64,
    /// Its name (the POS's, as the manager typed it).
    pub name: String,
    /// The token's first characters (`slk_Ab3d`), to tell tokens apart.
    pub token_prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The manager who created it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// Its latest call (updated with the call log, at most a second late).
    pub last_used_at: Option<Timestamp>,
}

impl Integration {
    /// Whether it may do what `scope` covers.
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The ticket source of its records (`integration:<id>`).
    pub fn ticket_source(&self) -> String {
        format!("integration:{}", self.id)
    }
}

/// A new integration and its token, shown once.
#[derive(Debug)]
pub struct CreatedIntegration {
    /// The integration.
    pub integration: Integration,
    /// The token: give it to the POS now; Stateline cannot show it again.
    pub token: SecretString,
}

/// Prefix of every token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "slk_";

/// A new random token: the prefix and 32 bytes from the thread CSPRNG (seeded by the OS),
/// URL-safe base64.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// SHA-256 of a token, hex (what the store keeps, and the key of the server's cache).
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn scopes_text(scopes: &[Scope]) -> String {
    Scope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .map(Scope::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Only a manager gives a POS a token, revokes it or maps its clerks (said in those words).
fn require_manager(by: &Actor) -> Result<(), StoreError> {
    by.require(Permission::ManageUsers)
        .map_err(|_| StoreError::NotAllowed {
            needed: stateline_store::Role::Manager,
            action: "manage the POS integrations",
        })
}

fn check_scopes(scopes: &[Scope]) -> Result<(), StoreError> {
    if scopes.is_empty() {
        return Err(StoreError::InvalidInput {
            field: "scopes",
            detail: "choose at least one of record, status, inventory".into(),
        });
    }
    Ok(())
}

const COLUMNS: &str = "id, name, token_prefix, scopes, created_by, created_at, revoked_at, \
                       revoked_by, last_used_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Integration> {
    let scopes: String = r.get(3)?;
    Ok(Integration {
        id: r.get(0)?,
        name: r.get(1)?,
        token_prefix: r.get(2)?,
        scopes: scopes.split(',').filter_map(Scope::parse).collect(),
        created_by: r.get(4)?,
        created_at: from_ms(r.get(5)?),
        revoked_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
        revoked_by: r.get(7)?,
        last_used_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
    })
}

fn find(conn: &rusqlite::Connection, id: i64) -> Result<Option<Integration>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM integrations WHERE id = ?1"))?
        .query_row(params![id], from_row)
        .optional()?)
}

fn unknown(id: i64) -> StoreError {
    StoreError::InvalidInput {
        field: "integration",
        detail: format!("there is no integration #{id}; list them to see their numbers"),
    }
}

/// Creates an integration for `by` (a manager) and returns its token, once.
pub fn create(
    db: &Database,
    by: &Actor,
    name: &str,
    scopes: &[Scope],
) -> Result<CreatedIntegration, StoreError> {
    require_manager(by)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput {
            field: "integration name",
            detail: "name the POS in 1 to 80 characters (e.g. \"Front counter POS\")".into(),
        });
    }
    check_scopes(scopes)?;
    let token = new_token();
    let prefix: String = token.chars().take(8).collect();
    let hash = token_hash(&token);
    let now = db.now();
    let scopes = scopes_text(scopes);
    let integration = db.write(|tx| {
        let taken: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM integrations WHERE name = ?1)")?
            .query_row(params![name], |r| r.get(0))?;
        if taken {
            return Err(StoreError::InvalidInput {
                field: "integration name",
                detail: format!(
                    "an integration named {name:?} exists already; choose another name, or \
                     revoke the old one and name the new one differently"
                ),
            });
        }
        tx.prepare_cached(
            "INSERT INTO integrations (name, token_hash, token_prefix, scopes, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![name, hash, prefix, scopes, by.name(), to_ms(now)])?;
        let id = tx.last_insert_rowid();
        audit::append(
            tx,
            now,
            &AuditEvent::by(
                by.name(),
                AuditAction::IntegrationCreated,
                format!("integration #{id}"),
                format!("{name}: token {prefix}…, scopes {scopes}"),
            ),
        )?;
        find(tx, id)?.ok_or_else(|| unknown(id))
    })?;
    Ok(CreatedIntegration {
        integration,
        token: SecretString::from(token),
    })
}

/// Every integration, newest first, revoked ones included.
pub fn list(db: &Database) -> Result<Vec<Integration>, StoreError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM integrations ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Revokes integration `id`: its token is refused from the next call on. Revoking twice is a
/// no-op.
pub fn revoke(db: &Database, by: &Actor, id: i64) -> Result<Integration, StoreError> {
    require_manager(by)?;
    let now = db.now();
    db.write(|tx| {
        let found = find(tx, id)?.ok_or_else(|| unknown(id))?;
        if found.revoked_at.is_some() {
            return Ok(found);
        }
        tx.prepare_cached(
            "UPDATE integrations SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1",
        )?
        .execute(params![id, to_ms(now), by.name()])?;
        audit::append(
            tx,
            now,
            &AuditEvent::by(
                by.name(),
                AuditAction::IntegrationChanged,
                format!("integration #{id}"),
                format!("{}: token {}… revoked", found.name, found.token_prefix),
            ),
        )?;
        find(tx, id)?.ok_or_else(|| unknown(id))
    })
}

/// Maps the POS's clerk id `clerk` of integration `id` to Stateline user `user` (or removes the
/// mapping when `user` is `None`).
pub fn map_clerk(
    db: &Database,
    by: &Actor,
    id: i64,
    clerk: &str,
    user: Option<&str>,
) -> Result<(), StoreError> {
    require_manager(by)?;
    let clerk = clerk.trim();
    if clerk.is_empty() || clerk.chars().count() > 100 {
        return Err(StoreError::InvalidInput {
            field: "clerk",
            detail: "give the POS's clerk id, 1 to 100 characters".into(),
        });
    }
    if let Some(user) = user {
        db.require_user_may(user, Permission::Sell)?;
    }
    let now = db.now();
    db.write(|tx| {
        let found = find(tx, id)?.ok_or_else(|| unknown(id))?;
        match user {
            Some(user) => tx
                .prepare_cached(
                    "INSERT INTO integration_clerks (integration_id, clerk, user_name)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (integration_id, clerk) DO UPDATE SET user_name = excluded.user_name",
                )?
                .execute(params![id, clerk, user])?,
            None => tx
                .prepare_cached(
                    "DELETE FROM integration_clerks WHERE integration_id = ?1 AND clerk = ?2",
                )?
                .execute(params![id, clerk])?,
        };
        audit::append(
            tx,
            now,
            &AuditEvent::by(
                by.name(),
                AuditAction::IntegrationChanged,
                format!("integration #{id}"),
                match user {
                    Some(user) => format!("{}: clerk {clerk} is {user}", found.name),
                    None => format!("{}: clerk {clerk} unmapped", found.name),
                },
            ),
        )?;
        Ok(())
    })
}

/// A POS clerk id and the Stateline user it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClerkMapping {
    /// The POS's clerk id.
    pub clerk: String,
    /// The Stateline user.
    pub user: String,
}

/// The clerk mappings of integration `id`, by clerk id.
pub fn clerks(db: &Database, id: i64) -> Result<Vec<ClerkMapping>, StoreError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT clerk, user_name FROM integration_clerks WHERE integration_id = ?1
             ORDER BY clerk",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok(ClerkMapping {
                clerk: r.get(0)?,
                user: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// Refuses with `token_revoked` when integration `id` was revoked (by any process: the app, or
/// `stateline integrations revoke` beside `stateline serve`). The server remembers live tokens,
/// so every route runs this in the same store call as its own work: a revocation takes effect on
/// the next call.
pub fn confirm_live(conn: &rusqlite::Connection, id: i64) -> Result<(), PosError> {
    let revoked: Option<Option<i64>> = conn
        .prepare_cached("SELECT revoked_at FROM integrations WHERE id = ?1")
        .map_err(StoreError::from)?
        .query_row(params![id], |r| r.get(0))
        .optional()
        .map_err(StoreError::from)?;
    match revoked {
        Some(None) => Ok(()),
        Some(Some(_)) => Err(PosError::TokenRevoked),
        None => Err(PosError::Unauthorized),
    }
}

/// The Stateline user the integration's clerk `clerk` stands for: the mapped user, or a user of
/// that name.
pub fn resolve_clerk(
    conn: &rusqlite::Connection,
    id: i64,
    clerk: &str,
) -> Result<String, StoreError> {
    let mapped: Option<String> = conn
        .prepare_cached(
            "SELECT user_name FROM integration_clerks WHERE integration_id = ?1 AND clerk = ?2",
        )?
        .query_row(params![id, clerk.trim()], |r| r.get(0))
        .optional()?;
    Ok(mapped.unwrap_or_else(|| clerk.trim().to_owned()))
}

/// The integration a presented token belongs to, revoked or not (`None`: no such token).
pub fn find_by_token(db: &Database, token: &str) -> Result<Option<Integration>, StoreError> {
    let token = token.trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let hash = token_hash(token);
    db.read(|c| {
        Ok(c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM integrations WHERE token_hash = ?1"
        ))?
        .query_row(params![hash], from_row)
        .optional()?)
    })
}

/// The live integration a presented token belongs to.
pub fn authenticate(db: &Database, token: &str) -> Result<Integration, PosError> {
    match find_by_token(db, token)? {
        None => Err(PosError::Unauthorized),
        Some(integration) if integration.revoked_at.is_some() => Err(PosError::TokenRevoked),
        Some(integration) => Ok(integration),
    }
}
