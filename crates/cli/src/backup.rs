//! `stateline backup now|list|restore`: consistent copies of the database into
//! `<data-dir>/backups/`, and a guarded restore.
//!
//! Guarantees: a restore needs a manager (`--as NAME`, PIN as the first stdin line, never an
//! argument; on a register with no users yet, a manager of the backup), refuses to replace records not yet in Metrc unless `--yes-discard-unsent` is given,
//! and keeps the replaced database aside (see `stateline_store::backup::restore`); the database is
//! closed before it is replaced.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use stateline_store::{Actor, Database, Pin, backup};

use crate::args::Context;
use crate::error::CliError;
use crate::output;
use crate::users::{login, pins_from_stdin};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Take a backup now (keeps the newest N, see the `backup.keep` setting).
    Now(NowArgs),
    /// List the backups, newest first.
    List,
    /// Replace the database with a backup. stdin: the acting manager's PIN.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct NowArgs {
    /// Only if the daily backup is due (for a scheduler that runs this often).
    #[arg(long)]
    pub if_due: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    pub file: PathBuf,
    /// The manager doing this (their PIN is the first stdin line).
    #[arg(long = "as", value_name = "MANAGER")]
    pub acting: String,
    /// Restore even though the current database holds records not yet in Metrc (it is kept
    /// aside, never deleted).
    #[arg(long)]
    pub yes_discard_unsent: bool,
}

pub fn run(ctx: &Context, command: BackupCommand) -> Result<(), CliError> {
    match command {
        BackupCommand::Now(args) => now(ctx, &args),
        BackupCommand::List => list(ctx),
        BackupCommand::Restore(args) => restore(ctx, args),
    }
}

fn now(ctx: &Context, args: &NowArgs) -> Result<(), CliError> {
    let db = ctx.open_database()?;
    if args.if_due && !backup::backup_due(&db, db.now())? {
        return if ctx.json {
            output::json_line(&serde_json::json!({ "taken": null }))
        } else {
            output::line("no backup due")
        };
    }
    let taken = db.backup_now()?;
    if ctx.json {
        output::json_line(&serde_json::json!({ "taken": taken }))
    } else {
        output::line(&format!(
            "backup taken: {} ({} bytes)",
            taken.path.display(),
            taken.bytes
        ))
    }
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let backups = backup::list_backups(&ctx.data_dir()?)?;
    if ctx.json {
        return output::json_line(&backups);
    }
    if backups.is_empty() {
        return output::line("no backups; take one with `stateline backup now`");
    }
    for b in backups {
        output::line(&format!(
            "{}\t{}\t{} bytes",
            b.taken_at,
            b.path.display(),
            b.bytes
        ))?;
    }
    Ok(())
}

fn restore(ctx: &Context, args: RestoreArgs) -> Result<(), CliError> {
    let [pin] = pins_from_stdin(["the acting manager's PIN"])?;
    let actor = {
        let db = ctx.open_database()?;
        if db.needs_first_manager()? {
            drop(db);
            login_in_backup(&args.file, &args.acting, &pin)?
        } else {
            login(&db, &args.acting, &pin)?.actor
        }
    };
    let restored = backup::restore(
        &args.file,
        &ctx.data_dir()?,
        args.yes_discard_unsent,
        &actor,
    )?;
    if ctx.json {
        return output::json_line(&restored);
    }
    output::line(&format!(
        "restored {} from {}",
        restored.database.display(),
        restored.from.display()
    ))?;
    if let Some(kept) = &restored.replaced_kept_at {
        output::line(&format!(
            "the replaced database is kept at {}",
            kept.display()
        ))?;
    }
    Ok(())
}

/// On a register with no users yet (a new install), the manager logs in against a scratch copy of
/// the backup (the backup file itself is never opened for writing); the copy is removed after.
fn login_in_backup(file: &Path, name: &str, pin: &Pin) -> Result<Actor, CliError> {
    let scratch = tempfile::Builder::new()
        .prefix("stateline-restore-login-")
        .tempdir()
        .map_err(CliError::io(
            "create a scratch folder for the restore login",
        ))?;
    let copy = scratch.path().join(backup::DATABASE_FILE);
    std::fs::copy(file, &copy)
        .map_err(CliError::io(format!("read the backup {}", file.display())))?;
    let db = Database::open(&copy)?;
    let actor = login(&db, name, pin)?.actor;
    drop(db);
    Ok(actor)
}
