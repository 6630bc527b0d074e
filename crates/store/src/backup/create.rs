//! Taking a backup now, listing the backups of a data folder, and keeping the last N.
//!
//! Guarantees: see the parent module; a backup never overwrites an earlier one (a second one in
//! the same second gets `-2`, `-3`, …).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{copy_database, fsync_dir, io, open_read_only, remove_own};
use crate::{Database, StoreError};

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFile {
    /// Where it is.
    pub path: PathBuf,
    /// When it was taken (from its name, UTC, whole seconds).
    pub taken_at: Timestamp,
    /// Same-second sequence (1 for the first).
    pub sequence: u32,
    /// Size in bytes.
    pub bytes: u64,
}

const PREFIX: &str = "stateline-";
const SUFFIX: &str = ".sqlite";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// `<data-dir>/backups`.
pub fn backups_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

fn file_name(at: Timestamp, sequence: u32) -> String {
    let stamp = at.strftime(STAMP);
    if sequence <= 1 {
        format!("{PREFIX}{stamp}{SUFFIX}")
    } else {
        format!("{PREFIX}{stamp}-{sequence}{SUFFIX}")
    }
}

/// Parses `stateline-<stamp>[-n].sqlite`.
fn parse_name(name: &str) -> Option<(Timestamp, u32)> {
    let core = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (stamp, sequence) = match core.split_once('-') {
        Some((stamp, n)) => (stamp, n.parse::<u32>().ok().filter(|n| *n >= 2)?),
        None => (core, 1),
    };
    let at = jiff::fmt::strtime::parse(STAMP, stamp)
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    (file_name(at, sequence) == name).then_some((at, sequence))
}

/// The backups in `<data-dir>/backups`, newest first (files of the backup name pattern only).
pub fn list_backups(data_dir: &Path) -> Result<Vec<BackupFile>, StoreError> {
    let dir = backups_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("list the backups in", &dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io("list the backups in", &dir))?;
        let Some((taken_at, sequence)) = entry.file_name().to_str().and_then(parse_name) else {
            continue;
        };
        let bytes = entry.metadata().map_err(io("read", &entry.path()))?.len();
        out.push(BackupFile {
            path: entry.path(),
            taken_at,
            sequence,
            bytes,
        });
    }
    out.sort_by_key(|b| std::cmp::Reverse((b.taken_at, b.sequence)));
    Ok(out)
}

/// Deletes all but the newest `keep` backups; returns the removed files.
fn prune(data_dir: &Path, keep: usize) -> Result<Vec<PathBuf>, StoreError> {
    let mut removed = Vec::new();
    for old in list_backups(data_dir)?.into_iter().skip(keep.max(1)) {
        std::fs::remove_file(&old.path).map_err(io("remove the old backup", &old.path))?;
        removed.push(old.path);
    }
    Ok(removed)
}

impl Database {
    /// The folder holding this database (its data folder).
    pub fn data_dir(&self) -> PathBuf {
        self.path()
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Takes a consistent backup now into `<data-dir>/backups/stateline-<UTC stamp>.sqlite`, then
    /// keeps only the newest N (the `backup.keep` setting). Safe while the register works.
    pub fn backup_now(&self) -> Result<BackupFile, StoreError> {
        let data_dir = self.data_dir();
        let dir = super::backups_dir(&data_dir);
        std::fs::create_dir_all(&dir).map_err(io("create the backup folder", &dir))?;
        let at = super::schedule::whole_second(self.now());
        // Reserve a name no other backup (in this process or another) is using.
        let mut sequence = 1;
        let (target, partial) = loop {
            let name = file_name(at, sequence);
            let partial = dir.join(format!(".{name}.partial"));
            if !dir.join(&name).exists() {
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&partial)
                {
                    // The partial name frees up only when its backup got its final name.
                    Ok(_) if dir.join(&name).exists() => remove_own(&partial),
                    Ok(_) => break (dir.join(name), partial),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io("start the backup file", &partial)(e)),
                }
            }
            sequence += 1;
        };
        let result = open_read_only(self.path())
            .map_err(StoreError::from)
            .and_then(|source| copy_database(&source, &partial));
        if let Err(e) = result {
            remove_own(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, &target).map_err(io("name the new backup", &target))?;
        fsync_dir(&dir)?;
        let keep = self.backup_settings()?.keep;
        prune(&data_dir, keep as usize)?;
        let bytes = std::fs::metadata(&target)
            .map_err(io("read", &target))?
            .len();
        tracing::info!(path = %target.display(), bytes, "backup taken");
        Ok(BackupFile {
            path: target,
            taken_at: at,
            sequence,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_files_are_ignored() {
        let at: Timestamp = "2026-11-23T13:27:54Z".parse().unwrap();
        assert_eq!(file_name(at, 1), "stateline-20261123T132754Z.sqlite");
        assert_eq!(
            parse_name("stateline-20261123T132754Z.sqlite"),
            Some((at, 1))
        );
        assert_eq!(
            parse_name("stateline-20261123T132754Z-3.sqlite"),
            Some((at, 3))
        );
        for foreign in [
            "stateline.sqlite",
            "stateline-20261123T132754Z-1.sqlite",
            "stateline-20261123T132754Z.sqlite-wal",
            ".stateline-20261123T132754Z.sqlite.partial",
            "stateline-notadate.sqlite",
        ] {
            assert_eq!(parse_name(foreign), None, "{foreign}");
        }
    }
}
