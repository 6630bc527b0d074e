//! Compliance commands of the facade: verify the audit chain, the outage report (a CSV file in
//! the data folder or a printable page), reconciliation with Metrc (a manager's run for a day,
//! the stored runs, the differences and a manager's fixes), the per-state reporting deadlines,
//! and backups (settings, list, "back up now").
//!
//! Guarantees: each command checks its permission before reading anything (reports:
//! `view_reports`; reconciliation: `reconcile_with_metrc`; deadlines and backups:
//! `change_settings`); the store writes the audit entry of every change in that change's own
//! transaction, and the facade then emits `audit_appended` (and `records_changed` when a fix
//! queued a record); Metrc is read with the caller's own key (or the facility key in facility
//! mode), never another user's, and a fix asks for a key only when it voids a receipt in Metrc;
//! an outage CSV is written under a temporary name, flushed and renamed, so a listed export is
//! complete; restores stay a CLI action (the overview says how).

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use stateline_compliance::outage::render::{to_csv, to_html};
use stateline_compliance::{
    self as compliance, Difference, FixCode, OutageQuery, OutageReport, OutageReports,
    ReconciliationRun, ReconciliationStore, RunReport, Trigger,
};
use stateline_keys::KeysError;
use stateline_store::backup::{self, BackupFile, BackupSettings};
use stateline_store::people::audit::AuditVerification;
use stateline_store::people::users::Permission;
use stateline_store::{StateDeadline, StoreError};
use stateline_tasks::run_blocking;

use super::App;
use super::dto::{
    self, AuditVerificationView, BackupOverview, BackupSettingsView, BackupView, DifferenceView,
    OutageCsvView, OutagePageView, OutageRequest, ReconcileRequest, ReconciliationOverview,
    ReconciliationRunView, ReconciliationView, ResolveDifferenceRequest, RunIdRequest,
    StateDeadlineRequest, StateDeadlineView,
};
use crate::ApiError;

/// How many recent runs the overview lists.
const RECENT_RUNS: u32 = 20;

pub(crate) fn run_view(run: ReconciliationRun) -> ReconciliationRunView {
    ReconciliationRunView {
        id: run.id,
        licence: run.licence,
        day: run.day,
        trigger: run.trigger.as_str().to_owned(),
        started_at: run.started_at,
        finished_at: run.finished_at,
        local_sales: run.local_sales,
        not_compared: run.not_compared,
        metrc_receipts: run.metrc_receipts,
        differences: run.differences,
    }
}

fn difference_view(d: Difference) -> DifferenceView {
    DifferenceView {
        id: d.id,
        run_id: d.run_id,
        kind: d.kind.into(),
        sale_id: d.sale_id,
        client_id: d.client_id,
        metrc_receipt_id: d.metrc_receipt_id,
        label: d.label,
        local_value: d.local_value,
        metrc_value: d.metrc_value,
        suggested_fix: d.fix.into(),
        fix_text: d.fix_text,
        fixes: d.kind.fixes().into_iter().map(Into::into).collect(),
        resolution: d.resolution.map(Into::into),
        resolved_by: d.resolved_by,
        resolved_at: d.resolved_at,
        resolution_note: d.resolution_note,
    }
}

fn report_view(report: RunReport) -> ReconciliationView {
    ReconciliationView {
        run: run_view(report.run),
        differences: report
            .differences
            .into_iter()
            .map(difference_view)
            .collect(),
    }
}

fn deadline_view(d: StateDeadline) -> StateDeadlineView {
    StateDeadlineView {
        state: d.state,
        hours: d.hours,
        assumed: d.assumed,
        updated_at: d.updated_at,
        updated_by: d.updated_by,
    }
}

fn backup_view(b: BackupFile) -> BackupView {
    BackupView {
        path: b.path.display().to_string(),
        taken_at: b.taken_at,
        bytes: b.bytes,
    }
}

fn parse_day(field: &'static str, text: &str) -> Result<Date, ApiError> {
    text.trim().parse::<Date>().map_err(|_| {
        ApiError::from(StoreError::InvalidInput {
            field,
            detail: format!("{text:?} is not a date; pick a day like 2026-11-23"),
        })
    })
}

fn parse_backup_settings(view: &BackupSettingsView) -> Result<BackupSettings, ApiError> {
    let daily_at = view
        .daily_at
        .trim()
        .parse::<jiff::civil::Time>()
        .map_err(|_| StoreError::InvalidInput {
            field: "backup time",
            detail: format!(
                "{:?} is not a time of day; enter it like 03:00",
                view.daily_at
            ),
        })?;
    Ok(BackupSettings {
        daily_at,
        keep: view.keep,
        time_zone: view
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .map(str::to_owned),
    })
}

/// The CLI command that restores a backup of `data_dir`.
fn restore_command(data_dir: &Path) -> String {
    format!(
        "stateline --data-dir \"{}\" backup restore <FILE> --as <MANAGER>",
        data_dir.display()
    )
}

/// Writes `text` to a new file `<dir>/<stem>[-n].csv` through a flushed temporary file.
fn write_export(dir: &Path, stem: &str, text: &str) -> Result<PathBuf, ApiError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io("create the exports folder", dir))?;
    let mut n = 1;
    let target = loop {
        let name = if n == 1 {
            format!("{stem}.csv")
        } else {
            format!("{stem}-{n}.csv")
        };
        let candidate = dir.join(name);
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    let partial = dir.join(format!(
        ".{}.partial",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    let written = std::fs::File::create(&partial)
        .and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, &target));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(io("write the outage report", &target)(source).into());
    }
    Ok(target)
}

impl App {
    /// `verify_audit`: walks the audit chain and reports the first broken entry.
    pub async fn verify_audit(&self) -> Result<AuditVerificationView, ApiError> {
        self.require(Permission::ViewReports)?;
        Ok(match self.db(|db| db.verify_audit()).await? {
            AuditVerification::Intact { entries, head_hash } => {
                AuditVerificationView::Intact { entries, head_hash }
            }
            AuditVerification::Broken { seq, reason } => {
                AuditVerificationView::Broken { seq, reason }
            }
        })
    }

    async fn outage(&self, req: OutageRequest) -> Result<OutageReport, ApiError> {
        self.require(Permission::ViewReports)?;
        let from = parse_day("from", &req.from)?;
        let to = parse_day("to", &req.to)?;
        if to < from {
            return Err(StoreError::InvalidInput {
                field: "to",
                detail: format!("{to} is before {from}; pick a last day on or after the first"),
            }
            .into());
        }
        let licence = req.licence.filter(|l| !l.trim().is_empty());
        self.db(move |db| -> Result<_, ApiError> {
            let zone = match &licence {
                Some(number) => db.licence(number)?.tz()?,
                None => match db.licences()?.first() {
                    Some(first) => first.tz()?,
                    None => TimeZone::UTC,
                },
            };
            let start = |day: Date| {
                day.to_zoned(zone.clone())
                    .map(|z| z.timestamp())
                    .map_err(|e| ApiError::Internal(format!("{day} has no start: {e}")))
            };
            let after = to.tomorrow().map_err(|_| StoreError::InvalidInput {
                field: "to",
                detail: format!("{to} is too far ahead; pick an earlier day"),
            })?;
            let mut query = OutageQuery::new(start(from)?, start(after)?);
            query.licence = licence;
            Ok(db.outage_report(&query)?)
        })
        .await
    }

    /// `export_outage_csv`: writes the report to `<data folder>/exports/outage-<stamp>.csv`.
    pub async fn export_outage_csv(&self, req: OutageRequest) -> Result<OutageCsvView, ApiError> {
        let report = self.outage(req).await?;
        let rows = report.rows.len() as u32;
        let dir = self.inner.config.data_dir.join("exports");
        let stem = format!("outage-{}", report.generated_at.strftime("%Y%m%dT%H%M%SZ"));
        let text = to_csv(&report);
        let path = run_blocking(move || write_export(&dir, &stem, &text)).await?;
        Ok(OutageCsvView {
            path: path.display().to_string(),
            rows,
        })
    }

    /// `outage_report_page`: the report as a standalone printable page.
    pub async fn outage_report_page(&self, req: OutageRequest) -> Result<OutagePageView, ApiError> {
        let report = self.outage(req).await?;
        Ok(OutagePageView {
            rows: report.rows.len() as u32,
            html: to_html(&report),
        })
    }

    /// `reconcile_day`: compares a local day of a licence with Metrc's receipts (reads only) and
    /// stores the run.
    pub async fn reconcile_day(
        &self,
        req: ReconcileRequest,
    ) -> Result<ReconciliationView, ApiError> {
        let actor = self.require(Permission::ReconcileWithMetrc)?;
        let day = parse_day("day", &req.day)?;
        let licence = self.licence_or_first(req.licence).await?;
        let key = self.reading_key(&actor)?;
        let link = self.link()?;
        let report = compliance::reconcile_day(
            &self.inner.db,
            &link.client,
            &key,
            &licence,
            day,
            Trigger::Manual,
        )
        .await?;
        Ok(report_view(report))
    }

    /// `reconciliation_overview`: recent runs of a licence, its latest daily run with its
    /// differences, and what the background daily check last did.
    pub async fn reconciliation_overview(
        &self,
        req: dto::LicenceRequest,
    ) -> Result<ReconciliationOverview, ApiError> {
        self.require(Permission::ReconcileWithMetrc)?;
        let licence = self.licence_or_first(req.licence).await?;
        let number = licence.clone();
        let (runs, last_daily) = self
            .db(move |db| -> Result<_, ApiError> {
                let runs = db.reconciliation_runs(Some(&number), RECENT_RUNS)?;
                let daily = runs
                    .iter()
                    .find(|r| r.trigger == Trigger::Daily)
                    .map(|r| r.id)
                    .or_else(|| {
                        db.reconciliation_runs(Some(&number), u32::MAX)
                            .ok()?
                            .into_iter()
                            .find(|r| r.trigger == Trigger::Daily)
                            .map(|r| r.id)
                    });
                let last_daily = daily.map(|id| db.reconciliation_run(id)).transpose()?;
                Ok((runs, last_daily))
            })
            .await?;
        Ok(ReconciliationOverview {
            runs: runs.into_iter().map(run_view).collect(),
            last_daily: last_daily.map(report_view),
            daily_checks: self
                .daily_checks()
                .await
                .into_iter()
                .filter(|c| c.licence == licence)
                .collect(),
        })
    }

    /// `reconciliation_run`: one stored run with its differences.
    pub async fn reconciliation_run(
        &self,
        req: RunIdRequest,
    ) -> Result<ReconciliationView, ApiError> {
        self.require(Permission::ReconcileWithMetrc)?;
        let report = self.db(move |db| db.reconciliation_run(req.id)).await?;
        Ok(report_view(report))
    }

    /// `resolve_difference`: a manager's explicit fix (a void in Metrc, a re-send, a correction or
    /// an acknowledgement), audited by the compliance crate in the same transaction. Only a void
    /// talks to Metrc, so only a void looks for the caller's key (`no_key` when none is saved); the
    /// other fixes work with no key and no Metrc connection.
    pub async fn resolve_difference(
        &self,
        req: ResolveDifferenceRequest,
    ) -> Result<DifferenceView, ApiError> {
        let actor = self.require(Permission::ReconcileWithMetrc)?;
        let fix: FixCode = req.fix.into();
        let void_with = if fix == FixCode::VoidInMetrc {
            let link = self.link()?;
            match self.reading_key(&actor) {
                Ok(key) => Some((link.client, key)),
                // The compliance crate refuses the keyless void after checking that the fix fits.
                Err(ApiError::Keys(KeysError::NoKey { .. })) => None,
                Err(other) => return Err(other),
            }
        } else {
            None
        };
        let resolved = compliance::resolve_difference(
            &self.inner.db,
            void_with.as_ref().map(|(client, key)| (client, key)),
            &actor,
            req.id,
            fix,
            req.note.as_deref(),
        )
        .await?;
        let run = resolved.run_id;
        let licence = self
            .db(move |db| -> Result<_, ApiError> { Ok(db.reconciliation_run(run)?.run.licence) })
            .await?;
        if matches!(fix, FixCode::ResendSale | FixCode::ResendCorrection) {
            self.recorded(&licence).await;
        }
        self.audited("reconciliation_action");
        Ok(difference_view(resolved))
    }

    /// `state_deadlines`: every state's default reporting deadline.
    pub async fn state_deadlines(&self) -> Result<Vec<StateDeadlineView>, ApiError> {
        self.current_actor()?;
        let rows = self.db(|db| db.state_deadlines()).await?;
        Ok(rows.into_iter().map(deadline_view).collect())
    }

    /// `set_state_deadline` (managers; audited by the store).
    pub async fn set_state_deadline(
        &self,
        req: StateDeadlineRequest,
    ) -> Result<StateDeadlineView, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        let row = self
            .db(move |db| db.set_state_deadline(&actor, &req.state, req.hours))
            .await?;
        self.audited("deadline_changed");
        Ok(deadline_view(row))
    }

    /// `backup_overview`: the backup settings, the backups and how to restore one.
    pub async fn backup_overview(&self) -> Result<BackupOverview, ApiError> {
        self.require(Permission::ChangeSettings)?;
        self.backups_now().await
    }

    async fn backups_now(&self) -> Result<BackupOverview, ApiError> {
        let data_dir = self.inner.config.data_dir.clone();
        let now = self.now();
        let last_failure = self.daily_backup_failure();
        self.db(move |db| -> Result<_, ApiError> {
            let settings = db.backup_settings()?;
            Ok(BackupOverview {
                settings: BackupSettingsView {
                    daily_at: settings.daily_at.strftime("%H:%M").to_string(),
                    keep: settings.keep,
                    time_zone: settings.time_zone,
                },
                folder: backup::backups_dir(&data_dir).display().to_string(),
                backups: backup::list_backups(&data_dir)?
                    .into_iter()
                    .map(backup_view)
                    .collect(),
                due: backup::backup_due(db, now)?,
                last_failure,
                restore_command: restore_command(&data_dir),
            })
        })
        .await
    }

    /// `set_backup_settings` (managers; audited by the store).
    pub async fn set_backup_settings(
        &self,
        req: BackupSettingsView,
    ) -> Result<BackupOverview, ApiError> {
        let actor = self.require(Permission::ChangeSettings)?;
        let settings = parse_backup_settings(&req)?;
        self.db(move |db| db.set_backup_settings(&actor, &settings))
            .await?;
        self.audited("setting_changed");
        self.backups_now().await
    }

    /// `backup_now`: a consistent backup now (keeps the newest N).
    pub async fn backup_now(&self) -> Result<BackupView, ApiError> {
        self.require(Permission::ChangeSettings)?;
        Ok(backup_view(self.db(|db| db.backup_now()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_never_overwrites_an_earlier_one_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_export(dir.path(), "outage-x", "a\n").unwrap();
        let second = write_export(dir.path(), "outage-x", "b\n").unwrap();
        assert_eq!(first.file_name().unwrap(), "outage-x.csv");
        assert_eq!(second.file_name().unwrap(), "outage-x-2.csv");
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "a\n");
        assert_eq!(std::fs::read_to_string(&second).unwrap(), "b\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn backup_times_are_read_as_hours_and_minutes() {
        let view = BackupSettingsView {
            daily_at: "02:30".into(),
            keep: 7,
            time_zone: Some("  ".into()),
        };
        let parsed = parse_backup_settings(&view).unwrap();
        assert_eq!(parsed.daily_at, jiff::civil::Time::constant(2, 30, 0, 0));
        assert_eq!(parsed.time_zone, None);
        let bad = BackupSettingsView {
            daily_at: "half past two".into(),
            ..view
        };
        assert_eq!(
            parse_backup_settings(&bad).unwrap_err().code(),
            "invalid_input"
        );
    }
}
