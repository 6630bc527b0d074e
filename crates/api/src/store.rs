//! The app's own tables (migration 7) and settings: cached customer types, backlog
//! samples, and the app settings kept in `settings` (environment, state, idle lock, object limit).
//!
//! Guarantees: each write is one transaction on the single writer; backlog samples are one per
//! minute holding the peak seen in that minute, and samples older than three days are pruned; no
//! value here is a secret.

use jiff::Timestamp;
use rusqlite::params;
use stateline_store::time::{from_ms, to_ms};
use stateline_store::{Database, StoreError, settings};

use super::dto::{BacklogPoint, Environment};
use crate::ApiError;

const ENVIRONMENT: &str = "app.environment";
const STATE_CODE: &str = settings::REGISTER_STATE;
const IDLE_LOCK_MINUTES: &str = "app.idle_lock_minutes";
const OBJECT_LIMIT: &str = "app.object_limit";

/// Default minutes before an idle register locks.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;
/// Default records per write request.
pub const DEFAULT_OBJECT_LIMIT: u32 = 10;
/// How long backlog samples are kept.
const SAMPLE_RETENTION_MS: i64 = 3 * 24 * 3600 * 1000;

pub(crate) use stateline_store::inventory::licence_rules::LicenceRules;

impl Environment {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Environment::Demo => "demo",
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    fn parse(text: &str) -> Option<Environment> {
        [
            Environment::Demo,
            Environment::Sandbox,
            Environment::Production,
        ]
        .into_iter()
        .find(|e| e.as_str() == text)
    }

    /// The name keychain entries are scoped by.
    pub fn keychain_scope(self) -> &'static str {
        self.as_str()
    }
}

fn parse_u32(key: &str, value: Option<String>, default: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::Internal(format!("the stored setting {key} is {text:?}"))),
    }
}

/// The app's own tables and settings (migration 7), on the store's one writer.
pub(crate) trait AppTables {
    /// The chosen environment, if one was chosen.
    fn app_environment(&self) -> Result<Option<Environment>, ApiError>;

    /// The chosen environment and state code, written together.
    fn set_app_environment(
        &self,
        environment: Environment,
        state_code: Option<&str>,
    ) -> Result<(), ApiError>;

    fn app_state_code(&self) -> Result<Option<String>, ApiError>;

    fn idle_lock_minutes(&self) -> Result<u32, ApiError>;

    fn object_limit(&self) -> Result<u32, ApiError>;

    /// Writes the numeric app settings given (absent ones stay).
    fn set_app_numbers(
        &self,
        idle_lock_minutes: Option<u32>,
        object_limit: Option<u32>,
    ) -> Result<(), ApiError>;

    fn customer_types(&self) -> Result<Vec<String>, ApiError>;

    /// Replaces the cached customer types (an empty list leaves the cache as it was).
    fn set_customer_types(&self, types: &[String]) -> Result<(), ApiError>;

    /// Records how many records wait now (one sample per minute keeps the minute's peak) and
    /// prunes old samples.
    fn sample_backlog(&self, at: Timestamp, waiting: u64) -> Result<(), ApiError>;

    /// Backlog samples at or after `since`, oldest first.
    fn backlog_since(&self, since: Timestamp) -> Result<Vec<BacklogPoint>, ApiError>;
}

impl AppTables for Database {
    fn app_environment(&self) -> Result<Option<Environment>, ApiError> {
        match self.setting(ENVIRONMENT)? {
            None => Ok(None),
            Some(text) => Environment::parse(&text).map(Some).ok_or_else(|| {
                ApiError::Internal(format!("the stored environment {text:?} is not known"))
            }),
        }
    }

    fn set_app_environment(
        &self,
        environment: Environment,
        state_code: Option<&str>,
    ) -> Result<(), ApiError> {
        self.write(|tx| {
            settings::set(tx, ENVIRONMENT, environment.as_str())?;
            match state_code {
                Some(code) => settings::set(tx, STATE_CODE, code)?,
                None => {
                    tx.execute("DELETE FROM settings WHERE key = ?1", params![STATE_CODE])?;
                }
            }
            Ok(())
        })
    }

    fn app_state_code(&self) -> Result<Option<String>, ApiError> {
        Ok(self.setting(STATE_CODE)?)
    }

    fn idle_lock_minutes(&self) -> Result<u32, ApiError> {
        parse_u32(
            IDLE_LOCK_MINUTES,
            self.setting(IDLE_LOCK_MINUTES)?,
            DEFAULT_IDLE_LOCK_MINUTES,
        )
    }

    fn object_limit(&self) -> Result<u32, ApiError> {
        parse_u32(
            OBJECT_LIMIT,
            self.setting(OBJECT_LIMIT)?,
            DEFAULT_OBJECT_LIMIT,
        )
    }

    fn set_app_numbers(
        &self,
        idle_lock_minutes: Option<u32>,
        object_limit: Option<u32>,
    ) -> Result<(), ApiError> {
        if idle_lock_minutes.is_some_and(|m| m > 24 * 60) {
            return Err(StoreError::InvalidInput {
                field: "idle lock minutes",
                detail: "it is more than a day; enter 0 (never) to 1440".into(),
            }
            .into());
        }
        if object_limit.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err(StoreError::InvalidInput {
                field: "object limit",
                detail: "it must be between 1 and 1000 (Metrc's default is 10)".into(),
            }
            .into());
        }
        self.write(|tx| {
            if let Some(m) = idle_lock_minutes {
                settings::set(tx, IDLE_LOCK_MINUTES, &m.to_string())?;
            }
            if let Some(n) = object_limit {
                settings::set(tx, OBJECT_LIMIT, &n.to_string())?;
            }
            Ok(())
        })
    }

    fn customer_types(&self) -> Result<Vec<String>, ApiError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT name FROM app_customer_types ORDER BY position")?;
            let rows = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn set_customer_types(&self, types: &[String]) -> Result<(), ApiError> {
        if types.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            tx.execute("DELETE FROM app_customer_types", [])?;
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO app_customer_types (name, position) VALUES (?1, ?2)",
            )?;
            for (position, name) in types.iter().enumerate() {
                stmt.execute(params![name, position as i64])?;
            }
            Ok(())
        })
    }

    fn sample_backlog(&self, at: Timestamp, waiting: u64) -> Result<(), ApiError> {
        let minute = to_ms(at).div_euclid(60_000) * 60_000;
        let waiting = i64::try_from(waiting).unwrap_or(i64::MAX);
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO app_backlog_samples (at, waiting) VALUES (?1, ?2)
                 ON CONFLICT (at) DO UPDATE SET waiting = max(waiting, excluded.waiting)",
            )?
            .execute(params![minute, waiting])?;
            tx.prepare_cached("DELETE FROM app_backlog_samples WHERE at < ?1")?
                .execute(params![minute - SAMPLE_RETENTION_MS])?;
            Ok(())
        })
    }

    fn backlog_since(&self, since: Timestamp) -> Result<Vec<BacklogPoint>, ApiError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT at, waiting FROM app_backlog_samples WHERE at >= ?1 ORDER BY at",
            )?;
            let rows = stmt
                .query_map(params![to_ms(since)], |r| {
                    Ok(BacklogPoint {
                        at: from_ms(r.get(0)?),
                        waiting: r.get::<_, i64>(1)?.max(0) as u64,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}
