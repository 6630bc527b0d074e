//! The Integrations screen's commands: the POS integrations that may call the local API, their
//! tokens, scopes and clerk mappings, and the call log.
//!
//! Guarantees: every command is a manager's (`manage_users`), checked before anything is read;
//! a new token leaves the facade once, in the answer to [`App::create_integration`], and is never
//! logged, stored (the store keeps its hash) or put in an event; creating, revoking and mapping
//! are audited by the store in the same transaction and announced with `audit_appended`.

use secrecy::ExposeSecret;
use stateline_pos::{calls, tokens};
use stateline_store::Permission;

use super::App;
use super::dto::{
    CreateIntegrationRequest, CreatedIntegrationView, IntegrationCallView, IntegrationCallsRequest,
    IntegrationIdRequest, IntegrationView, MapClerkRequest,
};
use crate::ApiError;

/// Calls listed when the request names no limit.
const DEFAULT_CALLS: u32 = 50;
/// The most calls listed at once.
const MAX_CALLS: u32 = 500;

impl App {
    /// `list_integrations`: every integration, newest first, revoked ones included.
    pub async fn list_integrations(&self) -> Result<Vec<IntegrationView>, ApiError> {
        self.require(Permission::ManageUsers)?;
        self.db(|db| {
            tokens::list(db)?
                .into_iter()
                .map(|i| {
                    let clerks = tokens::clerks(db, i.id)?;
                    Ok(IntegrationView::of(i, clerks))
                })
                .collect::<Result<Vec<_>, stateline_store::StoreError>>()
        })
        .await
    }

    /// `create_integration`: a new integration and its token, which is shown this once.
    pub async fn create_integration(
        &self,
        req: CreateIntegrationRequest,
    ) -> Result<CreatedIntegrationView, ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        let scopes: Vec<tokens::Scope> = req.scopes.into_iter().map(Into::into).collect();
        let created = self
            .db(move |db| tokens::create(db, &actor, &req.name, &scopes))
            .await?;
        self.audited("integration_created");
        Ok(CreatedIntegrationView {
            token: created.token.expose_secret().to_owned(),
            integration: IntegrationView::of(created.integration, Vec::new()),
        })
    }

    /// `revoke_integration`: its token is refused from the next call on (twice is a no-op).
    pub async fn revoke_integration(
        &self,
        req: IntegrationIdRequest,
    ) -> Result<IntegrationView, ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        let revoked = self
            .db(move |db| {
                let revoked = tokens::revoke(db, &actor, req.id)?;
                let clerks = tokens::clerks(db, revoked.id)?;
                Ok::<_, stateline_store::StoreError>(IntegrationView::of(revoked, clerks))
            })
            .await?;
        self.audited("integration_changed");
        Ok(revoked)
    }

    /// `map_integration_clerk`: the POS's clerk id stands for a Stateline user (or no longer).
    pub async fn map_integration_clerk(&self, req: MapClerkRequest) -> Result<(), ApiError> {
        let actor = self.require(Permission::ManageUsers)?;
        self.db(move |db| {
            let user = req.user.as_deref().map(str::trim).filter(|u| !u.is_empty());
            tokens::map_clerk(db, &actor, req.id, &req.clerk, user)
        })
        .await?;
        self.audited("integration_changed");
        Ok(())
    }

    /// `integration_calls`: the latest calls to the local API, newest first.
    pub async fn integration_calls(
        &self,
        req: IntegrationCallsRequest,
    ) -> Result<Vec<IntegrationCallView>, ApiError> {
        self.require(Permission::ManageUsers)?;
        let limit = req.limit.unwrap_or(DEFAULT_CALLS).clamp(1, MAX_CALLS);
        let recent = self
            .db(move |db| calls::recent(db, req.integration, limit))
            .await?;
        Ok(recent.into_iter().map(Into::into).collect())
    }
}
