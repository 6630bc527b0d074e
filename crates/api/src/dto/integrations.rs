//! Shapes of the Integrations screen on the IPC contract: the integrations that may call the
//! local API (never a token, but once: [`CreatedIntegrationView`]), their scopes, the mapping of
//! a POS's clerk ids to users, and the call log.
//!
//! Guarantees: a token crosses the boundary only in the answer to `create_integration`, whose
//! `Debug` prints nothing of it; every other view names a token by its first characters only;
//! [`IntegrationScope`] mirrors `stateline_pos::tokens::Scope` variant for variant (both
//! conversions match exhaustively).

use std::fmt;

use serde::{Deserialize, Serialize};
use stateline_pos::calls::Call;
use stateline_pos::tokens::{Integration, Scope};
use ts_rs::TS;

/// What an integration's token lets it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationScope {
    /// Record sales and adjustments (`POST /v1/sales`, `POST /v1/adjustments`).
    Record,
    /// Read records' states, the stream of their changes, and the register's status.
    Status,
    /// Read packages with what is on hand.
    Inventory,
}

impl From<Scope> for IntegrationScope {
    fn from(value: Scope) -> Self {
        match value {
            Scope::Record => IntegrationScope::Record,
            Scope::Status => IntegrationScope::Status,
            Scope::Inventory => IntegrationScope::Inventory,
        }
    }
}

impl From<IntegrationScope> for Scope {
    fn from(value: IntegrationScope) -> Self {
        match value {
            IntegrationScope::Record => Scope::Record,
            IntegrationScope::Status => Scope::Status,
            IntegrationScope::Inventory => Scope::Inventory,
        }
    }
}

/// An integration as a manager sees it (its token only by `token_prefix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationView {
    #[ts(type = "number")]
    pub id: i64,
    /// The POS's name, as the manager typed it.
    pub name: String,
    /// The token's first characters (`slk_Ab3d`), to tell tokens apart.
    pub token_prefix: String,
    pub scopes: Vec<IntegrationScope>,
    pub created_by: String,
    #[ts(type = "string")]
    pub created_at: jiff::Timestamp,
    /// When its token was revoked (`null`: it is live).
    #[ts(type = "string | null")]
    pub revoked_at: Option<jiff::Timestamp>,
    pub revoked_by: Option<String>,
    /// Its latest call (the call log is written at most a second late).
    #[ts(type = "string | null")]
    pub last_used_at: Option<jiff::Timestamp>,
    /// The POS clerk ids mapped to users, by clerk id.
    pub clerks: Vec<ClerkMappingView>,
}

/// A POS clerk id and the Stateline user it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClerkMappingView {
    pub clerk: String,
    pub user: String,
}

impl From<stateline_pos::tokens::ClerkMapping> for ClerkMappingView {
    fn from(m: stateline_pos::tokens::ClerkMapping) -> Self {
        ClerkMappingView {
            clerk: m.clerk,
            user: m.user,
        }
    }
}

impl IntegrationView {
    /// The view of `i` with its clerk mappings.
    pub fn of(i: Integration, clerks: Vec<stateline_pos::tokens::ClerkMapping>) -> Self {
        IntegrationView {
            id: i.id,
            name: i.name,
            token_prefix: i.token_prefix,
            scopes: i.scopes.into_iter().map(Into::into).collect(),
            created_by: i.created_by,
            created_at: i.created_at,
            revoked_at: i.revoked_at,
            revoked_by: i.revoked_by,
            last_used_at: i.last_used_at,
            clerks: clerks.into_iter().map(Into::into).collect(),
        }
    }
}

/// `create_integration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CreateIntegrationRequest {
    /// The POS's name (1 to 80 characters, unique).
    pub name: String,
    /// At least one.
    pub scopes: Vec<IntegrationScope>,
}

/// The answer to `create_integration`: the integration and its token.
///
/// The token is shown **once**: Stateline keeps only its hash, so no other command can return
/// it again. Show it with a copy button and drop it when the screen is left; never log it.
#[derive(Clone, Serialize, TS)]
pub struct CreatedIntegrationView {
    pub integration: IntegrationView,
    /// The bearer token the POS sends (`Authorization: Bearer slk_…`): shown this once only.
    pub token: String,
}

impl fmt::Debug for CreatedIntegrationView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedIntegrationView")
            .field("integration", &self.integration)
            .field("token", &"[shown once, not printed]")
            .finish()
    }
}

/// `revoke_integration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationIdRequest {
    #[ts(type = "number")]
    pub id: i64,
}

/// `map_integration_clerk`: the POS's clerk id `clerk` of integration `id` is Stateline user
/// `user` (`null` removes the mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapClerkRequest {
    #[ts(type = "number")]
    pub id: i64,
    pub clerk: String,
    pub user: Option<String>,
}

/// `integration_calls`: the latest calls of one integration (`integration`) or of all (`null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationCallsRequest {
    #[ts(type = "number | null")]
    pub integration: Option<i64>,
    /// At most this many (1 to 500; `null`: 50).
    pub limit: Option<u32>,
}

/// One call to the local API: never its query string, body or token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationCallView {
    /// The integration, when the token was known.
    #[ts(type = "number | null")]
    pub integration: Option<i64>,
    #[ts(type = "string")]
    pub at: jiff::Timestamp,
    pub method: String,
    /// The route pattern (`/v1/records/{ticket_id}`).
    pub route: String,
    /// HTTP status answered.
    pub status: u16,
    /// The error code of a refusal (`token_revoked`, `ticket_conflict`, …).
    pub code: Option<String>,
}

impl From<Call> for IntegrationCallView {
    fn from(c: Call) -> Self {
        IntegrationCallView {
            integration: c.integration_id,
            at: c.at,
            method: c.method,
            route: c.route,
            status: c.status,
            code: c.code,
        }
    }
}
