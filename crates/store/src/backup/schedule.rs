//! The backup settings (daily time, how many to keep, time zone) and the scheduler's question
//! "is a backup due now?".
//!
//! Guarantees: settings are validated before they are stored and the change is audited in the
//! same transaction; a backup is due at most once per local day: from the set local time on,
//! until a backup taken at or after that time exists in the backup folder (so a restart, or a
//! register that was off at that time, catches up once, never twice).

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::Serialize;

use crate::people::audit::{self, AuditAction, AuditEvent};
use crate::people::users::{Actor, Permission};
use crate::{Database, StoreError, settings};

const DAILY_AT: &str = "backup.daily_at";
const KEEP: &str = "backup.keep";
const TIME_ZONE: &str = "backup.time_zone";

/// When backups run and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSettings {
    /// Local time of the daily backup.
    pub daily_at: Time,
    /// How many backups to keep (at least 1).
    pub keep: u32,
    /// IANA time zone of `daily_at`; `None` uses the computer's zone.
    pub time_zone: Option<String>,
}

impl Default for BackupSettings {
    /// 03:00 local time, keeping 14.
    fn default() -> Self {
        Self {
            daily_at: Time::constant(3, 0, 0, 0),
            keep: 14,
            time_zone: None,
        }
    }
}

impl BackupSettings {
    fn zone(&self) -> Result<TimeZone, StoreError> {
        match &self.time_zone {
            None => Ok(TimeZone::system()),
            Some(name) => {
                TimeZone::get(name).map_err(|_| StoreError::InvalidTimeZone { zone: name.clone() })
            }
        }
    }

    fn validate(&self) -> Result<(), StoreError> {
        if self.keep == 0 {
            return Err(StoreError::InvalidInput {
                field: "backups to keep",
                detail: "it must be at least 1".into(),
            });
        }
        self.zone().map(|_| ())
    }
}

/// `t` without its fraction of a second (backup names carry whole seconds).
pub(crate) fn whole_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

impl Database {
    /// The backup settings (defaults where none are stored).
    pub fn backup_settings(&self) -> Result<BackupSettings, StoreError> {
        self.read(|c| {
            let mut s = BackupSettings::default();
            if let Some(v) = settings::get(c, DAILY_AT)? {
                s.daily_at = v.parse().map_err(|e| {
                    StoreError::Internal(format!("stored backup time {v:?} is unreadable: {e}"))
                })?;
            }
            if let Some(v) = settings::get(c, KEEP)? {
                s.keep = v.parse().map_err(|e| {
                    StoreError::Internal(format!("stored backup count {v:?} is unreadable: {e}"))
                })?;
            }
            s.time_zone = settings::get(c, TIME_ZONE)?;
            Ok(s)
        })
    }

    /// Changes the backup settings (a manager's action; audited).
    pub fn set_backup_settings(&self, by: &Actor, new: &BackupSettings) -> Result<(), StoreError> {
        by.require(Permission::ChangeSettings)?;
        new.validate()?;
        let old = self.backup_settings()?;
        let now = self.now();
        self.write(|tx| {
            settings::set(tx, DAILY_AT, &new.daily_at.strftime("%H:%M").to_string())?;
            settings::set(tx, KEEP, &new.keep.to_string())?;
            match &new.time_zone {
                Some(zone) => settings::set(tx, TIME_ZONE, zone)?,
                None => {
                    tx.execute("DELETE FROM settings WHERE key = ?1", [TIME_ZONE])?;
                }
            }
            let describe = |s: &BackupSettings| {
                format!(
                    "daily at {} ({}), keep {}",
                    s.daily_at.strftime("%H:%M"),
                    s.time_zone.as_deref().unwrap_or("computer's time zone"),
                    s.keep
                )
            };
            audit::append(
                tx,
                now,
                &AuditEvent::by(
                    by.name(),
                    AuditAction::SettingChanged,
                    "backups",
                    format!("{} → {}", describe(&old), describe(new)),
                ),
            )?;
            Ok(())
        })
    }
}

/// Whether the daily backup is due at `now`: today's set local time has passed and no backup in
/// the folder was taken at or after it.
pub fn backup_due(db: &Database, now: Timestamp) -> Result<bool, StoreError> {
    let settings = db.backup_settings()?;
    let zone = settings.zone()?;
    let local: Zoned = now.to_zoned(zone.clone());
    let slot = local
        .date()
        .to_datetime(settings.daily_at)
        .to_zoned(zone)
        .map_err(|e| StoreError::Internal(format!("the backup time has no local instant: {e}")))?
        .timestamp();
    let slot = whole_second(slot);
    if now < slot {
        return Ok(false);
    }
    let newest = super::list_backups(&db.data_dir())?
        .into_iter()
        .map(|b| b.taken_at)
        .max();
    Ok(newest.is_none_or(|taken| taken < slot))
}
