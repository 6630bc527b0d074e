//! The `limit_overrides` table: a store's overrides of figures of its state's rules file (a rule
//! changed before an update shipped), and the rules in force at this register.
//!
//! Guarantees: only a manager (`ManageLimits`) sets or removes an override, with a reason, in one
//! transaction with its audit entry; an override names a rule the state's file has and a positive
//! limit, or it is refused and nothing changes; an override set against an older version of the
//! file still applies (the store chose it) and says which version it was set against, so a
//! screen can show that an update arrived since. Removing one leaves a tombstone
//! (`limit_removals`) in the same transaction, and setting it again deletes it, so both travel to
//! the store's other registers when the register joined a store ([`super::shared`]: the store's
//! overrides are store-wide, the later change wins).

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use stateline_limits::{LimitsError, RuleSet};

use super::shared::{self, LimitSettingKind};
use crate::inventory::packages::non_empty;
use crate::people::audit::{self, AuditAction, AuditEvent};
use crate::people::users::Permission;
use crate::records::entry_checks;
use crate::settings::{self, REGISTER_STATE};
use crate::time::{from_ms, to_ms};
use crate::{Actor, Database, StoreError};

/// One overridden figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitOverride {
    /// The state.
    pub state: String,
    /// The rule's id in the state's file.
    pub rule_id: String,
    /// The limit the store uses instead of the file's.
    pub limit: f64,
    /// The file's version when it was set.
    pub file_version: u32,
    /// Why (the bulletin, the date the rule changed).
    pub reason: String,
    /// The manager who set it.
    pub set_by: String,
    /// When.
    pub set_at: Timestamp,
}

/// The rules a sale at this register is checked against.
#[derive(Debug, Clone)]
pub enum RulesInForce {
    /// The register's state is not set (no Metrc state chosen yet): no limits can be checked.
    NoState,
    /// No rules file ships for the register's state.
    NoRules(String),
    /// The state's rules, with the store's overrides applied.
    Rules {
        /// The rules as used.
        rules: RuleSet,
        /// The overrides applied.
        overrides: Vec<LimitOverride>,
    },
}

/// The register's state (two letters), if chosen.
pub(crate) fn register_state(c: &Connection) -> Result<Option<String>, StoreError> {
    Ok(settings::get(c, REGISTER_STATE)?
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty()))
}

fn overrides_of(c: &Connection, state: &str) -> Result<Vec<LimitOverride>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT state, rule_id, limit_value, file_version, reason, set_by, set_at
         FROM limit_overrides WHERE state = ?1 ORDER BY rule_id",
    )?
    .query_map(params![state], |r| {
        Ok(LimitOverride {
            state: r.get(0)?,
            rule_id: r.get(1)?,
            limit: r.get(2)?,
            file_version: r.get(3)?,
            reason: r.get(4)?,
            set_by: r.get(5)?,
            set_at: from_ms(r.get(6)?),
        })
    })?
    .collect::<Result<_, _>>()?)
}

fn limits_error(e: LimitsError) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// The rules in force at this register (see [`RulesInForce`]).
pub(crate) fn rules_in_force(c: &Connection) -> Result<RulesInForce, StoreError> {
    let Some(state) = register_state(c)? else {
        return Ok(RulesInForce::NoState);
    };
    let file = match RuleSet::for_state(&state) {
        Ok(file) => file,
        Err(LimitsError::UnknownState(_)) => return Ok(RulesInForce::NoRules(state)),
        Err(e) => return Err(limits_error(e)),
    };
    let overrides = overrides_of(c, &state)?;
    let pairs: Vec<(String, f64)> = overrides
        .iter()
        .filter(|o| file.rules.iter().any(|r| r.id == o.rule_id))
        .map(|o| (o.rule_id.clone(), o.limit))
        .collect();
    let rules = file.with_limits(&pairs).map_err(limits_error)?;
    Ok(RulesInForce::Rules { rules, overrides })
}

impl Database {
    /// The rules a sale here is checked against (the state's file with the store's overrides).
    pub fn rules_in_force(&self) -> Result<RulesInForce, StoreError> {
        self.read(rules_in_force)
    }

    /// Sets the store's override of rule `rule_id` of the register's state (see the module doc).
    pub fn set_limit_override(
        &self,
        by: &Actor,
        rule_id: &str,
        limit: f64,
        reason: &str,
    ) -> Result<LimitOverride, StoreError> {
        by.require(Permission::ManageLimits)?;
        non_empty("reason", reason)?;
        entry_checks::short_text("reason", reason)?;
        let now = self.now();
        self.write(|tx| {
            let (state, file) = state_file(tx)?;
            let rule = file
                .rules
                .iter()
                .find(|r| r.id == rule_id)
                .ok_or_else(|| StoreError::InvalidInput {
                    field: "rule",
                    detail: format!(
                        "{state}'s rules have no rule {rule_id:?}; use one of: {}",
                        file.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                })?;
            if !(limit.is_finite() && limit > 0.0) {
                return Err(StoreError::InvalidInput {
                    field: "limit",
                    detail: format!("{limit} is not a positive number; enter the new limit in {}", rule.unit),
                });
            }
            let key = shared::override_key(&state, rule_id);
            let set_at = shared::change_at(tx, LimitSettingKind::Override, &key, to_ms(now))?;
            shared::forget_removal(tx, LimitSettingKind::Override, &key)?;
            tx.prepare_cached(
                "INSERT INTO limit_overrides (state, rule_id, limit_value, file_version, reason, set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (state, rule_id) DO UPDATE SET limit_value = excluded.limit_value,
                     file_version = excluded.file_version, reason = excluded.reason,
                     set_by = excluded.set_by, set_at = excluded.set_at",
            )?
            .execute(params![state, rule_id, limit, file.version, reason.trim(), by.name(), set_at])?;
            audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::LimitOverridden,
                    format!("{state} {rule_id}"),
                    format!(
                        "{} {} → {limit} {} (file version {}): {}",
                        rule.window.as_text(),
                        rule.limit,
                        rule.unit,
                        file.version,
                        reason.trim()
                    ),
                ),
            )?;
            Ok(LimitOverride {
                state,
                rule_id: rule_id.to_owned(),
                limit,
                file_version: file.version,
                reason: reason.trim().to_owned(),
                set_by: by.name().to_owned(),
                set_at: from_ms(set_at),
            })
        })
    }

    /// Removes the store's override of `rule_id` (the file's figure applies again); audited.
    pub fn clear_limit_override(
        &self,
        by: &Actor,
        rule_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        by.require(Permission::ManageLimits)?;
        non_empty("reason", reason)?;
        entry_checks::short_text("reason", reason)?;
        let now = self.now();
        self.write(|tx| {
            let (state, file) = state_file(tx)?;
            let key = shared::override_key(&state, rule_id);
            let removed_at = shared::change_at(tx, LimitSettingKind::Override, &key, to_ms(now))?;
            let removed = tx
                .prepare_cached("DELETE FROM limit_overrides WHERE state = ?1 AND rule_id = ?2")?
                .execute(params![state, rule_id])?;
            if removed == 0 {
                return Err(StoreError::InvalidInput {
                    field: "rule",
                    detail: format!(
                        "the store has no override of {state} {rule_id:?}; nothing to remove"
                    ),
                });
            }
            shared::record_removal(tx, LimitSettingKind::Override, &key, removed_at, by.name())?;
            let figure = file.rules.iter().find(|r| r.id == rule_id).map(|r| r.limit);
            audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::LimitOverridden,
                    format!("{state} {rule_id}"),
                    format!(
                        "override removed; the file's figure applies again ({}): {}",
                        figure.map_or("rule no longer in the file".into(), |l| l.to_string()),
                        reason.trim()
                    ),
                ),
            )?;
            Ok(())
        })
    }

    /// The store's overrides for the register's state.
    pub fn limit_overrides(&self) -> Result<Vec<LimitOverride>, StoreError> {
        self.read(|c| match register_state(c)? {
            Some(state) => overrides_of(c, &state),
            None => Ok(Vec::new()),
        })
    }
}

/// The register's state and its rules file, or a refusal saying what to set up first.
fn state_file(c: &Connection) -> Result<(String, &'static RuleSet), StoreError> {
    let state = register_state(c)?.ok_or_else(|| StoreError::InvalidInput {
        field: "state",
        detail: "this register has no state chosen yet; choose the Metrc state in setup first"
            .into(),
    })?;
    match RuleSet::for_state(&state) {
        Ok(file) => Ok((state, file)),
        Err(LimitsError::UnknownState(_)) => Err(StoreError::InvalidInput {
            field: "state",
            detail: format!(
                "Stateline ships no purchase-limit rules for {state}, so there is no figure to override"
            ),
        }),
        Err(e) => Err(limits_error(e)),
    }
}
