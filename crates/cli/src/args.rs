//! The command-line grammar (clap derive) and the dispatch of each command to its module.
//!
//! Guarantees: no argument ever carries a key (keys come from the environment, stdin or the OS
//! keychain); the database is opened only by commands that need it, at
//! `<data-dir>/stateline.sqlite`, and opening it notes the register's environment for the vendor
//! key (see `vendor_key`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use stateline_store::Database;

use crate::error::CliError;
use crate::{
    audit, deadlines, doctor, emulator, integrations, keychain, licence, queue, reconcile, record,
    refresh, report, serve, store, sync, users, vendor_key,
};

/// The Stateline command line: record sales locally, deliver them to Metrc, inspect the queue.
#[derive(Debug, Parser)]
#[command(name = "stateline", version)]
pub struct Cli {
    /// Data folder holding `stateline.sqlite` (default: the per-user data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable JSON output (errors as {"code","message"}).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Metrc emulator (prints `listening on URL`, serves until Ctrl-C).
    Emulator(metrc_emulator::EmulatorArgs),
    /// Licences this register works for.
    #[command(subcommand)]
    Licence(licence::LicenceCommand),
    /// Refresh packages, adjustment reasons and items of a licence from Metrc.
    Refresh(refresh::RefreshArgs),
    /// Record a sale, adjustment or new packages from JSON (a file or stdin).
    Record(record::RecordArgs),
    /// Show the delivery queue, or one entry's history.
    Queue(queue::QueueArgs),
    /// Deliver queued records to Metrc, once or continuously.
    Sync(sync::SyncArgs),
    /// Register users: add them, reset PINs, list them (PINs are read from stdin only).
    #[command(subcommand)]
    User(users::UserCommand),
    /// Metrc user keys in the OS keychain: set, validate, clear (keys from stdin only).
    #[command(subcommand)]
    Key(keychain::KeyCommand),
    /// The vendor (integrator) key in the OS keychain: set, clear, status (a manager; from stdin).
    #[command(subcommand)]
    VendorKey(vendor_key::VendorKeyCommand),
    /// Backups of the database: take one now, list them, restore one (a manager).
    #[command(subcommand)]
    Backup(crate::backup::BackupCommand),
    /// Incoming manifests of a licence (cached; `--refresh` reads changes from Metrc first).
    Manifests(crate::manifests::ManifestsArgs),
    /// Check the installation: keychain, database, Metrc, and every saved key's matrix.
    Doctor(doctor::DoctorArgs),
    /// Compare a licence's local day with Metrc's receipts (key from stdin); show differences.
    Reconcile(reconcile::ReconcileArgs),
    /// Reports: `report outage` (records made while not in step with Metrc), CSV or HTML.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Default reporting deadlines per state: list, set (a manager, PIN from stdin).
    #[command(subcommand)]
    Deadlines(deadlines::DeadlinesCommand),
    /// The audit log: list, verify the hash chain, export.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// This register in a store of several: join, status, sync, leave (PostgreSQL store server).
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Run the register headless and serve the local API for the store's POS (prints
    /// `listening on URL`; stops on SIGINT/SIGTERM).
    Serve(serve::ServeArgs),
    /// POS integrations of the local API: add (prints the token once), list, revoke (a manager).
    #[command(subcommand)]
    Integrations(integrations::IntegrationsCommand),
}

/// Global context every command gets.
#[derive(Debug)]
pub struct Context {
    pub data_dir: Option<PathBuf>,
    pub json: bool,
}

impl Context {
    /// The data folder (`--data-dir`, else the per-user default); not created here.
    pub fn data_dir(&self) -> Result<PathBuf, CliError> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => default_data_dir(),
        }
    }

    /// Opens (creating if needed) the database in the data folder.
    pub fn open_database(&self) -> Result<Database, CliError> {
        let dir = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir()?,
        };
        std::fs::create_dir_all(&dir).map_err(CliError::io(format!(
            "create the data folder {}",
            dir.display()
        )))?;
        let db = Database::open(dir.join("stateline.sqlite"))?;
        vendor_key::note_register(&db);
        Ok(db)
    }
}

/// The per-user data folder: `$XDG_DATA_HOME/stateline`, else the platform's usual place.
fn default_data_dir() -> Result<PathBuf, CliError> {
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = if let Some(xdg) = env_dir("XDG_DATA_HOME") {
        Some(xdg)
    } else if cfg!(windows) {
        env_dir("APPDATA")
    } else if cfg!(target_os = "macos") {
        env_dir("HOME").map(|h| h.join("Library").join("Application Support"))
    } else {
        env_dir("HOME").map(|h| h.join(".local").join("share"))
    };
    base.map(|b| b.join("stateline")).ok_or_else(|| {
        CliError::Config(
            "no per-user data folder is known (HOME is not set); pass --data-dir".into(),
        )
    })
}

/// A multi-threaded runtime for the commands that talk to the network.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("start the async runtime"))
}

/// Runs one command; `Ok` carries the exit code (`key validate` exits 1 when the key is not good).
pub fn run(cli: Cli) -> Result<std::process::ExitCode, CliError> {
    let ctx = Context {
        data_dir: cli.data_dir,
        json: cli.json,
    };
    if !matches!(cli.command, Command::Emulator(_)) {
        crate::output::init_tracing();
    }
    match cli.command {
        Command::Emulator(args) => emulator::run(args),
        Command::Licence(command) => licence::run(&ctx, command),
        Command::Refresh(args) => refresh::run(&ctx, args),
        Command::Record(args) => record::run(&ctx, args),
        Command::Queue(args) => queue::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::User(command) => users::run(&ctx, command),
        Command::Key(command) => return keychain::run(&ctx, command),
        Command::VendorKey(command) => vendor_key::run(&ctx, command),
        Command::Backup(command) => crate::backup::run(&ctx, command),
        Command::Manifests(args) => crate::manifests::run(&ctx, args),
        Command::Doctor(args) => return doctor::run(&ctx, args),
        Command::Reconcile(args) => reconcile::run(&ctx, args),
        Command::Report(command) => report::run(&ctx, command),
        Command::Deadlines(command) => deadlines::run(&ctx, command),
        Command::Audit(command) => return audit::run(&ctx, command),
        Command::Store(command) => store::run(&ctx, command),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Integrations(command) => integrations::run(&ctx, command),
    }
    .map(|()| std::process::ExitCode::SUCCESS)
}
